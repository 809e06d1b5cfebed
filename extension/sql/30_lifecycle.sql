-- Session lifecycle: starting, binding, ending, activity, the timeout sweep
-- (rules 1, 3, 4, 6 and 7 of docs/design.md).

-- Binds the calling connection to a session: for the connection (until
-- another binding, RESET or DISCARD ALL), for this transaction only (SET
-- LOCAL), or not at all. Transactional either way: a rolled-back start
-- leaves nothing bound.
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

CREATE FUNCTION aidis._check_bind_scope(scope text, what text) RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF scope IS NULL OR scope NOT IN ('connection', 'transaction', 'none') THEN
    RAISE EXCEPTION 'invalid % "%"', what, aidis._clip(scope)  -- not all of a long value
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''connection'', ''transaction'' or ''none''.';
  END IF;
END
$$;

CREATE FUNCTION aidis.start_session(agent text DEFAULT NULL, project text DEFAULT NULL,
                                    title text DEFAULT NULL, goal text DEFAULT NULL,
                                    ai_model text DEFAULT NULL, client_key text DEFAULT NULL,
                                    force_new boolean DEFAULT false, bind text DEFAULT 'connection')
  RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  who text;
  pid uuid;
  existing aidis.session_base;
  sid uuid;
  display text;
  started timestamptz := clock_timestamp();
  result aidis.sessions;
BEGIN
  PERFORM aidis._check_bind_scope(bind, 'bind');
  IF char_length(btrim(agent)) > 200 THEN
    RAISE EXCEPTION 'agent is % characters long; at most 200 are allowed', char_length(btrim(agent))
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF char_length(ai_model) > 200 THEN
    RAISE EXCEPTION 'ai_model is % characters long; at most 200 are allowed', char_length(ai_model)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF char_length(client_key) > 200 THEN
    RAISE EXCEPTION 'client_key is % characters long; at most 200 are allowed', char_length(client_key)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  who := aidis.normalize_agent(COALESCE(NULLIF(btrim(agent), ''),
                                        NULLIF(current_setting('application_name', true), ''),
                                        'unknown'));
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
  IF FOUND THEN  -- resuming or superseding it changes it
    PERFORM aidis._check_may_change(existing.id);
  END IF;

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
                                  started_at, last_activity_at, created_at, updated_at, started_by)
  VALUES (display, COALESCE(start_session.title, display), NULLIF(start_session.goal, ''), pid, who,
          NULLIF(start_session.ai_model, ''), start_session.client_key,
          started, started, started, started, pg_get_userbyid(aidis._connection_role()))
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

CREATE FUNCTION aidis.current_session() RETURNS aidis.sessions
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._flush_pending();  -- see this transaction's own work
  SELECT s.* FROM aidis.sessions s WHERE s.id = aidis._current_session_id();
$$;

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
  PERFORM aidis._check_may_change(sid);
  SELECT * INTO result FROM aidis.sessions x WHERE x.id = sid;
  IF result.status <> 'active' THEN
    RAISE EXCEPTION 'session % is not active (%)', result.display_id, result.status
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Start a new session with aidis.start_session().';
  END IF;
  PERFORM aidis._bind(sid, scope);
  RETURN result;
END
$$;

-- Ends a session. `files` (a JSON array of {"path", "added", "removed"}, as
-- `aidis session end --measure-loc` measures them) are recorded first, in the
-- same transaction: the session ends with its files or not at all.
CREATE FUNCTION aidis.end_session(s text DEFAULT NULL, files jsonb DEFAULT NULL) RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._find_session(s);
  row aidis.session_base;
  result aidis.sessions;
BEGIN
  IF files IS NOT NULL AND (jsonb_typeof(files) <> 'array' OR EXISTS (
       SELECT 1 FROM jsonb_array_elements(files) f
       WHERE jsonb_typeof(f) <> 'object' OR jsonb_typeof(f -> 'path') IS DISTINCT FROM 'string'
          OR EXISTS (SELECT 1 FROM unnest(ARRAY[f -> 'added', f -> 'removed']) n
                     WHERE n IS NOT NULL AND (jsonb_typeof(n) <> 'number' OR n::text !~ '^[0-9]{1,18}$')))) THEN
    RAISE EXCEPTION 'files must be a JSON array of {"path": text, "added": n, "removed": n} with n a whole number of lines'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF jsonb_array_length(COALESCE(files, '[]')) > 10000 THEN
    RAISE EXCEPTION 'files has % entries; at most 10000 are allowed', jsonb_array_length(files)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM aidis._check_may_change(sid);
  SELECT * INTO row FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  IF row.status <> 'active' THEN
    RAISE EXCEPTION 'session % is not active (%)', row.display_id, row.status
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM aidis._refuse_if_disconnected(row.project_id);
  PERFORM aidis.record_file(f ->> 'path', COALESCE((f ->> 'added')::bigint, 0),
                            COALESCE((f ->> 'removed')::bigint, 0), sid::text)
  FROM jsonb_array_elements(COALESCE(files, '[]')) f;
  PERFORM aidis._close_session(sid, 'inactive', 'ended', clock_timestamp());  -- forgets the caches
  SELECT * INTO result FROM aidis.sessions x WHERE x.id = sid;
  RETURN result;
END
$$;

-- The session that activity is credited to: an explicit one must be active;
-- NULL means the current session, started if none is active (rule 4).
-- Either must be one the connection's role may change.
CREATE FUNCTION aidis._activity_session(s text, OUT session_id uuid, OUT project_id uuid)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  row aidis.session_base;
BEGIN
  IF s IS NULL THEN
    session_id := aidis._current_or_new_session_id();
  ELSE
    session_id := aidis._find_session(s);
  END IF;
  PERFORM aidis._check_may_change(session_id);
  SELECT * INTO row FROM aidis.session_base b WHERE b.id = session_id;
  IF row.status <> 'active' THEN
    RAISE EXCEPTION 'session % is not active (%)', row.display_id, row.status
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM aidis._refuse_if_disconnected(row.project_id);
  project_id := row.project_id;
END
$$;

CREATE FUNCTION aidis.touch(s text DEFAULT NULL) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  target record := aidis._activity_session(s);
BEGIN
  PERFORM aidis._buffer_touch(target.session_id, target.project_id);
END
$$;

CREATE FUNCTION aidis.record_usage(input_tokens bigint, output_tokens bigint,
                                   cache_read_tokens bigint DEFAULT 0,
                                   cache_creation_tokens bigint DEFAULT 0,
                                   model text DEFAULT NULL, s text DEFAULT NULL)
  RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  target record;
BEGIN
  IF input_tokens IS NULL OR output_tokens IS NULL OR cache_read_tokens IS NULL
     OR cache_creation_tokens IS NULL THEN
    RAISE EXCEPTION 'token counts must not be NULL' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF input_tokens < 0 OR output_tokens < 0 OR cache_read_tokens < 0 OR cache_creation_tokens < 0 THEN
    RAISE EXCEPTION 'token counts must not be negative' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF char_length(btrim(model)) > 200 THEN  -- stored as the session's ai_model
    RAISE EXCEPTION 'model is % characters long; at most 200 are allowed', char_length(btrim(model))
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  target := aidis._activity_session(s);
  PERFORM aidis._buffer_usage(target.session_id, target.project_id, input_tokens, output_tokens,
                              cache_read_tokens, cache_creation_tokens, NULLIF(btrim(model), ''));
  IF NULLIF(btrim(model), '') IS NOT NULL THEN
    -- Only writes the session row when the model changes.
    UPDATE aidis.session_base b SET ai_model = btrim(model), updated_at = clock_timestamp()
    WHERE b.id = target.session_id AND b.ai_model IS DISTINCT FROM btrim(model);
  END IF;
END
$$;

-- A file the client changed, with the lines it added and removed.
CREATE FUNCTION aidis.record_file(path text, lines_added bigint DEFAULT 0,
                                  lines_removed bigint DEFAULT 0, s text DEFAULT NULL)
  RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF path IS NULL OR btrim(path) = '' OR char_length(path) > 4096 THEN
    RAISE EXCEPTION 'path must be 1 to 4096 characters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF lines_added IS NULL OR lines_removed IS NULL OR lines_added < 0 OR lines_removed < 0 THEN
    RAISE EXCEPTION 'line counts must be zero or more' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM aidis._buffer_file(t.session_id, t.project_id, btrim(path), lines_added, lines_removed)
  FROM aidis._activity_session(s) t;
END
$$;

-- Rule 7: the timeout sweep. One row per session it ended.
CREATE FUNCTION aidis.expire_idle_sessions_list()
  RETURNS TABLE (id uuid, display_id text, project_name text, agent text,
                 last_activity_at timestamptz, ended_at timestamptz)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  timeout interval := aidis._session_timeout();
  sweep_at timestamptz := clock_timestamp();
  candidate uuid;
  locked aidis.session_base;
  last_at timestamptz;
BEGIN
  PERFORM aidis._fold_deltas();
  FOR candidate IN
    SELECT b.id FROM aidis.session_base b
    WHERE b.status = 'active'
      AND aidis._effective_last_activity(b.id, b.last_activity_at) + timeout <= sweep_at
    ORDER BY b.id
  LOOP
    -- Another sweep or an end_session holds it: they decide.
    SELECT * INTO locked FROM aidis.session_base b
    WHERE b.id = candidate AND b.status = 'active'
    FOR UPDATE SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    -- Re-read with this statement's snapshot: activity committed meanwhile wins.
    last_at := aidis._effective_last_activity(locked.id, locked.last_activity_at);
    CONTINUE WHEN last_at + timeout > sweep_at;
    PERFORM aidis._close_session(locked.id, 'inactive', 'timeout', last_at);
    id := locked.id;
    display_id := locked.display_id;
    SELECT p.name INTO project_name FROM aidis.projects p WHERE p.id = locked.project_id;
    agent := locked.agent;
    last_activity_at := last_at;
    ended_at := last_at;
    RETURN NEXT;
  END LOOP;
  PERFORM aidis._forget_cached_session();
END
$$;

CREATE FUNCTION aidis.expire_idle_sessions() RETURNS integer
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$ SELECT count(*)::integer FROM aidis.expire_idle_sessions_list() $$;

CREATE FUNCTION aidis.next_timeout_at() RETURNS timestamptz
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT min(aidis._effective_last_activity(b.id, b.last_activity_at)) + aidis._session_timeout()
  FROM aidis.session_base b WHERE b.status = 'active'
$$;
