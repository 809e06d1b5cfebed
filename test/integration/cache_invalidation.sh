#!/usr/bin/env bash
# Cached facts never outlive the change that invalidates them: one long-lived
# connection keeps writing while other connections disconnect its project,
# reconnect it and time its session out. Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}"
export PGDATABASE=aidis_cache_inval
work=$(mktemp -d)
cleanup() { exec 3>&- 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1; }
trap cleanup EXIT
dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1
createdb "$PGDATABASE"
q() { psql -X -q -v ON_ERROR_STOP=1 -Atc "$1"; }
q "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions CASCADE" >/dev/null
pid=$(q "SELECT id FROM aidis.create_project('ci-p')")

# The long-lived connection: statements go in through a fifo, answers come
# out in a file; `mark` waits until everything sent so far has run.
mkfifo "$work/in"
psql -X -q -At <"$work/in" >"$work/out" 2>&1 &
exec 3>"$work/in"
marks=0
send() { echo "$1" >&3; }
mark() {
  marks=$((marks + 1)); send "SELECT 'mark-$marks';"
  for _ in $(seq 100); do grep -q "^mark-$marks\$" "$work/out" && return 0; sleep 0.1; done
  return 1
}
last_error_after_mark() { sed -n "/^mark-$((marks - 1))\$/,\$p" "$work/out" | grep -c ERROR; }

n=0 failed=0
ok() { n=$((n + 1)); if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
echo "1..5"

send "SELECT (aidis.start_session(agent => 'cursor', client_key => 'ci', project => 'ci-p')).id IS NOT NULL;"
send "INSERT INTO aidis.contexts (project_id, content) VALUES ('$pid', 'cached');"
mark
ok "$(last_error_after_mark)" "the long-lived connection writes (and caches its session and project)"

q "SELECT aidis.disconnect_project('ci-p')" >/dev/null
mark
send "INSERT INTO aidis.contexts (project_id, content) VALUES ('$pid', 'after disconnect');"
mark
ok "$(( $(last_error_after_mark) == 1 ? 0 : 1 ))" "a disconnect by another connection is enforced at once"
ok "$(( $(q "SELECT count(*) FROM aidis.contexts WHERE content = 'after disconnect'") == 0 ? 0 : 1 ))" "nothing was written"

q "SELECT aidis.reconnect_project('ci-p')" >/dev/null
send "SELECT (aidis.start_session(agent => 'cursor', client_key => 'ci', project => 'ci-p')).id IS NOT NULL;"
send "INSERT INTO aidis.contexts (project_id, content) VALUES ('$pid', 'after reconnect');"
mark
ok "$(last_error_after_mark)" "after a reconnect by another connection, writes work again"

# The bound session times out in another connection: the next write must not
# go to the ended session but start a new one.
bound=$(q "SELECT id FROM aidis.sessions WHERE status = 'active'")
sleep 1.1
PGOPTIONS='-c aidis.session_timeout=1s' q "SELECT aidis.expire_idle_sessions()" >/dev/null
send "INSERT INTO aidis.contexts (content) VALUES ('after timeout');"
mark
landed=$(q "SELECT session_id FROM aidis.contexts WHERE content = 'after timeout'")
ok "$([[ -n $landed && $landed != "$bound" && $(q "SELECT status FROM aidis.sessions WHERE id = '$landed'") == active ]] && echo 0 || echo 1)" \
   "after the bound session timed out elsewhere, the next write starts a new session"
((failed == 0)) || sed 's/^/# /' "$work/out"
exit $((failed > 0))
