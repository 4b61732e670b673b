#!/usr/bin/env bash
# Runs the whole platform on this machine without Docker:
#   platform.sh up       install what is missing, start infra + every service, load the demo
#   platform.sh down     stop every service and the infra, by PID
#   platform.sh logs     follow the service logs
#   platform.sh status   what runs
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
INFRA="$ROOT/deploy/local/infra.sh"
SERVICES=(catalogue search intake notify analytics gateway)
DATABASES=(catalogue search intake notify analytics)
PIDS="$RUN_DIR/pids"; LOGS="$RUN_DIR/logs"
export GATEWAY_PORT
GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT"

instances() {  # every process to run: a service's name, then name-2, name-3 for more of it
  local name n
  for name in "${SERVICES[@]}"; do
    echo "$name"
    if [ "$name" = search ]; then for n in $(seq 2 "$SEARCH_PROCESSES"); do echo "$name-$n"; done; fi
  done
}

service_env() {  # the environment of one service, as docker-compose.yml gives it too
  local name=$1
  echo "AMQP_URI=$AMQP_URI"
  [ "$name" = gateway ] || echo "DATABASE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/$name"
  # a developer's own webhook receiver or OOAPI server on this machine (production refuses it)
  [ "$name" = gateway ] || echo "OUTBOUND_ALLOW_LOOPBACK=${OUTBOUND_ALLOW_LOOPBACK:-true}"
  if [ "$name" = notify ]; then echo "SMTP_URL=smtp://127.0.0.1:$SMTP_PORT"; echo "PUBLIC_BASE_URL=$GATEWAY_URL"; fi
  if [ "$name" = intake ]; then echo "INTAKE_ERASURE_LOG=$RUN_DIR/erasures.log"; fi
}

start_mailcatcher() {  # every mail notify sends lands as one .eml file in $RUN_DIR/mail
  if alive_from "$PIDS/mailcatcher.pid" services.notify.mailcatcher; then return; fi
  ( exec setsid "$VENV/bin/python" -m services.notify.mailcatcher --port "$SMTP_PORT" --dir "$RUN_DIR/mail" ) \
    >>"$LOGS/mailcatcher.log" 2>&1 < /dev/null &
  echo "$!" > "$PIDS/mailcatcher.pid"
  say "started the mail catcher (pid $!, port $SMTP_PORT): mail goes to $RUN_DIR/mail/"
}

start_services() {
  mkdir -p "$PIDS" "$LOGS"
  start_mailcatcher
  local name pid
  for name in $(instances); do
    if alive_from "$PIDS/$name.pid" "services.run ${name%-*}"; then
      say "$name already running (pid $(cat "$PIDS/$name.pid"))"; continue
    fi
    local was=""      # a PID file whose process died (killed, crashed, a zombie): it is started again
    [ -f "$PIDS/$name.pid" ] && was=$(cat "$PIDS/$name.pid")
    ( export $(service_env "${name%-*}"); exec setsid "$VENV/bin/python" -m services.run "${name%-*}" ) \
      >>"$LOGS/$name.log" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$PIDS/$name.pid"
    if [ -n "$was" ]; then say "restarted $name (pid $pid; pid $was was no longer running, log $LOGS/$name.log)"
    else say "started $name (pid $pid, log $LOGS/$name.log)"; fi
  done
}

stop_services() {
  # every service is asked at once, then each is waited for (up to 10 s from the ask, then
  # killed): a service that cannot reach RabbitMQ any more takes its time to stop, and one
  # after another that added up
  local name pid path deadline
  declare -A asked=()
  for path in "$PIDS"/*.pid; do    # whatever was started, also more processes than now configured
    [ -f "$path" ] || continue
    name=$(basename "$path" .pid)
    pid=$(cat "$path")
    if alive "$pid" && kill -TERM "$pid" 2>/dev/null; then asked[$name]=$pid; else rm -f "$path"; fi
  done
  deadline=$((SECONDS + 10))
  for name in "${!asked[@]}"; do
    pid=${asked[$name]}
    while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PIDS/$name.pid"
    say "stopped $name (pid $pid)"
  done
}

wait_healthy() {
  local deadline=$((SECONDS + ${1:-90})) body=""
  while [ $SECONDS -lt $deadline ]; do
    body=$(curl -fsS "$GATEWAY_URL/health" 2>/dev/null) && { say "healthy: $body"; return 0; }
    for name in $(instances); do
      if ! alive_from "$PIDS/$name.pid"; then
        echo "!! $name exited; the end of its log:" >&2; tail -n 20 "$LOGS/$name.log" >&2; return 1
      fi
    done
    sleep 1
  done
  echo "!! the platform did not become healthy in time; last answer: $(curl -sS "$GATEWAY_URL/health" 2>&1)" >&2
  return 1
}

[ "${BASH_SOURCE[0]}" = "$0" ] || return 0     # sourced (by a test): the functions only

case "${1:-}" in
  up)
    "$INFRA" setup
    "$INFRA" start
    "$INFRA" createdb "${DATABASES[@]}"
    start_services
    wait_healthy 120
    "$VENV/bin/python" -m deploy.local.load_demo --gateway "$GATEWAY_URL" --keys "$RUN_DIR/demo-keys.json"
    cat <<MSG

  Scholingsalliantie runs at $GATEWAY_URL   (OpenAPI: $GATEWAY_URL/openapi.json)
  Admin token: ${ADMIN_TOKEN:-dev-admin-token}${ADMIN_TOKEN:+ (from ADMIN_TOKEN)}${ADMIN_TOKEN:- (ADMIN_TOKEN unset: development default)}
  Try:   curl '$GATEWAY_URL/api/v1/search?q=heftruck'
  Mail:  every e-mail the platform sends is a .eml file in $RUN_DIR/mail/ (nothing leaves this machine)
  Logs:  make logs      Stop: make stop      Wipe data: make clean
MSG
    ;;
  down) stop_services; "$INFRA" stop ;;
  services-down) stop_services ;;
  logs) mkdir -p "$LOGS"; touch "$LOGS/gateway.log"; exec tail -n 50 -F "$LOGS"/*.log ;;
  status)
    "$INFRA" status
    for name in $(instances); do
      if alive_from "$PIDS/$name.pid" "services.run ${name%-*}"; then
        echo "$name: running (pid $(cat "$PIDS/$name.pid"))"; else echo "$name: stopped"; fi
    done ;;
  *) echo "usage: $0 up|down|services-down|logs|status" >&2; exit 2 ;;
esac
