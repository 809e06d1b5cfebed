#!/usr/bin/env bash
# Before and after in one run: the tracking cost of two builds of the
# extension, measured side by side so that both see the same machine.
#
#   bench/ab.sh PG_CONFIG_BEFORE PG_CONFIG_AFTER [--rounds N] [--seconds S] [--clients C]
#
# Each PG_CONFIG names a PostgreSQL 15 installation with its build of
# aidis_sessions installed (`make install PG_CONFIG=...`, e.g. in a copy of
# the server made for it). One throwaway cluster runs from each; every round
# measures, on both, a bare insert and the same insert tracked with explicit
# ids, then a NULL id on a bound connection, alternating which build goes
# first. Prints each round's ratios (tracked / bare tps) and the medians.
set -euo pipefail

before=${1:?usage: bench/ab.sh PG_CONFIG_BEFORE PG_CONFIG_AFTER [--rounds N] [--seconds S] [--clients C]}
after=${2:?usage: bench/ab.sh PG_CONFIG_BEFORE PG_CONFIG_AFTER [--rounds N] [--seconds S] [--clients C]}
shift 2
rounds=4 seconds=5 clients=1
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --clients) clients=$2; shift ;;
    *) echo "bench/ab.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
dirs=()
cleanup() {
  local d
  for d in "${dirs[@]}"; do (PG_CONFIG=${d%%|*} && source "$REPO_ROOT/scripts/cluster.sh" && cluster_stop "${d#*|}"); done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start SIDE PG_CONFIG: a cluster from that installation, with the fixtures
# of bench/run.sh; sets port_SIDE, sid_SIDE, pid_SIDE, bin_SIDE.
start() {
  local side=$1 config=$2 dir env
  dir=$(mktemp -d /tmp/aidis-ab.XXXXXX) && rmdir "$dir"
  dirs+=("$config|$dir")
  (PG_CONFIG=$config && source "$REPO_ROOT/scripts/cluster.sh" && cluster_start "$dir" >/dev/null)
  env=$(cat "$dir/env")
  eval "$env"
  local bin
  bin=$("$config" --bindir)
  "$bin/psql" -qX -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -c 'CREATE DATABASE ab' >/dev/null
  "$bin/psql" -qX -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d ab \
    -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION aidis_sessions CASCADE' \
    -f "$BENCH_DIR/naive.sql" -f "$BENCH_DIR/setup.sql" >/dev/null
  local ids
  ids=$("$bin/psql" -qXAt -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d ab -c 'SELECT session_id || $$ $$ || project_id FROM bench.fixture')
  printf -v "host_$side" '%s' "$PGHOST"
  printf -v "port_$side" '%s' "$PGPORT"
  printf -v "user_$side" '%s' "$PGUSER"
  printf -v "bin_$side" '%s' "$bin"
  printf -v "sid_$side" '%s' "${ids% *}"
  printf -v "pid_$side" '%s' "${ids#* }"
  echo "$side: $("$bin/psql" -qXAt -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d ab -c \
    "SELECT 'aidis_sessions ' || extversion FROM pg_extension WHERE extname = 'aidis_sessions'") from $config"
}

# tps SIDE SCRIPT [PGOPTIONS]
tps() {
  local side=$1 script=$2 opts=${3:-} h p u b s i
  h=host_$side p=port_$side u=user_$side b=bin_$side s=sid_$side i=pid_$side
  PGOPTIONS=$opts "${!b}/pgbench" -h "${!h}" -p "${!p}" -U "${!u}" -n -M prepared -T "$seconds" -c "$clients" \
    -j "$(((clients > 1) ? 2 : 1))" -D s="${!s}" -D p="${!i}" -f "$BENCH_DIR/pgbench/$script.sql" ab 2>&1 |
    grep -m1 -oP '^tps = \K[0-9.]+'
}

start before "$before"
start after "$after"
echo "rounds $rounds, $seconds s each, $clients client(s)"
declare -A ratios
for ((r = 1; r <= rounds; r++)); do
  order=(before after)
  ((r % 2)) || order=(after before)
  for side in "${order[@]}"; do
    sid=sid_$side
    bare=$(tps "$side" bare)
    explicit=$(tps "$side" tracked)
    bound=$(tps "$side" tracked_null "-c aidis.session_id=${!sid}")
    e=$(awk -v a="$explicit" -v b="$bare" 'BEGIN { printf "%.2f", a / b }')
    n=$(awk -v a="$bound" -v b="$bare" 'BEGIN { printf "%.2f", a / b }')
    ratios[$side,explicit]+="$e " ratios[$side,bound]+="$n "
    printf 'round %d %-6s bare %8.0f tps  explicit ids %8.0f (%.2fx)  bound %8.0f (%.2fx)\n' \
      "$r" "$side" "$bare" "$explicit" "$e" "$bound" "$n"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for path in explicit bound; do
  printf 'median %-8s before %.2fx  after %.2fx\n' "$path" \
    "$(median <<<"${ratios[before,$path]}")" "$(median <<<"${ratios[after,$path]}")"
done
