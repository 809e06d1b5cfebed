#!/usr/bin/env bash
# `aidis sessions export` streams: the peak memory of the binary exporting
# 10 000 sessions is that of exporting 1 000 (within 4 MB), and small.
# Peak resident set size from /usr/bin/time -v. Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}"
REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
AIDIS_BIN=${AIDIS_BIN:-$REPO_ROOT/build/aidis}
db=aidis_exp_mem
WORK=$(mktemp -d /tmp/aidis-export-mem.XXXXXX)
trap 'rm -rf "$WORK"; dropdb --if-exists --force $db >/dev/null 2>&1' EXIT
dropdb --if-exists --force $db >/dev/null 2>&1
q() { psql -X -q -v ON_ERROR_STOP=1 -d $db -Atc "$1"; }
echo "1..4"
createdb $db && q "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions CASCADE"
# Ended sessions of 2020 with four events each, written directly (as the owner).
q "SELECT aidis.create_project('mem', is_default => true);
   INSERT INTO aidis.session_base (display_id, title, project_id, agent, status, end_reason, started_at,
                                   last_activity_at, ended_at, active_seconds)
   SELECT format('SES-2020-%s', lpad(g::text, 5, '0')), 'Session ' || g,
          (SELECT id FROM aidis.projects WHERE name = 'mem'), 'bench', 'inactive', 'ended',
          t, t + interval '30 s', t + interval '30 s', 30
   FROM generate_series(1, 10000) g, LATERAL (SELECT '2020-01-01'::timestamptz + g * interval '1 minute') x(t);
   INSERT INTO aidis.session_activities (session_id, project_id, occurred_at, kind, summary)
   SELECT b.id, b.project_id, b.started_at + k * interval '5 s',
          (ARRAY['session_started', 'tokens_recorded', 'file_touched', 'session_ended'])[k + 1], 'event ' || k
   FROM aidis.session_base b, generate_series(0, 3) k" >/dev/null

# peak N: exports the first N sessions (by start) and prints "lines kB".
peak() {
  local since
  since=$(q "SELECT started_at FROM aidis.session_base ORDER BY started_at DESC OFFSET $(($1 - 1)) LIMIT 1")
  /usr/bin/time -v -o "$WORK/time.$1" "$AIDIS_BIN" -d "dbname=$db" sessions export --format jsonl \
    --since "$since" -o "$WORK/out.$1" || return 1
  echo "$(wc -l <"$WORK/out.$1") $(awk -F': ' '/Maximum resident/ {print $2}' "$WORK/time.$1")"
}
read -r small_n small_kb < <(peak 1000)
read -r large_n large_kb < <(peak 10000)
[[ $small_n == 1000 ]] && echo "ok 1 - 1 000 sessions exported" || echo "not ok 1 - 1 000 sessions exported (got $small_n)"
[[ $large_n == 10000 ]] && echo "ok 2 - 10 000 sessions exported" || echo "not ok 2 - 10 000 sessions exported (got $large_n)"
echo "# peak RSS: ${small_kb} kB for 1 000, ${large_kb} kB for 10 000"
if ((large_kb <= small_kb + 4096)); then echo "ok 3 - peak memory does not grow with the number of sessions"
else echo "not ok 3 - peak memory does not grow with the number of sessions"; fi
if ((large_kb < 65536)); then echo "ok 4 - peak memory under 64 MB"; else echo "not ok 4 - peak memory under 64 MB"; fi
