#!/usr/bin/env bash
# npm run api | npm run worker: one process of the service, on the Node.js and flags npm start uses (scripts/lib.sh),
# built first when there is no build yet. Nothing else is started: Temporal, MariaDB and Redis must be running.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
part="${1:?usage: scripts/part.sh api|worker}"
ensure_node
[[ -f "dist/$part/main.js" ]] || npm run --silent build
exec node "dist/$part/main.js"
