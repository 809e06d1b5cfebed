#!/usr/bin/env bash
# aidis.adopt() across transactions and connections, on the host-shaped
# fixture, run by an operator who logs in as a member of aidis_admin and is
# not a superuser: the dry run leaves a full pg_dump identical; apply
# commits; the host's writes from other connections (a new project and a
# context in it, a task, a decision, a task completed, a rename) are the
# extension's after commit, and the host's own triggers still run: its
# pg_notify reaches a listening connection, its updated_at trigger stamps the
# completed task. Counters check out; a second adopt is refused. Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}" "${REPO_ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}"
db=aidis_adopt_it
op=aidis_adopt_it_operator # a role of the cluster: made here, dropped on exit
work=$(mktemp -d)
listener=
cleanup() {
  [[ -z $listener ]] || kill "$listener" 2>/dev/null
  rm -rf "$work"
  dropdb --if-exists "$db" >/dev/null 2>&1
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS $op" >/dev/null 2>&1
}
trap cleanup EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
q() { psql -X -q -v ON_ERROR_STOP=1 -Atd "$db" "$@"; }
qop() { q -U "$op" "$@"; } # the operator's own login
same() { [[ $1 == "$2" ]] && echo 0 || { echo "# got: $1" >&2; echo 1; }; }
tables="'host.projects', 'host.sessions', 'host.contexts', 'host.tasks', 'host.technical_decisions'"

dropdb --if-exists "$db" >/dev/null 2>&1
psql -X -q -d postgres -c "DROP ROLE IF EXISTS $op" >/dev/null 2>&1
createdb "$db" && q -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION aidis_sessions CASCADE' >/dev/null &&
  q -f "$REPO_ROOT/test/fixtures/adopt_host.sql" >/dev/null &&
  q -c "CREATE ROLE $op LOGIN NOSUPERUSER; GRANT aidis_admin TO $op; GRANT USAGE ON SCHEMA host TO $op" >/dev/null
ok $? "a host-shaped database, and an operator in aidis_admin"
ok "$(same "$(qop -c "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")" f)" "the operator is not a superuser"

# (\restrict lines carry a random key per dump)
dump() { pg_dump -d "$db" | grep -v '^\\\(un\)\?restrict '; }
dump >"$work/before.sql"
report=$(qop -c "SELECT aidis.adopt($tables) ->> 'can_apply'")
dump >"$work/after.sql"
ok "$(same "$report" true)" "the operator's dry run reports that it can apply"
diff -q "$work/before.sql" "$work/after.sql" >/dev/null
ok $? "the dry run leaves a full dump identical"

ok "$(same "$(qop -c "SELECT aidis.adopt($tables, apply => true) ->> 'applied'")" true)" "the operator's apply commits"
ok "$(same "$(q -c "SELECT count(*) FROM aidis.session_base b JOIN host.sessions h USING (id)
                    WHERE b.display_id = h.display_id")" 9)" "the host's sessions, same ids and display ids"
ok "$(same "$(q -c "SELECT status || '/' || client_key FROM aidis.session_base
                    WHERE id = 'b0000000-0000-4000-8000-00000000000a'")" active/conn-10)" \
  "a session interrupted a few minutes ago is still active"

# A connection that listens to the host's notifications, as the AIDIS server
# does. psql reads its commands from a fifo and prints the notifications it
# has received after the next command it runs.
mkfifo "$work/listen.in"
psql -X -Atd "$db" <"$work/listen.in" >"$work/listen.out" 2>&1 &
listener=$!
exec 7>"$work/listen.in"
echo "LISTEN aidis_changes;" >&7
for _ in $(seq 100); do
  [[ $(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
             AND query = 'LISTEN aidis_changes;' AND state = 'idle'") == 1 ]] && break
  sleep 0.1
done

# Another connection: the host's own statements.
q -c "INSERT INTO host.projects (id, name) VALUES ('a0000000-0000-4000-8000-0000000000c1', 'made-by-host');
      INSERT INTO host.contexts (id, project_id, session_id, context_type, content)
      VALUES ('c0000000-0000-4000-8000-0000000000c1', 'a0000000-0000-4000-8000-0000000000c1',
              'b0000000-0000-4000-8000-000000000009', 'code', 'first note');" >/dev/null
ok $? "a new host project and a context in it, in one transaction"
q -c "INSERT INTO host.tasks (id, project_id, session_id, title)
      VALUES ('d0000000-0000-4000-8000-0000000000c1', 'a0000000-0000-4000-8000-000000000001',
              'b0000000-0000-4000-8000-000000000009', 'a task after adoption');
      INSERT INTO host.technical_decisions (id, project_id, session_id, title)
      VALUES ('e0000000-0000-4000-8000-0000000000c1', 'a0000000-0000-4000-8000-000000000001',
              'b0000000-0000-4000-8000-000000000009', 'a decision after adoption');" >/dev/null
ok $? "a task and a decision"
# The task's updated_at, as the fixture's transaction left it, against the
# completing transaction's now().
ok "$(same "$(q -c "WITH before AS (SELECT updated_at FROM host.tasks WHERE id = 'd0000000-0000-4000-8000-000000000007')
                    UPDATE host.tasks t SET status = 'completed', completed_at = now() FROM before
                    WHERE t.id = 'd0000000-0000-4000-8000-000000000007'
                    RETURNING t.updated_at = now() AND t.updated_at > before.updated_at")" t)" \
  "UPDATE tasks SET status = 'completed': the host's trigger stamps updated_at"

echo "SELECT 'done';" >&7
exec 7>&-
wait "$listener"
listener=
heard() { grep -c "Asynchronous notification \"aidis_changes\" with payload \"{\"table\" : \"$1\", \"op\" : \"$2\", \"id\" : \"$3\"}\"" "$work/listen.out"; }
ok "$(same "$(heard contexts INSERT c0000000-0000-4000-8000-0000000000c1)" 1)" "the listener hears the host's notification of the context"
ok "$(same "$(heard tasks INSERT d0000000-0000-4000-8000-0000000000c1)" 1)" "of the task"
ok "$(same "$(heard technical_decisions INSERT e0000000-0000-4000-8000-0000000000c1)" 1)" "of the decision"
ok "$(same "$(heard tasks UPDATE d0000000-0000-4000-8000-000000000007)" 1)" "of the completed task"
ok "$(same "$(heard projects INSERT a0000000-0000-4000-8000-0000000000c1)" 1)" "and of the new project"
((failed == 0)) || sed 's/^/# listener: /' "$work/listen.out"

ok "$(same "$(q -c "SELECT concat_ws('/', contexts_created, tasks_created, tasks_completed, decisions_created)
                    FROM aidis.sessions WHERE id = 'b0000000-0000-4000-8000-000000000009'")" 2/2/1/1)" \
  "the context, the task, the completion and the decision count for the session, after commit"
q -c "UPDATE host.projects SET name = 'made-by-host-2' WHERE name = 'made-by-host'" >/dev/null
ok "$(same "$(q -c "SELECT name FROM aidis.projects WHERE id = 'a0000000-0000-4000-8000-0000000000c1'")" made-by-host-2)" \
  "a rename committed by one connection is the extension's name in the next"
ok "$(same "$(q -c "SELECT count(*) FROM aidis.check_counters()")" 0)" "check_counters() finds nothing"
state=$(psql -X -U "$op" -d "$db" -Atc "SELECT aidis.adopt($tables, apply => true)" 2>&1 | grep -c 'adopted already')
ok "$(same "$state" 1)" "a second adopt is refused"
ok "$(same "$(q -c "SELECT count(*) FROM aidis.adoption")" 1)" "and changes nothing"

echo "1..$n"
((failed == 0))
