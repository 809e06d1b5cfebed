-- Tracking: the same triggers on the shipped tables and on any host table.

-- The extension's only queries over a tracked table (src/pg/host.cpp): they
-- run as the table's owner in a security-restricted operation, so nothing the
-- owner attached to the table runs with the caller's rights. _host_rows
-- counts rows by (session_id, project_id), optionally of one session and
-- project; _host_move moves a session's rows to another project, uncounted.
-- Granted to nobody (90_security.sql).
CREATE FUNCTION aidis._host_rows(tbl regclass, sid uuid DEFAULT NULL, pid uuid DEFAULT NULL)
  RETURNS TABLE (session_id uuid, project_id uuid, n bigint)
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'aidis_host_rows';
CREATE FUNCTION aidis._host_move(tbl regclass, sid uuid, source uuid, target uuid) RETURNS bigint
  LANGUAGE c VOLATILE STRICT
  AS 'MODULE_PATHNAME', 'aidis_host_move';
-- _host_move_session moves all of a session's rows to another session
-- (aidis.delete_session), each keeping its project, uncounted.
CREATE FUNCTION aidis._host_move_session(tbl regclass, sid uuid, target uuid) RETURNS bigint
  LANGUAGE c VOLATILE STRICT
  AS 'MODULE_PATHNAME', 'aidis_host_move_session';

-- text, varchar(n), or a domain over either: the one rule for a text-like
-- column (tracking's status, the host columns aidis.adopt() reads).
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

-- The columns tracking reads must have exact types: project_id and
-- session_id uuid, status (kind task) text, varchar or a domain over them.
-- Their operators and casts are then the built-in ones, never code a table's
-- owner chose. One row per column that does not fit (found: its type, NULL
-- when it is missing). Used by track() and the DDL event triggers
-- (45_tracking_ddl.sql); the C++ triggers apply the same rule.
CREATE FUNCTION aidis._tracking_column_problems(tbl regclass, kind text)
  RETURNS TABLE (col text, needs text, found text)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT need.col, need.typ, format_type(a.atttypid, a.atttypmod)
  FROM (VALUES ('project_id', 'uuid'), ('session_id', 'uuid'), ('status', 'text')) AS need(col, typ)
  LEFT JOIN pg_attribute a ON a.attrelid = tbl AND a.attname = need.col AND a.attnum > 0 AND NOT a.attisdropped
  WHERE (need.col <> 'status' OR kind = 'task')
    AND (a.atttypid IS NULL
         OR (need.typ = 'uuid' AND a.atttypid <> 'uuid'::regtype)
         OR (need.typ = 'text' AND NOT aidis._text_like(a.atttypid)))
  ORDER BY need.col
$$;

-- The session_base counter of a kind's created rows.
CREATE FUNCTION aidis._created_counter(kind text) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN CASE kind WHEN 'context' THEN 'contexts_created' WHEN 'task' THEN 'tasks_created' ELSE 'decisions_created' END;

-- Adds (sign = 1) or removes (sign = -1) the rows of one table from the
-- created counters: used by track, untrack and TRUNCATE, which fire no row
-- triggers. The rows are counted as the table's owner (_host_rows), the
-- counters updated as the extension owner.
CREATE FUNCTION aidis._adjust_created(tbl regclass, kind text, sign integer) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  counter text := aidis._created_counter(kind);
BEGIN
  EXECUTE format(
    'UPDATE aidis.session_base b SET %1$I = b.%1$I + $1 * c.n
     FROM (SELECT h.session_id, sum(h.n) AS n FROM aidis._host_rows($2) h
           WHERE h.session_id IS NOT NULL GROUP BY 1) c
     WHERE b.id = c.session_id', counter)
  USING sign, tbl;
END
$$;

-- BEFORE TRUNCATE: refuse if a disconnected project has rows here; otherwise
-- take the rows out of the counters. Without arguments it checks a session
-- table of the extension; with one (the kind) a tracked table, read as its owner.
CREATE FUNCTION aidis._track_truncate() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pname text;
BEGIN
  IF TG_NARGS = 0 THEN
    EXECUTE format('SELECT p.name FROM %s t JOIN aidis.projects p ON p.id = t.project_id
                    WHERE p.status = ''disconnected'' LIMIT 1', TG_RELID::regclass)
    INTO pname;
  ELSE
    SELECT p.name INTO pname FROM aidis._host_rows(TG_RELID) h JOIN aidis.projects p ON p.id = h.project_id
    WHERE p.status = 'disconnected' LIMIT 1;
  END IF;
  PERFORM aidis._refuse_disconnected(
    pname, format('%s holds rows of a disconnected project; TRUNCATE would delete them.', TG_RELID::regclass));
  IF TG_NARGS > 0 THEN
    PERFORM aidis._adjust_created(TG_RELID::regclass, TG_ARGV[0], -1);
  END IF;
  RETURN NULL;
END
$$;

-- track() without counting the rows already there: aidis.adopt() writes the
-- sessions with those counts.
CREATE FUNCTION aidis._track_install(tbl regclass, kind text) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  missing text;
  wrong text;
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
  SELECT string_agg(p.col || ' ' || p.needs, ', ') FILTER (WHERE p.found IS NULL),
         string_agg(format('%s is %s', p.col, p.found), ', ') FILTER (WHERE p.found IS NOT NULL)
  INTO missing, wrong
  FROM aidis._tracking_column_problems(tbl, kind) p;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION '% cannot be tracked as %: it needs the columns %', tbl, kind, missing
      USING ERRCODE = 'undefined_column';
  END IF;
  IF wrong IS NOT NULL THEN
    RAISE EXCEPTION '% cannot be tracked as %: %', tbl, kind, wrong
      USING ERRCODE = 'datatype_mismatch',
            DETAIL = 'project_id and session_id must be of type uuid, status text, varchar or a domain over them.';
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

CREATE FUNCTION aidis.track(tbl regclass, kind text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._track_install(tbl, kind);
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
  DELETE FROM aidis.tracked_tables t WHERE t.tbl = untrack.tbl;
  IF EXISTS (SELECT 1 FROM aidis._tracking_column_problems(tbl, entry.kind)) THEN
    -- Dropped or changed while the event triggers did not fire
    -- (session_replication_role = replica): its rows cannot be counted, the
    -- counters are recounted from the other tables.
    PERFORM aidis._recount_created(entry.kind,
      format('%s may hold rows of a disconnected project; untracking it would take them out of the counters.', tbl));
    IF NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = tbl::oid) THEN
      RETURN;
    END IF;
  ELSE
    PERFORM aidis._adjust_created(tbl, entry.kind, -1);
  END IF;
  -- IF EXISTS: the table's owner may have dropped them.
  EXECUTE format('DROP TRIGGER IF EXISTS zz_aidis_track_before ON %s', tbl);
  EXECUTE format('DROP TRIGGER IF EXISTS zz_aidis_track_after ON %s', tbl);
  EXECUTE format('DROP TRIGGER IF EXISTS zz_aidis_track_truncate ON %s', tbl);
END
$$;

SELECT aidis.track('aidis.contexts', 'context');
SELECT aidis.track('aidis.tasks', 'task');
SELECT aidis.track('aidis.decisions', 'decision');
UPDATE aidis.tracked_tables SET shipped = true;

-- The session tables get the disconnected-project check only.
DO $writable$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['aidis.session_base', 'aidis.session_deltas',
                           'aidis.session_activities', 'aidis.session_files'] LOOP
    EXECUTE format('CREATE TRIGGER zz_aidis_writable BEFORE INSERT OR UPDATE OR DELETE ON %s
                    FOR EACH ROW EXECUTE FUNCTION aidis._writable_row()', t);
    EXECUTE format('CREATE TRIGGER zz_aidis_writable_truncate BEFORE TRUNCATE ON %s
                    FOR EACH STATEMENT EXECUTE FUNCTION aidis._track_truncate()', t);
  END LOOP;
END
$writable$;
