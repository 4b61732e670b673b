# Sourced by the local (no-Docker) scripts: where this checkout keeps its run folder and which
# ports its own PostgreSQL and RabbitMQ use. Ports derive from the checkout path so a second
# checkout, or a system-wide service on the default ports, does not collide.
# SA_PROFILE=run (make run) or test (make test): each profile has its own data and ports.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SA_PROFILE="${SA_PROFILE:-run}"
RUN_DIR="${RUN_DIR:-$ROOT/.run/$SA_PROFILE}"
VENV="${VENV:-$ROOT/.venv}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

_offset=$(( $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 200 ))
_base=$(( 20000 + _offset * 20 ))
[ "$SA_PROFILE" = test ] && _base=$(( _base + 10 ))

PG_PORT="${PG_PORT:-$(( _base + 1 ))}"
AMQP_PORT="${AMQP_PORT:-$(( _base + 2 ))}"
RABBIT_MGMT_PORT="${RABBIT_MGMT_PORT:-$(( _base + 3 ))}"
RABBIT_DIST_PORT="${RABBIT_DIST_PORT:-$(( _base + 4 ))}"
EPMD_PORT="${EPMD_PORT:-$(( _base + 5 ))}"
SMTP_PORT="${SMTP_PORT:-$(( _base + 6 ))}"     # make run's mail catcher
OIDC_LOCAL_PORT="${OIDC_LOCAL_PORT:-$(( _base + 7 ))}"     # make run OIDC=1's OpenID provider
GATEWAY_PORT="${GATEWAY_PORT:-8000}"
# processes of the search service `make run` starts (the benchmarks measure the same): one
# eventlet process uses one core, and computing answers is the busiest work of a search
export SEARCH_PROCESSES="${SEARCH_PROCESSES:-2}"

export AMQP_URI="${AMQP_URI:-amqp://guest:guest@127.0.0.1:$AMQP_PORT/}"
export RABBIT_API_URI="${RABBIT_API_URI:-http://guest:guest@127.0.0.1:$RABBIT_MGMT_PORT}"
export PG_ADMIN_URL="${PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:$PG_PORT/postgres}"
export PSYCOPG_WAIT_FUNC=wait_selector
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

# RabbitMQ's own variables: everything under the run folder, its own node name and epmd.
export HOME_RABBIT="$RUN_DIR/rabbitmq"
export RABBITMQ_NODENAME="sa${_offset}${SA_PROFILE}@localhost"
export RABBITMQ_MNESIA_BASE="$HOME_RABBIT/mnesia"
export RABBITMQ_LOG_BASE="$HOME_RABBIT/log"
export RABBITMQ_CONFIG_FILE="$HOME_RABBIT/rabbitmq"
export RABBITMQ_ADVANCED_CONFIG_FILE="$HOME_RABBIT/advanced.config"
export RABBITMQ_CONF_ENV_FILE="$HOME_RABBIT/rabbitmq-env.conf"
export RABBITMQ_ENABLED_PLUGINS_FILE="$HOME_RABBIT/enabled_plugins"
export RABBITMQ_PID_FILE="$HOME_RABBIT/rabbit.pid"
export RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT"
export ERL_EPMD_PORT="$EPMD_PORT"
export ERL_EPMD_ADDRESS=127.0.0.1
RABBIT_BIN=/usr/lib/rabbitmq/bin

# rabbitmqctl and the node share the Erlang cookie in $HOME.
rabbitctl() { HOME="$HOME_RABBIT" "$RABBIT_BIN/rabbitmqctl" "$@"; }

say() { printf '==> %s\n' "$*"; }

# alive PID [WORDS]: the process runs and, given WORDS, its command line holds them. `kill -0`
# alone takes a zombie for a live process (a service killed with SIGKILL whose parent never
# reaps it) and a PID reused by another program for ours.
alive() {
  local pid=${1:-} state
  [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  case "$state" in Z|X|x|"") return 1 ;; esac
  [ -z "${2:-}" ] || tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# alive_from FILE [WORDS]: alive, for the PID written in FILE
alive_from() { [ -f "$1" ] && alive "$(cat "$1" 2>/dev/null)" "${2:-}"; }

# epmd_pid: the PID of the epmd on this checkout's port (infra.sh and rabbit_cluster.sh stop the
# one they started), or nothing
epmd_pid() {
  { ss -ltnpH "sport = :$EPMD_PORT" 2>/dev/null | grep -o 'epmd",pid=[0-9]*' | head -n1 | cut -d= -f2; } || true
}
