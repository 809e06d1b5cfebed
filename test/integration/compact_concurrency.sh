#!/usr/bin/env bash
# Compaction beside writers and the sweep: aidis.compact_activity() runs again
# and again (two at a time) while writers add rows, complete and reopen tasks
# (also of the old sessions' tasks, and rows named onto old ended sessions),
# an "ager" moves the new events of ended sessions years back (time passing),
# and sweepers run. Afterwards check_counters() is empty, every event still
# counts (sum of data.rows per session and kind before and after a final
# compaction), active sessions were never compacted, and a last run folds
# nothing. Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}" "${REPO_ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PGDATABASE=aidis_compact_concurrency
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1' EXIT

n=0 failed=0
ok() { n=$((n + 1)); if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
is() { [[ $1 == "$2" ]]; local r=$?; ok $r "$3"; ((r == 0)) || echo "# got '$1', expected '$2'"; }
q() { psql -X -q -v ON_ERROR_STOP=1 -Atc "$1"; }

echo "1..10"
dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1
createdb "$PGDATABASE" && q "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions CASCADE" >/dev/null
q "SELECT aidis.create_project('cc-a')" >/dev/null
# 12 ended sessions with 40 contexts and 10 tasks (5 completed, 2 reopened) each,
# their events spread over five days six years back (from midnight UTC, so that
# the days do not depend on the hour of the run).
for i in $(seq 1 12); do
  q "SELECT aidis.start_session(agent => 'bench', client_key => 'old$i', project => 'cc-a', bind => 'connection');
     INSERT INTO aidis.contexts (content) SELECT 'note ' || g FROM generate_series(1, 40) g;
     INSERT INTO aidis.tasks (title) SELECT 'task ' || g FROM generate_series(1, 10) g;
     UPDATE aidis.tasks SET status = 'completed' WHERE session_id = aidis._current_session_id() AND title IN ('task 1', 'task 2', 'task 3', 'task 4', 'task 5');
     UPDATE aidis.tasks SET status = 'todo' WHERE session_id = aidis._current_session_id() AND title IN ('task 1', 'task 2');
     SELECT aidis.end_session()" >/dev/null
done
old=$(q "SELECT (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '6 years') AT TIME ZONE 'UTC'")
q "UPDATE aidis.session_activities a SET occurred_at = '$old'::timestamptz + interval '12 hours' + (a.id % 5) * interval '1 day' + a.id * interval '1 s'
   FROM aidis.session_base b WHERE b.id = a.session_id AND b.status <> 'active';
   UPDATE aidis.session_base SET started_at = '$old' WHERE status <> 'active'" >/dev/null
s1=$(q "SELECT id FROM aidis.start_session(agent => 'bench', client_key => 'c1', project => 'cc-a')")

cat >"$work/writer.sql" <<'SQL'
\set r random(1, 10)
BEGIN;
INSERT INTO aidis.contexts (session_id, content) VALUES (:s1::uuid, 'ctx');
\if :r <= 3
-- A row named onto an old ended session: a new (young) event on it.
INSERT INTO aidis.contexts (session_id, content)
SELECT b.id, 'late note' FROM aidis.session_base b WHERE b.status <> 'active' ORDER BY random() LIMIT 1;
\endif
UPDATE aidis.tasks SET status = CASE status WHEN 'completed' THEN 'todo' ELSE 'completed' END
WHERE id = (SELECT id FROM aidis.tasks TABLESAMPLE SYSTEM (50) LIMIT 1 FOR UPDATE SKIP LOCKED);
\if :r = 10
ROLLBACK;
\else
COMMIT;
\endif
SQL
# Time passing: new events of ended sessions become years old; some of the
# active session's too (which must never be compacted).
cat >"$work/ager.sql" <<'SQL'
UPDATE aidis.session_activities a SET occurred_at = a.occurred_at - interval '3 years'
FROM aidis.session_base b
WHERE b.id = a.session_id AND a.occurred_at > now() - interval '1 day' AND a.kind NOT LIKE 'session\_%';
SELECT pg_sleep(0.2);
SQL
echo "CALL aidis.compact_activity('1 year');" >"$work/compact.sql"
cat >"$work/sweeper.sql" <<'SQL'
SELECT aidis.expire_idle_sessions();
SELECT aidis._fold_deltas();
SQL

pgbench -n -c 3 -j 2 -T 8 -D s1="'$s1'" -f "$work/writer.sql" >"$work/w.log" 2>&1 &
writers=$!
pgbench -n -c 1 -T 8 -f "$work/ager.sql" >"$work/a.log" 2>&1 &
ager=$!
pgbench -n -c 2 -j 1 -T 8 -f "$work/compact.sql" >"$work/c.log" 2>&1 &
compactors=$!
pgbench -n -c 1 -T 8 -f "$work/sweeper.sql" >"$work/s.log" 2>&1 &
sweeper=$!
wait $writers; w=$?
wait $ager; a=$?
wait $compactors; c=$?
wait $sweeper; s=$?
ok $((w == 0 && a == 0 && c == 0 && s == 0 ? 0 : 1)) "writers, ager, 2 compactors and a sweeper ran without errors"
((w == 0 && a == 0 && c == 0 && s == 0)) || grep -hE "error|ERROR|aborted" "$work"/*.log | head -5 | sed 's/^/# /'
runs=$(awk '/number of transactions actually processed/ {print $NF}' "$work/c.log" | cut -d/ -f1)
txns=$(awk '/number of transactions actually processed/ {print $NF}' "$work/w.log" | cut -d/ -f1)
echo "# compaction runs: $runs; writer transactions: $txns"
ok "$([[ ${runs:-0} -gt 3 && ${txns:-0} -gt 50 ]] && echo 0 || echo 1)" "compactions and writes both made progress"
# (The ager's events are about 3 years old, the fixture's 6.)
folded=$(q "SELECT count(*) FROM aidis.session_activities WHERE data ? 'compacted'
            AND occurred_at > '$old'::timestamptz + interval '1 year'")
echo "# summaries of events the ager moved meanwhile: $folded"
ok "$([[ ${folded:-0} -gt 0 ]] && echo 0 || echo 1)" "events written during the run were folded by it too"
is "$(q "SELECT count(*) FROM aidis.check_counters()")" 0 "check_counters() is empty"
is "$(q "SELECT count(*) FROM aidis.session_activities a JOIN aidis.session_base b ON b.id = a.session_id
         WHERE b.status = 'active' AND a.data ? 'compacted'")" 0 "no event of an active session was compacted"

# Every event still counts: sums of data.rows per session and kind are what a
# final compaction (after the ager's last move) keeps, and a run after it folds nothing.
q "$(cat "$work/ager.sql")" >/dev/null
sums="SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (SELECT session_id || kind || sum(COALESCE((data ->> 'rows')::bigint, 1)) AS x
      FROM aidis.session_activities GROUP BY session_id, kind) t"
before=$(q "$sums")
q "CALL aidis.compact_activity('1 year')" >/dev/null
is "$(q "$sums")" "$before" "a compaction keeps the count of every session and kind"
report=$(q "CALL aidis.compact_activity('1 year')")
is "$(grep -o '"events_removed": [0-9]*' <<<"$report")" '"events_removed": 0' "and a second run folds nothing"
# Older than that run's cut-off (not now() - 1 year: the clock moves on after it).
cutoff=$(grep -oP '"cutoff": "\K[^"]+' <<<"$report")
is "$(q "SELECT count(*) FROM (SELECT 1 FROM aidis.session_activities a JOIN aidis.session_base b ON b.id = a.session_id
         WHERE b.status <> 'active' AND a.occurred_at < '$cutoff'::timestamptz AND a.kind NOT LIKE 'session\_%'
         GROUP BY a.session_id, a.project_id, (a.occurred_at AT TIME ZONE 'UTC')::date, a.kind HAVING count(*) > 1) g")" 0 \
  "old events of ended sessions: one per session, day and kind"

# The same race made certain: a context written onto an ended session is
# flushed (its event has an id) but not committed while a task's event, with
# a higher id, commits and a run looks at the session (nothing to fold yet:
# one event per kind). The late context commits below the compacted_id that
# run set, on the day of an earlier context; the next run still folds the
# two, whether the sweep folded the late write's deltas in between (then it
# cleared compacted_id) or not (then the pending deltas open the session).
old_groups() {
  q "SELECT count(*) FROM (SELECT 1 FROM aidis.session_activities a WHERE a.session_id = '$1'
       AND a.occurred_at < now() - interval '1 year' AND a.kind NOT LIKE 'session\_%'
       GROUP BY a.project_id, (a.occurred_at AT TIME ZONE 'UTC')::date, a.kind HAVING count(*) > 1) g"
}
late_write() {  # session, sweep in between (yes/no)
  local sid=$1 line
  coproc held { psql -X -q -v ON_ERROR_STOP=1 -At 2>&1; }
  q "INSERT INTO aidis.contexts (session_id, content) VALUES ('$sid', 'before')" >/dev/null
  echo "BEGIN; INSERT INTO aidis.contexts (session_id, content) VALUES ('$sid', 'in flight');
        SELECT aidis._flush_pending(); SELECT 'flushed';" >&"${held[1]}"
  while read -r line <&"${held[0]}" && [[ $line != flushed ]]; do :; done
  q "INSERT INTO aidis.tasks (session_id, title) VALUES ('$sid', 'committed first')" >/dev/null
  q "$(cat "$work/ager.sql")" >/dev/null
  q "CALL aidis.compact_activity('1 year')" >/dev/null
  echo "COMMIT; SELECT 'committed';" >&"${held[1]}"
  while read -r line <&"${held[0]}" && [[ $line != committed ]]; do :; done
  echo "\\q" >&"${held[1]}"
  wait "$held_PID"
  [[ $2 == yes ]] && q "SELECT aidis._fold_deltas()" >/dev/null
  q "$(cat "$work/ager.sql")" >/dev/null
  q "CALL aidis.compact_activity('1 year')" >/dev/null
}
late=($(q "SELECT id FROM aidis.session_base WHERE status <> 'active' ORDER BY started_at, id LIMIT 2"))
late_write "${late[0]}" no
is "$(old_groups "${late[0]}")" 0 "a late write's event is folded by the next run (its deltas pending)"
late_write "${late[1]}" yes
is "$(old_groups "${late[1]}")" 0 "and after the sweep folded its deltas"
exit $((failed > 0))
