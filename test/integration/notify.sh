#!/usr/bin/env bash
# NOTIFY aidis_sessions: lifecycle events reach listeners with a JSON payload;
# activity (touch(), tracked writes) is announced once per session per
# transaction and at most once a second per session from one connection.
# Prints TAP.
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
# --- activity: a listener on its own connection, the writes on others ---
sid() { psql -X -At -v ON_ERROR_STOP=1 -c "SELECT id FROM aidis.start_session(agent => 'cursor', client_key => '$1',
                                            project => 'notify-a', bind => 'none')"; }
psql -X -q -c "SELECT aidis.create_project('notify-a')" >/dev/null
TOUCHED=$(sid a1) INSERTED=$(sid a2) ROLLED_BACK=$(sid a3) TWICE=$(sid a4) USAGE=$(sid a5)
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1' EXIT
# psql prints the notifications it has received after each command it runs.
{
  echo "LISTEN aidis_sessions; SELECT 'listening';"
  while [[ ! -e $work/stop ]]; do echo 'SELECT 1;'; sleep 0.05; done
  echo 'SELECT 1;'
} | psql -X -q -At >"$work/listen.log" 2>&1 &
listener=$!
for _ in $(seq 200); do grep -q listening "$work/listen.log" && break; sleep 0.05; done

psql -X -q -v ON_ERROR_STOP=1 -c "SELECT aidis.touch('$TOUCHED')" >/dev/null
{
  echo 'BEGIN;'
  for i in $(seq 100); do echo "INSERT INTO aidis.contexts (session_id, content) VALUES ('$INSERTED', 'note $i');"; done
  echo 'COMMIT;'
} | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN" -c "SELECT aidis.touch('$ROLLED_BACK')" \
  -c "INSERT INTO aidis.contexts (session_id, content) VALUES ('$ROLLED_BACK', 'gone')" -c "ROLLBACK" >/dev/null
# Two transactions of one connection: one notification when they commit
# within a second of each other (the elapsed time is printed to tell).
twice_ms=$(psql -X -q -At -v ON_ERROR_STOP=1 -c "SELECT set_config('n.t0', clock_timestamp()::text, false)" \
             -c "SELECT aidis.touch('$TWICE')" -c "SELECT aidis.touch('$TWICE')" \
             -c "SELECT round(1000 * extract(epoch FROM clock_timestamp() - current_setting('n.t0')::timestamptz))" |
           tail -n 1)
psql -X -q -v ON_ERROR_STOP=1 -c "SELECT aidis.record_usage(10, 20, s => '$USAGE')" >/dev/null
psql -X -q -c "NOTIFY aidis_sessions, 'done'"
for _ in $(seq 200); do grep -q 'payload "done"' "$work/listen.log" && break; sleep 0.05; done
touch "$work/stop"
wait "$listener"
activity() { grep -c "\"event\" : \"activity\", \"session_id\" : \"$1\"" "$work/listen.log"; }

n=0 failed=0
check() {
  n=$((n + 1))
  if grep -q "$1" <<<"$out"; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
echo "1..14"
check '"event" : "started"' "start sends started"
check '"event" : "resumed"' "resume sends resumed"
check '"event" : "superseded"' "force_new sends superseded for the old session"
check '"event" : "ended"' "end_session sends ended"
check '"event" : "timeout"' "the sweep sends timeout"
check '"event" : "disconnected"' "disconnect_project sends disconnected"
check '"display_id" : "SES-[0-9]\{4\}-[0-9]\{4,\}"' "payloads carry the display id"
is() {
  n=$((n + 1))
  if [[ $1 == "$2" ]]; then echo "ok $n - $3"; else echo "not ok $n - $3 (got '$1', expected '$2')"; failed=$((failed + 1)); fi
}
is "$(activity "$TOUCHED")" 1 "touch() sends one activity notification"
is "$(activity "$INSERTED")" 1 "100 tracked inserts in one transaction send one"
is "$(activity "$ROLLED_BACK")" 0 "a rolled-back transaction sends none"
is "$(activity "$USAGE")" 1 "record_usage() sends one"
if ((twice_ms < 1000)); then
  is "$(activity "$TWICE")" 1 "two transactions of one connection within a second ($twice_ms ms) send one"
else
  n=$((n + 1)); echo "ok $n # SKIP the two transactions took $twice_ms ms"
fi
grep -q "\"event\" : \"activity\", \"session_id\" : \"$TOUCHED\", \"project_id\" : \"[0-9a-f-]\{36\}\", \"at\" : \"[0-9]\{4\}-" \
  "$work/listen.log"
is $? 0 "the activity payload: event, session_id, project_id, at"
is "$(grep -c 'payload "done"' "$work/listen.log")" 1 "the listener saw everything up to the last notification"
((failed == 0)) || { echo "# psql output:"; sed 's/^/# /' <<<"$out"; echo "# listener:"; sed 's/^/# /' "$work/listen.log"; }
exit $((failed > 0))
