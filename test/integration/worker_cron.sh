#!/usr/bin/env bash
# pg_cron fallback: aidis.enable_cron() / aidis.disable_cron() against the real
# pg_cron of the test cluster (cron.database_name = 'aidis', so it runs in the
# database aidis), and the error where pg_cron is absent.
# Waits for pg_cron to run the job once: up to a minute.
source "$(dirname "$0")/worker_lib.bash"
plan 18

JOB=aidis_expire_idle_sessions
DB=aidis
QDB=postgres q -c "SELECT 1 FROM pg_database WHERE datname = 'aidis'" | grep -q 1 ||
  QDB=postgres q -c "CREATE DATABASE aidis" || { echo "Bail out! no database aidis"; exit 1; }
# Use what is there; remove only what this test adds (on exit, even on failure).
CLEANUP_SQL+=("SELECT aidis.disable_cron()" "ALTER DATABASE aidis RESET aidis.session_timeout")
if [[ -z $(q -c "SELECT 1 FROM pg_extension WHERE extname = 'pg_cron'") ]]; then
  q -c "CREATE EXTENSION pg_cron" || { echo "Bail out! cannot create pg_cron in database aidis"; exit 1; }
  CLEANUP_SQL+=("DROP EXTENSION pg_cron")
fi
if [[ -z $(q -c "SELECT 1 FROM pg_extension WHERE extname = 'aidis_sessions'") ]]; then
  q -c "CREATE EXTENSION aidis_sessions CASCADE" || { echo "Bail out! cannot create aidis_sessions"; exit 1; }
  CLEANUP_SQL+=("DROP EXTENSION aidis_sessions CASCADE")
fi
job_row() { q -F '|' -c "SELECT jobid, schedule, command, database FROM cron.job WHERE jobname = '$JOB'"; }

# enable_cron: one job, in this database, running the sweep; idempotent.
id=$(q -c "SELECT aidis.enable_cron('* * * * *')")
is "$(job_row)" "$id|* * * * *|SELECT aidis.expire_idle_sessions()|aidis" "enable_cron() creates the job in cron.job"
id2=$(q -c "SELECT aidis.enable_cron('*/5 * * * *')")
is "$id2 $(q -c "SELECT count(*) FROM cron.job WHERE jobname = '$JOB'")" "$id 1" "enable_cron() again: same job"
is "$(job_row | cut -d'|' -f2)" "*/5 * * * *" "... with the new schedule"
# The daily compaction beside it: one job, whose command runs here.
is "$(q -F '|' -c "SELECT count(*), min(schedule), min(command) FROM cron.job WHERE jobname = 'aidis_compact_activity'")" \
  "1|17 3 * * *|CALL aidis.compact_activity()" "enable_cron() schedules the daily compaction once"
is "$(q -c "$(q -c "SELECT command FROM cron.job WHERE jobname = 'aidis_compact_activity'")" | grep -o '"sessions": [0-9]*')" '"sessions": 0' \
  "... and its command compacts (nothing old here)"
is "$(sqlstate "SELECT aidis.enable_cron('every tuesday')")" 22023 "invalid schedule: SQLSTATE 22023"
is "$(job_row | cut -d'|' -f2)" "*/5 * * * *" "... and the job is unchanged"

# Privileges: aidis_admin only (the job still runs as the extension owner).
QDB=postgres q -c "DROP ROLE IF EXISTS aidis_worker_cron_writer, aidis_worker_cron_admin" \
  -c "CREATE ROLE aidis_worker_cron_writer IN ROLE aidis_writer" \
  -c "CREATE ROLE aidis_worker_cron_admin IN ROLE aidis_admin"
is "$(sqlstate "SET ROLE aidis_worker_cron_writer; SELECT aidis.enable_cron('*/5 * * * *')")" 42501 \
  "aidis_writer may not call enable_cron()"
is "$(q -c "SET ROLE aidis_worker_cron_admin" -c "SELECT aidis.enable_cron('*/5 * * * *')")" "$id" \
  "aidis_admin may"
QDB=postgres q -c "DROP ROLE aidis_worker_cron_writer, aidis_worker_cron_admin"

# The job's command ends idle sessions (run here with a short timeout).
sid=$(q -c "SELECT id FROM aidis.start_session(agent => 'claude-code', client_key => 'worker-cron-1')")
command=$(job_row | cut -d'|' -f3)
q -c "SET aidis.session_timeout = '1s'" -c "SELECT pg_sleep(1.2)" -c "$command" >/dev/null
is "$(q -c "SELECT status, end_reason FROM aidis.sessions WHERE id = '$sid'")" "inactive|timeout" \
  "the job's command times out an idle session"

# pg_cron itself runs the job (at the next minute boundary).
q -c "ALTER DATABASE aidis SET aidis.session_timeout = '1s'"
sid=$(q -c "SELECT id FROM aidis.start_session(agent => 'claude-code', client_key => 'worker-cron-2')")
# Idle past its timeout before the job exists: whenever the first run comes, it is due.
q -c "SELECT pg_sleep(1.2)" >/dev/null
# Runs are told apart by runid, not by time: pg_cron's clock is the
# scheduler process's, which need not be a backend's (a moved test clock).
last_run=$(q -c "SELECT COALESCE(max(runid), 0) FROM cron.job_run_details")
since=$(q -c "SELECT now()")
q -c "SELECT aidis.enable_cron('* * * * *')" >/dev/null
result=$(q -c "DO \$\$ BEGIN
                 WHILE NOT EXISTS (SELECT 1 FROM cron.job_run_details
                                   WHERE jobid = $id AND runid > $last_run AND status IN ('succeeded', 'failed'))
                       AND clock_timestamp() < '$since'::timestamptz + interval '150 s' LOOP
                   PERFORM pg_sleep(0.2);
                 END LOOP;
               END \$\$" \
           -c "SELECT status FROM cron.job_run_details
               WHERE jobid = $id AND runid > $last_run ORDER BY runid LIMIT 1")
is "$result" succeeded "pg_cron ran the job"
[[ $result == succeeded ]] ||
  q -c "SELECT '# runs after run $last_run: ' || COALESCE(string_agg(status || ' at ' || start_time, ', '), 'none')
               || '; server now ' || now() || '; scheduler started ' || COALESCE((SELECT min(backend_start)::text
                  FROM pg_stat_activity WHERE backend_type = 'pg_cron scheduler'), 'not running')
        FROM cron.job_run_details WHERE jobid = $id"
is "$(q -c "SELECT status, end_reason FROM aidis.sessions WHERE id = '$sid'")" "inactive|timeout" \
  "... and it timed out the idle session"
q -c "ALTER DATABASE aidis RESET aidis.session_timeout"

# disable_cron: removes the job; false when there is none.
is "$(q -c "SELECT aidis.disable_cron()")" t "disable_cron() removes the job"
is "$(q -c "SELECT count(*) FROM cron.job WHERE jobname = '$JOB'")" 0 "... from cron.job"
is "$(q -c "SELECT count(*) FROM cron.job WHERE jobname = 'aidis_compact_activity'")" 0 "... and the compaction job"
is "$(q -c "SELECT aidis.disable_cron()")" f "disable_cron() again: false"

# A database without pg_cron: enable_cron() fails with 55000 and a hint.
setup_db aidis_worker_nocron 2h || { echo "Bail out! could not create the test database"; exit 1; }
err=$(q -v VERBOSITY=verbose -c "SELECT aidis.enable_cron()" 2>&1)
[[ $err == *55000* && $err == *"cron.database_name = 'aidis_worker_nocron'"* ]]
ok $? "no pg_cron in the database: SQLSTATE 55000, hint names cron.database_name" "$err"
is "$(q -c "SELECT aidis.disable_cron()")" f "disable_cron() there: false"
