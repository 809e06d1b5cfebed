-- Tracked tables under DDL (docs/security.md, "Host tables"). An ALTER TABLE
-- or DROP that leaves a tracked table without the columns tracking reads, with
-- their exact types, is refused; a dropped tracked table leaves the registry
-- and its rows leave the created counters, as with TRUNCATE.
--
-- The event trigger functions run as the extension owner: any role's DDL
-- fires them, and the registry is not readable by every role. They read the
-- catalogs and the registry only, return at once for DDL on other tables, and
-- count host rows through _host_rows (as each table's owner). Like the row
-- triggers, they do not fire with session_replication_role = replica
-- (superusers only: a restore).

-- Raises 2BP01 when tbl no longer has the columns tracking needs.
CREATE FUNCTION aidis._refuse_untrackable(tbl regclass, kind text) RETURNS void
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  problems text;
BEGIN
  SELECT string_agg(CASE WHEN p.found IS NULL THEN format('column %I would be missing', p.col)
                         ELSE format('column %I would have type %s', p.col, p.found) END, ', ')
  INTO problems FROM aidis._tracking_column_problems(tbl, kind) p;
  IF problems IS NOT NULL THEN
    RAISE EXCEPTION '% is tracked by aidis_sessions, which needs its columns project_id uuid, session_id uuid%',
                    tbl, CASE kind WHEN 'task' THEN ' and status text' ELSE '' END
      USING ERRCODE = 'dependent_objects_still_exist',
            DETAIL = format('After this command %s.', problems),
            HINT = format('An aidis_admin can untrack it first: SELECT aidis.untrack(%L);', tbl::text);
  END IF;
END
$$;

-- Sets every session's created counter of one kind to the rows the tracked
-- tables of that kind hold for it (after a tracked table was dropped: its
-- rows cannot be counted any more). Refused, like TRUNCATE, when a session
-- to change belongs to a disconnected project (`why` is the error's detail).
CREATE FUNCTION aidis._recount_created(kind text, why text) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  counter text := aidis._created_counter(kind);
  ids uuid[];
  diffs bigint[];
  pname text;
BEGIN
  PERFORM aidis._flush_pending();  -- this transaction's own writes are in the deltas
  -- Relative changes (recount minus base and pending deltas, one snapshot):
  -- work that commits meanwhile is neither in the recount nor in the
  -- recorded value, and stays counted.
  EXECUTE format($q$
    WITH actual AS (
      SELECT h.session_id, sum(h.n)::bigint AS n
      FROM aidis.tracked_tables tt
      JOIN pg_class c ON c.oid = tt.tbl::oid
      CROSS JOIN LATERAL aidis._host_rows(tt.tbl) h
      WHERE tt.kind = $1 AND h.session_id IS NOT NULL
      GROUP BY h.session_id
    ), recorded AS (
      SELECT b.id, b.%1$I + COALESCE((SELECT sum(d.%1$I) FROM aidis.session_deltas d
                                      WHERE d.session_id = b.id), 0) AS n
      FROM aidis.session_base b
    )
    SELECT array_agg(r.id), array_agg(COALESCE(a.n, 0) - r.n)
    FROM recorded r LEFT JOIN actual a ON a.session_id = r.id
    WHERE COALESCE(a.n, 0) <> r.n $q$, counter)
  INTO ids, diffs USING kind;
  IF ids IS NULL THEN
    RETURN;
  END IF;
  SELECT p.name INTO pname
  FROM unnest(ids) AS x(id) JOIN aidis.session_base b ON b.id = x.id JOIN aidis.projects p ON p.id = b.project_id
  WHERE p.status = 'disconnected' ORDER BY p.name LIMIT 1;
  PERFORM aidis._refuse_disconnected(pname, why);
  EXECUTE format('UPDATE aidis.session_base b SET %1$I = b.%1$I + x.diff
                  FROM unnest($1, $2) AS x(id, diff) WHERE b.id = x.id', counter)
  USING ids, diffs;
END
$$;

-- ddl_command_end of ALTER TABLE: a tracked table keeps its tracked columns.
CREATE FUNCTION aidis._on_alter_table() RETURNS event_trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._refuse_untrackable(tt.tbl, tt.kind) FROM aidis.tracked_tables tt
  WHERE tt.tbl::oid IN (SELECT c.objid FROM pg_event_trigger_ddl_commands() c
                        WHERE c.classid = 'pg_class'::regclass);
END
$$;

-- sql_drop: dropped tracked tables leave the registry and the counters; a
-- tracked column dropped from a table that stays (ALTER TABLE DROP COLUMN,
-- DROP TYPE ... CASCADE) is refused.
CREATE FUNCTION aidis._on_sql_drop() RETURNS event_trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t record;
BEGIN
  FOR t IN
    WITH dropped AS (
      SELECT d.objid, d.objsubid, d.object_identity FROM pg_event_trigger_dropped_objects() d
      WHERE d.classid = 'pg_class'::regclass
    ), gone AS (
      DELETE FROM aidis.tracked_tables tt USING dropped d
      WHERE d.objsubid = 0 AND tt.tbl::oid = d.objid
      RETURNING tt.kind, d.object_identity
    )
    SELECT g.kind, string_agg(g.object_identity, ', ' ORDER BY g.object_identity) AS tables
    FROM gone g GROUP BY g.kind ORDER BY g.kind
  LOOP
    PERFORM aidis._recount_created(t.kind,
      format('%s held rows of a disconnected project; dropping it would delete them.', t.tables));
  END LOOP;
  PERFORM aidis._refuse_untrackable(tt.tbl, tt.kind) FROM aidis.tracked_tables tt
  WHERE tt.tbl::oid IN (SELECT d.objid FROM pg_event_trigger_dropped_objects() d
                        WHERE d.classid = 'pg_class'::regclass AND d.objsubid > 0);
END
$$;

CREATE EVENT TRIGGER aidis_tracked_alter ON ddl_command_end WHEN TAG IN ('ALTER TABLE')
  EXECUTE FUNCTION aidis._on_alter_table();
CREATE EVENT TRIGGER aidis_tracked_drop ON sql_drop
  EXECUTE FUNCTION aidis._on_sql_drop();
