#!/usr/bin/env bash
# npm start: everything needed to run the service on this machine, then the API and the worker.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_node_modules
ensure_temporal_cli
check_services
say "Building"
npm run --silent build
# One workflow bundle for the worker and for the API's own hold worker (HOLD_EAGER_START), instead of one each.
node dist/cli/bundle-workflows.js "$RUN_DIR/workflow-bundle.js" >/dev/null
export WORKFLOW_BUNDLE_PATH="${WORKFLOW_BUNDLE_PATH:-$RUN_DIR/workflow-bundle.js}"

ensure_temporal_server "$RUN_DIR/temporal.db" "${TEMPORAL_UI_PORT:-8233}"
ensure_namespace "${TEMPORAL_NAMESPACE:-default}"
pids=()
[[ -n "$STARTED_TEMPORAL_PID" ]] && pids+=("$STARTED_TEMPORAL_PID")
stop() {
  trap - INT TERM EXIT
  say "Stopping"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

say "Migrating and seeding the database"
node dist/db/cli.js setup

node dist/worker/main.js &
pids+=("$!")
node dist/api/main.js &
pids+=("$!")
wait_for_port 127.0.0.1 "${PORT:-8000}" 60 "API"

cat >&2 <<MSG

  Flash-sale API      http://127.0.0.1:${PORT:-8000}/api
  OpenAPI document    http://127.0.0.1:${PORT:-8000}/api/openapi.json
  Temporal Web UI     http://127.0.0.1:${TEMPORAL_UI_PORT:-8233}/namespaces/${TEMPORAL_NAMESPACE:-default}/workflows

  Ctrl-C stops the API, the worker and the Temporal dev server started here.

MSG
wait -n "${pids[@]}"
