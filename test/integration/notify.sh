#!/usr/bin/env bash
# NOTIFY aidis_sessions: lifecycle events reach listeners with a JSON payload. Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}"
export PGDATABASE=aidis_notify
trap 'dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1' EXIT
dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1
createdb "$PGDATABASE"
psql -X -q -c "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions CASCADE" >/dev/null

# One psql session listens, then causes every kind of event; psql prints each
# notification it receives after the command that caused it.
out=$(psql -X -q -v ON_ERROR_STOP=1 2>&1 <<'SQL'
LISTEN aidis_sessions;
SELECT aidis.create_project('notify-p') IS NOT NULL;
SELECT aidis.start_session(agent => 'cursor', client_key => 'n1', project => 'notify-p') IS NOT NULL;
SELECT aidis.start_session(agent => 'cursor', client_key => 'n1') IS NOT NULL;
SELECT aidis.start_session(agent => 'cursor', client_key => 'n1', force_new => true) IS NOT NULL;
SELECT aidis.end_session() IS NOT NULL;
SELECT aidis.start_session(agent => 'cursor', client_key => 'n2') IS NOT NULL;
SET aidis.session_timeout = '1s';
SELECT pg_sleep(1.1);
SELECT aidis.expire_idle_sessions();
SELECT aidis.start_session(agent => 'cursor', client_key => 'n3', project => 'notify-p') IS NOT NULL;
SELECT aidis.disconnect_project('notify-p') IS NOT NULL;
SQL
)
n=0 failed=0
check() {
  n=$((n + 1))
  if grep -q "$1" <<<"$out"; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
echo "1..7"
check '"event" : "started"' "start sends started"
check '"event" : "resumed"' "resume sends resumed"
check '"event" : "superseded"' "force_new sends superseded for the old session"
check '"event" : "ended"' "end_session sends ended"
check '"event" : "timeout"' "the sweep sends timeout"
check '"event" : "disconnected"' "disconnect_project sends disconnected"
check '"display_id" : "SES-[0-9]\{4\}-[0-9]\{4,\}"' "payloads carry the display id"
((failed == 0)) || { echo "# psql output:"; sed 's/^/# /' <<<"$out"; }
exit $((failed > 0))
