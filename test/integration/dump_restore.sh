#!/usr/bin/env bash
# pg_dump keeps every session, counter, event and file (user-data tables are
# registered with pg_extension_config_dump), and the restored database goes on
# counting where it stopped. Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}"
src=aidis_dump_src dst=aidis_dump_dst dump=$(mktemp)
trap 'rm -f "$dump"; dropdb --if-exists $src >/dev/null 2>&1; dropdb --if-exists $dst >/dev/null 2>&1' EXIT
for db in $src $dst; do dropdb --if-exists $db >/dev/null 2>&1; done
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" -Atc "$2"; }

createdb $src
q $src "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions CASCADE" >/dev/null
q $src "
  SELECT aidis.create_project('dump-a', is_default => true);
  SELECT aidis.create_project('dump-gone');
  SELECT aidis.start_session(agent => 'cursor', client_key => 'd1');
  INSERT INTO aidis.contexts (content) VALUES ('one @src/a.c'), ('two');
  INSERT INTO aidis.tasks (title, status) VALUES ('t1', 'completed'), ('t2', 'todo');
  INSERT INTO aidis.decisions (title) VALUES ('d1');
  SELECT aidis.record_usage(100, 50);
  SELECT aidis.record_file('src/a.c', 3, 1);
  SELECT aidis.start_session(agent => 'cursor', client_key => 'd2', project => 'dump-gone');
  INSERT INTO aidis.contexts (content) VALUES ('retired');
  SELECT aidis.disconnect_project('dump-gone');
  CREATE TABLE public.notes (id serial PRIMARY KEY, project_id uuid, session_id uuid, content text);
  SELECT aidis.track('public.notes', 'context');
  INSERT INTO public.notes (session_id, content) SELECT id, 'host row' FROM aidis.sessions WHERE client_key = 'd1';
" >/dev/null
snapshot="SELECT string_agg(concat_ws(':', display_id, status, contexts_created, tasks_created,
            tasks_completed, decisions_created, input_tokens, loc_added, files_touched), ',' ORDER BY display_id)
          FROM aidis.sessions"
events="SELECT count(*) FROM aidis.session_activities"
before=$(q $src "$snapshot"); before_events=$(q $src "$events")

n=0 failed=0
ok() { n=$((n + 1)); if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
echo "1..9"
pg_dump -Fc -d $src -f "$dump"; ok $? "pg_dump of a database using the extension"
createdb $dst
# Restoring rows must not be tracked a second time: restore as a replica.
PGOPTIONS='-c session_replication_role=replica' pg_restore -d $dst "$dump"
ok $? "pg_restore with session_replication_role = replica"
after=$(q $dst "$snapshot")
ok "$([[ -n $before && $before == "$after" ]] && echo 0 || echo 1)" "sessions and counters are identical after restore"
[[ $before == "$after" ]] || { echo "# before: $before"; echo "# after:  $after"; }
ok "$([[ $before_events == "$(q $dst "$events")" ]] && echo 0 || echo 1)" "the timeline is identical ($before_events events)"
ok "$([[ $(q $dst "SELECT count(*) FROM aidis.check_counters()") == 0 ]] && echo 0 || echo 1)" "check_counters() is empty after restore"
next=$(q $dst "SELECT count(*) FROM aidis.sessions s, aidis.start_session(agent => 'cursor', client_key => 'd3') n
               WHERE n.display_id > s.display_id AND s.id <> n.id")
total=$(q $dst "SELECT count(*) - 1 FROM aidis.sessions")
ok "$([[ $next == "$total" ]] && echo 0 || echo 1)" "display ids continue after the restored ones"
# The DDL event triggers come back with the extension and check the restored host table.
ok "$([[ $(q $dst "SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                   WHERE e.extname = 'aidis_sessions' AND d.deptype = 'e'
                     AND d.classid = 'pg_event_trigger'::regclass") == 2 ]] && echo 0 || echo 1)" \
  "the two event triggers are restored with the extension"
retype=$(q $dst "CREATE FUNCTION pg_temp.retype() RETURNS text LANGUAGE plpgsql AS \$\$
                 BEGIN ALTER TABLE public.notes ALTER session_id TYPE text; RETURN 'retyped';
                 EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END \$\$; SELECT pg_temp.retype()")
ok "$([[ $retype == 2BP01 ]] && echo 0 || echo 1)" "retyping session_id of the restored host table is refused ($retype)"
dropped=$(q $dst "DROP TABLE public.notes;
                  SELECT (SELECT count(*) FROM aidis.tracked_tables WHERE NOT shipped) || ' ' ||
                         (SELECT count(*) FROM aidis.check_counters())")
ok "$([[ $dropped == "0 0" ]] && echo 0 || echo 1)" \
  "dropping it leaves the registry and check_counters() empty ($dropped)"
exit $((failed > 0))
