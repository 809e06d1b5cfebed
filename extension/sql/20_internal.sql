-- Internals: the C++ entry points and the SQL they call. Functions whose name
-- starts with an underscore are not part of the API; EXECUTE on them is
-- revoked from PUBLIC (90_security.sql). The C++ triggers call them as the
-- extension owner.

CREATE FUNCTION aidis.normalize_agent(raw text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'aidis_normalize_agent';
COMMENT ON FUNCTION aidis.normalize_agent(text) IS
  'Canonical agent name: lowercase ASCII letters and digits joined by hyphens ("Claude Code" -> "claude-code").';

-- The value of the GUC aidis.session_timeout (also loads the library, which defines it).
CREATE FUNCTION aidis._session_timeout() RETURNS interval
  LANGUAGE c STABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'aidis_session_timeout';

-- The role the connection acts as (its login role, or the one SET ROLE
-- chose): inside a SECURITY DEFINER function current_user is the owner, so
-- those functions ask this who is calling them (docs/security.md).
CREATE FUNCTION aidis._connection_role() RETURNS oid
  LANGUAGE c STABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'aidis_connection_role';

-- Whether the connection's role sees the rows of disconnected projects, as
-- row-level security decides for its own queries (the admin_all policy, or
-- no policy for superusers and BYPASSRLS roles).
CREATE FUNCTION aidis._connection_sees_hidden() RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT r.rolsuper OR r.rolbypassrls OR pg_has_role(r.oid, 'aidis_admin', 'USAGE')
  FROM pg_roles r WHERE r.oid = aidis._connection_role()
$$;

-- The C functions below without a volatility are VOLATILE (the default): they
-- read or change what this backend caches or buffers.
-- Active-session resolution (rule 3), cached in C++. The first only reads;
-- the second starts a session when none is active (rule 4) and is granted to
-- nobody: only SECURITY DEFINER functions of the extension call it.
CREATE FUNCTION aidis._current_session_id() RETURNS uuid LANGUAGE c AS 'MODULE_PATHNAME', 'aidis_current_session_id';
CREATE FUNCTION aidis._current_or_new_session_id() RETURNS uuid LANGUAGE c AS 'MODULE_PATHNAME', 'aidis_current_or_new_session_id';

-- Lifecycle functions call this after changing which session is current.
CREATE FUNCTION aidis._forget_cached_session() RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'aidis_forget_cached_session';

-- A session became the most recently active one without tracked activity (a
-- start or a resume): every backend forgets the current session it cached for
-- unbound connections when this transaction commits.
CREATE FUNCTION aidis._latest_changed() RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'aidis_latest_changed';

-- Writes this transaction's buffered tracking now, so that the reads that
-- follow in it see its own work (reads through the API call it first).
CREATE FUNCTION aidis._flush_pending() RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'aidis_flush_pending';

-- After a change to a session's status or project, or a project's status:
-- every backend drops its cached facts when this transaction commits.
CREATE FUNCTION aidis._invalidate_caches() RETURNS void LANGUAGE c AS 'MODULE_PATHNAME', 'aidis_invalidate_caches';

-- Activity and usage go through the same per-transaction buffer as tracked writes.
CREATE FUNCTION aidis._buffer_touch(session_id uuid, project_id uuid) RETURNS void
  LANGUAGE c VOLATILE STRICT
  AS 'MODULE_PATHNAME', 'aidis_buffer_touch';

CREATE FUNCTION aidis._buffer_usage(session_id uuid, project_id uuid, input_tokens bigint,
                                    output_tokens bigint, cache_read_tokens bigint,
                                    cache_creation_tokens bigint, model text)
  RETURNS void
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'aidis_buffer_usage';

CREATE FUNCTION aidis._buffer_file(session_id uuid, project_id uuid, path text,
                                   lines_added bigint, lines_removed bigint)
  RETURNS void
  LANGUAGE c VOLATILE STRICT
  AS 'MODULE_PATHNAME', 'aidis_buffer_file';

-- Triggers.
CREATE FUNCTION aidis._track_before() RETURNS trigger
  LANGUAGE c AS 'MODULE_PATHNAME', 'aidis_track_before';
CREATE FUNCTION aidis._track_after() RETURNS trigger
  LANGUAGE c AS 'MODULE_PATHNAME', 'aidis_track_after';
-- The disconnected-project check of the session tables (rule 8), row by row.
CREATE FUNCTION aidis._writable_row() RETURNS trigger
  LANGUAGE c AS 'MODULE_PATHNAME', 'aidis_writable_row';

-- Last activity including deltas not folded yet.
CREATE FUNCTION aidis._effective_last_activity(session_id uuid, base_last_activity timestamptz)
  RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT GREATEST(base_last_activity, (SELECT max(d.last_activity_at)
                                       FROM aidis.session_deltas d
                                       WHERE d.session_id OPERATOR(pg_catalog.=) $1))
$$;

-- The most recently active session (of `project` when given), as the rule
-- ranks them (last activity, then the newest start, then the id), without
-- ranking them all: the newest last activity is the newest of the base rows
-- (the partial index on active sessions) and of the deltas not folded yet (a
-- few rows per active session); only the sessions at that instant are ranked.
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

-- Rule 3, with the project rule for rows that name one: the bound session
-- while it is active; else, for a project, its most recently active session;
-- else the most recently active session; else (autostart) a new session, on
-- the row's project if it names one, bound for this transaction only (a pooled
-- backend must not keep it for its next client).
CREATE FUNCTION aidis._resolve_session(bound uuid, autostart boolean, agent text, project uuid)
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

-- Session and project facts the tracking trigger checks, cached per transaction.
CREATE FUNCTION aidis._session_info(sid uuid, OUT project_id uuid, OUT project_status text,
                                    OUT project_name text)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT b.project_id, p.status, p.name
  FROM aidis.session_base b JOIN aidis.projects p ON p.id = b.project_id
  WHERE b.id = sid
$$;

CREATE FUNCTION aidis._project_info(pid uuid, OUT status text, OUT name text)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$ SELECT p.status, p.name FROM aidis.projects p WHERE p.id = pid $$;

-- Folds pending deltas into session_base. Never waits on a committing writer
-- (SKIP LOCKED) and runs one at a time (two folds could lock the same session
-- rows in different orders).
CREATE FUNCTION aidis._fold_deltas() RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  folded integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('aidis_sessions.fold')) THEN
    RETURN 0;
  END IF;
  WITH taken AS (
    DELETE FROM aidis.session_deltas d
    WHERE (d.session_id, d.slot) IN (
      SELECT x.session_id, x.slot FROM aidis.session_deltas x
      WHERE x.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected')
      FOR UPDATE SKIP LOCKED)
    RETURNING d.*
  ), summed AS (
    SELECT t.session_id,
           sum(t.contexts_created) AS contexts_created, sum(t.tasks_created) AS tasks_created,
           sum(t.tasks_completed) AS tasks_completed, sum(t.tasks_reopened) AS tasks_reopened,
           sum(t.decisions_created) AS decisions_created, sum(t.activity_count) AS activity_count,
           sum(t.input_tokens) AS input_tokens, sum(t.output_tokens) AS output_tokens,
           sum(t.cache_read_tokens) AS cache_read_tokens,
           sum(t.cache_creation_tokens) AS cache_creation_tokens,
           sum(t.estimated_tokens) AS estimated_tokens, sum(t.loc_added) AS loc_added,
           sum(t.loc_removed) AS loc_removed, max(t.last_activity_at) AS last_activity_at
    FROM taken t GROUP BY t.session_id
  )
  UPDATE aidis.session_base b SET
    contexts_created      = b.contexts_created + s.contexts_created,
    tasks_created         = b.tasks_created + s.tasks_created,
    tasks_completed       = b.tasks_completed + s.tasks_completed,
    tasks_reopened        = b.tasks_reopened + s.tasks_reopened,
    decisions_created     = b.decisions_created + s.decisions_created,
    activity_count        = b.activity_count + s.activity_count,
    input_tokens          = b.input_tokens + s.input_tokens,
    output_tokens         = b.output_tokens + s.output_tokens,
    cache_read_tokens     = b.cache_read_tokens + s.cache_read_tokens,
    cache_creation_tokens = b.cache_creation_tokens + s.cache_creation_tokens,
    estimated_tokens      = b.estimated_tokens + s.estimated_tokens,
    loc_added             = b.loc_added + s.loc_added,
    loc_removed           = b.loc_removed + s.loc_removed,
    -- An ended session keeps the last activity it ended with.
    last_activity_at      = CASE WHEN b.ended_at IS NULL THEN GREATEST(b.last_activity_at, s.last_activity_at)
                                 ELSE b.last_activity_at END,
    -- Work on an ended session may have committed after a compaction looked
    -- at it, its events below the compacted_id that compaction set: the next
    -- compaction looks at the whole session again (docs/retention.md).
    compacted_id          = CASE WHEN b.ended_at IS NULL THEN b.compacted_id END
  FROM summed s
  WHERE b.id = s.session_id;
  GET DIAGNOSTICS folded = ROW_COUNT;
  RETURN folded;
END
$$;

-- An argument quoted in an error message: at most 64 characters of it.
CREATE FUNCTION aidis._clip(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN char_length(t) > 64 THEN left(t, 64) || '...' ELSE t END;

-- A session argument: uuid, unique uuid prefix (>= 8 hex digits) or display id.
-- NULL means the current session. A session of a disconnected project does
-- not exist for a connection whose role does not see those rows: row-level
-- security hides it from the read functions (SECURITY INVOKER), and `hide`
-- hides it in the SECURITY DEFINER ones, for every form of reference, with
-- the answer a session that does not exist gets.
CREATE FUNCTION aidis._find_session(s text) RETURNS uuid
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ref text := btrim(s);
  hex text;
  found uuid[];
  hide boolean;
BEGIN
  IF s IS NULL THEN
    found := ARRAY[aidis._current_session_id()];
    IF found[1] IS NULL THEN
      RAISE EXCEPTION 'no current session'
        USING ERRCODE = 'no_data_found', HINT = 'Start one with aidis.start_session() or name a session.';
    END IF;
    RETURN found[1];
  END IF;
  IF char_length(ref) > 64 THEN
    ref := NULL;  -- longer than any reference: malformed
  END IF;
  hide := NOT aidis._connection_sees_hidden();
  IF aidis._is_uuid(ref) THEN
    SELECT array_agg(b.id) INTO found FROM aidis.session_base b
    WHERE b.id = ref::uuid
      AND (NOT hide OR b.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected'));
  ELSIF aidis._is_display_id(upper(ref)) THEN
    SELECT array_agg(b.id) INTO found FROM aidis.session_base b
    WHERE b.display_id = upper(ref)
      AND (NOT hide OR b.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected'));
  ELSIF ref ~* '^[0-9a-f-]+$' AND length(replace(ref, '-', '')) BETWEEN 8 AND 32 THEN
    -- A prefix: a range scan on the primary key between prefix00.. and prefixff..
    hex := lower(replace(ref, '-', ''));
    SELECT array_agg(x.id) INTO found FROM (
      SELECT b.id FROM aidis.session_base b
      WHERE b.id BETWEEN rpad(hex, 32, '0')::uuid AND rpad(hex, 32, 'f')::uuid
        AND (NOT hide OR b.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected'))
      ORDER BY b.id LIMIT 2) x;
  ELSE
    RAISE EXCEPTION 'invalid session reference "%"', aidis._clip(s)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use a uuid, a uuid prefix of at least 8 hex digits, or a display id like SES-2026-0001.';
  END IF;
  IF found IS NULL THEN
    RAISE EXCEPTION 'session "%" does not exist', ref USING ERRCODE = 'undefined_object';
  ELSIF cardinality(found) > 1 THEN
    RAISE EXCEPTION 'session prefix "%" is ambiguous', ref
      USING ERRCODE = 'cardinality_violation', HINT = 'Give more characters of the id.';
  END IF;
  RETURN found[1];
END
$$;

-- A project argument: a name or an id. Unknown projects are an error, never created.
CREATE FUNCTION aidis._find_project(p text) RETURNS uuid
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pid uuid;
BEGIN
  IF p IS NULL OR btrim(p) = '' THEN
    RAISE EXCEPTION 'project must not be empty' USING ERRCODE = 'invalid_parameter_value';
  ELSIF char_length(p) > 255 THEN  -- longer than any name or id
    RAISE EXCEPTION 'project "%" is % characters long; a name or id has at most 255', aidis._clip(p), char_length(p)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT x.id INTO pid FROM aidis.projects x WHERE x.name = p;
  IF pid IS NULL AND aidis._is_uuid(p) THEN
    SELECT x.id INTO pid FROM aidis.projects x WHERE x.id = p::uuid;
  END IF;
  IF pid IS NULL THEN
    RAISE EXCEPTION 'project "%" does not exist', p
      USING ERRCODE = 'undefined_object', HINT = 'Create it with aidis.create_project().';
  END IF;
  RETURN pid;
END
$$;

-- Who may change a session (docs/security.md): an aidis_admin (or a
-- superuser) any; any other role the sessions started by a role whose
-- privileges it has (itself, or a role it is a member of), and those that
-- record no role (started before 0.4.0). Judged for the connection's role:
-- the callers are SECURITY DEFINER functions.
CREATE FUNCTION aidis._check_may_change(sid uuid) RETURNS void
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  me oid := aidis._connection_role();
  row aidis.session_base;
  owner regrole;
BEGIN
  SELECT * INTO row FROM aidis.session_base b WHERE b.id = sid;
  owner := to_regrole(quote_ident(row.started_by));  -- NULL once that role is dropped
  IF row.started_by IS NULL OR pg_has_role(me, 'aidis_admin', 'USAGE')
     OR pg_has_role(me, owner::oid, 'USAGE') THEN
    RETURN;
  END IF;
  RAISE EXCEPTION 'session % belongs to role "%"', row.display_id, row.started_by
    USING ERRCODE = 'insufficient_privilege',
          DETAIL = format('Role "%s" may change only the sessions of roles whose privileges it has.', pg_get_userbyid(me)),
          HINT = 'Start your own session with aidis.start_session(); an aidis_admin may change any session.';
END
$$;

-- The refusal of rule 8, the one error every path raises (55000): `pname`
-- is the disconnected project found (NULL: nothing to refuse), `why` what
-- would have happened to its data.
CREATE FUNCTION aidis._refuse_disconnected(pname text, why text DEFAULT NULL) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF pname IS NOT NULL THEN
    RAISE EXCEPTION 'project "%" is disconnected', pname
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = COALESCE(why, 'Nothing reads or writes the data of a disconnected project.'),
            HINT = 'An aidis_admin can run aidis.reconnect_project().';
  END IF;
END
$$;

CREATE FUNCTION aidis._refuse_if_disconnected(pid uuid) RETURNS void
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._refuse_disconnected(
    (SELECT p.name FROM aidis.projects p WHERE p.id = pid AND p.status = 'disconnected'))
$$;

-- Timeline entries written by lifecycle functions (tracked writes go through the buffer).
CREATE FUNCTION aidis._log_event(sid uuid, kind text, at timestamptz, summary text, data jsonb DEFAULT '{}')
  RETURNS void
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  INSERT INTO aidis.session_activities (session_id, project_id, occurred_at, kind, summary, data)
  SELECT b.id, b.project_id, at, kind, summary, data FROM aidis.session_base b WHERE b.id = sid
$$;

-- NOTIFY aidis_sessions: live UIs and the worker listen.
CREATE FUNCTION aidis._notify(event text, sid uuid) RETURNS void
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT pg_notify('aidis_sessions', json_build_object(
           'event', event, 'session_id', b.id, 'display_id', b.display_id,
           'project_id', b.project_id, 'agent', b.agent, 'status', b.status,
           'end_reason', b.end_reason, 'at', clock_timestamp())::text)
  FROM aidis.session_base b WHERE b.id = sid
$$;

-- The display id of a session: SES-<year>-<number of that year>, the number
-- zero-padded to at least four digits. Every id the extension makes comes
-- from here; _is_display_id (and the table's sessions_display_id_format,
-- which spells the same pattern) recognizes them.
CREATE FUNCTION aidis._format_display_id(y integer, n bigint) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN format('SES-%s-%s', y, lpad(n::text, greatest(4, length(n::text)), '0'));

CREATE FUNCTION aidis._is_display_id(t text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN t ~ '^SES-[0-9]{4}-[0-9]{4,}$';

-- A uuid in its canonical text form (any case), as session and project arguments give it.
CREATE FUNCTION aidis._is_uuid(t text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN t ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

CREATE FUNCTION aidis._next_display_id(at timestamptz) RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  y integer := extract(year FROM at AT TIME ZONE 'UTC')::integer;
  n integer;
BEGIN
  INSERT INTO aidis.display_id_counters AS c (year, last_seq) VALUES (y, 1)
  ON CONFLICT (year) DO UPDATE SET last_seq = c.last_seq + 1
  RETURNING c.last_seq INTO n;
  RETURN aidis._format_display_id(y, n);
END
$$;

-- Ends one session (the row must be locked by the caller).
CREATE FUNCTION aidis._close_session(sid uuid, new_status text, reason text, at timestamptz)
  RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._flush_pending();  -- its score and events include this transaction's work
  -- Never after the end (even if the clock stepped back since the last activity).
  UPDATE aidis.session_base b
  SET status = new_status, end_reason = reason, ended_at = at,
      last_activity_at = LEAST(at, aidis._effective_last_activity(b.id, b.last_activity_at)),
      updated_at = clock_timestamp()
  WHERE b.id = sid;
  PERFORM aidis._store_score(sid);  -- the derived rating, kept with the ended session
  PERFORM aidis._log_event(sid, CASE reason WHEN 'timeout' THEN 'session_timeout' ELSE 'session_ended' END,
                           at, 'session ' || CASE reason WHEN 'ended' THEN 'ended' WHEN 'timeout' THEN 'timed out'
                                                         WHEN 'superseded' THEN 'superseded by a new session'
                                                         ELSE 'ended: project disconnected' END,
                           jsonb_build_object('end_reason', reason));
  -- After the end event, which is one of its moments.
  UPDATE aidis.session_base b
  SET active_seconds = aidis._active_seconds(b.id, b.started_at, b.ended_at, b.last_activity_at)
  WHERE b.id = sid;
  PERFORM aidis._notify(CASE reason WHEN 'ended' THEN 'ended' WHEN 'timeout' THEN 'timeout'
                                    WHEN 'superseded' THEN 'superseded' ELSE 'disconnected' END, sid);
  PERFORM aidis._invalidate_caches();
END
$$;
