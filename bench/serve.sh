#!/usr/bin/env bash
# aidis serve: latency of the page's main endpoints and the time until the
# first page shows its sessions, on a scale-set database (docs/serve.md).
#
#   bench/scale.sh --keep [--scale-small]     make the scale set, keep its database
#   bench/serve.sh --db NAME [--calls N]      measure against it (PGHOST/PGPORT/PGUSER)
#   bench/serve.sh --smoke                    a small set of its own (1 000 sessions,
#                                             100 000 events, dropped after), 20 calls;
#                                             the cluster in PGHOST/PGPORT, else a throwaway one
#
# Latency is the time until the whole answer is in, as curl sees it over
# loopback (the server's whole work: HTTP, the SQL call, JSON), N calls per
# endpoint on random sessions, after one warm-up round; p50 and p95 in ms.
# Every endpoint is called as the page calls it (the timeline: the page asks
# for up to 10 000 events at once, worker/web/details.js); the timeline also
# on the sessions with the most events. The first list: Debian's chromium
# (test/browser's playwright-core) from navigation start until the table has
# its rows, median of 5 loads. Exits non-zero when an endpoint does not
# answer 200; never on timings.
set -euo pipefail
db= calls= smoke=0
while (($#)); do
  case $1 in
    --db) db=$2; shift ;;
    --calls) calls=$2; shift ;;
    --smoke) smoke=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "bench/serve.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
bin=${AIDIS_BIN:-$REPO_ROOT/build/aidis}
if ((smoke)); then
  calls=${calls:-20}
  source "$REPO_ROOT/bench/lib.sh"
  bench_cluster 1
  bench_db aidis_serve
  db=$BENCH_DB
  t0=$SECONDS
  q -v sessions=1000 -v events=100000 -v projects=10 -f "$BENCH_DIR/scale.sql" >/dev/null
  for ((c = 0; c < 10; c++)); do
    q -v lo=$((c * 100 + 1)) -v hi=$(((c + 1) * 100)) -f "$BENCH_DIR/scale_events.sql" >/dev/null
  done
  q -c 'DROP TABLE bench.gen, bench.gen_files' -c 'VACUUM (ANALYZE)' >/dev/null
  echo "smoke set generated in $((SECONDS - t0)) s"
fi
calls=${calls:-200}
[[ -n $db ]] || { echo "bench/serve.sh: --db NAME is required (bench/scale.sh --keep makes one), or --smoke" >&2; exit 2; }
: "${PGHOST:?PGHOST/PGPORT of the cluster holding the database}"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
work=$(mktemp -d /tmp/aidis-bench-serve.XXXXXX)
"$bin" serve -d "dbname=$db" --listen "127.0.0.1:$port" 2>"$work/serve.log" </dev/null &
pid=$!
stop_serve() { kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"; }
if ((smoke)); then
  # lib.sh's cleanup drops the database (and a throwaway cluster), exits with the status.
  trap 'rc=$?; set +e; stop_serve; (exit $rc); _bench_cleanup' EXIT
else
  trap stop_serve EXIT
fi
for _ in $(seq 100); do curl -s -o /dev/null "$url/" && break; sleep 0.1; done
curl -s -o /dev/null "$url/" || { echo "bench/serve.sh: aidis serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }

n=$(psql -XAtq -d "$db" -c "SELECT count(*) FROM aidis.session_base")
echo "=== aidis serve on $db: $n sessions, $calls calls per endpoint; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
psql -XAtq -d "$db" -c "SELECT id FROM aidis.session_base ORDER BY random() LIMIT $calls" >"$work/ids"
# The sessions with the most activity: the longest timelines.
psql -XAtq -d "$db" -c "SELECT id FROM aidis.sessions ORDER BY activity_count DESC LIMIT $calls" >"$work/big"
events=$(psql -XAtq -d "$db" -c "SELECT min(n) || '-' || max(n) FROM (SELECT count(*) AS n FROM aidis.session_activities
                                 WHERE session_id IN ($(sed "s/.*/'&'/" "$work/big" | paste -sd,)) GROUP BY session_id) x")

# measure NAME PATH-TEMPLATE [IDS-FILE]: {id} is replaced by each session's
# id (random sessions by default).
measure() {
  local name=$1 tmpl=$2 ids=${3:-$work/ids} id
  : >"$work/t"
  for round in warm timed; do
    while read -r id; do
      t=$(curl -s -o /dev/null -w '%{time_total} %{http_code}' "$url/api/${tmpl//\{id\}/$id}")
      [[ ${t#* } == 200 ]] || { echo "bench/serve.sh: $name answered ${t#* }" >&2; exit 1; }
      [[ $round == warm ]] || echo "${t% *}" >>"$work/t"
    done <"$ids"
  done
  sort -n "$work/t" | awk -v name="$name" '{ v[NR] = $1 * 1000 }
    END { printf "%-46s p50 %6.2f ms   p95 %6.2f ms\n", name, v[int(NR * 0.5 + 0.5)], v[int(NR * 0.95 + 0.5)] }'
}
measure "list (first page, 50)" "sessions?limit=50"
measure "list, status filter" "sessions?status=inactive&limit=50"
measure "details" "sessions/{id}"
measure "timeline, as the page asks (up to 10000)" "sessions/{id}/timeline?limit=10000"
measure "timeline, the longest ($events events)" "sessions/{id}/timeline?limit=10000" "$work/big"
measure "contexts page (20)" "sessions/{id}/contexts?limit=20"

(cd "$REPO_ROOT/test/browser" && [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error >/dev/null)
URL=$url node "$REPO_ROOT/bench/serve_first_list.mjs"
