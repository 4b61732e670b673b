#!/usr/bin/env bash
# Installs and runs this checkout's own PostgreSQL and RabbitMQ, with their data under the
# git-ignored run folder. Usage: infra.sh setup|start|start-pg|start-rabbit|stop|status|createdb NAME...
# Everything it starts it stops by the PID it recorded.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

setup() {
  local need=()
  [ -x "$RABBIT_BIN/rabbitmq-server" ] || need+=(rabbitmq-server)
  [ -x "$PG_BIN/initdb" ] || need+=(postgresql-15)
  [ -f /usr/share/dict/dutch ] || need+=(wdutch)   # the Dutch word list for compound splitting
  [ -x /usr/bin/chromium ] || need+=(chromium)      # the browser tests' browser (driven by Playwright)
  command -v npm >/dev/null || need+=(npm)          # axe-core and Spectral (the API linter)
  [ -x /usr/sbin/haproxy ] || need+=(haproxy)       # the load balancer of `make run SCALE=2` and the scale tests
  if [ ${#need[@]} -gt 0 ]; then
    say "installing Debian packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  local stamp="$VENV/.installed"
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv $VENV"
    python3 -m venv "$VENV"
  fi
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    say "installing Python dependencies (pinned in pyproject.toml)"
    "$VENV/bin/pip" install -q --disable-pip-version-check 'pip>=24' 'setuptools>=68,<82' wheel
    "$VENV/bin/pip" install -q --disable-pip-version-check -e "$ROOT[test]"
    touch "$stamp"
  fi
  # npm packages, pinned: axe-core for the accessibility checks, Spectral for Logius's API linter,
  # oidc-provider as the OpenID provider of the tests and of `make run OIDC=1`
  local node="$ROOT/.run/node/node_modules"
  if [ ! -f "$node/axe-core/axe.min.js" ] || [ ! -x "$node/.bin/spectral" ] || [ ! -f "$node/oidc-provider/lib/index.js" ]; then
    say "installing axe-core, @stoplight/spectral-cli and oidc-provider (npm) into .run/node"
    mkdir -p "$ROOT/.run/node"
    npm install --silent --no-audit --no-fund --prefix "$ROOT/.run/node" axe-core@4.14.1 \
      @stoplight/spectral-cli@6.16.3 oidc-provider@9.13.3 >/dev/null
  fi
}

pg_running() { runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$RUN_DIR/pg" status >/dev/null 2>&1; }

start_pg() {
  mkdir -p "$RUN_DIR"
  if [ ! -f "$RUN_DIR/pg/PG_VERSION" ]; then
    say "initialising PostgreSQL in $RUN_DIR/pg"
    install -d -o postgres -g postgres "$RUN_DIR/pg"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$RUN_DIR/pg" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 >/dev/null
  fi
  if pg_running; then
    say "PostgreSQL already running on port $PG_PORT"
  else
    chown postgres:postgres "$RUN_DIR/pg"
    touch "$RUN_DIR/postgres.log"; chown postgres "$RUN_DIR/postgres.log"
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$RUN_DIR/pg" -l "$RUN_DIR/postgres.log" -w \
      -o "-p $PG_PORT -k $RUN_DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${PG_FSYNC:-on}" start >/dev/null
    say "PostgreSQL started on 127.0.0.1:$PG_PORT"
  fi
}

rabbit_running() {
  alive_from "$RABBITMQ_PID_FILE"
}

start_rabbit() {
  mkdir -p "$HOME_RABBIT"
  cat > "$HOME_RABBIT/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBIT_MGMT_PORT
log.console = false
log.file.level = warning
CONF
  echo '[rabbitmq_management].' > "$RABBITMQ_ENABLED_PLUGINS_FILE"
  if rabbit_running; then
    say "RabbitMQ already running on port $AMQP_PORT"
    return
  fi
  local epmd_before; epmd_before=$(epmd_pid)
  # from its home folder: a node that fails writes erl_crash.dump and MnesiaCore.* where it started
  ( cd "$HOME_RABBIT" && HOME="$HOME_RABBIT" "$RABBIT_BIN/rabbitmq-server" -detached )
  if ! rabbitctl -q wait "$RABBITMQ_PID_FILE" --timeout 60 >/dev/null; then
    # it never wrote its PID file: stop the node it started (found by its home folder), or the
    # next start finds the port taken by a node nothing knows of
    local pid; pid=$(pgrep -f -- "-home $HOME_RABBIT " | xargs || true)
    if [ -n "$pid" ]; then
      kill $pid 2>/dev/null || true
      for _ in $(seq 1 300); do alive "${pid%% *}" || break; sleep 0.1; done
      kill -9 $pid 2>/dev/null || true
    fi
    echo "!! RabbitMQ did not start within 60 s${pid:+ (stopped its pid $pid)}; its log:" >&2
    tail -n 20 "$RABBITMQ_LOG_BASE"/*.log >&2 2>/dev/null || true
    return 1
  fi
  # rabbitmq-server starts epmd on our port when none runs there; we stop it later by PID.
  [ -z "$epmd_before" ] && epmd_pid > "$HOME_RABBIT/epmd.pid"
  say "RabbitMQ started on 127.0.0.1:$AMQP_PORT (management on $RABBIT_MGMT_PORT)"
}


stop_pid_file() {  # stop_pid_file FILE NAME: SIGTERM the PID in FILE, wait, then SIGKILL
  local file=$1 name=$2 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    say "stopped $name (pid $pid)"
  fi
  rm -f "$file"
}

stop() {
  if rabbit_running; then
    rabbitctl -q shutdown >/dev/null 2>&1 || stop_pid_file "$RABBITMQ_PID_FILE" rabbitmq
    say "stopped RabbitMQ"
  fi
  rm -f "$RABBITMQ_PID_FILE"
  stop_pid_file "$HOME_RABBIT/epmd.pid" epmd
  if [ -f "$RUN_DIR/pg/PG_VERSION" ] && pg_running; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$RUN_DIR/pg" -m fast -w stop >/dev/null
    say "stopped PostgreSQL"
  fi
}

status() {
  if pg_running; then echo "postgresql: running on $PG_PORT"; else echo "postgresql: stopped"; fi
  if rabbit_running; then echo "rabbitmq:   running on $AMQP_PORT (pid $(cat "$RABBITMQ_PID_FILE"))"; else echo "rabbitmq:   stopped"; fi
}

createdb() {
  local db
  for db in "$@"; do
    if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
      "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db"
      say "created database $db"
    fi
  done
}

case "${1:-}" in
  setup) setup ;;
  start) start_pg; start_rabbit ;;
  start-pg) start_pg ;;
  start-rabbit) start_rabbit ;;
  stop) stop ;;
  status) status ;;
  createdb) shift; createdb "$@" ;;
  *) echo "usage: $0 setup|start|start-pg|start-rabbit|stop|status|createdb NAME..." >&2; exit 2 ;;
esac
