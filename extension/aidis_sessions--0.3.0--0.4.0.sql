-- aidis_sessions 0.3.0 -> 0.4.0 (see the README's upgrade table).
\echo Use "ALTER EXTENSION aidis_sessions UPDATE TO '0.4.0'" to load this file. \quit

-- === h-owner begin ===
-- Host tables run as their owner; exact column types; DDL event triggers
-- (extension/sql/40_tracking.sql, 45_tracking_ddl.sql).

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
  LEFT JOIN LATERAL (  -- the type under any domains
    WITH RECURSIVE t(oid, typtype, typbasetype) AS (
      SELECT y.oid, y.typtype, y.typbasetype FROM pg_type y WHERE y.oid = a.atttypid
      UNION ALL
      SELECT y.oid, y.typtype, y.typbasetype FROM pg_type y JOIN t ON y.oid = t.typbasetype WHERE t.typtype = 'd')
    SELECT t.oid FROM t WHERE t.typtype <> 'd') base ON true
  WHERE (need.col <> 'status' OR kind = 'task')
    AND (a.atttypid IS NULL
         OR (need.typ = 'uuid' AND a.atttypid <> 'uuid'::regtype)
         OR (need.typ = 'text' AND base.oid IS DISTINCT FROM 'text'::regtype
                               AND base.oid IS DISTINCT FROM 'varchar'::regtype))
  ORDER BY need.col
$$;

-- Adds (sign = 1) or removes (sign = -1) the rows of one table from the
-- created counters: used by track, untrack and TRUNCATE, which fire no row
-- triggers. The rows are counted as the table's owner (_host_rows), the
-- counters updated as the extension owner.
CREATE OR REPLACE FUNCTION aidis._adjust_created(tbl regclass, kind text, sign integer) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  counter text := CASE kind WHEN 'context' THEN 'contexts_created'
                            WHEN 'task' THEN 'tasks_created' ELSE 'decisions_created' END;
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
-- take the rows out of the counters. Without arguments it guards a session
-- table of the extension; with one (the kind) a tracked table, read as its owner.
CREATE OR REPLACE FUNCTION aidis._track_truncate() RETURNS trigger
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

CREATE OR REPLACE FUNCTION aidis.track(tbl regclass, kind text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
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
  IF EXISTS (SELECT 1 FROM aidis.tracked_tables t WHERE t.tbl = track.tbl) THEN
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
  -- Rows already there count for the sessions they name.
  PERFORM aidis._adjust_created(tbl, kind, 1);
END
$$;

CREATE OR REPLACE FUNCTION aidis.untrack(tbl regclass) RETURNS void
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

-- Rule 5: every counter that can be recounted, compared with its recount.
-- Returns nothing when all is well.
CREATE OR REPLACE FUNCTION aidis.check_counters()
  RETURNS TABLE (session_id uuid, display_id text, counter text, recorded bigint, actual bigint)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  -- One aggregate per table (counted as its owner, _host_rows) and per event
  -- kind, joined once (not a recount per session). A registry entry whose
  -- table is gone (dropped in replica mode) has no rows.
  RETURN QUERY
    WITH rows AS MATERIALIZED (
      SELECT tt.kind, h.session_id, sum(h.n)::bigint AS n
      FROM aidis.tracked_tables tt
      JOIN pg_class c ON c.oid = tt.tbl::oid
      CROSS JOIN LATERAL aidis._host_rows(tt.tbl) h
      WHERE h.session_id IS NOT NULL
      GROUP BY tt.kind, h.session_id
    ),
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
    UNION ALL
    -- Rows attached to a session that does not exist (listed last).
    SELECT r.session_id, NULL::text, r.kind || ' rows of a missing session', 0::bigint, sum(r.n)::bigint
    FROM rows r WHERE NOT EXISTS (SELECT 1 FROM aidis.session_base b WHERE b.id = r.session_id)
    GROUP BY r.session_id, r.kind
    ORDER BY 2 NULLS LAST, 3, 1;
END
$$;

-- The session's rows that a reassignment moves: tracked rows filed under the
-- session's current project, every timeline event, file and pending delta.
CREATE OR REPLACE FUNCTION aidis._reassign_counts(sid uuid, source uuid) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  by_kind record;
BEGIN
  -- Counted as each table's owner (_host_rows).
  SELECT COALESCE(sum(h.n) FILTER (WHERE tt.kind = 'context'), 0)::bigint AS contexts,
         COALESCE(sum(h.n) FILTER (WHERE tt.kind = 'task'), 0)::bigint AS tasks,
         COALESCE(sum(h.n) FILTER (WHERE tt.kind = 'decision'), 0)::bigint AS decisions
  INTO by_kind
  FROM aidis.tracked_tables tt
  JOIN pg_class c ON c.oid = tt.tbl::oid
  CROSS JOIN LATERAL aidis._host_rows(tt.tbl, sid, source) h;
  RETURN jsonb_build_object(
    'contexts', by_kind.contexts, 'tasks', by_kind.tasks, 'decisions', by_kind.decisions,
    'timeline_events', (SELECT count(*) FROM aidis.session_activities a WHERE a.session_id = sid),
    'files', (SELECT count(*) FROM aidis.session_files f WHERE f.session_id = sid));
END
$$;

CREATE OR REPLACE FUNCTION aidis.reassign_project(s text, project text, confirm text DEFAULT NULL)
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
  -- Tracked rows move as their table's owner (_host_move). The tracking
  -- triggers let the moved rows through: moving a row is not activity (it
  -- would count as one and move last_activity_at) and does not touch
  -- tasks.updated_at. A host table's own triggers fire as for any UPDATE.
  FOR t IN SELECT tt.tbl, tt.kind FROM aidis.tracked_tables tt JOIN pg_class c ON c.oid = tt.tbl::oid
           ORDER BY tt.tbl::text LOOP
    n := aidis._host_move(t.tbl, sid, src.id, dst.id);
    moved := jsonb_set(moved, ARRAY[t.kind], to_jsonb((moved ->> t.kind)::bigint + n));
  END LOOP;

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
  counter text := CASE kind WHEN 'context' THEN 'contexts_created'
                            WHEN 'task' THEN 'tasks_created' ELSE 'decisions_created' END;
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
  IF pname IS NOT NULL THEN
    RAISE EXCEPTION 'project "%" is disconnected', pname
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = why,
            HINT = 'An aidis_admin can run aidis.reconnect_project().';
  END IF;
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
DECLARE
  t record;
BEGIN
  FOR t IN SELECT tt.tbl, tt.kind FROM aidis.tracked_tables tt
           WHERE tt.tbl::oid IN (SELECT c.objid FROM pg_event_trigger_ddl_commands() c
                                 WHERE c.classid = 'pg_class'::regclass)
  LOOP
    PERFORM aidis._refuse_untrackable(t.tbl, t.kind);
  END LOOP;
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
  FOR t IN SELECT tt.tbl, tt.kind FROM aidis.tracked_tables tt
           WHERE tt.tbl::oid IN (SELECT d.objid FROM pg_event_trigger_dropped_objects() d
                                 WHERE d.classid = 'pg_class'::regclass AND d.objsubid > 0)
  LOOP
    PERFORM aidis._refuse_untrackable(t.tbl, t.kind);
  END LOOP;
END
$$;

CREATE EVENT TRIGGER aidis_tracked_alter ON ddl_command_end WHEN TAG IN ('ALTER TABLE')
  EXECUTE FUNCTION aidis._on_alter_table();
CREATE EVENT TRIGGER aidis_tracked_drop ON sql_drop
  EXECUTE FUNCTION aidis._on_sql_drop();

REVOKE ALL ON FUNCTION aidis._host_rows(regclass, uuid, uuid), aidis._host_move(regclass, uuid, uuid, uuid),
  aidis._tracking_column_problems(regclass, text), aidis._refuse_untrackable(regclass, text),
  aidis._recount_created(text, text), aidis._on_alter_table(), aidis._on_sql_drop() FROM PUBLIC;
-- === h-owner end ===
