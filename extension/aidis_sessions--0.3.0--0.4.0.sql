-- aidis_sessions 0.3.0 -> 0.4.0 (see the README's upgrade table).
\echo Use "ALTER EXTENSION aidis_sessions UPDATE TO '0.4.0'" to load this file. \quit

-- === h-adopt begin ===
-- Adopting an existing AIDIS database (docs/adopting.md).

-- text, varchar(n), or a domain over either.
CREATE FUNCTION aidis._text_like(typ oid) RETURNS boolean
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  WITH RECURSIVE t(oid, base) AS (
    SELECT y.oid, y.typbasetype FROM pg_type y WHERE y.oid = typ
    UNION ALL
    SELECT y.oid, y.typbasetype FROM pg_type y JOIN t ON y.oid = t.base)
  SELECT COALESCE(bool_or(t.oid IN ('text'::regtype, 'varchar'::regtype)), false) FROM t WHERE t.base = 0
$$;

-- track(): status may be any text-like type; split in two so that adopt()
-- need not recount. track() without counting the rows already there:
-- aidis.adopt() writes the sessions with those counts.
CREATE FUNCTION aidis._track_install(tbl regclass, kind text) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  missing text;
BEGIN
  IF tbl IS NULL OR kind IS NULL OR kind NOT IN ('context', 'task', 'decision') THEN
    RAISE EXCEPTION 'kind must be context, task or decision, not %', COALESCE(quote_literal(kind), 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF EXISTS (SELECT 1 FROM aidis.tracked_tables t WHERE t.tbl = _track_install.tbl) THEN
    RAISE EXCEPTION '% is already tracked', tbl USING ERRCODE = 'duplicate_object';
  END IF;
  IF (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION '% is not a table', tbl USING ERRCODE = 'wrong_object_type';
  END IF;
  -- status: any text-like type (a host's varchar(50) status, say).
  SELECT string_agg(need.col || ' ' || need.typ, ', ') INTO missing
  FROM (VALUES ('project_id', 'uuid'), ('session_id', 'uuid'), ('status', 'text')) AS need(col, typ)
  WHERE (need.col <> 'status' OR kind = 'task')
    AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = tbl AND a.attname = need.col AND NOT a.attisdropped
                      AND (a.atttypid = need.typ::regtype
                           OR need.typ = 'text' AND aidis._text_like(a.atttypid)));
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
END
$$;

-- track() counts the rows already there.
CREATE OR REPLACE FUNCTION aidis.track(tbl regclass, kind text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._track_install(tbl, kind);
  -- Rows already there count for the sessions they name.
  PERFORM aidis._adjust_created(tbl, kind, 1);
END
$$;

-- create_project(): into the host table once adopted.
CREATE OR REPLACE FUNCTION aidis.create_project(name text, root_directory text DEFAULT NULL,
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

-- Adopting an existing AIDIS database (docs/adopting.md): the record of the
-- adoption, the host projects table kept as one concept with aidis.projects,
-- and the helpers of aidis.adopt() (46_adopt_run.sql).

-- At most one adoption per database. The host tables are named by regclass,
-- like aidis.tracked_tables; foreign_keys keeps the definitions of the host
-- constraints adopt replaced, so that they can be restored.
CREATE TABLE aidis.adoption (
  singleton    boolean PRIMARY KEY DEFAULT true CONSTRAINT adoption_once CHECK (singleton),
  projects     regclass NOT NULL,
  sessions     regclass,
  contexts     regclass,
  tasks        regclass,
  decisions    regclass,
  foreign_keys jsonb NOT NULL DEFAULT '[]',
  report       jsonb NOT NULL,
  adopted_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
SELECT pg_catalog.pg_extension_config_dump('aidis.adoption', '');

-- What the tracking trigger writes for a row (src/pg/api.cpp), for rows that
-- were there before: the summary of its timeline entry, its estimated tokens.
CREATE FUNCTION aidis._row_summary(content text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'aidis_row_summary';
CREATE FUNCTION aidis._estimate_tokens(content text) RETURNS bigint
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'aidis_estimate_tokens';

-- The expression adopt reads column `col` of host table `tbl` with (alias t),
-- cast to `typ`: uuid, text (text, varchar or a domain over them),
-- timestamptz, bigint (any integer), text[] or any (read as text). A missing optional column
-- reads as NULL; a missing required one is 42703, a wrong type 42804.
CREATE FUNCTION aidis._adopt_column(tbl regclass, col text, typ text, required boolean DEFAULT true)
  RETURNS text
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  found oid;
BEGIN
  SELECT a.atttypid INTO found FROM pg_attribute a
  WHERE a.attrelid = tbl AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
  IF found IS NULL THEN
    IF required THEN
      RAISE EXCEPTION '% has no column "%"', tbl, col
        USING ERRCODE = 'undefined_column',
              HINT = 'aidis.adopt() needs the columns listed in docs/adopting.md.';
    END IF;
    RETURN format('NULL::%s', CASE typ WHEN 'any' THEN 'text' ELSE typ END);
  END IF;
  IF NOT (CASE typ WHEN 'any' THEN true
                   WHEN 'text' THEN aidis._text_like(found)
                   WHEN 'bigint' THEN found IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
                   WHEN 'text[]' THEN found IN ('text[]'::regtype, 'varchar[]'::regtype)
                   ELSE found = typ::regtype END) THEN
    RAISE EXCEPTION 'column "%" of % is %, not %', col, tbl, format_type(found, NULL),
                    CASE typ WHEN 'text' THEN 'text or varchar' WHEN 'bigint' THEN 'an integer' ELSE typ END
      USING ERRCODE = 'datatype_mismatch';
  END IF;
  RETURN format('t.%I::%s', col, CASE typ WHEN 'any' THEN 'text' ELSE typ END);
END
$$;

-- A host project status as an aidis one: only an active project is a
-- candidate for new sessions; paused, completed and archived ones are archived.
CREATE FUNCTION aidis._host_project_status(status text) RETURNS text
  LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE WHEN status IS NULL OR lower(btrim(status)) = 'active' THEN 'active' ELSE 'archived' END $$;

-- A project the extension creates goes into the host's table (its trigger
-- then adds it to aidis.projects), with the columns the host has.
CREATE FUNCTION aidis._host_insert_project(host regclass, id uuid, name text, root_directory text)
  RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  with_root boolean := EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = host
                                 AND a.attname = 'root_directory' AND NOT a.attisdropped);
BEGIN
  EXECUTE format('INSERT INTO %s (id, name%s) VALUES ($1, $2%s)', host,
                 CASE WHEN with_root THEN ', root_directory' ELSE '' END,
                 CASE WHEN with_root THEN ', $3' ELSE '' END)
  USING id, name, root_directory;
END
$$;

-- BEFORE UPDATE OR DELETE on the adopted projects table. A disconnected
-- project refuses the host's writes; an id cannot change under its sessions;
-- a project with sessions or tracked rows cannot be deleted, because the
-- host's ON DELETE CASCADE would delete them with it.
CREATE FUNCTION aidis._host_project_guard() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pid uuid := (to_jsonb(OLD) ->> 'id')::uuid;
  proj aidis.projects;
  t regclass;
  used boolean;
BEGIN
  SELECT * INTO proj FROM aidis.projects p WHERE p.id = pid;
  IF proj.status = 'disconnected' THEN
    RAISE EXCEPTION 'project "%" is disconnected', proj.name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Nothing reads or writes the data of a disconnected project.',
            HINT = 'An aidis_admin can run aidis.reconnect_project().';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (to_jsonb(NEW) ->> 'id')::uuid IS DISTINCT FROM pid THEN
      RAISE EXCEPTION 'the id of project "%" cannot change', proj.name
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Sessions and their timelines name the project by its id.';
    END IF;
    RETURN NEW;
  END IF;
  IF pid = '00000000-0000-0000-0000-000000000000' THEN
    RAISE EXCEPTION 'the __unassigned__ project cannot be deleted'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  used := EXISTS (SELECT 1 FROM aidis.session_base b WHERE b.project_id = pid);
  FOR t IN SELECT x.tbl FROM aidis.tracked_tables x ORDER BY x.tbl::oid LOOP
    EXIT WHEN used;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s r WHERE r.project_id = $1)', t) INTO used USING pid;
  END LOOP;
  IF used THEN
    RAISE EXCEPTION 'project "%" has sessions or tracked rows and cannot be deleted', COALESCE(proj.name, pid::text)
      USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Deleting it from %s would delete its sessions and rows with it.', TG_RELID::regclass),
            HINT = 'Disconnect it with aidis.disconnect_project(): its data is kept and hidden, and aidis.reconnect_project() brings it back.';
  END IF;
  RETURN OLD;
END
$$;

-- AFTER INSERT OR UPDATE OR DELETE on the adopted projects table: the same
-- project in aidis.projects, in the same transaction.
CREATE FUNCTION aidis._host_project_mirror() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r jsonb;
  changed integer;
BEGIN
  IF TG_OP = 'DELETE' THEN  -- the guard let it through: nothing uses it
    DELETE FROM aidis.projects p WHERE p.id = (to_jsonb(OLD) ->> 'id')::uuid;
    RETURN NULL;
  END IF;
  r := to_jsonb(NEW);
  INSERT INTO aidis.projects AS p (id, name, status, root_directory, created_at, updated_at)
  VALUES ((r ->> 'id')::uuid, r ->> 'name', aidis._host_project_status(r ->> 'status'),
          r ->> 'root_directory', COALESCE((r ->> 'created_at')::timestamptz, now()), clock_timestamp())
  ON CONFLICT (id) DO UPDATE
    SET name = excluded.name, status = excluded.status, root_directory = excluded.root_directory,
        updated_at = excluded.updated_at
    WHERE (p.name, p.status, p.root_directory)
          IS DISTINCT FROM (excluded.name, excluded.status, excluded.root_directory);
  GET DIAGNOSTICS changed = ROW_COUNT;
  IF TG_OP = 'UPDATE' AND changed > 0 THEN
    PERFORM aidis._invalidate_caches();  -- backends cache project names and statuses
  END IF;
  RETURN NULL;
END
$$;

-- aidis.adopt(): the report, and the import in the caller's transaction
-- (docs/adopting.md). Everything is set-based: the host tables are read once
-- into temporary tables, and every step below is one statement over them.

-- Reads the host tables into pg_temp.adopt_* (checking their columns), and
-- works out the sessions as they will be imported.
CREATE FUNCTION aidis._adopt_stage(projects regclass, sessions regclass, contexts regclass,
                                   tasks regclass, decisions regclass, with_text boolean)
  RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  tbls regclass[] := ARRAY[contexts, tasks, decisions];
  kinds text[] := ARRAY['context', 'task', 'decision'];
  summary_cols text[] := ARRAY['content', 'title', 'title'];
  detail_cols text[] := ARRAY[NULL, 'description', 'rationale'];
  i integer;
  tbl regclass;
  summary text;
  detail text;
BEGIN
  EXECUTE format('CREATE TEMP TABLE adopt_projects ON COMMIT DROP AS
                  SELECT %s AS id, %s AS name, %s AS status, %s AS root_directory, %s AS created_at FROM %s t',
                 aidis._adopt_column(projects, 'id', 'uuid'), aidis._adopt_column(projects, 'name', 'text'),
                 aidis._adopt_column(projects, 'status', 'text', false),
                 aidis._adopt_column(projects, 'root_directory', 'text', false),
                 aidis._adopt_column(projects, 'created_at', 'timestamptz', false), projects);

  CREATE TEMP TABLE adopt_rows (kind text, tbl text, id text, session_id uuid, project_id uuid,
                                created_at timestamptz, status text, completed_at timestamptz,
                                context_type text, summary text, tokens bigint) ON COMMIT DROP;
  FOR i IN 1..3 LOOP
    tbl := tbls[i];
    CONTINUE WHEN tbl IS NULL;
    summary := aidis._adopt_column(tbl, summary_cols[i], 'text', false);
    detail := CASE WHEN detail_cols[i] IS NULL THEN 'NULL::text'
                   ELSE aidis._adopt_column(tbl, detail_cols[i], 'text', false) END;
    EXECUTE format(
      'INSERT INTO pg_temp.adopt_rows
       SELECT %L, %L, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM %s t',
      kinds[i], tbl::text,  -- schema-qualified (search_path), as the trigger names it
      aidis._adopt_column(tbl, 'id', 'any'),
      aidis._adopt_column(tbl, 'session_id', 'uuid'), aidis._adopt_column(tbl, 'project_id', 'uuid'),
      aidis._adopt_column(tbl, 'created_at', 'timestamptz'),
      CASE WHEN kinds[i] = 'task' THEN aidis._adopt_column(tbl, 'status', 'text') ELSE 'NULL::text' END,
      CASE WHEN kinds[i] = 'task' THEN aidis._adopt_column(tbl, 'completed_at', 'timestamptz', false)
           ELSE 'NULL::timestamptz' END,
      CASE WHEN kinds[i] = 'context' THEN aidis._adopt_column(tbl, 'context_type', 'text', false)
           ELSE 'NULL::text' END,
      CASE WHEN with_text THEN format('aidis._row_summary(COALESCE(%s, %L))', summary, '') ELSE 'NULL' END,
      CASE WHEN with_text THEN format('COALESCE(aidis._estimate_tokens(%s), 0) + COALESCE(aidis._estimate_tokens(%s), 0)',
                                      summary, detail) ELSE 'NULL' END,
      tbl);
  END LOOP;

  CREATE TEMP TABLE adopt_host_sessions (id uuid, display_id text, project_id uuid, agent_type text,
    status text, started_at timestamptz, ended_at timestamptz, last_activity_at timestamptz,
    title text, description text, goal text, tags text[], ai_model text, input_tokens bigint,
    output_tokens bigint, contexts_created bigint, tasks_created bigint, tasks_completed bigint,
    decisions_created bigint, connection_id text) ON COMMIT DROP;
  IF sessions IS NOT NULL THEN
    EXECUTE format('INSERT INTO pg_temp.adopt_host_sessions SELECT %s FROM %s t',
      (SELECT string_agg(aidis._adopt_column(sessions, c.col, c.typ, c.required), ', ' ORDER BY c.n)
       FROM (VALUES (1, 'id', 'uuid', true), (2, 'display_id', 'text', true), (3, 'project_id', 'uuid', true),
                    (4, 'agent_type', 'text', false), (5, 'status', 'text', false),
                    (6, 'started_at', 'timestamptz', true), (7, 'ended_at', 'timestamptz', true),
                    (8, 'last_activity_at', 'timestamptz', false), (9, 'title', 'text', false),
                    (10, 'description', 'text', false), (11, 'session_goal', 'text', false),
                    (12, 'tags', 'text[]', false), (13, 'ai_model', 'text', false),
                    (14, 'input_tokens', 'bigint', false), (15, 'output_tokens', 'bigint', false),
                    (16, 'contexts_created', 'bigint', false), (17, 'tasks_created', 'bigint', false),
                    (18, 'tasks_completed', 'bigint', false), (19, 'decisions_created', 'bigint', false),
                    (20, 'connection_id', 'text', false)) AS c(n, col, typ, required)),
      sessions);
  END IF;

  -- What the rows say about each session.
  CREATE TEMP TABLE adopt_counts ON COMMIT DROP AS
  SELECT r.session_id,
         count(*) FILTER (WHERE r.kind = 'context') AS contexts,
         count(*) FILTER (WHERE r.kind = 'task') AS tasks,
         count(*) FILTER (WHERE r.kind = 'task' AND r.status = 'completed') AS completed,
         count(*) FILTER (WHERE r.kind = 'decision') AS decisions,
         COALESCE(sum(r.tokens), 0)::bigint AS tokens,
         max(r.created_at) AS last_row_at,
         count(DISTINCT r.project_id) AS projects,
         min(r.project_id::text)::uuid AS one_project
  FROM pg_temp.adopt_rows r WHERE r.session_id IS NOT NULL GROUP BY r.session_id;
  CREATE UNIQUE INDEX ON pg_temp.adopt_counts (session_id);

  -- The sessions as they will be: placed on a project, status following
  -- ended_at (open ones judged by the timeout), display ids kept when valid.
  CREATE TEMP TABLE adopt_sessions ON COMMIT DROP AS
  SELECT h.id,
         CASE WHEN h.display_id ~ '^SES-[0-9]{4}-[0-9]{4,}$' THEN h.display_id END AS display_id,
         h.display_id AS host_display_id,
         COALESCE(h.project_id, CASE WHEN c.projects = 1 THEN c.one_project END,
                  '00000000-0000-0000-0000-000000000000') AS project_id,
         CASE WHEN h.project_id IS NOT NULL THEN 'host' WHEN c.projects = 1 THEN 'rows' ELSE 'unassigned' END AS placed,
         h.status AS host_status,
         left(COALESCE(NULLIF(aidis.normalize_agent(COALESCE(h.agent_type, '')), ''), 'unknown'), 100) AS agent,
         x.started, x.last_at,
         CASE WHEN h.ended_at IS NOT NULL OR lower(h.status) IN ('inactive', 'disconnected')
                   OR x.last_at + aidis._session_timeout() <= now() THEN 'inactive' ELSE 'active' END AS status,
         CASE WHEN h.ended_at IS NOT NULL OR lower(h.status) IN ('inactive', 'disconnected') THEN 'ended'
              WHEN x.last_at + aidis._session_timeout() <= now() THEN 'timeout' END AS end_reason,
         CASE WHEN h.ended_at IS NOT NULL THEN h.ended_at
              WHEN lower(h.status) IN ('inactive', 'disconnected')
                   OR x.last_at + aidis._session_timeout() <= now() THEN x.last_at END AS ended_at,
         h.ended_at IS NOT NULL AND lower(h.status) = 'active' AS ended_but_active,
         h.ended_at IS NULL AND lower(h.status) IN ('inactive', 'disconnected') AS open_but_ended,
         left(COALESCE(NULLIF(btrim(h.title), ''), ''), 255) AS title,
         h.description, h.goal, COALESCE(h.tags, '{}') AS tags, NULLIF(btrim(h.ai_model), '') AS ai_model,
         NULLIF(h.connection_id, '') AS client_key,
         GREATEST(COALESCE(h.input_tokens, 0), 0) AS input_tokens,
         GREATEST(COALESCE(h.output_tokens, 0), 0) AS output_tokens,
         COALESCE(c.contexts, 0) AS contexts, COALESCE(c.tasks, 0) AS tasks,
         COALESCE(c.completed, 0) AS completed, COALESCE(c.decisions, 0) AS decisions,
         COALESCE(c.tokens, 0) AS tokens,
         (h.contexts_created, h.tasks_created, h.tasks_completed, h.decisions_created)
           IS DISTINCT FROM (COALESCE(c.contexts, 0), COALESCE(c.tasks, 0), COALESCE(c.completed, 0), COALESCE(c.decisions, 0))
           AND NOT (h.contexts_created IS NULL AND h.tasks_created IS NULL AND h.tasks_completed IS NULL
                    AND h.decisions_created IS NULL) AS counters_disagree
  FROM pg_temp.adopt_host_sessions h
  LEFT JOIN pg_temp.adopt_counts c ON c.session_id = h.id
  CROSS JOIN LATERAL (
    SELECT COALESCE(h.started_at, h.last_activity_at, h.ended_at, now()) AS started) s0
  CROSS JOIN LATERAL (
    SELECT s0.started, GREATEST(s0.started, h.last_activity_at, c.last_row_at) AS last_at) x;
  CREATE UNIQUE INDEX ON pg_temp.adopt_sessions (id);

  -- One active session per (agent, client key): the most recent one stays,
  -- the others (and any that an active aidis session already holds) are superseded.
  UPDATE pg_temp.adopt_sessions s
  SET status = 'inactive', end_reason = 'superseded', ended_at = s.last_at
  FROM (SELECT a.id, row_number() OVER (PARTITION BY a.agent, COALESCE(a.client_key, '')
                                        ORDER BY a.last_at DESC, a.id) AS rn,
               EXISTS (SELECT 1 FROM aidis.session_base b WHERE b.status = 'active' AND b.agent = a.agent
                         AND COALESCE(b.client_key, '') = COALESCE(a.client_key, '')) AS taken
        FROM pg_temp.adopt_sessions a WHERE a.status = 'active') d
  WHERE s.id = d.id AND (d.rn > 1 OR d.taken);

  -- Display ids: a malformed one gets the next number of its start year.
  UPDATE pg_temp.adopt_sessions s
  SET display_id = format('SES-%s-%s', n.y, lpad(n.seq::text, greatest(4, length(n.seq::text)), '0'))
  FROM (SELECT a.id, y.y,
               COALESCE((SELECT max(x.n) FROM (
                           SELECT substr(b.display_id, 10)::integer AS n FROM pg_temp.adopt_sessions b
                           WHERE b.display_id LIKE 'SES-' || y.y || '-%'
                           UNION ALL SELECT k.last_seq FROM aidis.display_id_counters k WHERE k.year = y.y) x), 0)
                 + row_number() OVER (PARTITION BY y.y ORDER BY a.started, a.id) AS seq
        FROM pg_temp.adopt_sessions a
        CROSS JOIN LATERAL (SELECT extract(year FROM a.started AT TIME ZONE 'UTC')::integer AS y) y
        WHERE a.display_id IS NULL) n
  WHERE s.id = n.id;
  UPDATE pg_temp.adopt_sessions s SET title = s.display_id WHERE s.title = '';
  ANALYZE pg_temp.adopt_rows;
  ANALYZE pg_temp.adopt_sessions;
END
$$;

-- The foreign keys of the row tables on their session_id column: they name
-- the host's sessions, and tracked rows name aidis sessions from now on.
CREATE FUNCTION aidis._adopt_session_fkeys(tbls regclass[])
  RETURNS TABLE (tbl regclass, name text, definition text)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT k.conrelid::regclass, k.conname::text, pg_get_constraintdef(k.oid)
  FROM pg_constraint k
  JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attname = 'session_id' AND a.attnum = ANY (k.conkey)
  WHERE k.contype = 'f' AND k.conrelid = ANY (tbls)
  ORDER BY 1::oid, 2
$$;

CREATE FUNCTION aidis._adopt_set(n bigint, ids text[]) RETURNS jsonb
  LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$ SELECT jsonb_build_object('count', n, 'ids', COALESCE(to_jsonb(ids[1:5]), '[]'::jsonb)) $$;

-- The report, from what _adopt_stage read.
CREATE FUNCTION aidis._adopt_report(projects regclass, sessions regclass, contexts regclass,
                                    tasks regclass, decisions regclass)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  import jsonb;
  anomalies jsonb;
  conflicts jsonb;
BEGIN
  SELECT jsonb_build_object(
    'projects', (SELECT count(*) FROM pg_temp.adopt_projects),
    'projects_known', (SELECT count(*) FROM pg_temp.adopt_projects h JOIN aidis.projects p USING (id)),
    'projects_added_to_host', (SELECT aidis._adopt_set(count(*), array_agg(p.name ORDER BY p.name))
                               FROM aidis.projects p
                               WHERE NOT EXISTS (SELECT 1 FROM pg_temp.adopt_projects h WHERE h.id = p.id)),
    'sessions', (SELECT count(*) FROM pg_temp.adopt_sessions),
    'sessions_by_status', (SELECT jsonb_build_object(
                             'active', count(*) FILTER (WHERE s.status = 'active'),
                             'ended', count(*) FILTER (WHERE s.end_reason = 'ended'),
                             'timed_out', count(*) FILTER (WHERE s.end_reason = 'timeout'),
                             'superseded', count(*) FILTER (WHERE s.end_reason = 'superseded'))
                           FROM pg_temp.adopt_sessions s),
    'rows', (SELECT COALESCE(jsonb_object_agg(x.tbl, x.n), '{}'::jsonb)
             FROM (SELECT r.tbl, count(*) AS n FROM pg_temp.adopt_rows r GROUP BY r.tbl) x),
    'timeline_events', (SELECT count(*) + count(*) FILTER (WHERE s.ended_at IS NOT NULL)
                               + COALESCE(sum(s.contexts + s.tasks + s.completed + s.decisions), 0)
                        FROM pg_temp.adopt_sessions s),
    'foreign_keys_replaced', (SELECT COALESCE(jsonb_agg(jsonb_build_object('table', f.tbl::text, 'name', f.name,
                                                                          'definition', f.definition)), '[]')
                              FROM aidis._adopt_session_fkeys(ARRAY[contexts, tasks, decisions]) f))
  INTO import;

  SELECT jsonb_build_object(
    'sessions_without_project',
      (SELECT aidis._adopt_set(count(*), array_agg(s.host_display_id ORDER BY s.host_display_id))
              || jsonb_build_object('placed_on_their_rows_project', count(*) FILTER (WHERE s.placed = 'rows'),
                                    'placed_on_unassigned', count(*) FILTER (WHERE s.placed = 'unassigned'))
       FROM pg_temp.adopt_sessions s WHERE s.placed <> 'host'),
    'ended_sessions_marked_active',
      (SELECT aidis._adopt_set(count(*), array_agg(s.host_display_id ORDER BY s.host_display_id))
       FROM pg_temp.adopt_sessions s WHERE s.ended_but_active),
    'open_sessions_marked_ended',
      (SELECT aidis._adopt_set(count(*), array_agg(s.host_display_id ORDER BY s.host_display_id))
       FROM pg_temp.adopt_sessions s WHERE s.open_but_ended),
    'counters_disagree',
      (SELECT aidis._adopt_set(count(*), array_agg(s.host_display_id ORDER BY s.host_display_id))
       FROM pg_temp.adopt_sessions s WHERE s.counters_disagree),
    'display_ids_renumbered',
      (SELECT aidis._adopt_set(count(*), array_agg(s.host_display_id || ' -> ' || s.display_id ORDER BY s.display_id))
       FROM pg_temp.adopt_sessions s WHERE s.display_id IS DISTINCT FROM s.host_display_id),
    'texts_shortened',
      (SELECT aidis._adopt_set(count(*), array_agg(s.host_display_id ORDER BY s.host_display_id))
       FROM pg_temp.adopt_sessions s
       WHERE char_length(s.description) > 2000 OR char_length(s.goal) > 2000),
    'rows_without_session',
      (SELECT aidis._adopt_set(count(*), array_agg(r.id ORDER BY r.id))
              || jsonb_build_object('by_table', (SELECT COALESCE(jsonb_object_agg(x.tbl, x.n), '{}'::jsonb) FROM (
                   SELECT r2.tbl, count(*) AS n FROM pg_temp.adopt_rows r2 WHERE r2.session_id IS NULL GROUP BY 1) x))
       FROM pg_temp.adopt_rows r WHERE r.session_id IS NULL),
    'rows_without_project',
      (SELECT aidis._adopt_set(count(*), array_agg(r.id ORDER BY r.id))
       FROM pg_temp.adopt_rows r WHERE r.project_id IS NULL),
    'rows_in_another_project_than_their_session',
      (SELECT aidis._adopt_set(count(*), array_agg(r.id ORDER BY r.id))
       FROM pg_temp.adopt_rows r
       JOIN (SELECT s.id, s.project_id FROM pg_temp.adopt_sessions s
             UNION ALL SELECT b.id, b.project_id FROM aidis.session_base b
             WHERE NOT EXISTS (SELECT 1 FROM pg_temp.adopt_sessions s2 WHERE s2.id = b.id)) s
         ON s.id = r.session_id
       WHERE r.project_id <> s.project_id))
  INTO anomalies;

  -- What would make the import wrong: apply refuses while any is found.
  SELECT jsonb_build_object(
    'project_names_taken',
      (SELECT aidis._adopt_set(count(*), array_agg(h.name ORDER BY h.name))
       FROM pg_temp.adopt_projects h JOIN aidis.projects p ON p.name = h.name AND p.id <> h.id),
    'project_ids_renamed',
      (SELECT aidis._adopt_set(count(*), array_agg(h.id::text ORDER BY h.id::text))
       FROM pg_temp.adopt_projects h JOIN aidis.projects p ON p.id = h.id
       WHERE p.id = '00000000-0000-0000-0000-000000000000' AND h.name <> p.name),
    'session_ids_taken',
      (SELECT aidis._adopt_set(count(*), array_agg(s.id::text ORDER BY s.id::text))
       FROM pg_temp.adopt_sessions s JOIN aidis.session_base b ON b.id = s.id),
    'display_ids_taken',
      (SELECT aidis._adopt_set(count(*), array_agg(s.display_id ORDER BY s.display_id))
       FROM pg_temp.adopt_sessions s JOIN aidis.session_base b ON b.display_id = s.display_id AND b.id <> s.id),
    'rows_of_unknown_sessions',
      (SELECT aidis._adopt_set(count(*), array_agg(r.id ORDER BY r.id))
       FROM pg_temp.adopt_rows r
       WHERE r.session_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM pg_temp.adopt_sessions s WHERE s.id = r.session_id)
         AND NOT EXISTS (SELECT 1 FROM aidis.session_base b WHERE b.id = r.session_id)))
  INTO conflicts;

  RETURN jsonb_build_object(
    'tables', jsonb_strip_nulls(jsonb_build_object('projects', projects::text, 'sessions', sessions::text,
                                                   'contexts', contexts::text, 'tasks', tasks::text,
                                                   'decisions', decisions::text)),
    'import', import, 'anomalies', anomalies, 'conflicts', conflicts,
    'can_apply', NOT EXISTS (SELECT 1 FROM jsonb_each(conflicts) c WHERE (c.value ->> 'count')::bigint > 0));
END
$$;

-- aidis.adopt() itself, and the import it applies (docs/adopting.md).

-- TRUNCATE of the adopted projects table (CASCADE would take the host's
-- sessions and rows with it) is refused.
CREATE FUNCTION aidis._host_project_truncate() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION '% is adopted: its projects are the extension''s', TG_RELID::regclass
    USING ERRCODE = 'object_not_in_prerequisite_state',
          HINT = 'Disconnect projects with aidis.disconnect_project() instead of deleting them.';
END
$$;

-- The bulk of adopt(apply => true): the sessions with their counters and
-- stored active seconds, and their timelines, each one set-based INSERT.
-- aidis.importing (superuser only, restored when this returns or fails) lets
-- the rows past the per-row disconnected-project guard of the session tables:
-- _adopt_apply checked their projects as a whole before calling this.
CREATE FUNCTION aidis._adopt_write() RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  SET aidis.importing = on
AS $$
BEGIN
  -- Active seconds of the ended sessions, as _close_session stores them
  -- (aidis._active_seconds over the moments of the timeline written below),
  -- for all of them in one pass.
  CREATE TEMP TABLE adopt_active ON COMMIT DROP AS
  SELECT g.session_id,
         COALESCE(floor(sum(LEAST(g.gap, 900)) FILTER (WHERE g.gap IS NOT NULL)), 0)::bigint AS secs
  FROM (SELECT m.session_id,
               extract(epoch FROM m.t - lag(m.t) OVER (PARTITION BY m.session_id ORDER BY m.t)) AS gap
        FROM (SELECT e.session_id, e.t
              FROM (SELECT r.session_id, COALESCE(r.created_at, s.started) AS t, s.started, s.ended_at
                    FROM pg_temp.adopt_rows r JOIN pg_temp.adopt_sessions s ON s.id = r.session_id
                    WHERE s.ended_at IS NOT NULL
                    UNION ALL
                    SELECT r.session_id, GREATEST(r.completed_at, COALESCE(r.created_at, s.started)), s.started, s.ended_at
                    FROM pg_temp.adopt_rows r JOIN pg_temp.adopt_sessions s ON s.id = r.session_id
                    WHERE s.ended_at IS NOT NULL AND r.kind = 'task' AND r.status = 'completed'
                    UNION ALL
                    SELECT s.id, x.t, s.started, s.ended_at
                    FROM pg_temp.adopt_sessions s CROSS JOIN LATERAL (VALUES (s.started), (s.ended_at)) x(t)
                    WHERE s.ended_at IS NOT NULL) e
              WHERE e.t >= e.started AND e.t <= e.ended_at
              UNION ALL
              SELECT s.id, x.t
              FROM pg_temp.adopt_sessions s
              CROSS JOIN LATERAL (VALUES (s.started), (GREATEST(s.started, LEAST(s.last_at, s.ended_at)))) x(t)
              WHERE s.ended_at IS NOT NULL) m) g
  GROUP BY g.session_id;
  CREATE UNIQUE INDEX ON pg_temp.adopt_active (session_id);

  -- The sessions as they are at the end of their history: counters from
  -- their rows (rows in another project than their session's included).
  INSERT INTO aidis.session_base (id, display_id, title, description, goal, tags, project_id, agent,
                                  ai_model, client_key, status, end_reason, started_at,
                                  last_activity_at, ended_at, contexts_created, tasks_created,
                                  tasks_completed, decisions_created, activity_count,
                                  input_tokens, output_tokens, estimated_tokens, active_seconds,
                                  created_at, updated_at)
  SELECT s.id, s.display_id, s.title, left(s.description, 2000), left(s.goal, 2000), s.tags,
         s.project_id, s.agent, s.ai_model, s.client_key, s.status, s.end_reason, s.started, s.last_at,
         s.ended_at, s.contexts, s.tasks, s.completed, s.decisions,
         s.contexts + s.tasks + s.completed + s.decisions,
         s.input_tokens, s.output_tokens, s.tokens, a.secs, s.started, now()
  FROM pg_temp.adopt_sessions s LEFT JOIN pg_temp.adopt_active a ON a.session_id = s.id
  ORDER BY s.id;
  DROP TABLE pg_temp.adopt_active;

  -- New display ids continue after the highest of each year.
  INSERT INTO aidis.display_id_counters AS k (year, last_seq)
  SELECT substr(s.display_id, 5, 4)::integer, max(substr(s.display_id, 10)::integer)
  FROM pg_temp.adopt_sessions s GROUP BY 1
  ON CONFLICT (year) DO UPDATE SET last_seq = GREATEST(k.last_seq, excluded.last_seq);

  -- The timeline: start and end of each session, an event per row at its
  -- created_at and one per completed task at its completed_at; in time order
  -- within each session, as the tracking trigger would have written them.
  INSERT INTO aidis.session_activities (session_id, project_id, occurred_at, kind, entity_id, summary, data)
  SELECT e.session_id, e.project_id, e.occurred_at, e.kind, e.entity_id, e.summary, e.data
  FROM (
    SELECT s.id AS session_id, s.project_id, s.started AS occurred_at, 0 AS phase, 0 AS step,
           'session_started' AS kind, NULL::text AS entity_id, 'session started' AS summary,
           jsonb_build_object('agent', s.agent, 'project_id', s.project_id) AS data
    FROM pg_temp.adopt_sessions s
    UNION ALL
    SELECT r.session_id, s.project_id, COALESCE(r.created_at, s.started), 1, 0,
           CASE r.kind WHEN 'context' THEN 'context_added' WHEN 'task' THEN 'task_created' ELSE 'decision_made' END,
           r.id, r.summary,
           jsonb_strip_nulls(jsonb_build_object('table', r.tbl, 'context_type', NULLIF(r.context_type, ''),
                                                'status', NULLIF(r.status, '')))
    FROM pg_temp.adopt_rows r JOIN pg_temp.adopt_sessions s ON s.id = r.session_id
    UNION ALL
    SELECT r.session_id, s.project_id, GREATEST(r.completed_at, COALESCE(r.created_at, s.started)), 1, 1,
           'task_completed', r.id, r.summary, jsonb_build_object('table', r.tbl, 'to', 'completed')
    FROM pg_temp.adopt_rows r JOIN pg_temp.adopt_sessions s ON s.id = r.session_id
    WHERE r.kind = 'task' AND r.status = 'completed'
    UNION ALL
    SELECT s.id, s.project_id, s.ended_at, 2, 0,
           CASE s.end_reason WHEN 'timeout' THEN 'session_timeout' ELSE 'session_ended' END, NULL,
           'session ' || CASE s.end_reason WHEN 'ended' THEN 'ended' WHEN 'timeout' THEN 'timed out'
                                           ELSE 'superseded by a new session' END,
           jsonb_build_object('end_reason', s.end_reason)
    FROM pg_temp.adopt_sessions s WHERE s.ended_at IS NOT NULL) e
  ORDER BY e.session_id, e.phase, e.occurred_at, e.entity_id COLLATE "C", e.step;
END
$$;

-- The writes of adopt(apply => true), from what _adopt_stage read.
CREATE FUNCTION aidis._adopt_apply(projects regclass, sessions regclass, contexts regclass,
                                   tasks regclass, decisions regclass, report jsonb)
  RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  tbls regclass[] := ARRAY[contexts, tasks, decisions];
  kinds text[] := ARRAY['context', 'task', 'decision'];
  conflict record;
  disconnected text;
  fkey record;
  fkeys jsonb;
  i integer;
BEGIN
  FOR conflict IN SELECT c.key, c.value FROM jsonb_each(report -> 'conflicts') c
                  WHERE (c.value ->> 'count')::bigint > 0 ORDER BY c.key LOOP
    RAISE EXCEPTION 'cannot adopt: % (%)', replace(conflict.key, '_', ' '), conflict.value ->> 'count'
      USING ERRCODE = CASE conflict.key WHEN 'rows_of_unknown_sessions' THEN 'foreign_key_violation'
                                        ELSE 'unique_violation' END,
            DETAIL = 'For example: ' || (conflict.value -> 'ids')::text,
            HINT = 'The "conflicts" of aidis.adopt() without apply list them.';
  END LOOP;

  -- 1. Projects: the host's become the extension's (same ids and names), and
  -- the extension's (__unassigned__ at least) go into the host's table.
  INSERT INTO aidis.projects AS p (id, name, status, root_directory, created_at, updated_at)
  SELECT h.id, h.name, aidis._host_project_status(h.status), h.root_directory,
         COALESCE(h.created_at, now()), now()
  FROM pg_temp.adopt_projects h
  ON CONFLICT (id) DO UPDATE
    SET name = excluded.name, root_directory = COALESCE(excluded.root_directory, p.root_directory),
        status = CASE WHEN p.status = 'disconnected' THEN p.status ELSE excluded.status END,
        updated_at = excluded.updated_at;
  PERFORM aidis._host_insert_project(projects, p.id, p.name, p.root_directory)
  FROM aidis.projects p
  WHERE NOT EXISTS (SELECT 1 FROM pg_temp.adopt_projects h WHERE h.id = p.id);

  -- 2. Sessions and their timelines, written with the guard of the session
  -- tables off (_adopt_write): one check of their projects here instead.
  SELECT p.name INTO disconnected
  FROM aidis.projects p
  WHERE p.status = 'disconnected'
    AND p.id IN (SELECT s.project_id FROM pg_temp.adopt_sessions s)
  ORDER BY p.name LIMIT 1;
  IF disconnected IS NOT NULL THEN
    RAISE EXCEPTION 'project "%" is disconnected', disconnected
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Host sessions of a disconnected project cannot be imported.',
            HINT = 'An aidis_admin can run aidis.reconnect_project() first.';
  END IF;
  PERFORM aidis._adopt_write();
  -- Rows naming sessions the extension had before count for them too.
  UPDATE aidis.session_base b
  SET contexts_created = b.contexts_created + c.contexts, tasks_created = b.tasks_created + c.tasks,
      decisions_created = b.decisions_created + c.decisions
  FROM pg_temp.adopt_counts c
  WHERE b.id = c.session_id AND NOT EXISTS (SELECT 1 FROM pg_temp.adopt_sessions s WHERE s.id = c.session_id);

  -- 5. The row tables' foreign keys to the host's sessions give way to the
  -- tracking trigger's check (same 23503); their definitions are kept.
  SELECT COALESCE(jsonb_agg(jsonb_build_object('table', f.tbl::text, 'name', f.name, 'definition', f.definition)), '[]')
  INTO fkeys FROM aidis._adopt_session_fkeys(tbls) f;
  FOR fkey IN SELECT * FROM aidis._adopt_session_fkeys(tbls) LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fkey.tbl, fkey.name);
  END LOOP;

  -- 6. The host tables, tracked in place. Their rows are counted already
  -- (the sessions were written with their counters).
  FOR i IN 1..3 LOOP
    CONTINUE WHEN tbls[i] IS NULL;
    PERFORM aidis._track_install(tbls[i], kinds[i]);
  END LOOP;

  -- 7. One concept of projects from now on.
  EXECUTE format('CREATE TRIGGER zz_aidis_project_guard BEFORE UPDATE OR DELETE ON %s
                  FOR EACH ROW EXECUTE FUNCTION aidis._host_project_guard()', projects);
  EXECUTE format('CREATE TRIGGER zz_aidis_project_mirror AFTER INSERT OR UPDATE OR DELETE ON %s
                  FOR EACH ROW EXECUTE FUNCTION aidis._host_project_mirror()', projects);
  EXECUTE format('CREATE TRIGGER zz_aidis_project_truncate BEFORE TRUNCATE ON %s
                  FOR EACH STATEMENT EXECUTE FUNCTION aidis._host_project_truncate()', projects);

  INSERT INTO aidis.adoption (projects, sessions, contexts, tasks, decisions, foreign_keys, report)
  VALUES (projects, sessions, contexts, tasks, decisions, fkeys, report);
  PERFORM aidis._invalidate_caches();
END
$$;

CREATE FUNCTION aidis.adopt(projects regclass, sessions regclass DEFAULT NULL,
                            contexts regclass DEFAULT NULL, tasks regclass DEFAULT NULL,
                            decisions regclass DEFAULT NULL, apply boolean DEFAULT false)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET work_mem = '256MB'  -- a one-off of a few sorts of every host row
AS $$
DECLARE
  given regclass[] := ARRAY[projects, sessions, contexts, tasks, decisions];
  one regclass;
  earlier aidis.adoption;
  report jsonb;
BEGIN
  IF projects IS NULL OR apply IS NULL THEN
    RAISE EXCEPTION 'adopt needs the host''s projects table, and apply true or false'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('aidis_sessions.adopt'));
  SELECT * INTO earlier FROM aidis.adoption;
  IF FOUND THEN
    RAISE EXCEPTION 'this database has been adopted already (%)', earlier.projects
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('Adopted at %s; aidis.adoption holds what was done.', earlier.adopted_at);
  END IF;
  IF (SELECT count(DISTINCT g) <> count(g) FROM unnest(given) g) THEN
    RAISE EXCEPTION 'a host table is given twice' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOREACH one IN ARRAY given LOOP
    CONTINUE WHEN one IS NULL;
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = one) NOT IN ('r', 'p') THEN
      RAISE EXCEPTION '% is not a table', one USING ERRCODE = 'wrong_object_type';
    END IF;
    IF (SELECT c.relnamespace FROM pg_class c WHERE c.oid = one) = 'aidis'::regnamespace THEN
      RAISE EXCEPTION '% is part of the extension, not a host table', one
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM aidis.tracked_tables x WHERE x.tbl = one) THEN
      RAISE EXCEPTION '% is already tracked', one USING ERRCODE = 'duplicate_object';
    END IF;
  END LOOP;

  PERFORM aidis._adopt_stage(projects, sessions, contexts, tasks, decisions, apply);
  report := aidis._adopt_report(projects, sessions, contexts, tasks, decisions);
  IF apply THEN
    PERFORM aidis._adopt_apply(projects, sessions, contexts, tasks, decisions, report);
  END IF;
  DROP TABLE pg_temp.adopt_projects, pg_temp.adopt_rows, pg_temp.adopt_host_sessions,
             pg_temp.adopt_counts, pg_temp.adopt_sessions;
  RETURN report || jsonb_build_object('applied', apply);
END
$$;

REVOKE ALL ON FUNCTION aidis._text_like(oid), aidis._row_summary(text), aidis._estimate_tokens(text),
  aidis._adopt_column(regclass, text, text, boolean), aidis._host_project_status(text),
  aidis._host_insert_project(regclass, uuid, text, text), aidis._host_project_guard(),
  aidis._host_project_mirror(), aidis._host_project_truncate(),
  aidis._adopt_stage(regclass, regclass, regclass, regclass, regclass, boolean),
  aidis._adopt_session_fkeys(regclass[]), aidis._adopt_set(bigint, text[]),
  aidis._adopt_report(regclass, regclass, regclass, regclass, regclass),
  aidis._adopt_apply(regclass, regclass, regclass, regclass, regclass, jsonb), aidis._adopt_write(),
  aidis._track_install(regclass, text),
  aidis.adopt(regclass, regclass, regclass, regclass, regclass, boolean)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis.adopt(regclass, regclass, regclass, regclass, regclass, boolean) TO aidis_admin;
GRANT SELECT ON aidis.adoption TO aidis_admin;
-- === h-adopt end ===
