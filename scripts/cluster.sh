#!/usr/bin/env bash
# Throwaway PostgreSQL 15 clusters, for tests and local runs.
#
#   scripts/cluster.sh start [DIR]   init (if needed) and start a cluster in DIR (default: mktemp -d)
#   scripts/cluster.sh stop DIR      stop it and remove DIR
#
# Or `source` this file and call cluster_start DIR / cluster_stop DIR
# (and pgbouncer_start / pgbouncer_stop for a PgBouncer in front of one).
# DIR holds data/, the unix socket, server.log and `env` (PGHOST, PGPORT, PGUSER to source).
# As root, the server runs as the `postgres` OS user (initdb refuses root).
# The system cluster 15/main is never touched: we only use our own data dir and ports 54320+.

# Prefer PostgreSQL 15 even if a newer server-dev is installed; `make` uses the same one.
if [[ -z ${PG_CONFIG:-} ]]; then
  if [[ -x /usr/lib/postgresql/15/bin/pg_config ]]; then PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
  else PG_CONFIG=pg_config; fi
fi
export PG_CONFIG

_cl_bindir() {
  "$PG_CONFIG" --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin
}

# Run a server-side command as the cluster owner. `cd /` because postgres may not
# be able to read the caller's working directory.
_cl_run() {
  if ((EUID == 0)); then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# True when nothing accepts TCP connections on 127.0.0.1:$1 (bash /dev/tcp: no `ss` needed).
_cl_port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

cluster_start() {
  local dir=${1:?usage: cluster_start DIR}
  mkdir -p "$dir" && dir=$(cd "$dir" && pwd -P) || return 1
  local data=$dir/data bin log=$dir/server.log
  bin=$(_cl_bindir)
  # Marker: cluster_stop only ever deletes directories carrying it.
  touch "$dir/.aidis-cluster" || return 1

  if [[ -f $data/PG_VERSION ]] && _cl_run "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    echo "cluster: already running in $dir"
    return 0
  fi

  if ((EUID == 0)); then
    chown postgres: "$dir" || return 1
    if ! _cl_run test -w "$dir"; then
      echo "cluster: user postgres cannot reach $dir (a parent directory is not world-executable?)" >&2
      return 1
    fi
  fi

  if [[ ! -f $data/PG_VERSION ]]; then
    local locale_opt=--locale=C.UTF-8
    locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' || locale_opt=--no-locale
    if ! _cl_run "$bin/initdb" -D "$data" --auth=trust --username=postgres -E UTF8 "$locale_opt" \
        >"$dir/initdb.log" 2>&1; then
      echo "cluster: initdb failed:" >&2; cat "$dir/initdb.log" >&2
      return 1
    fi
    _cl_run tee -a "$data/postgresql.conf" >/dev/null <<EOF || return 1

# --- added by scripts/cluster.sh (port is rewritten on each start) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'aidis'
max_connections = 100
log_min_messages = warning
logging_collector = off
EOF
  fi

  # Pick the first free port from 54320. Another run may grab the same port between
  # our check and the server's bind, so retry with the next port when the bind fails.
  local port=54320 before
  for _ in 1 2 3 4 5; do
    while ! _cl_port_free "$port"; do
      ((++port < 54520)) || { echo "cluster: no free port in 54320-54519" >&2; return 1; }
    done
    _cl_run sed -i '/^port = /d' "$data/postgresql.conf" &&
      echo "port = $port" | _cl_run tee -a "$data/postgresql.conf" >/dev/null || return 1
    before=0; [[ ! -f $log ]] || before=$(wc -l <"$log")
    if _cl_run "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >"$dir/pg_ctl.out" 2>&1; then
      echo "export PGHOST=$dir PGPORT=$port PGUSER=postgres" >"$dir/env"
      echo "cluster: running in $dir on port $port (source $dir/env)"
      return 0
    fi
    tail -n +"$((before + 1))" "$log" 2>/dev/null | grep -q 'Address already in use' || break
    port=$((port + 1))
  done
  echo "cluster: server did not start:" >&2
  cat "$dir/pg_ctl.out" >&2 2>/dev/null
  echo "--- end of $log:" >&2
  tail -n 30 "$log" >&2 2>/dev/null
  return 1
}

# Stop the cluster in DIR (if running) and remove DIR. Safe to call on any failure
# path: a missing or empty DIR is fine, and DIR is only deleted if cluster_start made it.
cluster_stop() {
  local dir=${1:-} real bin
  [[ -n $dir && ( -e $dir || -L $dir ) ]] || return 0
  real=$(realpath -e "$dir" 2>/dev/null) || { rm -f "$dir"; return 0; }  # dangling link
  rmdir "$real" 2>/dev/null && return 0                                    # empty dir
  if [[ ! -e $real/.aidis-cluster ]]; then
    echo "cluster: $dir was not made by cluster.sh; not removing it" >&2
    return 1
  fi
  if [[ -f $real/data/postmaster.pid ]]; then
    bin=$(_cl_bindir)
    _cl_run "$bin/pg_ctl" -D "$real/data" -w -t 60 stop -m fast >/dev/null 2>&1 ||
      _cl_run "$bin/pg_ctl" -D "$real/data" -w -t 30 stop -m immediate >/dev/null 2>&1 || true
  fi
  rm -rf "$real"
  [[ ! -L $dir ]] || rm -f "$dir"
  return 0
}

# Restart the cluster in DIR; MODE immediate simulates a crash (recovery on start).
cluster_restart() {
  local dir=${1:?usage: cluster_restart DIR [fast|immediate]} mode=${2:-fast}
  _cl_run "$(_cl_bindir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 restart -m "$mode" >/dev/null
}

# pgbouncer_start DIR DB POOL_SIZE [SETTING...]: PgBouncer in transaction mode on a
# free port of 127.0.0.1, in front of database DB of the cluster in PGHOST/PGPORT
# (trust auth, user PGUSER), with its ini, log and pid file in DIR (run as the cluster's
# OS user when root); each SETTING is one more `name = value` line of [pgbouncer].
# Sets PGBOUNCER_PORT. Returns 1 when pgbouncer is not installed or does not listen
# within 5 s (what it printed is in DIR/start.log). Stop it with pgbouncer_stop DIR.
pgbouncer_start() {
  local dir=${1:?usage: pgbouncer_start DIR DB POOL_SIZE [SETTING...]} db=${2:?} size=${3:?} bin
  shift 3
  bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  [[ -x $bin ]] || return 1
  PGBOUNCER_PORT=$((RANDOM % 2000 + 56400))
  while ! _cl_port_free "$PGBOUNCER_PORT"; do PGBOUNCER_PORT=$((PGBOUNCER_PORT + 1)); done
  {
    echo "[databases]"
    echo "$db = host=$PGHOST port=$PGPORT user=${PGUSER:-postgres} dbname=$db"
    echo "[pgbouncer]"
    printf '%s\n' "listen_addr = 127.0.0.1" "listen_port = $PGBOUNCER_PORT" "unix_socket_dir =" \
      "auth_type = trust" "auth_file = $dir/users.txt" "pool_mode = transaction" \
      "default_pool_size = $size" "max_client_conn = 100" "$@" \
      "ignore_startup_parameters = extra_float_digits" \
      "logfile = $dir/pgbouncer.log" "pidfile = $dir/pgbouncer.pid"
  } >"$dir/pgbouncer.ini" || return 1
  echo "\"${PGUSER:-postgres}\" \"\"" >"$dir/users.txt"
  ((EUID != 0)) || chown -R postgres: "$dir"
  _cl_run "$bin" -d "$dir/pgbouncer.ini" >"$dir/start.log" 2>&1 || return 1
  for _ in $(seq 50); do _cl_port_free "$PGBOUNCER_PORT" || return 0; sleep 0.1; done
  return 1
}

# pgbouncer_stop DIR: stop the PgBouncer pgbouncer_start ran in DIR (DIR stays).
pgbouncer_stop() {
  [[ -f ${1:?usage: pgbouncer_stop DIR}/pgbouncer.pid ]] || return 0
  kill "$(cat "$1/pgbouncer.pid")" 2>/dev/null
  return 0
}

# CLI mode (not when sourced).
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  case ${1:-} in
    start) cluster_start "${2:-$(mktemp -d /tmp/aidis-pg.XXXXXX)}" ;;
    stop)  cluster_stop "${2:?usage: $0 stop DIR}" ;;
    *)     echo "usage: $0 start [DIR] | stop DIR" >&2; exit 2 ;;
  esac
fi
