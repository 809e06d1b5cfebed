-- Export and import of sessions (docs/export.md): one session as a
-- self-describing JSON document, and that document restored elsewhere.

-- What an import could not find in the database it restored a session into:
-- per kind, how many of the exported rows of the session's tracked tables
-- were absent. check_counters() counts them with the rows it finds, so that
-- an imported session's counters still hold without its rows.
CREATE TABLE aidis.session_imports (
  session_id  uuid PRIMARY KEY,
  contexts    bigint NOT NULL,
  tasks       bigint NOT NULL,
  decisions   bigint NOT NULL,
  version     integer NOT NULL,
  imported_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
SELECT pg_catalog.pg_extension_config_dump('aidis.session_imports', '');

-- The rows of tracked tables (aidis._host_ids, as each table's owner) that
-- name a session: ids as text, with their project.
CREATE FUNCTION aidis._host_ids(tbl regclass, sid uuid)
  RETURNS TABLE (id text, project_id uuid)
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'aidis_host_ids';

-- Per tracked table: its kind, how many rows name the session, and their ids
-- (none for a table without an id column). As the owner, for host tables the
-- caller cannot read; it hides what row-level security hides from the caller:
-- a session of a disconnected project, and rows filed under one.
CREATE FUNCTION aidis._export_rows(sid uuid) RETURNS jsonb
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  hide boolean := NOT aidis._connection_sees_hidden();
  hidden uuid[];
BEGIN
  IF hide THEN
    hidden := ARRAY(SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected');
    IF EXISTS (SELECT 1 FROM aidis.session_base b WHERE b.id = sid AND b.project_id = ANY (hidden)) THEN
      RAISE EXCEPTION 'session % not found', sid USING ERRCODE = 'undefined_object';
    END IF;
  END IF;
  RETURN (
    SELECT COALESCE(jsonb_agg(jsonb_build_object(
             'table', tt.tbl::text, 'kind', tt.kind,
             'count', (SELECT COALESCE(sum(h.n), 0) FROM aidis._host_rows(tt.tbl, sid) h
                       WHERE NOT (h.project_id = ANY (COALESCE(hidden, '{}')))),
             'ids', to_jsonb(ARRAY(SELECT i.id FROM aidis._host_ids(tt.tbl, sid) i
                                   WHERE NOT (i.project_id = ANY (COALESCE(hidden, '{}')))
                                   ORDER BY i.id COLLATE "C")))
             ORDER BY tt.tbl::text), '[]')
    FROM aidis.tracked_tables tt
    JOIN pg_class c ON c.oid = tt.tbl::oid);  -- a table dropped in replica mode has no rows
END
$$;

-- The document of one session the caller can see (row-level security
-- applies), or NULL. No SET clause (names are qualified): export_sessions
-- calls it once per session.
CREATE FUNCTION aidis._export_doc(sid uuid) RETURNS jsonb
  LANGUAGE sql STABLE
AS $$
  SELECT pg_catalog.jsonb_build_object(
    'format', 'aidis-session',
    'version', 1,
    'session', (pg_catalog.to_jsonb(v) OPERATOR(pg_catalog.-) 'files_touched')
               OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('active_seconds', b.active_seconds,
                                                                     'started_by', b.started_by,
                                                                     'score_label', aidis.score_label(v.score),
                                                                     'wall_seconds', aidis._wall_seconds(v.started_at, v.ended_at)),
    'project', pg_catalog.jsonb_build_object('id', p.id, 'name', p.name, 'root_directory', p.root_directory),
    'timeline', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                          'id', a.id, 'occurred_at', a.occurred_at, 'kind', a.kind,
                          'entity_id', a.entity_id, 'summary', a.summary, 'data', a.data) ORDER BY a.id), '[]')
                 FROM aidis.session_activities a WHERE a.session_id OPERATOR(pg_catalog.=) sid),
    'files', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f) OPERATOR(pg_catalog.-) 'session_id'
                                                   OPERATOR(pg_catalog.-) 'project_id' ORDER BY f.path COLLATE "C"), '[]')
              FROM aidis.session_files f WHERE f.session_id OPERATOR(pg_catalog.=) sid),
    'rows', aidis._export_rows(sid))
  FROM aidis.sessions v
  JOIN aidis.session_base b ON b.id OPERATOR(pg_catalog.=) v.id
  JOIN aidis.projects p ON p.id OPERATOR(pg_catalog.=) v.project_id
  WHERE v.id OPERATOR(pg_catalog.=) sid
$$;

-- A SQL function, not a PL/pgSQL simple expression: the query of
-- _export_doc is planned at each call, under the role calling now (a simple
-- expression would keep the plan made under the first role that called it
-- in this transaction, with that role's row-level security).
CREATE FUNCTION aidis.session_export(s text DEFAULT NULL) RETURNS jsonb
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._export_doc(aidis._session_to_read(s))
$$;

-- The filters of export_sessions, checked as list_sessions checks them.
CREATE FUNCTION aidis._export_filter(q text, status text, project text,
                                     OUT wanted_status text, OUT pid uuid, OUT pattern text, OUT id_prefix text)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._flush_pending();
  q := NULLIF(btrim(q), '');
  PERFORM aidis._check_q(q);
  wanted_status := aidis._wanted_status(status);
  IF NULLIF(btrim(project), '') IS NOT NULL THEN
    pid := aidis._find_project(project);
  END IF;
  pattern := aidis._substring_pattern(q);
  IF q ~* '^[0-9a-f-]+$' AND length(replace(q, '-', '')) BETWEEN 8 AND 32 THEN
    id_prefix := lower(q) || '%';
  END IF;
END
$$;

-- The documents of every session that matches, oldest first, for bulk
-- export. q matches as in list_sessions, rechecked row by row (an export
-- reads every session anyway). Called in a SELECT list, it yields its rows
-- one at a time (a SQL function read lazily): memory does not grow with the
-- number of sessions.
CREATE FUNCTION aidis.export_sessions(q text DEFAULT NULL, status text DEFAULT NULL,
                                      project text DEFAULT NULL, since timestamptz DEFAULT NULL)
  RETURNS SETOF jsonb
  LANGUAGE sql VOLATILE
AS $$
  SELECT aidis._export_doc(b.id)
  FROM aidis._export_filter(q, status, project) f
  JOIN aidis.session_base b ON (f.wanted_status IS NULL OR b.status OPERATOR(pg_catalog.=) f.wanted_status)
   AND (f.pid IS NULL OR b.project_id OPERATOR(pg_catalog.=) f.pid)
   AND (since IS NULL OR b.started_at OPERATOR(pg_catalog.>=) since)
  JOIN aidis.projects p ON p.id OPERATOR(pg_catalog.=) b.project_id
  WHERE f.pattern IS NULL
     OR aidis._search_text(b.display_id, b.title, b.description, b.goal, b.tags, b.agent)
          OPERATOR(pg_catalog.~~*) f.pattern
     OR p.name OPERATOR(pg_catalog.~~*) f.pattern
     OR b.id::pg_catalog.text OPERATOR(pg_catalog.~~) f.id_prefix
  ORDER BY b.started_at, b.id
$$;
