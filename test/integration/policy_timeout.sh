#!/usr/bin/env bash
# aidis.session_timeout is policy (docs/timeout.md): the sweep uses the
# configured value (here ALTER DATABASE ... SET), and a writer's own SET,
# SET before the library is loaded, PGOPTIONS or ALTER ROLE cannot shorten
# it. Needs the cluster env (PGHOST, PGPORT, PGUSER: a superuser). Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}"
db=aidis_policy_timeout
writer=aidis_policy_timeout_w
cleanup() {
  dropdb --if-exists "$db" >/dev/null 2>&1
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS $writer" >/dev/null 2>&1
}
trap cleanup EXIT
cleanup
createdb "$db"
su() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# A writer's fresh connection: every statement runs, errors are output too.
as_writer() { psql -X -q -At -U "$writer" -d "$db" "$@" 2>&1; }
su -c "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions CASCADE" >/dev/null
su -c "CREATE ROLE $writer LOGIN IN ROLE aidis_writer"
su -c "SELECT aidis.create_project('pt')" >/dev/null

n=0 failed=0
ok() { n=$((n + 1)); if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
is() { ok "$([[ $1 == "$2" ]] && echo 0 || echo 1)" "$3 (got: ${1//$'\n'/ | })"; }
# A session whose last activity was 5 s ago.
idle_session() {
  su -c "SELECT aidis.start_session(agent => 'pt', client_key => '$1', project => 'pt', force_new => true) IS NULL" \
     -c "UPDATE aidis.session_base SET last_activity_at = clock_timestamp() - interval '5 s'
         WHERE client_key = '$1' AND status = 'active'" >/dev/null
}
status_of() { su -c "SELECT status FROM aidis.session_base WHERE client_key = '$1' ORDER BY started_at DESC LIMIT 1"; }

echo "1..9"
su -c "ALTER DATABASE $db SET aidis.session_timeout = '1h'"
is "$(as_writer -c "SELECT aidis._session_timeout()")" "01:00:00" "a writer's connection gets the database's value"

idle_session early
out=$(as_writer -c "SET aidis.session_timeout = '1s'" -c "SELECT aidis.expire_idle_sessions()")
is "$out" $'WARNING:  permission denied to set parameter "aidis.session_timeout"\n0' \
  "a writer's SET before the library is loaded is dropped with a warning; its sweep ends nothing"
is "$(status_of early)" "active" "the idle session is still active"

out=$(as_writer -c "SELECT aidis._session_timeout()" -c "SET aidis.session_timeout = '1s'" \
                -c "SELECT aidis.expire_idle_sessions()")
is "$out" $'01:00:00\nERROR:  permission denied to set parameter "aidis.session_timeout"\n0' \
  "once it is loaded, the writer's SET is refused; its sweep ends nothing"

out=$(PGOPTIONS='-c aidis.session_timeout=1s' as_writer -c "SELECT aidis.expire_idle_sessions()")
is "$(tail -1 <<<"$out")" "0" "PGOPTIONS from the writer's client cannot shorten it either"
is "$(status_of early)" "active" "the idle session is still active"

out=$(as_writer -c "ALTER ROLE $writer SET aidis.session_timeout = '1s'")
is "$out" 'ERROR:  permission denied to set parameter "aidis.session_timeout"' \
  "a writer cannot configure its own role"

# The policy changes: the sweep follows it, whoever runs it.
su -c "ALTER DATABASE $db SET aidis.session_timeout = '2s'"
is "$(as_writer -c "SELECT aidis.expire_idle_sessions()")" "1" "with 2 s configured, the writer's sweep ends it"
is "$(status_of early)" "inactive" "the idle session timed out"

exit $((failed > 0))
