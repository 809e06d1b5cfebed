#!/usr/bin/env bash
# The current session of an unbound connection is cached across transactions
# and follows every change made by other connections: a write, touch or usage
# record on another session, a start, an end, a multi-session transaction,
# and per project. Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}"
export PGDATABASE=aidis_current_cache
work=$(mktemp -d)
cleanup() { exec 3>&- 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1; }
trap cleanup EXIT
dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1
createdb "$PGDATABASE"
q() { psql -X -q -v ON_ERROR_STOP=1 -Atc "$1"; }
q "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions CASCADE" >/dev/null
p1=$(q "SELECT id FROM aidis.create_project('cc-p1')")
p2=$(q "SELECT id FROM aidis.create_project('cc-p2')")
start() { q "SELECT id FROM aidis.start_session(agent => '$1', project => '$2', bind => 'none')"; }

# The long-lived unbound connection: statements in through a fifo, answers
# out in a file, one line per statement.
mkfifo "$work/in"
psql -X -q -At <"$work/in" >"$work/out" 2>&1 &
exec 3>"$work/in"
lines=0
# Writes one unbound row (on project $1 if given); its session in $got.
unbound() {
  local project=${1:+"'$1'"}
  echo "INSERT INTO aidis.contexts (project_id, content) VALUES (${project:-NULL}, 'unbound') RETURNING session_id;" >&3
  lines=$((lines + 1))
  for _ in $(seq 100); do (($(wc -l <"$work/out") >= lines)) && break; sleep 0.05; done
  got=$(sed -n "${lines}p" "$work/out")
}

n=0 failed=0
is() { n=$((n + 1)); if [[ $1 == "$2" ]]; then echo "ok $n - $3"; else echo "not ok $n - $3 (got $1, want $2)"; failed=$((failed + 1)); fi; }
echo "1..9"

s1=$(start cc-1 cc-p1)
unbound; is "$got" "$s1" "unbound: the only active session"
s2=$(start cc-2 cc-p1)
unbound; is "$got" "$s2" "a session started elsewhere becomes the current one"
q "INSERT INTO aidis.contexts (session_id, content) VALUES ('$s1', 'explicit')"
unbound; is "$got" "$s1" "a write with an explicit id elsewhere moves the current session"
q "SELECT aidis.touch(s => '$s2')" >/dev/null
unbound; is "$got" "$s2" "a touch elsewhere moves it"
q "SELECT aidis.record_usage(1, 1, s => '$s1')" >/dev/null
unbound; is "$got" "$s1" "a usage record elsewhere moves it"
s3=$(start cc-3 cc-p2)
q "BEGIN; SET LOCAL aidis.session_id = '$s3'; INSERT INTO aidis.contexts (content) VALUES ('local'); COMMIT"
unbound "$p1"; is "$got" "$s1" "a row naming a project: that project's latest session, not the latest overall"
q "INSERT INTO aidis.contexts (session_id, content) VALUES ('$s2', 'explicit')"
unbound "$p1"; is "$got" "$s2" "the project's latest session follows writes elsewhere"
q "SELECT aidis.end_session('$s2')" >/dev/null
unbound; is "$got" "$s1" "an end elsewhere: the next most recently active session (this connection's last write)"
q "BEGIN; INSERT INTO aidis.contexts (session_id, content) VALUES ('$s3', 'x'), ('$s1', 'y'); COMMIT"
unbound
latest=$(q "SELECT id FROM aidis.sessions WHERE status = 'active'
            ORDER BY last_activity_at DESC, started_at DESC, id LIMIT 1 OFFSET 0")
# Both have the same last activity: the rule's tie-break (newest start) decides.
is "$got,$got" "$s3,$latest" "a transaction writing two sessions: the rule's tie-break, as the ranking query gives"
exit $((failed > 0))
