-- pg_cron fallback for the timeout sweep and the daily compaction (docs/worker.md).
-- Installations that run no `aidis worker` let pg_cron call
-- aidis.expire_idle_sessions() on a schedule instead. pg_cron's finest
-- schedule is one minute, so sessions end up to a minute after their deadline;
-- ended_at is last_activity_at either way, so the recorded times are the same.
--
-- pg_cron can only be created in the database named by cron.database_name and
-- runs its jobs there, so both functions work only in that database.
-- The job runs as the owner of these functions (the extension owner).

CREATE FUNCTION aidis.enable_cron(schedule text DEFAULT '* * * * *') RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF schedule IS NULL OR pg_catalog.btrim(schedule) = '' OR pg_catalog.char_length(schedule) > 100 THEN
    RAISE EXCEPTION 'schedule must be a cron expression such as ''* * * * *'' (at most 100 characters)'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
    RAISE EXCEPTION 'pg_cron is not installed in database "%"', pg_catalog.current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = pg_catalog.format(
              'Set cron.database_name = %L (and shared_preload_libraries = ''pg_cron'') in postgresql.conf, '
              'restart the server, then run CREATE EXTENSION pg_cron in this database. '
              'Or run `aidis worker` against it instead.', pg_catalog.current_database());
  END IF;
  -- pg_cron updates a job of the same name and user in place, so calling this
  -- again only changes the schedule and returns the same job id. An invalid
  -- schedule is rejected by pg_cron itself (SQLSTATE 22023).
  -- Retention once a day (03:17, the scheduler's time zone): compaction of
  -- old timelines under aidis.session_retention (70_retention.sql).
  PERFORM cron.schedule('aidis_compact_activity', '17 3 * * *', 'CALL aidis.compact_activity()');
  RETURN cron.schedule('aidis_expire_idle_sessions', schedule, 'SELECT aidis.expire_idle_sessions()');
END
$$;

COMMENT ON FUNCTION aidis.enable_cron(text) IS
  'Schedule the idle-session sweep (job aidis_expire_idle_sessions, returned) and the daily compaction (job aidis_compact_activity) with pg_cron';

-- True when a job was removed; false when none was scheduled (also when
-- pg_cron is absent: nothing can be scheduled then), so teardown scripts can
-- call it unconditionally.
CREATE FUNCTION aidis.disable_cron() RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
    RETURN false;
  END IF;
  -- cron.unschedule(name) raises when there is no such job: check first.
  -- (Jobs are per user; these functions always act as their owner.)
  IF EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'aidis_compact_activity' AND username = current_user) THEN
    PERFORM cron.unschedule('aidis_compact_activity');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM cron.job
                 WHERE jobname = 'aidis_expire_idle_sessions' AND username = current_user) THEN
    RETURN false;
  END IF;
  RETURN cron.unschedule('aidis_expire_idle_sessions');
END
$$;

COMMENT ON FUNCTION aidis.disable_cron() IS
  'Remove the pg_cron jobs created by aidis.enable_cron(); false when there was no sweep job';

REVOKE ALL ON FUNCTION aidis.enable_cron(text), aidis.disable_cron() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis.enable_cron(text), aidis.disable_cron() TO aidis_admin;
