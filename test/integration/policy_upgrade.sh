#!/usr/bin/env bash
# The update to 0.4.0 repairs what 0.3.0 stored: an ended session whose last
# activity a write named onto it moved past its end, and the timeline entries
# of rows a session wrote for another project, filed under the session's
# project (so a disconnect of that project left their text readable). Needs
# the cluster env (a superuser). Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}"
db=aidis_policy_upgrade
reader=aidis_policy_upgrade_r
cleanup() {
  dropdb --if-exists "$db" >/dev/null 2>&1
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS $reader" >/dev/null 2>&1
}
trap cleanup EXIT
cleanup
createdb "$db"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
n=0 failed=0
is() { n=$((n + 1)); if [[ $1 == "$2" ]]; then echo "ok $n - $3"; else echo "not ok $n - $3 (got: $1)"; failed=$((failed + 1)); fi; }

echo "1..6"
q -c "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions VERSION '0.3.0' CASCADE" \
  -c "CREATE ROLE $reader IN ROLE aidis_reader" \
  -c "SELECT aidis.create_project('up-a') IS NULL, aidis.create_project('up-d') IS NULL" \
  -c "SELECT aidis.start_session(agent => 'up', client_key => 'a', project => 'up-a') IS NULL" \
  -c "INSERT INTO aidis.contexts (project_id, content) SELECT id, 'secret of up-d' FROM aidis.projects WHERE name = 'up-d'" \
  -c "INSERT INTO aidis.contexts (content) VALUES ('own context of up-a')" \
  -c "SELECT aidis.end_session() IS NULL" \
  -c "SELECT pg_sleep(0.01)" \
  -c "INSERT INTO aidis.contexts (session_id, content) SELECT id, 'named onto it after the end' FROM aidis.session_base WHERE client_key = 'a'" \
  -c "SELECT aidis._fold_deltas()" >/dev/null
# The library is already the new one: file the entry where 0.3.0's filed it.
q -c "UPDATE aidis.session_activities SET project_id = (SELECT id FROM aidis.projects WHERE name = 'up-a')
      WHERE summary LIKE 'secret%'" -c "SELECT aidis.disconnect_project('up-d') IS NULL" >/dev/null
before=$(q -c "SELECT count(*) FROM aidis.session_base WHERE last_activity_at > ended_at")
leak=$(q -c "SET ROLE $reader" -c "SELECT count(*) FROM aidis.session_activities WHERE summary LIKE 'secret%'")
is "$before $leak" "1 1" "0.3.0: the ended session's last activity is after its end, and the row of up-d shows"

q -c "SET client_min_messages = warning; ALTER EXTENSION aidis_sessions UPDATE TO '0.4.0'"
is "$(q -c "SELECT count(*) FROM aidis.session_base WHERE last_activity_at > ended_at")" "0" \
  "after the update no ended session has its last activity after its end"
is "$(q -c "SELECT last_activity_at = ended_at FROM aidis.session_base WHERE client_key = 'a'")" "t" \
  "it ends at its end"
is "$(q -c "SELECT p.name FROM aidis.session_activities a JOIN aidis.projects p ON p.id = a.project_id
            WHERE a.summary LIKE 'secret%'")" "up-d" "the entry of the row of up-d is filed under up-d"
is "$(q -c "SET ROLE $reader" -c "SELECT count(*) FROM aidis.session_activities WHERE summary LIKE 'secret%'")" "0" \
  "a reader no longer sees it"
is "$(q -c "SET ROLE $reader" -c "SELECT count(*) FROM aidis.session_timeline((SELECT id::text FROM aidis.session_base WHERE client_key = 'a')) WHERE summary LIKE 'own context%'")" "1" \
  "the session's own entries stay"
exit $((failed > 0))
