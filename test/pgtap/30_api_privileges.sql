-- pgTAP: privileges of the session API (docs/api.md).
--   aidis_reader reads (list, details, rows, timeline, score, stats, compare,
--   brief) and cannot edit, rate or reassign; aidis_writer also edits and
--   rates but cannot reassign; aidis_admin reassigns. PUBLIC runs nothing.
-- Every refusal is checked with its SQLSTATE. Runs in one transaction that is
-- rolled back: it leaves nothing behind.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(71);

-- ---------------------------------------------------------------- fixture (superuser)
CREATE TEMP TABLE fx (a uuid, b uuid, s uuid, s2 uuid, gone uuid, gs uuid);
GRANT SELECT ON fx TO PUBLIC;
INSERT INTO fx (a, b, gone)
SELECT (aidis.create_project('tap-api-a')).id, (aidis.create_project('tap-api-b')).id,
       (aidis.create_project('tap-api-gone')).id;
UPDATE fx SET gs = (aidis.start_session(agent => 'tap-api', client_key => 'gone', project => 'tap-api-gone',
                                        force_new => true)).id;
UPDATE fx SET s2 = (aidis.start_session(agent => 'tap-api', client_key => 'two', project => 'tap-api-a',
                                        force_new => true)).id;
UPDATE fx SET s = (aidis.start_session(agent => 'tap-api', client_key => 'one', project => 'tap-api-a',
                                       title => 'tap api', force_new => true)).id;
INSERT INTO aidis.contexts (content) VALUES ('tap api context');
INSERT INTO aidis.tasks (title) VALUES ('tap api task');
INSERT INTO aidis.decisions (title) VALUES ('tap api decision');
-- Sessions of the writer's role, which it may change (docs/security.md).
UPDATE aidis.session_base SET started_by = 'aidis_writer' WHERE id IN (SELECT s FROM fx UNION ALL SELECT gs FROM fx);
UPDATE fx SET gone = (aidis.disconnect_project('tap-api-gone')).id;
CREATE ROLE tap_api_nobody NOLOGIN;

-- The API, as SQL text: the reads, then the writes.
CREATE TEMP TABLE reads (name text, call text);
GRANT SELECT ON reads TO PUBLIC;
INSERT INTO reads VALUES
  ('list_sessions',     $$SELECT * FROM aidis.list_sessions(project => 'tap-api-a')$$),
  ('session_details',   $$SELECT aidis.session_details((SELECT s::text FROM fx))$$),
  ('session_contexts',  $$SELECT * FROM aidis.session_contexts((SELECT s::text FROM fx))$$),
  ('session_tasks',     $$SELECT * FROM aidis.session_tasks((SELECT s::text FROM fx))$$),
  ('session_decisions', $$SELECT * FROM aidis.session_decisions((SELECT s::text FROM fx))$$),
  ('session_timeline',  $$SELECT * FROM aidis.session_timeline((SELECT s::text FROM fx))$$),
  ('session_score',     $$SELECT aidis.session_score((SELECT s::text FROM fx))$$),
  ('session_stats',     $$SELECT aidis.session_stats('week', 'tap-api-a')$$),
  ('compare_sessions',  $$SELECT aidis.compare_sessions((SELECT s::text FROM fx), (SELECT s2::text FROM fx))$$),
  ('session_brief',     $$SELECT aidis.session_brief((SELECT s::text FROM fx))$$);

-- ---------------------------------------------------------------- security settings
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'aidis' AND p.proname IN ('list_sessions', 'session_details', 'session_contexts',
                 'session_tasks', 'session_decisions', 'session_timeline', 'session_score', 'session_stats',
                 'compare_sessions', 'session_brief') AND NOT p.prosecdef),
          10, 'the read API runs as the caller (row-level security applies)');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'aidis' AND p.proname IN ('update_session', 'rate_session', 'reassign_project')
             AND p.prosecdef),
          3, 'the write API is SECURITY DEFINER');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'aidis' AND p.proname IN ('list_sessions', 'session_details', 'session_contexts',
                 'session_tasks', 'session_decisions', 'session_timeline', 'session_score', 'session_stats',
                 'compare_sessions', 'session_brief', 'update_session', 'rate_session', 'reassign_project')
             AND 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)),
          13, 'every API function pins search_path');
-- The one read helper that runs as the owner (docs/search.md).
SELECT ok((SELECT p.prosecdef AND 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)
           FROM pg_proc p WHERE p.oid = 'aidis._list_connected_session_ids(text, uuid, text, integer, integer)'::regprocedure),
          '_list_connected_session_ids is SECURITY DEFINER with a pinned search_path');
SELECT ok(NOT has_function_privilege('tap_api_nobody', 'aidis._list_connected_session_ids(text, uuid, text, integer, integer)', 'EXECUTE'),
          'PUBLIC cannot execute aidis._list_connected_session_ids');
SELECT ok(has_function_privilege('aidis_reader', 'aidis._list_connected_session_ids(text, uuid, text, integer, integer)', 'EXECUTE'),
          'aidis_reader can execute aidis._list_connected_session_ids');
SELECT ok((SELECT p.prosecdef AND 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)
           FROM pg_proc p WHERE p.oid = 'aidis._list_all_session_ids(text, uuid, text, integer, integer)'::regprocedure),
          '_list_all_session_ids is SECURITY DEFINER with a pinned search_path');
SELECT ok(NOT has_function_privilege('tap_api_nobody', 'aidis._list_all_session_ids(text, uuid, text, integer, integer)', 'EXECUTE'),
          'PUBLIC cannot execute aidis._list_all_session_ids');
SELECT ok(NOT has_function_privilege('aidis_writer', 'aidis._list_all_session_ids(text, uuid, text, integer, integer)', 'EXECUTE'),
          'aidis_writer cannot execute aidis._list_all_session_ids (it shows every project)');
SELECT ok(has_function_privilege('aidis_admin', 'aidis._list_all_session_ids(text, uuid, text, integer, integer)', 'EXECUTE'),
          'aidis_admin can execute aidis._list_all_session_ids');

-- ---------------------------------------------------------------- PUBLIC: nothing
SELECT ok(NOT has_function_privilege('tap_api_nobody', p.oid, 'EXECUTE'),
          'PUBLIC cannot execute aidis.' || p.proname)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'aidis' AND p.proname IN ('list_sessions', 'session_details', 'session_score',
      'session_stats', 'compare_sessions', 'session_brief', 'update_session', 'rate_session', 'reassign_project')
ORDER BY p.proname;
SET LOCAL ROLE tap_api_nobody;
SELECT throws_ok($$SELECT * FROM aidis.list_sessions()$$, '42501', NULL, 'PUBLIC: list_sessions is refused (42501)');
RESET ROLE;

-- ---------------------------------------------------------------- aidis_reader
SET LOCAL ROLE aidis_reader;
SELECT lives_ok(call, 'reader can call ' || name) FROM reads ORDER BY name;
SELECT is((SELECT count(*)::int FROM aidis.list_sessions(project => 'tap-api-a')), 2, 'reader lists the sessions');
SELECT is((SELECT count(*)::int FROM aidis.list_sessions(q => 'tap-api')), 2,
          'reader searching q finds the two sessions and not the disconnected project''s one');
SELECT is(aidis.session_details((SELECT s::text FROM fx)) ->> 'title', 'tap api', 'reader reads the details');
SELECT throws_ok($$SELECT aidis.update_session((SELECT s::text FROM fx), title => 'by reader')$$,
                 '42501', NULL, 'reader cannot edit (42501)');
SELECT throws_ok($$SELECT aidis.rate_session((SELECT s::text FROM fx), 5)$$,
                 '42501', NULL, 'reader cannot rate (42501)');
SELECT throws_ok($$SELECT aidis.reassign_project((SELECT s::text FROM fx), 'tap-api-b')$$,
                 '42501', NULL, 'reader cannot reassign, not even ask for the token (42501)');
SELECT throws_ok($$UPDATE aidis.session_base SET title = 'by reader' WHERE id = (SELECT s FROM fx)$$,
                 '42501', NULL, 'reader cannot update the session table either (42501)');
SELECT throws_ok($$SELECT aidis._store_score((SELECT s FROM fx))$$,
                 '42501', NULL, 'reader cannot store a score (42501)');
-- Row-level security: the session of a disconnected project is hidden.
SELECT throws_ok($$SELECT aidis.session_details((SELECT gs::text FROM fx))$$,
                 '42704', NULL, 'reader: a session of a disconnected project does not exist (42704)');
SELECT throws_ok($$SELECT * FROM aidis.session_timeline((SELECT gs::text FROM fx))$$,
                 '42704', NULL, 'reader: nor does its timeline (42704)');
SELECT is((SELECT count(*)::int FROM aidis.list_sessions(project => 'tap-api-gone')), 0,
          'reader: list_sessions shows none of its sessions');
RESET ROLE;
SELECT is(aidis.session_details((SELECT s::text FROM fx)) ->> 'title', 'tap api', 'nothing changed by the reader');

-- ---------------------------------------------------------------- aidis_writer
SET LOCAL ROLE aidis_writer;
SELECT lives_ok(call, 'writer can call ' || name) FROM reads WHERE name IN ('list_sessions', 'session_details') ORDER BY name;
SELECT lives_ok($$SELECT aidis.update_session((SELECT s::text FROM fx), title => 'by writer', tags => '{tap}')$$,
                'writer can edit');
SELECT is((SELECT title FROM aidis.sessions WHERE id = (SELECT s FROM fx)), 'by writer', 'the edit is applied');
SELECT lives_ok($$SELECT aidis.rate_session((SELECT s::text FROM fx), 4, 'fine')$$, 'writer can rate');
SELECT is((SELECT rating::int FROM aidis.sessions WHERE id = (SELECT s FROM fx)), 4, 'the rating is applied');
SELECT throws_ok($$SELECT aidis.reassign_project((SELECT s::text FROM fx), 'tap-api-b')$$,
                 '42501', NULL, 'writer cannot reassign (42501)');
SELECT throws_ok($$SELECT aidis.update_session((SELECT s::text FROM fx), title => '')$$,
                 '22023', 'the title cannot be cleared', 'writer: clearing the title is 22023');
SELECT throws_ok($$SELECT aidis.rate_session((SELECT s::text FROM fx), 9)$$,
                 '22023', 'stars must be 1 to 5, not 9', 'writer: 9 stars is 22023');
SELECT throws_ok($$SELECT aidis.update_session((SELECT gs::text FROM fx), title => 'x')$$,
                 '42704', NULL, 'writer: a session of a disconnected project does not exist to edit (42704)');
SELECT throws_ok($$SELECT aidis.rate_session((SELECT gs::text FROM fx), 3)$$,
                 '42704', NULL, 'writer: nor to rate (42704)');
SELECT throws_ok($$SELECT aidis._store_score((SELECT s FROM fx))$$,
                 '42501', NULL, 'writer cannot store a score (42501)');
RESET ROLE;

-- ---------------------------------------------------------------- aidis_admin
SET LOCAL ROLE aidis_admin;
SELECT lives_ok(call, 'admin can call ' || name) FROM reads WHERE name IN ('session_details', 'session_brief') ORDER BY name;
SELECT lives_ok($$SELECT aidis.rate_session((SELECT s::text FROM fx), 5)$$, 'admin can rate');
SELECT is(aidis.reassign_project((SELECT s::text FROM fx), 'tap-api-b') ->> 'status', 'confirmation_required',
          'admin: the first call asks for confirmation');
SELECT is((SELECT p.name FROM aidis.sessions x JOIN aidis.projects p ON p.id = x.project_id
           WHERE x.id = (SELECT s FROM fx)), 'tap-api-a', 'admin: the first call moves nothing');
CREATE TEMP TABLE tok AS SELECT aidis.reassign_project((SELECT s::text FROM fx), 'tap-api-b') ->> 'confirm' AS t;
SELECT throws_ok($$SELECT aidis.reassign_project((SELECT s::text FROM fx), 'tap-api-b', 'not-a-token')$$,
                 '22023', 'malformed confirmation token', 'admin: a malformed token is 22023');
SELECT throws_ok($$SELECT aidis.reassign_project((SELECT s2::text FROM fx), 'tap-api-b', (SELECT t FROM tok))$$,
                 '22023', 'confirmation token does not match this reassignment',
                 'admin: another session''s token is 22023');
SELECT throws_ok($$SELECT aidis.reassign_project((SELECT s::text FROM fx), 'tap-api-a')$$,
                 '22023', NULL, 'admin: the same project is 22023');
SELECT throws_ok($$SELECT aidis.reassign_project((SELECT s::text FROM fx), 'tap-api-nowhere')$$,
                 '42704', 'project "tap-api-nowhere" does not exist', 'admin: an unknown project is 42704');
SELECT throws_ok($$SELECT aidis.reassign_project((SELECT s::text FROM fx), 'tap-api-gone')$$,
                 '55000', 'project "tap-api-gone" is disconnected', 'admin: a disconnected target is 55000');
SELECT is(aidis.reassign_project((SELECT s::text FROM fx), 'tap-api-b', (SELECT t FROM tok)) ->> 'status',
          'reassigned', 'admin: the second call with the token applies it');
SELECT is((SELECT p.name FROM aidis.sessions x JOIN aidis.projects p ON p.id = x.project_id
           WHERE x.id = (SELECT s FROM fx)), 'tap-api-b', 'admin: the session is in the new project');
SELECT is((SELECT count(*)::int FROM aidis.contexts c JOIN aidis.projects p ON p.id = c.project_id
           WHERE c.session_id = (SELECT s FROM fx) AND p.name = 'tap-api-b'), 1, 'admin: its context moved');
SELECT throws_ok($$SELECT aidis.reassign_project((SELECT s::text FROM fx), 'tap-api-a', (SELECT t FROM tok))$$,
                 '22023', 'confirmation token does not match this reassignment', 'admin: a used token is 22023');
SELECT is((SELECT count(*)::int FROM aidis.session_activities a
           WHERE a.session_id = (SELECT s FROM fx) AND a.kind = 'project_reassigned'), 1,
          'admin: the move is on the timeline');
-- Admins see disconnected projects' sessions.
SELECT lives_ok($$SELECT aidis.session_details((SELECT gs::text FROM fx))$$,
                'admin reads a session of a disconnected project');
SELECT throws_ok($$SELECT aidis.reassign_project((SELECT gs::text FROM fx), 'tap-api-a')$$,
                 '55000', 'project "tap-api-gone" is disconnected', 'admin: a disconnected source is 55000');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
