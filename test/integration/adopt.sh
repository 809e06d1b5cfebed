#!/usr/bin/env bash
# aidis.adopt() across transactions and connections, on the host-shaped
# fixture: the dry run leaves a full pg_dump identical; apply commits; the
# host's writes from other connections (a new project and a context in it, a
# rename) are the extension's after commit; counters check out; a second
# adopt is refused. Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}" "${REPO_ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}"
db=aidis_adopt_it
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1' EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
q() { psql -X -q -v ON_ERROR_STOP=1 -Atd "$db" "$@"; }
same() { [[ $1 == "$2" ]] && echo 0 || { echo "# got: $1" >&2; echo 1; }; }
tables="'host.projects', 'host.sessions', 'host.contexts', 'host.tasks', 'host.technical_decisions'"

dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db" && q -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION aidis_sessions CASCADE' >/dev/null &&
  q -f "$REPO_ROOT/test/fixtures/adopt_host.sql" >/dev/null
ok $? "a host-shaped database"

# (\restrict lines carry a random key per dump)
dump() { pg_dump -d "$db" | grep -v '^\\\(un\)\?restrict '; }
dump >"$work/before.sql"
report=$(q -c "SELECT aidis.adopt($tables) ->> 'can_apply'")
dump >"$work/after.sql"
ok "$(same "$report" true)" "the dry run reports that it can apply"
diff -q "$work/before.sql" "$work/after.sql" >/dev/null
ok $? "the dry run leaves a full dump identical"

ok "$(same "$(q -c "SELECT aidis.adopt($tables, apply => true) ->> 'applied'")" true)" "apply commits"
ok "$(same "$(q -c "SELECT count(*) FROM aidis.session_base b JOIN host.sessions h USING (id)
                    WHERE b.display_id = h.display_id")" 8)" "the host's sessions, same ids and display ids"

# Another connection: the host's own statements.
q -c "INSERT INTO host.projects (id, name) VALUES ('a0000000-0000-4000-8000-0000000000c1', 'made-by-host');
      INSERT INTO host.contexts (project_id, session_id, context_type, content)
      VALUES ('a0000000-0000-4000-8000-0000000000c1', 'b0000000-0000-4000-8000-000000000009', 'code', 'first note');" >/dev/null
ok $? "a new host project and a context in it, in one transaction"
q -c "UPDATE host.tasks SET status = 'completed', completed_at = now() WHERE id = 'd0000000-0000-4000-8000-000000000007'" >/dev/null
ok $? "UPDATE tasks SET status = 'completed'"
ok "$(same "$(q -c "SELECT contexts_created || '/' || tasks_completed FROM aidis.sessions WHERE id = 'b0000000-0000-4000-8000-000000000009'")" 2/1)" \
  "both are counted for the session, after commit"
q -c "UPDATE host.projects SET name = 'made-by-host-2' WHERE name = 'made-by-host'" >/dev/null
ok "$(same "$(q -c "SELECT name FROM aidis.projects WHERE id = 'a0000000-0000-4000-8000-0000000000c1'")" made-by-host-2)" \
  "a rename committed by one connection is the extension's name in the next"
ok "$(same "$(q -c "SELECT count(*) FROM aidis.check_counters()")" 0)" "check_counters() finds nothing"
state=$(psql -X -d "$db" -Atc "SELECT aidis.adopt($tables, apply => true)" 2>&1 | grep -c 'adopted already')
ok "$(same "$state" 1)" "a second adopt is refused"
ok "$(same "$(q -c "SELECT count(*) FROM aidis.adoption")" 1)" "and changes nothing"

echo "1..$n"
((failed == 0))
