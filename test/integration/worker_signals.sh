#!/usr/bin/env bash
# aidis worker: signals (SIGINT, SIGHUP reload, SIGTERM while reconnecting),
# exit codes for a database without the extension and for bad arguments.
source "$(dirname "$0")/worker_lib.bash"
plan 12

setup_db aidis_worker_signals 2s || { echo "Bail out! could not create the test database"; exit 1; }

# SIGINT (Ctrl-C) is a clean stop too.
start_worker int
check "worker ready" wait_ready int
stop_worker "$WORKER_PID" INT 5
is "$RC" 0 "SIGINT exits 0"

# SIGHUP reconnects: new connection, LISTEN again, and new database settings
# (here a longer timeout) apply from then on.
start_worker hup
check "worker ready" wait_ready hup
q -c "ALTER DATABASE aidis_worker_signals SET aidis.session_timeout = '3s'"
kill -HUP "$WORKER_PID"
check "SIGHUP: reconnects" wait_log "$WORK/hup.log" '^[^ ]+ connected: ' 5 2
check "SIGHUP: listening again" wait_ready hup 5 2
sid=$(start_session hup)
check_expiry "after SIGHUP: the new timeout applies and the notification is heard" "$sid" 3
stop_worker "$WORKER_PID" TERM 5
is "$RC" 0 "SIGTERM exits 0"

# SIGTERM while the server is unreachable: the backoff sleep is interruptible.
"$AIDIS_BIN" worker -d "host=$PGHOST port=1 dbname=nowhere" 2>"$WORK/down.log" </dev/null &
WORKER_PIDS+=($!)
check "unreachable server: retries with backoff" wait_log "$WORK/down.log" 'reconnecting in' 5 3
stop_worker "$!" TERM 2
is "$RC" 0 "SIGTERM during backoff exits 0 at once"

# A database without the extension: exit 3, not an endless retry.
QDB=postgres q -c "DROP DATABASE IF EXISTS aidis_worker_noext" -c "CREATE DATABASE aidis_worker_noext"
"$AIDIS_BIN" worker -d "dbname=aidis_worker_noext" 2>"$WORK/noext.log" </dev/null &
WORKER_PIDS+=($!)
wait_exit "$!" 10
QDB=postgres q -c "DROP DATABASE IF EXISTS aidis_worker_noext"
is "$RC" 3 "no extension in the database: exit 3"
grep -q 'not set up' "$WORK/noext.log"
ok $? "with a message saying why" "$(cat "$WORK/noext.log")"

# Usage errors: exit 2 and a message; help: exit 0.
out=$("$AIDIS_BIN" worker --no-such-option 2>&1); rc=$?
[[ $rc == 2 && $out == *no-such-option* ]]
ok $? "unknown option: exit 2 and names it" "exit $rc: $out"
