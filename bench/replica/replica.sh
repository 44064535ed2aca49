#!/usr/bin/env bash
# A real PostgreSQL streaming replica of the local server, for architecture (c) of
# docs/scaling.md: its tests (tests/scale/test_replica_streaming.py) and its benchmark
# (bench/replica/measure.py). See bench/replica/README.md.
#
#   bench/replica/replica.sh setup      # allow replication, pg_basebackup -R, start on :5433
#   bench/replica/replica.sh status     # the primary's pg_stat_replication and the lag
#   bench/replica/replica.sh stop|start # the replica server only (the "replica down" case)
#   bench/replica/replica.sh teardown   # stop it, delete its directory, undo the pg_hba line
#
# The primary is never restarted or reconfigured beyond one pg_hba.conf line
# ("host replication all 127.0.0.1/32 trust", added and later removed, each followed by
# pg_reload_conf()); it needs wal_level replica or logical and max_wal_senders > 0, which
# Debian's defaults have (changing either would need a restart: the script stops instead).
# No replication slot: the primary keeps no WAL for the replica, so a stopped or far-behind
# replica can never fill the primary's disk (it may need `teardown` + `setup` instead).
#
# Environment: PRIMARY_HOST (127.0.0.1), PRIMARY_PORT (5432), PRIMARY_USER (postgres),
# REPLICA_PORT (5433), REPLICA_DIR (/var/lib/postgresql/docket-replica-$REPLICA_PORT),
# PG_BIN (/usr/lib/postgresql/<major>/bin, found from pg_config or the PATH).
set -euo pipefail

PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PRIMARY_USER=${PRIMARY_USER:-postgres}
REPLICA_PORT=${REPLICA_PORT:-5433}
REPLICA_DIR=${REPLICA_DIR:-/var/lib/postgresql/docket-replica-$REPLICA_PORT}
MARK="# docket bench/replica: streaming replica on port $REPLICA_PORT"

if [ -z "${PG_BIN:-}" ]; then
  pg_ctl_path=$(command -v pg_ctl || true)
  if [ -n "$pg_ctl_path" ]; then
    PG_BIN=$(dirname "$(readlink -f "$pg_ctl_path")")
  else
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  fi
fi

# PostgreSQL refuses to run as root: the server-side commands run as the data directory's
# owner (postgres) when this script runs as root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

primary_sql() {
  psql -X -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" -d postgres -Atq -v ON_ERROR_STOP=1 -c "$1"
}

replica_sql() {
  psql -X -h 127.0.0.1 -p "$REPLICA_PORT" -U "$PRIMARY_USER" -d postgres -Atq -v ON_ERROR_STOP=1 -c "$1"
}

replica_running() {
  [ -f "$REPLICA_DIR/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" status >/dev/null 2>&1
}

check_primary() {
  local wal_level senders
  wal_level=$(primary_sql "SHOW wal_level")
  senders=$(primary_sql "SHOW max_wal_senders")
  if [ "$wal_level" = minimal ] || [ "$senders" = 0 ]; then
    echo "the primary has wal_level=$wal_level, max_wal_senders=$senders: streaming needs" \
      "wal_level=replica and max_wal_senders>0, which only a restart of the primary can" \
      "change; not done here" >&2
    exit 2
  fi
  echo "primary $PRIMARY_HOST:$PRIMARY_PORT: wal_level=$wal_level max_wal_senders=$senders"
}

allow_replication() {
  # pg_hba's "all" database does not cover replication connections: one more line is needed.
  local allowed hba
  allowed=$(primary_sql "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) AND error IS NULL AND (type = 'local' OR address IN ('127.0.0.1', 'all', 'samehost'))")
  if [ "$allowed" != 0 ]; then
    echo "pg_hba.conf already allows replication connections"
    return
  fi
  hba=$(primary_sql "SHOW hba_file")
  if [ ! -w "$hba" ]; then
    echo "pg_hba.conf ($hba) does not allow replication and is not writable here: add" \
      "'host replication all 127.0.0.1/32 trust' and run SELECT pg_reload_conf()" >&2
    exit 2
  fi
  printf '%s\nhost replication all 127.0.0.1/32 trust\n' "$MARK" >>"$hba"
  primary_sql "SELECT pg_reload_conf()" >/dev/null
  echo "added to $hba: host replication all 127.0.0.1/32 trust (reloaded; nothing else changed)"
}

disallow_replication() {
  local hba
  hba=$(primary_sql "SHOW hba_file")
  if [ -w "$hba" ] && grep -qF "$MARK" "$hba"; then
    # The marker and the one line after it, exactly as setup wrote them.
    awk -v mark="$MARK" '$0 == mark { skip = 2 } skip > 0 { skip--; next } { print }' "$hba" >"$hba.docket-tmp"
    cat "$hba.docket-tmp" >"$hba"  # in place: keeps the file's owner and mode
    rm -f "$hba.docket-tmp"
    primary_sql "SELECT pg_reload_conf()" >/dev/null
    echo "removed the replication line from $hba (reloaded)"
  fi
}

setup() {
  check_primary
  if replica_running; then
    echo "a replica is already running in $REPLICA_DIR on port $REPLICA_PORT"
    status
    return
  fi
  allow_replication
  if [ -e "$REPLICA_DIR" ]; then
    echo "$REPLICA_DIR exists but no server runs there: run teardown first" >&2
    exit 2
  fi
  install -d -o postgres -g postgres -m 700 "$REPLICA_DIR"
  echo "pg_basebackup of the whole cluster into $REPLICA_DIR ..."
  local started=$SECONDS
  # -R writes standby.signal and primary_conninfo; -X stream copies the WAL written meanwhile.
  as_pg pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" \
    -D "$REPLICA_DIR" -R -X stream -c fast
  echo "basebackup took $((SECONDS - started)) s, $(du -sh "$REPLICA_DIR" | cut -f1)"
  # Debian keeps the configuration outside the data directory, so the copy has none; the
  # replica gets its own. Hot-standby requires these limits at least as high as the primary's.
  local max_conn max_workers max_locks max_prep
  max_conn=$(primary_sql "SHOW max_connections")
  max_workers=$(primary_sql "SHOW max_worker_processes")
  max_locks=$(primary_sql "SHOW max_locks_per_transaction")
  max_prep=$(primary_sql "SHOW max_prepared_transactions")
  as_pg tee "$REPLICA_DIR/postgresql.conf" >/dev/null <<CONF
# Written by bench/replica/replica.sh: a hot standby of $PRIMARY_HOST:$PRIMARY_PORT.
listen_addresses = '127.0.0.1'
port = $REPLICA_PORT
unix_socket_directories = '$REPLICA_DIR'
max_connections = $max_conn
max_worker_processes = $max_workers
max_locks_per_transaction = $max_locks
max_prepared_transactions = $max_prep
shared_buffers = 128MB
hot_standby = on
hot_standby_feedback = off
wal_receiver_status_interval = 1s
autovacuum = off
fsync = on
timezone = 'Etc/UTC'
log_timezone = 'Etc/UTC'
datestyle = 'iso, mdy'
default_text_search_config = 'pg_catalog.english'
lc_messages = 'C.UTF-8'
log_line_prefix = '%m [%p] replica %q%u@%d '
CONF
  as_pg tee "$REPLICA_DIR/pg_hba.conf" >/dev/null <<'HBA'
local all all trust
host all all 127.0.0.1/32 trust
HBA
  as_pg touch "$REPLICA_DIR/pg_ident.conf"
  start
}

start() {
  if replica_running; then
    echo "replica already running on port $REPLICA_PORT"
    return
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" -l "$REPLICA_DIR/replica.log" -w -t 120 start >/dev/null
  echo "replica started on 127.0.0.1:$REPLICA_PORT (log $REPLICA_DIR/replica.log)"
  # Streaming starts a moment after the server accepts connections.
  for _ in $(seq 1 60); do
    if [ "$(replica_sql "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'")" = 1 ]; then
      status
      return
    fi
    sleep 0.5
  done
  echo "the replica runs but does not stream; see $REPLICA_DIR/replica.log" >&2
  exit 1
}

stop() {
  if replica_running; then
    as_pg "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" -m fast -w stop >/dev/null
    echo "replica on port $REPLICA_PORT stopped"
  else
    echo "no replica running in $REPLICA_DIR"
  fi
}

status() {
  primary_sql "SELECT 'primary sees: ' || application_name || ' ' || state || ' sent=' || sent_lsn || ' replayed=' || replay_lsn || ' replay_lag=' || coalesce(replay_lag::text, '0') FROM pg_stat_replication" || true
  if replica_running; then
    replica_sql "SELECT 'replica: in_recovery=' || pg_is_in_recovery() || ' replay_paused=' || pg_is_wal_replay_paused() || ' last_replayed=' || pg_last_wal_replay_lsn()"
    echo "DOCKET_TEST_REPLICA_URL=postgres://$PRIMARY_USER@127.0.0.1:$REPLICA_PORT/"
  else
    echo "replica: not running"
  fi
}

teardown() {
  stop
  if [ -e "$REPLICA_DIR" ]; then
    if ! grep -qs "Written by bench/replica/replica.sh" "$REPLICA_DIR/postgresql.conf" \
      && [ ! -f "$REPLICA_DIR/standby.signal" ]; then
      echo "$REPLICA_DIR is not a replica this script made: not deleted" >&2
      exit 2
    fi
    rm -rf -- "$REPLICA_DIR"
    echo "deleted $REPLICA_DIR"
  fi
  disallow_replication
}

case "${1:-}" in
  setup) setup ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  teardown) teardown ;;
  *)
    echo "usage: $0 setup|status|stop|start|teardown" >&2
    exit 64
    ;;
esac
