#!/usr/bin/env bash
# npm run test:fast: the tier that needs no MariaDB, Redis or Temporal running. Workflow rules run on Temporal's
# time-skipping test server (installed here if missing) with stub activities; the routes run in process against
# stubbed gateways.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

export NODE_ENV=test
ensure_node_modules
ensure_temporal_test_server

npx jest --config jest.fast.config.js "$@"
