-- pgTAP: every refusal of the SQL API has its documented SQLSTATE (README,
-- "SQLSTATEs") and changes nothing (docs/api.md: "Every bad input gets
-- an ERROR with a clear message and a documented SQLSTATE, and changes nothing").
-- pg_temp.refused(sql, sqlstate, description) is two tests: the SQLSTATE, and
-- that a fingerprint of every table of the extension, the triggers and the
-- session bound to the connection is the same afterwards.
-- Runs in one transaction that is rolled back: it leaves nothing behind.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(191);

-- ---------------------------------------------------------------- helpers
-- Host tables for track(); one of them is tracked.
CREATE TABLE public.tap_err_host (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);
CREATE TABLE public.tap_err_plain (id serial PRIMARY KEY, body text);
CREATE TABLE public.tap_err_notask (id serial PRIMARY KEY, project_id uuid, session_id uuid, title text);
CREATE TABLE public.tap_err_texttypes (id serial PRIMARY KEY, project_id text, session_id text, body text);

CREATE FUNCTION pg_temp.digest(tbl regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
  EXECUTE format('SELECT md5(COALESCE(string_agg(t::text, %L ORDER BY t::text), %L)) FROM %s t', chr(10), '', tbl)
  INTO d;
  RETURN tbl::text || '=' || d;
END
$$;

CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
  SELECT concat_ws(E'\n',
    pg_temp.digest('aidis.projects'), pg_temp.digest('aidis.session_base'),
    pg_temp.digest('aidis.session_activities'), pg_temp.digest('aidis.session_files'),
    pg_temp.digest('aidis.session_deltas'), pg_temp.digest('aidis.display_id_counters'),
    pg_temp.digest('aidis.tracked_tables'), pg_temp.digest('aidis.contexts'),
    pg_temp.digest('aidis.tasks'), pg_temp.digest('aidis.decisions'),
    pg_temp.digest('public.tap_err_host'),
    'triggers=' || (SELECT string_agg(tgrelid::regclass::text || '.' || tgname, ',' ORDER BY 1)
                    FROM pg_trigger WHERE NOT tgisinternal
                      AND tgrelid IN (SELECT oid FROM pg_class
                                      WHERE relnamespace IN ('aidis'::regnamespace, 'public'::regnamespace))),
    'bound=' || COALESCE(current_setting('aidis.session_id', true), ''))
$$;

-- The statement runs in a subtransaction that is always rolled back: the
-- fingerprint is taken before the rollback, so an unexpected success shows
-- (and is undone, so that it cannot disturb the tests after it).
CREATE FUNCTION pg_temp.refused(q text, code text, description text) RETURNS SETOF text
  LANGUAGE plpgsql AS $$
DECLARE
  before text := pg_temp.state();
  after text;
  got text;
  msg text;
BEGIN
  BEGIN
    EXECUTE q;
    after := pg_temp.state();
    RAISE EXCEPTION 'statement succeeded' USING ERRCODE = 'ZZ999';
  EXCEPTION WHEN OTHERS THEN
    IF SQLSTATE = 'ZZ999' THEN
      got := 'no error';
    ELSE
      got := SQLSTATE;
      msg := SQLERRM;
      after := pg_temp.state();
    END IF;
  END;
  RETURN NEXT is(got, code, description || ' (' || code || ')')
    || CASE WHEN got IS DISTINCT FROM code AND msg IS NOT NULL THEN E'\n# error: ' || msg ELSE '' END;
  RETURN NEXT ok(after IS NOT DISTINCT FROM before, description || ': nothing changed')
    || COALESCE(E'\n' || diag('changed: ' || (
         SELECT string_agg(split_part(a, '=', 1), ', ')
         FROM unnest(string_to_array(after, E'\n')) a
         WHERE a <> ALL (string_to_array(before, E'\n')))), '');
END
$$;

-- ---------------------------------------------------------------- fixture
SELECT aidis.track('public.tap_err_host', 'context') \g /dev/null
SELECT aidis.create_project('tap-err') \g /dev/null
-- No active session and none bound: the tests below start from there.
UPDATE aidis.session_base SET status = 'inactive', end_reason = 'ended', ended_at = last_activity_at
WHERE status = 'active';
SELECT set_config('aidis.session_id', '', true), aidis._forget_cached_session() \g /dev/null

-- ---------------------------------------------------------------- no current session (P0002)
SELECT * FROM pg_temp.refused($$SELECT aidis.end_session()$$, 'P0002',
                              'end_session() with no active session');
SELECT * FROM pg_temp.refused($$SELECT aidis.end_session(NULL)$$, 'P0002',
                              'end_session(NULL) with no active session');
SELECT is((SELECT count(*) FROM aidis.current_session() s WHERE s.id IS NOT NULL), 0::bigint,
          'current_session() is empty when no session is active');
-- A tracked row naming a project that does not exist, with no active session
-- to stamp it with: the same refusal as with one (23503), no auto-started session.
SELECT * FROM pg_temp.refused(
  $$INSERT INTO aidis.contexts (project_id, content) VALUES ('99999999-9999-9999-9999-999999999999', 'x')$$,
  '23503', 'INSERT into contexts with an unknown project_id and no active session');

-- ---------------------------------------------------------------- projects
SELECT * FROM pg_temp.refused($$SELECT aidis.create_project('')$$, '22023', 'create_project with an empty name');
SELECT * FROM pg_temp.refused($$SELECT aidis.create_project('   ')$$, '22023', 'create_project with a blank name');
SELECT * FROM pg_temp.refused($$SELECT aidis.create_project(NULL)$$, '22023', 'create_project with a NULL name');
SELECT * FROM pg_temp.refused($$SELECT aidis.create_project('tap-err')$$, '23505', 'create_project with a duplicate name');
SELECT * FROM pg_temp.refused($$SELECT aidis.create_project('__unassigned__')$$, '23505',
                              'create_project named like the sentinel');
SELECT * FROM pg_temp.refused($$SELECT aidis.create_project(repeat('n', 256))$$, '23514',
                              'create_project with a 256-character name');
SELECT * FROM pg_temp.refused($$SELECT aidis.start_session(agent => 'tap-err', project => 'tap-no-such-project')$$,
                              '42704', 'start_session on an unknown project name');
SELECT * FROM pg_temp.refused($$SELECT aidis.start_session(agent => 'tap-err', project => '99999999-9999-9999-9999-999999999999')$$,
                              '42704', 'start_session on an unknown project id');
SELECT * FROM pg_temp.refused($$SELECT aidis.start_session(agent => 'tap-err', project => '')$$,
                              '22023', 'start_session with an empty project name');
SELECT is((SELECT count(*) FROM aidis.projects WHERE name = 'tap-no-such-project'), 0::bigint,
          'an unknown project name is not created');

-- ---------------------------------------------------------------- sessions of the fixture
-- s_ended: an ended session; s_live: the active, bound one.
CREATE TEMP TABLE fx AS
SELECT (aidis.start_session(agent => 'tap-err', client_key => 'ended', project => 'tap-err')).id AS s_ended;
SELECT aidis.end_session((SELECT s_ended::text FROM fx)) \g /dev/null
ALTER TABLE fx ADD COLUMN s_live uuid;
UPDATE fx SET s_live = (aidis.start_session(agent => 'tap-err', client_key => 'live', project => 'tap-err',
                                            title => 'live session')).id;
-- Two sessions whose ids share their first 8 hex digits (written directly).
INSERT INTO aidis.session_base (id, display_id, title, project_id, agent, status, end_reason, ended_at)
VALUES ('11111111-0000-0000-0000-000000000001', 'SES-1998-0001', 'twin 1', '00000000-0000-0000-0000-000000000000',
        'tap-err-twin', 'inactive', 'ended', now()),
       ('11111111-0000-0000-0000-000000000002', 'SES-1998-0002', 'twin 2', '00000000-0000-0000-0000-000000000000',
        'tap-err-twin', 'inactive', 'ended', now());
SELECT is((SELECT id FROM aidis.current_session()), (SELECT s_live FROM fx), 'fixture: the live session is current');

-- ---------------------------------------------------------------- session references
SELECT * FROM pg_temp.refused($$SELECT aidis.use_session('xyz')$$, '22023', 'use_session(''xyz''): not a session reference');
SELECT * FROM pg_temp.refused($$SELECT aidis.end_session('xyz')$$, '22023', 'end_session(''xyz''): not a session reference');
SELECT * FROM pg_temp.refused($$SELECT aidis.touch('xyz')$$, '22023', 'touch(''xyz''): not a session reference');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(1, 1, s => 'xyz')$$, '22023',
                              'record_usage(s => ''xyz''): not a session reference');
SELECT * FROM pg_temp.refused($$SELECT aidis.use_session('1111111')$$, '22023',
                              'use_session with a 7-digit prefix (at least 8 are needed)');
SELECT * FROM pg_temp.refused($$SELECT aidis.use_session('')$$, '22023', 'use_session('''')');
SELECT * FROM pg_temp.refused($$SELECT aidis.use_session(NULL)$$, '22023', 'use_session(NULL)');
SELECT * FROM pg_temp.refused($$SELECT aidis.use_session('SES-1999-0001')$$, '42704',
                              'use_session of an unknown display id');
SELECT * FROM pg_temp.refused($$SELECT aidis.end_session('SES-1999-0001')$$, '42704',
                              'end_session of an unknown display id');
SELECT * FROM pg_temp.refused($$SELECT aidis.touch('SES-1999-0001')$$, '42704', 'touch of an unknown display id');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(1, 1, s => 'SES-1999-0001')$$, '42704',
                              'record_usage on an unknown display id');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_file('a.txt', s => 'SES-1999-0001')$$, '42704',
                              'record_file on an unknown display id');
SELECT * FROM pg_temp.refused($$SELECT aidis.use_session('99999999-9999-9999-9999-999999999999')$$, '42704',
                              'use_session of an unknown uuid');
SELECT * FROM pg_temp.refused($$SELECT aidis.use_session('99999999')$$, '42704',
                              'use_session of a prefix that matches nothing');
SELECT * FROM pg_temp.refused($$SELECT aidis.use_session('11111111')$$, '21000', 'use_session of an ambiguous prefix');
SELECT * FROM pg_temp.refused($$SELECT aidis.end_session('11111111')$$, '21000', 'end_session of an ambiguous prefix');
SELECT * FROM pg_temp.refused($$SELECT aidis.touch('11111111-0000')$$, '21000', 'touch of an ambiguous prefix');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(1, 1, s => '11111111')$$, '21000',
                              'record_usage on an ambiguous prefix');

-- ---------------------------------------------------------------- sessions that are not active (55000)
SELECT * FROM pg_temp.refused($$SELECT aidis.end_session((SELECT s_ended::text FROM fx))$$, '55000',
                              'end_session of an ended session');
SELECT * FROM pg_temp.refused($$SELECT aidis.end_session((SELECT display_id FROM aidis.sessions WHERE id = (SELECT s_ended FROM fx)))$$,
                              '55000', 'end_session of an ended session by display id');
SELECT * FROM pg_temp.refused($$SELECT aidis.use_session((SELECT s_ended::text FROM fx))$$, '55000',
                              'use_session of an ended session');
SELECT * FROM pg_temp.refused($$SELECT aidis.use_session('11111111-0000-0000-0000-000000000001')$$, '55000',
                              'use_session of an ended session by full uuid');
SELECT * FROM pg_temp.refused($$SELECT aidis.touch((SELECT s_ended::text FROM fx))$$, '55000',
                              'touch of an ended session');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(1, 1, s => (SELECT s_ended::text FROM fx))$$, '55000',
                              'record_usage on an ended session');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_file('a.txt', 1, 1, (SELECT s_ended::text FROM fx))$$, '55000',
                              'record_file on an ended session');

-- ---------------------------------------------------------------- record_usage / record_file arguments (22023)
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(-1, 0)$$, '22023', 'record_usage with negative input_tokens');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(0, -1)$$, '22023', 'record_usage with negative output_tokens');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(0, 0, -1)$$, '22023',
                              'record_usage with negative cache_read_tokens');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(0, 0, 0, -1)$$, '22023',
                              'record_usage with negative cache_creation_tokens');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(NULL, 0)$$, '22023', 'record_usage with NULL input_tokens');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(0, NULL)$$, '22023', 'record_usage with NULL output_tokens');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(0, 0, NULL, 0)$$, '22023',
                              'record_usage with NULL cache_read_tokens');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_file('a.txt', -1, 0)$$, '22023', 'record_file with negative lines_added');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_file('a.txt', 0, -1)$$, '22023', 'record_file with negative lines_removed');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_file('a.txt', NULL, 0)$$, '22023', 'record_file with NULL lines_added');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_file('')$$, '22023', 'record_file with an empty path');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_file('   ')$$, '22023', 'record_file with a blank path');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_file(NULL)$$, '22023', 'record_file with a NULL path');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_file(repeat('p', 4097))$$, '22023',
                              'record_file with a 4097-character path');

-- ---------------------------------------------------------------- start_session length limits (23514)
SELECT * FROM pg_temp.refused($$SELECT aidis.start_session(agent => 'tap-err', title => repeat('t', 256))$$, '23514',
                              'start_session with a 256-character title');
SELECT * FROM pg_temp.refused($$SELECT aidis.start_session(agent => 'tap-err', title => '')$$, '23514',
                              'start_session with an empty title');
SELECT * FROM pg_temp.refused($$SELECT aidis.start_session(agent => 'tap-err', goal => repeat('g', 2001))$$, '23514',
                              'start_session with a 2001-character goal');
-- The refused start must not supersede the active session of the same client.
SELECT * FROM pg_temp.refused($$SELECT aidis.start_session(agent => 'tap-err', client_key => 'live', force_new => true,
                                                            title => repeat('t', 256))$$, '23514',
                              'start_session(force_new) with a 256-character title');
SELECT is((SELECT status FROM aidis.sessions WHERE id = (SELECT s_live FROM fx)), 'active',
          '... the session it would have superseded is still active');

-- ---------------------------------------------------------------- track / untrack
SELECT * FROM pg_temp.refused($$SELECT aidis.track('public.tap_err_notask', 'bogus')$$, '22023',
                              'track with an unknown kind');
SELECT * FROM pg_temp.refused($$SELECT aidis.track('public.tap_err_notask', NULL)$$, '22023', 'track with a NULL kind');
SELECT * FROM pg_temp.refused($$SELECT aidis.track(NULL, 'context')$$, '22023', 'track of NULL');
SELECT * FROM pg_temp.refused($$SELECT aidis.track('public.tap_err_plain', 'context')$$, '42703',
                              'track of a table without project_id and session_id');
SELECT * FROM pg_temp.refused($$SELECT aidis.track('public.tap_err_notask', 'task')$$, '42703',
                              'track as task of a table without status');
SELECT * FROM pg_temp.refused($$SELECT aidis.track('public.tap_err_texttypes', 'context')$$, '42804',
                              'track of a table whose project_id and session_id are not uuid');
SELECT * FROM pg_temp.refused($$SELECT aidis.track('public.tap_err_host', 'context')$$, '42710',
                              'track of a table that is already tracked');
SELECT * FROM pg_temp.refused($$SELECT aidis.track('public.tap_err_host', 'decision')$$, '42710',
                              'track of an already tracked table as another kind');
SELECT * FROM pg_temp.refused($$SELECT aidis.track('aidis.contexts', 'context')$$, '42710',
                              'track of a shipped table');
SELECT * FROM pg_temp.refused($$SELECT aidis.track('aidis.sessions', 'context')$$, '42809', 'track of a view');
SELECT * FROM pg_temp.refused($$SELECT aidis.untrack('public.tap_err_plain')$$, '42704',
                              'untrack of a table that is not tracked');
SELECT * FROM pg_temp.refused($$SELECT aidis.untrack('aidis.contexts')$$, '55000', 'untrack of shipped aidis.contexts');
SELECT * FROM pg_temp.refused($$SELECT aidis.untrack('aidis.tasks')$$, '55000', 'untrack of shipped aidis.tasks');
SELECT * FROM pg_temp.refused($$SELECT aidis.untrack('aidis.decisions')$$, '55000', 'untrack of shipped aidis.decisions');

-- ---------------------------------------------------------------- disconnect / reconnect
SELECT aidis.create_project('tap-err-gone') \g /dev/null
SELECT lives_ok($$SELECT aidis.disconnect_project('tap-err-gone')$$, 'fixture: tap-err-gone is disconnected');
SELECT * FROM pg_temp.refused($$SELECT aidis.disconnect_project('__unassigned__')$$, '55000',
                              'disconnect_project of the sentinel by name');
SELECT * FROM pg_temp.refused($$SELECT aidis.disconnect_project('00000000-0000-0000-0000-000000000000')$$, '55000',
                              'disconnect_project of the sentinel by id');
SELECT * FROM pg_temp.refused($$SELECT aidis.disconnect_project('tap-err-gone')$$, '55000',
                              'disconnect_project of a disconnected project');
SELECT * FROM pg_temp.refused($$SELECT aidis.disconnect_project('tap-no-such-project')$$, '42704',
                              'disconnect_project of an unknown project');
SELECT * FROM pg_temp.refused($$SELECT aidis.disconnect_project('')$$, '22023', 'disconnect_project('''')');
SELECT * FROM pg_temp.refused($$SELECT aidis.reconnect_project('tap-err')$$, '55000',
                              'reconnect_project of a connected project');
SELECT * FROM pg_temp.refused($$SELECT aidis.reconnect_project('__unassigned__')$$, '55000',
                              'reconnect_project of the sentinel');
SELECT * FROM pg_temp.refused($$SELECT aidis.reconnect_project('tap-no-such-project')$$, '42704',
                              'reconnect_project of an unknown project');
SELECT * FROM pg_temp.refused($$SELECT aidis.start_session(agent => 'tap-err', project => 'tap-err-gone')$$, '55000',
                              'start_session on a disconnected project');

-- ---------------------------------------------------------------- tracked rows naming what does not exist (23503)
SELECT * FROM pg_temp.refused(
  $$INSERT INTO aidis.contexts (session_id, content) VALUES ('99999999-9999-9999-9999-999999999999', 'x')$$,
  '23503', 'INSERT into contexts with an unknown session_id');
SELECT * FROM pg_temp.refused(
  $$INSERT INTO aidis.tasks (session_id, title) VALUES ('99999999-9999-9999-9999-999999999999', 'x')$$,
  '23503', 'INSERT into tasks with an unknown session_id');
SELECT * FROM pg_temp.refused(
  $$INSERT INTO aidis.decisions (session_id, title) VALUES ('99999999-9999-9999-9999-999999999999', 'x')$$,
  '23503', 'INSERT into decisions with an unknown session_id');
SELECT * FROM pg_temp.refused(
  $$INSERT INTO public.tap_err_host (session_id, body) VALUES ('99999999-9999-9999-9999-999999999999', 'x')$$,
  '23503', 'INSERT into a tracked host table with an unknown session_id');
SELECT * FROM pg_temp.refused(
  $$INSERT INTO aidis.contexts (project_id, session_id, content)
    SELECT '99999999-9999-9999-9999-999999999999', s_live, 'x' FROM fx$$,
  '23503', 'INSERT into contexts with an unknown project_id');
SELECT * FROM pg_temp.refused(
  $$INSERT INTO aidis.contexts (project_id, content) VALUES ('99999999-9999-9999-9999-999999999999', 'x')$$,
  '23503', 'INSERT into contexts with an unknown project_id, stamped with the current session');
SELECT * FROM pg_temp.refused(
  $$INSERT INTO aidis.tasks (project_id, title) VALUES ('99999999-9999-9999-9999-999999999999', 'x')$$,
  '23503', 'INSERT into tasks with an unknown project_id');
-- Rows that exist, moved to what does not.
CREATE TEMP TABLE st AS SELECT pg_temp.state() AS s;
INSERT INTO aidis.contexts (content) VALUES ('tap-err context');
INSERT INTO aidis.tasks (title) VALUES ('tap-err task');
SELECT isnt(pg_temp.state(), (SELECT s FROM st), 'self-check: the fingerprint sees a tracked write');
SELECT * FROM pg_temp.refused(
  $$UPDATE aidis.contexts SET session_id = '99999999-9999-9999-9999-999999999999' WHERE content = 'tap-err context'$$,
  '23503', 'UPDATE contexts to an unknown session_id');
SELECT * FROM pg_temp.refused(
  $$UPDATE aidis.contexts SET project_id = '99999999-9999-9999-9999-999999999999' WHERE content = 'tap-err context'$$,
  '23503', 'UPDATE contexts to an unknown project_id');

-- ---------------------------------------------------------------- CHECK constraints through the tracked tables (23514)
SELECT * FROM pg_temp.refused($$INSERT INTO aidis.contexts (content) VALUES ('')$$, '23514',
                              'INSERT into contexts with empty content');
SELECT * FROM pg_temp.refused($$INSERT INTO aidis.tasks (title) VALUES (repeat('t', 501))$$, '23514',
                              'INSERT into tasks with a 501-character title');
SELECT * FROM pg_temp.refused($$INSERT INTO aidis.tasks (title, status) VALUES ('x', 'done')$$, '23514',
                              'INSERT into tasks with an unknown status');
SELECT * FROM pg_temp.refused($$UPDATE aidis.tasks SET status = 'done' WHERE title = 'tap-err task'$$, '23514',
                              'UPDATE tasks to an unknown status');

-- ---------------------------------------------------------------- the timeout GUC
SELECT throws_ok($$SET LOCAL aidis.session_timeout = 'soon'$$, '22023', NULL,
                 'aidis.session_timeout = ''soon'' is refused (22023)');
SELECT throws_ok($$SET LOCAL aidis.session_timeout = '-5min'$$, '22023', NULL,
                 'a negative aidis.session_timeout is refused (22023)');
SELECT is(current_setting('aidis.session_timeout'), '2h', '... and the timeout is still the default 2h');

SELECT * FROM finish();
ROLLBACK;
