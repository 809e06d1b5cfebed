-- Import of one exported session (docs/export.md). The caller's transaction
-- makes several imports all or nothing.

CREATE FUNCTION aidis.session_import(doc jsonb)
  RETURNS TABLE (id uuid, display_id text, project_name text)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s jsonb := doc -> 'session';
  sid uuid;
  did text;
  pid uuid;
  pname text := doc #>> '{project,name}';
  pstatus text;
  host regclass := (SELECT a.projects FROM aidis.adoption a);
  r aidis.session_base;
BEGIN
  IF jsonb_typeof(doc) IS DISTINCT FROM 'object' OR doc ->> 'format' IS DISTINCT FROM 'aidis-session' THEN
    RAISE EXCEPTION 'not a session export (format "aidis-session")' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF doc -> 'version' IS DISTINCT FROM '1'::jsonb THEN
    RAISE EXCEPTION 'export version % is not supported', aidis._clip(doc ->> 'version')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'This version of aidis_sessions reads version 1.';
  END IF;
  IF jsonb_typeof(s) IS DISTINCT FROM 'object' OR jsonb_typeof(doc -> 'project') IS DISTINCT FROM 'object'
     OR jsonb_typeof(doc -> 'timeline') IS DISTINCT FROM 'array'
     OR jsonb_typeof(doc -> 'files') IS DISTINCT FROM 'array'
     OR jsonb_typeof(doc -> 'rows') IS DISTINCT FROM 'array'
     OR NOT aidis._is_uuid(s ->> 'id') OR NOT aidis._is_uuid(doc #>> '{project,id}')
     -- At most 9 digits: the number must fit the year's counter (an integer).
     OR NOT aidis._is_display_id(s ->> 'display_id') OR char_length(s ->> 'display_id') > 18
     OR COALESCE(pname, '') = '' THEN
    RAISE EXCEPTION 'malformed session export'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'It needs objects session (id, display_id) and project (id, name), arrays timeline, files and rows.';
  END IF;
  sid := (s ->> 'id')::uuid;
  did := s ->> 'display_id';
  -- Whoever got there first keeps the id: the unique keys of session_base
  -- decide between concurrent imports.
  IF EXISTS (SELECT 1 FROM aidis.session_base b WHERE b.id = sid OR b.display_id = did) THEN
    RAISE EXCEPTION 'session % (%) already exists', did, sid
      USING ERRCODE = 'unique_violation', HINT = 'An import never replaces a session.';
  END IF;

  -- The project of the same id, else of the same name, else a new one with
  -- that id and name (through the host's table in an adopted database).
  SELECT p.id, p.name, p.status INTO pid, pname, pstatus FROM aidis.projects p
  WHERE p.id = (doc #>> '{project,id}')::uuid OR p.name = pname
  ORDER BY p.id = (doc #>> '{project,id}')::uuid DESC LIMIT 1;
  IF NOT FOUND THEN  -- (INTO set them to NULL)
    pid := (doc #>> '{project,id}')::uuid;
    pname := doc #>> '{project,name}';
    IF host IS NOT NULL THEN
      PERFORM aidis._host_insert_project(host, pid, pname, doc #>> '{project,root_directory}');
    ELSE
      INSERT INTO aidis.projects (id, name, root_directory) VALUES (pid, pname, doc #>> '{project,root_directory}');
    END IF;
  ELSIF pstatus = 'disconnected' THEN
    PERFORM aidis._refuse_disconnected(pname, 'Sessions of a disconnected project cannot be imported.');
  END IF;

  -- The session with its counters as exported (folded: no pending deltas).
  r := jsonb_populate_record(NULL::aidis.session_base, s);
  r.project_id := pid;
  INSERT INTO aidis.session_base SELECT r.*;
  -- New display ids continue after the imported one.
  INSERT INTO aidis.display_id_counters AS k (year, last_seq)
  VALUES (substr(did, 5, 4)::integer, substr(did, 10)::integer)
  ON CONFLICT (year) DO UPDATE SET last_seq = GREATEST(k.last_seq, excluded.last_seq);

  -- The timeline in its order, numbered by this database.
  INSERT INTO aidis.session_activities (session_id, project_id, occurred_at, kind, entity_id, summary, data)
  SELECT sid, pid, (e ->> 'occurred_at')::timestamptz, e ->> 'kind', e ->> 'entity_id', e ->> 'summary',
         COALESCE(e -> 'data', '{}')
  FROM jsonb_array_elements(doc -> 'timeline') WITH ORDINALITY AS t(e, n)
  ORDER BY t.n;
  INSERT INTO aidis.session_files (session_id, path, project_id, mentions, modifications, loc_added, loc_removed,
                                   first_at, last_at)
  SELECT sid, f.path, pid, f.mentions, f.modifications, f.loc_added, f.loc_removed, f.first_at, f.last_at
  FROM jsonb_populate_recordset(NULL::aidis.session_files, doc -> 'files') f;

  -- The exported rows this database does not have (per kind: exported minus
  -- those that name the session here), for check_counters().
  INSERT INTO aidis.session_imports (session_id, contexts, tasks, decisions, version)
  SELECT sid,
         COALESCE(sum(x.n) FILTER (WHERE x.kind = 'context'), 0),
         COALESCE(sum(x.n) FILTER (WHERE x.kind = 'task'), 0),
         COALESCE(sum(x.n) FILTER (WHERE x.kind = 'decision'), 0),
         1
  FROM (SELECT er.value ->> 'kind' AS kind, (er.value ->> 'count')::bigint AS n
        FROM jsonb_array_elements(doc -> 'rows') er
        UNION ALL
        SELECT tt.kind, -h.n
        FROM aidis.tracked_tables tt
        JOIN pg_class c ON c.oid = tt.tbl::oid
        CROSS JOIN LATERAL aidis._host_rows(tt.tbl, sid) h) x;

  RETURN QUERY SELECT sid, did, pname;
END
$$;
