-- pgTAP: session_export, export_sessions and session_import (docs/export.md).
--   Readers export what row-level security shows them (a session of a
--   disconnected project is not found, also through the owner-run helper);
--   only admins import; an import into a disconnected project, a duplicate
--   and malformed documents are refused with their SQLSTATEs, changing
--   nothing. Runs in one transaction that is rolled back.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(25);

-- ---------------------------------------------------------------- fixture (superuser)
CREATE TEMP TABLE fx (s uuid, gs uuid, doc jsonb, gdoc jsonb);
GRANT SELECT ON fx TO PUBLIC;
DO $fx$
BEGIN
  PERFORM aidis.create_project('tap-exp-a'), aidis.create_project('tap-exp-gone');
  INSERT INTO fx (s) SELECT (aidis.start_session(agent => 'tap-exp', client_key => 'one', project => 'tap-exp-a',
                                                  force_new => true)).id;
  INSERT INTO aidis.contexts (content) VALUES ('tap export context');
  INSERT INTO aidis.tasks (title) VALUES ('tap export task');
  PERFORM aidis.end_session();
  UPDATE fx SET gs = (aidis.start_session(agent => 'tap-exp', client_key => 'gone', project => 'tap-exp-gone',
                                          force_new => true)).id;
  INSERT INTO aidis.decisions (title) VALUES ('tap export decision');
  PERFORM aidis.end_session();
  UPDATE fx SET doc = aidis.session_export(fx.s::text), gdoc = aidis.session_export(fx.gs::text);
  PERFORM aidis.disconnect_project('tap-exp-gone');
END
$fx$;
CREATE ROLE tap_exp_reader NOLOGIN IN ROLE aidis_reader;
CREATE ROLE tap_exp_writer NOLOGIN IN ROLE aidis_writer;

-- ---------------------------------------------------------------- the document
SELECT is((SELECT doc ->> 'format' FROM fx), 'aidis-session', 'the document names its format');
SELECT is((SELECT doc -> 'version' FROM fx), '1'::jsonb, 'and its version');
SELECT is((SELECT doc #>> '{session,id}' FROM fx), (SELECT s::text FROM fx), 'it holds the session');
SELECT is((SELECT jsonb_array_length(doc -> 'timeline') FROM fx),
          (SELECT count(*)::int FROM aidis.session_activities a, fx WHERE a.session_id = fx.s), 'its whole timeline');
SELECT is((SELECT jsonb_path_query_array(doc, '$.rows[*] ? (@.count > 0).table') FROM fx),
          '["aidis.contexts", "aidis.tasks"]'::jsonb, 'the tables holding its rows');
SELECT is((SELECT doc #> '{rows,0,ids}' FROM fx),
          (SELECT jsonb_agg(c.id::text) FROM aidis.contexts c, fx WHERE c.session_id = fx.s), 'and their ids');
SELECT is((SELECT count(*)::int FROM aidis.export_sessions(project => 'tap-exp-a')), 1, 'export_sessions filters by project');
SELECT is((SELECT count(*)::int FROM aidis.export_sessions(q => 'no such words here')), 0, 'and by q');
SELECT is((SELECT count(*)::int FROM aidis.export_sessions(since => now() + interval '1 day')), 0, 'and by start');

-- ---------------------------------------------------------------- readers
SET LOCAL ROLE tap_exp_reader;
SELECT is((SELECT aidis.session_export((SELECT s::text FROM fx)) #>> '{session,display_id}'),
          (SELECT doc #>> '{session,display_id}' FROM fx), 'a reader exports a session it sees');
SELECT throws_ok($$SELECT aidis.session_export((SELECT gs::text FROM fx))$$, '42704', NULL,
                 'a session of a disconnected project is not found for a reader');
SELECT throws_ok($$SELECT aidis._export_rows((SELECT gs FROM fx))$$, '42704', NULL,
                 'nor through the helper that reads as the owner');
SELECT throws_ok($$SELECT * FROM aidis._host_ids('aidis.contexts', (SELECT s FROM fx))$$, '42501', NULL,
                 'the host reader is granted to nobody');
SELECT is((SELECT count(*)::int FROM aidis.export_sessions(status => 'inactive') d
           WHERE d #>> '{project,name}' = 'tap-exp-gone'), 0, 'export_sessions skips what the reader cannot see');
SELECT throws_ok($$SELECT aidis.export_sessions(status => 'sleeping')$$, '22023', NULL, 'a bad status is refused');
SELECT throws_ok($$SELECT * FROM aidis.session_import((SELECT doc FROM fx))$$, '42501', NULL, 'readers do not import');
RESET ROLE;
SET LOCAL ROLE tap_exp_writer;
SELECT throws_ok($$SELECT * FROM aidis.session_import((SELECT doc FROM fx))$$, '42501', NULL, 'nor do writers');
RESET ROLE;

-- ---------------------------------------------------------------- imports (as an admin)
SELECT throws_ok($$SELECT * FROM aidis.session_import((SELECT doc FROM fx))$$, '23505', NULL,
                 'a session that exists is refused');
SET session_replication_role = replica;  -- (the disconnected-project check)
DELETE FROM aidis.session_activities WHERE session_id = (SELECT gs FROM fx);
DELETE FROM aidis.session_base WHERE id = (SELECT gs FROM fx);
DELETE FROM aidis.decisions WHERE session_id = (SELECT gs FROM fx);
RESET session_replication_role;
SELECT throws_ok($$SELECT * FROM aidis.session_import((SELECT gdoc FROM fx))$$, '55000', NULL,
                 'an import into a disconnected project is refused');
SELECT is((SELECT count(*)::int FROM aidis.session_base WHERE id = (SELECT gs FROM fx)), 0, 'and adds nothing');
SELECT throws_ok($$SELECT * FROM aidis.session_import((SELECT gdoc - 'files' FROM fx))$$, '22023', NULL,
                 'a document without its files is malformed');
SELECT throws_ok($$SELECT * FROM aidis.session_import('[1]')$$, '22023', NULL, 'an array is no document');


-- ---------------------------------------------------------------- deleting an imported session
-- The first document under another id and display id: its rows name the
-- original session, so the import counts all of them as absent here. When
-- that session is deleted, those counts go with its counters.
SELECT lives_ok($$SELECT * FROM aidis.session_import(jsonb_set(jsonb_set((SELECT doc FROM fx),
                   '{session,id}', '"00000000-0000-4000-8000-0000000000e1"'),
                   '{session,display_id}', '"SES-2001-0001"'))$$, 'a copy under a new id is imported');
SELECT is((SELECT contexts + tasks FROM aidis.session_imports
           WHERE session_id = '00000000-0000-4000-8000-0000000000e1'), 2::bigint,
          'its context and task are counted as absent');
SELECT aidis.delete_session('SES-2001-0001',
         aidis.delete_session('SES-2001-0001') ->> 'confirm') \gset deleted_
SELECT is_empty($$SELECT * FROM aidis.check_counters()$$,
                'after deleting it the counters still hold: the absent rows moved with them');

SELECT * FROM finish();
ROLLBACK;
