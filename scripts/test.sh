#!/usr/bin/env bash
# npm test: installs what is missing, starts a Temporal dev server unless one is running,
# and runs the whole jest suite against the real MariaDB, Redis and Temporal.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

export NODE_ENV=test
export DATABASE_URL="${TEST_DATABASE_URL:-mysql://root@127.0.0.1:3306/flash_sale_test}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
# Its own namespace: test hold ids never meet the workflow ids of a service running on the same server.
export TEMPORAL_NAMESPACE="${TEST_TEMPORAL_NAMESPACE:-flash-sale-test}"

ensure_node_modules
ensure_temporal_cli
ensure_temporal_test_server
ensure_schemathesis
ensure_chromium
ensure_prometheus
check_services
cleanup() { [[ -n "${STARTED_TEMPORAL_PID:-}" ]] && kill -TERM "$STARTED_TEMPORAL_PID" 2>/dev/null; true; }
trap cleanup EXIT
ensure_temporal_server "" "${TEMPORAL_TEST_UI_PORT:-8233}"
# The Web UI test opens the UI of the server the suite runs on (a port of its own when TEMPORAL_TEST_UI_PORT is set).
export TEMPORAL_UI_URL="${TEMPORAL_UI_URL:-http://127.0.0.1:${TEMPORAL_TEST_UI_PORT:-8233}}"
ensure_namespace "$TEMPORAL_NAMESPACE"

npx jest --runInBand "$@"
