-- pgTAP: privileges per role (docs/security.md, "Roles") and row-level
-- security on the rows of disconnected projects (rule 8).
--   aidis_reader: the read API; aidis_writer: what the MCP server needs;
--   aidis_admin: disconnect, reconnect, track; PUBLIC: nothing.
-- Each block switches role with SET LOCAL ROLE and goes back with RESET ROLE.
-- Runs in one transaction that is rolled back: it leaves nothing behind.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(183);

-- ---------------------------------------------------------------- fixture (superuser)
-- No session of an earlier test may be the current one.
UPDATE aidis.session_base SET status = 'inactive', end_reason = 'ended', ended_at = last_activity_at
WHERE status = 'active';

CREATE TEMP TABLE fx (
  p uuid,   -- project that gets disconnected
  q uuid,   -- project that stays connected
  ps uuid,  -- a session of p
  qs uuid   -- a session of q
);
GRANT SELECT ON fx TO PUBLIC;
INSERT INTO fx (p, q)
SELECT (aidis.create_project('tap-priv-p')).id, (aidis.create_project('tap-priv-q')).id;
UPDATE fx SET ps = (aidis.start_session(agent => 'tap-priv', client_key => 'p', project => 'tap-priv-p')).id;
INSERT INTO aidis.contexts (project_id, session_id, content) SELECT p, ps, 'p context' FROM fx;
INSERT INTO aidis.tasks (project_id, session_id, title) SELECT p, ps, 'p task' FROM fx;
INSERT INTO aidis.decisions (project_id, session_id, title) SELECT p, ps, 'p decision' FROM fx;
INSERT INTO aidis.session_files (session_id, project_id, path) SELECT ps, p, 'p/file.txt' FROM fx;
UPDATE fx SET qs = (aidis.start_session(agent => 'tap-priv', client_key => 'q', project => 'tap-priv-q')).id;
INSERT INTO aidis.contexts (project_id, session_id, content) SELECT q, qs, 'q context' FROM fx;
INSERT INTO aidis.tasks (project_id, session_id, title) SELECT q, qs, 'q task' FROM fx;
INSERT INTO aidis.decisions (project_id, session_id, title) SELECT q, qs, 'q decision' FROM fx;
INSERT INTO aidis.session_files (session_id, project_id, path) SELECT qs, q, 'q/file.txt' FROM fx;
-- q's session is one of the writer's role, which it may change (docs/security.md).
UPDATE aidis.session_base SET started_by = 'aidis_writer' WHERE id = (SELECT qs FROM fx);

-- The calls every role is refused, as SQL text.
CREATE TEMP TABLE calls (name text, call text);
GRANT SELECT ON calls TO PUBLIC;
INSERT INTO calls VALUES
  ('start_session',      $$SELECT aidis.start_session(agent => 'tap-priv', client_key => 'x')$$),
  ('use_session',        $$SELECT aidis.use_session((SELECT qs::text FROM fx))$$),
  ('end_session',        $$SELECT aidis.end_session((SELECT qs::text FROM fx))$$),
  ('touch',              $$SELECT aidis.touch()$$),
  ('record_usage',       $$SELECT aidis.record_usage(1, 1)$$),
  ('record_file',        $$SELECT aidis.record_file('a.txt', 1, 0)$$),
  ('create_project',     $$SELECT aidis.create_project('tap-priv-new')$$),
  ('expire_idle_sessions', $$SELECT aidis.expire_idle_sessions()$$),
  ('disconnect_project', $$SELECT aidis.disconnect_project('tap-priv-q')$$),
  ('reconnect_project',  $$SELECT aidis.reconnect_project('tap-priv-q')$$),
  ('check_counters',     $$SELECT * FROM aidis.check_counters()$$),
  ('track',              $$SELECT aidis.track('public.tap_priv_host', 'context')$$),
  ('untrack',            $$SELECT aidis.untrack('public.tap_priv_host')$$),
  ('_buffer_file',       $$SELECT aidis._buffer_file((SELECT qs FROM fx), (SELECT q FROM fx), 'forged', 1, 1)$$),
  ('_fold_deltas',       $$SELECT aidis._fold_deltas()$$),
  ('_buffer_usage',      $$SELECT aidis._buffer_usage((SELECT qs FROM fx), (SELECT q FROM fx), -5, -5, 0, 0, NULL)$$),
  ('_buffer_touch',      $$SELECT aidis._buffer_touch((SELECT qs FROM fx), (SELECT q FROM fx))$$),
  ('_close_session',     $$SELECT aidis._close_session((SELECT qs FROM fx), 'inactive', 'ended', now())$$),
  ('_log_event',         $$SELECT aidis._log_event((SELECT qs FROM fx), 'forged', now(), 'forged')$$),
  ('_bind',              $$SELECT aidis._bind((SELECT ps FROM fx), 'connection')$$),
  ('_latest_changed',    $$SELECT aidis._latest_changed()$$),
  ('_adjust_created',    $$SELECT aidis._adjust_created('aidis.contexts', 'context', 1)$$),
  ('_next_display_id',   $$SELECT aidis._next_display_id(now())$$);

-- A host table for track/untrack.
CREATE TABLE public.tap_priv_host (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);

-- ---------------------------------------------------------------- aidis_reader
SET LOCAL ROLE aidis_reader;
SELECT lives_ok(format('SELECT count(*) FROM %s', t), 'reader can SELECT ' || t)
FROM unnest(ARRAY['aidis.projects', 'aidis.sessions', 'aidis.session_activities', 'aidis.session_files',
                  'aidis.contexts', 'aidis.tasks', 'aidis.decisions']) AS t;
SELECT lives_ok($$SELECT * FROM aidis.current_session()$$, 'reader can call current_session()');
SELECT is((SELECT id FROM aidis.current_session()), (SELECT qs FROM fx),
          'reader: current_session() is the most recently started session');
SELECT lives_ok($$SELECT aidis.next_timeout_at()$$, 'reader can call next_timeout_at()');
SELECT isnt(aidis.next_timeout_at(), NULL, 'reader: next_timeout_at() has a deadline');
SELECT throws_ok($$INSERT INTO aidis.contexts (content) VALUES ('reader')$$, '42501', NULL,
                 'reader cannot INSERT into contexts (42501)');
SELECT throws_ok($$INSERT INTO aidis.tasks (title) VALUES ('reader')$$, '42501', NULL,
                 'reader cannot INSERT into tasks (42501)');
SELECT throws_ok($$INSERT INTO aidis.decisions (title) VALUES ('reader')$$, '42501', NULL,
                 'reader cannot INSERT into decisions (42501)');
SELECT throws_ok($$UPDATE aidis.contexts SET content = 'reader'$$, '42501', NULL,
                 'reader cannot UPDATE contexts (42501)');
SELECT throws_ok($$DELETE FROM aidis.tasks$$, '42501', NULL, 'reader cannot DELETE from tasks (42501)');
SELECT throws_ok($$UPDATE aidis.projects SET status = 'archived'$$, '42501', NULL,
                 'reader cannot UPDATE projects (42501)');
SELECT throws_ok(call, '42501', NULL, 'reader cannot call ' || name || ' (42501)')
FROM calls ORDER BY name;
RESET ROLE;

-- Reading must not write: whatever aidis_reader can execute, it cannot start
-- a session (aidis._current_or_new_session_id() auto-starts one).
UPDATE aidis.session_base SET status = 'inactive', end_reason = 'ended', ended_at = last_activity_at
WHERE status = 'active';
CREATE TEMP TABLE before_count AS SELECT count(*) AS n FROM aidis.session_base;
SET LOCAL ROLE aidis_reader;
DO $$
BEGIN
  PERFORM aidis._current_or_new_session_id();
EXCEPTION WHEN insufficient_privilege THEN NULL;
END
$$;
RESET ROLE;
SELECT is((SELECT count(*) FROM aidis.session_base), (SELECT n FROM before_count),
          'reader cannot start a session through aidis._current_or_new_session_id()');
-- Back to the fixture's state: q's session active again.
DELETE FROM aidis.session_base b USING before_count
WHERE b.status = 'active';
UPDATE aidis.session_base SET status = 'active', end_reason = NULL, ended_at = NULL
WHERE id = (SELECT qs FROM fx);
SELECT set_config('aidis.session_id', (SELECT qs::text FROM fx), true), aidis._forget_cached_session() \g /dev/null

-- ---------------------------------------------------------------- aidis_writer
SET LOCAL ROLE aidis_writer;
SELECT lives_ok(format('SELECT count(*) FROM %s', t), 'writer can SELECT ' || t)
FROM unnest(ARRAY['aidis.projects', 'aidis.sessions', 'aidis.session_activities', 'aidis.contexts']) AS t;
SELECT lives_ok($$SELECT aidis.create_project('tap-priv-w')$$, 'writer can create_project');
SELECT lives_ok($$SELECT aidis.start_session(agent => 'tap-priv-writer', project => 'tap-priv-w')$$,
                'writer can start_session');
SELECT is((SELECT agent FROM aidis.current_session()), 'tap-priv-writer', 'writer: the new session is current');
SELECT lives_ok($$INSERT INTO aidis.contexts (content) VALUES ('writer context')$$, 'writer can INSERT into contexts');
SELECT lives_ok($$INSERT INTO aidis.tasks (title) VALUES ('writer task')$$, 'writer can INSERT into tasks');
SELECT lives_ok($$INSERT INTO aidis.decisions (title) VALUES ('writer decision')$$, 'writer can INSERT into decisions');
SELECT is((SELECT count(*)::int FROM aidis.contexts c JOIN aidis.current_session() s ON s.id = c.session_id
           WHERE c.content = 'writer context'), 1, 'writer: the context is stamped with the current session');
SELECT lives_ok($$UPDATE aidis.tasks SET status = 'completed' WHERE title = 'writer task'$$,
                'writer can UPDATE tasks');
SELECT lives_ok($$DELETE FROM aidis.decisions WHERE title = 'writer decision'$$, 'writer can DELETE from decisions');
SELECT lives_ok($$SELECT aidis.touch()$$, 'writer can touch()');
SELECT lives_ok($$SELECT aidis.record_usage(100, 20)$$, 'writer can record_usage()');
SELECT lives_ok($$SELECT aidis.record_file('src/a.txt', 3, 1)$$, 'writer can record_file()');
SELECT lives_ok($$SELECT aidis.use_session((SELECT qs::text FROM fx))$$, 'writer can use_session()');
SELECT lives_ok($$SELECT aidis.end_session((SELECT qs::text FROM fx))$$, 'writer can end_session()');
SELECT lives_ok($$SELECT aidis.expire_idle_sessions()$$, 'writer can expire_idle_sessions()');
SELECT throws_ok(call, '42501', NULL, 'writer cannot call ' || name || ' (42501)')
FROM calls
WHERE name IN ('disconnect_project', 'reconnect_project', 'check_counters', 'track', 'untrack')
   OR name LIKE '\_%'
ORDER BY name;
-- The session tables are written only by the extension's functions.
SELECT throws_ok($$INSERT INTO aidis.session_base (display_id, title, project_id, agent)
                   SELECT 'SES-1990-0001', 'forged', q, 'tap' FROM fx$$, '42501', NULL,
                 'writer cannot INSERT into session_base (42501)');
SELECT throws_ok($$UPDATE aidis.session_base SET title = 'forged'$$, '42501', NULL,
                 'writer cannot UPDATE session_base (42501)');
SELECT throws_ok($$DELETE FROM aidis.session_base$$, '42501', NULL, 'writer cannot DELETE from session_base (42501)');
SELECT throws_ok($$UPDATE aidis.session_base SET contexts_created = 1000$$, '42501', NULL,
                 'writer cannot set counters directly (42501)');
SELECT throws_ok($$INSERT INTO aidis.session_activities (session_id, project_id, kind)
                   SELECT qs, q, 'forged' FROM fx$$, '42501', NULL,
                 'writer cannot INSERT into session_activities (42501)');
SELECT throws_ok($$UPDATE aidis.session_activities SET summary = 'forged'$$, '42501', NULL,
                 'writer cannot UPDATE session_activities (42501)');
SELECT throws_ok($$DELETE FROM aidis.session_activities$$, '42501', NULL,
                 'writer cannot DELETE from session_activities (42501)');
SELECT throws_ok($$INSERT INTO aidis.session_files (session_id, project_id, path) SELECT qs, q, 'f' FROM fx$$,
                 '42501', NULL, 'writer cannot INSERT into session_files (42501)');
SELECT throws_ok($$UPDATE aidis.session_files SET loc_added = 1000$$, '42501', NULL,
                 'writer cannot UPDATE session_files (42501)');
SELECT throws_ok($$DELETE FROM aidis.session_files$$, '42501', NULL,
                 'writer cannot DELETE from session_files (42501)');
SELECT throws_ok($$INSERT INTO aidis.session_deltas (session_id, slot, project_id, input_tokens)
                   SELECT qs, 9999, q, 1000 FROM fx$$, '42501', NULL,
                 'writer cannot INSERT into session_deltas (42501)');
SELECT throws_ok($$UPDATE aidis.session_deltas SET input_tokens = 1000$$, '42501', NULL,
                 'writer cannot UPDATE session_deltas (42501)');
SELECT throws_ok($$DELETE FROM aidis.session_deltas$$, '42501', NULL,
                 'writer cannot DELETE from session_deltas (42501)');
SELECT throws_ok($$INSERT INTO aidis.projects (name) VALUES ('forged')$$, '42501', NULL,
                 'writer cannot INSERT into projects directly (42501)');
SELECT throws_ok($$UPDATE aidis.projects SET status = 'disconnected'$$, '42501', NULL,
                 'writer cannot UPDATE projects directly (42501)');
SELECT throws_ok($$DELETE FROM aidis.projects$$, '42501', NULL, 'writer cannot DELETE projects (42501)');
SELECT throws_ok($$INSERT INTO aidis.tracked_tables (tbl, kind) VALUES ('public.tap_priv_host', 'context')$$,
                 '42501', NULL, 'writer cannot INSERT into tracked_tables (42501)');
SELECT throws_ok($$TRUNCATE aidis.contexts$$, '42501', NULL, 'writer cannot TRUNCATE contexts (42501)');
SELECT throws_ok($$TRUNCATE aidis.session_activities$$, '42501', NULL,
                 'writer cannot TRUNCATE session_activities (42501)');
RESET ROLE;

-- ---------------------------------------------------------------- aidis_admin
SET LOCAL ROLE aidis_admin;
SELECT lives_ok($$SELECT aidis.track('public.tap_priv_host', 'context')$$, 'admin can track()');
SELECT lives_ok($$SELECT aidis.untrack('public.tap_priv_host')$$, 'admin can untrack()');
SELECT lives_ok($$SELECT * FROM aidis.check_counters()$$, 'admin can check_counters()');
SELECT lives_ok($$SELECT aidis.create_project('tap-priv-a')$$, 'admin can create_project()');
SELECT lives_ok($$SELECT aidis.disconnect_project('tap-priv-a')$$, 'admin can disconnect_project()');
SELECT lives_ok($$SELECT aidis.reconnect_project('tap-priv-a')$$, 'admin can reconnect_project()');
SELECT is((SELECT status FROM aidis.projects WHERE name = 'tap-priv-a'), 'active', 'admin: reconnected project is active');
SELECT throws_ok(call, '42501', NULL, 'admin cannot call internal ' || name || ' (42501)')
FROM calls WHERE name IN ('_buffer_file', '_fold_deltas', '_buffer_usage', '_close_session', '_log_event')
ORDER BY name;
RESET ROLE;

-- ---------------------------------------------------------------- PUBLIC
-- A role with no grants at all; schema USAGE is given so that what is
-- checked is the privilege on each function and table, not on the schema.
CREATE ROLE tap_priv_nobody NOLOGIN;
GRANT USAGE ON SCHEMA aidis TO tap_priv_nobody;
SET LOCAL ROLE tap_priv_nobody;
SELECT throws_ok(call, '42501', NULL, 'PUBLIC cannot call ' || name || ' (42501)')
FROM calls ORDER BY name;
SELECT throws_ok($$SELECT * FROM aidis.current_session()$$, '42501', NULL,
                 'PUBLIC cannot call current_session() (42501)');
SELECT throws_ok(format('SELECT count(*) FROM %s', t), '42501', NULL, 'PUBLIC cannot SELECT ' || t || ' (42501)')
FROM unnest(ARRAY['aidis.projects', 'aidis.sessions', 'aidis.session_base', 'aidis.contexts']) AS t;
SELECT throws_ok($$INSERT INTO aidis.contexts (content) VALUES ('public')$$, '42501', NULL,
                 'PUBLIC cannot INSERT into contexts (42501)');
RESET ROLE;
SELECT is_empty(
  $$SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.pronamespace = 'aidis'::regnamespace AND has_function_privilege('tap_priv_nobody', p.oid, 'EXECUTE')$$,
  'PUBLIC can execute no function of schema aidis');
SELECT is_empty(
  $$SELECT c.oid::regclass::text FROM pg_class c
    WHERE c.relnamespace = 'aidis'::regnamespace AND c.relkind IN ('r', 'v', 'p', 'S')
      AND has_table_privilege('tap_priv_nobody', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')$$,
  'PUBLIC has no privilege on any table of schema aidis');

-- ---------------------------------------------------------------- row-level security
-- Fixture for a disconnected project: add a pending delta row (written by
-- commits in real life), then disconnect p as admin.
SET LOCAL ROLE aidis_admin;
SELECT lives_ok($$SELECT aidis.disconnect_project('tap-priv-p')$$, 'admin disconnects tap-priv-p');
RESET ROLE;
SET LOCAL session_replication_role = replica;  -- fixture only: bypass the disconnected-project check to seed a delta row
INSERT INTO aidis.session_deltas (session_id, slot, project_id, input_tokens) SELECT ps, 9999, p, 7 FROM fx;
INSERT INTO aidis.session_deltas (session_id, slot, project_id, input_tokens) SELECT qs, 9999, q, 7 FROM fx;
SET LOCAL session_replication_role = origin;

CREATE TEMP TABLE rls_tables (t text, col text);
GRANT SELECT ON rls_tables TO PUBLIC;
-- Rows of one project in a table, as the current role sees them (SECURITY INVOKER).
CREATE FUNCTION pg_temp.rows_of(tbl text, col text, project uuid) RETURNS bigint
  LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s WHERE %I = $1', tbl, col) INTO n USING project;
  RETURN n;
END
$f$;
INSERT INTO rls_tables VALUES
  ('aidis.contexts', 'project_id'), ('aidis.tasks', 'project_id'), ('aidis.decisions', 'project_id'),
  ('aidis.sessions', 'project_id'), ('aidis.session_base', 'project_id'),
  ('aidis.session_activities', 'project_id'), ('aidis.session_files', 'project_id'),
  ('aidis.session_deltas', 'project_id');

-- Visible to the superuser: the rows are there.
SELECT cmp_ok(n, '>', 0::bigint, 'superuser sees rows of the disconnected project in ' || t)
FROM rls_tables,
     LATERAL (SELECT pg_temp.rows_of(t, col, (SELECT p FROM fx)) AS n) c
ORDER BY t;

SET LOCAL ROLE aidis_reader;
SELECT is(n, 0::bigint, 'reader sees none of the disconnected project''s rows in ' || t)
FROM rls_tables,
     LATERAL (SELECT pg_temp.rows_of(t, col, (SELECT p FROM fx)) AS n) c
ORDER BY t;
SELECT cmp_ok(n, '>', 0::bigint, 'reader still sees the connected project''s rows in ' || t)
FROM rls_tables,
     LATERAL (SELECT pg_temp.rows_of(t, col, (SELECT q FROM fx)) AS n) c
WHERE t IN ('aidis.contexts', 'aidis.sessions', 'aidis.session_activities')
ORDER BY t;
SELECT is((SELECT count(*) FROM aidis.sessions WHERE id = (SELECT ps FROM fx)), 0::bigint,
          'reader cannot look the disconnected session up by id');
RESET ROLE;

SET LOCAL ROLE aidis_writer;
SELECT is(n, 0::bigint, 'writer sees none of the disconnected project''s rows in ' || t)
FROM rls_tables,
     LATERAL (SELECT pg_temp.rows_of(t, col, (SELECT p FROM fx)) AS n) c
ORDER BY t;
-- Hidden rows do not exist for a writer: UPDATE/DELETE find nothing.
SELECT lives_ok($$UPDATE aidis.contexts SET content = 'writer overwrote' WHERE project_id = (SELECT p FROM fx)$$,
                'writer: UPDATE aimed at hidden rows runs ...');
SELECT lives_ok($$DELETE FROM aidis.tasks WHERE project_id = (SELECT p FROM fx)$$,
                'writer: DELETE aimed at hidden rows runs ...');
SELECT throws_ok($$INSERT INTO aidis.contexts (project_id, session_id, content) SELECT p, ps, 'w' FROM fx$$,
                 '55000', NULL, 'writer: INSERT into the disconnected project is refused (55000)');
RESET ROLE;
SELECT is((SELECT content FROM aidis.contexts WHERE project_id = (SELECT p FROM fx)), 'p context',
          '... and changed nothing (contexts)');
SELECT is((SELECT count(*) FROM aidis.tasks WHERE project_id = (SELECT p FROM fx)), 1::bigint,
          '... and deleted nothing (tasks)');

SET LOCAL ROLE aidis_admin;
SELECT cmp_ok(n, '>', 0::bigint, 'admin sees the disconnected project''s rows in ' || t)
FROM rls_tables,
     LATERAL (SELECT pg_temp.rows_of(t, col, (SELECT p FROM fx)) AS n) c
ORDER BY t;
RESET ROLE;

-- Reconnected: visible again to reader and writer.
SET LOCAL ROLE aidis_admin;
SELECT lives_ok($$SELECT aidis.reconnect_project('tap-priv-p')$$, 'admin reconnects tap-priv-p');
RESET ROLE;
SET LOCAL ROLE aidis_reader;
SELECT cmp_ok(n, '>', 0::bigint, 'after reconnect, reader sees the project''s rows in ' || t)
FROM rls_tables,
     LATERAL (SELECT pg_temp.rows_of(t, col, (SELECT p FROM fx)) AS n) c
WHERE t IN ('aidis.contexts', 'aidis.sessions', 'aidis.session_activities')
ORDER BY t;
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
