-- Privileges of the session API (60_api_*.sql to 73_import.sql). Runs after 90_security.sql,
-- which revokes everything from PUBLIC first.

-- Reading: SECURITY INVOKER functions, so they also need the helpers they call.
GRANT EXECUTE ON FUNCTION
  aidis.list_sessions(text, text, text, integer, integer),
  aidis.session_details(text),
  aidis.session_card(aidis.sessions),
  aidis.score_label(numeric),
  aidis.session_contexts(text, integer, integer),
  aidis.session_tasks(text, integer, integer),
  aidis.session_decisions(text, integer, integer),
  aidis.session_timeline(text, integer, bigint),
  aidis.session_score(text),
  aidis.session_stats(text, text),
  aidis.compare_sessions(text, text),
  aidis.session_brief(text),
  aidis.list_projects(),
  aidis.session_stats_daily(text, text),
  aidis._score(bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, boolean, bigint),
  aidis._score_version(),
  aidis._near_duplicates(text[], double precision),
  aidis._search_text(text, text, text, text, text[], text),
  aidis._search_period(timestamptz),
  aidis._search_words(text, timestamptz),
  aidis._search_terms(text),
  aidis._search_query(text[], timestamptz, timestamptz),
  aidis._search_since(timestamptz, double precision, timestamptz),
  aidis._check_q(text),
  aidis._check_text_length(text, integer, text),
  aidis._list_session_ids(text, uuid, text, integer, integer, text),
  aidis._list_ids_unsearched(text, uuid, integer, integer),
  aidis._list_ids_by_reference(text, uuid, text, bigint, text),
  aidis._list_ids_by_words(text, uuid, text, bigint, timestamptz, text),
  aidis._list_ids_in_order(text, uuid, text, bigint, timestamptz, timestamptz, bigint, integer, text),
  aidis._list_filter(text, uuid, text, boolean),
  aidis._substring_pattern(text),
  aidis._list_connected_session_ids(text, uuid, text, integer, integer),
  aidis._check_page(integer, bigint, integer),
  aidis._session_to_read(text, integer, integer, integer),
  aidis._session_rows(anyelement, text, integer, integer),
  aidis._stats_scope(text, text),
  aidis._keyword(text, text, text[]),
  aidis._wanted_status(text),
  aidis._wall_seconds(timestamptz, timestamptz),
  aidis._active_seconds(uuid, timestamptz, timestamptz, timestamptz),
  aidis._shown_active_seconds(uuid, timestamptz, timestamptz, timestamptz, bigint),
  aidis._score_signals(uuid),
  aidis._compute_score(uuid),
  aidis._current_score(uuid, text, jsonb),
  aidis.session_export(text),
  aidis.export_sessions(text, text, text, timestamptz),
  aidis._export_doc(uuid),
  aidis._export_filter(text, text, text),
  aidis._export_rows(uuid)
  TO aidis_reader;

-- Editing and rating: what the MCP server and the CLI need.
GRANT EXECUTE ON FUNCTION
  aidis.update_session(text, text, text, text, text[], text, text, text, text[], text),
  aidis.rate_session(text, integer, text)
  TO aidis_writer;

-- Moving a session to another project.
GRANT EXECUTE ON FUNCTION aidis.reassign_project(text, text, text) TO aidis_admin;
-- The q search as the owner, unrestricted: for the role whose policy shows everything.
GRANT EXECUTE ON FUNCTION aidis._list_all_session_ids(text, uuid, text, integer, integer) TO aidis_admin;

-- Retention (70_retention.sql): the policy's compaction may be run by the
-- worker's role; an explicit age is checked for aidis_admin inside. REVOKE
-- ... ALL FUNCTIONS does not cover procedures: revoked here.
REVOKE ALL ON PROCEDURE aidis.compact_activity(interval, jsonb) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE aidis.compact_activity(interval, jsonb) TO aidis_writer, aidis_admin;
GRANT EXECUTE ON FUNCTION aidis._compact_batch(interval, jsonb, integer) TO aidis_writer, aidis_admin;
GRANT EXECUTE ON FUNCTION aidis._session_retention() TO aidis_reader;
-- Deleting a session (71_delete_session.sql).
GRANT EXECUTE ON FUNCTION aidis.delete_session(text, text) TO aidis_admin;
-- Restoring exported sessions (73_import.sql).
GRANT EXECUTE ON FUNCTION aidis.session_import(jsonb) TO aidis_admin;
