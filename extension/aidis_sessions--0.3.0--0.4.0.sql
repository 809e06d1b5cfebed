-- aidis_sessions 0.3.0 -> 0.4.0 (see the README's upgrade table).
\echo Use "ALTER EXTENSION aidis_sessions UPDATE TO '0.4.0'" to load this file. \quit

-- === h-conn begin ===
-- Bindings that fit pools (transaction scope, start_session's bind), the
-- project rule for stamping, and the cached current session.
CREATE FUNCTION aidis._latest_changed() RETURNS void
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'aidis_latest_changed';
REVOKE ALL ON FUNCTION aidis._latest_changed() FROM PUBLIC;
CREATE FUNCTION aidis._latest_session(project uuid)
  RETURNS TABLE (session_id uuid, project_id uuid)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  WITH newest AS (
    SELECT GREATEST(
      (SELECT max(b.last_activity_at) FROM aidis.session_base b
       WHERE b.status = 'active' AND (project IS NULL OR b.project_id = project)),
      (SELECT max(d.last_activity_at) FROM aidis.session_deltas d
       JOIN aidis.session_base b ON b.id = d.session_id
       WHERE b.status = 'active' AND (project IS NULL OR b.project_id = project))) AS at
  ), at_newest AS (
    SELECT b.id FROM aidis.session_base b, newest n
    WHERE b.status = 'active' AND b.last_activity_at = n.at
    UNION
    SELECT d.session_id FROM aidis.session_deltas d, newest n WHERE d.last_activity_at = n.at
  )
  SELECT b.id, b.project_id FROM at_newest x JOIN aidis.session_base b ON b.id = x.id
  WHERE b.status = 'active' AND (project IS NULL OR b.project_id = project)
  ORDER BY b.started_at DESC, b.id
  LIMIT 1
$$;
REVOKE ALL ON FUNCTION aidis._latest_session(uuid) FROM PUBLIC;
CREATE OR REPLACE FUNCTION aidis._resolve_session(bound uuid, autostart boolean, agent text, project uuid)
  RETURNS TABLE (session_id uuid, project_id uuid)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF bound IS NOT NULL THEN
    RETURN QUERY SELECT b.id, b.project_id FROM aidis.session_base b
                 WHERE b.id = bound AND b.status = 'active';
    IF FOUND THEN RETURN; END IF;
  END IF;
  IF project IS NOT NULL THEN
    RETURN QUERY SELECT l.session_id, l.project_id FROM aidis._latest_session(project) l;
    IF FOUND THEN RETURN; END IF;
  END IF;
  RETURN QUERY SELECT l.session_id, l.project_id FROM aidis._latest_session(NULL) l;
  IF FOUND OR NOT autostart THEN RETURN; END IF;
  RETURN QUERY SELECT s.id, s.project_id
               FROM aidis.start_session(agent => agent, project => project::text, bind => 'transaction') s;
END
$$;

DROP FUNCTION aidis._bind(uuid);
CREATE FUNCTION aidis._bind(sid uuid, scope text) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF scope IN ('connection', 'transaction') THEN
    PERFORM set_config('aidis.session_id', sid::text, scope = 'transaction');
  END IF;
  PERFORM aidis._forget_cached_session();
END
$$;
REVOKE ALL ON FUNCTION aidis._bind(uuid, text) FROM PUBLIC;

CREATE FUNCTION aidis._check_bind_scope(scope text, what text) RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF scope IS NULL OR scope NOT IN ('connection', 'transaction', 'none') THEN
    RAISE EXCEPTION 'invalid % "%"', what, scope
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''connection'', ''transaction'' or ''none''.';
  END IF;
END
$$;
REVOKE ALL ON FUNCTION aidis._check_bind_scope(text, text) FROM PUBLIC;

DROP FUNCTION aidis.start_session(text, text, text, text, text, text, boolean);
CREATE FUNCTION aidis.start_session(agent text DEFAULT NULL, project text DEFAULT NULL,
                                    title text DEFAULT NULL, goal text DEFAULT NULL,
                                    ai_model text DEFAULT NULL, client_key text DEFAULT NULL,
                                    force_new boolean DEFAULT false, bind text DEFAULT 'connection')
  RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  who text := aidis.normalize_agent(COALESCE(NULLIF(btrim(agent), ''),
                                             NULLIF(current_setting('application_name', true), ''),
                                             'unknown'));
  pid uuid;
  existing aidis.session_base;
  sid uuid;
  display text;
  started timestamptz := clock_timestamp();
  result aidis.sessions;
BEGIN
  PERFORM aidis._check_bind_scope(bind, 'bind');
  -- One start at a time per (agent, client_key).
  PERFORM pg_advisory_xact_lock(hashtext('aidis_sessions.start'),
                                hashtext(who || '/' || COALESCE(client_key, '')));
  IF project IS NOT NULL THEN
    pid := aidis._choose_project(project);
  END IF;

  SELECT * INTO existing FROM aidis.session_base b
  WHERE b.agent = who AND COALESCE(b.client_key, '') = COALESCE(start_session.client_key, '')
    AND b.status = 'active'
  FOR UPDATE;

  IF FOUND AND NOT COALESCE(force_new, false) AND (pid IS NULL OR pid = existing.project_id) THEN
    -- Resume: the MCP server restarted or reconnected.
    UPDATE aidis.session_base b
    SET ai_model = COALESCE(start_session.ai_model, b.ai_model),
        goal = COALESCE(start_session.goal, b.goal),
        title = COALESCE(start_session.title, b.title),
        last_activity_at = GREATEST(b.last_activity_at, started),
        updated_at = started
    WHERE b.id = existing.id;
    PERFORM aidis._log_event(existing.id, 'session_resumed', started, 'session resumed');
    PERFORM aidis._notify('resumed', existing.id);
    PERFORM aidis._bind(existing.id, bind);
    PERFORM aidis._latest_changed();
    SELECT * INTO result FROM aidis.sessions s WHERE s.id = existing.id;
    RETURN result;
  END IF;

  IF FOUND THEN
    PERFORM aidis._close_session(existing.id, 'inactive', 'superseded',
                                 aidis._effective_last_activity(existing.id, existing.last_activity_at));
  END IF;

  pid := COALESCE(pid, aidis._choose_project(NULL));
  display := aidis._next_display_id(started);
  INSERT INTO aidis.session_base (display_id, title, goal, project_id, agent, ai_model, client_key,
                                  started_at, last_activity_at, created_at, updated_at)
  VALUES (display, COALESCE(start_session.title, display), NULLIF(start_session.goal, ''), pid, who,
          NULLIF(start_session.ai_model, ''), start_session.client_key,
          started, started, started, started)
  RETURNING id INTO sid;
  PERFORM aidis._log_event(sid, 'session_started', started, 'session started',
                           jsonb_build_object('agent', who, 'project_id', pid));
  PERFORM aidis._notify('started', sid);
  PERFORM aidis._bind(sid, bind);
  PERFORM aidis._latest_changed();
  SELECT * INTO result FROM aidis.sessions s WHERE s.id = sid;
  RETURN result;
END
$$;
REVOKE ALL ON FUNCTION aidis.start_session(text, text, text, text, text, text, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis.start_session(text, text, text, text, text, text, boolean, text) TO aidis_writer;

DROP FUNCTION aidis.use_session(text);
CREATE FUNCTION aidis.use_session(s text, scope text DEFAULT 'connection') RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
  result aidis.sessions;
BEGIN
  IF s IS NULL THEN
    RAISE EXCEPTION 'use_session needs a session' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM aidis._check_bind_scope(scope, 'scope');
  sid := aidis._find_session(s);
  SELECT * INTO result FROM aidis.sessions x WHERE x.id = sid;
  IF result.status <> 'active' THEN
    RAISE EXCEPTION 'session % is not active (%)', result.display_id, result.status
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Start a new session with aidis.start_session().';
  END IF;
  PERFORM aidis._bind(sid, scope);
  RETURN result;
END
$$;
REVOKE ALL ON FUNCTION aidis.use_session(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis.use_session(text, text) TO aidis_writer;
-- === h-conn end ===
