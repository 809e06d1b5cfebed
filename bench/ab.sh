#!/usr/bin/env bash
# Before and after in one run: every write path of bench/run.sh, for two
# builds of the extension, in interleaved rounds so that both see the same
# machine.
#
#   bench/ab.sh PG_CONFIG_BEFORE PG_CONFIG_AFTER [--rounds N] [--seconds S]
#
# Each PG_CONFIG names a PostgreSQL 15 installation with its build of
# aidis_sessions installed (`make install PG_CONFIG=...`, e.g. in a copy of
# the server made for it). Every round runs `bench/run.sh --smoke` (the paths
# explicit ids, bound, unbound, unbound with a project id, unbound with 10
# active sessions, PgBouncer in transaction mode; 1 and 4 clients) on a
# throwaway cluster of each build, alternating which goes first, with S
# seconds per measurement. Prints each path's median ratio (tracked / bare
# tps of the same run) over the rounds, and their range, before and after.
set -euo pipefail

usage='usage: bench/ab.sh PG_CONFIG_BEFORE PG_CONFIG_AFTER [--rounds N] [--seconds S]'
before=${1:?$usage} after=${2:?$usage}
shift 2
rounds=3 seconds=3
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    *) echo "bench/ab.sh: unknown argument $1 ($usage)" >&2; exit 2 ;;
  esac
  shift
done

bench=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/aidis-ab.XXXXXX)
trap 'rm -rf "$out"' EXIT

for ((r = 1; r <= rounds; r++)); do
  order=(before after)
  ((r % 2)) || order=(after before)
  for side in "${order[@]}"; do
    config=$before
    [[ $side == before ]] || config=$after
    echo "round $r: $side ($config)"
    # A throwaway cluster of that build (not one exported in PGHOST/PGPORT).
    env -u PGHOST -u PGPORT PG_CONFIG="$config" \
      bash "$bench/run.sh" --smoke --rounds 1 --seconds "$seconds" >"$out/$side.$r" 2>&1 ||
      { cat "$out/$side.$r" >&2; exit 1; }
  done
done

# The ratio lines of bench/run.sh: "1 client (tps) | tracked | 0.71x [..] | target ...".
echo
printf '%-22s %-16s %8s %-13s %8s %-13s\n' clients path before '(range)' after '(range)'
for side in before after; do
  cat "$out/$side".* | awk -F'|' -v side="$side" '/ client/ && /x \[/ {
    gsub(/^ +| +$/, "", $1); gsub(/^ +| +$/, "", $2); split($3, v, "x"); print side "\t" $1 "\t" $2 "\t" v[1] + 0 }'
done | sort -t$'\t' -k2,2 -k3,3 -k1,1 -k4,4n | awk -F'\t' '
  { key = $2 "\t" $3; n[key, $1]++; v[key, $1, n[key, $1]] = $4; if (!(key in seen)) { seen[key] = 1; keys[++k] = key } }
  function med(key, side,   c) { c = n[key, side]; return c % 2 ? v[key, side, (c + 1) / 2] : (v[key, side, c / 2] + v[key, side, c / 2 + 1]) / 2 }
  function range(key, side) { return sprintf("[%.2f-%.2f]", v[key, side, 1], v[key, side, n[key, side]]) }
  END { for (i = 1; i <= k; i++) { split(keys[i], p, "\t")
          printf "%-22s %-16s %7.2fx %-13s %7.2fx %-13s\n", p[1], p[2], med(keys[i], "before"), range(keys[i], "before"),
                 med(keys[i], "after"), range(keys[i], "after") } }'
