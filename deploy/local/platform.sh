#!/usr/bin/env bash
# Runs the whole platform on this machine without Docker:
#   platform.sh up       install what is missing, start infra + every service, load the demo
#   platform.sh down     stop every service and the infra, by PID
#   platform.sh logs     follow the service logs
#   platform.sh status   what runs
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
INFRA="$ROOT/deploy/local/infra.sh"
RABBIT_CLUSTER="$ROOT/deploy/local/rabbit_cluster.sh"
PG_PAIR="$ROOT/deploy/local/pg_pair.sh"
SERVICES=(catalogue search intake notify analytics gateway)
DATABASES=(catalogue search intake notify analytics)
PIDS="$RUN_DIR/pids"; LOGS="$RUN_DIR/logs"
export GATEWAY_PORT
GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT"
# SCALE=n: n processes of every service. The gateways listen on GATEWAY_PORT+1..+n behind
# HAProxy on GATEWAY_PORT (round robin; a gateway that stops taking connections is skipped).
SCALE="${SCALE:-1}"
[[ "$SCALE" =~ ^[1-9]$ ]] || { echo "!! SCALE must be 1 to 9, not '$SCALE'" >&2; exit 2; }
# CLUSTER=3: RabbitMQ as a three-node cluster (rabbit_cluster.sh) whose vhost makes every durable
# queue a quorum queue; the services fail over along its nodes. STANDBY=1: PostgreSQL as a primary
# with a synchronous standby (pg_pair.sh); the services connect to whichever is primary.
CLUSTER="${CLUSTER:-1}"; STANDBY="${STANDBY:-0}"
[[ "$CLUSTER" =~ ^[13]$ ]] || { echo "!! CLUSTER must be 1 or 3, not '$CLUSTER'" >&2; exit 2; }
[[ "$STANDBY" =~ ^[01]$ ]] || { echo "!! STANDBY must be 0 or 1, not '$STANDBY'" >&2; exit 2; }
VHOST=scholingsalliantie
[ "$CLUSTER" = 3 ] && AMQP_URI=$("$RABBIT_CLUSTER" uris "$VHOST")

database_url() {
  if [ "$STANDBY" = 1 ]; then "$PG_PAIR" url "$1"; else echo "postgresql://postgres@127.0.0.1:$PG_PORT/$1"; fi
}

start_infra() {
  if [ "$STANDBY" = 1 ]; then "$PG_PAIR" start; "$PG_PAIR" createdb "${DATABASES[@]}"
  else "$INFRA" start-pg; "$INFRA" createdb "${DATABASES[@]}"; fi
  if [ "$CLUSTER" = 3 ]; then "$RABBIT_CLUSTER" start; "$RABBIT_CLUSTER" vhost "$VHOST"
  else "$INFRA" start-rabbit; fi
}

instances() {  # every process to run: a service's name, then name-2, name-3 for more of it
  local name n count
  for name in "${SERVICES[@]}"; do
    count=$SCALE
    [ "$name" = search ] && [ "$SEARCH_PROCESSES" -gt "$count" ] && count=$SEARCH_PROCESSES
    echo "$name"
    for n in $(seq 2 "$count"); do echo "$name-$n"; done
  done
}

gateway_port() {  # the port of gateway instance NAME (gateway, gateway-2, ...)
  if [ "$SCALE" = 1 ]; then echo "$GATEWAY_PORT"; return; fi
  local n=${1#gateway}; n=${n#-}
  echo $(( GATEWAY_PORT + ${n:-1} ))
}

start_balancer() {  # HAProxy in front of the gateways (SCALE > 1), stopped by its PID file
  [ "$SCALE" = 1 ] && return
  if alive_from "$PIDS/haproxy.pid" haproxy; then return; fi
  "$VENV/bin/python" -m deploy.local.balancer --listen "$GATEWAY_PORT" --pidfile "$PIDS/haproxy.pid" \
    --request-seconds "${REQUEST_DEADLINE_SECONDS:-30}" \
    --gateways "$(seq -s, $(( GATEWAY_PORT + 1 )) $(( GATEWAY_PORT + SCALE )))" > "$RUN_DIR/haproxy.cfg"
  /usr/sbin/haproxy -D -f "$RUN_DIR/haproxy.cfg" >>"$LOGS/haproxy.log" 2>&1
  say "HAProxy on 127.0.0.1:$GATEWAY_PORT in front of $SCALE gateways (ports $(( GATEWAY_PORT + 1 ))-$(( GATEWAY_PORT + SCALE )))"
}

service_env() {  # the environment of one service, as docker-compose.yml gives it too
  local name=$1 instance=${2:-$1}
  echo "AMQP_URI=$AMQP_URI"
  if [ "$name" = gateway ]; then
    echo "GATEWAY_PORT=$(gateway_port "$instance")"
    # behind HAProxy the client is the address it forwards
    [ "$SCALE" = 1 ] || echo "TRUSTED_PROXIES=127.0.0.1/32"
  fi
  [ "$name" = gateway ] || echo "DATABASE_URL=$(database_url "$name")"
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

# OIDC=1: staff sign in with a local OpenID provider (npm's oidc-provider, which vouches for any
# e-mail address: development only) beside the keys and tokens; a real one: set OIDC_ISSUER,
# OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (docs/sign-in.md)
OIDC="${OIDC:-0}"
[[ "$OIDC" =~ ^[01]$ ]] || { echo "!! OIDC must be 0 or 1, not '$OIDC'" >&2; exit 2; }
if [ "$OIDC" = 1 ]; then
  export OIDC_ISSUER="http://127.0.0.1:$OIDC_LOCAL_PORT" OIDC_CLIENT_ID=scholingsalliantie-local
  export OIDC_CLIENT_SECRET="local-openid-provider-secret"
fi

start_openid() {  # OIDC=1's OpenID provider, stopped by its PID file like the services
  [ "$OIDC" = 1 ] || return 0
  if alive_from "$PIDS/openid.pid" provider.mjs; then return; fi
  ( export OIDC_PORT="$OIDC_LOCAL_PORT" OIDC_REDIRECT_URIS="$GATEWAY_URL/inloggen/terug" \
      OIDC_MODULE="$ROOT/.run/node/node_modules/oidc-provider/lib/index.js"
    exec setsid node "$ROOT/deploy/local/oidc/provider.mjs" ) >>"$LOGS/openid.log" 2>&1 < /dev/null &
  echo "$!" > "$PIDS/openid.pid"
  say "started the local OpenID provider (pid $!, $OIDC_ISSUER): sign in with any e-mail address you invited"
}

start_services() {
  mkdir -p "$PIDS" "$LOGS"
  start_mailcatcher
  start_openid
  local name pid
  for name in $(instances); do
    if alive_from "$PIDS/$name.pid" "services.run ${name%-*}"; then
      say "$name already running (pid $(cat "$PIDS/$name.pid"))"; continue
    fi
    local was=""      # a PID file whose process died (killed, crashed, a zombie): it is started again
    [ -f "$PIDS/$name.pid" ] && was=$(cat "$PIDS/$name.pid")
    ( export $(service_env "${name%-*}" "$name"); exec setsid "$VENV/bin/python" -m services.run "${name%-*}" ) \
      >>"$LOGS/$name.log" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$PIDS/$name.pid"
    if [ -n "$was" ]; then say "restarted $name (pid $pid; pid $was was no longer running, log $LOGS/$name.log)"
    else say "started $name (pid $pid, log $LOGS/$name.log)"; fi
  done
  start_balancer
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
    start_infra
    start_services
    wait_healthy 120
    # the demo providers' keys belong to the databases they were made in: the pair has its own
    keys="$RUN_DIR/demo-keys.json"; [ "$STANDBY" = 1 ] && keys="$RUN_DIR/demo-keys-standby.json"
    "$VENV/bin/python" -m deploy.local.load_demo --gateway "$GATEWAY_URL" --keys "$keys"
    cat <<MSG

  Scholingsalliantie runs at $GATEWAY_URL   (OpenAPI: $GATEWAY_URL/openapi.json)
  Admin token: ${ADMIN_TOKEN:-dev-admin-token}${ADMIN_TOKEN:+ (from ADMIN_TOKEN)}${ADMIN_TOKEN:- (ADMIN_TOKEN unset: development default)}
  Try:   curl '$GATEWAY_URL/api/v1/search?q=heftruck'
  Mail:  every e-mail the platform sends is a .eml file in $RUN_DIR/mail/ (nothing leaves this machine)
  Logs:  make logs      Stop: make stop      Wipe data: make clean
MSG
    if [ -n "${OIDC_ISSUER:-}" ]; then cat <<MSG
  Staff sign-in: with their own accounts at $OIDC_ISSUER, and with keys and tokens.
    Invite the first beheerder of a provider:  curl -X POST -H 'Authorization: Bearer ${ADMIN_TOKEN:-dev-admin-token}' \\
      -d '{"email": "you@example.nl", "role": "beheerder"}' $GATEWAY_URL/api/v1/providers/<id>/members
MSG
    else cat <<MSG
  Staff sign-in: with keys and tokens (development). To sign in as people, with an OpenID
    provider: make stop && make run OIDC=1 (a local one), or set OIDC_ISSUER, OIDC_CLIENT_ID and
    OIDC_CLIENT_SECRET (yours: docs/sign-in.md)
MSG
    fi
    ;;
  down) stop_services; "$INFRA" stop; "$RABBIT_CLUSTER" stop; "$PG_PAIR" stop ;;
  services-down) stop_services ;;
  logs) mkdir -p "$LOGS"; touch "$LOGS/gateway.log"; exec tail -n 50 -F "$LOGS"/*.log ;;
  status)
    "$INFRA" status
    [ -d "$RUN_DIR/cluster" ] && "$RABBIT_CLUSTER" status
    [ -d "$RUN_DIR/pgpair" ] && "$PG_PAIR" status
    # what this SCALE runs, and whatever else a run with another SCALE left running
    for name in $( { instances; ls "$PIDS" 2>/dev/null | sed -n 's/\.pid$//p'; } | awk '!seen[$0]++'); do
      if alive_from "$PIDS/$name.pid" "${name%%-*}"; then
        echo "$name: running (pid $(cat "$PIDS/$name.pid"))"; else echo "$name: stopped"; fi
    done ;;
  *) echo "usage: $0 up|down|services-down|logs|status" >&2; exit 2 ;;
esac
