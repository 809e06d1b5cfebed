-- Projects: creating one, finding one for a path or for a new session
-- (rule 2), disconnecting and reconnecting (rule 8; docs/design.md).

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
  busy_since timestamptz := now() - interval '24 hours';
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
    UNION SELECT b.id FROM aidis.session_base b WHERE b.last_activity_at > busy_since
    UNION SELECT d.session_id FROM aidis.session_deltas d)
  SELECT b.project_id INTO pid
  FROM recent r
  JOIN aidis.session_base b ON b.id = r.id
  JOIN aidis.projects p ON p.id = b.project_id
  CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM aidis.session_activities a
    WHERE a.session_id = b.id AND a.occurred_at > busy_since
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

-- A project argument's row, locked for a change of its status.
CREATE FUNCTION aidis._lock_project(p text) RETURNS aidis.projects
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  WITH target AS MATERIALIZED (SELECT aidis._find_project(p) AS id)
  SELECT x.* FROM aidis.projects x JOIN target t ON t.id = x.id FOR UPDATE OF x
$$;

-- Rule 8.
CREATE FUNCTION aidis.disconnect_project(p text) RETURNS aidis.projects
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  proj aidis.projects := aidis._lock_project(p);
  sid uuid;
BEGIN
  IF proj.id = '00000000-0000-0000-0000-000000000000' THEN
    RAISE EXCEPTION 'the __unassigned__ project cannot be disconnected'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF proj.status = 'disconnected' THEN
    RAISE EXCEPTION 'project "%" is already disconnected', proj.name
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM aidis._fold_deltas();
  FOR sid IN SELECT b.id FROM aidis.session_base b
             WHERE b.project_id = proj.id AND b.status = 'active' ORDER BY b.id FOR UPDATE
  LOOP
    PERFORM aidis._close_session(sid, 'disconnected', 'project_disconnected', clock_timestamp());
  END LOOP;
  UPDATE aidis.projects x SET status = 'disconnected', is_default = false, updated_at = clock_timestamp()
  WHERE x.id = proj.id RETURNING * INTO proj;
  PERFORM aidis._invalidate_caches();
  RETURN proj;
END
$$;

CREATE FUNCTION aidis.reconnect_project(p text) RETURNS aidis.projects
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  proj aidis.projects := aidis._lock_project(p);
BEGIN
  IF proj.status <> 'disconnected' THEN
    RAISE EXCEPTION 'project "%" is not disconnected', proj.name
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  UPDATE aidis.projects x SET status = 'active', updated_at = clock_timestamp()
  WHERE x.id = proj.id RETURNING * INTO proj;
  PERFORM aidis._invalidate_caches();
  RETURN proj;
END
$$;
