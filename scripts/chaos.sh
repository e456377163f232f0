#!/usr/bin/env bash
# npm run chaos [-- --soak=300 | --soak=600 | --only=<scenario,...> | --list]
# The fault-injection suite: builds the service, then runs every scenario against it as separate processes
# (API, worker, a Temporal dev server of its own on a free port near 7300), with fault proxies in front of the
# shared MariaDB and Redis, and prints per scenario the faults injected, requests sent, invariant checks run and
# violations found. Loopback only; it never stops the shared MariaDB, Redis or Temporal server.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

export DATABASE_URL="mysql://root@127.0.0.1:3306/${CHAOS_DATABASE:-flash_sale_chaos}"
export REDIS_URL="redis://127.0.0.1:6379/${CHAOS_REDIS_DB:-11}"

ensure_node_modules
ensure_temporal_cli
check_services

# The same build as `npm run build`, into a directory of its own: a rebuild of dist/ by someone else during the
# run cannot change the code of a worker the suite restarts.
say "Building the service into .run/chaos/dist"
rm -rf "$RUN_DIR/chaos/dist"
npm run --silent build -- --outDir "$RUN_DIR/chaos/dist"

say "Running the chaos suite"
exec npx tsx chaos/run.ts "$@"
