#!/usr/bin/env bash
# Exact counters under concurrency (rule 5, rule 7): parallel writers with
# savepoints, rollbacks, deletes and moves, concurrent sweeps and folds, and
# a crash (immediate restart) in the middle; afterwards every counter equals
# its recount. Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}" "${REPO_ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}"
source "$REPO_ROOT/scripts/cluster.sh"
export PGDATABASE=aidis_concurrency
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1' EXIT

n=0 failed=0
ok() { n=$((n + 1)); if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
q() { psql -X -q -v ON_ERROR_STOP=1 -Atc "$1"; }

echo "1..10"
dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1
createdb "$PGDATABASE" && q "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions CASCADE" >/dev/null
q "SELECT aidis.create_project('conc-a'); SELECT aidis.create_project('conc-b')" >/dev/null
s1=$(q "SELECT id FROM aidis.start_session(agent => 'bench', client_key => 'c1', project => 'conc-a')")
s2=$(q "SELECT id FROM aidis.start_session(agent => 'bench', client_key => 'c2', project => 'conc-b')")

# Writers: explicit and stamped rows, savepoint rollbacks, whole-transaction
# rollbacks, task transitions, deletes, moves between sessions, usage.
cat >"$work/writer.sql" <<'SQL'
\set r random(1, 20)
\set pick random(1, 2)
BEGIN;
INSERT INTO aidis.contexts (session_id, content) VALUES (CASE :pick WHEN 1 THEN :s1::uuid ELSE :s2::uuid END, 'ctx');
SAVEPOINT a;
INSERT INTO aidis.tasks (session_id, title) VALUES (CASE :pick WHEN 1 THEN :s1::uuid ELSE :s2::uuid END, 'task');
\if :r <= 4
ROLLBACK TO SAVEPOINT a;
\endif
INSERT INTO aidis.decisions (title) VALUES ('stamped decision');
UPDATE aidis.tasks SET status = CASE status WHEN 'completed' THEN 'in_progress' ELSE 'completed' END
WHERE id = (SELECT id FROM aidis.tasks TABLESAMPLE SYSTEM (50) LIMIT 1 FOR UPDATE SKIP LOCKED);
\if :r = 5
DELETE FROM aidis.contexts WHERE id = (SELECT id FROM aidis.contexts LIMIT 1 FOR UPDATE SKIP LOCKED);
\endif
\if :r = 6
UPDATE aidis.contexts SET session_id = CASE :pick WHEN 1 THEN :s2::uuid ELSE :s1::uuid END
WHERE id = (SELECT id FROM aidis.contexts LIMIT 1 FOR UPDATE SKIP LOCKED);
\endif
SELECT aidis.record_usage(10, 5, s => CASE :pick WHEN 1 THEN :s1 ELSE :s2 END);
\if :r >= 19
ROLLBACK;
\else
COMMIT;
\endif
SQL
cat >"$work/sweeper.sql" <<'SQL'
SELECT aidis.expire_idle_sessions();
SELECT aidis._fold_deltas();
SELECT aidis.next_timeout_at();
SQL

# Recorded counters against recounts, plus check_counters().
verify() {
  q "SELECT count(*) FROM aidis.check_counters()" 2>&1
}
tokens_mismatch() {
  q "SELECT count(*) FROM aidis.sessions s WHERE s.input_tokens <> COALESCE((
       SELECT sum((a.data->>'input_tokens')::bigint) FROM aidis.session_activities a
       WHERE a.session_id = s.id AND a.kind = 'tokens_recorded'), 0)" 2>&1
}

pgbench -n -c 4 -j 2 -T 8 -D s1="'$s1'" -D s2="'$s2'" -f "$work/writer.sql" >"$work/w.log" 2>&1 &
writers=$!
PGOPTIONS='-c aidis.session_timeout=1s' pgbench -n -c 2 -j 1 -T 8 -f "$work/sweeper.sql" >"$work/s.log" 2>&1 &
sweepers=$!
wait $writers; w=$?
wait $sweepers; s=$?
ok $((w == 0 && s == 0 ? 0 : 1)) "4 writers and 2 sweepers ran without errors"
grep -E "number of failed|aborted" "$work/w.log" "$work/s.log" | sed 's/^/# /'
txns=$(awk '/number of transactions actually processed/ {print $NF}' "$work/w.log" | cut -d/ -f1)
echo "# writer transactions: $txns"
ok "$([[ ${txns:-0} -gt 50 ]] && echo 0 || echo 1)" "writers made progress (${txns:-0} transactions)"
ok "$([[ $(verify) == 0 ]] && echo 0 || echo 1)" "check_counters() is empty after concurrent writes and sweeps"
ok "$([[ $(tokens_mismatch) == 0 ]] && echo 0 || echo 1)" "input_tokens equal the sum of their timeline events"

# The flush updates this backend's delta row in place (src/pg/flush.cpp).
# While an old snapshot keeps its dead versions from being pruned, the page
# fills and updates stop being HOT: each new version also gets index entries.
s3=$(q "SELECT id FROM aidis.start_session(agent => 'bench', client_key => 'c3', project => 'conc-a')")
upd_before=$(q "SELECT n_tup_upd - n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'aidis.session_deltas'::regclass")
psql -X -qAtc "SELECT count(*) FROM aidis.session_base, pg_sleep(6)" >/dev/null &
holder=$!
sleep 0.5
echo "INSERT INTO aidis.contexts (session_id, content) VALUES (:s3, 'one of many commits');" >"$work/one.sql"
pgbench -n -M prepared -t 2000 -D s3="$s3" -f "$work/one.sql" >"$work/one.log" 2>&1
rc=$?
ok $rc "2000 single-row commits on one session while an old snapshot is held"
((rc == 0)) || sed 's/^/# /' "$work/one.log"
wait $holder
upd_after=$(q "SELECT n_tup_upd - n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'aidis.session_deltas'::regclass")
echo "# non-HOT delta row updates: $((upd_after - upd_before))"
ok "$([[ $((upd_after - upd_before)) -gt 0 && $(q "SELECT contexts_created FROM aidis.sessions WHERE id = '$s3'") == 2000 ]] && echo 0 || echo 1)" \
  "non-HOT updates of the delta row happened, and the session counted all 2000 rows"
ok "$([[ $(verify) == 0 ]] && echo 0 || echo 1)" "check_counters() is empty after them"

# A crash in the middle of writing loses nothing that committed and keeps
# nothing that did not.
pgbench -n -c 4 -j 2 -T 20 -D s1="'$s1'" -D s2="'$s2'" -f "$work/writer.sql" >"$work/w2.log" 2>&1 &
writers=$!
sleep 3
cluster_restart "$PGHOST" immediate
restarted=$?
wait $writers
ok $restarted "server restarted after a crash (immediate shutdown) during writes"
ok "$([[ $(verify) == 0 ]] && echo 0 || echo 1)" "check_counters() is empty after crash recovery"
ok "$([[ $(tokens_mismatch) == 0 ]] && echo 0 || echo 1)" "token counters equal their events after crash recovery"

exit $((failed > 0))
