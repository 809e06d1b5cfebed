#!/usr/bin/env bash
# aidis serve: latency of the page's main endpoints and the time until the
# first page shows its sessions, on a scale-set database (docs/serve.md).
#
#   bench/scale.sh --keep [--scale-small]     make the scale set, keep its database
#   bench/serve.sh --db NAME [--calls N]      measure against it (PGHOST/PGPORT/PGUSER)
#
# Latency is the time to the first byte of the answer as curl sees it over
# loopback (the server's whole work: HTTP, the SQL call, JSON), N calls per
# endpoint on random sessions, after one warm-up round; p50 and p95 in ms.
# The first list: Debian's chromium (test/browser's playwright-core) from
# navigation start until the table has its rows, median of 5 loads.
set -euo pipefail
db= calls=200
while (($#)); do
  case $1 in
    --db) db=$2; shift ;;
    --calls) calls=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench/serve.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -n $db ]] || { echo "bench/serve.sh: --db NAME is required (bench/scale.sh --keep makes one)" >&2; exit 2; }
: "${PGHOST:?PGHOST/PGPORT of the cluster holding the database}"
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
bin=${AIDIS_BIN:-$REPO_ROOT/build/aidis}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
work=$(mktemp -d /tmp/aidis-bench-serve.XXXXXX)
"$bin" serve -d "dbname=$db" --listen "127.0.0.1:$port" 2>"$work/serve.log" </dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "$url/" && break; sleep 0.1; done

n=$(psql -XAtq -d "$db" -c "SELECT count(*) FROM aidis.session_base")
echo "=== aidis serve on $db: $n sessions, $calls calls per endpoint; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
psql -XAtq -d "$db" -c "SELECT id FROM aidis.session_base ORDER BY random() LIMIT $calls" >"$work/ids"

# measure NAME PATH-TEMPLATE: {id} is replaced by a random session's id.
measure() {
  local name=$1 tmpl=$2 id
  : >"$work/t"
  for round in warm timed; do
    while read -r id; do
      t=$(curl -s -o /dev/null -w '%{time_starttransfer} %{http_code}' "$url/api/${tmpl//\{id\}/$id}")
      [[ ${t#* } == 200 ]] || { echo "bench/serve.sh: $name answered ${t#* }" >&2; exit 1; }
      [[ $round == warm ]] || echo "${t% *}" >>"$work/t"
    done <"$work/ids"
  done
  sort -n "$work/t" | awk -v name="$name" '{ v[NR] = $1 * 1000 }
    END { printf "%-34s p50 %6.2f ms   p95 %6.2f ms\n", name, v[int(NR * 0.5 + 0.5)], v[int(NR * 0.95 + 0.5)] }'
}
measure "list (first page, 50)" "sessions?limit=50"
measure "list, status filter" "sessions?status=inactive&limit=50"
measure "details" "sessions/{id}"
measure "timeline page (500 events)" "sessions/{id}/timeline?limit=500"
measure "contexts page (20)" "sessions/{id}/contexts?limit=20"

(cd "$REPO_ROOT/test/browser" && [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error >/dev/null)
URL=$url node "$REPO_ROOT/bench/serve_first_list.mjs"
