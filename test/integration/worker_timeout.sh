#!/usr/bin/env bash
# aidis worker: timeout precision, activity pushing the deadline, one log line
# per expired session, no CPU while idle, SIGTERM exit code.
source "$(dirname "$0")/worker_lib.bash"
plan 11

setup_db aidis_worker_timeout 2s || { echo "Bail out! could not create the test database"; exit 1; }
start_worker w
check "worker connects, LISTENs and waits" wait_ready w

# 1. A session ends within 1 s after last_activity_at + 2 s.
sid=$(start_session precision)
check_expiry "idle session times out on time" "$sid" 2
display=$(q -c "SELECT display_id FROM aidis.sessions WHERE id = '$sid'")
check "one log line for it, with project and idle time" \
  wait_log "$WORK/w.log" "expired session=$display project=[^ ]+ agent=claude-code idle=2\.[0-9]{2}s$" 5
is "$(grep -c "expired session=$display " "$WORK/w.log")" 1 "exactly one line for $display"

# 2. Activity pushes the deadline: touched after 1 s, the session outlives
#    its first deadline and ends 2 s after the touch.
sid=$(start_session activity)
first=$(q -c "SELECT last_activity_at FROM aidis.sessions WHERE id = '$sid'")
q -c "SELECT pg_sleep_until('$first'::timestamptz + interval '1 s')" -c "SELECT aidis.touch('$sid')" >/dev/null
status=$(q -c "SELECT pg_sleep_until('$first'::timestamptz + interval '2.5 s')" \
           -c "SELECT status || ' ' || (last_activity_at >= '$first'::timestamptz + interval '1 s')
               FROM aidis.sessions WHERE id = '$sid'" | tail -n 1)
is "$status" "active true" "touched session still active after its first deadline"
check_expiry "touched session times out 2 s after the touch" "$sid" 2

# 3. A session row locked past its deadline (by a long transaction; the sweep
#    skips locked rows, so the deadline stays): the worker backs off instead of
#    spinning every 50 ms, and ends the session within 5 s of the lock going.
#    (Locks aidis.session_base, the table behind aidis.sessions, directly.)
sid=$(start_session locked)
wakes_before=$(grep -c 'next deadline' "$WORK/w.log")
q -c "BEGIN" -c "SELECT 1 FROM aidis.session_base WHERE id = '$sid' FOR UPDATE" \
  -c "SELECT pg_sleep_until(last_activity_at + interval '4 s') FROM aidis.sessions WHERE id = '$sid'" \
  -c "COMMIT" >/dev/null
wakes=$(($(grep -c 'next deadline' "$WORK/w.log") - wakes_before))
((wakes <= 12))
ok $? "row locked 2 s past its deadline: $wakes wake-ups, not a busy loop"
row=$(q -F ' ' -c "SELECT status, end_reason, seen_at <= last_activity_at + interval '4 s' + interval '5.5 s'
                   FROM public.wait_ended('$sid', 8)")
is "$row" "inactive timeout t" "... and it times out soon after the lock is released"

# 4. Idle means idle: with nothing active the worker sleeps in poll(), using
#    no CPU and not waking (-v would log every wake-up).
sleep 0.5
lines=$(wc -l <"$WORK/w.log") ticks=$(cpu_ticks "$WORKER_PID")
sleep 3
is "$(cpu_ticks "$WORKER_PID") $(wc -l <"$WORK/w.log")" "$ticks $lines" "no CPU time and no wake-up in 3 s idle"

# 5. SIGTERM: clean exit 0.
stop_worker "$WORKER_PID" TERM 5
is "$RC" 0 "SIGTERM exits 0"
check "and says so" grep -q 'worker stopping on signal' "$WORK/w.log"
