#!/usr/bin/env bash
# aidis worker: two workers on one database expire each session exactly once.
source "$(dirname "$0")/worker_lib.bash"
plan 7

setup_db aidis_worker_two 2s || { echo "Bail out! could not create the test database"; exit 1; }
start_worker a; pid_a=$WORKER_PID
start_worker b; pid_b=$WORKER_PID
check "worker a ready" wait_ready a
check "worker b ready" wait_ready b

# Six sessions started in one transaction share one deadline: both workers
# wake for it and race for the same rows.
ids=$(q -c "BEGIN" \
        -c "SELECT s.id FROM generate_series(1, 6) AS g(i),
                 LATERAL aidis.start_session(agent => 'claude-code', client_key => 'two-' || g.i) AS s" \
        -c "COMMIT")
n=0
for sid in $ids; do
  row=$(q -c "SELECT status FROM public.wait_ended('$sid', 6)")
  [[ $row == inactive ]] && n=$((n + 1))
done
is "$n" 6 "all six sessions timed out"
is "$(q -c "SELECT count(*) FROM aidis.sessions WHERE status = 'inactive' AND end_reason = 'timeout'
            AND ended_at = last_activity_at")" 6 "each with ended_at = last_activity_at"

# One log line per session across both workers.
sleep 0.3 # let the logging worker finish writing
lines=$(cat "$WORK/a.log" "$WORK/b.log" | grep -o 'expired session=[^ ]*' | sort)
is "$(wc -l <<<"$lines") $(uniq <<<"$lines" | wc -l)" "6 6" "six log lines in total, one per session"

stop_worker "$pid_a" TERM 5
is "$RC" 0 "worker a: SIGTERM exits 0"
stop_worker "$pid_b" TERM 5
is "$RC" 0 "worker b: SIGTERM exits 0"
