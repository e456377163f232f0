#!/usr/bin/env bash
# npm run replicas [-- --apis N --workers M]: like `npm start`, but N API processes (ports PORT, PORT+1, ...) and
# M workers on one task queue, all against one Temporal server and one MariaDB (the API and the worker keep no
# state of their own). Each process logs to .run/replicas/<name>.log; Ctrl-C (or SIGTERM) stops them all.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

usage() {
  cat <<'USAGE'
usage: npm run replicas -- [--apis N] [--workers M]
  --apis N      API processes, on ports PORT, PORT+1, ... (default 2; PORT defaults to 8000)
  --workers M   workers polling the same TASK_QUEUE (default 2); worker i serves its metrics on
                WORKER_METRICS_ADDRESS's port + i - 1 (default 127.0.0.1:9464, 9465, ...; empty turns them off)
Logs: .run/replicas/api-<i>.log and .run/replicas/worker-<i>.log.
USAGE
}
fail_usage() {
  say "$1"
  usage >&2
  exit 2
}

APIS=2
WORKERS=2
MAX_REPLICAS=32
while (($#)); do
  case "$1" in
    --apis | --workers)
      (($# >= 2)) || fail_usage "$1 needs a value"
      [[ $1 == --apis ]] && APIS=$2 || WORKERS=$2
      shift 2
      ;;
    --apis=*) APIS=${1#*=} && shift ;;
    --workers=*) WORKERS=${1#*=} && shift ;;
    -h | --help) usage && exit 0 ;;
    *) fail_usage "unknown argument: $1" ;;
  esac
done
for pair in "--apis:$APIS" "--workers:$WORKERS"; do
  name=${pair%%:*} value=${pair#*:}
  if [[ ! $value =~ ^[1-9][0-9]*$ ]] || ((value > MAX_REPLICAS)); then
    fail_usage "$name wants a whole number from 1 to $MAX_REPLICAS, got '$value'"
  fi
done

BASE_PORT=${PORT:-8000}
[[ $BASE_PORT =~ ^[1-9][0-9]*$ ]] && ((BASE_PORT + APIS - 1 <= 65535)) ||
  fail_usage "PORT must be a port number with room for $APIS APIs above it, got '$BASE_PORT'"
# Worker metrics: host:port of the first worker; the others count up from it. Empty: off for all.
METRICS=${WORKER_METRICS_ADDRESS-127.0.0.1:9464}
if [[ -n $METRICS ]]; then
  [[ $METRICS =~ ^[^[:space:]:]+:[0-9]+$ ]] || fail_usage "WORKER_METRICS_ADDRESS must be host:port or empty"
  METRICS_HOST=${METRICS%:*}
  METRICS_PORT=${METRICS##*:}
fi
for ((i = 0; i < APIS; i++)); do
  port_open 127.0.0.1 $((BASE_PORT + i)) && fail_usage "port $((BASE_PORT + i)) is already in use (set PORT)"
done
if [[ -n $METRICS ]]; then
  for ((i = 0; i < WORKERS; i++)); do
    port_open "$METRICS_HOST" $((METRICS_PORT + i)) &&
      fail_usage "worker metrics port $((METRICS_PORT + i)) is already in use (set WORKER_METRICS_ADDRESS)"
  done
fi

ensure_node_modules
ensure_temporal_cli
check_services
say "Building"
npm run --silent build

ensure_temporal_server "$RUN_DIR/temporal.db" "${TEMPORAL_UI_PORT:-8233}"
ensure_namespace "${TEMPORAL_NAMESPACE:-default}"
LOG_DIR="$RUN_DIR/replicas"
mkdir -p "$LOG_DIR"

pids=()  # every process started here, the Temporal dev server included
names=() # names[i] belongs to pids[i]
[[ -n "$STARTED_TEMPORAL_PID" ]] && pids+=("$STARTED_TEMPORAL_PID") && names+=("temporal")
stop() {
  trap - INT TERM EXIT
  say "Stopping ${#pids[@]} processes"
  # The service first (APIs and workers drain), the dev server last.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    [[ ${names[i]} == temporal ]] || kill -TERM "${pids[i]}" 2>/dev/null || true
  done
  # Polled rather than `wait`ed: a signal trap may run while bash is inside `wait -n`. Workers drain for up to 10 s.
  local deadline=$((SECONDS + 20)) left
  while :; do
    left=0
    for ((i = 0; i < ${#pids[@]}; i++)); do
      [[ ${names[i]} != temporal ]] && kill -0 "${pids[i]}" 2>/dev/null && left=$((left + 1))
    done
    ((left == 0)) && break
    if ((SECONDS > deadline)); then
      say "$left processes still running after 20 s: SIGKILL"
      for ((i = 0; i < ${#pids[@]}; i++)); do
        [[ ${names[i]} == temporal ]] || kill -KILL "${pids[i]}" 2>/dev/null || true
      done
      break
    fi
    sleep 0.2
  done
  [[ -z "$STARTED_TEMPORAL_PID" ]] || kill -TERM "$STARTED_TEMPORAL_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "Migrating and seeding the database"
node dist/db/cli.js setup

# start <name> <env assignment>... : one service process in the background, its output in $LOG_DIR/<name>.log.
start() {
  local name=$1 entry
  shift
  [[ $name == api-* ]] && entry=dist/api/main.js || entry=dist/worker/main.js
  printf '\n==== %s start %s\n' "$(date -u +%FT%TZ)" "$name" >>"$LOG_DIR/$name.log"
  env "$@" node "$entry" >>"$LOG_DIR/$name.log" 2>&1 &
  pids+=("$!")
  names+=("$name")
}

# The workers start together: the sweep Schedule is created by whichever comes first and updated by the others.
for ((i = 1; i <= WORKERS; i++)); do
  if [[ -n $METRICS ]]; then
    start "worker-$i" WORKER_METRICS_ADDRESS="$METRICS_HOST:$((METRICS_PORT + i - 1))"
  else
    start "worker-$i" WORKER_METRICS_ADDRESS=
  fi
done
for ((i = 1; i <= APIS; i++)); do start "api-$i" PORT=$((BASE_PORT + i - 1)); done

# alive <index>: the process is still running. up <index>: it serves (an API listens, a worker polls).
alive() { kill -0 "${pids[$1]}" 2>/dev/null; }
up() {
  local name=${names[$1]}
  if [[ $name == api-* ]]; then
    port_open 127.0.0.1 $((BASE_PORT + ${name#api-} - 1))
  else
    grep -q '"msg":"worker running"' "$LOG_DIR/$name.log"
  fi
}
first=$((${#pids[@]} - APIS - WORKERS)) # index of worker-1 in pids
deadline=$((SECONDS + 90))
for ((i = first; i < ${#pids[@]}; i++)); do
  until up "$i"; do
    if ! alive "$i"; then
      say "${names[i]} exited during start-up; the end of $LOG_DIR/${names[i]}.log:"
      tail -n 20 "$LOG_DIR/${names[i]}.log" >&2
      exit 1
    fi
    ((SECONDS > deadline)) && { say "${names[i]} did not come up within 90 s (see $LOG_DIR/${names[i]}.log)"; exit 1; }
    sleep 0.3
  done
done

{
  printf '\n'
  for ((i = 0; i < APIS; i++)); do
    printf '  %-18s  http://127.0.0.1:%s/api\n' "API $((i + 1))" $((BASE_PORT + i))
  done
  for ((i = 0; i < WORKERS; i++)); do
    if [[ -n $METRICS ]]; then
      printf '  %-18s  http://%s:%s/metrics\n' "Worker $((i + 1)) metrics" "$METRICS_HOST" $((METRICS_PORT + i))
    else
      printf '  %-18s  running (metrics off)\n' "Worker $((i + 1))"
    fi
  done
  printf '  %-18s  http://127.0.0.1:%s/namespaces/%s/workflows\n' "Temporal Web UI" \
    "${TEMPORAL_UI_PORT:-8233}" "${TEMPORAL_NAMESPACE:-default}"
  printf '  %-18s  %s/<api-i|worker-i>.log\n' "Logs" "${LOG_DIR#"$ROOT"/}"
  printf '\n  Ctrl-C stops every API and worker (and the Temporal dev server if it was started here).\n'
  printf '  A process that dies is reported; the others keep serving.\n\n'
} >&2

# Replicas are meant to outlive each other: report every exit, stop once no API or no worker is left.
reported=()
while :; do
  wait -n 2>/dev/null || true
  apis_left=0 workers_left=0
  for ((i = 0; i < ${#pids[@]}; i++)); do
    if alive "$i"; then
      case ${names[i]} in
        api-*) apis_left=$((apis_left + 1)) ;;
        worker-*) workers_left=$((workers_left + 1)) ;;
      esac
    elif [[ -z ${reported[i]:-} ]]; then
      reported[i]=1
      if [[ ${names[i]} == temporal ]]; then
        say "The Temporal dev server (pid ${pids[i]}) exited (see $RUN_DIR/temporal.log)"
      else
        say "${names[i]} (pid ${pids[i]}) exited; the end of $LOG_DIR/${names[i]}.log:"
        tail -n 5 "$LOG_DIR/${names[i]}.log" >&2
      fi
    fi
  done
  if ((apis_left == 0 || workers_left == 0)); then
    say "No API or no worker left ($apis_left APIs, $workers_left workers running)"
    exit 1
  fi
  say "$apis_left of $APIS APIs and $workers_left of $WORKERS workers running"
done
