-- Privileges and row-level security (rule 8). Runs last so it covers every
-- function defined before it.

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA aidis FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA aidis FROM PUBLIC;

GRANT USAGE ON SCHEMA aidis TO aidis_reader;
GRANT SELECT ON aidis.projects, aidis.sessions, aidis.session_base, aidis.session_deltas,
                aidis.session_activities, aidis.session_files, aidis.tracked_tables,
                aidis.contexts, aidis.tasks, aidis.decisions
  TO aidis_reader;
GRANT INSERT, UPDATE, DELETE ON aidis.contexts, aidis.tasks, aidis.decisions TO aidis_writer;

-- Reading.
GRANT EXECUTE ON FUNCTION
  aidis.normalize_agent(text), aidis.current_session(), aidis.next_timeout_at(),
  aidis._current_session_id(), aidis._flush_pending(), aidis._session_timeout(), aidis._effective_last_activity(uuid, timestamptz),
  aidis._find_session(text), aidis._find_project(text), aidis._clip(text),
  aidis._is_uuid(text), aidis._is_display_id(text),
  aidis._connection_role(), aidis._connection_sees_hidden(), aidis.project_for_path(text)
  TO aidis_reader;
-- What the MCP server needs.
GRANT EXECUTE ON FUNCTION
  aidis.create_project(text, text, boolean),
  aidis.start_session(text, text, text, text, text, text, boolean, text),
  aidis.use_session(text, text), aidis.end_session(text, jsonb), aidis.touch(text),
  aidis.record_usage(bigint, bigint, bigint, bigint, text, text),
  aidis.record_file(text, bigint, bigint, text),
  aidis.expire_idle_sessions(), aidis.expire_idle_sessions_list()
  TO aidis_writer;
-- Administration.
GRANT EXECUTE ON FUNCTION
  aidis.disconnect_project(text), aidis.reconnect_project(text),
  aidis.check_counters(), aidis.track(regclass, text), aidis.untrack(regclass),
  aidis.adopt(regclass, regclass, regclass, regclass, regclass, boolean)
  TO aidis_admin;
GRANT SELECT ON aidis.adoption TO aidis_admin;

-- Rows of disconnected projects are invisible to readers and writers; admins
-- (and the owner, which the SECURITY DEFINER functions run as) see everything.
DO $rls$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['aidis.session_base', 'aidis.session_deltas', 'aidis.session_activities',
                           'aidis.session_files', 'aidis.contexts', 'aidis.tasks', 'aidis.decisions'] LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY connected_projects ON %s TO aidis_reader, aidis_writer
                      USING (project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected'))$p$, t);
    EXECUTE format('CREATE POLICY admin_all ON %s TO aidis_admin USING (true)', t);
  END LOOP;
END
$rls$;
