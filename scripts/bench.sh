#!/usr/bin/env bash
# npm run bench [-- --quick | --only holds,soldout | --holds N ...]: builds, prepares a dedicated database and
# Temporal namespace, then bench/run.ts starts its own API, worker, Temporal floor and plain baseline and measures
# the scenarios of bench/scenarios (npm run bench -- --help).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

export BENCH_DATABASE_URL="${BENCH_DATABASE_URL:-mysql://root@127.0.0.1:3306/flash_sale_bench}"
export BENCH_REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/14}"
export BENCH_TEMPORAL_NAMESPACE="${BENCH_TEMPORAL_NAMESPACE:-flash-sale-bench}"
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"

ensure_node_modules
ensure_temporal_cli
DATABASE_URL="$BENCH_DATABASE_URL" REDIS_URL="$BENCH_REDIS_URL" check_services
say "Building"
npm run --silent build
ensure_temporal_server "" "${TEMPORAL_UI_PORT:-8233}"
ensure_namespace "$BENCH_TEMPORAL_NAMESPACE"
cleanup() { [[ -n "${STARTED_TEMPORAL_PID:-}" ]] && kill -TERM "$STARTED_TEMPORAL_PID" 2>/dev/null; true; }
trap cleanup EXIT

say "Migrating the bench database"
DATABASE_URL="$BENCH_DATABASE_URL" LOG_LEVEL=warn node dist/db/cli.js migrate

# The "levers" scenario compares with the service as it was before them (the commit before holdWorkflowV2).
if [[ " $* " == *levers* ]]; then
  before="${BENCH_BEFORE_COMMIT:-09078a9}" dir="$RUN_DIR/bench/dist-before"
  if [[ "$(cat "$dir/.commit" 2>/dev/null)" != "$before" ]]; then
    say "Building the service as of $before into $dir"
    tree="$RUN_DIR/bench/before-src"
    rm -rf "$tree" "$dir" && mkdir -p "$tree"
    git -C "$ROOT" archive "$before" | tar -x -C "$tree"
    ln -s "$ROOT/node_modules" "$tree/node_modules"
    (cd "$tree" && npx tsc -p tsconfig.build.json --outDir "$dir") && echo "$before" >"$dir/.commit"
  fi
fi

say "Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine skews the figures)"
node --import tsx bench/run.ts "$@"
