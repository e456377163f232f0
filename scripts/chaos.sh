#!/usr/bin/env bash
# npm run chaos [-- --soak=300 | --soak=600 | --only=<scenario,...> | --list]
# The fault-injection suite: builds the service, then runs every scenario against it as separate processes
# (API, worker, and a MariaDB, a Redis and a Temporal dev server of its own, from the machine's binaries, with their
# own data directories under .run/chaos and ports from CHAOS_PORT_BASE, default 7500..7541), with fault proxies in
# front of its MariaDB and Redis, and prints per scenario the faults injected, requests sent, invariant checks run and
# violations found. Loopback only; it never touches the machine's shared MariaDB, Redis or Temporal server.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_node_modules
ensure_temporal_cli
for b in mariadbd mariadb-install-db redis-server; do
  command -v "$b" >/dev/null || [[ -x "/usr/sbin/$b" ]] || { say "chaos needs $b (apt-get install mariadb-server redis-server)"; exit 1; }
done

# The same build as `npm run build`, into a directory of its own: a rebuild of dist/ by someone else during the
# run cannot change the code of a worker the suite restarts.
say "Building the service into .run/chaos/dist"
rm -rf "$RUN_DIR/chaos/dist"
npm run --silent build -- --outDir "$RUN_DIR/chaos/dist"
# The workflow bundle once (as the image does): every worker the suite (re)starts skips webpack at start-up.
node "$RUN_DIR/chaos/dist/cli/bundle-workflows.js" "$RUN_DIR/chaos/dist/workflow-bundle.js" >/dev/null

say "Running the chaos suite"
exec npx tsx chaos/run.ts "$@"
