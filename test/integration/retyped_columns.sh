#!/usr/bin/env bash
# The owner of a tracked table retypes or drops the columns tracking reads:
# every write then fails with a clear error (42804 wrong type, 42703 missing),
# in the connection that had already used the table, in a new one and in the
# same transaction, and the server never crashes (its log is checked).
# Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}"
export PGDATABASE=aidis_retyped
log=$PGHOST/server.log # scripts/cluster.sh logs there
log_start=$(stat -c %s "$log" 2>/dev/null || echo -1)
cleanup() { dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1; }
trap cleanup EXIT
dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1
createdb "$PGDATABASE"

q() { psql -X -q -v ON_ERROR_STOP=1 -Atc "$1"; }
# run SQL: a script in one connection; prints its output and errors as "ERROR:  <sqlstate>".
run() { psql -X -q -At -v VERBOSITY=sqlstate 2>&1 <<<"$1"; }
n=0 failed=0 crashed=0
ok() {
  n=$((n + 1))
  if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
# expect NAME WANT OUTPUT: the output's errors are exactly WANT (sqlstates, one per line).
expect() {
  local got
  [[ $3 != *"server closed the connection"* && $3 != *"terminating connection"* ]] || crashed=1
  got=$(grep -o 'ERROR:  [0-9A-Z]\{5\}' <<<"$3" | cut -c9- | paste -sd' ')
  ok "$([[ $got == "$2" ]] && echo 0 || echo 1)" "$1"
  [[ $got == "$2" ]] || sed 's/^/# /' <<<"$3"
}
echo "1..16"

q "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions CASCADE" >/dev/null
# The checks here are the C++ triggers' own, the last line of defence: event
# triggers that police ALTER TABLE of tracked tables are turned off in this
# database so that the altered table reaches them.
q "DO \$\$ DECLARE e name; BEGIN
     FOR e IN SELECT evtname FROM pg_catalog.pg_event_trigger LOOP
       EXECUTE pg_catalog.format('ALTER EVENT TRIGGER %I DISABLE', e);
     END LOOP; END \$\$"
q "SELECT aidis.create_project('rc-p', is_default => true)" >/dev/null
q "CREATE TABLE public.notes (id serial PRIMARY KEY, project_id uuid, session_id uuid, content text NOT NULL);
   CREATE TABLE public.todo (id serial PRIMARY KEY, project_id uuid, session_id uuid, title text NOT NULL,
                             status text NOT NULL DEFAULT 'open', completed_at timestamptz);
   SELECT aidis.track('public.notes', 'context'); SELECT aidis.track('public.todo', 'task');" >/dev/null

# 1-3: one connection uses the table (its columns are cached), then retypes session_id.
out=$(run "INSERT INTO public.notes (content) VALUES ('cached');
ALTER TABLE public.notes DROP COLUMN session_id;
ALTER TABLE public.notes ADD COLUMN session_id integer;
INSERT INTO public.notes (content, session_id) VALUES ('int given', 5);
INSERT INTO public.notes (content) VALUES ('int stamped');")
expect "session_id retyped to integer after use: the same connection gets 42804 (given and stamped)" "42804 42804" "$out"
out=$(run "INSERT INTO public.notes (content, session_id) VALUES ('new connection', 5);
UPDATE public.notes SET content = 'edited';
DELETE FROM public.notes;")
expect "a new connection gets 42804 on INSERT, UPDATE and DELETE" "42804 42804 42804" "$out"
msg=$(psql -X -q -At -c "INSERT INTO public.notes (content) VALUES ('x')" 2>&1)
ok "$([[ $msg == *'column "session_id" of public.notes is integer, but session tracking reads it as uuid'* &&
         $msg == *"SELECT aidis.untrack('public.notes')"* ]] && echo 0 || echo 1)" \
   "the message names the table, the column and both types; the hint gives the untrack call"
[[ $msg == *untrack* ]] || sed 's/^/# /' <<<"$msg"
ok "$(( $(q "SELECT count(*) FROM public.notes") == 1 ? 0 : 1 ))" "nothing was written"

# 5-6: dropped entirely, then given back.
out=$(run "ALTER TABLE public.notes DROP COLUMN session_id;
INSERT INTO public.notes (content) VALUES ('no session_id');")
expect "session_id dropped: 42703" "42703" "$out"
out=$(run "ALTER TABLE public.notes ADD COLUMN session_id uuid;
INSERT INTO public.notes (content) VALUES ('repaired');
SELECT count(*) FROM public.notes WHERE session_id IS NOT NULL;")
expect "session_id a uuid again: writes work in the same connection" "" "$out"

# 7: project_id retyped in place by another connection while this one keeps it cached.
out=$(run "INSERT INTO public.notes (content) VALUES ('cached again');
\\! psql -X -q -c 'ALTER TABLE public.notes ALTER COLUMN project_id TYPE text'
INSERT INTO public.notes (content) VALUES ('project text');")
expect "project_id retyped to text by another connection: 42804 at the next write" "42804" "$out"

# 8: within one transaction, after the table was used in it.
q "ALTER TABLE public.notes ALTER COLUMN project_id TYPE uuid USING project_id::uuid"
out=$(run "BEGIN;
INSERT INTO public.notes (content) VALUES ('in tx');
ALTER TABLE public.notes DROP COLUMN project_id;
ALTER TABLE public.notes ADD COLUMN project_id bigint;
INSERT INTO public.notes (content) VALUES ('in tx, retyped');
ROLLBACK;")
expect "retyped inside the transaction that used the table: 42804" "42804" "$out"

# 9-13: a task's status is read as text: text, varchar or a domain over either.
out=$(run "INSERT INTO public.todo (title) VALUES ('t1');
ALTER TABLE public.todo ALTER COLUMN status DROP DEFAULT;
ALTER TABLE public.todo ALTER COLUMN status TYPE integer USING 0;
INSERT INTO public.todo (title) VALUES ('t2');
UPDATE public.todo SET status = 1;")
expect "status retyped to integer: 42804" "42804 42804" "$out"
out=$(run "ALTER TABLE public.todo ALTER COLUMN status TYPE character(12) USING 'open';
INSERT INTO public.todo (title, status) VALUES ('t3', 'open');")
expect "status as character(n) (blank-padded, not text): 42804" "42804" "$out"
out=$(run "ALTER TABLE public.todo ALTER COLUMN status TYPE varchar(20);
UPDATE public.todo SET status = 'completed' WHERE title = 't1';
CREATE DOMAIN public.task_status AS text CHECK (VALUE <> '');
ALTER TABLE public.todo ALTER COLUMN status TYPE public.task_status;
INSERT INTO public.todo (title, status) VALUES ('t4', 'completed');")
expect "status as varchar and as a domain over text: accepted" "" "$out"
ok "$(( $(q "SELECT count(*) FROM public.todo WHERE completed_at IS NOT NULL") == 2 &&
        $(q "SELECT sum(tasks_completed) FROM aidis.sessions") == 2 ? 0 : 1 ))" \
   "completions through varchar and domain status are stamped and counted"
before=$(q "SELECT completed_at FROM public.todo WHERE title = 't1'")
out=$(run "ALTER TABLE public.todo ALTER COLUMN completed_at TYPE text;
UPDATE public.todo SET status = 'open' WHERE title = 't1';
UPDATE public.todo SET status = 'completed' WHERE title = 't1';")
expect "completed_at retyped to text: writes work, the column is not stamped" "" "$out"
ok "$([[ -n $before && $(q "SELECT completed_at FROM public.todo WHERE title = 't1'") == "$before" &&
          $(q "SELECT sum(tasks_completed) FROM aidis.sessions") == 3 ]] && echo 0 || echo 1)" \
   "completed_at of another type is left alone; the completion still counts"

# 15: the extension's own tables: the commit-time write checks the types it writes.
out=$(run "ALTER TABLE aidis.session_deltas ALTER COLUMN slot TYPE text;
INSERT INTO public.notes (content) VALUES ('flush');")
expect "a retyped column of aidis.session_deltas: the commit fails with 42804" "42804" "$out"

# 16: whatever happened above, no backend crashed.
if ((log_start < 0)); then
  ok 1 "no server process was terminated by a signal (no server log at $log)"
else
  crashes=$(tail -c +$((log_start + 1)) "$log" | grep -E 'terminated by signal|server process .* was terminated')
  ok "$([[ -z $crashes && $crashed == 0 ]] && echo 0 || echo 1)" "no server process was terminated by a signal"
  [[ -z $crashes ]] || sed 's/^/# /' <<<"$crashes"
fi
exit $((failed > 0))
