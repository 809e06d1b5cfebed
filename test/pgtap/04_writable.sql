-- pgTAP: the disconnected-project check (rule 8 of docs/design.md): writes into a disconnected project are refused.
-- After aidis.disconnect_project(P), every INSERT, UPDATE, DELETE, MERGE, COPY
-- and TRUNCATE touching P's rows in any tracked table (the shipped ones and a
-- host table tracked with aidis.track) or in a session table fails with 55000,
-- for superusers and admins too, and changes nothing; so do touch,
-- record_usage, record_file, end_session, use_session on P's sessions and
-- start_session on P. After aidis.reconnect_project(P) the same writes work.
-- pg_temp.refused(sql, sqlstate, description) is two tests: the SQLSTATE, and
-- that a fingerprint of every table involved is the same afterwards.
-- Runs in one transaction that is rolled back: it leaves nothing behind.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(326);

-- ---------------------------------------------------------------- helpers
CREATE TABLE public.tap_guard_host (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);
-- Holds one row of q's project attached to a session of p, nothing else.
CREATE TABLE public.tap_guard_host2 (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);

CREATE FUNCTION pg_temp.digest(tbl regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
  EXECUTE format('SELECT md5(COALESCE(string_agg(t::text, %L ORDER BY t::text), %L)) FROM %s t', chr(10), '', tbl)
  INTO d;
  RETURN tbl::text || '=' || d;
END
$$;

-- SECURITY DEFINER: the fingerprint sees every row whatever role runs the test.
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql SECURITY DEFINER AS $$
  SELECT concat_ws(E'\n',
    pg_temp.digest('aidis.projects'), pg_temp.digest('aidis.session_base'),
    pg_temp.digest('aidis.session_activities'), pg_temp.digest('aidis.session_files'),
    pg_temp.digest('aidis.session_deltas'), pg_temp.digest('aidis.display_id_counters'),
    pg_temp.digest('aidis.contexts'), pg_temp.digest('aidis.tasks'), pg_temp.digest('aidis.decisions'),
    pg_temp.digest('public.tap_guard_host'), pg_temp.digest('public.tap_guard_host2'),
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
-- p: the project that gets disconnected; q: one that stays connected.
-- s1: an ended session of p; s2: p's active session (disconnected with it); qs: q's.
UPDATE aidis.session_base SET status = 'inactive', end_reason = 'ended', ended_at = last_activity_at
WHERE status = 'active';
CREATE TEMP TABLE fx (p uuid, q uuid, s1 uuid, s2 uuid, qs uuid);
GRANT SELECT ON fx TO PUBLIC;
INSERT INTO fx (p, q) SELECT (aidis.create_project('tap-guard-p')).id, (aidis.create_project('tap-guard-q')).id;
SELECT aidis.track('public.tap_guard_host', 'context') \g /dev/null
SELECT aidis.track('public.tap_guard_host2', 'context') \g /dev/null

UPDATE fx SET s1 = (aidis.start_session(agent => 'tap-guard', client_key => 'p1', project => 'tap-guard-p')).id;
INSERT INTO aidis.contexts (content) VALUES ('p context 1');
INSERT INTO aidis.tasks (title) VALUES ('p task 1');
INSERT INTO aidis.tasks (title, status) VALUES ('p task done', 'completed');
INSERT INTO aidis.decisions (title) VALUES ('p decision 1');
INSERT INTO public.tap_guard_host (body) VALUES ('p host 1');
INSERT INTO public.tap_guard_host2 (project_id, session_id, body) SELECT q, s1, 'q row, p session' FROM fx;
INSERT INTO aidis.session_files (session_id, project_id, path) SELECT s1, p, 'p/file.txt' FROM fx;
SELECT aidis.end_session((SELECT s1::text FROM fx)) \g /dev/null
UPDATE fx SET s2 = (aidis.start_session(agent => 'tap-guard', client_key => 'p2', project => 'tap-guard-p')).id;
INSERT INTO aidis.contexts (content) VALUES ('p context 2');
UPDATE fx SET qs = (aidis.start_session(agent => 'tap-guard', client_key => 'q', project => 'tap-guard-q')).id;
INSERT INTO aidis.contexts (content) VALUES ('q context');
INSERT INTO aidis.tasks (title) VALUES ('q task');
INSERT INTO aidis.decisions (title) VALUES ('q decision');
INSERT INTO public.tap_guard_host (body) VALUES ('q host');
INSERT INTO aidis.session_files (session_id, project_id, path) SELECT qs, q, 'q/file.txt' FROM fx;

SELECT is((SELECT count(*) FROM aidis.contexts WHERE project_id = (SELECT p FROM fx)), 2::bigint,
          'fixture: p has contexts stamped with its sessions');
SELECT is((SELECT count(*) FROM public.tap_guard_host WHERE project_id = (SELECT p FROM fx)), 1::bigint,
          'fixture: p has rows in the tracked host table');

SET LOCAL ROLE aidis_admin;
SELECT lives_ok($$SELECT aidis.disconnect_project('tap-guard-p')$$, 'admin disconnects tap-guard-p');
RESET ROLE;
SELECT is((SELECT status FROM aidis.projects WHERE id = (SELECT p FROM fx)), 'disconnected', 'p is disconnected');
SELECT results_eq($$SELECT status, end_reason FROM aidis.session_base WHERE id = (SELECT s2 FROM fx)$$,
                  $$VALUES ('disconnected', 'project_disconnected')$$,
                  'p''s active session ended as disconnected / project_disconnected');
SELECT results_eq($$SELECT status, end_reason FROM aidis.session_base WHERE id = (SELECT s1 FROM fx)$$,
                  $$VALUES ('inactive', 'ended')$$, 'p''s ended session keeps its end');
SELECT is((SELECT status FROM aidis.session_base WHERE id = (SELECT qs FROM fx)), 'active',
          'q''s session is untouched');
-- Pending counter deltas (disconnect_project folded the earlier ones): p's,
-- as a commit racing the disconnect leaves it (seeded past the guard: fixture
-- only), and q's.
SET LOCAL session_replication_role = replica;
INSERT INTO aidis.session_deltas (session_id, slot, project_id, input_tokens) SELECT s1, 9999, p, 1 FROM fx;
SET LOCAL session_replication_role = origin;
INSERT INTO aidis.session_deltas (session_id, slot, project_id, input_tokens) SELECT qs, 9999, q, 1 FROM fx;

-- ---------------------------------------------------------------- tracked tables, as superuser
CREATE TEMP TABLE tt (ord int, tbl text, col text);
INSERT INTO tt VALUES (1, 'aidis.contexts', 'content'), (2, 'aidis.tasks', 'title'),
                      (3, 'aidis.decisions', 'title'), (4, 'public.tap_guard_host', 'body');
-- Statement templates: %1$s the table, %2$I its text column.
CREATE TEMP TABLE writes (ord int, what text, sql text);
INSERT INTO writes VALUES
 (1, 'INSERT with project_id p and a session of p',
  $$INSERT INTO %1$s (project_id, session_id, %2$I) SELECT p, s1, 'new' FROM fx$$),
 (2, 'INSERT with project_id q and a session of p',
  $$INSERT INTO %1$s (project_id, session_id, %2$I) SELECT q, s1, 'new' FROM fx$$),
 (3, 'INSERT with only a session of p',
  $$INSERT INTO %1$s (session_id, %2$I) SELECT s1, 'new' FROM fx$$),
 (4, 'INSERT with only project_id p (stamped with the current session)',
  $$INSERT INTO %1$s (project_id, %2$I) SELECT p, 'new' FROM fx$$),
 (5, 'UPDATE of p''s rows',
  $$UPDATE %1$s SET %2$I = 'changed' WHERE project_id = (SELECT p FROM fx)$$),
 (6, 'UPDATE moving q''s rows into p',
  $$UPDATE %1$s SET project_id = (SELECT p FROM fx) WHERE project_id = (SELECT q FROM fx)$$),
 (7, 'UPDATE moving q''s rows to a session of p',
  $$UPDATE %1$s SET session_id = (SELECT s1 FROM fx) WHERE project_id = (SELECT q FROM fx)$$),
 (8, 'UPDATE moving p''s rows out to q',
  $$UPDATE %1$s SET project_id = (SELECT q FROM fx), session_id = (SELECT qs FROM fx)
    WHERE project_id = (SELECT p FROM fx)$$),
 (9, 'DELETE of p''s rows',
  $$DELETE FROM %1$s WHERE project_id = (SELECT p FROM fx)$$),
 (10, 'DELETE of all rows',
  $$DELETE FROM %1$s$$),
 (11, 'MERGE updating p''s rows',
  $$MERGE INTO %1$s t USING (SELECT id FROM %1$s WHERE project_id = (SELECT p FROM fx)) s ON t.id = s.id
    WHEN MATCHED THEN UPDATE SET %2$I = 'merged'$$),
 (12, 'MERGE deleting p''s rows',
  $$MERGE INTO %1$s t USING (SELECT id FROM %1$s WHERE project_id = (SELECT p FROM fx)) s ON t.id = s.id
    WHEN MATCHED THEN DELETE$$),
 (13, 'MERGE inserting a row of p',
  $$MERGE INTO %1$s t USING (SELECT p, s1 FROM fx) s ON false
    WHEN NOT MATCHED THEN INSERT (project_id, session_id, %2$I) VALUES (s.p, s.s1, 'merged')$$),
 (14, 'INSERT .. ON CONFLICT DO UPDATE hitting p''s rows',
  $$INSERT INTO %1$s (id, project_id, session_id, %2$I)
    SELECT t.id, fx.q, fx.qs, 'upserted' FROM %1$s t, fx WHERE t.project_id = fx.p
    ON CONFLICT (id) DO UPDATE SET %2$I = excluded.%2$I$$),
 (15, 'COPY FROM PROGRAM of a row of p',
  $$SELECT 'COPY %1$s (project_id, session_id, %2$I) FROM PROGRAM '
           || quote_literal(format('printf ''%%s\t%%s\tcopied\n''', p, s1)) FROM fx$$),
 (16, 'TRUNCATE of a table holding p''s rows',
  $$TRUNCATE %1$s$$);
-- COPY needs its statement built first (the program names p's ids).
CREATE FUNCTION pg_temp.stmt(template text, tbl text, col text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text := format(template, tbl, col);
BEGIN
  IF s LIKE 'SELECT ''COPY%' THEN EXECUTE s INTO s; END IF;
  RETURN s;
END
$$;

SELECT r FROM tt, writes, LATERAL pg_temp.refused(pg_temp.stmt(writes.sql, tt.tbl, tt.col), '55000',
                                                    tt.tbl || ': ' || writes.what) AS r;
SELECT * FROM pg_temp.refused($$UPDATE aidis.tasks SET status = 'completed' WHERE project_id = (SELECT p FROM fx)$$,
                              '55000', 'aidis.tasks: completing p''s task');
SELECT * FROM pg_temp.refused($$UPDATE aidis.tasks SET status = 'todo' WHERE project_id = (SELECT p FROM fx)
                                AND status = 'completed'$$,
                              '55000', 'aidis.tasks: reopening p''s completed task');

-- A row is p's when its session is p's, whatever its project_id says.
SELECT * FROM pg_temp.refused($$UPDATE public.tap_guard_host2 SET body = 'changed'$$, '55000',
                              'public.tap_guard_host2: UPDATE of a row attached to p''s session');
SELECT * FROM pg_temp.refused($$DELETE FROM public.tap_guard_host2$$, '55000',
                              'public.tap_guard_host2: DELETE of a row attached to p''s session');
SELECT * FROM pg_temp.refused($$TRUNCATE public.tap_guard_host2$$, '55000',
                              'public.tap_guard_host2: TRUNCATE of a table whose only row is attached to p''s session');

-- ---------------------------------------------------------------- tracked tables, as aidis_admin
-- Admins see p's rows (row-level security) but cannot write them either.
SET LOCAL ROLE aidis_admin;
SELECT * FROM pg_temp.refused($$INSERT INTO aidis.contexts (project_id, session_id, content) SELECT p, s1, 'admin' FROM fx$$,
                              '55000', 'admin: INSERT into contexts for p');
SELECT * FROM pg_temp.refused($$UPDATE aidis.contexts SET content = 'admin' WHERE project_id = (SELECT p FROM fx)$$,
                              '55000', 'admin: UPDATE of p''s contexts');
SELECT * FROM pg_temp.refused($$DELETE FROM aidis.tasks WHERE project_id = (SELECT p FROM fx)$$,
                              '55000', 'admin: DELETE of p''s tasks');
SELECT * FROM pg_temp.refused($$MERGE INTO aidis.decisions t USING fx ON t.project_id = fx.p
                                WHEN MATCHED THEN UPDATE SET title = 'admin'$$,
                              '55000', 'admin: MERGE into p''s decisions');
RESET ROLE;

-- ---------------------------------------------------------------- session tables
CREATE TEMP TABLE st (ord int, tbl text, ins text, upd text);
INSERT INTO st VALUES
 (1, 'aidis.session_base',
  $$INSERT INTO aidis.session_base (display_id, title, project_id, agent) SELECT 'SES-1997-0001', 'new', p, 'tap' FROM fx$$,
  $$UPDATE aidis.session_base SET title = 'changed'$$),
 (2, 'aidis.session_activities',
  $$INSERT INTO aidis.session_activities (session_id, project_id, kind, summary) SELECT s1, p, 'rated', 'forged' FROM fx$$,
  $$UPDATE aidis.session_activities SET summary = 'changed'$$),
 (3, 'aidis.session_files',
  $$INSERT INTO aidis.session_files (session_id, project_id, path) SELECT s1, p, 'new/file.txt' FROM fx$$,
  $$UPDATE aidis.session_files SET mentions = mentions + 1$$),
 (4, 'aidis.session_deltas',
  $$INSERT INTO aidis.session_deltas (session_id, slot, project_id, input_tokens) SELECT s1, 9998, p, 5 FROM fx$$,
  $$UPDATE aidis.session_deltas SET input_tokens = input_tokens + 1$$);

SELECT r FROM st, LATERAL (
  SELECT * FROM pg_temp.refused(st.ins, '55000', st.tbl || ': INSERT of a row of p')
  UNION ALL
  SELECT * FROM pg_temp.refused(st.upd || ' WHERE project_id = (SELECT p FROM fx)', '55000',
                                st.tbl || ': UPDATE of p''s rows')
  UNION ALL
  SELECT * FROM pg_temp.refused(format('UPDATE %s SET project_id = (SELECT q FROM fx) WHERE project_id = (SELECT p FROM fx)', st.tbl),
                                '55000', st.tbl || ': UPDATE moving p''s rows to q')
  UNION ALL
  SELECT * FROM pg_temp.refused(format('UPDATE %s SET project_id = (SELECT p FROM fx) WHERE project_id = (SELECT q FROM fx)', st.tbl),
                                '55000', st.tbl || ': UPDATE moving q''s rows into p')
  UNION ALL
  SELECT * FROM pg_temp.refused(format('DELETE FROM %s WHERE project_id = (SELECT p FROM fx)', st.tbl),
                                '55000', st.tbl || ': DELETE of p''s rows')
  UNION ALL
  SELECT * FROM pg_temp.refused(format('MERGE INTO %s t USING fx ON t.project_id = fx.p WHEN MATCHED THEN DELETE', st.tbl),
                                '55000', st.tbl || ': MERGE deleting p''s rows')
  UNION ALL
  SELECT * FROM pg_temp.refused(format('TRUNCATE %s', st.tbl), '55000', st.tbl || ': TRUNCATE')
) AS x(r);
-- The timeline, files and deltas of p's sessions belong to p whatever
-- project_id such a row names.
SELECT * FROM pg_temp.refused(
  $$INSERT INTO aidis.session_activities (session_id, project_id, kind, summary) SELECT s1, q, 'rated', 'forged' FROM fx$$,
  '55000', 'aidis.session_activities: INSERT of an event of p''s session (project_id q)');
SELECT * FROM pg_temp.refused(
  $$INSERT INTO aidis.session_files (session_id, project_id, path) SELECT s1, q, 'forged.txt' FROM fx$$,
  '55000', 'aidis.session_files: INSERT of a file of p''s session (project_id q)');
SELECT * FROM pg_temp.refused(
  $$INSERT INTO aidis.session_deltas (session_id, slot, project_id, input_tokens) SELECT s1, 9997, q, 5 FROM fx$$,
  '55000', 'aidis.session_deltas: INSERT of a delta of p''s session (project_id q)');
SELECT * FROM pg_temp.refused(
  $$UPDATE aidis.session_activities SET session_id = (SELECT s1 FROM fx) WHERE session_id = (SELECT qs FROM fx)$$,
  '55000', 'aidis.session_activities: UPDATE moving q''s events to p''s session');
SELECT * FROM pg_temp.refused(
  $$UPDATE aidis.session_base SET project_id = (SELECT q FROM fx) WHERE id = (SELECT s2 FROM fx)$$,
  '55000', 'aidis.session_base: UPDATE moving p''s session to q');
SELECT * FROM pg_temp.refused(
  $$UPDATE aidis.session_base SET status = 'active', end_reason = NULL, ended_at = NULL WHERE id = (SELECT s2 FROM fx)$$,
  '55000', 'aidis.session_base: reactivating p''s session');
SELECT * FROM pg_temp.refused(
  format('COPY aidis.session_activities (session_id, project_id, kind) FROM PROGRAM %L',
         (SELECT format('printf ''%s\t%s\tcopied\n''', s1, p) FROM fx)),
  '55000', 'aidis.session_activities: COPY FROM PROGRAM of an event of p');

-- ---------------------------------------------------------------- the SQL API on p
SELECT * FROM pg_temp.refused($$SELECT aidis.touch((SELECT s1::text FROM fx))$$, '55000', 'touch of p''s ended session');
SELECT * FROM pg_temp.refused($$SELECT aidis.touch((SELECT s2::text FROM fx))$$, '55000',
                              'touch of p''s disconnected session');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(10, 10, s => (SELECT s1::text FROM fx))$$, '55000',
                              'record_usage on p''s ended session');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_usage(10, 10, s => (SELECT s2::text FROM fx))$$, '55000',
                              'record_usage on p''s disconnected session');
SELECT * FROM pg_temp.refused($$SELECT aidis.record_file('x.txt', 1, 1, (SELECT s2::text FROM fx))$$, '55000',
                              'record_file on p''s disconnected session');
SELECT * FROM pg_temp.refused($$SELECT aidis.end_session((SELECT s1::text FROM fx))$$, '55000',
                              'end_session of p''s ended session');
SELECT * FROM pg_temp.refused($$SELECT aidis.end_session((SELECT s2::text FROM fx))$$, '55000',
                              'end_session of p''s disconnected session');
SELECT * FROM pg_temp.refused($$SELECT aidis.use_session((SELECT s2::text FROM fx))$$, '55000',
                              'use_session of p''s disconnected session');
SELECT * FROM pg_temp.refused($$SELECT aidis.start_session(agent => 'tap-guard', client_key => 'new', project => 'tap-guard-p')$$,
                              '55000', 'start_session on p by name');
SELECT * FROM pg_temp.refused($$SELECT aidis.start_session(agent => 'tap-guard', client_key => 'new', project => (SELECT p::text FROM fx))$$,
                              '55000', 'start_session on p by id');
SELECT * FROM pg_temp.refused($$SELECT aidis.start_session(agent => 'tap-guard', client_key => 'p2', project => 'tap-guard-p', force_new => true)$$,
                              '55000', 'start_session(force_new) on p for the client of p''s old session');
SELECT * FROM pg_temp.refused($$SELECT aidis.create_project('tap-guard-p')$$, '23505',
                              'create_project cannot re-create p under its name');
-- Auto-start never lands on a disconnected project.
UPDATE aidis.session_base SET status = 'inactive', end_reason = 'ended', ended_at = last_activity_at
WHERE id = (SELECT qs FROM fx);
SELECT aidis._forget_cached_session() \g /dev/null
SELECT isnt((SELECT project_id FROM aidis.start_session(agent => 'tap-guard', client_key => 'auto')),
            (SELECT p FROM fx), 'a session started without a project is not placed on p');
UPDATE fx SET qs = (SELECT id FROM aidis.current_session());

-- A reconnect that is rolled back leaves p disconnected, whatever the
-- caches saw while it lasted.
SAVEPOINT tap_reconnect;
SELECT aidis.reconnect_project('tap-guard-p') \g /dev/null
INSERT INTO aidis.contexts (project_id, session_id, content) SELECT p, s1, 'while reconnected' FROM fx;
ROLLBACK TO SAVEPOINT tap_reconnect;
SELECT * FROM pg_temp.refused($$INSERT INTO aidis.contexts (project_id, session_id, content) SELECT p, s1, 'new' FROM fx$$,
                              '55000', 'after a rolled-back reconnect, INSERT into contexts for p');

-- ---------------------------------------------------------------- reconnected: the same writes work
SET LOCAL ROLE aidis_admin;
SELECT lives_ok($$SELECT aidis.reconnect_project('tap-guard-p')$$, 'admin reconnects tap-guard-p');
RESET ROLE;
SELECT is((SELECT status FROM aidis.projects WHERE id = (SELECT p FROM fx)), 'active', 'p is active again');
-- ... and a disconnect that is rolled back leaves it connected.
SAVEPOINT tap_disconnect;
SELECT aidis.disconnect_project('tap-guard-p') \g /dev/null
ROLLBACK TO SAVEPOINT tap_disconnect;
SELECT lives_ok($$INSERT INTO aidis.decisions (project_id, session_id, title) SELECT p, s1, 'after rollback' FROM fx$$,
                'after a rolled-back disconnect, INSERT into decisions for p works');
DELETE FROM aidis.decisions WHERE title = 'after rollback';

SELECT lives_ok(pg_temp.stmt(writes.sql, tt.tbl, tt.col), 'reconnected: ' || tt.tbl || ': ' || writes.what)
FROM tt, writes
WHERE writes.ord IN (1, 2, 3, 4, 5, 11, 13, 14, 15)
ORDER BY tt.ord, writes.ord;
SELECT results_eq($$SELECT content, count(*)::int FROM aidis.contexts WHERE project_id = (SELECT p FROM fx)
                    GROUP BY content ORDER BY content$$,
                  $$VALUES ('copied', 1), ('upserted', 6)$$,
                  'reconnected: the writes to p''s contexts happened (2 + 3 inserted + 1 merged, all upserted, 1 copied)');
SELECT is((SELECT count(*) FROM public.tap_guard_host WHERE project_id = (SELECT p FROM fx) AND body = 'copied'),
          1::bigint, 'reconnected: COPY into the host table happened');
SELECT lives_ok($$UPDATE aidis.tasks SET status = 'completed' WHERE project_id = (SELECT p FROM fx)$$,
                'reconnected: completing p''s tasks');
SELECT lives_ok(format('UPDATE %s SET project_id = (SELECT p FROM fx), session_id = (SELECT s1 FROM fx)
                        WHERE project_id = (SELECT q FROM fx)', tbl),
                'reconnected: ' || tbl || ': moving q''s rows into p')
FROM tt ORDER BY ord;
SELECT lives_ok(format('DELETE FROM %s WHERE project_id = (SELECT p FROM fx) AND %I = ''copied''', tbl, col),
                'reconnected: ' || tbl || ': DELETE of some of p''s rows')
FROM tt ORDER BY ord;
SELECT lives_ok(format('TRUNCATE %s', tbl), 'reconnected: ' || tbl || ': TRUNCATE')
FROM tt ORDER BY ord;
SELECT is((SELECT count(*) FROM aidis.contexts), 0::bigint, 'reconnected: contexts is empty after TRUNCATE');
SELECT lives_ok($$TRUNCATE public.tap_guard_host2$$, 'reconnected: public.tap_guard_host2: TRUNCATE');

SELECT lives_ok(st.ins, 'reconnected: ' || st.tbl || ': INSERT of a row of p') FROM st ORDER BY ord;
SELECT lives_ok(st.upd || ' WHERE project_id = (SELECT p FROM fx)', 'reconnected: ' || st.tbl || ': UPDATE of p''s rows')
FROM st ORDER BY ord;
SELECT lives_ok($$DELETE FROM aidis.session_files WHERE project_id = (SELECT p FROM fx)$$,
                'reconnected: aidis.session_files: DELETE of p''s rows');
SELECT lives_ok($$DELETE FROM aidis.session_deltas WHERE project_id = (SELECT p FROM fx)$$,
                'reconnected: aidis.session_deltas: DELETE of p''s rows');
SELECT lives_ok($$DELETE FROM aidis.session_activities WHERE project_id = (SELECT p FROM fx) AND summary = 'forged'$$,
                'reconnected: aidis.session_activities: DELETE of p''s rows');
SELECT lives_ok($$DELETE FROM aidis.session_base WHERE display_id = 'SES-1997-0001'$$,
                'reconnected: aidis.session_base: DELETE of a row of p');

SELECT lives_ok($$SELECT aidis.start_session(agent => 'tap-guard', client_key => 'again', project => 'tap-guard-p')$$,
                'reconnected: start_session on p');
SELECT is((SELECT project_id FROM aidis.current_session()), (SELECT p FROM fx),
          'reconnected: the new session is p''s and current');
SELECT lives_ok($$SELECT aidis.touch()$$, 'reconnected: touch on p''s session');
SELECT lives_ok($$SELECT aidis.record_usage(10, 10)$$, 'reconnected: record_usage on p''s session');
SELECT lives_ok($$SELECT aidis.record_file('p/again.txt', 2, 1)$$, 'reconnected: record_file on p''s session');
SELECT lives_ok($$INSERT INTO aidis.contexts (content) VALUES ('p context again')$$,
                'reconnected: a stamped INSERT lands on p''s session');
SELECT lives_ok($$SELECT aidis.end_session()$$, 'reconnected: end_session of p''s session');
SELECT is((SELECT status FROM aidis.session_base WHERE id = (SELECT s2 FROM fx)), 'disconnected',
          'reconnected: p''s session ended by the disconnect stays ended');

SELECT * FROM finish();
ROLLBACK;
