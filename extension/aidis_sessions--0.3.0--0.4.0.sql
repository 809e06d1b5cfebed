-- aidis_sessions 0.3.0 -> 0.4.0 (see the README's upgrade table).
\echo Use "ALTER EXTENSION aidis_sessions UPDATE TO '0.4.0'" to load this file. \quit

-- ---------------------------------------------------------------- session API helpers
-- Helpers the session API shares (extension/sql/63_api_list.sql to
-- 71_delete_session.sql): a text argument's limit, the session a read or a
-- change is for, one page of a session's rows, the window of the stats, the
-- moving of tracked rows. Defined first: the SQL functions below use them.

CREATE FUNCTION aidis._check_text_length(val text, max_chars integer, what text) RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF char_length(val) > max_chars THEN
    RAISE EXCEPTION '% % characters long; at most % are allowed', what, char_length(val), max_chars
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;

CREATE FUNCTION aidis._session_to_read(s text, lim integer DEFAULT NULL, off integer DEFAULT NULL,
                                       max_lim integer DEFAULT NULL) RETURNS uuid
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._flush_pending();
  PERFORM aidis._check_page(lim, off, max_lim);
  RETURN aidis._find_session(s);
END
$$;

CREATE FUNCTION aidis._session_rows(row_type anyelement, s text, lim integer, off integer)
  RETURNS SETOF anyelement
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY EXECUTE format('SELECT * FROM %s x WHERE x.session_id = $1
                               ORDER BY x.created_at, x.id LIMIT $2 OFFSET $3', pg_typeof(row_type))
    USING aidis._session_to_read(s, lim, off, 1000), COALESCE(lim, 50), COALESCE(off, 0);
END
$$;

CREATE FUNCTION aidis._stats_scope(period text, project text,
                                   OUT period_name text, OUT since timestamptz, OUT pid uuid, OUT pname text)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  period_name := aidis._keyword(period, 'period', ARRAY['day', 'week', 'month']);
  since := now() - CASE period_name WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '7 days'
                                    ELSE interval '1 month' END;
  IF NULLIF(btrim(project), '') IS NOT NULL THEN
    pid := aidis._find_project(project);
    SELECT p.name INTO pname FROM aidis.projects p WHERE p.id = pid;
  END IF;
END
$$;

CREATE FUNCTION aidis._session_to_change(s text)
  RETURNS aidis.session_base
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cur aidis.session_base;
  sid uuid := aidis._find_session(s);
BEGIN
  PERFORM aidis._check_may_change(sid);
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  SELECT * INTO cur FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  PERFORM aidis._refuse_if_disconnected(cur.project_id);
  RETURN cur;
END
$$;

CREATE FUNCTION aidis._move_tracked_rows(sid uuid, source uuid, target uuid, to_session uuid) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t record;
  moved jsonb := '{"context": 0, "task": 0, "decision": 0}';
BEGIN
  FOR t IN SELECT tt.tbl, tt.kind FROM aidis.tracked_tables tt JOIN pg_class c ON c.oid = tt.tbl::oid
           ORDER BY tt.tbl::text LOOP
    moved := jsonb_set(moved, ARRAY[t.kind], to_jsonb((moved ->> t.kind)::bigint
               + CASE WHEN source IS NULL THEN aidis._host_move_session(t.tbl, sid, to_session)
                      ELSE aidis._host_move(t.tbl, sid, source, target) END));
  END LOOP;
  RETURN jsonb_build_object('contexts', moved -> 'context', 'tasks', moved -> 'task',
                            'decisions', moved -> 'decision');
END
$$;

REVOKE ALL ON FUNCTION aidis._check_text_length(text, integer, text),
                       aidis._session_to_read(text, integer, integer, integer),
                       aidis._session_rows(anyelement, text, integer, integer),
                       aidis._stats_scope(text, text),
                       aidis._session_to_change(text),
                       aidis._move_tracked_rows(uuid, uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis._check_text_length(text, integer, text),
                          aidis._session_to_read(text, integer, integer, integer),
                          aidis._session_rows(anyelement, text, integer, integer),
                          aidis._stats_scope(text, text) TO aidis_reader;
-- ---------------------------------------------------------------- host tables
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
-- text, varchar(n), or a domain over either: the one rule for "text-like".
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

-- Adds (sign = 1) or removes (sign = -1) the rows of one table from the
-- created counters: used by track, untrack and TRUNCATE, which fire no row
-- triggers. The rows are counted as the table's owner (_host_rows), the
-- counters updated as the extension owner.
-- The session_base counter of a kind's created rows.
CREATE FUNCTION aidis._created_counter(kind text) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN CASE kind WHEN 'context' THEN 'contexts_created' WHEN 'task' THEN 'tasks_created' ELSE 'decisions_created' END;

REVOKE ALL ON FUNCTION aidis._created_counter(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION aidis._adjust_created(tbl regclass, kind text, sign integer) RETURNS void
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
  PERFORM aidis._refuse_disconnected(
    pname, format('%s holds rows of a disconnected project; TRUNCATE would delete them.', TG_RELID::regclass));
  IF TG_NARGS > 0 THEN
    PERFORM aidis._adjust_created(TG_RELID::regclass, TG_ARGV[0], -1);
  END IF;
  RETURN NULL;
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
             -- An event stands for data.rows events once compacted (70_retention.sql).
             COALESCE(sum(COALESCE((a.data ->> 'rows')::bigint, 1)) FILTER (WHERE a.kind = 'task_completed'), 0)::bigint AS tasks_completed,
             COALESCE(sum(COALESCE((a.data ->> 'rows')::bigint, 1)) FILTER (WHERE a.kind = 'task_reopened'), 0)::bigint AS tasks_reopened
      FROM aidis.session_activities a
      WHERE a.kind IN ('task_completed', 'task_reopened')
      GROUP BY a.session_id
    )
    SELECT s.id, s.display_id, c.counter, c.recorded, c.actual
    FROM aidis.sessions s
    LEFT JOIN per_session r ON r.session_id = s.id
    LEFT JOIN events e ON e.session_id = s.id
    -- An imported session counts the exported rows this database lacks (72_export.sql).
    LEFT JOIN aidis.session_imports i ON i.session_id = s.id
    CROSS JOIN LATERAL (VALUES
      ('contexts_created', s.contexts_created, COALESCE(r.contexts_created, 0) + COALESCE(i.contexts, 0)),
      ('tasks_created', s.tasks_created, COALESCE(r.tasks_created, 0) + COALESCE(i.tasks, 0)),
      ('decisions_created', s.decisions_created, COALESCE(r.decisions_created, 0) + COALESCE(i.decisions, 0)),
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

REVOKE ALL ON FUNCTION aidis._host_rows(regclass, uuid, uuid), aidis._host_move(regclass, uuid, uuid, uuid),
  aidis._tracking_column_problems(regclass, text), aidis._refuse_untrackable(regclass, text),
  aidis._recount_created(text, text), aidis._on_alter_table(), aidis._on_sql_drop() FROM PUBLIC;
-- ---------------------------------------------------------------- policy
-- Policy: the timeout is configuration (docs/timeout.md); who may change a
-- session, what a disconnected project hides and COPY (docs/security.md);
-- input bounds (docs/api.md); ended sessions keep their last activity.

-- The role whose session it is (NULL for the sessions started before 0.4.0).
ALTER TABLE aidis.session_base ADD COLUMN started_by text;

CREATE OR REPLACE VIEW aidis.sessions WITH (security_invoker = true) AS
SELECT b.id, b.display_id, b.title, b.description, b.goal, b.notes, b.tags,
       b.project_id, b.agent, b.ai_model, b.client_key,
       b.status, b.end_reason, b.started_at,
       -- An ended session's last activity is the one stored when it ended
       -- (a write named onto it later is counted, but is no activity of it).
       CASE WHEN b.ended_at IS NULL THEN GREATEST(b.last_activity_at, d.last_activity_at)
            ELSE b.last_activity_at END AS last_activity_at,
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

CREATE OR REPLACE FUNCTION aidis._connection_role() RETURNS oid
  LANGUAGE c STABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'aidis_connection_role';

CREATE OR REPLACE FUNCTION aidis._connection_sees_hidden() RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT r.rolsuper OR r.rolbypassrls OR pg_has_role(r.oid, 'aidis_admin', 'USAGE')
  FROM pg_roles r WHERE r.oid = aidis._connection_role()
$$;

CREATE OR REPLACE FUNCTION aidis._clip(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN char_length(t) > 64 THEN left(t, 64) || '...' ELSE t END;

CREATE OR REPLACE FUNCTION aidis._check_may_change(sid uuid) RETURNS void
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

CREATE OR REPLACE FUNCTION aidis._check_q(q text) RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  words integer;
BEGIN
  PERFORM aidis._check_text_length(q, 255, 'q is');  -- (65_api_edit.sql)
  -- Words as the search index sees them: runs of letters and digits.
  words := cardinality(array_remove(regexp_split_to_array(lower(q), '[^[:alnum:]]+'), ''));
  IF words > 32 THEN
    RAISE EXCEPTION 'q has % words; at most 32 are allowed', words USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;

CREATE OR REPLACE FUNCTION aidis._fold_deltas() RETURNS integer
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

-- Session and project references are recognized in one place.
CREATE FUNCTION aidis._is_display_id(t text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN t ~ '^SES-[0-9]{4}-[0-9]{4,}$';

-- A uuid in its canonical text form (any case), as session and project arguments give it.
CREATE FUNCTION aidis._is_uuid(t text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN t ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

REVOKE ALL ON FUNCTION aidis._is_display_id(text), aidis._is_uuid(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis._is_display_id(text), aidis._is_uuid(text) TO aidis_reader;

CREATE OR REPLACE FUNCTION aidis._find_session(s text) RETURNS uuid
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

CREATE OR REPLACE FUNCTION aidis._find_project(p text) RETURNS uuid
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

-- A project argument's row, locked for a change of its status.
CREATE FUNCTION aidis._lock_project(p text) RETURNS aidis.projects
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  WITH target AS MATERIALIZED (SELECT aidis._find_project(p) AS id)
  SELECT x.* FROM aidis.projects x JOIN target t ON t.id = x.id FOR UPDATE OF x
$$;

-- Rule 8.
CREATE OR REPLACE FUNCTION aidis.disconnect_project(p text) RETURNS aidis.projects
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  proj aidis.projects := aidis._lock_project(p);
  sid uuid;
BEGIN
  IF proj.id = '00000000-0000-0000-0000-000000000000' THEN
    RAISE EXCEPTION 'the __unassigned__ project cannot be disconnected'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF proj.status = 'disconnected' THEN
    RAISE EXCEPTION 'project "%" is already disconnected', proj.name
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM aidis._fold_deltas();
  FOR sid IN SELECT b.id FROM aidis.session_base b
             WHERE b.project_id = proj.id AND b.status = 'active' ORDER BY b.id FOR UPDATE
  LOOP
    PERFORM aidis._close_session(sid, 'disconnected', 'project_disconnected', clock_timestamp());
  END LOOP;
  UPDATE aidis.projects x SET status = 'disconnected', is_default = false, updated_at = clock_timestamp()
  WHERE x.id = proj.id RETURNING * INTO proj;
  PERFORM aidis._invalidate_caches();
  RETURN proj;
END
$$;

CREATE OR REPLACE FUNCTION aidis.reconnect_project(p text) RETURNS aidis.projects
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  proj aidis.projects := aidis._lock_project(p);
BEGIN
  IF proj.status <> 'disconnected' THEN
    RAISE EXCEPTION 'project "%" is not disconnected', proj.name
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  UPDATE aidis.projects x SET status = 'active', updated_at = clock_timestamp()
  WHERE x.id = proj.id RETURNING * INTO proj;
  PERFORM aidis._invalidate_caches();
  RETURN proj;
END
$$;
REVOKE ALL ON FUNCTION aidis._lock_project(text) FROM PUBLIC;


CREATE OR REPLACE FUNCTION aidis._close_session(sid uuid, new_status text, reason text, at timestamptz)
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

-- end_session takes the files of the session (end_session(s, files)).
DROP FUNCTION aidis.end_session(text);
CREATE FUNCTION aidis.end_session(s text DEFAULT NULL, files jsonb DEFAULT NULL) RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._find_session(s);
  row aidis.session_base;
  result aidis.sessions;
BEGIN
  IF files IS NOT NULL AND (jsonb_typeof(files) <> 'array' OR EXISTS (
       SELECT 1 FROM jsonb_array_elements(files) f
       WHERE jsonb_typeof(f) <> 'object' OR jsonb_typeof(f -> 'path') IS DISTINCT FROM 'string'
          OR EXISTS (SELECT 1 FROM unnest(ARRAY[f -> 'added', f -> 'removed']) n
                     WHERE n IS NOT NULL AND (jsonb_typeof(n) <> 'number' OR n::text !~ '^[0-9]{1,18}$')))) THEN
    RAISE EXCEPTION 'files must be a JSON array of {"path": text, "added": n, "removed": n} with n a whole number of lines'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF jsonb_array_length(COALESCE(files, '[]')) > 10000 THEN
    RAISE EXCEPTION 'files has % entries; at most 10000 are allowed', jsonb_array_length(files)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM aidis._check_may_change(sid);
  SELECT * INTO row FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  IF row.status <> 'active' THEN
    RAISE EXCEPTION 'session % is not active (%)', row.display_id, row.status
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM aidis._refuse_if_disconnected(row.project_id);
  PERFORM aidis.record_file(f ->> 'path', COALESCE((f ->> 'added')::bigint, 0),
                            COALESCE((f ->> 'removed')::bigint, 0), sid::text)
  FROM jsonb_array_elements(COALESCE(files, '[]')) f;
  PERFORM aidis._close_session(sid, 'inactive', 'ended', clock_timestamp());  -- forgets the caches
  SELECT * INTO result FROM aidis.sessions x WHERE x.id = sid;
  RETURN result;
END
$$;
REVOKE ALL ON FUNCTION aidis.end_session(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis.end_session(text, jsonb) TO aidis_writer;


CREATE OR REPLACE FUNCTION aidis._activity_session(s text, OUT session_id uuid, OUT project_id uuid)
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
  PERFORM aidis._check_may_change(session_id);
  SELECT * INTO row FROM aidis.session_base b WHERE b.id = session_id;
  IF row.status <> 'active' THEN
    RAISE EXCEPTION 'session % is not active (%)', row.display_id, row.status
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM aidis._refuse_if_disconnected(row.project_id);
  project_id := row.project_id;
END
$$;

CREATE OR REPLACE FUNCTION aidis.record_usage(input_tokens bigint, output_tokens bigint,
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
  IF char_length(btrim(model)) > 200 THEN  -- stored as the session's ai_model
    RAISE EXCEPTION 'model is % characters long; at most 200 are allowed', char_length(btrim(model))
      USING ERRCODE = 'invalid_parameter_value';
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

CREATE OR REPLACE FUNCTION aidis.record_file(path text, lines_added bigint DEFAULT 0,
                                             lines_removed bigint DEFAULT 0, s text DEFAULT NULL)
  RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF path IS NULL OR btrim(path) = '' OR char_length(path) > 4096 THEN
    RAISE EXCEPTION 'path must be 1 to 4096 characters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF lines_added IS NULL OR lines_removed IS NULL OR lines_added < 0 OR lines_removed < 0 THEN
    RAISE EXCEPTION 'line counts must be zero or more' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM aidis._buffer_file(t.session_id, t.project_id, btrim(path), lines_added, lines_removed)
  FROM aidis._activity_session(s) t;
END
$$;

CREATE OR REPLACE FUNCTION aidis._search_query(terms text[], since timestamptz, until timestamptz)
  RETURNS tsquery
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT (COALESCE(string_agg(c.conj, ' | ' ORDER BY c.p) || ' | ', '') || '''*''')::tsquery
  FROM (SELECT p, '(' || string_agg(CASE WHEN t.term LIKE '%*' THEN quote_literal(p || '/' || rtrim(t.term, '*')) || ':*'
                                         ELSE quote_literal(p || '/' || t.term) END,
                                    ' & ' ORDER BY t.n) || ')' AS conj
        FROM generate_series(aidis._search_period(since), aidis._search_period(until)) AS p
        CROSS JOIN unnest(terms) WITH ORDINALITY AS t (term, n)
        GROUP BY p) c
$$;

CREATE OR REPLACE FUNCTION aidis._list_session_ids(wanted_status text, pid uuid, needle text,
                                         lim integer, off integer, as_policy text DEFAULT NULL)
  RETURNS uuid[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  -- Small reads, mostly of recent, cached rows: starting workers costs more
  -- than it saves, and an index that reads only the rows of the filter beats
  -- one whose order follows the table's. The candidates of the word index
  -- are older rows: read ahead (a bitmap heap scan prefetches).
  SET max_parallel_workers_per_gather = 0
  SET random_page_cost = 1.1
  SET effective_io_concurrency = 32
AS $$
DECLARE
  want bigint;  -- matches up to the end of the page
  bound timestamptz;  -- text matches older than this cannot be on the page
  refs record;
  words record;
  rest record;
  hit_ids uuid[];
  hit_starts timestamptz[];
BEGIN
  PERFORM aidis._check_page(lim, off, 1000);
  lim := COALESCE(lim, 50);
  off := COALESCE(off, 0);
  want := lim::bigint + off;
  needle := NULLIF(btrim(needle), '');
  PERFORM aidis._check_q(needle);
  -- (Separate statements: EXECUTE on each is checked only when it runs, and
  -- only admins may run the second.)
  IF needle IS NOT NULL AND as_policy IS NULL AND row_security_active('aidis.session_base') THEN
    IF pg_has_role('aidis_admin', 'USAGE') THEN
      RETURN aidis._list_all_session_ids(wanted_status, pid, needle, lim, off);
    END IF;
    RETURN aidis._list_connected_session_ids(wanted_status, pid, needle, lim, off);
  END IF;
  IF needle IS NULL THEN
    IF as_policy = 'connected_projects' THEN
      RETURN '{}';  -- only the q search applies the policy's condition
    END IF;
    RETURN aidis._list_ids_unsearched(wanted_status, pid, lim, off);
  END IF;

  refs := aidis._list_ids_by_reference(wanted_status, pid, needle, want, as_policy);
  IF cardinality(refs.ids) >= want THEN
    bound := refs.starts[want];
  END IF;
  words := aidis._list_ids_by_words(wanted_status, pid, needle, want, bound, as_policy);
  hit_ids := words.ids;
  hit_starts := words.starts;
  IF words.in_order AND cardinality(hit_ids) < want THEN
    rest := aidis._list_ids_in_order(wanted_status, pid, needle, want, bound, words.last_start,
                                     words.window_rows, cardinality(hit_ids), as_policy);
    hit_ids := hit_ids || rest.ids;
    hit_starts := hit_starts || rest.starts;
  END IF;

  IF cardinality(refs.ids) = 0 THEN
    IF off >= cardinality(hit_ids) THEN
      RETURN '{}';
    END IF;
    RETURN hit_ids[off + 1 : LEAST(off::bigint + lim, cardinality(hit_ids))];
  END IF;
  RETURN ARRAY(SELECT u.id FROM (SELECT DISTINCT t.id, t.started_at
                                 FROM unnest(hit_ids || refs.ids, hit_starts || refs.starts) AS t (id, started_at)) u
               ORDER BY u.started_at DESC, u.id LIMIT lim OFFSET off);
END
$$;


-- The strategies of _list_session_ids, one function each.
CREATE FUNCTION aidis._substring_pattern(q text) RETURNS text
  LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT '%' || replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_') || '%'
$$;

CREATE FUNCTION aidis._list_filter(wanted_status text, pid uuid, as_policy text, loose boolean) RETURNS text
  LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN wanted_status IS NULL THEN '' WHEN loose THEN ' AND (b.status = $1) IS TRUE'
              ELSE ' AND b.status = $1' END
      || CASE WHEN pid IS NULL THEN '' WHEN loose THEN ' AND (b.project_id = $2) IS TRUE'
              ELSE ' AND b.project_id = $2' END
      || CASE WHEN as_policy = 'connected_projects'  -- that policy's condition (90_security.sql)
              THEN ' AND b.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = ''disconnected'')'
              ELSE '' END
$$;

CREATE FUNCTION aidis._list_ids_unsearched(wanted_status text, pid uuid, lim integer, off integer)
  RETURNS uuid[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ids uuid[];
BEGIN
  IF wanted_status IS NULL AND pid IS NULL THEN
    RETURN ARRAY(SELECT b.id FROM aidis.session_base b
                 ORDER BY b.started_at DESC, b.id LIMIT lim OFFSET off);
  ELSIF pid IS NULL THEN
    RETURN ARRAY(SELECT b.id FROM aidis.session_base b WHERE b.status = wanted_status
                 ORDER BY b.started_at DESC, b.id LIMIT lim OFFSET off);
  ELSIF wanted_status IS NULL THEN
    RETURN ARRAY(SELECT b.id FROM aidis.session_base b WHERE b.project_id = pid
                 ORDER BY b.started_at DESC, b.id LIMIT lim OFFSET off);
  END IF;
  -- Both: which index serves depends on the status (few are active).
  EXECUTE 'SELECT ARRAY(SELECT b.id FROM aidis.session_base b WHERE b.status = $1 AND b.project_id = $2
                        ORDER BY b.started_at DESC, b.id LIMIT $3 OFFSET $4)'
    INTO ids USING wanted_status, pid, lim, off;
  RETURN ids;
END
$$;

CREATE FUNCTION aidis._list_ids_by_reference(wanted_status text, pid uuid, needle text, want bigint,
                                              as_policy text, OUT ids uuid[], OUT starts timestamptz[])
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  filter text := aidis._list_filter(wanted_status, pid, as_policy, false);
  loose_filter text := aidis._list_filter(wanted_status, pid, as_policy, true);
  pattern text := aidis._substring_pattern(needle);
  display_from text;
  display_to text;
  hex text;
  lo uuid;
  hi uuid;
  named_projects uuid[];
BEGIN
  -- The start of a display id ("SES-2026-00", "2026-0042"; the number alone
  -- is in the searchable text), as a range of its index (leakproof
  -- operators, unlike LIKE)...
  IF upper(needle) ~ '^SES(-[0-9]{0,4}(-[0-9]*)?)?$' OR needle ~ '^[0-9]{4}-[0-9]*$' THEN
    display_from := CASE WHEN upper(needle) LIKE 'SES%' THEN upper(needle) ELSE 'SES-' || needle END;
    display_to := left(display_from, -1) || chr(ascii(right(display_from, 1)) + 1);
  END IF;
  -- ...a uuid prefix (a range of the primary key)...
  hex := lower(replace(needle, '-', ''));
  IF needle ~* '^[0-9a-f-]+$' AND length(hex) BETWEEN 8 AND 32 THEN
    lo := rpad(hex, 32, '0')::uuid;
    hi := rpad(hex, 32, 'f')::uuid;
  END IF;
  -- ...or the name of the session's project: the newest of each, up to the
  -- end of the page.
  SELECT array_agg(p.id) INTO named_projects FROM aidis.projects p WHERE p.name ILIKE pattern;
  IF display_from IS NOT NULL OR lo IS NOT NULL OR named_projects IS NOT NULL THEN
    EXECUTE format($sql$
        SELECT array_agg(u.id ORDER BY u.started_at DESC, u.id), array_agg(u.started_at ORDER BY u.started_at DESC, u.id)
        FROM (SELECT DISTINCT x.id, x.started_at FROM (%s %s %s) x
              ORDER BY x.started_at DESC, x.id LIMIT $3) u $sql$,
      -- Few ids start so (the usual case): all of them, then sorted; many
      -- ("SES"): the planner's choice (likely in list order).
      CASE WHEN display_from IS NULL THEN 'SELECT NULL::uuid AS id, NULL::timestamptz AS started_at WHERE false'
           WHEN (SELECT count(*) < 1000 FROM (SELECT 1 FROM aidis.session_base b
                                              WHERE b.display_id ~>=~ display_from AND b.display_id ~<~ display_to
                                              LIMIT 1000) x)
           THEN format('(SELECT d.id, d.started_at
                         FROM (SELECT b.id, b.started_at FROM aidis.session_base b
                               WHERE b.display_id ~>=~ $4 AND b.display_id ~<~ $5 %s OFFSET 0) d
                         ORDER BY d.started_at DESC, d.id LIMIT $3)', loose_filter)
           ELSE format('(SELECT b.id, b.started_at FROM aidis.session_base b
                         WHERE b.display_id ~>=~ $4 AND b.display_id ~<~ $5 %s
                         ORDER BY b.started_at DESC, b.id LIMIT $3)', filter) END,
      CASE WHEN lo IS NOT NULL THEN format(
        'UNION ALL (SELECT b.id, b.started_at FROM aidis.session_base b WHERE b.id BETWEEN $6 AND $7 %s
                    ORDER BY b.started_at DESC, b.id LIMIT $3)', loose_filter) END,
      CASE WHEN named_projects IS NOT NULL THEN format(
        'UNION ALL SELECT n.id, n.started_at FROM unnest($8::uuid[]) AS np (id)
                   CROSS JOIN LATERAL (SELECT b.id, b.started_at FROM aidis.session_base b WHERE b.project_id = np.id %s
                                       ORDER BY b.started_at DESC, b.id LIMIT $3) n', filter) END)
      INTO ids, starts
      USING wanted_status, pid, want, display_from, display_to, lo, hi, named_projects;
  END IF;
  ids := COALESCE(ids, '{}');
  starts := COALESCE(starts, '{}');
END
$$;

CREATE FUNCTION aidis._list_ids_by_words(wanted_status text, pid uuid, needle text, want bigint,
                                          bound timestamptz, as_policy text,
                                          OUT ids uuid[], OUT starts timestamptz[], OUT last_start timestamptz,
                                          OUT window_rows bigint, OUT in_order boolean)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  probe_rows constant integer := 150;   -- the first window of newest rows
  -- Rough costs in microseconds, to choose (measured on the scale set):
  -- reading and rechecking one row in list order; one candidate of the word
  -- index (bitmap), for a lexeme and for a range of them (a prefix); one row
  -- of a time range (bitmap); rechecking one candidate.
  row_cost constant float8 := 4.5;
  exact_cost constant float8 := 0.35;
  prefix_cost constant float8 := 0.7;
  range_cost constant float8 := 0.15;
  recheck_cost constant float8 := 4;
  filter text := aidis._list_filter(wanted_status, pid, as_policy, false);
  loose_filter text := aidis._list_filter(wanted_status, pid, as_policy, true);
  pattern text := aidis._substring_pattern(needle);
  terms text[];
  more_ids uuid[];
  more_starts timestamptz[];
  first_start timestamptz;
  hits integer;
  need bigint;
  span float8;
  per_second float8;
  rows_needed float8;
  since timestamptz;
  oldest timestamptz;
BEGIN
  ids := '{}';
  starts := '{}';
  window_rows := probe_rows;
  -- A case-insensitive substring of the searchable text. With words the
  -- index can use (and no row-level security: see below), a first window
  -- of time, the newest rows of the filter, is read through the index: its
  -- candidates, each rechecked...
  -- (Few sessions are active: those are read in list order.)
  IF wanted_status IS DISTINCT FROM 'active' AND NOT row_security_active('aidis.session_base') THEN
    -- At most 8: fewer are still met by every match, and each costs an
    -- index probe in every period of the window.
    terms := (aidis._search_terms(pattern))[1:8];
  END IF;
  IF terms IS NOT NULL THEN
    -- (From the index alone: the project's, else the status'.)
    EXECUTE format($sql$
        SELECT max(x.started_at), min(x.started_at), count(*)
        FROM (SELECT b.started_at FROM aidis.session_base b WHERE true %s
              ORDER BY b.started_at DESC LIMIT $3) x $sql$,
        CASE WHEN pid IS NOT NULL THEN 'AND b.project_id = $2' WHEN wanted_status IS NOT NULL THEN 'AND b.status = $1' END)
      INTO first_start, since, window_rows USING wanted_status, pid, probe_rows;
    IF window_rows < probe_rows OR since <= bound THEN
      terms := NULL;  -- few rows matter: all of them in list order
    END IF;
  END IF;
  IF terms IS NOT NULL THEN
    SELECT min(b.started_at) INTO oldest FROM aidis.session_base b;
    FOR attempt IN 1 .. 8 LOOP
      EXECUTE format($sql$
          SELECT array_agg(x.id ORDER BY x.started_at DESC, x.id), array_agg(x.started_at ORDER BY x.started_at DESC, x.id)
          FROM (SELECT b.id, b.started_at FROM aidis.session_base b
                WHERE aidis._search_words(aidis._search_text(b.display_id, b.title, b.description, b.goal, b.tags, b.agent),
                                          b.started_at) @@ $4
                  AND aidis._search_text(b.display_id, b.title, b.description, b.goal, b.tags, b.agent) ILIKE $3 %s %s %s
                ORDER BY b.started_at DESC, b.id LIMIT $8) x $sql$,
          -- (Without a window the candidates are few: rather than read all
          -- the rows of a status, a project or a time from their index,
          -- check them.)
          CASE WHEN since IS NULL THEN loose_filter ELSE filter END,
          CASE WHEN last_start IS NOT NULL THEN 'AND b.started_at < $5' END,
          CASE WHEN since IS NOT NULL THEN 'AND b.started_at >= $7'
               WHEN bound IS NOT NULL THEN 'AND (b.started_at >= $6) IS TRUE' END)
        INTO more_ids, more_starts
        USING wanted_status, pid, pattern,
              aidis._search_query(terms, COALESCE(since, bound, oldest), COALESCE(last_start, first_start, now())),
              last_start, bound, since, want - cardinality(ids);
      ids := ids || COALESCE(more_ids, '{}');
      starts := starts || COALESCE(more_starts, '{}');
      hits := cardinality(ids);
      EXIT WHEN hits >= want OR since IS NULL;
      last_start := since;  -- next: strictly older than the window
      IF attempt = 1 AND hits > 0 THEN
        -- The rate seen in the first window decides the next: going on in
        -- list order (rows still needed × row_cost), or the index within a
        -- time window where the missing matches are expected (one and a half
        -- times, at a rate a little above the one seen: a window too short
        -- costs one more query, one too long reads every candidate in it),
        -- whose cost grows with the candidates, of every status and project,
        -- of each 14-day period it touches (rows per second: those of the
        -- first window, or of the whole table when it was filtered).
        need := want - hits;
        span := GREATEST(extract(epoch FROM first_start - since), 0.001);
        rows_needed := 1.5 * need * probe_rows / (hits + 2);
        since := aidis._search_since(since, span * rows_needed / probe_rows, GREATEST(oldest, bound));
        per_second := probe_rows / span;
        IF filter <> '' THEN
          per_second := GREATEST(per_second,
            (SELECT c.reltuples FROM pg_class c WHERE c.oid = 'aidis.session_base'::regclass)
            / GREATEST(extract(epoch FROM now() - oldest), 1));
        END IF;
        IF (hits + 1.0) / probe_rows
             * (aidis._search_period(last_start) - aidis._search_period(COALESCE(since, bound, oldest)) + 1)
             * 1209600 * per_second
             * (CASE WHEN terms[1] LIKE '%*' THEN prefix_cost ELSE exact_cost END)
           + rows_needed * range_cost + 1.5 * need * recheck_cost
           >= need * probe_rows / (hits + 1.0) * row_cost THEN
          -- Frequent: on in list order, from the end of the window.
          window_rows := LEAST(probe_rows * 16, GREATEST(probe_rows, ceil(1.5 * need * probe_rows / hits)::bigint));
          terms := NULL;
          EXIT;
        END IF;
      ELSE
        -- Next, the time the missing matches take at the rate seen so far
        -- (one and a half times, at least as long again); all of it when
        -- nothing matched yet (or after a few windows).
        since := CASE WHEN hits > 0 AND attempt < 7
                      THEN aidis._search_since(since, extract(epoch FROM first_start - since)
                                                      * GREATEST(1.5 * (want - hits) / hits, 1),
                                               GREATEST(oldest, bound)) END;
      END IF;
    END LOOP;
  END IF;
  window_rows := CASE WHEN terms IS NULL AND last_start IS NULL THEN probe_rows ELSE window_rows END;
  in_order := terms IS NULL;
END
$$;

CREATE FUNCTION aidis._list_ids_in_order(wanted_status text, pid uuid, needle text, want bigint,
                                          bound timestamptz, last_start timestamptz, window_rows bigint,
                                          have integer, as_policy text,
                                          OUT ids uuid[], OUT starts timestamptz[])
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  filter text := aidis._list_filter(wanted_status, pid, as_policy, false);
  pattern text := aidis._substring_pattern(needle);
  more_ids uuid[];
  more_starts timestamptz[];
  last_id uuid;
  more boolean;
  hits integer;
  r record;
BEGIN
  ids := '{}';
  starts := '{}';
  -- ...or in list order: windows of the newest rows (older than the index's
  -- window, if any), each returning its matches, its first and its last
  -- row.
  WHILE have + cardinality(ids) < want LOOP
    more := false;
    FOR r IN EXECUTE format($sql$
        SELECT w.id, w.started_at, w.n,
               aidis._search_text(w.display_id, w.title, w.description, w.goal, w.tags, w.agent) ILIKE $3 AS hit
        FROM (SELECT b.id, b.started_at, b.display_id, b.title, b.description, b.goal, b.tags, b.agent,
                     row_number() OVER (ORDER BY b.started_at DESC, b.id) AS n
              FROM aidis.session_base b
              WHERE true %s %s %s
              ORDER BY b.started_at DESC, b.id
              LIMIT $4) w
        WHERE w.n IN (1, $4)
           OR aidis._search_text(w.display_id, w.title, w.description, w.goal, w.tags, w.agent) ILIKE $3 $sql$,
        filter,
        CASE WHEN last_start IS NOT NULL THEN 'AND b.started_at <= $5 AND (b.started_at < $5 OR b.id > $6)' END,
        CASE WHEN bound IS NOT NULL THEN 'AND b.started_at >= $7' END)
      USING wanted_status, pid, pattern, window_rows, last_start, last_id, bound
    LOOP
      IF r.hit THEN
        ids := ids || r.id;
        starts := starts || r.started_at;
        EXIT WHEN have + cardinality(ids) >= want;
      END IF;
      IF r.n = window_rows THEN
        more := true;
        last_start := r.started_at;
        last_id := r.id;
      END IF;
    END LOOP;
    hits := have + cardinality(ids);
    EXIT WHEN hits >= want OR NOT more;
    IF hits = 0 AND row_security_active('aidis.session_base') THEN
      -- Under row-level security no index serves a condition that is not
      -- leakproof (neither ILIKE nor @@): after a first window with no
      -- match, the rest in one query, as the planner likes it (in parallel).
      PERFORM set_config(s.name, s.reset_val, true)  -- (undone when the function returns)
      FROM pg_settings s WHERE s.name = 'max_parallel_workers_per_gather';
      EXECUTE format($sql$
          SELECT array_agg(x.id ORDER BY x.started_at DESC, x.id), array_agg(x.started_at ORDER BY x.started_at DESC, x.id)
          FROM (SELECT b.id, b.started_at FROM aidis.session_base b
                WHERE aidis._search_text(b.display_id, b.title, b.description, b.goal, b.tags, b.agent) ILIKE $3
                  AND b.started_at <= $5 AND (b.started_at < $5 OR b.id > $6) %s %s
                ORDER BY b.started_at DESC, b.id LIMIT $4) x $sql$,
          filter, CASE WHEN bound IS NOT NULL THEN 'AND b.started_at >= $7' END)
        INTO more_ids, more_starts USING wanted_status, pid, pattern, want, last_start, last_id, bound;
      ids := ids || COALESCE(more_ids, '{}');
      starts := starts || COALESCE(more_starts, '{}');
      EXIT;
    END IF;
    -- The next window: enough rows for the matches still missing at the
    -- rate seen so far (four times the last window when none matched).
    window_rows := CASE WHEN hits = 0 THEN window_rows * 4
                        ELSE LEAST(window_rows * 16, GREATEST(window_rows,
                               ceil(1.5 * (want - hits) * window_rows / hits)::bigint)) END;
  END LOOP;
END
$$;

REVOKE ALL ON FUNCTION aidis._substring_pattern(text), aidis._list_filter(text, uuid, text, boolean),
  aidis._list_ids_unsearched(text, uuid, integer, integer),
  aidis._list_ids_by_reference(text, uuid, text, bigint, text),
  aidis._list_ids_by_words(text, uuid, text, bigint, timestamptz, text),
  aidis._list_ids_in_order(text, uuid, text, bigint, timestamptz, timestamptz, bigint, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis._substring_pattern(text), aidis._list_filter(text, uuid, text, boolean),
  aidis._list_ids_unsearched(text, uuid, integer, integer),
  aidis._list_ids_by_reference(text, uuid, text, bigint, text),
  aidis._list_ids_by_words(text, uuid, text, bigint, timestamptz, text),
  aidis._list_ids_in_order(text, uuid, text, bigint, timestamptz, timestamptz, bigint, integer, text) TO aidis_reader;

-- list_sessions rows carry their wall-clock seconds (one rule for every client).
ALTER TYPE aidis.session_summary ADD ATTRIBUTE wall_seconds bigint;

CREATE OR REPLACE FUNCTION aidis.list_sessions(q text DEFAULT NULL, status text DEFAULT NULL,
                                    project text DEFAULT NULL, lim integer DEFAULT 50,
                                    off integer DEFAULT 0)
  RETURNS SETOF aidis.session_summary
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  wanted_status text;
  pid uuid;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  PERFORM aidis._check_page(lim, off, 1000);
  PERFORM aidis._check_q(NULLIF(btrim(q), ''));
  wanted_status := aidis._wanted_status(status);
  IF NULLIF(btrim(project), '') IS NOT NULL THEN
    pid := aidis._find_project(project);
  END IF;

  -- One statement (one snapshot), planned once per backend.
  RETURN QUERY
    SELECT v.id, v.display_id, v.title, v.status, v.end_reason, v.project_id, p.name, v.agent,
           v.ai_model, v.tags, v.started_at, v.last_activity_at, v.ended_at,
           v.contexts_created, v.tasks_created, v.tasks_completed, v.tasks_reopened,
           v.decisions_created, v.activity_count, v.input_tokens, v.output_tokens,
           v.cache_read_tokens, v.cache_creation_tokens, v.estimated_tokens, v.loc_added,
           v.loc_removed, v.files_touched, v.rating, v.score::numeric,
           aidis._wall_seconds(v.started_at, v.ended_at)
    -- (A subquery: unnest() would run the function once more to estimate its rows.)
    FROM unnest((SELECT aidis._list_session_ids(wanted_status, pid, NULLIF(btrim(q), ''),
                                                COALESCE(lim, 50), COALESCE(off, 0)))) WITH ORDINALITY AS page (id, ord)
    JOIN aidis.sessions v ON v.id = page.id
    JOIN aidis.projects p ON p.id = v.project_id
    ORDER BY page.ord;
END
$$;

CREATE OR REPLACE FUNCTION aidis.update_session(s text DEFAULT NULL, title text DEFAULT NULL,
                                     description text DEFAULT NULL, goal text DEFAULT NULL,
                                     tags text[] DEFAULT NULL, notes text DEFAULT NULL,
                                     ai_model text DEFAULT NULL, agent text DEFAULT NULL,
                                     add_tags text[] DEFAULT NULL, append_notes text DEFAULT NULL)
  RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cur aidis.session_base;
  sid uuid;
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
  -- Array sizes first: the tags are sorted and compared below.
  IF COALESCE(cardinality(tags), 0) + COALESCE(cardinality(add_tags), 0) > 1000 THEN
    RAISE EXCEPTION '% tags given; at most 1000 array elements are allowed',
      COALESCE(cardinality(tags), 0) + COALESCE(cardinality(add_tags), 0) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(COALESCE(tags, '{}') || COALESCE(add_tags, '{}')) t(tag) WHERE char_length(btrim(t.tag)) > 100) THEN
    RAISE EXCEPTION 'a tag is longer than 100 characters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  cur := aidis._session_to_change(s);
  sid := cur.id;

  new_title := cur.title;
  IF title IS NOT NULL THEN
    new_title := btrim(title);
    IF new_title = '' THEN
      RAISE EXCEPTION 'the title cannot be cleared' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM aidis._check_text_length(new_title, 255, 'title is');
  END IF;
  new_description := CASE WHEN description IS NULL THEN cur.description ELSE NULLIF(btrim(description), '') END;
  PERFORM aidis._check_text_length(new_description, 2000, 'description is');
  new_goal := CASE WHEN goal IS NULL THEN cur.goal ELSE NULLIF(btrim(goal), '') END;
  PERFORM aidis._check_text_length(new_goal, 2000, 'goal is');
  new_notes := CASE WHEN notes IS NULL THEN cur.notes ELSE NULLIF(btrim(notes), '') END;
  IF NULLIF(btrim(append_notes), '') IS NOT NULL THEN  -- under the row lock: concurrent appends both stay
    new_notes := concat_ws(E'\n', new_notes, btrim(append_notes));
  END IF;
  PERFORM aidis._check_text_length(new_notes, 10000, 'notes are');
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
  END IF;
  new_model := CASE WHEN ai_model IS NULL THEN cur.ai_model ELSE NULLIF(btrim(ai_model), '') END;
  PERFORM aidis._check_text_length(new_model, 200, 'ai_model is');
  new_agent := cur.agent;
  IF agent IS NOT NULL THEN
    IF btrim(agent) = '' THEN
      RAISE EXCEPTION 'the agent cannot be cleared' USING ERRCODE = 'invalid_parameter_value',
        HINT = 'Give the agent''s name, e.g. claude-code.';
    END IF;
    PERFORM aidis._check_text_length(btrim(agent), 200, 'agent is');
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

CREATE OR REPLACE FUNCTION aidis.rate_session(s text, stars integer, note text DEFAULT NULL) RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cur aidis.session_base;
  new_note text := NULLIF(btrim(note), '');
  result aidis.sessions;
BEGIN
  IF stars IS NULL OR stars < 1 OR stars > 5 THEN
    RAISE EXCEPTION 'stars must be 1 to 5, not %', COALESCE(stars::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM aidis._check_text_length(new_note, 2000, 'note is');
  cur := aidis._session_to_change(s);  -- (65_api_edit.sql)
  UPDATE aidis.session_base b
  SET rating = stars, rating_note = new_note, updated_at = clock_timestamp()
  WHERE b.id = cur.id;
  PERFORM aidis._log_event(cur.id, 'rated', clock_timestamp(), format('rated %s/5', stars),
                           jsonb_strip_nulls(jsonb_build_object('stars', stars, 'note', new_note,
                                                                'previous', cur.rating)));
  PERFORM aidis._notify('rated', cur.id);
  SELECT * INTO result FROM aidis.sessions x WHERE x.id = cur.id;
  RETURN result;
END
$$;

CREATE OR REPLACE FUNCTION aidis.session_stats(period text DEFAULT 'month', project text DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  scope record := aidis._stats_scope(period, project);
  result jsonb;
BEGIN
  WITH s AS MATERIALIZED (
    SELECT v.*, aidis._wall_seconds(v.started_at, v.ended_at) AS wall,
           aidis._shown_active_seconds(v.id, v.started_at, v.ended_at, v.last_activity_at, b.active_seconds) AS active
    FROM aidis.sessions v
    JOIN aidis.session_base b ON b.id = v.id
    WHERE v.started_at >= scope.since AND (scope.pid IS NULL OR v.project_id = scope.pid)
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
    'period', scope.period_name, 'since', scope.since, 'until', now(),
    'project', scope.pname, 'project_id', scope.pid,
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

CREATE OR REPLACE FUNCTION aidis.enable_cron(schedule text DEFAULT '* * * * *') RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF schedule IS NULL OR pg_catalog.btrim(schedule) = '' OR pg_catalog.char_length(schedule) > 100 THEN
    RAISE EXCEPTION 'schedule must be a cron expression such as ''* * * * *'' (at most 100 characters)'
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
  -- Retention once a day (03:17, the scheduler's time zone): compaction of
  -- old timelines under aidis.session_retention (70_retention.sql).
  PERFORM cron.schedule('aidis_compact_activity', '17 3 * * *', 'CALL aidis.compact_activity()');
  RETURN cron.schedule('aidis_expire_idle_sessions', schedule, 'SELECT aidis.expire_idle_sessions()');
END
$$;

REVOKE ALL ON FUNCTION aidis._connection_role(), aidis._connection_sees_hidden(), aidis._clip(text),
  aidis._check_may_change(uuid), aidis._check_q(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis._connection_role(), aidis._connection_sees_hidden(), aidis._clip(text),
  aidis._check_q(text) TO aidis_reader;

-- Data written by 0.3.0: an ended session whose last activity a write named
-- onto it after the end moved past the end gets its end back as its last
-- activity; the timeline entries of rows of the shipped tables that a
-- session wrote for another project are filed under that project (0.3.0
-- filed them under the session's; those of deleted rows and of host tables
-- stay). Also for rows of disconnected projects, so the guard triggers are
-- off for these statements only.
DO $data$
DECLARE
  replication_role text := current_setting('session_replication_role');
BEGIN
  PERFORM set_config('session_replication_role', 'replica', true);
  UPDATE aidis.session_base b SET last_activity_at = b.ended_at WHERE b.last_activity_at > b.ended_at;
  UPDATE aidis.session_activities a SET project_id = x.project_id
  FROM aidis.contexts x
  WHERE a.data ->> 'table' = 'aidis.contexts' AND a.entity_id = x.id::text AND a.project_id <> x.project_id;
  UPDATE aidis.session_activities a SET project_id = x.project_id
  FROM aidis.tasks x
  WHERE a.data ->> 'table' = 'aidis.tasks' AND a.entity_id = x.id::text AND a.project_id <> x.project_id;
  UPDATE aidis.session_activities a SET project_id = x.project_id
  FROM aidis.decisions x
  WHERE a.data ->> 'table' = 'aidis.decisions' AND a.entity_id = x.id::text AND a.project_id <> x.project_id;
  PERFORM set_config('session_replication_role', replication_role, true);
END
$data$;
-- reassign_project and delete_session count what they move with one function.
DROP FUNCTION aidis._reassign_counts(uuid, uuid);
-- A session's rows, as a reassignment or a deletion moves them: all of them,
-- or (pid given) those filed under that project: tracked rows (counted as
-- each table's owner, _host_rows), timeline events and files.
CREATE FUNCTION aidis._session_row_counts(sid uuid, pid uuid DEFAULT NULL) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  by_kind record;
BEGIN
  SELECT COALESCE(sum(h.n) FILTER (WHERE tt.kind = 'context'), 0)::bigint AS contexts,
         COALESCE(sum(h.n) FILTER (WHERE tt.kind = 'task'), 0)::bigint AS tasks,
         COALESCE(sum(h.n) FILTER (WHERE tt.kind = 'decision'), 0)::bigint AS decisions
  INTO by_kind
  FROM aidis.tracked_tables tt
  JOIN pg_class c ON c.oid = tt.tbl::oid
  CROSS JOIN LATERAL aidis._host_rows(tt.tbl, sid, pid) h
  WHERE h.session_id = sid;
  RETURN jsonb_build_object(
    'contexts', by_kind.contexts, 'tasks', by_kind.tasks, 'decisions', by_kind.decisions,
    'timeline_events', (SELECT count(*) FROM aidis.session_activities a
                        WHERE a.session_id = sid AND (pid IS NULL OR a.project_id = pid)),
    'files', (SELECT count(*) FROM aidis.session_files f
              WHERE f.session_id = sid AND (pid IS NULL OR f.project_id = pid)));
END
$$;
REVOKE ALL ON FUNCTION aidis._session_row_counts(uuid, uuid) FROM PUBLIC;

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
    moves := aidis._session_row_counts(sid, src.id);
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

  issued := aidis._token_issued(token, 'aidis.reassign_project(s, project)');
  PERFORM aidis._check_confirmation(
    token, aidis._reassign_token(sid, src.id, dst.id, cur.updated_at, issued), issued, 'this reassignment',
    'It was issued for another session or project, or the session changed since (or the token was already used).',
    'aidis.reassign_project(s, project)');

  -- Apply. The session tables keep their writable triggers (both projects are
  -- connected and locked).
  UPDATE aidis.session_base b SET project_id = dst.id, updated_at = clock_timestamp() WHERE b.id = sid;
  UPDATE aidis.session_deltas d SET project_id = dst.id WHERE d.session_id = sid;
  UPDATE aidis.session_activities a SET project_id = dst.id WHERE a.session_id = sid AND a.project_id = src.id;
  GET DIAGNOSTICS events = ROW_COUNT;
  UPDATE aidis.session_files f SET project_id = dst.id WHERE f.session_id = sid AND f.project_id = src.id;
  GET DIAGNOSTICS files = ROW_COUNT;
  moves := aidis._move_tracked_rows(sid, src.id, dst.id, NULL)
           || jsonb_build_object('timeline_events', events, 'files', files);
  PERFORM aidis._log_event(sid, 'project_reassigned', clock_timestamp(),
                           format('moved from project "%s" to "%s"', src.name, dst.name),
                           jsonb_build_object('from_project_id', src.id, 'from_project', src.name,
                                              'to_project_id', dst.id, 'to_project', dst.name,
                                              'moved', moves));
  PERFORM aidis._notify('reassigned', sid);
  -- Every backend forgets the session's old project when this commits.
  PERFORM aidis._invalidate_caches();  -- here too, at once
  RETURN jsonb_build_object('status', 'reassigned', 'session_id', sid, 'display_id', cur.display_id,
                            'from_project_id', src.id, 'from_project', src.name,
                            'to_project_id', dst.id, 'to_project', dst.name, 'moved', moves);
END
$$;


-- ---------------------------------------------------------------- adoption
-- Adopting an existing AIDIS database (docs/adopting.md).


-- track(): status may be any text-like type; split in two so that adopt()
-- need not recount. track() without counting the rows already there:
-- aidis.adopt() writes the sessions with those counts.
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
  IF char_length(root_directory) > 4096 THEN
    RAISE EXCEPTION 'root_directory is % characters long; at most 4096 are allowed', char_length(root_directory)
      USING ERRCODE = 'invalid_parameter_value';
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
  IF typ = 'any' THEN  -- its output function, never a cast its owner may have added
    RETURN format('pg_catalog.format(%L, t.%I)', '%s', col);
  END IF;
  RETURN format('t.%I::%s', col, typ);
END
$$;

-- A host project status as an aidis one: only an active project is a
-- candidate for new sessions; paused, completed and archived ones are archived.
CREATE FUNCTION aidis._host_project_status(status text) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN CASE WHEN status IS NULL OR lower(btrim(status)) = 'active' THEN 'active' ELSE 'archived' END;

-- A project the extension creates goes into the host's table (its trigger
-- then adds it to aidis.projects), as that table's owner in a
-- security-restricted operation (src/pg/host.cpp): the host's own triggers
-- and checks never run with the extension owner's rights.
CREATE FUNCTION aidis._host_insert_project(host regclass, id uuid, name text, root_directory text)
  RETURNS void
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'aidis_host_insert_project';

-- The columns of a host projects row that the triggers below read, through
-- adopt's checked expressions (uuid, text-like, timestamptz): no cast or
-- output function the table's owner chose runs as the extension owner, as
-- it could with to_jsonb() of the whole row.
CREATE FUNCTION aidis._host_project_fields(host regclass, r anyelement, OUT id uuid, OUT name text,
                                           OUT status text, OUT root_directory text,
                                           OUT created_at timestamptz)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  EXECUTE format('SELECT %s, %s, %s, %s, %s FROM (SELECT ($1).*) t',
                 aidis._adopt_column(host, 'id', 'uuid'), aidis._adopt_column(host, 'name', 'text'),
                 aidis._adopt_column(host, 'status', 'text', false),
                 aidis._adopt_column(host, 'root_directory', 'text', false),
                 aidis._adopt_column(host, 'created_at', 'timestamptz', false))
  INTO id, name, status, root_directory, created_at USING r;
END
$$;

-- BEFORE UPDATE OR DELETE on the adopted projects table. A disconnected
-- project refuses the host's writes; an id cannot change under its sessions;
-- a project with sessions or tracked rows cannot be deleted, because the
-- host's ON DELETE CASCADE would delete them with it.
CREATE FUNCTION aidis._host_project_check() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pid uuid := (aidis._host_project_fields(TG_RELID, OLD)).id;
  proj aidis.projects;
  t regclass;
  used boolean;
BEGIN
  SELECT * INTO proj FROM aidis.projects p WHERE p.id = pid;
  PERFORM aidis._refuse_disconnected(CASE WHEN proj.status = 'disconnected' THEN proj.name END);
  IF TG_OP = 'UPDATE' THEN
    IF (aidis._host_project_fields(TG_RELID, NEW)).id IS DISTINCT FROM pid THEN
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
    used := EXISTS (SELECT 1 FROM aidis._host_rows(t, NULL, pid));  -- read as the table's owner
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
  r record;
  changed integer;
BEGIN
  IF TG_OP = 'DELETE' THEN  -- the check let it through: nothing uses it
    DELETE FROM aidis.projects p WHERE p.id = (aidis._host_project_fields(TG_RELID, OLD)).id;
    RETURN NULL;
  END IF;
  r := aidis._host_project_fields(TG_RELID, NEW);
  INSERT INTO aidis.projects AS p (id, name, status, root_directory, created_at, updated_at)
  VALUES (r.id, r.name, aidis._host_project_status(r.status),
          r.root_directory, COALESCE(r.created_at, now()), clock_timestamp())
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
-- the rows past the per-row disconnected-project check of the session tables:
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
CREATE FUNCTION aidis._adopt_apply(host aidis.adoption) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  conflict record;
  disconnected text;
  fkey record;
  fkeys jsonb;
BEGIN
  FOR conflict IN SELECT c.key, c.value FROM jsonb_each(host.report -> 'conflicts') c
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
  PERFORM aidis._host_insert_project(host.projects, p.id, p.name, p.root_directory)
  FROM aidis.projects p
  WHERE NOT EXISTS (SELECT 1 FROM pg_temp.adopt_projects h WHERE h.id = p.id);

  -- 2. Sessions and their timelines, written with the check of the session
  -- tables off (_adopt_write): one check of their projects here instead.
  SELECT p.name INTO disconnected
  FROM aidis.projects p
  WHERE p.status = 'disconnected'
    AND p.id IN (SELECT s.project_id FROM pg_temp.adopt_sessions s)
  ORDER BY p.name LIMIT 1;
  PERFORM aidis._refuse_disconnected(disconnected, 'Host sessions of a disconnected project cannot be imported.');
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
  INTO fkeys FROM aidis._adopt_session_fkeys(host) f;
  FOR fkey IN SELECT * FROM aidis._adopt_session_fkeys(host) LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fkey.tbl, fkey.name);
  END LOOP;

  -- 6. The host tables, tracked in place. Their rows are counted already
  -- (the sessions were written with their counters).
  PERFORM aidis._track_install(r.tbl, r.kind) FROM aidis._adopt_row_tables(host) r;

  -- 7. One concept of projects from now on.
  EXECUTE format('CREATE TRIGGER zz_aidis_project_check BEFORE UPDATE OR DELETE ON %s
                  FOR EACH ROW EXECUTE FUNCTION aidis._host_project_check()', host.projects);
  EXECUTE format('CREATE TRIGGER zz_aidis_project_mirror AFTER INSERT OR UPDATE OR DELETE ON %s
                  FOR EACH ROW EXECUTE FUNCTION aidis._host_project_mirror()', host.projects);
  EXECUTE format('CREATE TRIGGER zz_aidis_project_truncate BEFORE TRUNCATE ON %s
                  FOR EACH STATEMENT EXECUTE FUNCTION aidis._host_project_truncate()', host.projects);

  INSERT INTO aidis.adoption (projects, sessions, contexts, tasks, decisions, foreign_keys, report)
  VALUES (host.projects, host.sessions, host.contexts, host.tasks, host.decisions, fkeys, host.report);
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
  host aidis.adoption;
  earlier aidis.adoption;
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

  host.projects := projects;
  host.sessions := sessions;
  host.contexts := contexts;
  host.tasks := tasks;
  host.decisions := decisions;
  PERFORM aidis._adopt_stage(host, apply);
  host.report := aidis._adopt_report(host);
  IF apply THEN
    PERFORM aidis._adopt_apply(host);
  END IF;
  DROP TABLE pg_temp.adopt_projects, pg_temp.adopt_rows, pg_temp.adopt_host_sessions,
             pg_temp.adopt_counts, pg_temp.adopt_sessions;
  RETURN host.report || jsonb_build_object('applied', apply);
END
$$;

REVOKE ALL ON FUNCTION aidis._text_like(oid), aidis._row_summary(text), aidis._estimate_tokens(text),
  aidis._adopt_column(regclass, text, text, boolean), aidis._host_project_status(text),
  aidis._host_insert_project(regclass, uuid, text, text), aidis._host_project_fields(regclass, anyelement),
  aidis._host_project_check(),
  aidis._host_project_mirror(), aidis._host_project_truncate(),
  aidis._adopt_row_tables(aidis.adoption), aidis._adopt_stage(aidis.adoption, boolean),
  aidis._adopt_session_fkeys(aidis.adoption), aidis._adopt_set(bigint, text[]),
  aidis._adopt_report(aidis.adoption), aidis._adopt_apply(aidis.adoption), aidis._adopt_write(),
  aidis._track_install(regclass, text),
  aidis.adopt(regclass, regclass, regclass, regclass, regclass, boolean)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis.adopt(regclass, regclass, regclass, regclass, regclass, boolean) TO aidis_admin;
GRANT SELECT ON aidis.adoption TO aidis_admin;
-- ---------------------------------------------------------------- bindings and pools
-- Bindings that fit pools (transaction scope, start_session's bind), the
-- project rule for stamping, and the cached current session.
CREATE FUNCTION aidis._latest_changed() RETURNS void
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'aidis_latest_changed';
REVOKE ALL ON FUNCTION aidis._latest_changed() FROM PUBLIC;
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
REVOKE ALL ON FUNCTION aidis._latest_session(uuid) FROM PUBLIC;
CREATE OR REPLACE FUNCTION aidis._resolve_session(bound uuid, autostart boolean, agent text, project uuid)
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
DROP FUNCTION aidis._bind(uuid);
CREATE FUNCTION aidis._bind(sid uuid, scope text) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF scope IN ('connection', 'transaction') THEN
    PERFORM set_config('aidis.session_id', sid::text, scope = 'transaction');
  END IF;
  PERFORM aidis._forget_cached_session();
END
$$;
REVOKE ALL ON FUNCTION aidis._bind(uuid, text) FROM PUBLIC;
CREATE FUNCTION aidis._check_bind_scope(scope text, what text) RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF scope IS NULL OR scope NOT IN ('connection', 'transaction', 'none') THEN
    RAISE EXCEPTION 'invalid % "%"', what, aidis._clip(scope)  -- not all of a long value
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''connection'', ''transaction'' or ''none''.';
  END IF;
END
$$;
REVOKE ALL ON FUNCTION aidis._check_bind_scope(text, text) FROM PUBLIC;
DROP FUNCTION aidis.start_session(text, text, text, text, text, text, boolean);
CREATE FUNCTION aidis.start_session(agent text DEFAULT NULL, project text DEFAULT NULL,
                                    title text DEFAULT NULL, goal text DEFAULT NULL,
                                    ai_model text DEFAULT NULL, client_key text DEFAULT NULL,
                                    force_new boolean DEFAULT false, bind text DEFAULT 'connection')
  RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  who text;
  pid uuid;
  existing aidis.session_base;
  sid uuid;
  display text;
  started timestamptz := clock_timestamp();
  result aidis.sessions;
BEGIN
  PERFORM aidis._check_bind_scope(bind, 'bind');
  IF char_length(btrim(agent)) > 200 THEN
    RAISE EXCEPTION 'agent is % characters long; at most 200 are allowed', char_length(btrim(agent))
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF char_length(ai_model) > 200 THEN
    RAISE EXCEPTION 'ai_model is % characters long; at most 200 are allowed', char_length(ai_model)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF char_length(client_key) > 200 THEN
    RAISE EXCEPTION 'client_key is % characters long; at most 200 are allowed', char_length(client_key)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  who := aidis.normalize_agent(COALESCE(NULLIF(btrim(agent), ''),
                                        NULLIF(current_setting('application_name', true), ''),
                                        'unknown'));
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
  IF FOUND THEN  -- resuming or superseding it changes it
    PERFORM aidis._check_may_change(existing.id);
  END IF;

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
    PERFORM aidis._bind(existing.id, bind);
    PERFORM aidis._latest_changed();
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
                                  started_at, last_activity_at, created_at, updated_at, started_by)
  VALUES (display, COALESCE(start_session.title, display), NULLIF(start_session.goal, ''), pid, who,
          NULLIF(start_session.ai_model, ''), start_session.client_key,
          started, started, started, started, pg_get_userbyid(aidis._connection_role()))
  RETURNING id INTO sid;
  PERFORM aidis._log_event(sid, 'session_started', started, 'session started',
                           jsonb_build_object('agent', who, 'project_id', pid));
  PERFORM aidis._notify('started', sid);
  PERFORM aidis._bind(sid, bind);
  PERFORM aidis._latest_changed();
  SELECT * INTO result FROM aidis.sessions s WHERE s.id = sid;
  RETURN result;
END
$$;
REVOKE ALL ON FUNCTION aidis.start_session(text, text, text, text, text, text, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis.start_session(text, text, text, text, text, text, boolean, text) TO aidis_writer;
DROP FUNCTION aidis.use_session(text);
CREATE FUNCTION aidis.use_session(s text, scope text DEFAULT 'connection') RETURNS aidis.sessions
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
  PERFORM aidis._check_bind_scope(scope, 'scope');
  sid := aidis._find_session(s);
  PERFORM aidis._check_may_change(sid);
  SELECT * INTO result FROM aidis.sessions x WHERE x.id = sid;
  IF result.status <> 'active' THEN
    RAISE EXCEPTION 'session % is not active (%)', result.display_id, result.status
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Start a new session with aidis.start_session().';
  END IF;
  PERFORM aidis._bind(sid, scope);
  RETURN result;
END
$$;
REVOKE ALL ON FUNCTION aidis.use_session(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis.use_session(text, text) TO aidis_writer;

-- Rule 2: explicit > most activity in the last 24 h > default > newest active > __unassigned__.
CREATE OR REPLACE FUNCTION aidis._choose_project(project text) RETURNS uuid
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pid uuid;
  busy_since timestamptz := now() - interval '24 hours';
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
    UNION SELECT b.id FROM aidis.session_base b WHERE b.last_activity_at > busy_since
    UNION SELECT d.session_id FROM aidis.session_deltas d)
  SELECT b.project_id INTO pid
  FROM recent r
  JOIN aidis.session_base b ON b.id = r.id
  JOIN aidis.projects p ON p.id = b.project_id
  CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM aidis.session_activities a
    WHERE a.session_id = b.id AND a.occurred_at > busy_since
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

-- ---------------------------------------------------------------- projects by path
-- The project whose root_directory holds a path (an MCP client's root): the
-- longest root_directory that is the path or one of its parents, on a path
-- boundary ('/home/me/shop' holds '/home/me/shop/src', not '/home/me/shopping').
-- Paths are compared as given (no . or .. resolution). Disconnected projects
-- take no sessions, so they hold nothing. All fields NULL when none does.
CREATE FUNCTION aidis.project_for_path(path text) RETURNS aidis.projects
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  found aidis.projects;
BEGIN
  IF char_length(path) > 4096 THEN
    RAISE EXCEPTION 'path is % characters long; at most 4096 are allowed', char_length(path)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF path IS NULL OR left(path, 1) <> '/' THEN
    RAISE EXCEPTION 'path must be absolute: %', COALESCE(aidis._clip(path), 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT p.* INTO found FROM aidis.projects p
  WHERE p.status <> 'disconnected' AND left(p.root_directory, 1) = '/'
    AND starts_with(rtrim(path, '/') || '/', rtrim(p.root_directory, '/') || '/')
  ORDER BY char_length(rtrim(p.root_directory, '/')) DESC, p.created_at DESC, p.id
  LIMIT 1;
  RETURN found;
END
$$;

REVOKE ALL ON FUNCTION aidis.project_for_path(text) FROM PUBLIC;
-- A read: readers, and through them writers (the MCP server) and admins.
GRANT EXECUTE ON FUNCTION aidis.project_for_path(text) TO aidis_reader;
-- ---------------------------------------------------------------- the sessions page
-- The projects a connection may see, for pickers (the sessions page, the CLI):
-- readers and writers do not see disconnected ones (as their sessions).
CREATE FUNCTION aidis.list_projects()
  RETURNS TABLE (id uuid, name text, status text, is_default boolean, root_directory text, created_at timestamptz)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT p.id, p.name, p.status, p.is_default, p.root_directory, p.created_at
  FROM aidis.projects p
  WHERE p.status <> 'disconnected' OR aidis._connection_sees_hidden()
  ORDER BY p.name, p.id
$$;

-- The per-day series behind session_stats (a chart of the period): one row
-- per calendar day of the window (the session's TimeZone), days without
-- sessions included, oldest first. Same window, project and checks as
-- session_stats.
CREATE FUNCTION aidis.session_stats_daily(period text DEFAULT 'month', project text DEFAULT NULL)
  RETURNS TABLE (day date, sessions bigint, contexts_created bigint, tasks_created bigint,
                 tasks_completed bigint, decisions_created bigint)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  scope record := aidis._stats_scope(period, project);
BEGIN
  RETURN QUERY
    SELECT d.day::date,
           count(v.id),
           COALESCE(sum(v.contexts_created), 0)::bigint,
           COALESCE(sum(v.tasks_created), 0)::bigint,
           COALESCE(sum(v.tasks_completed), 0)::bigint,
           COALESCE(sum(v.decisions_created), 0)::bigint
    FROM generate_series(scope.since::date, now()::date, interval '1 day') AS d (day)
    LEFT JOIN aidis.sessions v
      ON v.started_at >= scope.since AND v.started_at::date = d.day::date
         AND (scope.pid IS NULL OR v.project_id = scope.pid)
    GROUP BY d.day
    ORDER BY d.day;
END
$$;

REVOKE ALL ON FUNCTION aidis.list_projects(), aidis.session_stats_daily(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis.list_projects(), aidis.session_stats_daily(text, text) TO aidis_reader;
-- ---------------------------------------------------------------- retention
-- Retention and session deletion (docs/retention.md).
ALTER TABLE aidis.session_base ADD COLUMN compacted_id bigint;

-- _host_move_session moves all of a session's rows to another session
-- (aidis.delete_session), each keeping its project, uncounted.
CREATE FUNCTION aidis._host_move_session(tbl regclass, sid uuid, target uuid) RETURNS bigint
  LANGUAGE c VOLATILE STRICT
  AS 'MODULE_PATHNAME', 'aidis_host_move_session';


-- Retention: compacting the timelines of old ended sessions (docs/retention.md).
--
-- Events of an ended session older than aidis.session_retention are folded
-- into one summary event per session, project (the one each event is filed
-- under), UTC day and kind: the first event of the group becomes the summary
-- ("37 contexts added", data.rows = 37 with first_at and last_at), the
-- others go. data.rows is the shape the tracking code already gives the
-- folded entry of a big statement, so one rule counts both: an event stands
-- for COALESCE(data.rows, 1) events (check_counters, the page's timeline).
-- Lifecycle and audit events (session_*, project_reassigned, rated) stay.

-- The value of the GUC aidis.session_retention; NULL means 'infinity' (also
-- loads the library, which defines it).
CREATE FUNCTION aidis._session_retention() RETURNS interval
  LANGUAGE c STABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'aidis_session_retention';

-- "context_added", 37 -> "37 contexts added"; "task_status_changed" -> "tasks status changed".
CREATE FUNCTION aidis._folded_summary(kind text, n bigint) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN n::text || ' ' || CASE WHEN strpos(kind, '_') = 0 THEN kind
    ELSE rtrim(split_part(kind, '_', 1), 's') || 's ' || replace(substr(kind, strpos(kind, '_') + 1), '_', ' ') END;

-- Folds one session's events older than `cutoff` (its row locked by the
-- caller). Returns the events removed and the summaries written, and sets the
-- session's compacted_id: every event with a larger id may still need folding
-- (too young, or filed under a disconnected project, whose rows nothing writes).
CREATE FUNCTION aidis._compact_session(sid uuid, cutoff timestamptz, OUT removed bigint, OUT summaries bigint)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pending bigint;
BEGIN
  WITH g AS MATERIALIZED (
    SELECT min(a.id) AS keep_id, array_agg(a.id) AS ids,
           sum(COALESCE((a.data ->> 'rows')::bigint, 1))::bigint AS n,
           min(COALESCE((a.data ->> 'first_at')::timestamptz, a.occurred_at)) AS first_at,
           max(COALESCE((a.data ->> 'last_at')::timestamptz, a.occurred_at)) AS last_at,
           -- What all events of the group share is kept; the rest is summarized away.
           CASE WHEN count(DISTINCT a.entity_id) = 1 AND count(a.entity_id) = count(*) THEN min(a.entity_id) END AS entity_id,
           CASE WHEN count(DISTINCT a.data ->> 'table') = 1 AND count(a.data ->> 'table') = count(*)
                THEN min(a.data ->> 'table') END AS tbl,
           CASE WHEN count(DISTINCT a.data ->> 'context_type') = 1 AND count(a.data ->> 'context_type') = count(*)
                THEN min(a.data ->> 'context_type') END AS context_type
    FROM aidis.session_activities a
    WHERE a.session_id = sid AND a.occurred_at < cutoff
      AND a.kind NOT LIKE 'session\_%' AND a.kind NOT IN ('project_reassigned', 'rated')
      AND a.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected')
    GROUP BY a.project_id, (a.occurred_at AT TIME ZONE 'UTC')::date, a.kind
    HAVING count(*) > 1
  ), kept AS (
    UPDATE aidis.session_activities a
    SET occurred_at = g.first_at, entity_id = g.entity_id, summary = aidis._folded_summary(a.kind, g.n),
        data = jsonb_strip_nulls(jsonb_build_object('rows', g.n, 'first_at', g.first_at, 'last_at', g.last_at,
                                                    'compacted', true, 'table', g.tbl,
                                                    'context_type', g.context_type))
    FROM g
    WHERE a.session_id = sid AND a.id = g.keep_id
    RETURNING a.id
  ), gone AS (
    DELETE FROM aidis.session_activities a
    USING (SELECT unnest(g.ids) AS id, g.keep_id FROM g) x
    WHERE a.session_id = sid AND a.id = x.id AND x.id <> x.keep_id
    RETURNING a.id
  )
  SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM kept) INTO removed, summaries;

  SELECT min(a.id) INTO pending FROM aidis.session_activities a
  WHERE a.session_id = sid
    AND (a.occurred_at >= cutoff
         OR a.project_id IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected'));
  UPDATE aidis.session_base b
  SET compacted_id = COALESCE(pending - 1, (SELECT max(a.id) FROM aidis.session_activities a WHERE a.session_id = sid), 0)
  WHERE b.id = sid;
END
$$;

-- One batch of compaction, in the caller's transaction: at most `max_sessions`
-- ended sessions, each locked (SKIP LOCKED: one another compaction, a
-- deletion or an edit holds is left for the next batch). `report` carries
-- the totals from batch to batch; NULL starts a run: the cut-off is fixed
-- then. An explicit older_than is for aidis_admin; the policy (NULL) may be
-- applied by anyone granted this (the worker's role).
CREATE FUNCTION aidis._compact_batch(older_than interval, INOUT report jsonb, max_sessions integer DEFAULT 50,
                                     OUT more boolean)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  retention interval;
  cutoff timestamptz;
  sid uuid;
  done integer := 0;
  changed integer := 0;
  r record;
  removed bigint := 0;
  written bigint := 0;
BEGIN
  more := false;
  IF max_sessions IS NULL OR max_sessions NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION 'max_sessions must be between 1 and 1000, not %', max_sessions
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF report IS NULL THEN
    IF older_than IS NOT NULL AND NOT pg_has_role(aidis._connection_role(), 'aidis_admin', 'USAGE') THEN
      RAISE EXCEPTION 'only an aidis_admin may choose the age to compact'
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Call aidis.compact_activity() without an argument to apply aidis.session_retention.';
    END IF;
    IF older_than IS NOT NULL AND older_than <= interval '0' THEN
      RAISE EXCEPTION 'older_than must be a positive interval, not %', older_than
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    retention := COALESCE(older_than, aidis._session_retention());
    report := jsonb_build_object('older_than', COALESCE(retention::text, 'infinity'),
                                 'cutoff', clock_timestamp() - retention,
                                 'sessions_examined', 0, 'sessions', 0, 'events_removed', 0, 'summaries', 0);
    IF retention IS NULL THEN  -- 'infinity': keep everything
      RETURN;
    END IF;
  END IF;
  cutoff := (report ->> 'cutoff')::timestamptz;
  IF cutoff IS NULL THEN
    RETURN;
  END IF;
  -- A report handed back by the caller: its cut-off must be one the caller
  -- may choose (a writer: no later than the policy's, anyone: in the past).
  retention := aidis._session_retention();
  IF cutoff >= clock_timestamp() OR (NOT pg_has_role(aidis._connection_role(), 'aidis_admin', 'USAGE')
                                     AND (retention IS NULL OR cutoff > clock_timestamp() - retention)) THEN
    RAISE EXCEPTION 'cut-off % is not one this role may compact to', cutoff
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Call aidis.compact_activity() without an argument to apply aidis.session_retention.';
  END IF;
  FOR sid IN
    SELECT b.id FROM aidis.session_base b
    WHERE b.status <> 'active' AND b.started_at < cutoff
      AND b.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected')
      AND (EXISTS (SELECT 1 FROM aidis.session_activities a
                   WHERE a.session_id = b.id AND a.id > COALESCE(b.compacted_id, 0))
           -- work not folded yet, whose events may be below compacted_id (_fold_deltas)
           OR EXISTS (SELECT 1 FROM aidis.session_deltas d WHERE d.session_id = b.id))
    ORDER BY b.started_at, b.id
    LIMIT max_sessions + 1
    FOR UPDATE SKIP LOCKED
  LOOP
    IF done = max_sessions THEN
      more := true;
      EXIT;
    END IF;
    -- What readers show of an ended session is stored when it ends; a
    -- session ended before those were stored gets them now, from the whole timeline.
    UPDATE aidis.session_base b
    SET active_seconds = aidis._active_seconds(b.id, b.started_at, b.ended_at, b.last_activity_at)
    WHERE b.id = sid AND b.active_seconds IS NULL;
    IF (SELECT b.score_breakdown ->> 'version' FROM aidis.session_base b WHERE b.id = sid)
       IS DISTINCT FROM aidis._score_version() THEN
      PERFORM aidis._store_score(sid);
    END IF;
    r := aidis._compact_session(sid, cutoff);
    removed := removed + r.removed;
    written := written + r.summaries;
    done := done + 1;
    changed := changed + (r.summaries > 0)::integer;
  END LOOP;
  report := report || jsonb_build_object('sessions_examined', (report ->> 'sessions_examined')::bigint + done,
                                         'sessions', (report ->> 'sessions')::bigint + changed,
                                         'events_removed', (report ->> 'events_removed')::bigint + removed,
                                         'summaries', (report ->> 'summaries')::bigint + written);
END
$$;

-- compact_activity(older_than): the whole run, committing after each batch so
-- that no lock is held for long. A procedure with transaction control can
-- have neither SECURITY DEFINER nor a SET clause, so this one only loops;
-- _compact_batch does the work. Every name in it is qualified. CALL it
-- outside a transaction block; `report` says what it folded.
CREATE PROCEDURE aidis.compact_activity(older_than interval DEFAULT NULL, INOUT report jsonb DEFAULT NULL)
  LANGUAGE plpgsql
AS $$
DECLARE
  more boolean := true;
BEGIN
  report := NULL;
  WHILE more LOOP
    SELECT b.report, b.more INTO report, more FROM aidis._compact_batch(older_than, report) b;
    COMMIT;
  END LOOP;
END
$$;

-- Deleting a session without losing its work (docs/retention.md), confirmed
-- with a token like a project reassignment (66_api_reassign.sql).
--
-- The session row goes; everything it holds moves to the receiving session:
-- the active session of its project (the most recently active one), else the
-- project's holder session "__unassigned__", an ended session created for
-- this. Tracked rows (host tables too, moved as their owner), timeline
-- events and files move, each keeping the project it is filed under; every
-- counter is added to the receiving session's; its timeline gets a
-- session_deleted event saying what came.

-- The project's holder session (agent 'aidis', client_key '__unassigned__'),
-- created ended on first use. Only aidis_admin may change it (started_by).
CREATE FUNCTION aidis._holder_session(pid uuid) RETURNS uuid
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
  at timestamptz := clock_timestamp();
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('aidis_sessions.holder'), hashtext(pid::text));
  SELECT b.id INTO sid FROM aidis.session_base b
  WHERE b.project_id = pid AND b.agent = 'aidis' AND b.client_key = '__unassigned__'
  ORDER BY b.started_at, b.id LIMIT 1;
  IF FOUND THEN
    RETURN sid;
  END IF;
  INSERT INTO aidis.session_base (display_id, title, description, project_id, agent, client_key, status,
                                  end_reason, started_at, last_activity_at, ended_at, created_at, updated_at,
                                  active_seconds, started_by)
  VALUES (aidis._next_display_id(at), '__unassigned__',
          'Holds the work of deleted sessions of this project that had no active session to go to.',
          pid, 'aidis', '__unassigned__', 'inactive', 'ended', at, at, at, at, at, 0, 'aidis_admin')
  RETURNING id INTO sid;
  RETURN sid;
END
$$;

-- Where a deletion of `sid` sends its work: the project's active session, else its holder (NULL: not created yet).
CREATE FUNCTION aidis._deletion_target(sid uuid, pid uuid) RETURNS uuid
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT COALESCE(
    (SELECT l.session_id FROM aidis._latest_session(pid) l),
    (SELECT b.id FROM aidis.session_base b
     WHERE b.project_id = pid AND b.agent = 'aidis' AND b.client_key = '__unassigned__' AND b.id <> sid
     ORDER BY b.started_at, b.id LIMIT 1))
$$;


-- A confirmation token of a two-step change (reassign_project,
-- delete_session): the time of issue, then a digest under the secret of the
-- change's purpose, its parts and that time.
CREATE FUNCTION aidis._confirm_token(purpose text, issued bigint, VARIADIC parts text[]) RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT issued::text || '.' ||
         left(encode(sha256(k.secret || convert_to(concat_ws('|', VARIADIC purpose || parts || issued::text),
                                                     'UTF8')), 'hex'), 32)
  FROM aidis.api_secret k
$$;


CREATE FUNCTION aidis._token_issued(token text, call text) RETURNS bigint
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF token !~ '^[0-9]{1,12}\.[0-9a-f]{32}$' THEN
    RAISE EXCEPTION 'malformed confirmation token' USING ERRCODE = 'invalid_parameter_value',
      HINT = format('Call %s without a token to get one.', call);
  END IF;
  RETURN split_part(token, '.', 1)::bigint;
END
$$;

CREATE FUNCTION aidis._check_confirmation(token text, expected text, issued bigint, what text, why text,
                                          call text) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF token <> expected THEN
    RAISE EXCEPTION 'confirmation token does not match %', what
      USING ERRCODE = 'invalid_parameter_value', DETAIL = why,
            HINT = format('Call %s without a token to get a new one.', call);
  END IF;
  IF issued + 600 < extract(epoch FROM clock_timestamp()) THEN
    RAISE EXCEPTION 'confirmation token expired at %', to_timestamp(issued + 600)
      USING ERRCODE = 'invalid_parameter_value', HINT = format('Call %s without a token to get a new one.', call);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION aidis._token_issued(text, text), aidis._check_confirmation(text, text, bigint, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aidis._confirm_token(text, bigint, text[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION aidis._reassign_token(sid uuid, source uuid, target uuid, state timestamptz, issued bigint)
  RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._confirm_token('aidis.reassign_project.v1', issued, sid::text, source::text, target::text,
                              extract(epoch FROM state)::text)
$$;

-- The token: a digest of the session, where its work goes, and its state
-- (updated_at, activity count, last event): any change since asks for a new one.
CREATE FUNCTION aidis._delete_token(sid uuid, target uuid, state text, issued bigint) RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._confirm_token('aidis.delete_session.v1', issued, sid::text, COALESCE(target::text, 'holder'), state)
$$;

CREATE FUNCTION aidis._deletion_state(sid uuid) RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT concat_ws('|', extract(epoch FROM s.updated_at), s.activity_count,
                   (SELECT max(a.id) FROM aidis.session_activities a WHERE a.session_id = sid),
                   s.files_touched)
  FROM aidis.sessions s WHERE s.id = sid
$$;

CREATE FUNCTION aidis.delete_session(s text, confirm text DEFAULT NULL) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
  cur aidis.sessions;
  target uuid;
  dst aidis.session_base;
  pname text;
  token text := NULLIF(btrim(confirm), '');
  issued bigint;
  moves jsonb;
  moved jsonb;
  events bigint;
  files bigint;
BEGIN
  IF s IS NULL THEN  -- never "the current session": that one is active anyway
    RAISE EXCEPTION 'delete_session needs a session' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  sid := aidis._find_session(s);
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  IF token IS NOT NULL THEN
    -- The project (FOR SHARE, like reassign_project), then the session.
    PERFORM 1 FROM aidis.projects p JOIN aidis.session_base b ON b.project_id = p.id
    WHERE b.id = sid FOR SHARE OF p;
    PERFORM 1 FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  END IF;
  SELECT * INTO cur FROM aidis.sessions x WHERE x.id = sid;
  SELECT p.name INTO pname FROM aidis.projects p WHERE p.id = cur.project_id;
  PERFORM aidis._refuse_if_disconnected(cur.project_id);
  IF cur.status = 'active' THEN
    RAISE EXCEPTION 'session % is active', cur.display_id
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Its client may still be writing to it.',
            HINT = 'End it first with aidis.end_session().';
  END IF;
  target := aidis._deletion_target(sid, cur.project_id);
  IF target IS NULL AND cur.agent = 'aidis' AND cur.client_key = '__unassigned__' THEN
    RAISE EXCEPTION 'session % holds the work of deleted sessions of project "%"', cur.display_id, pname
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'It can be deleted while the project has an active session to receive it.';
  END IF;

  IF token IS NULL THEN
    issued := floor(extract(epoch FROM clock_timestamp()))::bigint;
    moves := aidis._session_row_counts(sid);
    SELECT * INTO dst FROM aidis.session_base b WHERE b.id = target;
    RETURN jsonb_build_object(
      'status', 'confirmation_required',
      'warning', format('Session %s will be deleted. Everything it holds (contexts: %s, tasks: %s, decisions: %s, '
                        'timeline events: %s, files: %s) and its counters move to %s.',
                        cur.display_id, moves ->> 'contexts', moves ->> 'tasks', moves ->> 'decisions',
                        moves ->> 'timeline_events', moves ->> 'files',
                        CASE WHEN target IS NULL THEN format('a new session "__unassigned__" of project "%s"', pname)
                             ELSE format('session %s ("%s")', dst.display_id, dst.title) END),
      'hint', 'To apply, call aidis.delete_session again with confirm => the token, within 10 minutes.',
      'confirm', aidis._delete_token(sid, target, aidis._deletion_state(sid), issued),
      'expires_at', to_timestamp(issued + 600),
      'session_id', sid, 'display_id', cur.display_id, 'project_id', cur.project_id, 'project', pname,
      'to_session_id', target, 'to_display_id', dst.display_id,
      'moves', moves);
  END IF;

  issued := aidis._token_issued(token, 'aidis.delete_session(s)');
  PERFORM aidis._check_confirmation(
    token, aidis._delete_token(sid, target, aidis._deletion_state(sid), issued), issued, 'this deletion',
    'It was issued for another session, the session or the session receiving its work changed since (or the token was already used).',
    'aidis.delete_session(s)');

  -- Apply.
  target := COALESCE(target, aidis._holder_session(cur.project_id));
  SELECT * INTO dst FROM aidis.session_base b WHERE b.id = target FOR UPDATE;
  -- Tracked rows (66_api_reassign.sql): the counters move below, all at once.
  moved := aidis._move_tracked_rows(sid, NULL, NULL, target);
  UPDATE aidis.session_activities a SET session_id = target WHERE a.session_id = sid;
  GET DIAGNOSTICS events = ROW_COUNT;
  INSERT INTO aidis.session_files AS f (session_id, path, project_id, mentions, modifications, loc_added,
                                        loc_removed, first_at, last_at)
  SELECT target, x.path, x.project_id, x.mentions, x.modifications, x.loc_added, x.loc_removed, x.first_at, x.last_at
  FROM aidis.session_files x WHERE x.session_id = sid
  ON CONFLICT (session_id, path) DO UPDATE
  SET mentions = f.mentions + excluded.mentions, modifications = f.modifications + excluded.modifications,
      loc_added = f.loc_added + excluded.loc_added, loc_removed = f.loc_removed + excluded.loc_removed,
      first_at = LEAST(f.first_at, excluded.first_at), last_at = GREATEST(f.last_at, excluded.last_at);
  GET DIAGNOSTICS files = ROW_COUNT;
  DELETE FROM aidis.session_files x WHERE x.session_id = sid;
  DELETE FROM aidis.session_deltas d WHERE d.session_id = sid;
  -- An imported session's count of rows this database lacks (72_export.sql)
  -- goes with its counters, so that check_counters() still holds.
  INSERT INTO aidis.session_imports AS i (session_id, contexts, tasks, decisions, version)
  SELECT target, x.contexts, x.tasks, x.decisions, x.version FROM aidis.session_imports x WHERE x.session_id = sid
  ON CONFLICT (session_id) DO UPDATE
  SET contexts = i.contexts + excluded.contexts, tasks = i.tasks + excluded.tasks,
      decisions = i.decisions + excluded.decisions, version = GREATEST(i.version, excluded.version);
  DELETE FROM aidis.session_imports x WHERE x.session_id = sid;
  DELETE FROM aidis.session_base b WHERE b.id = sid;
  -- Its counters (folded and pending, read before the delete) join the
  -- receiver's: every counter a delta carries (the bigint columns of
  -- session_deltas, which the fold adds the same way).
  EXECUTE (SELECT format($sql$
             UPDATE aidis.session_base b SET %s,
               -- The holder spans the work it holds.
               started_at = CASE WHEN b.client_key = '__unassigned__' AND b.agent = 'aidis'
                                 THEN LEAST(b.started_at, ($1).started_at) ELSE b.started_at END,
               compacted_id = NULL,  -- the moved events are looked at again
               updated_at = clock_timestamp()
             WHERE b.id = $2 $sql$,
             string_agg(format('%1$I = b.%1$I + ($1).%1$I', a.attname), ', ' ORDER BY a.attnum))
           FROM pg_attribute a
           WHERE a.attrelid = 'aidis.session_deltas'::regclass AND a.attnum > 0 AND NOT a.attisdropped
             AND a.atttypid = 'bigint'::regtype)
    USING cur, target;

  moves := moved || jsonb_build_object('timeline_events', events, 'files', files);
  PERFORM aidis._log_event(target, 'session_deleted', clock_timestamp(),
                           format('session %s "%s" deleted; its work moved here', cur.display_id, cur.title),
                           jsonb_build_object('session_id', sid, 'display_id', cur.display_id, 'title', cur.title,
                                              'agent', cur.agent, 'started_at', cur.started_at,
                                              'ended_at', cur.ended_at, 'moved', moves,
                                              'counters', jsonb_build_object(
                                                'contexts_created', cur.contexts_created,
                                                'tasks_created', cur.tasks_created,
                                                'tasks_completed', cur.tasks_completed,
                                                'tasks_reopened', cur.tasks_reopened,
                                                'decisions_created', cur.decisions_created,
                                                'activity_count', cur.activity_count)));
  PERFORM pg_notify('aidis_sessions', json_build_object(
            'event', 'deleted', 'session_id', sid, 'display_id', cur.display_id, 'project_id', cur.project_id,
            'agent', cur.agent, 'moved_to', target, 'at', clock_timestamp())::text);
  PERFORM aidis._notify('received', target);
  PERFORM aidis._invalidate_caches();  -- here too, at once
  RETURN jsonb_build_object('status', 'deleted', 'session_id', sid, 'display_id', cur.display_id,
                            'to_session_id', target, 'to_display_id', dst.display_id, 'moved', moves);
END
$$;

REVOKE ALL ON FUNCTION aidis._host_move_session(regclass, uuid, uuid), aidis._session_retention(),
  aidis._folded_summary(text, bigint), aidis._compact_session(uuid, timestamptz),
  aidis._compact_batch(interval, jsonb, integer), aidis._holder_session(uuid),
  aidis._deletion_target(uuid, uuid), aidis._delete_token(uuid, uuid, text, bigint),
  aidis._deletion_state(uuid), aidis.delete_session(text, text) FROM PUBLIC;
-- Retention (70_retention.sql): the policy's compaction may be run by the
-- worker's role; an explicit age is checked for aidis_admin inside. REVOKE
-- ... ALL FUNCTIONS does not cover procedures: revoked here.
REVOKE ALL ON PROCEDURE aidis.compact_activity(interval, jsonb) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE aidis.compact_activity(interval, jsonb) TO aidis_writer, aidis_admin;
GRANT EXECUTE ON FUNCTION aidis._compact_batch(interval, jsonb, integer) TO aidis_writer, aidis_admin;
GRANT EXECUTE ON FUNCTION aidis._session_retention() TO aidis_reader;
-- Deleting a session (71_delete_session.sql).
GRANT EXECUTE ON FUNCTION aidis.delete_session(text, text) TO aidis_admin;

COMMENT ON FUNCTION aidis.enable_cron(text) IS
  'Schedule the idle-session sweep (job aidis_expire_idle_sessions, returned) and the daily compaction (job aidis_compact_activity) with pg_cron';

-- True when a job was removed; false when none was scheduled (also when
-- pg_cron is absent: nothing can be scheduled then), so teardown scripts can
-- call it unconditionally.
CREATE OR REPLACE FUNCTION aidis.disable_cron() RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
    RETURN false;
  END IF;
  -- cron.unschedule(name) raises when there is no such job: check first.
  -- (Jobs are per user; these functions always act as their owner.)
  IF EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'aidis_compact_activity' AND username = current_user) THEN
    PERFORM cron.unschedule('aidis_compact_activity');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM cron.job
                 WHERE jobname = 'aidis_expire_idle_sessions' AND username = current_user) THEN
    RETURN false;
  END IF;
  RETURN cron.unschedule('aidis_expire_idle_sessions');
END
$$;

COMMENT ON FUNCTION aidis.disable_cron() IS
  'Remove the pg_cron jobs created by aidis.enable_cron(); false when there was no sweep job';

-- ---------------------------------------------------------------- export and import
-- Export and import of sessions (72_export.sql, 73_import.sql); check_counters
-- counts the rows an import did not find.
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


REVOKE ALL ON TABLE aidis.session_imports FROM PUBLIC;
REVOKE ALL ON FUNCTION aidis._host_ids(regclass, uuid), aidis._export_rows(uuid), aidis._export_doc(uuid),
  aidis.session_export(text), aidis._export_filter(text, text, text),
  aidis.export_sessions(text, text, text, timestamptz), aidis.session_import(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  aidis.session_export(text),
  aidis.export_sessions(text, text, text, timestamptz),
  aidis._export_doc(uuid),
  aidis._export_filter(text, text, text),
  aidis._export_rows(uuid)
  TO aidis_reader;
GRANT EXECUTE ON FUNCTION aidis.session_import(jsonb) TO aidis_admin;
-- pg_trgm is no longer needed: the detector computes its measure in C++, and
-- the helper that exposed it for the tests goes (an upgraded installation
-- keeps pg_trgm installed; nothing of this extension uses it).
DROP FUNCTION aidis._trigram_similarity(text, text);

-- Clients show what the database computes: a session row as clients show it,
-- the score's label, the project's root directory in the details.
CREATE FUNCTION aidis.score_label(score numeric) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN score IS NULL THEN NULL
              WHEN score >= 80 THEN 'Excellent session'
              WHEN score >= 60 THEN 'Good session'
              WHEN score >= 40 THEN 'Decent session'
              ELSE 'Room for improvement' END;

CREATE FUNCTION aidis.session_card(s aidis.sessions) RETURNS jsonb
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT to_jsonb(s) || jsonb_build_object(
    'project_name', (SELECT p.name FROM aidis.projects p WHERE p.id = s.project_id),
    'wall_seconds', aidis._wall_seconds(s.started_at, s.ended_at),
    'score_label', aidis.score_label(s.score::numeric),
    'resumed', s.updated_at > s.created_at)
$$;

CREATE OR REPLACE FUNCTION aidis.session_details(s text DEFAULT NULL) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._session_to_read(s);
  v aidis.sessions;
  proj aidis.projects;
  sc record;
  files jsonb;
BEGIN
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
    'project_root_directory', proj.root_directory,
    'wall_seconds', aidis._wall_seconds(v.started_at, v.ended_at),
    'active_seconds', aidis._shown_active_seconds(sid, v.started_at, v.ended_at, v.last_activity_at,
                                                  (SELECT b.active_seconds FROM aidis.session_base b WHERE b.id = sid)),
    'top_files', files,
    'score', sc.breakdown -> 'score',
    'score_label', aidis.score_label((sc.breakdown ->> 'score')::numeric),
    'score_breakdown', sc.breakdown,
    'score_source', sc.source);
END
$$;

REVOKE ALL ON FUNCTION aidis.score_label(numeric), aidis.session_card(aidis.sessions) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis.score_label(numeric), aidis.session_card(aidis.sessions) TO aidis_reader;

-- A keyword argument, in any case and trimmed, that must be one of `allowed`
-- (lower case): returns it in lower case. Anything else is 22023, with the
-- argument's name and the words it may be.
CREATE FUNCTION aidis._keyword(val text, what text, allowed text[]) RETURNS text
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  word text := lower(btrim(val));
  n integer := cardinality(allowed);
BEGIN
  IF word IS NULL OR NOT word = ANY (allowed) THEN
    RAISE EXCEPTION 'invalid % "%"', what, COALESCE(aidis._clip(val), 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = format('Use %s or %s.', array_to_string(allowed[1:n - 1], ', '), allowed[n]);
  END IF;
  RETURN word;
END
$$;

-- One definition of the status filter.
CREATE FUNCTION aidis._wanted_status(status text) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN CASE WHEN btrim(status) <> ''
              THEN aidis._keyword(status, 'status', ARRAY['active', 'inactive', 'disconnected']) END;

REVOKE ALL ON FUNCTION aidis._keyword(text, text, text[]), aidis._wanted_status(text)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis._keyword(text, text, text[]), aidis._wanted_status(text)
  TO aidis_reader;

-- Every kind of timeline entry, in one place (a CHECK, as a fresh install has it).
ALTER TABLE aidis.session_activities ADD CONSTRAINT session_activities_kind CHECK (kind IN (
    'session_started', 'session_resumed', 'session_updated', 'session_ended', 'session_timeout',
    'session_deleted', 'project_reassigned', 'rated',
    'context_added', 'context_deleted', 'task_created', 'task_completed', 'task_reopened',
    'task_status_changed', 'task_deleted', 'decision_made', 'decision_deleted',
    'tokens_recorded', 'file_touched'));

-- One place makes display ids.
-- The display id of a session: SES-<year>-<number of that year>, the number
-- zero-padded to at least four digits (the format sessions_display_id_format
-- checks). Every id the extension makes comes from here.
CREATE FUNCTION aidis._format_display_id(y integer, n bigint) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN format('SES-%s-%s', y, lpad(n::text, greatest(4, length(n::text)), '0'));
REVOKE ALL ON FUNCTION aidis._format_display_id(integer, bigint) FROM PUBLIC;

CREATE OR REPLACE FUNCTION aidis._next_display_id(at timestamptz) RETURNS text
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

-- "guard" is the C++ boundary; the disconnected-project check of the session
-- tables is named for what it checks.
ALTER FUNCTION aidis._guard_row() RENAME TO _writable_row;
CREATE OR REPLACE FUNCTION aidis._writable_row() RETURNS trigger
  LANGUAGE c AS 'MODULE_PATHNAME', 'aidis_writable_row';
DO $writable$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['aidis.session_base', 'aidis.session_deltas',
                           'aidis.session_activities', 'aidis.session_files'] LOOP
    EXECUTE format('ALTER TRIGGER zz_aidis_guard ON %s RENAME TO zz_aidis_writable', t);
    EXECUTE format('ALTER TRIGGER zz_aidis_guard_truncate ON %s RENAME TO zz_aidis_writable_truncate', t);
  END LOOP;
END
$writable$;

-- One refusal of writes into a disconnected project.
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
REVOKE ALL ON FUNCTION aidis._refuse_disconnected(text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION aidis._refuse_if_disconnected(pid uuid) RETURNS void
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._refuse_disconnected(
    (SELECT p.name FROM aidis.projects p WHERE p.id = pid AND p.status = 'disconnected'))
$$;

CREATE OR REPLACE FUNCTION aidis.session_contexts(s text DEFAULT NULL, lim integer DEFAULT 50, off integer DEFAULT 0)
  RETURNS SETOF aidis.contexts LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM aidis._session_rows(NULL::aidis.contexts, s, lim, off) $$;

CREATE OR REPLACE FUNCTION aidis.session_tasks(s text DEFAULT NULL, lim integer DEFAULT 50, off integer DEFAULT 0)
  RETURNS SETOF aidis.tasks LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM aidis._session_rows(NULL::aidis.tasks, s, lim, off) $$;

CREATE OR REPLACE FUNCTION aidis.session_decisions(s text DEFAULT NULL, lim integer DEFAULT 50, off integer DEFAULT 0)
  RETURNS SETOF aidis.decisions LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM aidis._session_rows(NULL::aidis.decisions, s, lim, off) $$;

-- session_timeline and session_brief find their session as the other readers do.
CREATE OR REPLACE FUNCTION aidis.session_timeline(s text DEFAULT NULL, lim integer DEFAULT 500, after_id bigint DEFAULT 0)
  RETURNS TABLE (id bigint, occurred_at timestamptz, kind text, summary text, entity_id text, data jsonb)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
BEGIN
  IF after_id < 0 THEN
    RAISE EXCEPTION 'after_id must not be negative, not %', after_id USING ERRCODE = 'invalid_parameter_value';
  END IF;
  sid := aidis._session_to_read(s, lim, NULL, 10000);
  RETURN QUERY
    SELECT a.id, a.occurred_at, a.kind, a.summary, a.entity_id, a.data
    FROM aidis.session_activities a
    WHERE a.session_id = sid AND a.id > COALESCE(after_id, 0)
    ORDER BY a.id
    LIMIT COALESCE(lim, 500);
END
$$;

CREATE OR REPLACE FUNCTION aidis.session_brief(s text DEFAULT NULL) RETURNS jsonb
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT jsonb_build_object(
    'session', jsonb_build_object(
      'id', v.id, 'display_id', v.display_id, 'title', v.title, 'goal', v.goal, 'tags', v.tags,
      'status', v.status, 'project_id', v.project_id,
      'project_name', (SELECT p.name FROM aidis.projects p WHERE p.id = v.project_id),
      'agent', v.agent, 'ai_model', v.ai_model, 'started_at', v.started_at,
      'last_activity_at', v.last_activity_at, 'ended_at', v.ended_at,
      'contexts_created', v.contexts_created, 'tasks_created', v.tasks_created,
      'tasks_completed', v.tasks_completed, 'decisions_created', v.decisions_created),
    'previous_session', (
      SELECT jsonb_build_object(
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
            ORDER BY a.id DESC LIMIT 5) e))
      FROM aidis.sessions prev
      WHERE prev.id IN (SELECT b.id FROM aidis.session_base b
                        WHERE b.project_id = v.project_id AND b.id <> v.id
                          AND (b.started_at, b.id) < (v.started_at, v.id)
                        ORDER BY b.started_at DESC, b.id DESC LIMIT 1)),
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
                               ORDER BY x.created_at DESC, x.id LIMIT 10) d))
  FROM aidis.sessions v
  WHERE v.id = (SELECT aidis._session_to_read(s))  -- (found once, then read by its key)
$$;
