-- aidis.adopt(): the report, and the import in the caller's transaction
-- (docs/adopting.md). Everything is set-based: the host tables are read once
-- into temporary tables, and every step below is one statement over them.

-- The row tables an adoption names, with their kind (the order of track()'s kinds).
CREATE FUNCTION aidis._adopt_row_tables(host aidis.adoption) RETURNS TABLE (kind text, tbl regclass)
  LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT x.kind, x.tbl
  FROM unnest(ARRAY['context', 'task', 'decision'], ARRAY[host.contexts, host.tasks, host.decisions]) AS x(kind, tbl)
  WHERE x.tbl IS NOT NULL
$$;

-- Reads the host tables into pg_temp.adopt_* (checking their columns), and
-- works out the sessions as they will be imported.
CREATE FUNCTION aidis._adopt_stage(host aidis.adoption, with_text boolean) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  src record;
  summary text;
  detail text;
BEGIN
  EXECUTE format('CREATE TEMP TABLE adopt_projects ON COMMIT DROP AS
                  SELECT %s AS id, %s AS name, %s AS status, %s AS root_directory, %s AS created_at FROM %s t',
                 aidis._adopt_column(host.projects, 'id', 'uuid'), aidis._adopt_column(host.projects, 'name', 'text'),
                 aidis._adopt_column(host.projects, 'status', 'text', false),
                 aidis._adopt_column(host.projects, 'root_directory', 'text', false),
                 aidis._adopt_column(host.projects, 'created_at', 'timestamptz', false), host.projects);

  CREATE TEMP TABLE adopt_rows (kind text, tbl text, id text, session_id uuid, project_id uuid,
                                created_at timestamptz, status text, completed_at timestamptz,
                                context_type text, summary text, tokens bigint) ON COMMIT DROP;
  FOR src IN SELECT * FROM aidis._adopt_row_tables(host) LOOP
    summary := aidis._adopt_column(src.tbl, CASE src.kind WHEN 'context' THEN 'content' ELSE 'title' END, 'text', false);
    detail := CASE src.kind WHEN 'context' THEN 'NULL::text'
                            ELSE aidis._adopt_column(src.tbl, CASE src.kind WHEN 'task' THEN 'description'
                                                                            ELSE 'rationale' END, 'text', false) END;
    EXECUTE format(
      'INSERT INTO pg_temp.adopt_rows
       SELECT %L, %L, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM %s t',
      src.kind, src.tbl::text,  -- schema-qualified (search_path), as the trigger names it
      aidis._adopt_column(src.tbl, 'id', 'any'),
      aidis._adopt_column(src.tbl, 'session_id', 'uuid'), aidis._adopt_column(src.tbl, 'project_id', 'uuid'),
      aidis._adopt_column(src.tbl, 'created_at', 'timestamptz'),
      CASE WHEN src.kind = 'task' THEN aidis._adopt_column(src.tbl, 'status', 'text') ELSE 'NULL::text' END,
      CASE WHEN src.kind = 'task' THEN aidis._adopt_column(src.tbl, 'completed_at', 'timestamptz', false)
           ELSE 'NULL::timestamptz' END,
      CASE WHEN src.kind = 'context' THEN aidis._adopt_column(src.tbl, 'context_type', 'text', false)
           ELSE 'NULL::text' END,
      CASE WHEN with_text THEN format('aidis._row_summary(COALESCE(%s, %L))', summary, '') ELSE 'NULL' END,
      CASE WHEN with_text THEN format('COALESCE(aidis._estimate_tokens(%s), 0) + COALESCE(aidis._estimate_tokens(%s), 0)',
                                      summary, detail) ELSE 'NULL' END,
      src.tbl);
  END LOOP;

  CREATE TEMP TABLE adopt_host_sessions (id uuid, display_id text, project_id uuid, agent_type text,
    status text, started_at timestamptz, ended_at timestamptz, last_activity_at timestamptz,
    title text, description text, goal text, tags text[], ai_model text, input_tokens bigint,
    output_tokens bigint, contexts_created bigint, tasks_created bigint, tasks_completed bigint,
    decisions_created bigint, connection_id text) ON COMMIT DROP;
  IF host.sessions IS NOT NULL THEN
    EXECUTE format('INSERT INTO pg_temp.adopt_host_sessions SELECT %s FROM %s t',
      (SELECT string_agg(aidis._adopt_column(host.sessions, c.col, c.typ, c.required), ', ' ORDER BY c.n)
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
      host.sessions);
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
         CASE WHEN aidis._is_display_id(h.display_id) THEN h.display_id END AS display_id,
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
  SET display_id = aidis._format_display_id(n.y, n.seq)
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
CREATE FUNCTION aidis._adopt_session_fkeys(host aidis.adoption)
  RETURNS TABLE (tbl regclass, name text, definition text)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT k.conrelid::regclass, k.conname::text, pg_get_constraintdef(k.oid)
  FROM pg_constraint k
  JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attname = 'session_id' AND a.attnum = ANY (k.conkey)
  WHERE k.contype = 'f' AND k.conrelid IN (SELECT r.tbl FROM aidis._adopt_row_tables(host) r)
  ORDER BY 1::oid, 2
$$;

CREATE FUNCTION aidis._adopt_set(n bigint, ids text[]) RETURNS jsonb
  LANGUAGE sql IMMUTABLE
  RETURN jsonb_build_object('count', n, 'ids', COALESCE(to_jsonb(ids[1:5]), '[]'::jsonb));

-- The report, from what _adopt_stage read.
CREATE FUNCTION aidis._adopt_report(host aidis.adoption) RETURNS jsonb
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
                              FROM aidis._adopt_session_fkeys(host) f))
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
    'tables', jsonb_strip_nulls(jsonb_build_object('projects', host.projects::text, 'sessions', host.sessions::text,
                                                   'contexts', host.contexts::text, 'tasks', host.tasks::text,
                                                   'decisions', host.decisions::text)),
    'import', import, 'anomalies', anomalies, 'conflicts', conflicts,
    'can_apply', NOT EXISTS (SELECT 1 FROM jsonb_each(conflicts) c WHERE (c.value ->> 'count')::bigint > 0));
END
$$;
