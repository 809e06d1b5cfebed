-- pgTAP: aidis.adopt() on a database shaped like AIDIS before the extension
-- (test/fixtures/adopt_host.sql). Bad arguments are refused with their
-- SQLSTATE and change nothing; the report counts what would be imported and
-- every anomaly; apply imports exactly (ids, display ids, rows, counters,
-- timeline) and tracks the host tables in place, leaving the columns it does
-- not read untouched; the dry run and apply work for an aidis_admin who is
-- not a superuser; the host's own writes and triggers keep working
-- afterwards, and projects are one concept. Runs in one transaction that is
-- rolled back: it leaves nothing behind.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(101);
\ir ../fixtures/adopt_host.sql

-- The operator: a member of aidis_admin, not a superuser.
CREATE ROLE aidis_tap_adopter NOSUPERUSER;
GRANT aidis_admin TO aidis_tap_adopter;
GRANT USAGE ON SCHEMA host TO aidis_tap_adopter;

-- A fingerprint of the host tables and of the extension's tables.
CREATE FUNCTION pg_temp.digest() RETURNS text LANGUAGE plpgsql AS $$
DECLARE t regclass; d text; acc text := '';
BEGIN
  FOREACH t IN ARRAY ARRAY['host.projects', 'host.sessions', 'host.contexts', 'host.tasks',
                           'host.technical_decisions', 'aidis.projects', 'aidis.session_base',
                           'aidis.session_activities', 'aidis.display_id_counters', 'aidis.tracked_tables',
                           'aidis.adoption']::regclass[] LOOP
    EXECUTE format('SELECT md5(COALESCE(string_agg(x::text, chr(10) ORDER BY x::text), %L)) FROM %s x', '', t) INTO d;
    acc := acc || t::text || '=' || d || ';';
  END LOOP;
  RETURN acc || (SELECT count(*) FROM pg_constraint WHERE conrelid::regclass::text LIKE 'host.%')::text
             || (SELECT count(*) FROM pg_trigger WHERE tgrelid::regclass::text LIKE 'host.%')::text;
END $$;
CREATE TEMP TABLE before AS SELECT pg_temp.digest() AS d;

-- refused(sql, sqlstate, what): the SQLSTATE, and nothing changed.
CREATE FUNCTION pg_temp.refused(sql text, state text, what text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN NEXT throws_ok(sql, state, NULL, what);
  RETURN NEXT is(pg_temp.digest(), (SELECT d FROM before), what || ': nothing changed');
END $$;

-- ------------------------------------------------------------ bad arguments
CREATE VIEW host.projects_view AS SELECT * FROM host.projects;
CREATE TABLE host.no_name (id uuid PRIMARY KEY);
CREATE TABLE host.text_ids (id text PRIMARY KEY, name text);
CREATE TABLE host.bare_sessions (id uuid PRIMARY KEY, project_id uuid, started_at timestamptz, ended_at timestamptz);
CREATE TABLE host.statusless_tasks (id uuid PRIMARY KEY, project_id uuid, session_id uuid, created_at timestamptz);
CREATE TABLE host.int_status_tasks (id uuid PRIMARY KEY, project_id uuid, session_id uuid, created_at timestamptz, status integer);
CREATE TABLE host.tracked_notes (id uuid PRIMARY KEY, project_id uuid, session_id uuid, created_at timestamptz);
SELECT aidis.track('host.tracked_notes', 'context');
UPDATE before SET d = pg_temp.digest();

SELECT * FROM pg_temp.refused($$SELECT aidis.adopt(NULL)$$, '22023', 'no projects table');
SELECT * FROM pg_temp.refused($$SELECT aidis.adopt('host.projects', apply => NULL)$$, '22023', 'apply NULL');
SELECT * FROM pg_temp.refused($$SELECT aidis.adopt('host.projects_view')$$, '42809', 'a view is not a table');
SELECT * FROM pg_temp.refused($$SELECT aidis.adopt('host.no_name')$$, '42703', 'projects without a name column');
SELECT * FROM pg_temp.refused($$SELECT aidis.adopt('host.text_ids')$$, '42804', 'projects with text ids');
SELECT * FROM pg_temp.refused($$SELECT aidis.adopt('host.projects', 'host.bare_sessions', apply => true)$$,
                              '42703', 'sessions without display_id');
SELECT * FROM pg_temp.refused($$SELECT aidis.adopt('host.projects', tasks => 'host.statusless_tasks', apply => true)$$,
                              '42703', 'tasks without status');
SELECT * FROM pg_temp.refused($$SELECT aidis.adopt('host.projects', tasks => 'host.int_status_tasks', apply => true)$$,
                              '42804', 'tasks with an integer status');
SELECT * FROM pg_temp.refused($$SELECT aidis.adopt('host.projects', 'host.sessions', 'host.contexts', 'host.contexts')$$,
                              '22023', 'a table given twice');
SELECT * FROM pg_temp.refused($$SELECT aidis.adopt('host.projects', contexts => 'aidis.contexts')$$,
                              '22023', 'an extension table');
SELECT * FROM pg_temp.refused($$SELECT aidis.adopt('host.projects', contexts => 'host.tracked_notes', apply => true)$$,
                              '42710', 'a table tracked already');

-- A name the extension already uses for another project: reported, and apply refused.
SELECT aidis.create_project('aidis-ui');
UPDATE before SET d = pg_temp.digest();
SELECT is(aidis.adopt('host.projects', 'host.sessions') #>> '{conflicts,project_names_taken,ids,0}', 'aidis-ui',
          'the report names the project name already taken');
SELECT * FROM pg_temp.refused($$SELECT aidis.adopt('host.projects', 'host.sessions', apply => true)$$,
                              '23505', 'apply with a project name taken');
DELETE FROM aidis.projects WHERE name = 'aidis-ui';
-- The same project (same id and name), disconnected in the extension: its
-- host sessions cannot be imported (checked once, before the bulk writes).
INSERT INTO aidis.projects (id, name, status) VALUES ('a0000000-0000-4000-8000-000000000002', 'aidis-ui', 'disconnected');
UPDATE before SET d = pg_temp.digest();
SELECT * FROM pg_temp.refused($$SELECT aidis.adopt('host.projects', 'host.sessions', apply => true)$$,
                              '55000', 'apply with host sessions in a disconnected project');
DELETE FROM aidis.projects WHERE name = 'aidis-ui';
UPDATE before SET d = pg_temp.digest();

-- ------------------------------------------------------------ the dry run
SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'aidis_tap_adopter')
          AND pg_has_role('aidis_tap_adopter', 'aidis_admin', 'MEMBER'),
          'the dry run and apply below run as an aidis_admin who is not a superuser');
SET ROLE aidis_tap_adopter;
CREATE TEMP TABLE report AS
SELECT aidis.adopt('host.projects', 'host.sessions', 'host.contexts', 'host.tasks', 'host.technical_decisions') AS r;
RESET ROLE;
SELECT is(pg_temp.digest(), (SELECT d FROM before), 'the dry run changes nothing');
SELECT is((SELECT r -> 'applied' FROM report), 'false'::jsonb, 'the dry run says it applied nothing');
SELECT is((SELECT r -> 'can_apply' FROM report), 'true'::jsonb, 'nothing blocks the import');
SELECT is((SELECT r #> '{import,projects}' FROM report), '5'::jsonb, 'five host projects');
SELECT is((SELECT r #> '{import,sessions}' FROM report), '9'::jsonb, 'nine host sessions');
SELECT is((SELECT r #> '{import,rows}' FROM report),
          '{"host.contexts": 37, "host.tasks": 7, "host.technical_decisions": 3}'::jsonb, 'rows per table');
SELECT is((SELECT r #> '{import,projects_added_to_host,ids}' FROM report), '["__unassigned__"]'::jsonb,
          '__unassigned__ goes into the host table');
SELECT is((SELECT r #> '{import,sessions_by_status}' FROM report),
          '{"active": 2, "ended": 6, "timed_out": 1, "superseded": 0}'::jsonb, 'sessions by status');
SELECT is((SELECT r #> '{anomalies,sessions_without_project}' FROM report),
          '{"count": 3, "ids": ["SES-2024-0003", "SES-2025-0001", "SES-2025-0002"], "placed_on_their_rows_project": 1, "placed_on_unassigned": 2}'::jsonb,
          'orphan sessions, and where they go');
SELECT is((SELECT r #> '{anomalies,ended_sessions_marked_active,ids}' FROM report), '["SES-2024-0002", "SES-2025-0001"]'::jsonb,
          'ended sessions still marked active');
SELECT is((SELECT r #> '{anomalies,rows_without_session}' FROM report),
          '{"count": 5, "ids": ["c0000000-0000-4000-8000-000000000009", "c0000000-0000-4000-8000-00000000000a", "c0000000-0000-4000-8000-00000000000c", "d0000000-0000-4000-8000-000000000006", "e0000000-0000-4000-8000-000000000003"], "by_table": {"host.contexts": 3, "host.tasks": 1, "host.technical_decisions": 1}}'::jsonb,
          'rows without a session (one lost it with the deleted project)');
SELECT is((SELECT r #> '{anomalies,rows_in_another_project_than_their_session,count}' FROM report), '3'::jsonb,
          'rows in another project than their session');
SELECT ok((SELECT r #> '{anomalies,rows_in_another_project_than_their_session,ids}' FROM report) ? 'c0000000-0000-4000-8000-000000000008',
          'the row written under another current project is among them');
SELECT is((SELECT r #> '{anomalies,counters_disagree,ids}' FROM report),
          jsonb_build_array('SES-2024-0003', 'SES-2024-0004', 'SES-2025-0001', 'SES-2025-0007',
                            format('SES-%s-0042', extract(year FROM now() AT TIME ZONE 'UTC')::integer)),
          'counters the server overwrote');
SELECT is((SELECT jsonb_array_length(r #> '{import,foreign_keys_replaced}') FROM report), 3,
          'the three session foreign keys are listed');

-- ------------------------------------------------------------ apply
CREATE TEMP TABLE host_counts AS
SELECT (SELECT count(*) FROM host.contexts) AS c, (SELECT count(*) FROM host.tasks) AS t,
       (SELECT count(*) FROM host.technical_decisions) AS d, (SELECT count(*) FROM host.sessions) AS s;
CREATE TEMP TABLE host_sessions_before AS SELECT * FROM host.sessions;
SET ROLE aidis_tap_adopter;
CREATE TEMP TABLE applied AS
SELECT aidis.adopt('host.projects', 'host.sessions', 'host.contexts', 'host.tasks', 'host.technical_decisions',
                   apply => true) AS r;
RESET ROLE;
SELECT is((SELECT r - 'applied' FROM applied), (SELECT r - 'applied' FROM report),
          'apply (by the same non-superuser) returns the report of the dry run');
SELECT is((SELECT r -> 'applied' FROM applied), 'true'::jsonb, 'and applied it');
SELECT set_eq($$SELECT s::text FROM host.sessions s$$, $$SELECT s::text FROM host_sessions_before s$$,
              'the host''s sessions rows are untouched, every column of them');
SELECT is((SELECT concat_ws('/', lines_net, files_modified, session_type, ip_address, metadata ->> 'client', updated_at)
           FROM host.sessions WHERE display_id = 'SES-2024-0001'),
          (SELECT concat_ws('/', lines_net, files_modified, session_type, ip_address, metadata ->> 'client', updated_at)
           FROM host_sessions_before WHERE display_id = 'SES-2024-0001'),
          'columns the extension does not read keep their values');
SELECT is((SELECT title || '/' || client_key || '/' || goal FROM aidis.session_base WHERE display_id = 'SES-2024-0001'),
          'Schema work/conn-1/Design the schema', 'the columns it reads are imported');
SELECT is((SELECT count(*) FROM host.contexts), (SELECT c FROM host_counts), 'contexts: as many rows as before');
SELECT is((SELECT count(*) FROM host.tasks), (SELECT t FROM host_counts), 'tasks: as many rows as before');
SELECT is((SELECT count(*) FROM host.technical_decisions), (SELECT d FROM host_counts), 'decisions: as many rows as before');
SELECT is((SELECT count(*) FROM host.sessions), (SELECT s FROM host_counts), 'the host''s sessions table is kept');
SELECT set_eq($$SELECT id, display_id FROM aidis.session_base$$, $$SELECT id, display_id::text FROM host.sessions$$,
              'every host session is an aidis session with the same id and display id');
SELECT set_eq($$SELECT id, name FROM aidis.projects$$, $$SELECT id, name::text FROM host.projects$$,
              'the same projects on both sides, same ids and names');
SELECT is_empty($$SELECT * FROM aidis.check_counters()$$, 'check_counters() finds nothing');
SELECT is_empty($$SELECT 1 FROM aidis.session_base WHERE (status = 'active') <> (ended_at IS NULL)$$,
                'active <=> not ended');
SELECT is_empty($$SELECT 1 FROM aidis.session_base
                  WHERE active_seconds IS DISTINCT FROM
                        CASE WHEN ended_at IS NOT NULL THEN aidis._active_seconds(id, started_at, ended_at, last_activity_at) END$$,
                'ended sessions store the active seconds of their timeline, as when a session ends');
SELECT is((SELECT active_seconds FROM aidis.session_base WHERE display_id = 'SES-2024-0001'), 5700::bigint,
          'a historic session''s active seconds');
SELECT is(current_setting('aidis.importing'), 'off', 'the check of the session tables is back on after the import');
SET LOCAL ROLE aidis_admin;
SELECT throws_ok($$SET aidis.importing = on$$, '42501', NULL, 'only a superuser can turn that check off');
RESET ROLE;
SELECT is((SELECT array_agg(display_id || ':' || p.name ORDER BY display_id) FROM aidis.session_base s
           JOIN aidis.projects p ON p.id = s.project_id WHERE display_id IN ('SES-2024-0003', 'SES-2025-0001', 'SES-2025-0002')),
          ARRAY['SES-2024-0003:aidis-ui', 'SES-2025-0001:__unassigned__', 'SES-2025-0002:__unassigned__'],
          'orphans: on their rows'' one project, else __unassigned__');
SELECT is((SELECT status || '/' || end_reason || '/' || ended_at FROM aidis.session_base WHERE display_id = 'SES-2024-0002'),
          'inactive/ended/' || '2024-02-02 11:00:00+00'::timestamptz, 'an ended session marked active is ended at its ended_at');
SELECT is((SELECT end_reason || '/' || ended_at FROM aidis.session_base WHERE display_id = 'SES-2024-0004'),
          'timeout/' || '2024-06-01 10:40:00+00'::timestamptz, 'an interrupted session timed out at its last activity');
SELECT is((SELECT concat_ws('/', status, COALESCE(end_reason, '-'), COALESCE(ended_at::text, '-'), agent, client_key)
           FROM aidis.session_base WHERE id = 'b0000000-0000-4000-8000-00000000000a'),
          'active/-/-/mcp-server/conn-10', 'an interrupted session active within the timeout stays active');
SELECT is((SELECT array_agg(display_id ORDER BY display_id) FROM aidis.session_base WHERE display_id LIKE 'SES-2024-%'),
          ARRAY['SES-2024-0001', 'SES-2024-0002', 'SES-2024-0003', 'SES-2024-0004'],
          'display ids the host''s trigger filled from its sequence are kept');
SELECT is((SELECT contexts_created || '/' || tasks_created || '/' || tasks_completed || '/' || decisions_created
                  || '/' || input_tokens || '/' || output_tokens || '/' || agent
           FROM aidis.sessions WHERE display_id = 'SES-2025-0007'),
          '26/2/1/1/50000/9000/ai-model', 'counters recomputed from the rows, tokens from the host');
SELECT is((SELECT contexts_created FROM aidis.sessions WHERE display_id = 'SES-2025-0001'), 2::bigint,
          'the 99 the server wrote is replaced by the 2 rows');
SELECT is((SELECT array_agg(kind || ' ' || COALESCE(entity_id, '-') ORDER BY id) FROM aidis.session_activities
           WHERE session_id = 'b0000000-0000-4000-8000-000000000001'),
          ARRAY['session_started -', 'context_added c0000000-0000-4000-8000-000000000001',
                'task_created d0000000-0000-4000-8000-000000000001', 'task_created d0000000-0000-4000-8000-000000000002',
                'decision_made e0000000-0000-4000-8000-000000000001', 'context_added c0000000-0000-4000-8000-000000000002',
                'task_completed d0000000-0000-4000-8000-000000000001', 'context_added c0000000-0000-4000-8000-000000000003',
                'session_ended -'], 'a historic timeline: one event per row at its time, in order');
SELECT is((SELECT summary || ' ' || data::text FROM aidis.session_activities
           WHERE entity_id = 'c0000000-0000-4000-8000-000000000003'),
          'Error: migration 003 failed on a NULL project {"table": "host.contexts", "context_type": "error"}',
          'a historic event has the summary and data the trigger writes');
SELECT is((SELECT count(*) FROM aidis.session_activities WHERE kind IN ('context_added', 'task_created', 'decision_made')),
          (SELECT count(*) FROM host.contexts WHERE session_id IS NOT NULL) + (SELECT count(*) FROM host.tasks WHERE session_id IS NOT NULL)
          + (SELECT count(*) FROM host.technical_decisions WHERE session_id IS NOT NULL), 'one event per row with a session');
SELECT is(aidis._next_display_id('2024-07-01'), 'SES-2024-0005', 'display ids continue after the highest of 2024');
SELECT is(aidis._next_display_id('2025-07-01'), 'SES-2025-0008', 'and of 2025');
SELECT is((SELECT display_id FROM aidis.start_session('tap-adopt', 'aidis-server')),
          format('SES-%s-0043', extract(year FROM now() AT TIME ZONE 'UTC')::integer), 'a new session continues after this year''s highest');
SELECT is_empty($$SELECT 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = 'host.sessions'::regclass
                  AND conrelid <> 'host.sessions'::regclass$$, 'no row table references the host''s sessions any more');
SELECT is((SELECT jsonb_array_length(foreign_keys) FROM aidis.adoption), 3, 'the replaced foreign keys are kept');
SELECT set_eq($$SELECT tbl::text, kind FROM aidis.tracked_tables WHERE NOT shipped AND tbl::text <> 'host.tracked_notes'$$,
              $$VALUES ('host.contexts', 'context'), ('host.tasks', 'task'), ('host.technical_decisions', 'decision')$$,
              'the host tables are tracked in place');
SELECT throws_ok($$SELECT aidis.adopt('host.projects', 'host.sessions')$$, '55000', NULL, 'a second adopt is refused');

-- ------------------------------------------------------------ the host's writes
SELECT id AS sid FROM aidis.session_base WHERE display_id LIKE 'SES-%-0042' \gset
INSERT INTO host.tasks (id, project_id, session_id, title, status)
VALUES ('d0000000-0000-4000-8000-0000000000f1', 'a0000000-0000-4000-8000-000000000001', :'sid', 'Host task', 'in_progress');
INSERT INTO host.contexts (id, project_id, session_id, context_type, content)
VALUES ('c0000000-0000-4000-8000-0000000000f1', 'a0000000-0000-4000-8000-000000000002', :'sid', 'code', 'Host context');
UPDATE host.tasks SET status = 'completed', completed_at = now() WHERE id = 'd0000000-0000-4000-8000-0000000000f1';
INSERT INTO host.technical_decisions (id, project_id, session_id, decision_type, title)
VALUES ('e0000000-0000-4000-8000-0000000000f1', 'a0000000-0000-4000-8000-000000000001', :'sid', 'architecture', 'Keep the host tables');
-- A task written before adoption, its updated_at as the server left it.
SELECT isnt((SELECT updated_at FROM host.tasks WHERE id = 'd0000000-0000-4000-8000-000000000007'), now(),
            'a historic task has an older updated_at');
UPDATE host.tasks SET status = 'completed', completed_at = now() WHERE id = 'd0000000-0000-4000-8000-000000000007';
SELECT is((SELECT updated_at FROM host.tasks WHERE id = 'd0000000-0000-4000-8000-000000000007'), now(),
          'UPDATE tasks SET status = ''completed'': the host''s updated_at trigger still runs');
SELECT aidis._flush_pending();  -- the counters as this transaction will commit them
SELECT is((SELECT concat_ws('/', contexts_created, tasks_created, decisions_created)
           FROM aidis.sessions WHERE id = :'sid'), '2/2/1',
          'explicit ids: counted for the session, even in another project; the decision too');
SELECT is((SELECT count(*) FROM aidis.session_activities WHERE kind = 'task_completed'
           AND entity_id = 'd0000000-0000-4000-8000-0000000000f1'), 1::bigint, 'UPDATE ... SET status = ''completed'' is a completion');
SELECT is_empty($$SELECT * FROM aidis.check_counters()$$, 'counters check out after the host''s writes');
INSERT INTO host.projects (id, name) VALUES ('a0000000-0000-4000-8000-0000000000f2', 'brand-new');
SELECT lives_ok($$INSERT INTO host.contexts (project_id, session_id, context_type, content)
                  VALUES ('a0000000-0000-4000-8000-0000000000f2', '$$ || :'sid' || $$', 'code', 'in the new project')$$,
                'a context in a project the host just created');
SELECT is((SELECT name || '/' || status FROM aidis.projects WHERE id = 'a0000000-0000-4000-8000-0000000000f2'),
          'brand-new/active', 'the new project is an aidis project at once');
SELECT aidis.use_session(:'sid');
INSERT INTO host.contexts (project_id, context_type, content)
VALUES ('a0000000-0000-4000-8000-000000000001', 'code', 'no session given');
SELECT is((SELECT session_id FROM host.contexts WHERE content = 'no session given'), :'sid'::uuid,
          'a NULL session_id is stamped');
SELECT throws_ok($$INSERT INTO host.contexts (project_id, session_id, context_type, content)
                   VALUES ('a0000000-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-000000000001', 'code', 'x')$$,
                 '23503', NULL, 'a session that does not exist is refused');
SELECT throws_ok($$INSERT INTO host.contexts (project_id, session_id, context_type, content)
                   VALUES ('a0000000-0000-4000-8000-000000000001', '$$ || :'sid' || $$', 'code', '   ')$$,
                 '23514', NULL, 'the host''s own checks still hold');
SELECT throws_ok($$INSERT INTO host.tasks (project_id, session_id, title)
                   VALUES ('a0000000-0000-4000-8000-0000000000ff', '$$ || :'sid' || $$', 'x')$$,
                 '23503', NULL, 'a project that exists nowhere is refused');
UPDATE host.projects SET name = 'aidis-core', status = 'paused' WHERE id = 'a0000000-0000-4000-8000-000000000001';
SELECT is((SELECT name || '/' || status FROM aidis.projects WHERE id = 'a0000000-0000-4000-8000-000000000001'),
          'aidis-core/archived', 'a rename and a pause reach the extension');
SELECT is((SELECT updated_at FROM host.projects WHERE id = 'a0000000-0000-4000-8000-000000000001'), now(),
          'and the host''s updated_at trigger on projects still runs');
SELECT throws_ok($$DELETE FROM host.projects WHERE name = 'aidis-ui'$$, '23503', NULL,
                 'a project with sessions cannot be deleted by the host');
SELECT is((SELECT count(*) FROM host.sessions WHERE project_id = 'a0000000-0000-4000-8000-000000000002'), 2::bigint,
          'and its host sessions are still there');
SELECT throws_ok($$DELETE FROM host.projects WHERE name = 'ideas'$$, '23503', NULL,
                 'a project whose only rows have no session cannot be deleted by the host either');
SELECT is((SELECT project_id FROM host.contexts WHERE id = 'c0000000-0000-4000-8000-00000000000c'),
          'a0000000-0000-4000-8000-000000000006'::uuid, 'and its row is still there, in it');
DELETE FROM host.projects WHERE name = 'research';
SELECT is_empty($$SELECT 1 FROM aidis.projects WHERE name = 'research'$$, 'an unused project can be deleted, on both sides');
SELECT aidis.disconnect_project('aidis-ui');
SELECT throws_ok($$INSERT INTO host.contexts (project_id, session_id, context_type, content)
                   VALUES ('a0000000-0000-4000-8000-000000000002', '$$ || :'sid' || $$', 'code', 'x')$$,
                 '55000', NULL, 'a disconnected host project refuses the host''s writes');
SELECT throws_ok($$UPDATE host.projects SET description = 'x' WHERE name = 'aidis-ui'$$, '55000', NULL,
                 'and its row in the host table');
SELECT aidis.reconnect_project('aidis-ui');
SELECT aidis.create_project('made-by-aidis', '/srv/x');
SELECT is((SELECT id::text || root_directory FROM host.projects WHERE name = 'made-by-aidis'),
          (SELECT id::text || '/srv/x' FROM aidis.projects WHERE name = 'made-by-aidis'),
          'create_project puts the project into the host table, same id');
SELECT throws_ok($$TRUNCATE host.projects CASCADE$$, '55000', NULL, 'TRUNCATE of the adopted projects is refused');

-- The host's own code runs as the host table's owner, never as the extension's.
CREATE ROLE aidis_tap_host_owner;
GRANT USAGE ON SCHEMA host TO aidis_tap_host_owner;
CREATE TABLE host.who (who text);
ALTER TABLE host.who OWNER TO aidis_tap_host_owner;
CREATE FUNCTION host.record_who() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO host.who VALUES (current_user); RETURN NULL; END $$;
CREATE TRIGGER record_who AFTER INSERT OR DELETE ON host.projects FOR EACH ROW EXECUTE FUNCTION host.record_who();
ALTER TABLE host.projects OWNER TO aidis_tap_host_owner;
SELECT aidis.create_project('made-as-owner');
SELECT is((SELECT array_agg(who) FROM host.who), ARRAY['aidis_tap_host_owner']::text[],
          'create_project inserts into the host table as its owner: the host''s triggers run with the owner''s rights');
SELECT is((SELECT p.name FROM aidis.projects p JOIN host.projects h USING (id) WHERE h.name = 'made-as-owner'), 'made-as-owner',
          'and the project is mirrored into aidis.projects');

SELECT * FROM finish();
ROLLBACK;
