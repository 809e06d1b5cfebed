-- pgTAP: policy hardening (docs/security.md, docs/timeout.md, docs/api.md "Bounds").
--   1. aidis.session_timeout is policy: a writer's SET is refused and cannot
--      shorten the sweep (the configured value: test/integration/policy_timeout.sh).
--   2. Nothing of a disconnected project's rows shows through a session of
--      another project (timeline, top files, brief, exports) for readers and
--      writers.
--   3. A session of a disconnected project answers exactly like a session that
--      does not exist, in every function, by uuid, prefix and display id.
--   4. Writers change only their own role's sessions; admins any.
--   5. Every argument has a bound, refused with 22023 before the work.
--   6. An ended session keeps last_activity_at <= ended_at.
-- Runs in one transaction that is rolled back: it leaves nothing behind.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(177);

-- ---------------------------------------------------------------- fixture (superuser)
-- No session of an earlier test may be the current one.
UPDATE aidis.session_base SET status = 'inactive', end_reason = 'ended', ended_at = last_activity_at
WHERE status = 'active';
SELECT aidis._session_timeout() \g /dev/null
CREATE ROLE tap_pol_w1 NOLOGIN IN ROLE aidis_writer;
CREATE ROLE tap_pol_w2 NOLOGIN IN ROLE aidis_writer;
CREATE ROLE tap_pol_person NOLOGIN IN ROLE aidis_writer;  -- may edit w1's sessions
GRANT tap_pol_w1 TO tap_pol_person;
CREATE ROLE tap_pol_page NOLOGIN IN ROLE aidis_admin;     -- the sessions page's server

CREATE TEMP TABLE fx (a uuid, d uuid, sa uuid, sa2 uuid, hid uuid, vis uuid, w1s uuid, old uuid);
GRANT SELECT ON fx TO PUBLIC;
INSERT INTO fx (a, d) SELECT (aidis.create_project('tap-pol-a')).id, (aidis.create_project('tap-pol-d')).id;

-- A session of A writes rows filed under D, and one of its own.
UPDATE fx SET sa = (aidis.start_session(agent => 'tap-pol', client_key => 'a', project => 'tap-pol-a')).id;
INSERT INTO aidis.contexts (project_id, session_id, content)
SELECT d, sa, 'D secret context about @d/secret.ts' FROM fx;
INSERT INTO aidis.contexts (project_id, session_id, content)
SELECT d, sa, 'D secret context, deleted' FROM fx;
DELETE FROM aidis.contexts WHERE content = 'D secret context, deleted';
INSERT INTO aidis.tasks (project_id, session_id, title, status) SELECT d, sa, 'D secret task done', 'completed' FROM fx;
INSERT INTO aidis.tasks (project_id, session_id, title) SELECT d, sa, 'D secret task later' FROM fx;
UPDATE aidis.tasks SET status = 'completed' WHERE title = 'D secret task later';
INSERT INTO aidis.decisions (project_id, session_id, title) SELECT d, sa, 'D secret decision' FROM fx;
INSERT INTO aidis.contexts (session_id, content) SELECT sa, 'A context about @a/own.ts' FROM fx;
SELECT aidis.end_session((SELECT sa::text FROM fx)) \g /dev/null
-- The next session of A: its brief shows the one before.
UPDATE fx SET sa2 = (aidis.start_session(agent => 'tap-pol', client_key => 'a2', project => 'tap-pol-a')).id;

-- Sessions with chosen ids: one of D (hidden once D is disconnected) and one
-- of A sharing its first 8 hex digits.
INSERT INTO aidis.session_base (id, display_id, title, project_id, agent, client_key)
SELECT 'abcdef01-1111-4000-8000-000000000001', 'SES-1998-0001', 'hidden', d, 'tap-pol-h', 'h' FROM fx;
INSERT INTO aidis.session_base (id, display_id, title, project_id, agent, client_key)
SELECT 'abcdef01-2222-4000-8000-000000000002', 'SES-1998-0002', 'visible', a, 'tap-pol-v', 'v' FROM fx;
UPDATE fx SET hid = 'abcdef01-1111-4000-8000-000000000001', vis = 'abcdef01-2222-4000-8000-000000000002';
SELECT aidis.disconnect_project('tap-pol-d') \g /dev/null

-- ---------------------------------------------------------------- 2. no leak through other projects' sessions
-- What would show project D's rows in an export: their text, their ids, D's id.
CREATE TEMP TABLE d_marks (what text, mark text);
GRANT SELECT ON d_marks TO PUBLIC;
INSERT INTO d_marks VALUES ('text', 'secret');
INSERT INTO d_marks SELECT 'project', d::text FROM fx;
INSERT INTO d_marks SELECT 'row', r.id::text FROM fx, aidis.contexts r WHERE r.project_id = fx.d
  UNION ALL SELECT 'row', r.id::text FROM fx, aidis.tasks r WHERE r.project_id = fx.d
  UNION ALL SELECT 'row', r.id::text FROM fx, aidis.decisions r WHERE r.project_id = fx.d;
CREATE TEMP TABLE leaks (who text, what text, n int);
GRANT SELECT, INSERT ON leaks TO PUBLIC;
CREATE FUNCTION pg_temp.count_leaks(who text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO leaks
  SELECT who, 'timeline', count(*)::int FROM aidis.session_timeline((SELECT sa::text FROM fx)) t
  WHERE t.summary LIKE '%secret%' OR t.data::text LIKE '%secret%'
  UNION ALL
  SELECT who, 'top_files', count(*)::int
  FROM jsonb_array_elements(aidis.session_details((SELECT sa::text FROM fx)) -> 'top_files') f
  WHERE f ->> 'path' LIKE '%secret%'
  UNION ALL
  SELECT who, 'brief', (aidis.session_brief((SELECT sa2::text FROM fx))::text LIKE '%secret%')::int
  UNION ALL
  SELECT who, 'activities', count(*)::int FROM aidis.session_activities a
  WHERE a.session_id = (SELECT sa FROM fx) AND a.summary LIKE '%secret%'
  UNION ALL
  SELECT who, 'files', count(*)::int FROM aidis.session_files f
  WHERE f.session_id = (SELECT sa FROM fx) AND f.path LIKE '%secret%'
  UNION ALL
  SELECT who, 'session_export', count(*)::int
  FROM pg_temp.d_marks m WHERE aidis.session_export((SELECT sa::text FROM fx))::text LIKE '%' || m.mark || '%'
  UNION ALL
  SELECT who, 'export_sessions', count(*)::int
  FROM aidis.export_sessions(project => 'tap-pol-a') e, pg_temp.d_marks m WHERE e::text LIKE '%' || m.mark || '%';
$$;
GRANT EXECUTE ON FUNCTION pg_temp.count_leaks(text) TO PUBLIC;
SET LOCAL ROLE aidis_reader;
SELECT pg_temp.count_leaks('reader') \g /dev/null
RESET ROLE;
SET LOCAL ROLE aidis_writer;
SELECT pg_temp.count_leaks('writer') \g /dev/null
RESET ROLE;
SET LOCAL ROLE aidis_admin;
SELECT pg_temp.count_leaks('admin') \g /dev/null
RESET ROLE;
SELECT is(n, 0, who || ': nothing of the disconnected project in ' || what)
FROM leaks WHERE who IN ('reader', 'writer') ORDER BY who, what;
SELECT cmp_ok((SELECT n FROM leaks WHERE who = 'admin' AND what = 'timeline'), '>=', 5,
              'admin: the timeline still shows what the session wrote for the disconnected project');
SELECT is((SELECT n FROM leaks WHERE who = 'admin' AND what = 'brief'), 1, 'admin: and so does the brief');
-- (In one transaction, after the reader and the writer: each export is
-- planned under the role calling it, not the first one.)
SELECT is((SELECT n FROM leaks WHERE who = 'admin' AND what = 'session_export'),
          (SELECT count(*)::int FROM d_marks WHERE what <> 'project'),
          'admin: session_export has the text and the id of every row the session wrote for the disconnected project');
SELECT is((SELECT n FROM leaks WHERE who = 'admin' AND what = 'export_sessions'),
          (SELECT count(*)::int FROM d_marks WHERE what <> 'project'),
          'admin: export_sessions has the text and the id of every row the session wrote for the disconnected project');
-- Mentions in a row of another project are not the session's files; its own are.
SELECT is((SELECT n FROM leaks WHERE who = 'admin' AND what = 'files'), 0,
          'a path mentioned in a row of another project is not one of the session''s files');
SET LOCAL ROLE aidis_writer;
SELECT is((SELECT count(*)::int FROM aidis.session_timeline((SELECT sa::text FROM fx)) t
           WHERE t.summary LIKE 'A context%'), 1, 'writer: the session''s own rows stay on its timeline');
SELECT is(aidis.session_details((SELECT sa::text FROM fx)) #>> '{top_files,0,path}', 'a/own.ts',
          'writer: and its own files');
RESET ROLE;
SELECT is((SELECT p.name FROM aidis.session_activities a JOIN aidis.projects p ON p.id = a.project_id
           WHERE a.summary = 'D secret decision'), 'tap-pol-d',
          'the timeline entry of a row is filed under the row''s project');
SELECT is((SELECT contexts_created::int FROM aidis.sessions WHERE id = (SELECT sa FROM fx)), 2,
          'the session still counts the rows it wrote for the other project');

-- ---------------------------------------------------------------- 3. hidden sessions do not exist
-- Each function × each form of reference, for a session of the disconnected
-- project and for one that does not exist: the same SQLSTATE and message.
CREATE TEMP TABLE refs (form text, hidden text, missing text);
GRANT SELECT ON refs TO PUBLIC;
INSERT INTO refs VALUES
  ('uuid', 'abcdef01-1111-4000-8000-000000000001', 'abcdef01-3333-4000-8000-000000000003'),
  ('prefix', 'abcdef01-1111', 'abcdef01-3333'),
  ('display id', 'SES-1998-0001', 'SES-1998-0003');
CREATE TEMP TABLE fns (name text, call text, writes boolean);
GRANT SELECT ON fns TO PUBLIC;
INSERT INTO fns VALUES
  ('use_session',       $$SELECT aidis.use_session(%L)$$, true),
  ('end_session',       $$SELECT aidis.end_session(%L)$$, true),
  ('touch',             $$SELECT aidis.touch(%L)$$, true),
  ('record_usage',      $$SELECT aidis.record_usage(1, 1, s => %L)$$, true),
  ('record_file',       $$SELECT aidis.record_file('x.txt', 1, 0, %L)$$, true),
  ('update_session',    $$SELECT aidis.update_session(%L, title => 'x')$$, true),
  ('rate_session',      $$SELECT aidis.rate_session(%L, 3)$$, true),
  ('session_details',   $$SELECT aidis.session_details(%L)$$, false),
  ('session_contexts',  $$SELECT * FROM aidis.session_contexts(%L)$$, false),
  ('session_tasks',     $$SELECT * FROM aidis.session_tasks(%L)$$, false),
  ('session_decisions', $$SELECT * FROM aidis.session_decisions(%L)$$, false),
  ('session_timeline',  $$SELECT * FROM aidis.session_timeline(%L)$$, false),
  ('session_score',     $$SELECT aidis.session_score(%L)$$, false),
  ('session_brief',     $$SELECT aidis.session_brief(%L)$$, false),
  ('compare_sessions',  $$SELECT aidis.compare_sessions(%L, 'SES-1998-0002')$$, false),
  ('session_export',    $$SELECT aidis.session_export(%L)$$, false);
SET LOCAL ROLE aidis_writer;
SELECT throws_ok(format(f.call, r.hidden), '42704', format('session "%s" does not exist', r.hidden),
                 format('writer: %s of a hidden session by %s is "does not exist"', f.name, r.form))
FROM fns f CROSS JOIN refs r ORDER BY f.name, r.form;
SELECT throws_ok(format(f.call, r.missing), '42704', format('session "%s" does not exist', r.missing),
                 format('writer: %s of a missing session by %s is the same', f.name, r.form))
FROM fns f CROSS JOIN refs r WHERE f.name IN ('end_session', 'session_details', 'session_export')
ORDER BY f.name, r.form;
SELECT is(aidis.session_details('abcdef01') ->> 'title', 'visible',
          'writer: a prefix shared with a hidden session finds the visible one (not ambiguous)');
SELECT is((aidis.use_session('abcdef01')).title, 'visible', 'writer: also in a SECURITY DEFINER function');
RESET ROLE;
SET LOCAL ROLE aidis_reader;
SELECT throws_ok(format(f.call, r.hidden), '42704', format('session "%s" does not exist', r.hidden),
                 format('reader: %s of a hidden session by %s is "does not exist"', f.name, r.form))
FROM fns f CROSS JOIN refs r WHERE NOT f.writes ORDER BY f.name, r.form;
RESET ROLE;
SET LOCAL ROLE aidis_admin;
SELECT throws_ok($$SELECT aidis.session_details('abcdef01')$$, '21000', NULL,
                 'admin: the shared prefix is ambiguous (it sees both)');
SELECT throws_ok($$SELECT aidis.end_session('abcdef01-1111')$$, '55000', NULL,
                 'admin: the hidden session exists and is not active (55000)');
SELECT throws_ok($$SELECT aidis.update_session('SES-1998-0001', title => 'x')$$, '55000',
                 'project "tap-pol-d" is disconnected', 'admin: editing it is refused with 55000');
RESET ROLE;

-- ---------------------------------------------------------------- 4. whose sessions a writer may change
SET LOCAL ROLE tap_pol_w1;
SELECT is((aidis.start_session(agent => 'tap-pol-w', client_key => 'w1', project => 'tap-pol-a')).status, 'active',
          'w1 starts a session');
RESET ROLE;
UPDATE fx SET w1s = (SELECT id FROM aidis.session_base WHERE client_key = 'w1' AND status = 'active');
SELECT is((SELECT started_by FROM aidis.session_base WHERE id = (SELECT w1s FROM fx)), 'tap_pol_w1',
          'the session records the role that started it');
CREATE TEMP TABLE changes (name text, call text);
GRANT SELECT ON changes TO PUBLIC;
INSERT INTO changes VALUES
  ('touch',          $$SELECT aidis.touch((SELECT w1s::text FROM fx))$$),
  ('record_usage',   $$SELECT aidis.record_usage(10, 5, s => (SELECT w1s::text FROM fx))$$),
  ('record_file',    $$SELECT aidis.record_file('w.txt', 1, 0, (SELECT w1s::text FROM fx))$$),
  ('update_session', $$SELECT aidis.update_session((SELECT w1s::text FROM fx), title => 'renamed')$$),
  ('rate_session',   $$SELECT aidis.rate_session((SELECT w1s::text FROM fx), 2)$$),
  ('use_session',    $$SELECT aidis.use_session((SELECT w1s::text FROM fx))$$),
  ('resume',         $$SELECT aidis.start_session(agent => 'tap-pol-w', client_key => 'w1')$$),
  ('supersede',      $$SELECT aidis.start_session(agent => 'tap-pol-w', client_key => 'w1', force_new => true)$$),
  ('end_session',    $$SELECT aidis.end_session((SELECT w1s::text FROM fx))$$);
SET LOCAL ROLE tap_pol_w2;
SELECT throws_ok(call, '42501', format('session %s belongs to role "tap_pol_w1"',
                                       (SELECT display_id FROM aidis.sessions WHERE id = (SELECT w1s FROM fx))),
                 'another writer cannot ' || name || ' it (42501)')
FROM changes ORDER BY name;
SELECT throws_ok($$SELECT aidis.touch()$$, '42501', NULL,
                 'nor touch it as the connection''s current session (42501)');
-- Attribution is not ownership: a tracked row may name any session (rule 4).
SELECT lives_ok($$INSERT INTO aidis.contexts (session_id, content) SELECT w1s, 'by w2 onto w1' FROM fx$$,
                'another writer''s tracked row may name the session');
RESET ROLE;
SELECT aidis._flush_pending() \g /dev/null
SELECT is((SELECT contexts_created::int FROM aidis.sessions WHERE id = (SELECT w1s FROM fx)), 1,
          'and it is counted on it');
SELECT ok((SELECT title = display_id AND rating IS NULL AND status = 'active'
           FROM aidis.sessions WHERE id = (SELECT w1s FROM fx)), 'the refusals changed nothing');
SET LOCAL ROLE tap_pol_person;
SELECT lives_ok($$SELECT aidis.update_session((SELECT w1s::text FROM fx), title => 'by a member of w1')$$,
                'a role with w1''s privileges (a member) edits it');
RESET ROLE;
SET LOCAL ROLE tap_pol_page;
SELECT lives_ok($$SELECT aidis.rate_session((SELECT w1s::text FROM fx), 5, 'from the page')$$,
                'an admin (the page) rates any session');
SELECT lives_ok($$SELECT aidis.update_session((SELECT w1s::text FROM fx), description => 'from the page')$$,
                'and edits it');
RESET ROLE;
SET LOCAL ROLE tap_pol_w1;
SELECT lives_ok(call, 'its own writer can ' || name || ' it')
FROM changes WHERE name NOT IN ('supersede', 'end_session') ORDER BY name;
SELECT lives_ok($$SELECT aidis.end_session((SELECT w1s::text FROM fx))$$, 'its own writer can end it');
RESET ROLE;
-- A session started before roles were recorded: any writer.
UPDATE fx SET old = (aidis.start_session(agent => 'tap-pol-old', client_key => 'old', project => 'tap-pol-a')).id;
UPDATE aidis.session_base SET started_by = NULL WHERE id = (SELECT old FROM fx);
SET LOCAL ROLE tap_pol_w2;
SELECT lives_ok($$SELECT aidis.touch((SELECT old::text FROM fx))$$,
                'a session that records no role (started before 0.4.0): any writer');
RESET ROLE;

-- ---------------------------------------------------------------- 5. bounds (22023, before the work)
CREATE TEMP TABLE bounds (name text, call text, msg text);
GRANT SELECT ON bounds TO PUBLIC;
INSERT INTO bounds VALUES
  ('q of 256 characters', $$SELECT * FROM aidis.list_sessions(q => repeat('a', 256))$$,
   'q is 256 characters long; at most 255 are allowed'),
  ('q of 1 MB', $$SELECT * FROM aidis.list_sessions(q => repeat('abc ', 262144))$$,
   'q is 1048575 characters long; at most 255 are allowed'),
  ('q of 33 words', $$SELECT * FROM aidis.list_sessions(q => repeat('ab ', 33))$$,
   'q has 33 words; at most 32 are allowed'),
  ('q of 300 kB of words, direct', $$SELECT aidis._list_session_ids(NULL, NULL, repeat('w ', 150000), 50, 0)$$,
   'q is 299999 characters long; at most 255 are allowed'),
  ('start_session client_key of 1 MB', $$SELECT aidis.start_session(client_key => repeat('k', 1048576))$$,
   'client_key is 1048576 characters long; at most 200 are allowed'),
  ('start_session ai_model of 1 MB', $$SELECT aidis.start_session(ai_model => repeat('m', 1048576))$$,
   'ai_model is 1048576 characters long; at most 200 are allowed'),
  ('start_session ai_model of 201', $$SELECT aidis.start_session(ai_model => repeat('m', 201))$$,
   'ai_model is 201 characters long; at most 200 are allowed'),
  ('record_usage model of 1 MB', $$SELECT aidis.record_usage(1, 1, model => repeat('m', 1048576))$$,
   'model is 1048576 characters long; at most 200 are allowed'),
  ('update_session ai_model of 201', $$SELECT aidis.update_session(ai_model => repeat('m', 201))$$,
   'ai_model is 201 characters long; at most 200 are allowed'),
  ('update_session 1001 tags', $$SELECT aidis.update_session(tags => array_fill('t'::text, ARRAY[1001]))$$,
   '1001 tags given; at most 1000 array elements are allowed'),
  ('update_session a tag of 1 MB', $$SELECT aidis.update_session(add_tags => ARRAY[repeat('t', 1048576)])$$,
   'a tag is longer than 100 characters'),
  ('create_project root_directory of 4097', $$SELECT aidis.create_project('tap-pol-root', repeat('r', 4097))$$,
   'root_directory is 4097 characters long; at most 4096 are allowed'),
  ('a session reference of 65 characters', $$SELECT aidis.session_details('abcdef01' || repeat('-', 57))$$,
   format('invalid session reference "%s..."', 'abcdef01' || repeat('-', 56))),
  ('a project of 256 characters', $$SELECT aidis.session_stats('week', repeat('p', 256))$$,
   format('project "%s..." is 256 characters long; a name or id has at most 255', repeat('p', 64))),
  ('a status of 1 MB', $$SELECT * FROM aidis.list_sessions(status => repeat('s', 1048576))$$,
   format('invalid status "%s..."', repeat('s', 64))),
  ('a period of 1 MB', $$SELECT aidis.session_stats(repeat('w', 1048576))$$,
   format('invalid period "%s..."', repeat('w', 64))),
  ('start_session agent of 201', $$SELECT aidis.start_session(agent => repeat('a', 201))$$,
   'agent is 201 characters long; at most 200 are allowed'),
  ('start_session agent of 1 MB', $$SELECT aidis.start_session(agent => repeat('a', 1048576))$$,
   'agent is 1048576 characters long; at most 200 are allowed'),
  ('update_session agent of 201', $$SELECT aidis.update_session(agent => ' ' || repeat('a', 201))$$,
   'agent is 201 characters long; at most 200 are allowed'),
  ('start_session bind of 1 MB', $$SELECT aidis.start_session(agent => 'tap-pol-bind', bind => repeat('b', 1048576))$$,
   format('invalid bind "%s..."', repeat('b', 64))),
  ('use_session scope of 1 MB', $$SELECT aidis.use_session('SES-1998-0002', repeat('c', 1048576))$$,
   format('invalid scope "%s..."', repeat('c', 64))),
  ('enable_cron schedule of 101', $$SELECT aidis.enable_cron(repeat('*', 101))$$,
   'schedule must be a cron expression such as ''* * * * *'' (at most 100 characters)');
SET LOCAL ROLE tap_pol_page;
SELECT throws_ok(call, '22023', msg, name || ' is 22023') FROM bounds ORDER BY name;
SELECT lives_ok($$SELECT * FROM aidis.list_sessions(q => repeat('abcdefg ', 31) || 'x')$$,
                'q of 32 words is searched');
SELECT lives_ok($$SELECT * FROM aidis.list_sessions(q => repeat('a', 255))$$, 'q of 255 characters is searched');
SELECT lives_ok($$SELECT aidis.start_session(agent => 'tap-pol-bounds', client_key => repeat('k', 200),
                                             ai_model => repeat('m', 200), project => 'tap-pol-a')$$,
                'client_key and ai_model of 200 characters are taken');
SELECT is(char_length((aidis.start_session(agent => ' ' || repeat('a', 200) || ' ', client_key => 'tap-pol-200',
                                           project => 'tap-pol-a')).agent), 100,
          'an agent of 200 characters after trimming is taken, cut to 100');
RESET ROLE;

-- ---------------------------------------------------------------- 6. an ended session keeps its last activity
UPDATE fx SET w1s = (aidis.start_session(agent => 'tap-pol-end', client_key => 'end', project => 'tap-pol-a')).id;
SELECT aidis.end_session((SELECT w1s::text FROM fx)) \g /dev/null
SELECT pg_sleep(0.01) \g /dev/null
INSERT INTO aidis.contexts (session_id, content) SELECT w1s, 'named onto the ended session' FROM fx;
SELECT aidis._flush_pending() \g /dev/null
SELECT ok((SELECT last_activity_at <= ended_at FROM aidis.sessions WHERE id = (SELECT w1s FROM fx)),
          'a write named onto an ended session leaves last_activity_at <= ended_at');
SELECT is((SELECT contexts_created::int FROM aidis.sessions WHERE id = (SELECT w1s FROM fx)), 1,
          'and the write is counted');
SELECT cmp_ok(aidis._fold_deltas(), '>', 0, 'the deltas are folded');
SELECT ok((SELECT last_activity_at <= ended_at FROM aidis.session_base WHERE id = (SELECT w1s FROM fx)),
          'also after folding');
SELECT is((SELECT count(*)::int FROM aidis.session_base WHERE last_activity_at > ended_at), 0,
          'no ended session has its last activity after its end');

-- ---------------------------------------------------------------- 1. the timeout is policy
SET LOCAL ROLE aidis_writer;
SELECT throws_ok($$SET aidis.session_timeout = '1s'$$, '42501',
                 'permission denied to set parameter "aidis.session_timeout"', 'writer: SET is refused (42501)');
SELECT throws_ok($$SELECT set_config('aidis.session_timeout', '1s', false)$$, '42501', NULL,
                 'writer: set_config is refused (42501)');
SELECT throws_ok($$SET LOCAL aidis.session_timeout = '1s'$$, '42501', NULL, 'writer: SET LOCAL is refused (42501)');
RESET ROLE;
-- A session idle for 10 s: the configured 2 hours keep it.
UPDATE fx SET sa2 = (aidis.start_session(agent => 'tap-pol-idle', client_key => 'idle', project => 'tap-pol-a')).id;
UPDATE aidis.session_base SET last_activity_at = clock_timestamp() - interval '10 s' WHERE id = (SELECT sa2 FROM fx);
SET LOCAL ROLE aidis_writer;
SELECT lives_ok($$SELECT aidis.expire_idle_sessions()$$, 'writer: the sweep runs');
RESET ROLE;
SELECT is((SELECT status FROM aidis.sessions WHERE id = (SELECT sa2 FROM fx)), 'active',
          'the writer''s sweep used the configured timeout: the idle session is still active');
SET LOCAL aidis.session_timeout = '5s';
SELECT cmp_ok(aidis.expire_idle_sessions(), '>=', 1, 'a superuser''s SET still drives a sweep');
SELECT is((SELECT status FROM aidis.sessions WHERE id = (SELECT sa2 FROM fx)), 'inactive',
          'which ends the idle session');

SELECT * FROM finish();
ROLLBACK;
