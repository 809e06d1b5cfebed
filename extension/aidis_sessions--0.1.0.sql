-- aidis_sessions install script, assembled from extension/sql/*.sql in name order.
-- Everything is schema-qualified; functions pin search_path.

-- Roles are cluster-wide: create them once, reuse them in every database.
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aidis_reader') THEN
    CREATE ROLE aidis_reader NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aidis_writer') THEN
    CREATE ROLE aidis_writer NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aidis_admin') THEN
    CREATE ROLE aidis_admin NOLOGIN;
  END IF;
END
$roles$;

GRANT aidis_reader TO aidis_writer;
GRANT aidis_writer TO aidis_admin;
-- Data model (docs/design.md, "Data model").

CREATE TABLE aidis.projects (
  id             uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  name           text NOT NULL,
  status         text NOT NULL DEFAULT 'active',
  is_default     boolean NOT NULL DEFAULT false,
  root_directory text,
  created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
  updated_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
  CONSTRAINT projects_name_key UNIQUE (name),
  CONSTRAINT projects_name_length CHECK (pg_catalog.char_length(name) BETWEEN 1 AND 255),
  CONSTRAINT projects_status_valid CHECK (status IN ('active', 'archived', 'disconnected'))
);
-- At most one default project.
CREATE UNIQUE INDEX projects_one_default ON aidis.projects (is_default) WHERE is_default;

-- The sentinel: a session that cannot be placed goes here, never to NULL.
INSERT INTO aidis.projects (id, name)
VALUES ('00000000-0000-0000-0000-000000000000', '__unassigned__');

-- Per-year display id counters (SES-YYYY-NNNN): a row per year, no DDL at run time.
CREATE TABLE aidis.display_id_counters (
  year     integer PRIMARY KEY,
  last_seq integer NOT NULL
);

-- The session row. Counter columns hold folded totals; transactions add their
-- deltas to aidis.session_deltas instead (docs/counters.md). Read sessions
-- through the view aidis.sessions, which adds both.
CREATE TABLE aidis.session_base (
  id                    uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  display_id            text NOT NULL,
  title                 text NOT NULL,
  description           text,
  goal                  text,
  notes                 text,
  tags                  text[] NOT NULL DEFAULT '{}',
  project_id            uuid NOT NULL REFERENCES aidis.projects (id) ON DELETE RESTRICT,
  agent                 text NOT NULL,
  ai_model              text,
  client_key            text,
  status                text NOT NULL DEFAULT 'active',
  end_reason            text,
  started_at            timestamptz NOT NULL DEFAULT pg_catalog.now(),
  last_activity_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
  ended_at              timestamptz,
  contexts_created      bigint NOT NULL DEFAULT 0,
  tasks_created         bigint NOT NULL DEFAULT 0,
  tasks_completed       bigint NOT NULL DEFAULT 0,
  tasks_reopened        bigint NOT NULL DEFAULT 0,
  decisions_created     bigint NOT NULL DEFAULT 0,
  activity_count        bigint NOT NULL DEFAULT 0,
  input_tokens          bigint NOT NULL DEFAULT 0,
  output_tokens         bigint NOT NULL DEFAULT 0,
  cache_read_tokens     bigint NOT NULL DEFAULT 0,
  cache_creation_tokens bigint NOT NULL DEFAULT 0,
  estimated_tokens      bigint NOT NULL DEFAULT 0,
  loc_added             bigint NOT NULL DEFAULT 0,
  loc_removed           bigint NOT NULL DEFAULT 0,
  rating                smallint,
  rating_note           text,
  score                 numeric(5,2),
  score_breakdown       jsonb,
  created_at            timestamptz NOT NULL DEFAULT pg_catalog.now(),
  updated_at            timestamptz NOT NULL DEFAULT pg_catalog.now(),
  CONSTRAINT sessions_display_id_key UNIQUE (display_id),
  CONSTRAINT sessions_display_id_format CHECK (display_id ~ '^SES-[0-9]{4}-[0-9]{4,}$'),
  CONSTRAINT sessions_title_length CHECK (pg_catalog.char_length(title) BETWEEN 1 AND 255),
  CONSTRAINT sessions_description_length CHECK (pg_catalog.char_length(description) <= 2000),
  CONSTRAINT sessions_goal_length CHECK (pg_catalog.char_length(goal) <= 2000),
  CONSTRAINT sessions_notes_length CHECK (pg_catalog.char_length(notes) <= 10000),
  CONSTRAINT sessions_agent_length CHECK (pg_catalog.char_length(agent) BETWEEN 1 AND 100),
  CONSTRAINT sessions_status_valid CHECK (status IN ('active', 'inactive', 'disconnected')),
  CONSTRAINT sessions_end_reason_valid
    CHECK (end_reason IN ('ended', 'timeout', 'superseded', 'project_disconnected')),
  -- status = 'active' <=> ended_at IS NULL (and only ended sessions have a reason)
  CONSTRAINT sessions_active_iff_open
    CHECK ((status = 'active') = (ended_at IS NULL) AND (status = 'active') = (end_reason IS NULL)),
  CONSTRAINT sessions_rating_range CHECK (rating BETWEEN 1 AND 5),
  CONSTRAINT sessions_rating_note_length CHECK (pg_catalog.char_length(rating_note) <= 2000),
  CONSTRAINT sessions_score_range CHECK (score BETWEEN 0 AND 100)
);
CREATE INDEX session_base_project ON aidis.session_base (project_id, started_at DESC);
CREATE INDEX session_base_started ON aidis.session_base (started_at DESC);
CREATE INDEX session_base_last_activity ON aidis.session_base (last_activity_at DESC);
-- Active sessions are few: the timeout sweep and current-session lookups read this.
CREATE INDEX session_base_active ON aidis.session_base (last_activity_at) WHERE status = 'active';
-- One active session per (agent, client_key): resume instead of duplicating.
CREATE UNIQUE INDEX session_base_one_active_per_client
  ON aidis.session_base (agent, (COALESCE(client_key, ''))) WHERE status = 'active';

-- Striped counter deltas: one row per (session, backend slot), written once per
-- committing transaction, folded into session_base by the sweep. Concurrent
-- writers to one session never wait on each other.
-- No foreign keys on the hot internal tables: a FK check takes a KEY SHARE
-- lock on the session row, and several writers sharing one session would turn
-- that into MultiXact churn. Only the extension's own code writes them.
CREATE TABLE aidis.session_deltas (
  session_id            uuid NOT NULL,
  slot                  integer NOT NULL,
  project_id            uuid NOT NULL,
  contexts_created      bigint NOT NULL DEFAULT 0,
  tasks_created         bigint NOT NULL DEFAULT 0,
  tasks_completed       bigint NOT NULL DEFAULT 0,
  tasks_reopened        bigint NOT NULL DEFAULT 0,
  decisions_created     bigint NOT NULL DEFAULT 0,
  activity_count        bigint NOT NULL DEFAULT 0,
  input_tokens          bigint NOT NULL DEFAULT 0,
  output_tokens         bigint NOT NULL DEFAULT 0,
  cache_read_tokens     bigint NOT NULL DEFAULT 0,
  cache_creation_tokens bigint NOT NULL DEFAULT 0,
  estimated_tokens      bigint NOT NULL DEFAULT 0,
  loc_added             bigint NOT NULL DEFAULT 0,
  loc_removed           bigint NOT NULL DEFAULT 0,
  last_activity_at      timestamptz,
  PRIMARY KEY (session_id, slot)
) WITH (fillfactor = 50);

-- The timeline. Every tracked write adds a row, so it has a single index:
-- its key, which is also the timeline's order within a session.
CREATE TABLE aidis.session_activities (
  id          bigint GENERATED ALWAYS AS IDENTITY,
  session_id  uuid NOT NULL,
  project_id  uuid NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  kind        text NOT NULL,
  entity_id   text,
  summary     text,
  data        jsonb NOT NULL DEFAULT '{}',
  CONSTRAINT session_activities_pkey PRIMARY KEY (session_id, id)
);

CREATE TABLE aidis.session_files (
  session_id    uuid NOT NULL,
  path          text NOT NULL,
  project_id    uuid NOT NULL,
  mentions      bigint NOT NULL DEFAULT 0,
  modifications bigint NOT NULL DEFAULT 0,
  loc_added     bigint NOT NULL DEFAULT 0,
  loc_removed   bigint NOT NULL DEFAULT 0,
  first_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
  last_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (session_id, path),
  CONSTRAINT session_files_path_length CHECK (pg_catalog.char_length(path) BETWEEN 1 AND 4096)
);

-- Tables whose writes are tracked (aidis.track), shipped ones included.
CREATE TABLE aidis.tracked_tables (
  tbl        regclass PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('context', 'task', 'decision')),
  shipped    boolean NOT NULL DEFAULT false,  -- created by the extension script
  tracked_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

-- Tracked tables shipped by the extension. Their project_id and session_id
-- are checked by the tracking trigger (with a per-transaction cache) rather
-- than by foreign keys, for the same MultiXact reason as above.
CREATE TABLE aidis.contexts (
  id           uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  project_id   uuid NOT NULL,
  session_id   uuid NOT NULL,
  context_type text NOT NULL DEFAULT 'note',
  content      text NOT NULL CONSTRAINT contexts_content_not_empty CHECK (content <> ''),
  tags         text[] NOT NULL DEFAULT '{}',
  metadata     jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX contexts_session ON aidis.contexts (session_id, created_at);
CREATE INDEX contexts_project ON aidis.contexts (project_id, created_at DESC);

CREATE TABLE aidis.tasks (
  id           uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  project_id   uuid NOT NULL,
  session_id   uuid NOT NULL,
  title        text NOT NULL CONSTRAINT tasks_title_length CHECK (pg_catalog.char_length(title) BETWEEN 1 AND 500),
  description  text,
  status       text NOT NULL DEFAULT 'todo'
               CONSTRAINT tasks_status_valid CHECK (status IN ('todo', 'in_progress', 'blocked', 'completed', 'cancelled')),
  priority     text NOT NULL DEFAULT 'medium'
               CONSTRAINT tasks_priority_valid CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
  updated_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
  completed_at timestamptz
);
CREATE INDEX tasks_session ON aidis.tasks (session_id, created_at);
CREATE INDEX tasks_project_open ON aidis.tasks (project_id, created_at DESC) WHERE status NOT IN ('completed', 'cancelled');

CREATE TABLE aidis.decisions (
  id         uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  project_id uuid NOT NULL,
  session_id uuid NOT NULL,
  title      text NOT NULL CONSTRAINT decisions_title_length CHECK (pg_catalog.char_length(title) BETWEEN 1 AND 500),
  rationale  text,
  status     text NOT NULL DEFAULT 'active'
             CONSTRAINT decisions_status_valid CHECK (status IN ('proposed', 'active', 'superseded', 'rejected')),
  created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX decisions_session ON aidis.decisions (session_id, created_at);
CREATE INDEX decisions_project ON aidis.decisions (project_id, created_at DESC);

-- Sessions as users read them: folded totals plus pending deltas, so every
-- counter is exact as of the reader's snapshot.
CREATE VIEW aidis.sessions WITH (security_invoker = true) AS
SELECT b.id, b.display_id, b.title, b.description, b.goal, b.notes, b.tags,
       b.project_id, b.agent, b.ai_model, b.client_key,
       b.status, b.end_reason, b.started_at,
       GREATEST(b.last_activity_at, d.last_activity_at) AS last_activity_at,
       b.ended_at,
       b.contexts_created      + d.contexts_created      AS contexts_created,
       b.tasks_created         + d.tasks_created         AS tasks_created,
       b.tasks_completed       + d.tasks_completed       AS tasks_completed,
       b.tasks_reopened        + d.tasks_reopened        AS tasks_reopened,
       b.decisions_created     + d.decisions_created     AS decisions_created,
       b.activity_count        + d.activity_count        AS activity_count,
       b.input_tokens          + d.input_tokens          AS input_tokens,
       b.output_tokens         + d.output_tokens         AS output_tokens,
       b.cache_read_tokens     + d.cache_read_tokens     AS cache_read_tokens,
       b.cache_creation_tokens + d.cache_creation_tokens AS cache_creation_tokens,
       b.estimated_tokens      + d.estimated_tokens      AS estimated_tokens,
       b.loc_added             + d.loc_added             AS loc_added,
       b.loc_removed           + d.loc_removed           AS loc_removed,
       (SELECT pg_catalog.count(*) FROM aidis.session_files f WHERE f.session_id = b.id) AS files_touched,
       b.rating, b.rating_note, b.score, b.score_breakdown,
       b.created_at, b.updated_at
FROM aidis.session_base b
CROSS JOIN LATERAL (
  SELECT COALESCE(pg_catalog.sum(x.contexts_created), 0)::bigint      AS contexts_created,
         COALESCE(pg_catalog.sum(x.tasks_created), 0)::bigint         AS tasks_created,
         COALESCE(pg_catalog.sum(x.tasks_completed), 0)::bigint       AS tasks_completed,
         COALESCE(pg_catalog.sum(x.tasks_reopened), 0)::bigint        AS tasks_reopened,
         COALESCE(pg_catalog.sum(x.decisions_created), 0)::bigint     AS decisions_created,
         COALESCE(pg_catalog.sum(x.activity_count), 0)::bigint        AS activity_count,
         COALESCE(pg_catalog.sum(x.input_tokens), 0)::bigint          AS input_tokens,
         COALESCE(pg_catalog.sum(x.output_tokens), 0)::bigint         AS output_tokens,
         COALESCE(pg_catalog.sum(x.cache_read_tokens), 0)::bigint     AS cache_read_tokens,
         COALESCE(pg_catalog.sum(x.cache_creation_tokens), 0)::bigint AS cache_creation_tokens,
         COALESCE(pg_catalog.sum(x.estimated_tokens), 0)::bigint      AS estimated_tokens,
         COALESCE(pg_catalog.sum(x.loc_added), 0)::bigint             AS loc_added,
         COALESCE(pg_catalog.sum(x.loc_removed), 0)::bigint           AS loc_removed,
         pg_catalog.max(x.last_activity_at)                           AS last_activity_at
  FROM aidis.session_deltas x
  WHERE x.session_id = b.id
) d;

-- pg_dump keeps user data (the sentinel project is part of the script).
SELECT pg_catalog.pg_extension_config_dump('aidis.projects', $$WHERE id <> '00000000-0000-0000-0000-000000000000'$$);
SELECT pg_catalog.pg_extension_config_dump('aidis.display_id_counters', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.session_base', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.session_deltas', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.session_activities', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.session_activities_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.session_files', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.tracked_tables', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('aidis.contexts', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.tasks', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.decisions', '');
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

-- Active-session resolution (rule 3), cached in C++. The first only reads;
-- the second starts a session when none is active (rule 4) and is granted to
-- nobody: only SECURITY DEFINER functions of the extension call it.
CREATE FUNCTION aidis._current_session_id() RETURNS uuid
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'aidis_current_session_id';
CREATE FUNCTION aidis._current_or_new_session_id() RETURNS uuid
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'aidis_current_or_new_session_id';

-- Lifecycle functions call this after changing which session is current.
CREATE FUNCTION aidis._forget_cached_session() RETURNS void
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'aidis_forget_cached_session';

-- Writes this transaction's buffered tracking now, so that the reads that
-- follow in it see its own work (reads through the API call it first).
CREATE FUNCTION aidis._flush_pending() RETURNS void
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'aidis_flush_pending';

-- After a change to a session's status or project, or a project's status:
-- every backend drops its cached facts when this transaction commits.
CREATE FUNCTION aidis._invalidate_caches() RETURNS void
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'aidis_invalidate_caches';

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
CREATE FUNCTION aidis._guard_row() RETURNS trigger
  LANGUAGE c AS 'MODULE_PATHNAME', 'aidis_guard_row';

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

CREATE FUNCTION aidis._resolve_session(bound uuid, autostart boolean, agent text, project uuid)
  RETURNS TABLE (session_id uuid, project_id uuid)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- 1. The session bound to this connection, while it is active.
  IF bound IS NOT NULL THEN
    RETURN QUERY SELECT b.id, b.project_id FROM aidis.session_base b
                 WHERE b.id = bound AND b.status = 'active';
    IF FOUND THEN RETURN; END IF;
  END IF;
  -- 2. Otherwise the most recently active session.
  RETURN QUERY
    SELECT b.id, b.project_id FROM aidis.session_base b
    WHERE b.status = 'active'
    ORDER BY aidis._effective_last_activity(b.id, b.last_activity_at) DESC, b.started_at DESC, b.id
    LIMIT 1;
  IF FOUND OR NOT autostart THEN RETURN; END IF;
  -- 3. None: a tracked write starts one (rule 4), on the row's project if it names one.
  RETURN QUERY SELECT s.id, s.project_id FROM aidis.start_session(agent => agent, project => project::text) s;
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
    last_activity_at      = GREATEST(b.last_activity_at, s.last_activity_at)
  FROM summed s
  WHERE b.id = s.session_id;
  GET DIAGNOSTICS folded = ROW_COUNT;
  RETURN folded;
END
$$;

-- A session argument: uuid, unique uuid prefix (>= 8 hex digits) or display id.
-- NULL means the current session.
CREATE FUNCTION aidis._find_session(s text) RETURNS uuid
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ref text := btrim(s);
  hex text;
  found uuid[];
BEGIN
  IF s IS NULL THEN
    found := ARRAY[aidis._current_session_id()];
    IF found[1] IS NULL THEN
      RAISE EXCEPTION 'no current session'
        USING ERRCODE = 'no_data_found', HINT = 'Start one with aidis.start_session() or name a session.';
    END IF;
    RETURN found[1];
  END IF;
  IF ref ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    SELECT array_agg(b.id) INTO found FROM aidis.session_base b WHERE b.id = ref::uuid;
  ELSIF ref ~* '^SES-[0-9]{4}-[0-9]+$' THEN
    SELECT array_agg(b.id) INTO found FROM aidis.session_base b WHERE b.display_id = upper(ref);
  ELSIF ref ~* '^[0-9a-f-]+$' AND length(replace(ref, '-', '')) BETWEEN 8 AND 32 THEN
    -- A prefix: a range scan on the primary key between prefix00.. and prefixff..
    hex := lower(replace(ref, '-', ''));
    SELECT array_agg(x.id) INTO found FROM (
      SELECT b.id FROM aidis.session_base b
      WHERE b.id BETWEEN rpad(hex, 32, '0')::uuid AND rpad(hex, 32, 'f')::uuid
      ORDER BY b.id LIMIT 2) x;
  ELSE
    RAISE EXCEPTION 'invalid session reference "%"', s
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use a uuid, a uuid prefix of at least 8 hex digits, or a display id like SES-2026-0001.';
  END IF;
  IF found IS NULL THEN
    RAISE EXCEPTION 'session "%" does not exist', s USING ERRCODE = 'undefined_object';
  ELSIF cardinality(found) > 1 THEN
    RAISE EXCEPTION 'session prefix "%" is ambiguous', s
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
  END IF;
  SELECT x.id INTO pid FROM aidis.projects x WHERE x.name = p;
  IF pid IS NULL AND p ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    SELECT x.id INTO pid FROM aidis.projects x WHERE x.id = p::uuid;
  END IF;
  IF pid IS NULL THEN
    RAISE EXCEPTION 'project "%" does not exist', p
      USING ERRCODE = 'undefined_object', HINT = 'Create it with aidis.create_project().';
  END IF;
  RETURN pid;
END
$$;

CREATE FUNCTION aidis._refuse_if_disconnected(pid uuid) RETURNS void
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pname text;
BEGIN
  SELECT p.name INTO pname FROM aidis.projects p WHERE p.id = pid AND p.status = 'disconnected';
  IF FOUND THEN
    RAISE EXCEPTION 'project "%" is disconnected', pname
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Nothing reads or writes the data of a disconnected project.',
            HINT = 'An aidis_admin can run aidis.reconnect_project().';
  END IF;
END
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
  RETURN format('SES-%s-%s', y, lpad(n::text, greatest(4, length(n::text)), '0'));
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
  UPDATE aidis.session_base b
  SET status = new_status, end_reason = reason, ended_at = at,
      last_activity_at = GREATEST(b.last_activity_at, LEAST(at, aidis._effective_last_activity(b.id, b.last_activity_at))),
      updated_at = clock_timestamp()
  WHERE b.id = sid;
  PERFORM aidis._store_score(sid);  -- the derived rating, kept with the ended session
  PERFORM aidis._log_event(sid, CASE reason WHEN 'timeout' THEN 'session_timeout' ELSE 'session_ended' END,
                           at, 'session ' || CASE reason WHEN 'ended' THEN 'ended' WHEN 'timeout' THEN 'timed out'
                                                         WHEN 'superseded' THEN 'superseded by a new session'
                                                         ELSE 'ended: project disconnected' END,
                           jsonb_build_object('end_reason', reason));
  PERFORM aidis._notify(CASE reason WHEN 'ended' THEN 'ended' WHEN 'timeout' THEN 'timeout'
                                    WHEN 'superseded' THEN 'superseded' ELSE 'disconnected' END, sid);
  PERFORM aidis._invalidate_caches();
END
$$;
-- Session lifecycle (rules 1-3 and 6-8 of docs/design.md).

CREATE FUNCTION aidis.create_project(name text, root_directory text DEFAULT NULL,
                                     is_default boolean DEFAULT false)
  RETURNS aidis.projects
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  created aidis.projects;
BEGIN
  IF name IS NULL OR btrim(name) = '' THEN
    RAISE EXCEPTION 'project name must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF name = '__unassigned__' OR EXISTS (SELECT 1 FROM aidis.projects p WHERE p.name = create_project.name) THEN
    RAISE EXCEPTION 'project "%" already exists', name USING ERRCODE = 'unique_violation';
  END IF;
  IF COALESCE(is_default, false) THEN
    UPDATE aidis.projects p SET is_default = false, updated_at = now() WHERE p.is_default;
  END IF;
  INSERT INTO aidis.projects (name, root_directory, is_default)
  VALUES (create_project.name, create_project.root_directory, COALESCE(create_project.is_default, false))
  RETURNING * INTO created;
  RETURN created;
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

CREATE FUNCTION aidis._bind(sid uuid) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- Session-level and transactional: a rolled-back start leaves nothing bound.
  PERFORM set_config('aidis.session_id', sid::text, false);
  PERFORM aidis._forget_cached_session();
END
$$;

CREATE FUNCTION aidis.start_session(agent text DEFAULT NULL, project text DEFAULT NULL,
                                    title text DEFAULT NULL, goal text DEFAULT NULL,
                                    ai_model text DEFAULT NULL, client_key text DEFAULT NULL,
                                    force_new boolean DEFAULT false)
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
    PERFORM aidis._bind(existing.id);
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
  PERFORM aidis._bind(sid);
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

CREATE FUNCTION aidis.use_session(s text) RETURNS aidis.sessions
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
  sid := aidis._find_session(s);
  SELECT * INTO result FROM aidis.sessions x WHERE x.id = sid;
  IF result.status <> 'active' THEN
    RAISE EXCEPTION 'session % is not active (%)', result.display_id, result.status
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Start a new session with aidis.start_session().';
  END IF;
  PERFORM aidis._bind(sid);
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
DECLARE
  row_counts text;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  SELECT string_agg(format('SELECT %L::text AS kind, t.session_id, count(*) AS n FROM %s t WHERE t.session_id IS NOT NULL GROUP BY t.session_id',
                           tt.kind, tt.tbl), ' UNION ALL ')
  INTO row_counts FROM aidis.tracked_tables tt;
  row_counts := COALESCE(row_counts, 'SELECT NULL::text, NULL::uuid, NULL::bigint WHERE false');
  -- One aggregate per table and per event kind, joined once (not a recount per session).
  RETURN QUERY EXECUTE format($q$
    WITH rows AS MATERIALIZED (%s),
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
    CROSS JOIN LATERAL (VALUES
      ('contexts_created', s.contexts_created, COALESCE(r.contexts_created, 0)),
      ('tasks_created', s.tasks_created, COALESCE(r.tasks_created, 0)),
      ('decisions_created', s.decisions_created, COALESCE(r.decisions_created, 0)),
      ('tasks_completed', s.tasks_completed, COALESCE(e.tasks_completed, 0)),
      ('tasks_reopened', s.tasks_reopened, COALESCE(e.tasks_reopened, 0))) AS c(counter, recorded, actual)
    WHERE c.recorded IS DISTINCT FROM c.actual
    ORDER BY s.display_id, c.counter $q$, row_counts);
  -- Rows attached to a session that does not exist.
  RETURN QUERY EXECUTE format($q$
    WITH rows AS (%s)
    SELECT r.session_id, NULL::text, r.kind || ' rows of a missing session', 0::bigint, sum(r.n)::bigint
    FROM rows r WHERE NOT EXISTS (SELECT 1 FROM aidis.session_base b WHERE b.id = r.session_id)
    GROUP BY r.session_id, r.kind $q$, row_counts);
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
-- Tracking: the same triggers on the shipped tables and on any host table.

-- Adds (sign = 1) or removes (sign = -1) the rows of one table from the
-- created counters: used by track, untrack and TRUNCATE, which fire no row
-- triggers.
CREATE FUNCTION aidis._adjust_created(tbl regclass, kind text, sign integer) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  counter text := CASE kind WHEN 'context' THEN 'contexts_created'
                            WHEN 'task' THEN 'tasks_created' ELSE 'decisions_created' END;
BEGIN
  EXECUTE format(
    'UPDATE aidis.session_base b SET %1$I = b.%1$I + $1 * c.n
     FROM (SELECT t.session_id, count(*) AS n FROM %2$s t WHERE t.session_id IS NOT NULL GROUP BY 1) c
     WHERE b.id = c.session_id', counter, tbl)
  USING sign;
END
$$;

-- BEFORE TRUNCATE: refuse if a disconnected project has rows here; otherwise
-- take the rows out of the counters.
CREATE FUNCTION aidis._track_truncate() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pname text;
BEGIN
  EXECUTE format('SELECT p.name FROM %s t JOIN aidis.projects p ON p.id = t.project_id
                  WHERE p.status = ''disconnected'' LIMIT 1', TG_RELID::regclass)
  INTO pname;
  IF pname IS NOT NULL THEN
    RAISE EXCEPTION 'project "%" is disconnected', pname
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('%s holds rows of a disconnected project; TRUNCATE would delete them.', TG_RELID::regclass),
            HINT = 'An aidis_admin can run aidis.reconnect_project().';
  END IF;
  IF TG_NARGS > 0 THEN
    PERFORM aidis._adjust_created(TG_RELID::regclass, TG_ARGV[0], -1);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION aidis.track(tbl regclass, kind text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  missing text;
BEGIN
  IF tbl IS NULL OR kind IS NULL OR kind NOT IN ('context', 'task', 'decision') THEN
    RAISE EXCEPTION 'kind must be context, task or decision, not %', COALESCE(quote_literal(kind), 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF EXISTS (SELECT 1 FROM aidis.tracked_tables t WHERE t.tbl = track.tbl) THEN
    RAISE EXCEPTION '% is already tracked', tbl USING ERRCODE = 'duplicate_object';
  END IF;
  IF (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION '% is not a table', tbl USING ERRCODE = 'wrong_object_type';
  END IF;
  SELECT string_agg(need.col || ' ' || need.typ, ', ') INTO missing
  FROM (VALUES ('project_id', 'uuid'), ('session_id', 'uuid'), ('status', 'text')) AS need(col, typ)
  WHERE (need.col <> 'status' OR kind = 'task')
    AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = tbl AND a.attname = need.col AND NOT a.attisdropped
                      AND a.atttypid = need.typ::regtype);
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION '% cannot be tracked as %: it needs the columns %', tbl, kind, missing
      USING ERRCODE = 'undefined_column';
  END IF;

  -- Named to sort last: BEFORE triggers fire in name order, and stamping must
  -- see the row as the table's own triggers left it.
  EXECUTE format('CREATE TRIGGER zz_aidis_track_before BEFORE INSERT OR UPDATE OR DELETE ON %s
                  FOR EACH ROW EXECUTE FUNCTION aidis._track_before(%L)', tbl, kind);
  EXECUTE format('CREATE TRIGGER zz_aidis_track_after AFTER INSERT OR UPDATE OR DELETE ON %s
                  FOR EACH ROW EXECUTE FUNCTION aidis._track_after(%L)', tbl, kind);
  EXECUTE format('CREATE TRIGGER zz_aidis_track_truncate BEFORE TRUNCATE ON %s
                  FOR EACH STATEMENT EXECUTE FUNCTION aidis._track_truncate(%L)', tbl, kind);
  INSERT INTO aidis.tracked_tables (tbl, kind) VALUES (tbl, kind);
  -- Rows already there count for the sessions they name.
  PERFORM aidis._adjust_created(tbl, kind, 1);
END
$$;

CREATE FUNCTION aidis.untrack(tbl regclass) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  entry aidis.tracked_tables;
BEGIN
  SELECT * INTO entry FROM aidis.tracked_tables t WHERE t.tbl = untrack.tbl;
  IF NOT FOUND THEN
    RAISE EXCEPTION '% is not tracked', tbl USING ERRCODE = 'undefined_object';
  END IF;
  IF entry.shipped THEN
    RAISE EXCEPTION '% is part of the extension and stays tracked', tbl
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM aidis._adjust_created(tbl, entry.kind, -1);
  EXECUTE format('DROP TRIGGER zz_aidis_track_before ON %s', tbl);
  EXECUTE format('DROP TRIGGER zz_aidis_track_after ON %s', tbl);
  EXECUTE format('DROP TRIGGER zz_aidis_track_truncate ON %s', tbl);
  DELETE FROM aidis.tracked_tables t WHERE t.tbl = untrack.tbl;
END
$$;

SELECT aidis.track('aidis.contexts', 'context');
SELECT aidis.track('aidis.tasks', 'task');
SELECT aidis.track('aidis.decisions', 'decision');
UPDATE aidis.tracked_tables SET shipped = true;

-- The session tables get the disconnected-project guard only.
DO $guard$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['aidis.session_base', 'aidis.session_deltas',
                           'aidis.session_activities', 'aidis.session_files'] LOOP
    EXECUTE format('CREATE TRIGGER zz_aidis_guard BEFORE INSERT OR UPDATE OR DELETE ON %s
                    FOR EACH ROW EXECUTE FUNCTION aidis._guard_row()', t);
    EXECUTE format('CREATE TRIGGER zz_aidis_guard_truncate BEFORE TRUNCATE ON %s
                    FOR EACH STATEMENT EXECUTE FUNCTION aidis._track_truncate()', t);
  END LOOP;
END
$guard$;
-- The session API for people and UIs (docs/api.md):
-- finding, reading, editing, reassigning, rating and scoring sessions, stats,
-- comparison and the AI brief.
--
-- Read functions are SECURITY INVOKER, so row-level security hides the
-- sessions of disconnected projects from non-admin roles; write functions are
-- SECURITY DEFINER and check everything themselves. Every function pins
-- search_path but aidis._search_text (an index expression, see there).
-- Grants: 95_api_grants.sql (after 90_security.sql revokes).

------------------------------------------------------------------------------
-- C++ helpers (src/pg/scoring.cpp, src/core/scoring.cpp)
------------------------------------------------------------------------------

-- The derived score of docs/scoring.md from its gathered counts.
CREATE FUNCTION aidis._score(tasks_created bigint, tasks_completed bigint, tasks_reopened bigint,
                             completed_tasks bigint, first_time_right bigint,
                             items_compared bigint, repeated_items bigint,
                             contexts bigint, error_contexts bigint,
                             goal_set boolean, activity bigint)
  RETURNS jsonb
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'aidis_score';

CREATE FUNCTION aidis._score_version() RETURNS text
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'aidis_score_version';

-- How many items nearly repeat an earlier one (pg_trgm similarity >= threshold,
-- default 0.6); only the last 200 items are compared.
CREATE FUNCTION aidis._near_duplicates(items text[], threshold double precision DEFAULT 0.6)
  RETURNS bigint
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'aidis_near_duplicates';

-- pg_trgm's similarity as the C++ detector computes it (the tests compare the two).
CREATE FUNCTION aidis._trigram_similarity(a text, b text) RETURNS double precision
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'aidis_trigram_similarity';

-- What list_sessions matches q against. Written in C++ (no SET clause, no
-- SQL-function call per row) because the trigram index below is built on it.
CREATE FUNCTION aidis._search_text(display_id text, title text, description text, goal text,
                                   tags text[], agent text)
  RETURNS text
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'aidis_search_text';

------------------------------------------------------------------------------
-- Indexes the API needs
------------------------------------------------------------------------------

-- list_sessions: newest first with a status filter (without one,
-- session_base_started serves), and display ids by prefix.
CREATE INDEX session_base_status_list ON aidis.session_base (status, started_at DESC, id);
CREATE INDEX session_base_display_prefix ON aidis.session_base (display_id text_pattern_ops);
-- session_score: "was this completed task reopened later, in any session?"
-- Partial: only reopen events are indexed, so timeline inserts stay cheap.
CREATE INDEX session_activities_reopened ON aidis.session_activities (entity_id, id)
  WHERE kind = 'task_reopened';

-- list_sessions q: one trigram index over the searchable text. pg_trgm may
-- live in any schema: find it now.
DO $trgm$
DECLARE
  trgm_schema text;
BEGIN
  SELECT n.nspname INTO trgm_schema
  FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
  WHERE e.extname = 'pg_trgm';
  IF trgm_schema IS NULL THEN
    RAISE EXCEPTION 'aidis_sessions needs the pg_trgm extension'
      USING ERRCODE = 'undefined_object', HINT = 'CREATE EXTENSION aidis_sessions CASCADE installs it.';
  END IF;
  EXECUTE pg_catalog.format(
    'CREATE INDEX session_base_search ON aidis.session_base USING gin '
    '(aidis._search_text(display_id, title, description, goal, tags, agent) %I.gin_trgm_ops)',
    trgm_schema);
END
$trgm$;

------------------------------------------------------------------------------
-- Shared helpers
------------------------------------------------------------------------------

-- Paging arguments: NULL means the default; out of range is 22023.
CREATE FUNCTION aidis._check_page(lim integer, off bigint, max_lim integer) RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF lim IS NOT NULL AND (lim < 1 OR lim > max_lim) THEN
    RAISE EXCEPTION 'lim must be between 1 and %, not %', max_lim, lim
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF off IS NOT NULL AND off < 0 THEN
    RAISE EXCEPTION 'offset must not be negative, not %', off USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;

-- Wall-clock seconds: from start to end, or to now for an active session.
CREATE FUNCTION aidis._wall_seconds(started timestamptz, ended timestamptz) RETURNS bigint
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT GREATEST(0, floor(extract(epoch FROM COALESCE(ended, now()) - started)))::bigint
$$;

-- Active seconds: the gaps between consecutive moments of activity, each
-- capped at 15 minutes. The moments are the start, every timeline event
-- between start and end (or now), and the last activity (touch() writes no
-- event). Events logged after the end (edits, ratings) do not count.
CREATE FUNCTION aidis._active_seconds(sid uuid, started timestamptz, ended timestamptz,
                                      last_activity timestamptz)
  RETURNS bigint
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  -- (LEAST ignores NULLs: the first moment, with no gap, is filtered out.)
  SELECT COALESCE(floor(sum(LEAST(g.gap, 900)) FILTER (WHERE g.gap IS NOT NULL)), 0)::bigint
  FROM (SELECT extract(epoch FROM x.t - lag(x.t) OVER (ORDER BY x.t)) AS gap
        FROM (SELECT a.occurred_at AS t FROM aidis.session_activities a
              WHERE a.session_id = sid
                AND a.occurred_at >= started AND a.occurred_at <= COALESCE(ended, now())
              UNION ALL SELECT started
              UNION ALL SELECT GREATEST(started, LEAST(last_activity, COALESCE(ended, now())))) x) g
$$;

------------------------------------------------------------------------------
-- The derived score (docs/scoring.md)
------------------------------------------------------------------------------

-- The counts the formula reads. All come from the session row and its timeline,
-- so anyone can recount them with session_timeline().
CREATE FUNCTION aidis._score_signals(sid uuid,
    OUT tasks_created bigint, OUT tasks_completed bigint, OUT tasks_reopened bigint,
    OUT completed_tasks bigint, OUT first_time_right bigint,
    OUT items_compared bigint, OUT repeated_items bigint,
    OUT contexts bigint, OUT error_contexts bigint,
    OUT goal_set boolean, OUT activity bigint)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  task_titles text[];
  context_texts text[];
BEGIN
  SELECT s.tasks_created, s.tasks_completed, s.tasks_reopened,
         COALESCE(btrim(s.goal), '') <> '', s.activity_count
  INTO tasks_created, tasks_completed, tasks_reopened, goal_set, activity
  FROM aidis.sessions s WHERE s.id = sid;

  -- First-time-right: distinct tasks completed in this session with no
  -- reopen event (in any session) after their first completion here.
  SELECT count(*),
         count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM aidis.session_activities r
           WHERE r.kind = 'task_reopened' AND r.entity_id = c.entity_id AND r.id > c.first_id
             AND (r.data ->> 'table') IS NOT DISTINCT FROM c.tbl))
  INTO completed_tasks, first_time_right
  FROM (SELECT a.entity_id, a.data ->> 'table' AS tbl, min(a.id) AS first_id
        FROM aidis.session_activities a
        WHERE a.session_id = sid AND a.kind = 'task_completed' AND a.entity_id IS NOT NULL
        GROUP BY 1, 2) c;

  -- Error contexts: an error-like context_type, or content that opens like an error report.
  SELECT count(*),
         count(*) FILTER (WHERE lower(a.data ->> 'context_type') IN ('error', 'bug', 'failure', 'exception', 'incident', 'crash')
                             OR a.summary ~* '^\s*(error|exception|traceback|fatal|panic|failed|failure|crash(ed)?)\M')
  INTO contexts, error_contexts
  FROM aidis.session_activities a
  WHERE a.session_id = sid AND a.kind = 'context_added';

  -- Repeated work: the last 200 task titles and the last 200 context summaries
  -- (first 160 bytes), each compared with the earlier ones of the same kind.
  SELECT array_agg(x.summary ORDER BY x.id) INTO task_titles
  FROM (SELECT a.id, a.summary FROM aidis.session_activities a
        WHERE a.session_id = sid AND a.kind = 'task_created' AND a.summary IS NOT NULL
        ORDER BY a.id DESC LIMIT 200) x;
  SELECT array_agg(x.summary ORDER BY x.id) INTO context_texts
  FROM (SELECT a.id, a.summary FROM aidis.session_activities a
        WHERE a.session_id = sid AND a.kind = 'context_added' AND a.summary IS NOT NULL
        ORDER BY a.id DESC LIMIT 200) x;
  items_compared := COALESCE(cardinality(task_titles), 0) + COALESCE(cardinality(context_texts), 0);
  repeated_items := aidis._near_duplicates(COALESCE(task_titles, '{}')) +
                    aidis._near_duplicates(COALESCE(context_texts, '{}'));
END
$$;

CREATE FUNCTION aidis._compute_score(sid uuid) RETURNS jsonb
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._score(g.tasks_created, g.tasks_completed, g.tasks_reopened, g.completed_tasks,
                      g.first_time_right, g.items_compared, g.repeated_items, g.contexts,
                      g.error_contexts, g.goal_set, g.activity)
         || jsonb_build_object('inputs', to_jsonb(g))
  FROM aidis._score_signals(sid) g
$$;

-- Stores the score on the session (called by aidis._close_session when a
-- session ends). A failure to score must not keep a session from ending (a
-- timeout sweep, a disconnect): it is reported as a WARNING and the score
-- stays as it was.
CREATE FUNCTION aidis._store_score(sid uuid) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  computed jsonb;
BEGIN
  computed := aidis._compute_score(sid);
  UPDATE aidis.session_base b
  SET score = (computed ->> 'score')::numeric, score_breakdown = computed
  WHERE b.id = sid;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'aidis: could not store the score of session %: % (SQLSTATE %)', sid, SQLERRM, SQLSTATE;
END
$$;

-- The score a reader sees: the one stored at the end while it is of the
-- current formula version, else computed now. Returns (breakdown, source).
CREATE FUNCTION aidis._current_score(sid uuid, status text, stored jsonb,
                                     OUT breakdown jsonb, OUT source text)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF status <> 'active' AND stored ->> 'version' = aidis._score_version() THEN
    breakdown := stored;
    source := 'stored';
  ELSE
    breakdown := aidis._compute_score(sid);
    source := 'live';
  END IF;
END
$$;

-- session_score(s): the formula recomputed now, with every signal.
CREATE FUNCTION aidis.session_score(s text DEFAULT NULL) RETURNS jsonb
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._flush_pending();  -- see this transaction's own work
  SELECT aidis._compute_score(aidis._find_session(s));
$$;

------------------------------------------------------------------------------
-- Finding sessions
------------------------------------------------------------------------------

CREATE TYPE aidis.session_summary AS (
  id                    uuid,
  display_id            text,
  title                 text,
  status                text,
  end_reason            text,
  project_id            uuid,
  project_name          text,
  agent                 text,
  ai_model              text,
  tags                  text[],
  started_at            timestamptz,
  last_activity_at      timestamptz,
  ended_at              timestamptz,
  contexts_created      bigint,
  tasks_created         bigint,
  tasks_completed       bigint,
  tasks_reopened        bigint,
  decisions_created     bigint,
  activity_count        bigint,
  input_tokens          bigint,
  output_tokens         bigint,
  cache_read_tokens     bigint,
  cache_creation_tokens bigint,
  estimated_tokens      bigint,
  loc_added             bigint,
  loc_removed           bigint,
  files_touched         bigint,
  rating                smallint,
  score                 numeric
);

-- Newest first. Filters and sorting run on session_base with its indexes; the
-- counters (base plus pending deltas, as in the view aidis.sessions) are added
-- only for the rows of the page.
CREATE FUNCTION aidis.list_sessions(q text DEFAULT NULL, status text DEFAULT NULL,
                                    project text DEFAULT NULL, lim integer DEFAULT 50,
                                    off integer DEFAULT 0)
  RETURNS SETOF aidis.session_summary
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  wanted_status text := NULLIF(lower(btrim(status)), '');
  needle text := NULLIF(btrim(q), '');
  pid uuid;
  pattern text;
  hex text;
  lo uuid;
  hi uuid;
  named_projects uuid[];
  display_prefix text;
  conds text[] := '{}';
  matches text[];
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  PERFORM aidis._check_page(lim, off, 1000);
  IF wanted_status IS NOT NULL AND wanted_status NOT IN ('active', 'inactive', 'disconnected') THEN
    RAISE EXCEPTION 'invalid status "%"', status
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use active, inactive or disconnected.';
  END IF;
  IF NULLIF(btrim(project), '') IS NOT NULL THEN
    pid := aidis._find_project(project);
  END IF;

  IF wanted_status IS NOT NULL THEN conds := conds || 'b.status = $1'::text; END IF;
  IF pid IS NOT NULL THEN conds := conds || 'b.project_id = $2'::text; END IF;
  IF needle IS NOT NULL THEN
    -- A case-insensitive substring of the searchable text (trigram index)...
    pattern := '%' || replace(replace(replace(needle, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    matches := ARRAY['aidis._search_text(b.display_id, b.title, b.description, b.goal, b.tags, b.agent) ILIKE $3'];
    -- ...or the start of a display id ("SES-2026-00", "2026-0042"; the
    -- number alone is in the searchable text)...
    IF upper(needle) ~ '^SES(-[0-9]{0,4}(-[0-9]*)?)?$' OR needle ~ '^[0-9]{4}-[0-9]*$' THEN
      display_prefix := CASE WHEN upper(needle) LIKE 'SES%' THEN upper(needle) ELSE 'SES-' || needle END || '%';
      matches := matches || 'b.display_id LIKE $9'::text;
    END IF;
    -- ...or a uuid prefix (a range of the primary key)...
    hex := lower(replace(needle, '-', ''));
    IF needle ~* '^[0-9a-f-]+$' AND length(hex) BETWEEN 8 AND 32 THEN
      lo := rpad(hex, 32, '0')::uuid;
      hi := rpad(hex, 32, 'f')::uuid;
      matches := matches || 'b.id BETWEEN $4 AND $5'::text;
    END IF;
    -- ...or the name of the session's project.
    SELECT array_agg(p.id) INTO named_projects FROM aidis.projects p WHERE p.name ILIKE pattern;
    IF named_projects IS NOT NULL THEN
      matches := matches || 'b.project_id = ANY ($6)'::text;
    END IF;
    conds := conds || ('(' || array_to_string(matches, ' OR ') || ')');
  END IF;

  RETURN QUERY EXECUTE format($query$
    WITH page AS MATERIALIZED (
      SELECT b.id, b.started_at FROM aidis.session_base b
      %s
      ORDER BY b.started_at DESC, b.id
      LIMIT $7 OFFSET $8)
    SELECT v.id, v.display_id, v.title, v.status, v.end_reason, v.project_id, p.name, v.agent,
           v.ai_model, v.tags, v.started_at, v.last_activity_at, v.ended_at,
           v.contexts_created, v.tasks_created, v.tasks_completed, v.tasks_reopened,
           v.decisions_created, v.activity_count, v.input_tokens, v.output_tokens,
           v.cache_read_tokens, v.cache_creation_tokens, v.estimated_tokens, v.loc_added,
           v.loc_removed, v.files_touched, v.rating, v.score::numeric
    FROM page
    JOIN aidis.sessions v ON v.id = page.id
    JOIN aidis.projects p ON p.id = v.project_id
    ORDER BY page.started_at DESC, page.id $query$,
    CASE WHEN cardinality(conds) > 0 THEN 'WHERE ' || array_to_string(conds, ' AND ') ELSE '' END)
  USING wanted_status, pid, pattern, lo, hi, named_projects, COALESCE(lim, 50), COALESCE(off, 0),
        display_prefix;
END
$$;

------------------------------------------------------------------------------
-- Reading one session
------------------------------------------------------------------------------

-- Everything a details page shows: the session's columns (as in the view
-- aidis.sessions) plus project_name, project_status, wall_seconds,
-- active_seconds, top_files, score (number), score_breakdown (with every
-- signal) and score_source ('stored' at the end, or 'live').
CREATE FUNCTION aidis.session_details(s text DEFAULT NULL) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._find_session(s);
  v aidis.sessions;
  proj aidis.projects;
  sc record;
  files jsonb;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
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
    'wall_seconds', aidis._wall_seconds(v.started_at, v.ended_at),
    'active_seconds', aidis._active_seconds(sid, v.started_at, v.ended_at, v.last_activity_at),
    'top_files', files,
    'score', sc.breakdown -> 'score',
    'score_breakdown', sc.breakdown,
    'score_source', sc.source);
END
$$;

-- The session's own rows of the shipped tables, oldest first.
CREATE FUNCTION aidis.session_contexts(s text DEFAULT NULL, lim integer DEFAULT 50, off integer DEFAULT 0)
  RETURNS SETOF aidis.contexts
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  PERFORM aidis._check_page(lim, off, 1000);
  sid := aidis._find_session(s);
  RETURN QUERY SELECT c.* FROM aidis.contexts c WHERE c.session_id = sid
               ORDER BY c.created_at, c.id LIMIT COALESCE(lim, 50) OFFSET COALESCE(off, 0);
END
$$;

CREATE FUNCTION aidis.session_tasks(s text DEFAULT NULL, lim integer DEFAULT 50, off integer DEFAULT 0)
  RETURNS SETOF aidis.tasks
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  PERFORM aidis._check_page(lim, off, 1000);
  sid := aidis._find_session(s);
  RETURN QUERY SELECT t.* FROM aidis.tasks t WHERE t.session_id = sid
               ORDER BY t.created_at, t.id LIMIT COALESCE(lim, 50) OFFSET COALESCE(off, 0);
END
$$;

CREATE FUNCTION aidis.session_decisions(s text DEFAULT NULL, lim integer DEFAULT 50, off integer DEFAULT 0)
  RETURNS SETOF aidis.decisions
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  PERFORM aidis._check_page(lim, off, 1000);
  sid := aidis._find_session(s);
  RETURN QUERY SELECT d.* FROM aidis.decisions d WHERE d.session_id = sid
               ORDER BY d.created_at, d.id LIMIT COALESCE(lim, 50) OFFSET COALESCE(off, 0);
END
$$;

-- The timeline, oldest first; page with after_id = the last id seen.
CREATE FUNCTION aidis.session_timeline(s text DEFAULT NULL, lim integer DEFAULT 500, after_id bigint DEFAULT 0)
  RETURNS TABLE (id bigint, occurred_at timestamptz, kind text, summary text, entity_id text, data jsonb)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  PERFORM aidis._check_page(lim, NULL, 10000);
  IF after_id < 0 THEN
    RAISE EXCEPTION 'after_id must not be negative, not %', after_id USING ERRCODE = 'invalid_parameter_value';
  END IF;
  sid := aidis._find_session(s);
  RETURN QUERY
    SELECT a.id, a.occurred_at, a.kind, a.summary, a.entity_id, a.data
    FROM aidis.session_activities a
    WHERE a.session_id = sid AND a.id > COALESCE(after_id, 0)
    ORDER BY a.id
    LIMIT COALESCE(lim, 500);
END
$$;

------------------------------------------------------------------------------
-- Editing
------------------------------------------------------------------------------

-- NULL leaves a field unchanged; '' clears it (the title and the agent cannot
-- be cleared). Limits are checked here, with SQLSTATE 22023.
CREATE FUNCTION aidis.update_session(s text DEFAULT NULL, title text DEFAULT NULL,
                                     description text DEFAULT NULL, goal text DEFAULT NULL,
                                     tags text[] DEFAULT NULL, notes text DEFAULT NULL,
                                     ai_model text DEFAULT NULL, agent text DEFAULT NULL,
                                     add_tags text[] DEFAULT NULL, append_notes text DEFAULT NULL)
  RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._find_session(s);
  cur aidis.session_base;
  new_title text;
  new_description text;
  new_goal text;
  new_tags text[];
  new_notes text;
  new_model text;
  new_agent text;
  changed text[] := '{}';
  result aidis.sessions;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  SELECT * INTO cur FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  PERFORM aidis._refuse_if_disconnected(cur.project_id);

  new_title := cur.title;
  IF title IS NOT NULL THEN
    new_title := btrim(title);
    IF new_title = '' THEN
      RAISE EXCEPTION 'the title cannot be cleared' USING ERRCODE = 'invalid_parameter_value';
    ELSIF char_length(new_title) > 255 THEN
      RAISE EXCEPTION 'title is % characters long; at most 255 are allowed', char_length(new_title)
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END IF;
  new_description := CASE WHEN description IS NULL THEN cur.description ELSE NULLIF(btrim(description), '') END;
  IF char_length(new_description) > 2000 THEN
    RAISE EXCEPTION 'description is % characters long; at most 2000 are allowed', char_length(new_description)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  new_goal := CASE WHEN goal IS NULL THEN cur.goal ELSE NULLIF(btrim(goal), '') END;
  IF char_length(new_goal) > 2000 THEN
    RAISE EXCEPTION 'goal is % characters long; at most 2000 are allowed', char_length(new_goal)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  new_notes := CASE WHEN notes IS NULL THEN cur.notes ELSE NULLIF(btrim(notes), '') END;
  IF NULLIF(btrim(append_notes), '') IS NOT NULL THEN  -- under the row lock: concurrent appends both stay
    new_notes := concat_ws(E'\n', new_notes, btrim(append_notes));
  END IF;
  IF char_length(new_notes) > 10000 THEN
    RAISE EXCEPTION 'notes are % characters long; at most 10000 are allowed', char_length(new_notes)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  new_tags := cur.tags;
  IF tags IS NOT NULL OR add_tags IS NOT NULL THEN
    -- Trimmed, empty ones dropped, duplicates dropped (first one kept), order kept.
    SELECT COALESCE(array_agg(x.tag ORDER BY x.first), '{}') INTO new_tags
    FROM (SELECT btrim(t.tag) AS tag, min(t.n) AS first
          FROM unnest(COALESCE(tags, cur.tags) || COALESCE(add_tags, '{}')) WITH ORDINALITY AS t(tag, n)
          WHERE NULLIF(btrim(t.tag), '') IS NOT NULL
          GROUP BY btrim(t.tag)) x;
    IF cardinality(new_tags) > 50 THEN
      RAISE EXCEPTION '% tags given; at most 50 are allowed', cardinality(new_tags)
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(new_tags) t(tag) WHERE char_length(t.tag) > 100) THEN
      RAISE EXCEPTION 'a tag is longer than 100 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END IF;
  new_model := CASE WHEN ai_model IS NULL THEN cur.ai_model ELSE NULLIF(btrim(ai_model), '') END;
  IF char_length(new_model) > 200 THEN
    RAISE EXCEPTION 'ai_model is % characters long; at most 200 are allowed', char_length(new_model)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  new_agent := cur.agent;
  IF agent IS NOT NULL THEN
    IF btrim(agent) = '' THEN
      RAISE EXCEPTION 'the agent cannot be cleared' USING ERRCODE = 'invalid_parameter_value',
        HINT = 'Give the agent''s name, e.g. claude-code.';
    END IF;
    new_agent := aidis.normalize_agent(agent);
    -- One active session per (agent, client_key): say so rather than fail on the index.
    IF cur.status = 'active' AND new_agent <> cur.agent AND EXISTS (
         SELECT 1 FROM aidis.session_base b
         WHERE b.status = 'active' AND b.agent = new_agent
           AND COALESCE(b.client_key, '') = COALESCE(cur.client_key, '') AND b.id <> sid) THEN
      RAISE EXCEPTION 'another active session already belongs to agent "%" with the same client key', new_agent
        USING ERRCODE = 'unique_violation', HINT = 'End that session first.';
    END IF;
  END IF;

  IF new_title IS DISTINCT FROM cur.title THEN changed := changed || 'title'::text; END IF;
  IF new_description IS DISTINCT FROM cur.description THEN changed := changed || 'description'::text; END IF;
  IF new_goal IS DISTINCT FROM cur.goal THEN changed := changed || 'goal'::text; END IF;
  IF new_tags IS DISTINCT FROM cur.tags THEN changed := changed || 'tags'::text; END IF;
  IF new_notes IS DISTINCT FROM cur.notes THEN changed := changed || 'notes'::text; END IF;
  IF new_model IS DISTINCT FROM cur.ai_model THEN changed := changed || 'ai_model'::text; END IF;
  IF new_agent IS DISTINCT FROM cur.agent THEN changed := changed || 'agent'::text; END IF;

  IF cardinality(changed) > 0 THEN
    UPDATE aidis.session_base b
    SET title = new_title, description = new_description, goal = new_goal, tags = new_tags,
        notes = new_notes, ai_model = new_model, agent = new_agent, updated_at = clock_timestamp()
    WHERE b.id = sid;
    PERFORM aidis._log_event(sid, 'session_updated', clock_timestamp(),
                             'edited: ' || array_to_string(changed, ', '),
                             jsonb_build_object('fields', to_jsonb(changed)));
    PERFORM aidis._notify('updated', sid);
  END IF;
  SELECT * INTO result FROM aidis.sessions x WHERE x.id = sid;
  RETURN result;
END
$$;

-- Project reassignment is confirmed with a token: a digest, under a secret
-- created with the extension, of the session, both projects, the session's
-- updated_at and the time of issue (docs/api.md).
CREATE TABLE aidis.api_secret (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  secret   bytea NOT NULL
);
-- 244 random bits. Registered for pg_dump with a condition no row meets: the
-- secret is never dumped, a restored database makes a new one (outstanding
-- tokens then simply stop matching).
INSERT INTO aidis.api_secret (secret)
VALUES (decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
SELECT pg_catalog.pg_extension_config_dump('aidis.api_secret', 'WHERE false');

CREATE FUNCTION aidis._reassign_token(sid uuid, source uuid, target uuid, state timestamptz, issued bigint)
  RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT issued::text || '.' ||
         left(encode(sha256(k.secret || convert_to(concat_ws('|', 'aidis.reassign_project.v1', sid, source,
                                                               target, extract(epoch FROM state), issued),
                                                     'UTF8')), 'hex'), 32)
  FROM aidis.api_secret k
$$;

-- The session's rows that a reassignment moves: tracked rows filed under the
-- session's current project, every timeline event, file and pending delta.
CREATE FUNCTION aidis._reassign_counts(sid uuid, source uuid) RETURNS jsonb
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t record;
  n bigint;
  by_kind jsonb := '{"context": 0, "task": 0, "decision": 0}';
BEGIN
  FOR t IN SELECT tt.tbl, tt.kind FROM aidis.tracked_tables tt ORDER BY tt.tbl::text LOOP
    EXECUTE format('SELECT count(*) FROM %s x WHERE x.session_id = $1 AND x.project_id = $2', t.tbl)
      INTO n USING sid, source;
    by_kind := jsonb_set(by_kind, ARRAY[t.kind], to_jsonb((by_kind ->> t.kind)::bigint + n));
  END LOOP;
  RETURN jsonb_build_object(
    'contexts', by_kind -> 'context', 'tasks', by_kind -> 'task', 'decisions', by_kind -> 'decision',
    'timeline_events', (SELECT count(*) FROM aidis.session_activities a WHERE a.session_id = sid),
    'files', (SELECT count(*) FROM aidis.session_files f WHERE f.session_id = sid));
END
$$;

CREATE FUNCTION aidis.reassign_project(s text, project text, confirm text DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._find_session(s);
  target uuid := aidis._find_project(project);
  cur aidis.session_base;
  src aidis.projects;
  dst aidis.projects;
  token text := NULLIF(btrim(confirm), '');
  issued bigint;
  moves jsonb;
  t record;
  n bigint;
  moved jsonb := '{"context": 0, "task": 0, "decision": 0}';
  events bigint;
  files bigint;
  replication_role text;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  SELECT * INTO cur FROM aidis.session_base b WHERE b.id = sid;
  IF cur.project_id = target THEN
    RAISE EXCEPTION 'session % already belongs to project "%"', cur.display_id,
      (SELECT p.name FROM aidis.projects p WHERE p.id = target)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  IF token IS NOT NULL THEN
    -- Lock both projects (in id order, like disconnect_project takes them)
    -- and then the session; the token is checked against what is locked.
    PERFORM 1 FROM aidis.projects p WHERE p.id IN (cur.project_id, target) ORDER BY p.id FOR SHARE;
    SELECT * INTO cur FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  END IF;
  SELECT * INTO src FROM aidis.projects p WHERE p.id = cur.project_id;
  SELECT * INTO dst FROM aidis.projects p WHERE p.id = target;
  PERFORM aidis._refuse_if_disconnected(src.id);
  PERFORM aidis._refuse_if_disconnected(dst.id);

  IF token IS NULL THEN
    issued := floor(extract(epoch FROM clock_timestamp()))::bigint;
    moves := aidis._reassign_counts(sid, src.id);
    RETURN jsonb_build_object(
      'status', 'confirmation_required',
      'warning', format('Session %s and everything it holds (contexts: %s, tasks: %s, decisions: %s, '
                        'timeline events: %s, files: %s) will move from project "%s" to project "%s".',
                        cur.display_id, moves ->> 'contexts', moves ->> 'tasks', moves ->> 'decisions',
                        moves ->> 'timeline_events', moves ->> 'files', src.name, dst.name),
      'hint', 'To apply, call aidis.reassign_project again with confirm => the token, within 10 minutes.',
      'confirm', aidis._reassign_token(sid, src.id, dst.id, cur.updated_at, issued),
      'expires_at', to_timestamp(issued + 600),
      'session_id', sid, 'display_id', cur.display_id,
      'from_project_id', src.id, 'from_project', src.name,
      'to_project_id', dst.id, 'to_project', dst.name,
      'moves', moves);
  END IF;

  IF token !~ '^[0-9]{1,12}\.[0-9a-f]{32}$' THEN
    RAISE EXCEPTION 'malformed confirmation token' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'Call aidis.reassign_project(s, project) without a token to get one.';
  END IF;
  issued := split_part(token, '.', 1)::bigint;
  IF token <> aidis._reassign_token(sid, src.id, dst.id, cur.updated_at, issued) THEN
    RAISE EXCEPTION 'confirmation token does not match this reassignment'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'It was issued for another session or project, or the session changed since (or the token was already used).',
            HINT = 'Call aidis.reassign_project(s, project) without a token to get a new one.';
  END IF;
  IF issued + 600 < extract(epoch FROM clock_timestamp()) THEN
    RAISE EXCEPTION 'confirmation token expired at %', to_timestamp(issued + 600)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Call aidis.reassign_project(s, project) without a token to get a new one.';
  END IF;

  -- Apply. The session tables keep their guard triggers (both projects are
  -- connected and locked).
  UPDATE aidis.session_base b SET project_id = dst.id, updated_at = clock_timestamp() WHERE b.id = sid;
  UPDATE aidis.session_deltas d SET project_id = dst.id WHERE d.session_id = sid;
  UPDATE aidis.session_activities a SET project_id = dst.id WHERE a.session_id = sid;
  GET DIAGNOSTICS events = ROW_COUNT;
  UPDATE aidis.session_files f SET project_id = dst.id WHERE f.session_id = sid;
  GET DIAGNOSTICS files = ROW_COUNT;
  -- Tracked rows move with their triggers off: moving a row is not activity
  -- (it would count as one and move last_activity_at) and does not touch
  -- tasks.updated_at. Only for these statements, and restored right after.
  replication_role := current_setting('session_replication_role');
  PERFORM set_config('session_replication_role', 'replica', true);
  FOR t IN SELECT tt.tbl, tt.kind FROM aidis.tracked_tables tt ORDER BY tt.tbl::text LOOP
    EXECUTE format('UPDATE %s x SET project_id = $1 WHERE x.session_id = $2 AND x.project_id = $3', t.tbl)
      USING dst.id, sid, src.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    moved := jsonb_set(moved, ARRAY[t.kind], to_jsonb((moved ->> t.kind)::bigint + n));
  END LOOP;
  PERFORM set_config('session_replication_role', replication_role, true);

  moves := jsonb_build_object('contexts', moved -> 'context', 'tasks', moved -> 'task',
                              'decisions', moved -> 'decision', 'timeline_events', events, 'files', files);
  PERFORM aidis._log_event(sid, 'project_reassigned', clock_timestamp(),
                           format('moved from project "%s" to "%s"', src.name, dst.name),
                           jsonb_build_object('from_project_id', src.id, 'from_project', src.name,
                                              'to_project_id', dst.id, 'to_project', dst.name,
                                              'moved', moves));
  PERFORM aidis._notify('reassigned', sid);
  -- Every backend forgets the session's old project when this commits.
  PERFORM aidis._invalidate_caches();
  PERFORM aidis._forget_cached_session();
  RETURN jsonb_build_object('status', 'reassigned', 'session_id', sid, 'display_id', cur.display_id,
                            'from_project_id', src.id, 'from_project', src.name,
                            'to_project_id', dst.id, 'to_project', dst.name, 'moved', moves);
END
$$;

------------------------------------------------------------------------------
-- Rating
------------------------------------------------------------------------------

-- Each rating replaces the previous one, note included (NULL or '' = no note).
CREATE FUNCTION aidis.rate_session(s text, stars integer, note text DEFAULT NULL)
  RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
  cur aidis.session_base;
  new_note text := NULLIF(btrim(note), '');
  result aidis.sessions;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  IF stars IS NULL OR stars < 1 OR stars > 5 THEN
    RAISE EXCEPTION 'stars must be 1 to 5, not %', COALESCE(stars::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF char_length(new_note) > 2000 THEN
    RAISE EXCEPTION 'note is % characters long; at most 2000 are allowed', char_length(new_note)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  sid := aidis._find_session(s);
  SELECT * INTO cur FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  PERFORM aidis._refuse_if_disconnected(cur.project_id);
  UPDATE aidis.session_base b
  SET rating = stars, rating_note = new_note, updated_at = clock_timestamp()
  WHERE b.id = sid;
  PERFORM aidis._log_event(sid, 'rated', clock_timestamp(), format('rated %s/5', stars),
                           jsonb_strip_nulls(jsonb_build_object('stars', stars, 'note', new_note,
                                                                'previous', cur.rating)));
  PERFORM aidis._notify('rated', sid);
  SELECT * INTO result FROM aidis.sessions x WHERE x.id = sid;
  RETURN result;
END
$$;

------------------------------------------------------------------------------
-- Analytics
------------------------------------------------------------------------------

-- Sessions started in the last day, 7 days or month (to now), optionally of one project.
CREATE FUNCTION aidis.session_stats(period text DEFAULT 'month', project text DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  span interval := CASE lower(btrim(period)) WHEN 'day' THEN interval '1 day'
                                             WHEN 'week' THEN interval '7 days'
                                             WHEN 'month' THEN interval '1 month' END;
  pid uuid;
  pname text;
  since timestamptz;
  result jsonb;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  IF span IS NULL THEN
    RAISE EXCEPTION 'invalid period "%"', COALESCE(period, 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use day, week or month.';
  END IF;
  IF NULLIF(btrim(project), '') IS NOT NULL THEN
    pid := aidis._find_project(project);
    SELECT p.name INTO pname FROM aidis.projects p WHERE p.id = pid;
  END IF;
  since := now() - span;

  WITH s AS MATERIALIZED (
    SELECT v.*, aidis._wall_seconds(v.started_at, v.ended_at) AS wall,
           aidis._active_seconds(v.id, v.started_at, v.ended_at, v.last_activity_at) AS active
    FROM aidis.sessions v
    WHERE v.started_at >= since AND (pid IS NULL OR v.project_id = pid)
  ), totals AS (
    SELECT count(*) AS sessions,
           count(*) FILTER (WHERE s.status = 'active') AS active_sessions,
           count(s.rating) AS rated_sessions, count(s.score) AS scored_sessions,
           COALESCE(sum(s.wall), 0) AS wall, COALESCE(sum(s.active), 0) AS active,
           COALESCE(sum(s.contexts_created), 0) AS contexts_created,
           COALESCE(sum(s.tasks_created), 0) AS tasks_created,
           COALESCE(sum(s.tasks_completed), 0) AS tasks_completed,
           COALESCE(sum(s.tasks_reopened), 0) AS tasks_reopened,
           COALESCE(sum(s.decisions_created), 0) AS decisions_created,
           COALESCE(sum(s.activity_count), 0) AS activity_count,
           COALESCE(sum(s.input_tokens), 0) AS input_tokens,
           COALESCE(sum(s.output_tokens), 0) AS output_tokens,
           COALESCE(sum(s.cache_read_tokens), 0) AS cache_read_tokens,
           COALESCE(sum(s.cache_creation_tokens), 0) AS cache_creation_tokens,
           COALESCE(sum(s.estimated_tokens), 0) AS estimated_tokens,
           COALESCE(sum(s.loc_added), 0) AS loc_added,
           COALESCE(sum(s.loc_removed), 0) AS loc_removed,
           round(avg(s.wall)) AS avg_wall, round(avg(s.active)) AS avg_active,
           round(avg(s.tasks_completed), 2) AS avg_tasks_completed,
           round(avg(s.score), 1) AS avg_score, round(avg(s.rating), 2) AS avg_rating
    FROM s
  ), weekday AS (
    SELECT extract(isodow FROM s.started_at)::integer AS isodow,
           to_char(s.started_at, 'FMDay') AS weekday,
           count(*) AS sessions, sum(s.tasks_completed) AS tasks_completed,
           sum(s.contexts_created + s.tasks_created + s.decisions_created) AS items
    FROM s GROUP BY 1, 2
    ORDER BY tasks_completed DESC, items DESC, sessions DESC, isodow
    LIMIT 1
  ), model AS (
    SELECT s.ai_model, count(*) AS sessions FROM s WHERE s.ai_model IS NOT NULL
    GROUP BY 1 ORDER BY sessions DESC, max(s.started_at) DESC, 1 LIMIT 1
  ), tag AS (
    SELECT t.tag, count(*) AS sessions FROM s CROSS JOIN LATERAL unnest(s.tags) AS t(tag)
    GROUP BY 1 ORDER BY sessions DESC, 1 LIMIT 5
  )
  SELECT jsonb_build_object(
    'period', lower(btrim(period)), 'since', since, 'until', now(),
    'project', pname, 'project_id', pid,
    'sessions', t.sessions, 'active_sessions', t.active_sessions,
    'rated_sessions', t.rated_sessions, 'scored_sessions', t.scored_sessions,
    'total_wall_seconds', t.wall, 'total_active_seconds', t.active,
    'avg_wall_seconds', t.avg_wall, 'avg_active_seconds', t.avg_active,
    'contexts_created', t.contexts_created, 'tasks_created', t.tasks_created,
    'tasks_completed', t.tasks_completed, 'tasks_reopened', t.tasks_reopened,
    'decisions_created', t.decisions_created, 'activity_count', t.activity_count,
    'completion_rate', CASE WHEN t.tasks_created > 0
                            THEN round(LEAST(1, t.tasks_completed::numeric / t.tasks_created), 4) END,
    'avg_tasks_completed', t.avg_tasks_completed,
    'input_tokens', t.input_tokens, 'output_tokens', t.output_tokens,
    'cache_read_tokens', t.cache_read_tokens, 'cache_creation_tokens', t.cache_creation_tokens,
    'estimated_tokens', t.estimated_tokens,
    'loc_added', t.loc_added, 'loc_removed', t.loc_removed, 'net_loc', t.loc_added - t.loc_removed,
    'avg_score', t.avg_score, 'avg_rating', t.avg_rating,
    'most_productive_weekday', (SELECT jsonb_build_object('weekday', w.weekday, 'isodow', w.isodow,
                                                          'sessions', w.sessions,
                                                          'tasks_completed', w.tasks_completed)
                                FROM weekday w),
    'most_used_model', (SELECT jsonb_build_object('model', m.ai_model, 'sessions', m.sessions) FROM model m),
    'top_tags', COALESCE((SELECT jsonb_agg(jsonb_build_object('tag', g.tag, 'sessions', g.sessions)
                                           ORDER BY g.sessions DESC, g.tag) FROM tag g), '[]'))
  INTO result
  FROM totals t;
  RETURN result;
END
$$;

-- Two sessions side by side: a and b (details without top_files), their
-- signals, and delta = b - a for every number.
CREATE FUNCTION aidis.compare_sessions(a text, b text) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  da jsonb := aidis.session_details(a);
  db jsonb := aidis.session_details(b);
  metrics text[] := ARRAY['wall_seconds', 'active_seconds', 'contexts_created', 'tasks_created',
                          'tasks_completed', 'tasks_reopened', 'decisions_created', 'activity_count',
                          'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens',
                          'estimated_tokens', 'loc_added', 'loc_removed', 'files_touched',
                          'rating', 'score'];
  delta jsonb;
  signals jsonb;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  SELECT jsonb_object_agg(m, CASE WHEN jsonb_typeof(da -> m) = 'number' AND jsonb_typeof(db -> m) = 'number'
                                  THEN to_jsonb((db ->> m)::numeric - (da ->> m)::numeric) END)
  INTO delta FROM unnest(metrics) AS m;
  SELECT jsonb_object_agg(k, jsonb_build_object(
           'a', da #> ARRAY['score_breakdown', 'signals', k, 'contribution'],
           'b', db #> ARRAY['score_breakdown', 'signals', k, 'contribution'],
           'delta', to_jsonb(COALESCE((db #>> ARRAY['score_breakdown', 'signals', k, 'contribution'])::numeric, 0)
                             - COALESCE((da #>> ARRAY['score_breakdown', 'signals', k, 'contribution'])::numeric, 0))))
  INTO signals
  FROM (SELECT jsonb_object_keys(da #> '{score_breakdown,signals}') AS k
        UNION SELECT jsonb_object_keys(db #> '{score_breakdown,signals}')) keys;
  RETURN jsonb_build_object('a', da - 'top_files' - 'score_breakdown',
                            'b', db - 'top_files' - 'score_breakdown',
                            'delta', delta,
                            'signals', COALESCE(signals, '{}'));
END
$$;

-- What an AI needs at the start: this session, the previous session of the
-- same project (with what it did), the project's open tasks and recent decisions.
CREATE FUNCTION aidis.session_brief(s text DEFAULT NULL) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._find_session(s);
  v aidis.sessions;
  pname text;
  prev aidis.sessions;
  previous jsonb;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  SELECT * INTO v FROM aidis.sessions x WHERE x.id = sid;
  SELECT p.name INTO pname FROM aidis.projects p WHERE p.id = v.project_id;
  SELECT x.* INTO prev FROM aidis.sessions x
  WHERE x.id IN (SELECT b.id FROM aidis.session_base b
                 WHERE b.project_id = v.project_id AND b.id <> sid
                   AND (b.started_at, b.id) < (v.started_at, v.id)
                 ORDER BY b.started_at DESC, b.id DESC LIMIT 1);
  IF prev.id IS NOT NULL THEN
    previous := jsonb_build_object(
      'id', prev.id, 'display_id', prev.display_id, 'title', prev.title, 'goal', prev.goal,
      'agent', prev.agent, 'ai_model', prev.ai_model, 'status', prev.status, 'end_reason', prev.end_reason,
      'started_at', prev.started_at, 'ended_at', prev.ended_at,
      'wall_seconds', aidis._wall_seconds(prev.started_at, prev.ended_at),
      'contexts_created', prev.contexts_created, 'tasks_created', prev.tasks_created,
      'tasks_completed', prev.tasks_completed, 'tasks_reopened', prev.tasks_reopened,
      'decisions_created', prev.decisions_created, 'rating', prev.rating, 'score', prev.score,
      'notes', prev.notes,
      -- The last 10 tasks it completed, each once, by last completion.
      'completed_tasks', (SELECT COALESCE(jsonb_agg(e.summary ORDER BY e.id), '[]') FROM (
          SELECT u.id, u.summary FROM (
            SELECT DISTINCT ON (COALESCE(a.entity_id, a.id::text)) a.id, a.summary
            FROM aidis.session_activities a
            WHERE a.session_id = prev.id AND a.kind = 'task_completed'
            ORDER BY COALESCE(a.entity_id, a.id::text), a.id DESC) u
          ORDER BY u.id DESC LIMIT 10) e),
      'last_contexts', (SELECT COALESCE(jsonb_agg(e.summary ORDER BY e.id), '[]') FROM (
          SELECT a.id, a.summary FROM aidis.session_activities a
          WHERE a.session_id = prev.id AND a.kind = 'context_added'
          ORDER BY a.id DESC LIMIT 5) e));
  END IF;
  RETURN jsonb_build_object(
    'session', jsonb_build_object(
      'id', v.id, 'display_id', v.display_id, 'title', v.title, 'goal', v.goal, 'tags', v.tags,
      'status', v.status, 'project_id', v.project_id, 'project_name', pname,
      'agent', v.agent, 'ai_model', v.ai_model, 'started_at', v.started_at,
      'last_activity_at', v.last_activity_at, 'ended_at', v.ended_at,
      'contexts_created', v.contexts_created, 'tasks_created', v.tasks_created,
      'tasks_completed', v.tasks_completed, 'decisions_created', v.decisions_created),
    'previous_session', previous,
    'open_tasks', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                       'id', t.id, 'title', t.title, 'status', t.status, 'priority', t.priority,
                       'created_at', t.created_at) ORDER BY t.rank, t.created_at, t.id), '[]')
                   FROM (SELECT x.*, array_position(ARRAY['urgent', 'high', 'medium', 'low'], x.priority) AS rank
                         FROM aidis.tasks x
                         WHERE x.project_id = v.project_id AND x.status NOT IN ('completed', 'cancelled')
                         ORDER BY rank, x.created_at, x.id LIMIT 20) t),
    'recent_decisions', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                             'id', d.id, 'title', d.title, 'status', d.status, 'created_at', d.created_at)
                             ORDER BY d.created_at DESC, d.id), '[]')
                         FROM (SELECT x.* FROM aidis.decisions x WHERE x.project_id = v.project_id
                               ORDER BY x.created_at DESC, x.id LIMIT 10) d));
END
$$;
-- pg_cron fallback for the timeout sweep (docs/worker.md).
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
  IF schedule IS NULL OR pg_catalog.btrim(schedule) = '' THEN
    RAISE EXCEPTION 'schedule must be a cron expression such as ''* * * * *'''
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
  RETURN cron.schedule('aidis_expire_idle_sessions', schedule, 'SELECT aidis.expire_idle_sessions()');
END
$$;

COMMENT ON FUNCTION aidis.enable_cron(text) IS
  'Schedule the idle-session sweep with pg_cron (job aidis_expire_idle_sessions); returns the job id';

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
  IF NOT EXISTS (SELECT 1 FROM cron.job
                 WHERE jobname = 'aidis_expire_idle_sessions' AND username = current_user) THEN
    RETURN false;
  END IF;
  RETURN cron.unschedule('aidis_expire_idle_sessions');
END
$$;

COMMENT ON FUNCTION aidis.disable_cron() IS
  'Remove the pg_cron job created by aidis.enable_cron(); false when there was none';

REVOKE ALL ON FUNCTION aidis.enable_cron(text), aidis.disable_cron() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis.enable_cron(text), aidis.disable_cron() TO aidis_admin;
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
  aidis._find_session(text), aidis._find_project(text)
  TO aidis_reader;
-- What the MCP server needs.
GRANT EXECUTE ON FUNCTION
  aidis.create_project(text, text, boolean),
  aidis.start_session(text, text, text, text, text, text, boolean),
  aidis.use_session(text), aidis.end_session(text), aidis.touch(text),
  aidis.record_usage(bigint, bigint, bigint, bigint, text, text),
  aidis.record_file(text, bigint, bigint, text),
  aidis.expire_idle_sessions(), aidis.expire_idle_sessions_list()
  TO aidis_writer;
-- Administration.
GRANT EXECUTE ON FUNCTION
  aidis.disconnect_project(text), aidis.reconnect_project(text),
  aidis.check_counters(), aidis.track(regclass, text), aidis.untrack(regclass)
  TO aidis_admin;

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
-- Privileges of the session API (60_api.sql). Runs after 90_security.sql,
-- which revokes everything from PUBLIC first.

-- Reading: SECURITY INVOKER functions, so they also need the helpers they call.
GRANT EXECUTE ON FUNCTION
  aidis.list_sessions(text, text, text, integer, integer),
  aidis.session_details(text),
  aidis.session_contexts(text, integer, integer),
  aidis.session_tasks(text, integer, integer),
  aidis.session_decisions(text, integer, integer),
  aidis.session_timeline(text, integer, bigint),
  aidis.session_score(text),
  aidis.session_stats(text, text),
  aidis.compare_sessions(text, text),
  aidis.session_brief(text),
  aidis._score(bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, boolean, bigint),
  aidis._score_version(),
  aidis._near_duplicates(text[], double precision),
  aidis._trigram_similarity(text, text),
  aidis._search_text(text, text, text, text, text[], text),
  aidis._check_page(integer, bigint, integer),
  aidis._wall_seconds(timestamptz, timestamptz),
  aidis._active_seconds(uuid, timestamptz, timestamptz, timestamptz),
  aidis._score_signals(uuid),
  aidis._compute_score(uuid),
  aidis._current_score(uuid, text, jsonb)
  TO aidis_reader;

-- Editing and rating: what the MCP server and the CLI need.
GRANT EXECUTE ON FUNCTION
  aidis.update_session(text, text, text, text, text[], text, text, text, text[], text),
  aidis.rate_session(text, integer, text)
  TO aidis_writer;

-- Moving a session to another project.
GRANT EXECUTE ON FUNCTION aidis.reassign_project(text, text, text) TO aidis_admin;
