-- Reading one session: its details and its timeline.

-- Everything a details page shows: the session's columns (as in the view
-- aidis.sessions) plus project_name, project_status, wall_seconds,
-- active_seconds, top_files, score (number), score_breakdown (with every
-- signal) and score_source ('stored' at the end, or 'live').
CREATE FUNCTION aidis.session_details(s text DEFAULT NULL) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._session_to_read(s);
  v aidis.sessions;
  proj aidis.projects;
  sc record;
  files jsonb;
BEGIN
  SELECT * INTO v FROM aidis.sessions x WHERE x.id = sid;
  SELECT * INTO proj FROM aidis.projects p WHERE p.id = v.project_id;
  sc := aidis._current_score(sid, v.status, v.score_breakdown);
  SELECT COALESCE(jsonb_agg(jsonb_build_object(
           'path', f.path, 'mentions', f.mentions, 'modifications', f.modifications,
           'loc_added', f.loc_added, 'loc_removed', f.loc_removed,
           'first_at', f.first_at, 'last_at', f.last_at)
           ORDER BY f.modifications + f.mentions DESC, f.loc_added + f.loc_removed DESC, f.path), '[]')
  INTO files
  FROM (SELECT * FROM aidis.session_files x WHERE x.session_id = sid
        ORDER BY x.modifications + x.mentions DESC, x.loc_added + x.loc_removed DESC, x.path
        LIMIT 10) f;
  RETURN to_jsonb(v) || jsonb_build_object(
    'project_name', proj.name,
    'project_status', proj.status,
    'project_root_directory', proj.root_directory,
    'wall_seconds', aidis._wall_seconds(v.started_at, v.ended_at),
    'active_seconds', aidis._shown_active_seconds(sid, v.started_at, v.ended_at, v.last_activity_at,
                                                  (SELECT b.active_seconds FROM aidis.session_base b WHERE b.id = sid)),
    'top_files', files,
    'score', sc.breakdown -> 'score',
    'score_label', aidis.score_label((sc.breakdown ->> 'score')::numeric),
    'score_breakdown', sc.breakdown,
    'score_source', sc.source);
END
$$;

-- A session row as clients show it (the command line, the MCP server, the
-- page): the row, its project's name, its wall-clock seconds, the label of its
-- score, and `resumed`: on the row start_session returns, whether it took up
-- an active session instead of starting one (a new session is created and
-- updated at the same moment; resuming updates it later).
CREATE FUNCTION aidis.session_card(s aidis.sessions) RETURNS jsonb
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT to_jsonb(s) || jsonb_build_object(
    'project_name', (SELECT p.name FROM aidis.projects p WHERE p.id = s.project_id),
    'wall_seconds', aidis._wall_seconds(s.started_at, s.ended_at),
    'score_label', aidis.score_label(s.score::numeric),
    'resumed', s.updated_at > s.created_at)
$$;

-- The session a read is for: this transaction's own work flushed first (the
-- read sees it), the paging, if any, checked (22023, at most max_lim rows),
-- the session found.
CREATE FUNCTION aidis._session_to_read(s text, lim integer DEFAULT NULL, off integer DEFAULT NULL,
                                       max_lim integer DEFAULT NULL) RETURNS uuid
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._flush_pending();
  PERFORM aidis._check_page(lim, off, max_lim);
  RETURN aidis._find_session(s);
END
$$;

-- One page of a session's own rows of a shipped table, oldest first: the
-- table is the one whose row type row_type has (a NULL of it).
CREATE FUNCTION aidis._session_rows(row_type anyelement, s text, lim integer, off integer)
  RETURNS SETOF anyelement
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY EXECUTE format('SELECT * FROM %s x WHERE x.session_id = $1
                               ORDER BY x.created_at, x.id LIMIT $2 OFFSET $3', pg_typeof(row_type))
    USING aidis._session_to_read(s, lim, off, 1000), COALESCE(lim, 50), COALESCE(off, 0);
END
$$;

-- The session's own rows of the shipped tables.
CREATE FUNCTION aidis.session_contexts(s text DEFAULT NULL, lim integer DEFAULT 50, off integer DEFAULT 0)
  RETURNS SETOF aidis.contexts LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM aidis._session_rows(NULL::aidis.contexts, s, lim, off) $$;

CREATE FUNCTION aidis.session_tasks(s text DEFAULT NULL, lim integer DEFAULT 50, off integer DEFAULT 0)
  RETURNS SETOF aidis.tasks LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM aidis._session_rows(NULL::aidis.tasks, s, lim, off) $$;

CREATE FUNCTION aidis.session_decisions(s text DEFAULT NULL, lim integer DEFAULT 50, off integer DEFAULT 0)
  RETURNS SETOF aidis.decisions LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM aidis._session_rows(NULL::aidis.decisions, s, lim, off) $$;

-- The timeline, oldest first; page with after_id = the last id seen.
CREATE FUNCTION aidis.session_timeline(s text DEFAULT NULL, lim integer DEFAULT 500, after_id bigint DEFAULT 0)
  RETURNS TABLE (id bigint, occurred_at timestamptz, kind text, summary text, entity_id text, data jsonb)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
BEGIN
  IF after_id < 0 THEN
    RAISE EXCEPTION 'after_id must not be negative, not %', after_id USING ERRCODE = 'invalid_parameter_value';
  END IF;
  sid := aidis._session_to_read(s, lim, NULL, 10000);
  RETURN QUERY
    SELECT a.id, a.occurred_at, a.kind, a.summary, a.entity_id, a.data
    FROM aidis.session_activities a
    WHERE a.session_id = sid AND a.id > COALESCE(after_id, 0)
    ORDER BY a.id
    LIMIT COALESCE(lim, 500);
END
$$;
