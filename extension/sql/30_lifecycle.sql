-- Session lifecycle (rules 1-3 and 6-8 of docs/design.md).

CREATE FUNCTION aidis.create_project(name text, root_directory text DEFAULT NULL,
                                     is_default boolean DEFAULT false)
  RETURNS aidis.projects
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  created aidis.projects;
  host regclass := (SELECT a.projects FROM aidis.adoption a);
  pid uuid := pg_catalog.gen_random_uuid();
BEGIN
  IF name IS NULL OR btrim(name) = '' THEN
    RAISE EXCEPTION 'project name must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF char_length(root_directory) > 4096 THEN
    RAISE EXCEPTION 'root_directory is % characters long; at most 4096 are allowed', char_length(root_directory)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF name = '__unassigned__' OR EXISTS (SELECT 1 FROM aidis.projects p WHERE p.name = create_project.name) THEN
    RAISE EXCEPTION 'project "%" already exists', name USING ERRCODE = 'unique_violation';
  END IF;
  IF COALESCE(is_default, false) THEN
    UPDATE aidis.projects p SET is_default = false, updated_at = now() WHERE p.is_default;
  END IF;
  IF host IS NOT NULL THEN
    -- An adopted database has one set of projects: the host's table, whose
    -- trigger adds the project here (docs/adopting.md).
    PERFORM aidis._host_insert_project(host, pid, create_project.name, create_project.root_directory);
    UPDATE aidis.projects p SET is_default = COALESCE(create_project.is_default, false)
    WHERE p.id = pid RETURNING * INTO created;
  ELSE
    INSERT INTO aidis.projects (id, name, root_directory, is_default)
    VALUES (pid, create_project.name, create_project.root_directory, COALESCE(create_project.is_default, false))
    RETURNING * INTO created;
  END IF;
  RETURN created;
END
$$;

-- The project whose root_directory holds a path (an MCP client's root): the
-- longest root_directory that is the path or one of its parents, on a path
-- boundary ('/home/me/shop' holds '/home/me/shop/src', not '/home/me/shopping').
-- Paths are compared as given (no . or .. resolution). Disconnected projects
-- take no sessions, so they hold nothing. All fields NULL when none does.
CREATE FUNCTION aidis.project_for_path(path text) RETURNS aidis.projects
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  found aidis.projects;
BEGIN
  IF char_length(path) > 4096 THEN
    RAISE EXCEPTION 'path is % characters long; at most 4096 are allowed', char_length(path)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF path IS NULL OR left(path, 1) <> '/' THEN
    RAISE EXCEPTION 'path must be absolute: %', COALESCE(aidis._clip(path), 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT p.* INTO found FROM aidis.projects p
  WHERE p.status <> 'disconnected' AND left(p.root_directory, 1) = '/'
    AND starts_with(rtrim(path, '/') || '/', rtrim(p.root_directory, '/') || '/')
  ORDER BY char_length(rtrim(p.root_directory, '/')) DESC, p.created_at DESC, p.id
  LIMIT 1;
  RETURN found;
END
$$;

-- Rule 2: explicit > most activity in the last 24 h > default > newest active > __unassigned__.
CREATE FUNCTION aidis._choose_project(project text) RETURNS uuid
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pid uuid;
BEGIN
  IF project IS NOT NULL THEN
    pid := aidis._find_project(project);
    PERFORM aidis._refuse_if_disconnected(pid);
    RETURN pid;
  END IF;
  -- Activity = work on the timeline (contexts, tasks, decisions, usage, files)
  -- in the window, of the sessions that may have some; session starts and
  -- ends are not work.
  WITH recent AS (  -- each part uses an index; deltas hold activity not folded yet
    SELECT b.id FROM aidis.session_base b WHERE b.status = 'active'
    UNION SELECT b.id FROM aidis.session_base b WHERE b.last_activity_at > now() - interval '24 hours'
    UNION SELECT d.session_id FROM aidis.session_deltas d)
  SELECT b.project_id INTO pid
  FROM recent r
  JOIN aidis.session_base b ON b.id = r.id
  JOIN aidis.projects p ON p.id = b.project_id
  CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM aidis.session_activities a
    WHERE a.session_id = b.id AND a.occurred_at > now() - interval '24 hours'
      AND a.kind NOT LIKE 'session\_%') w
  WHERE p.status = 'active' AND p.id <> '00000000-0000-0000-0000-000000000000'
  GROUP BY b.project_id
  HAVING sum(w.n) > 0
  ORDER BY sum(w.n) DESC, max(b.last_activity_at) DESC
  LIMIT 1;
  IF pid IS NOT NULL THEN RETURN pid; END IF;
  SELECT p.id INTO pid FROM aidis.projects p WHERE p.is_default AND p.status = 'active';
  IF pid IS NOT NULL THEN RETURN pid; END IF;
  SELECT p.id INTO pid FROM aidis.projects p
  WHERE p.status = 'active' AND p.id <> '00000000-0000-0000-0000-000000000000'
  ORDER BY p.created_at DESC, p.id LIMIT 1;
  RETURN COALESCE(pid, '00000000-0000-0000-0000-000000000000'::uuid);
END
$$;

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
    RAISE EXCEPTION 'invalid % "%"', what, scope
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
  IF char_length(ai_model) > 200 THEN
    RAISE EXCEPTION 'ai_model is % characters long; at most 200 are allowed', char_length(ai_model)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF char_length(client_key) > 200 THEN
    RAISE EXCEPTION 'client_key is % characters long; at most 200 are allowed', char_length(client_key)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
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

CREATE FUNCTION aidis.end_session(s text DEFAULT NULL) RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._find_session(s);
  row aidis.session_base;
  result aidis.sessions;
BEGIN
  PERFORM aidis._check_may_change(sid);
  SELECT * INTO row FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  IF row.status <> 'active' THEN
    RAISE EXCEPTION 'session % is not active (%)', row.display_id, row.status
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM aidis._refuse_if_disconnected(row.project_id);
  PERFORM aidis._close_session(sid, 'inactive', 'ended', clock_timestamp());
  PERFORM aidis._forget_cached_session();
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
DECLARE
  target record;
BEGIN
  IF path IS NULL OR btrim(path) = '' OR char_length(path) > 4096 THEN
    RAISE EXCEPTION 'path must be 1 to 4096 characters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF lines_added IS NULL OR lines_removed IS NULL OR lines_added < 0 OR lines_removed < 0 THEN
    RAISE EXCEPTION 'line counts must be zero or more' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  target := aidis._activity_session(s);
  PERFORM aidis._buffer_file(target.session_id, target.project_id, btrim(path), lines_added, lines_removed);
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

-- Rule 5: every counter that can be recounted, compared with its recount.
-- Returns nothing when all is well.
CREATE FUNCTION aidis.check_counters()
  RETURNS TABLE (session_id uuid, display_id text, counter text, recorded bigint, actual bigint)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  -- One aggregate per table (counted as its owner, _host_rows) and per event
  -- kind, joined once (not a recount per session). A registry entry whose
  -- table is gone (dropped in replica mode) has no rows.
  RETURN QUERY
    WITH rows AS MATERIALIZED (
      SELECT tt.kind, h.session_id, sum(h.n)::bigint AS n
      FROM aidis.tracked_tables tt
      JOIN pg_class c ON c.oid = tt.tbl::oid
      CROSS JOIN LATERAL aidis._host_rows(tt.tbl) h
      WHERE h.session_id IS NOT NULL
      GROUP BY tt.kind, h.session_id
    ),
    per_session AS (
      SELECT r.session_id,
             COALESCE(sum(r.n) FILTER (WHERE r.kind = 'context'), 0)::bigint AS contexts_created,
             COALESCE(sum(r.n) FILTER (WHERE r.kind = 'task'), 0)::bigint AS tasks_created,
             COALESCE(sum(r.n) FILTER (WHERE r.kind = 'decision'), 0)::bigint AS decisions_created
      FROM rows r GROUP BY r.session_id
    ),
    events AS (
      SELECT a.session_id,
             count(*) FILTER (WHERE a.kind = 'task_completed') AS tasks_completed,
             count(*) FILTER (WHERE a.kind = 'task_reopened') AS tasks_reopened
      FROM aidis.session_activities a
      WHERE a.kind IN ('task_completed', 'task_reopened')
      GROUP BY a.session_id
    )
    SELECT s.id, s.display_id, c.counter, c.recorded, c.actual
    FROM aidis.sessions s
    LEFT JOIN per_session r ON r.session_id = s.id
    LEFT JOIN events e ON e.session_id = s.id
    -- An imported session counts the exported rows this database lacks (72_export.sql).
    LEFT JOIN aidis.session_imports i ON i.session_id = s.id
    CROSS JOIN LATERAL (VALUES
      ('contexts_created', s.contexts_created, COALESCE(r.contexts_created, 0) + COALESCE(i.contexts, 0)),
      ('tasks_created', s.tasks_created, COALESCE(r.tasks_created, 0) + COALESCE(i.tasks, 0)),
      ('decisions_created', s.decisions_created, COALESCE(r.decisions_created, 0) + COALESCE(i.decisions, 0)),
      ('tasks_completed', s.tasks_completed, COALESCE(e.tasks_completed, 0)),
      ('tasks_reopened', s.tasks_reopened, COALESCE(e.tasks_reopened, 0))) AS c(counter, recorded, actual)
    WHERE c.recorded IS DISTINCT FROM c.actual
    UNION ALL
    -- Rows attached to a session that does not exist (listed last).
    SELECT r.session_id, NULL::text, r.kind || ' rows of a missing session', 0::bigint, sum(r.n)::bigint
    FROM rows r WHERE NOT EXISTS (SELECT 1 FROM aidis.session_base b WHERE b.id = r.session_id)
    GROUP BY r.session_id, r.kind
    ORDER BY 2 NULLS LAST, 3, 1;
END
$$;

-- Rule 8.
CREATE FUNCTION aidis.disconnect_project(p text) RETURNS aidis.projects
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pid uuid := aidis._find_project(p);
  proj aidis.projects;
  sid uuid;
BEGIN
  SELECT * INTO proj FROM aidis.projects x WHERE x.id = pid FOR UPDATE;
  IF pid = '00000000-0000-0000-0000-000000000000' THEN
    RAISE EXCEPTION 'the __unassigned__ project cannot be disconnected'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF proj.status = 'disconnected' THEN
    RAISE EXCEPTION 'project "%" is already disconnected', proj.name
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM aidis._fold_deltas();
  FOR sid IN SELECT b.id FROM aidis.session_base b
             WHERE b.project_id = pid AND b.status = 'active' ORDER BY b.id FOR UPDATE
  LOOP
    PERFORM aidis._close_session(sid, 'disconnected', 'project_disconnected', clock_timestamp());
  END LOOP;
  UPDATE aidis.projects x SET status = 'disconnected', is_default = false, updated_at = clock_timestamp()
  WHERE x.id = pid RETURNING * INTO proj;
  PERFORM aidis._invalidate_caches();
  RETURN proj;
END
$$;

CREATE FUNCTION aidis.reconnect_project(p text) RETURNS aidis.projects
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pid uuid := aidis._find_project(p);
  proj aidis.projects;
BEGIN
  SELECT * INTO proj FROM aidis.projects x WHERE x.id = pid FOR UPDATE;
  IF proj.status <> 'disconnected' THEN
    RAISE EXCEPTION 'project "%" is not disconnected', proj.name
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  UPDATE aidis.projects x SET status = 'active', updated_at = clock_timestamp()
  WHERE x.id = pid RETURNING * INTO proj;
  PERFORM aidis._invalidate_caches();
  RETURN proj;
END
$$;
