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

-- track() without counting the rows already there: aidis.adopt() writes the
-- sessions with those counts.
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
