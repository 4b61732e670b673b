#!/usr/bin/env bash
# A RabbitMQ cluster of three nodes on this machine, beside (not instead of) the single node of
# infra.sh: each node has its own name, ports and data under $RUN_DIR/cluster/n<i>; they share
# one Erlang cookie (the folder's .erlang.cookie) and the checkout's epmd.
#
#   rabbit_cluster.sh start          start the nodes that are not running; 2 and 3 join 1
#   rabbit_cluster.sh stop           stop every node (by PID), then the epmd it started
#   rabbit_cluster.sh clean          stop, then delete the nodes' data (a new cluster next start)
#   rabbit_cluster.sh status         which nodes run, and the cluster as node 1 sees it
#   rabbit_cluster.sh uris           the AMQP URI list a client fails over along (one line)
#   rabbit_cluster.sh kill N         SIGKILL node N (a lost machine)
#   rabbit_cluster.sh start-node N   start node N again: it rejoins with its own data
#   rabbit_cluster.sh vhost NAME     a vhost whose queues are quorum queues unless told otherwise
#
# Ports: node i uses CLUSTER_PORT+3(i-1) for AMQP, +1 management, +2 Erlang distribution
# (24000-27999: below the range 10000 above the distribution ports that rabbitmqctl takes).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

NODES=(1 2 3)
CLUSTER_DIR="$RUN_DIR/cluster"
CLUSTER_PORT="${CLUSTER_PORT:-$(( 24000 + _offset * 20 + $([ "$SA_PROFILE" = test ] && echo 10 || echo 0) ))}"

node_name() { echo "sa${_offset}${SA_PROFILE}c$1@localhost"; }
amqp_port() { echo $(( CLUSTER_PORT + 3 * ($1 - 1) )); }
mgmt_port() { echo $(( CLUSTER_PORT + 3 * ($1 - 1) + 1 )); }
dist_port() { echo $(( CLUSTER_PORT + 3 * ($1 - 1) + 2 )); }
pid_file() { echo "$CLUSTER_DIR/n$1/rabbit.pid"; }

# rabbitmqctl against node N, with the cluster's cookie
ctl() { local n=$1; shift; HOME="$CLUSTER_DIR" "$RABBIT_BIN/rabbitmqctl" -n "$(node_name "$n")" "$@"; }

running() { alive_from "$(pid_file "$1")"; }

node_env() {  # the variables that make rabbitmq-server node N
  local n=$1 dir="$CLUSTER_DIR/n$1"
  echo "HOME=$CLUSTER_DIR RABBITMQ_NODENAME=$(node_name "$n") RABBITMQ_MNESIA_BASE=$dir/mnesia"
  echo "RABBITMQ_LOG_BASE=$dir/log RABBITMQ_CONFIG_FILE=$dir/rabbitmq RABBITMQ_PID_FILE=$dir/rabbit.pid"
  echo "RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf"
  echo "RABBITMQ_ENABLED_PLUGINS_FILE=$CLUSTER_DIR/enabled_plugins RABBITMQ_DIST_PORT=$(dist_port "$n")"
}

write_config() {
  local n=$1 dir="$CLUSTER_DIR/n$1" i
  mkdir -p "$dir"
  {
    echo "listeners.tcp.default = 127.0.0.1:$(amqp_port "$n")"
    echo "management.tcp.ip = 127.0.0.1"
    echo "management.tcp.port = $(mgmt_port "$n")"
    echo "log.console = false"
    echo "log.file.level = warning"
    # a node that starts finds the others by name and joins them (it keeps its membership)
    echo "cluster_formation.peer_discovery_backend = classic_config"
    for i in "${NODES[@]}"; do echo "cluster_formation.classic_config.nodes.$i = $(node_name "$i")"; done
    # a node that loses the others stops serving instead of splitting the cluster in two
    echo "cluster_partition_handling = pause_minority"
    # this script starts node 1 first: the others need not wait a random time before looking
    echo "cluster_formation.randomized_startup_delay_range.min = 0"
    echo "cluster_formation.randomized_startup_delay_range.max = 1"
  } > "$dir/rabbitmq.conf"
}

start_node() {
  local n=$1
  if running "$n"; then say "node $n already running (AMQP $(amqp_port "$n"))"; return; fi
  mkdir -p "$CLUSTER_DIR"
  [ -f "$CLUSTER_DIR/.erlang.cookie" ] || { head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$CLUSTER_DIR/.erlang.cookie"; chmod 400 "$CLUSTER_DIR/.erlang.cookie"; }
  echo '[rabbitmq_management].' > "$CLUSTER_DIR/enabled_plugins"
  write_config "$n"
  local epmd_before; epmd_before=$(epmd_pid)
  ( cd "$CLUSTER_DIR/n$n" && export $(node_env "$n") && "$RABBIT_BIN/rabbitmq-server" -detached )
  if ! ctl "$n" -q wait "$(pid_file "$n")" --timeout 90 >/dev/null; then
    echo "!! node $n did not start within 90 s; its log:" >&2
    tail -n 20 "$CLUSTER_DIR/n$n/log"/*.log >&2 2>/dev/null || true
    return 1
  fi
  [ -z "$epmd_before" ] && [ ! -f "$CLUSTER_DIR/epmd.pid" ] && epmd_pid > "$CLUSTER_DIR/epmd.pid"
  say "RabbitMQ node $n ($(node_name "$n")) on 127.0.0.1:$(amqp_port "$n"), management $(mgmt_port "$n")"
}


members() { ctl 1 -q cluster_status --formatter json 2>/dev/null | "$VENV/bin/python" -c \
  'import json,sys; s=json.load(sys.stdin); print(len(s["running_nodes"]))' 2>/dev/null || echo 0; }

start() {
  local pids=() n first=(1) rest=(2 3)
  # A new cluster: node 1 first, then 2 and 3 together find it and join. A cluster that ran
  # before: all at once, as each node waits for the one that stopped last.
  [ -d "$CLUSTER_DIR/n1/mnesia" ] && { first=(); rest=(1 2 3); }
  for n in "${first[@]}"; do start_node "$n"; done
  for n in "${rest[@]}"; do start_node "$n" & pids+=($!); done
  for n in "${pids[@]}"; do wait "$n"; done
  for _ in $(seq 1 60); do [ "$(members)" = 3 ] && break; sleep 1; done
  [ "$(members)" = 3 ] || { echo "!! the cluster has $(members) running nodes, not 3" >&2; ctl 1 cluster_status >&2; return 1; }
  say "RabbitMQ cluster of 3 nodes running; clients fail over along: $(uris)"
}

stop_node() {  # stop_node N: rabbitmqctl stop, else SIGTERM then SIGKILL by its PID
  local n=$1 pid
  [ -f "$(pid_file "$n")" ] || return 0
  pid=$(cat "$(pid_file "$n")")
  if alive "$pid"; then
    ctl "$n" -q stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do alive "$pid" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    say "stopped RabbitMQ node $n (pid $pid)"
  fi
  rm -f "$(pid_file "$n")"
}

stop() {
  local n
  for n in 3 2 1; do stop_node "$n"; done
  if [ -f "$CLUSTER_DIR/epmd.pid" ]; then
    local pid; pid=$(cat "$CLUSTER_DIR/epmd.pid")
    # epmd serves the single node of infra.sh too: leave it while that node runs
    if ! alive_from "$RABBITMQ_PID_FILE" && alive "$pid"; then kill "$pid" 2>/dev/null || true; say "stopped epmd (pid $pid)"; fi
    rm -f "$CLUSTER_DIR/epmd.pid"
  fi
}

kill_node() {
  local n=$1 pid; pid=$(cat "$(pid_file "$n")")
  kill -9 "$pid"
  for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
  say "killed RabbitMQ node $n (pid $pid, SIGKILL)"
}

uris() {
  local n out=()
  for n in "${NODES[@]}"; do out+=("amqp://guest:guest@127.0.0.1:$(amqp_port "$n")/${1:-}"); done
  (IFS=';'; echo "${out[*]}")
}

vhost() {
  ctl 1 -q add_vhost "$1" --default-queue-type quorum >/dev/null 2>&1 || true
  ctl 1 -q set_permissions -p "$1" guest '.*' '.*' '.*' >/dev/null
  say "vhost $1: durable queues are quorum queues"
}

status() {
  local n
  for n in "${NODES[@]}"; do
    if running "$n"; then echo "node $n: running, AMQP $(amqp_port "$n"), management $(mgmt_port "$n")"; else echo "node $n: stopped"; fi
  done
  running 1 && echo "running nodes seen by node 1: $(members)"
  return 0
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  clean) stop; rm -rf "$CLUSTER_DIR"; say "removed $CLUSTER_DIR" ;;
  status) status ;;
  uris) uris "${2:-}" ;;
  kill) kill_node "$2" ;;
  start-node) start_node "$2" ;;
  vhost) vhost "$2" ;;
  *) echo "usage: $0 start|stop|clean|status|uris [VHOST]|kill N|start-node N|vhost NAME" >&2; exit 2 ;;
esac
