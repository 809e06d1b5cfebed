# Shared by the bench scripts (sourced, not run).
#
# bench_args SPEC... -- ARG...: parses the script's command line (see below).
# bench_make_install: make install of the extension (a script's --build).
# bench_start REUSE PREFIX: bench_cluster, bench_db, then the report's header
#   (bench_machine, bench_version).
# bench_cluster REUSE: a cluster to measure on. With REUSE=1 and PGHOST/PGPORT
#   already exported (scripts/test.sh does that), that cluster is used;
#   otherwise a throwaway one is started (scripts/cluster.sh) and stopped on exit.
# bench_db PREFIX: creates a database of our own (dropped on exit), sets BENCH_DB.
# q ARGS: psql on BENCH_DB, quiet, stops on the first error.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=${REPO_ROOT:-$(cd "$BENCH_DIR/.." && pwd)}
source "$REPO_ROOT/scripts/cluster.sh" # sets PG_CONFIG (PostgreSQL 15)
PATH=$(_cl_bindir):$PATH

# bench_args SPEC... -- ARG...: a bench script's command line. Each SPEC is
#   --flag=ASSIGNMENTS  a flag; given, it makes the assignments (separated by
#                       spaces, e.g. '--smoke=sessions=1000 rows=20000'; '--flag=': none)
#   --option:VAR        an option with a value, assigned to VAR
#   --option@FUNCTION   the rest of the command line is FUNCTION's: it is called
#                       with this option and every argument after it
# -h and --help print the comment at the top of the script and exit; any other
# argument, or an option without its value, is an error (exit 2).
bench_args() {
  local -A flag=() value=() hand=()
  local spec word me="bench/${0##*/}"
  while (($#)) && [[ $1 != -- ]]; do
    spec=$1
    case $spec in
      --*=*) flag[${spec%%=*}]=${spec#*=} ;;
      --*:*) value[${spec%%:*}]=${spec#*:} ;;
      --*@*) hand[${spec%%@*}]=${spec#*@} ;;
      *) echo "bench_args: bad SPEC $spec" >&2; exit 2 ;;
    esac
    shift
  done
  shift # --
  while (($#)); do
    if [[ $1 == -h || $1 == --help ]]; then
      sed -n '2,/^[^#]/{/^#/p}' "$0" # the comment at the top, after the #! line
      exit 0
    elif [[ $1 == --* && -v flag[$1] ]]; then
      for word in ${flag[$1]}; do declare -g "$word"; done
    elif [[ $1 == --* && -v value[$1] ]]; then
      (($# > 1)) || { echo "$me: $1 needs a value (see --help)" >&2; exit 2; }
      declare -g "${value[$1]}=$2"
      shift
    elif [[ $1 == --* && -v hand[$1] ]]; then
      "${hand[$1]}" "$@"
      return
    else
      echo "$me: unknown argument $1 (see --help)" >&2
      exit 2
    fi
    shift
  done
}

bench_make_install() {
  echo "=== make install"
  make -C "$REPO_ROOT" -j2 install PG_CONFIG="$PG_CONFIG" >/dev/null
}

BENCH_CLUSTER_DIR= BENCH_DB= BENCH_CHILD=
_bench_cleanup() {
  local rc=$?
  set +e
  [[ -z $BENCH_CHILD ]] || kill "$BENCH_CHILD" 2>/dev/null
  _bench_stop_pgbouncer
  if [[ -n $BENCH_DB ]]; then
    psql -d postgres -qX -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1
  fi
  if [[ -n $BENCH_CLUSTER_DIR ]]; then
    if ((rc != 0)) && [[ -f $BENCH_CLUSTER_DIR/server.log ]]; then
      echo "--- last lines of the server log" >&2
      tail -n 30 "$BENCH_CLUSTER_DIR/server.log" >&2
    fi
    cluster_stop "$BENCH_CLUSTER_DIR"
  fi
  exit "$rc"
}

bench_cluster() {
  local reuse=${1:-0}
  trap _bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if ((reuse)) && [[ -n ${PGHOST:-} && -n ${PGPORT:-} ]]; then
    echo "cluster: using the running one (PGHOST=$PGHOST PGPORT=$PGPORT)"
    export PGUSER=${PGUSER:-postgres}
    return 0
  fi
  BENCH_CLUSTER_DIR=$(mktemp -d /tmp/aidis-bench.XXXXXX)
  chmod 755 "$BENCH_CLUSTER_DIR"
  cluster_start "$BENCH_CLUSTER_DIR" >/dev/null
  # shellcheck disable=SC1091
  source "$BENCH_CLUSTER_DIR/env"
  export PGHOST PGPORT PGUSER
  # cluster.sh preloads pg_cron for the database "aidis": without it the cron
  # launcher restarts every second (noise in the measurements).
  psql -d postgres -qX -c 'CREATE DATABASE aidis' >/dev/null 2>&1 || true
  echo "cluster: throwaway, in $BENCH_CLUSTER_DIR (port $PGPORT)"
}

bench_db() {
  BENCH_DB=${1:-aidis_bench}_$$
  export PGDATABASE=$BENCH_DB
  psql -d postgres -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $BENCH_DB" >/dev/null
  q -c 'CREATE EXTENSION aidis_sessions CASCADE' 2>&1 | grep -v 'NOTICE:  installing required' || true
  q -Atc "SELECT 1 FROM pg_extension WHERE extname = 'aidis_sessions'" | grep -q 1 ||
    { echo "bench: could not create extension aidis_sessions (run make install, or pass --build)" >&2; return 1; }
}

q() { psql -X -q -v ON_ERROR_STOP=1 -d "$BENCH_DB" "$@"; }

bench_start() {
  bench_cluster "$1"
  bench_db "$2"
  bench_machine
  bench_version
}

# The machine and the server settings, for the report.
bench_machine() {
  echo "machine: $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), RAM $(free -h | awk '/^Mem:/ {print $2}')," \
       "disk $(df -h "${BENCH_CLUSTER_DIR:-/tmp}" | awk 'NR == 2 {print $1 " (" $2 ")"}'), load $(cut -d' ' -f1-3 /proc/loadavg)"
  q -Atc "SELECT 'server: ' || split_part(version(), ' on ', 1) || '; ' || string_agg(name || '=' || setting || COALESCE(unit, ''), ', ' ORDER BY name)
          FROM pg_settings WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'wal_sync_method',
            'max_wal_size', 'checkpoint_timeout', 'full_page_writes', 'wal_level', 'work_mem', 'jit', 'autovacuum')"
}

# Which build is measured: the installed library and the source commit.
bench_version() {
  echo "extension: $(q -At -c "SELECT extversion FROM pg_extension WHERE extname = 'aidis_sessions'")," \
       "library $(stat -c '%y' "$("$PG_CONFIG" --pkglibdir)/aidis_sessions.so" | cut -d. -f1)," \
       "source $(git -C "$REPO_ROOT" log -1 --format='%h %cd' --date=format:'%F %T' 2>/dev/null || echo unknown)"
}

# bench_pgbouncer POOL_SIZE: PgBouncer in transaction mode in front of
# BENCH_DB on a free port (scripts/cluster.sh's pgbouncer_start), stopped on
# exit; sets PGBOUNCER_PORT. Returns 1 when pgbouncer is not installed.
BOUNCER_DIR=
bench_pgbouncer() {
  BOUNCER_DIR=$(mktemp -d /tmp/aidis-bouncer.XXXXXX)
  chmod 755 "$BOUNCER_DIR"
  pgbouncer_start "$BOUNCER_DIR" "$BENCH_DB" "$1"
}
_bench_stop_pgbouncer() {
  [[ -z $BOUNCER_DIR ]] && return 0
  pgbouncer_stop "$BOUNCER_DIR"
  rm -rf "$BOUNCER_DIR"
}

# CPU time (in clock ticks) of the server so far: every process of the
# cluster, those that have exited (the postmaster's cutime + cstime) and those
# still running (PgBouncer keeps its server connections). Prints nothing when
# /proc does not show the postmaster.
bench_server_ticks() {
  local pid
  pid=$(head -1 "$(psql -XAtc 'SHOW data_directory' 2>/dev/null)/postmaster.pid" 2>/dev/null) || return 0
  [[ -r /proc/$pid/stat ]] || return 0
  # Fields after the command name (which has no spaces for postgres): ppid is
  # field 4, utime 14, stime 15, cutime 16, cstime 17.
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } |  # processes may exit meanwhile
    awk -v pm="$pid" '$1 == pm { t += $14 + $15 + $16 + $17 } $4 == pm { t += $14 + $15 } END { print t }'
}
