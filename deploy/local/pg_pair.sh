#!/usr/bin/env bash
# PostgreSQL as a primary with a synchronous streaming standby on this machine, beside (not
# instead of) the single server of infra.sh. A commit returns only once the standby has the WAL
# on disk, so whatever a service accepted survives the primary's loss.
#
#   pg_pair.sh start            initialise what is missing, start the primary, then the standby
#   pg_pair.sh stop             stop both (by pg_ctl, each on its own data directory)
#   pg_pair.sh status           which runs, and in which role
#   pg_pair.sh url DB           the multi-host URL services use (read-write: whichever is primary)
#   pg_pair.sh createdb NAME... the databases that are missing (on the primary; the standby follows)
#   pg_pair.sh crash-primary    stop the primary at once, without a checkpoint (as a lost machine)
#   pg_pair.sh promote          make the standby the primary
#
# Ports: PG_PAIR_PORT for the primary, PG_PAIR_PORT+1 for the standby (28000-29999 by default).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

PAIR_DIR="${PG_PAIR_DIR:-$RUN_DIR/pgpair}"
PRIMARY_PORT="${PG_PAIR_PORT:-$(( 28000 + _offset * 10 + $([ "$SA_PROFILE" = test ] && echo 5 || echo 0) ))}"
STANDBY_PORT=$(( PRIMARY_PORT + 1 ))

as_pg() { runuser -u postgres -- "$@"; }
ctl() { as_pg "$PG_BIN/pg_ctl" -D "$PAIR_DIR/$1" -l "$PAIR_DIR/$1.log" "${@:2}"; }
up() { as_pg "$PG_BIN/pg_ctl" -D "$PAIR_DIR/$1" status >/dev/null 2>&1; }

options() {  # options OWN_PORT [sync]: the server's settings on its command line (not in a file the
  # standby copies: a promoted standby must not wait for a standby of its own)
  local o="-p $1 -k $PAIR_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${PG_FSYNC:-on}"
  o+=" -c wal_level=replica -c max_wal_senders=5 -c wal_keep_size=256MB -c hot_standby=on"
  [ "${2:-}" = sync ] && o+=" -c synchronous_standby_names=* -c synchronous_commit=on"
  echo "$o"
}

start() {
  install -d -o postgres -g postgres "$PAIR_DIR"
  if [ ! -f "$PAIR_DIR/primary/PG_VERSION" ]; then
    say "initialising the primary in $PAIR_DIR/primary"
    as_pg "$PG_BIN/initdb" -D "$PAIR_DIR/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  up primary || { ctl primary -w -o "$(options "$PRIMARY_PORT" sync)" start >/dev/null; say "primary on 127.0.0.1:$PRIMARY_PORT"; }
  if [ ! -f "$PAIR_DIR/standby/PG_VERSION" ]; then
    say "copying the primary into the standby (pg_basebackup)"
    # -R: standby.signal and primary_conninfo; the standby follows the primary's WAL stream
    as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$PAIR_DIR/standby" -R -X stream >/dev/null
  fi
  up standby || { ctl standby -w -o "$(options "$STANDBY_PORT")" start >/dev/null; say "standby on 127.0.0.1:$STANDBY_PORT (synchronous)"; }
  # a commit waits for the standby: wait until the primary sees it streaming
  for _ in $(seq 1 100); do
    [ "$(sql "$PRIMARY_PORT" "select count(*) from pg_stat_replication where sync_state = 'sync'")" = 1 ] && return 0
    sleep 0.1
  done
  echo "!! the standby does not stream synchronously from the primary" >&2; return 1
}

sql() { "$PG_BIN/psql" -h 127.0.0.1 -p "$1" -U postgres -tAc "$2" postgres 2>/dev/null || true; }

stop() {
  local node
  for node in primary standby; do
    if [ -f "$PAIR_DIR/$node/PG_VERSION" ] && up "$node"; then ctl "$node" -m fast -w stop >/dev/null; say "stopped the $node"; fi
  done
}

status() {
  local node port
  for node in primary standby; do
    port=$PRIMARY_PORT; [ $node = standby ] && port=$STANDBY_PORT
    if up "$node"; then
      echo "$node (port $port): running, $( [ "$(sql "$port" 'select pg_is_in_recovery()')" = t ] && echo standby || echo primary)"
    else echo "$node (port $port): stopped"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) echo "postgresql://postgres@127.0.0.1:$PRIMARY_PORT,127.0.0.1:$STANDBY_PORT/${2:?database}?target_session_attrs=read-write&connect_timeout=2" ;;
  createdb) shift; for db in "$@"; do
      [ "$(sql "$PRIMARY_PORT" "select 1 from pg_database where datname = '$db'")" = 1 ] ||
        { "$PG_BIN/createdb" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres "$db"; say "created database $db"; }
    done ;;
  crash-primary) ctl primary -m immediate -w stop >/dev/null; say "primary stopped (immediate)" ;;
  promote) ctl standby -w promote >/dev/null; say "standby promoted: it is the primary now" ;;
  *) echo "usage: $0 start|stop|status|url DB|createdb NAME...|crash-primary|promote" >&2; exit 2 ;;
esac
