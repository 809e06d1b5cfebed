-- pgTAP: one list of counters. The counters are the bigint columns of
-- aidis.session_deltas (10_tables.sql); every other place that names them
-- all (the base table, the view, list_sessions' rows, the fold, the readers
-- that sum or compare them) must name each one, so a counter added there and
-- forgotten elsewhere fails here. The deletion that moves them reads the
-- list from session_deltas: every counter must reach the receiving session.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
CREATE TEMP TABLE counters AS
SELECT a.attname::text AS name FROM pg_attribute a
WHERE a.attrelid = 'aidis.session_deltas'::regclass AND a.attnum > 0 AND NOT a.attisdropped
  AND a.atttypid = 'bigint'::regtype;
CREATE TEMP TABLE places (what text, names text[]);
INSERT INTO places
SELECT 'table ' || c::text, array_agg(a.attname::text)
FROM unnest(ARRAY['aidis.session_base'::regclass, 'aidis.sessions'::regclass]) c
JOIN pg_attribute a ON a.attrelid = c AND a.attnum > 0 AND NOT a.attisdropped GROUP BY c
UNION ALL
SELECT 'type aidis.session_summary', array_agg(a.attname::text)
FROM pg_attribute a WHERE a.attrelid = (SELECT t.typrelid FROM pg_type t WHERE t.oid = 'aidis.session_summary'::regtype)
  AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text, regexp_split_to_array(p.prosrc, '[^a-z_]+')
FROM pg_proc p
WHERE p.oid IN ('aidis._fold_deltas()'::regprocedure, 'aidis.list_sessions(text,text,text,integer,integer)'::regprocedure,
                'aidis.session_stats(text,text)'::regprocedure, 'aidis.compare_sessions(text,text)'::regprocedure);

SELECT plan(3 + (SELECT count(*)::int FROM places));
SELECT cmp_ok((SELECT count(*)::int FROM counters), '>=', 13, 'session_deltas holds the counters');
SELECT is((SELECT count(*)::int FROM places), 7, 'every place that names all the counters is checked');
SELECT is(ARRAY(SELECT c.name FROM counters c WHERE c.name <> ALL (COALESCE(p.names, '{}')) ORDER BY 1), '{}'::text[],
          p.what || ' names every counter of session_deltas')
FROM places p ORDER BY p.what;

-- delete_session: an ended session with every counter set, each to its own
-- value, deleted into the project's active session.
SELECT name FROM aidis.create_project('tap-counter-list') \gset
SELECT id AS gone FROM aidis.start_session(agent => 'tap-counter-list', client_key => 'gone',
                                           project => 'tap-counter-list', force_new => true) \gset
SELECT status FROM aidis.end_session(:'gone') \gset
SELECT id AS keep FROM aidis.start_session(agent => 'tap-counter-list', client_key => 'keep',
                                           project => 'tap-counter-list', force_new => true) \gset
SELECT format('UPDATE aidis.session_base SET %s WHERE id = %L',
              string_agg(format('%I = %s', c.name, 1000 + 7 * c.n), ', '), :'gone') AS set_counters
FROM (SELECT name, row_number() OVER (ORDER BY name) AS n FROM counters) c \gset
:set_counters;
CREATE TEMP TABLE before AS SELECT * FROM aidis.sessions WHERE id IN (:'gone', :'keep');
SELECT aidis.delete_session(:'gone', aidis.delete_session(:'gone') ->> 'confirm') ->> 'status' AS status \gset
SELECT is(ARRAY(SELECT c.name FROM counters c
                WHERE (SELECT to_jsonb(k) ->> c.name FROM aidis.sessions k WHERE k.id = :'keep')::bigint
                      IS DISTINCT FROM (SELECT (to_jsonb(b) ->> c.name)::bigint + (to_jsonb(g) ->> c.name)::bigint
                                        FROM before b, before g WHERE b.id = :'keep' AND g.id = :'gone')
                ORDER BY 1), '{}'::text[],
          'delete_session adds every counter of session_deltas to the receiving session');

SELECT * FROM finish();
ROLLBACK;
