#!/usr/bin/env bash
# aidis worker: compacts old timelines (aidis.compact_activity) when it starts
# and then once a day, not on every wake-up; one log line per run; a role that
# may not compact is logged and the worker goes on sweeping.
source "$(dirname "$0")/worker_lib.bash"
plan 8

setup_db aidis_worker_compact 2s || { echo "Bail out! could not create the test database"; exit 1; }
# An ended session whose events are moved to fixed days of 2020 (older than any retention).
old=$(q -c "SELECT id FROM aidis.start_session(agent => 'cursor', client_key => 'old')")
q -c "INSERT INTO aidis.contexts (project_id, session_id, content)
      SELECT project_id, id, 'note ' || i FROM aidis.session_base, generate_series(1, 5) i WHERE id = '$old'" \
  -c "SELECT aidis.end_session('$old')" \
  -c "UPDATE aidis.session_activities SET occurred_at = '2020-03-10 12:00 UTC'::timestamptz + id * interval '1 s'
      WHERE session_id = '$old'" \
  -c "UPDATE aidis.session_base SET started_at = '2020-03-10 11:00 UTC', last_activity_at = '2020-03-10 13:00 UTC',
      ended_at = '2020-03-10 13:00 UTC' WHERE id = '$old'" >/dev/null

start_worker w
check "the worker compacts when it starts" \
  wait_log "$WORK/w.log" 'compacted sessions=1 events_removed=4 summaries=1 older_than="1 year"$' 10
is "$(q -c "SELECT string_agg(kind || ':' || COALESCE(data ->> 'rows', '1'), ' ' ORDER BY id)
            FROM aidis.session_activities WHERE session_id = '$old'")" \
   "session_started:1 context_added:5 session_ended:1" "... into one summary of the day's contexts"
is "$(q -c "SELECT count(*) FROM aidis.check_counters()")" 0 "check_counters() stays empty"
check "... and then sweeps as usual" wait_ready w

# Wake-ups (a session that times out) do not compact again: once a day.
sid=$(start_session wake)
check_expiry "a session still times out on time" "$sid" 2
is "$(grep -c 'compacted ' "$WORK/w.log")" 1 "one compaction line after the wake-ups"

# A worker whose role may not run the procedure logs it and keeps sweeping.
q -c "REVOKE EXECUTE ON PROCEDURE aidis.compact_activity(interval, jsonb) FROM aidis_writer" \
  -c "DROP ROLE IF EXISTS aidis_worker_compact_w" \
  -c "CREATE ROLE aidis_worker_compact_w LOGIN IN ROLE aidis_writer" >/dev/null
"$AIDIS_BIN" -d "dbname=$DB user=aidis_worker_compact_w" worker -v 2>"$WORK/w2.log" </dev/null &
WORKER_PIDS+=("$!")
check "a role without the privilege: logged, the worker goes on" \
  wait_log "$WORK/w2.log" 'compaction failed: .*SQLSTATE 42501.*next attempt in' 10
check "... and waits for deadlines as usual" wait_ready w2
stop_worker "${WORKER_PIDS[-1]}"
q -c "DROP ROLE aidis_worker_compact_w" -c "GRANT EXECUTE ON PROCEDURE aidis.compact_activity(interval, jsonb) TO aidis_writer" >/dev/null
