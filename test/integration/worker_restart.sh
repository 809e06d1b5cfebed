#!/usr/bin/env bash
# aidis worker: survives a server restart and a longer outage (reconnects with
# backoff, LISTENs again, resyncs) and still expires sessions on time.
# Restarts the test cluster: scripts/test.sh runs suites one at a time.
source "$(dirname "$0")/worker_lib.bash"
plan 9

setup_db aidis_worker_restart 3s || { echo "Bail out! could not create the test database"; exit 1; }
start_worker w
check "worker ready" wait_ready w

# A session whose deadline falls after the restart.
sid=$(start_session before-restart)
check "pg_ctl restart" pg_ctl_as_owner restart -m fast -w -t 30
check "worker notices the lost connection and reconnects" \
  wait_log "$WORK/w.log" '^[^ ]+ connected: ' 10 2
check_expiry "session started before the restart times out on time" "$sid" 3

# Nothing active now: only a notification can wake the worker, so this
# proves it LISTENs on the new connection.
sid=$(start_session after-restart)
check_expiry "session started after the restart times out on time" "$sid" 3

# A longer outage: retries with growing delays, then carries on.
check "pg_ctl stop" pg_ctl_as_owner stop -m fast -w -t 30
check "worker keeps retrying while the server is down" \
  wait_log "$WORK/w.log" 'connection failed: ' 10 3
pg_ctl_as_owner start -w -t 30 >/dev/null 2>&1
sid=$(start_session after-outage)
check_expiry "after the outage: reconnected, session times out on time" "$sid" 3 15

stop_worker "$WORKER_PID" TERM 5
is "$RC" 0 "SIGTERM exits 0"
