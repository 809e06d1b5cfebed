-- pgTAP: the schema of aidis_sessions (docs/design.md, "Data model"; docs/api.md).
-- Tables, columns and types, the sessions view, the sentinel project, the
-- CHECK constraints (exercised, not only listed), the one-default index, no
-- ON DELETE CASCADE from projects, pg_dump registration, the SQL API
-- signatures, pinned search_path of SECURITY DEFINER functions, roles,
-- triggers and row-level security.
-- Runs in one transaction that is rolled back: it leaves nothing behind.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(332);

-- ---------------------------------------------------------------- schema
SELECT has_schema('aidis', 'schema aidis exists');
SELECT has_extension('aidis_sessions', 'extension aidis_sessions is installed');
SELECT is((SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
           WHERE e.extname = 'aidis_sessions'), 'aidis', 'the extension lives in schema aidis');

-- ---------------------------------------------------------------- tables
SELECT has_table('aidis', 'projects', 'table aidis.projects');
SELECT has_table('aidis', 'session_base', 'table aidis.session_base (the stored session rows)');
SELECT has_table('aidis', 'session_activities', 'table aidis.session_activities (the timeline)');
SELECT has_table('aidis', 'session_files', 'table aidis.session_files');
SELECT has_table('aidis', 'contexts', 'tracked table aidis.contexts');
SELECT has_table('aidis', 'tasks', 'tracked table aidis.tasks');
SELECT has_table('aidis', 'decisions', 'tracked table aidis.decisions');
SELECT has_view('aidis', 'sessions', 'view aidis.sessions');

-- projects(id uuid pk, name text unique 1..255, status, is_default bool, root_directory, created_at)
SELECT col_type_is('aidis', 'projects', 'id', 'uuid', 'projects.id is uuid');
SELECT col_is_pk('aidis', 'projects', 'id', 'projects.id is the primary key');
SELECT col_type_is('aidis', 'projects', 'name', 'text', 'projects.name is text');
SELECT col_not_null('aidis', 'projects', 'name', 'projects.name is NOT NULL');
SELECT col_is_unique('aidis', 'projects', 'name', 'projects.name is unique');
SELECT col_type_is('aidis', 'projects', 'status', 'text', 'projects.status is text');
SELECT col_not_null('aidis', 'projects', 'status', 'projects.status is NOT NULL');
SELECT col_type_is('aidis', 'projects', 'is_default', 'boolean', 'projects.is_default is boolean');
SELECT col_not_null('aidis', 'projects', 'is_default', 'projects.is_default is NOT NULL');
SELECT col_type_is('aidis', 'projects', 'root_directory', 'text', 'projects.root_directory is text');
SELECT col_type_is('aidis', 'projects', 'created_at', 'timestamp with time zone', 'projects.created_at is timestamptz');
SELECT col_not_null('aidis', 'projects', 'created_at', 'projects.created_at is NOT NULL');

-- session_base: the stored columns of a session.
SELECT col_type_is('aidis', 'session_base', 'id', 'uuid', 'session_base.id is uuid');
SELECT col_is_pk('aidis', 'session_base', 'id', 'session_base.id is the primary key');
SELECT col_type_is('aidis', 'session_base', 'display_id', 'text', 'session_base.display_id is text');
SELECT col_not_null('aidis', 'session_base', 'display_id', 'session_base.display_id is NOT NULL');
SELECT col_is_unique('aidis', 'session_base', 'display_id', 'session_base.display_id is unique');
SELECT col_not_null('aidis', 'session_base', 'title', 'session_base.title is NOT NULL');
SELECT col_type_is('aidis', 'session_base', 'tags', 'text[]', 'session_base.tags is text[]');
SELECT col_type_is('aidis', 'session_base', 'project_id', 'uuid', 'session_base.project_id is uuid');
SELECT col_not_null('aidis', 'session_base', 'project_id', 'session_base.project_id is NOT NULL');
SELECT fk_ok('aidis', 'session_base', 'project_id', 'aidis', 'projects', 'id',
             'session_base.project_id references projects.id');
SELECT col_not_null('aidis', 'session_base', 'agent', 'session_base.agent is NOT NULL');
SELECT col_not_null('aidis', 'session_base', 'status', 'session_base.status is NOT NULL');
SELECT col_not_null('aidis', 'session_base', 'started_at', 'session_base.started_at is NOT NULL');
SELECT col_not_null('aidis', 'session_base', 'last_activity_at', 'session_base.last_activity_at is NOT NULL');
SELECT col_type_is('aidis', 'session_base', 'ended_at', 'timestamp with time zone', 'session_base.ended_at is timestamptz');
SELECT col_is_null('aidis', 'session_base', 'ended_at', 'session_base.ended_at is nullable (NULL while active)');
SELECT col_type_is('aidis', 'session_base', 'rating', 'smallint', 'session_base.rating is smallint');
SELECT col_type_is('aidis', 'session_base', 'score_breakdown', 'jsonb', 'session_base.score_breakdown is jsonb');
SELECT col_type_is('aidis', 'session_base', 'active_seconds', 'bigint', 'session_base.active_seconds is bigint');
SELECT col_is_null('aidis', 'session_base', 'active_seconds', 'session_base.active_seconds is nullable (stored when the session ends)');

-- The view aidis.sessions carries every session column (docs/api.md).
-- (extra columns are allowed by docs/api.md, so each one is checked by name.)
SELECT has_column('aidis', 'sessions', c, 'sessions.' || c || ' exists')
FROM unnest(ARRAY[
  'id', 'display_id', 'title', 'description', 'goal', 'notes', 'tags',
  'project_id', 'agent', 'ai_model', 'client_key',
  'status', 'end_reason', 'started_at', 'last_activity_at', 'ended_at',
  'contexts_created', 'tasks_created', 'tasks_completed', 'tasks_reopened',
  'decisions_created', 'activity_count', 'input_tokens', 'output_tokens',
  'cache_read_tokens', 'cache_creation_tokens', 'estimated_tokens', 'loc_added',
  'loc_removed', 'files_touched',
  'rating', 'rating_note', 'score', 'score_breakdown', 'created_at', 'updated_at']) AS c;
SELECT col_type_is('aidis', 'sessions', c, t, 'sessions.' || c || ' is ' || t)
FROM (VALUES ('id', 'uuid'), ('display_id', 'text'), ('title', 'text'), ('description', 'text'),
             ('goal', 'text'), ('notes', 'text'), ('tags', 'text[]'), ('project_id', 'uuid'),
             ('agent', 'text'), ('ai_model', 'text'), ('client_key', 'text'), ('status', 'text'),
             ('end_reason', 'text'), ('started_at', 'timestamp with time zone'),
             ('last_activity_at', 'timestamp with time zone'), ('ended_at', 'timestamp with time zone'),
             ('rating', 'smallint'), ('rating_note', 'text'), ('score_breakdown', 'jsonb'),
             ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone'))
     AS v(c, t);
SELECT is(format_type(a.atttypid, a.atttypmod) ~ '^(bigint|integer|numeric)', true,
          'sessions.' || a.attname || ' is an integer counter')
FROM pg_attribute a
WHERE a.attrelid = 'aidis.sessions'::regclass
  AND a.attname IN ('contexts_created', 'tasks_created', 'tasks_completed', 'tasks_reopened',
                    'decisions_created', 'activity_count', 'input_tokens', 'output_tokens',
                    'cache_read_tokens', 'cache_creation_tokens', 'estimated_tokens', 'loc_added',
                    'loc_removed', 'files_touched')
ORDER BY a.attnum;
SELECT is(format_type(a.atttypid, a.atttypmod) ~ '^numeric', true, 'sessions.score is numeric')
FROM pg_attribute a WHERE a.attrelid = 'aidis.sessions'::regclass AND a.attname = 'score';

-- session_activities: the timeline.
SELECT has_column('aidis', 'session_activities', c, 'session_activities.' || c || ' exists')
FROM unnest(ARRAY['id', 'session_id', 'occurred_at', 'kind', 'entity_id', 'summary', 'data']) AS c;
SELECT col_type_is('aidis', 'session_activities', 'id', 'bigint', 'session_activities.id is bigint');
SELECT col_is_pk('aidis', 'session_activities', ARRAY['session_id', 'id'], 'session_activities is keyed by (session_id, id): the timeline order');
SELECT col_type_is('aidis', 'session_activities', 'session_id', 'uuid', 'session_activities.session_id is uuid');
SELECT col_not_null('aidis', 'session_activities', 'session_id', 'session_activities.session_id is NOT NULL');
SELECT col_type_is('aidis', 'session_activities', 'occurred_at', 'timestamp with time zone', 'session_activities.occurred_at is timestamptz');
SELECT col_type_is('aidis', 'session_activities', 'kind', 'text', 'session_activities.kind is text');
SELECT col_not_null('aidis', 'session_activities', 'kind', 'session_activities.kind is NOT NULL');
SELECT col_type_is('aidis', 'session_activities', 'data', 'jsonb', 'session_activities.data is jsonb');

-- session_files(session_id, path, mentions, modifications, loc_added, loc_removed, first_at, last_at)
SELECT has_column('aidis', 'session_files', c, 'session_files.' || c || ' exists')
FROM unnest(ARRAY['session_id', 'path', 'mentions', 'modifications', 'loc_added', 'loc_removed',
                  'first_at', 'last_at']) AS c;
SELECT col_type_is('aidis', 'session_files', 'session_id', 'uuid', 'session_files.session_id is uuid');
SELECT col_type_is('aidis', 'session_files', 'path', 'text', 'session_files.path is text');
SELECT col_not_null('aidis', 'session_files', 'path', 'session_files.path is NOT NULL');
SELECT col_type_is('aidis', 'session_files', 'first_at', 'timestamp with time zone', 'session_files.first_at is timestamptz');

-- Tracked tables shipped by the extension.
SELECT has_column('aidis', 'contexts', c, 'contexts.' || c || ' exists')
FROM unnest(ARRAY['id', 'project_id', 'session_id', 'context_type', 'content', 'tags', 'metadata',
                  'created_at']) AS c;
SELECT col_type_is('aidis', 'contexts', 'project_id', 'uuid', 'contexts.project_id is uuid');
SELECT col_type_is('aidis', 'contexts', 'session_id', 'uuid', 'contexts.session_id is uuid');
SELECT col_type_is('aidis', 'contexts', 'content', 'text', 'contexts.content is text');
SELECT col_not_null('aidis', 'contexts', 'content', 'contexts.content is NOT NULL');
SELECT col_type_is('aidis', 'contexts', 'tags', 'text[]', 'contexts.tags is text[]');
SELECT col_type_is('aidis', 'contexts', 'metadata', 'jsonb', 'contexts.metadata is jsonb');

SELECT has_column('aidis', 'tasks', c, 'tasks.' || c || ' exists')
FROM unnest(ARRAY['id', 'project_id', 'session_id', 'title', 'description', 'status', 'priority',
                  'created_at', 'updated_at', 'completed_at']) AS c;
SELECT col_type_is('aidis', 'tasks', 'project_id', 'uuid', 'tasks.project_id is uuid');
SELECT col_type_is('aidis', 'tasks', 'session_id', 'uuid', 'tasks.session_id is uuid');
SELECT col_type_is('aidis', 'tasks', 'status', 'text', 'tasks.status is text');
SELECT col_not_null('aidis', 'tasks', 'title', 'tasks.title is NOT NULL');
SELECT col_type_is('aidis', 'tasks', 'completed_at', 'timestamp with time zone', 'tasks.completed_at is timestamptz');

SELECT has_column('aidis', 'decisions', c, 'decisions.' || c || ' exists')
FROM unnest(ARRAY['id', 'project_id', 'session_id', 'title', 'rationale', 'status', 'created_at']) AS c;
SELECT col_type_is('aidis', 'decisions', 'project_id', 'uuid', 'decisions.project_id is uuid');
SELECT col_type_is('aidis', 'decisions', 'session_id', 'uuid', 'decisions.session_id is uuid');

-- ---------------------------------------------------------------- the sentinel project
SELECT results_eq(
  $$SELECT name FROM aidis.projects WHERE id = '00000000-0000-0000-0000-000000000000'$$,
  ARRAY['__unassigned__'],
  'the sentinel project 00000000-... exists and is named __unassigned__');
SELECT is((SELECT status FROM aidis.projects WHERE id = '00000000-0000-0000-0000-000000000000'),
          'active', 'the sentinel project is active');

-- ---------------------------------------------------------------- CHECK constraints, exercised
-- A scratch project and session, written directly as superuser.
CREATE TEMP TABLE fx ON COMMIT DROP AS
SELECT (aidis.create_project('tap-schema-project')).id AS p;
INSERT INTO aidis.session_base (id, display_id, title, project_id, agent)
SELECT 'aaaaaaaa-0000-0000-0000-000000000001', 'SES-1990-0001', 'schema test', p, 'tap' FROM fx;

-- projects
SELECT throws_ok($$INSERT INTO aidis.projects (name) VALUES ('')$$, '23514', NULL,
                 'projects.name must not be empty (23514)');
SELECT throws_ok($$INSERT INTO aidis.projects (name) VALUES (repeat('n', 256))$$, '23514', NULL,
                 'projects.name longer than 255 is refused (23514)');
SELECT lives_ok($$INSERT INTO aidis.projects (name) VALUES (repeat('n', 255))$$,
                'projects.name of 255 characters is accepted');
SELECT throws_ok($$INSERT INTO aidis.projects (name) VALUES ('tap-schema-project')$$, '23505', NULL,
                 'projects.name is unique (23505)');
SELECT throws_ok($$INSERT INTO aidis.projects (name, status) VALUES ('tap-bad-status', 'deleted')$$, '23514', NULL,
                 'projects.status outside active|archived|disconnected is refused (23514)');
SELECT lives_ok($$INSERT INTO aidis.projects (name, status) VALUES ('tap-archived', 'archived')$$,
                'projects.status archived is accepted');

-- sessions: title 1..255
SELECT throws_ok($$UPDATE aidis.session_base SET title = '' WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'session title must not be empty (23514)');
SELECT throws_ok($$UPDATE aidis.session_base SET title = repeat('t', 256) WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'session title longer than 255 is refused (23514)');
SELECT lives_ok($$UPDATE aidis.session_base SET title = repeat('t', 255) WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                'session title of 255 characters is accepted');
-- description / goal <= 2000, notes <= 10000
SELECT throws_ok($$UPDATE aidis.session_base SET description = repeat('d', 2001) WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'session description longer than 2000 is refused (23514)');
SELECT lives_ok($$UPDATE aidis.session_base SET description = repeat('d', 2000) WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                'session description of 2000 characters is accepted');
SELECT throws_ok($$UPDATE aidis.session_base SET goal = repeat('g', 2001) WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'session goal longer than 2000 is refused (23514)');
SELECT lives_ok($$UPDATE aidis.session_base SET goal = repeat('g', 2000) WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                'session goal of 2000 characters is accepted');
SELECT throws_ok($$UPDATE aidis.session_base SET notes = repeat('n', 10001) WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'session notes longer than 10000 are refused (23514)');
SELECT lives_ok($$UPDATE aidis.session_base SET notes = repeat('n', 10000) WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                'session notes of 10000 characters are accepted');
-- rating 1..5, rating_note <= 2000, score 0..100
SELECT throws_ok($$UPDATE aidis.session_base SET rating = 0 WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'rating 0 is refused (23514)');
SELECT throws_ok($$UPDATE aidis.session_base SET rating = 6 WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'rating 6 is refused (23514)');
SELECT lives_ok($$UPDATE aidis.session_base SET rating = 1 WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                'rating 1 is accepted');
SELECT lives_ok($$UPDATE aidis.session_base SET rating = 5 WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                'rating 5 is accepted');
SELECT throws_ok($$UPDATE aidis.session_base SET rating_note = repeat('r', 2001) WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'rating_note longer than 2000 is refused (23514)');
SELECT throws_ok($$UPDATE aidis.session_base SET score = 100.01 WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'score above 100 is refused (23514)');
SELECT throws_ok($$UPDATE aidis.session_base SET score = -1 WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'score below 0 is refused (23514)');
-- status values and the active <=> ended_at IS NULL invariant
SELECT throws_ok($$UPDATE aidis.session_base SET status = 'paused' WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'session status outside active|inactive|disconnected is refused (23514)');
SELECT throws_ok($$UPDATE aidis.session_base SET status = 'inactive', ended_at = now(), end_reason = 'bored'
                   WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'end_reason outside ended|timeout|superseded|project_disconnected is refused (23514)');
SELECT throws_ok($$UPDATE aidis.session_base SET ended_at = now() WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'an active session cannot have ended_at (23514)');
SELECT throws_ok($$UPDATE aidis.session_base SET status = 'inactive', end_reason = 'ended'
                   WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'an inactive session must have ended_at (23514)');
SELECT lives_ok($$UPDATE aidis.session_base SET status = 'inactive', end_reason = 'ended', ended_at = now()
                  WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                'status inactive with ended_at and end_reason is accepted');
SELECT throws_ok($$UPDATE aidis.session_base SET display_id = 'SESSION-1' WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'$$,
                 '23514', NULL, 'display_id must look like SES-YYYY-NNNN (23514)');
SELECT throws_ok($$INSERT INTO aidis.session_base (display_id, title, project_id, agent)
                   SELECT 'SES-1990-0001', 'dup', p, 'tap' FROM fx$$,
                 '23505', NULL, 'display_id is unique (23505)');
SELECT throws_ok($$INSERT INTO aidis.session_base (display_id, title, project_id, agent)
                   VALUES ('SES-1990-0002', 'orphan', '99999999-9999-9999-9999-999999999999', 'tap')$$,
                 '23503', NULL, 'session_base.project_id must name a project (23503)');
SELECT throws_ok($$INSERT INTO aidis.session_base (display_id, title, project_id, agent)
                   VALUES ('SES-1990-0003', 'no project', NULL, 'tap')$$,
                 '23502', NULL, 'session_base.project_id is never NULL (23502)');

-- Tracked tables: content non-empty, task title <= 500, task status values.
SELECT throws_ok($$INSERT INTO aidis.contexts (project_id, session_id, content)
                   SELECT p, 'aaaaaaaa-0000-0000-0000-000000000001', '' FROM fx$$,
                 '23514', NULL, 'contexts.content must not be empty (23514)');
SELECT throws_ok($$INSERT INTO aidis.tasks (project_id, session_id, title)
                   SELECT p, 'aaaaaaaa-0000-0000-0000-000000000001', repeat('t', 501) FROM fx$$,
                 '23514', NULL, 'tasks.title longer than 500 is refused (23514)');
SELECT lives_ok($$INSERT INTO aidis.tasks (project_id, session_id, title)
                  SELECT p, 'aaaaaaaa-0000-0000-0000-000000000001', repeat('t', 500) FROM fx$$,
                'tasks.title of 500 characters is accepted');
SELECT throws_ok($$INSERT INTO aidis.tasks (project_id, session_id, title, status)
                   SELECT p, 'aaaaaaaa-0000-0000-0000-000000000001', 'x', 'done' FROM fx$$,
                 '23514', NULL, 'tasks.status outside todo|in_progress|blocked|completed|cancelled is refused (23514)');
SELECT lives_ok($$INSERT INTO aidis.tasks (project_id, session_id, title, status)
                  SELECT p, 'aaaaaaaa-0000-0000-0000-000000000001', 'x' || s, s FROM fx,
                  unnest(ARRAY['todo', 'in_progress', 'blocked', 'completed', 'cancelled']) s$$,
                'every task status docs/api.md lists is accepted');

-- ---------------------------------------------------------------- at most one default project
SELECT ok(EXISTS (
  SELECT 1 FROM pg_index i
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
  WHERE i.indrelid = 'aidis.projects'::regclass AND i.indisunique AND i.indpred IS NOT NULL
    AND a.attname = 'is_default'
    AND pg_get_expr(i.indpred, i.indrelid) ~ 'is_default'),
  'a partial unique index on projects (is_default) WHERE is_default exists');
SELECT lives_ok($$INSERT INTO aidis.projects (name, is_default) VALUES ('tap-default-1', true)$$,
                'one default project is accepted');
SELECT throws_ok($$INSERT INTO aidis.projects (name, is_default) VALUES ('tap-default-2', true)$$,
                 '23505', NULL, 'a second default project is refused (23505)');
SELECT lives_ok($$INSERT INTO aidis.projects (name, is_default) VALUES ('tap-not-default-1', false),
                                                                     ('tap-not-default-2', false)$$,
                'any number of non-default projects is accepted');
SELECT lives_ok($$SELECT aidis.create_project('tap-default-3', NULL, true)$$,
                'create_project(is_default => true) moves the default');
SELECT results_eq($$SELECT name FROM aidis.projects WHERE is_default$$, ARRAY['tap-default-3'],
                  'exactly one default project afterwards: the newest');

-- ---------------------------------------------------------------- no ON DELETE CASCADE from projects
SELECT is_empty(
  $$SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint
    WHERE contype = 'f' AND confrelid = 'aidis.projects'::regclass AND confdeltype = 'c'$$,
  'no foreign key cascades deletes from aidis.projects');
SELECT is_empty(
  $$SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint
    WHERE contype = 'f' AND confdeltype = 'c'
      AND (conrelid::regclass::text LIKE 'aidis.%' OR confrelid::regclass::text LIKE 'aidis.%')$$,
  'no foreign key in schema aidis uses ON DELETE CASCADE');
SELECT throws_ok($$DELETE FROM aidis.projects WHERE name = 'tap-schema-project'$$, '23503', NULL,
                 'deleting a project that has sessions is refused (23503), not cascaded');
SELECT is((SELECT count(*)::int FROM aidis.session_base WHERE id = 'aaaaaaaa-0000-0000-0000-000000000001'), 1,
          '... and its session is still there');

-- ---------------------------------------------------------------- pg_dump keeps user data
SELECT ok(c::regclass = ANY (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'aidis_sessions'),
          c || ' is registered with pg_extension_config_dump')
FROM unnest(ARRAY['aidis.projects', 'aidis.session_base', 'aidis.session_activities',
                  'aidis.session_files', 'aidis.contexts', 'aidis.tasks', 'aidis.decisions']) AS c;
SELECT ok(NOT EXISTS (
  SELECT 1 FROM pg_class c
  WHERE c.relnamespace = 'aidis'::regnamespace AND c.relkind IN ('r', 'p')
    AND c.oid <> ALL (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'aidis_sessions')
    AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    -- the reassignment secret is made anew at install and never dumped (docs/api.md)
    AND c.oid <> 'aidis.api_secret'::regclass),
  'every table of the extension holding user data is registered with pg_extension_config_dump');

-- ---------------------------------------------------------------- the SQL API (docs/api.md)
SELECT has_function('aidis', 'create_project', ARRAY['text', 'text', 'boolean'], 'create_project(text, text, boolean)');
SELECT has_function('aidis', 'start_session', ARRAY['text', 'text', 'text', 'text', 'text', 'text', 'boolean', 'text'],
                    'start_session(agent, project, title, goal, ai_model, client_key, force_new, bind)');
SELECT has_function('aidis', 'current_session', ARRAY[]::text[], 'current_session()');
SELECT has_function('aidis', 'use_session', ARRAY['text', 'text'], 'use_session(s, scope)');
SELECT has_function('aidis', 'end_session', ARRAY['text', 'jsonb'], 'end_session(s, files)');
SELECT has_function('aidis', 'touch', ARRAY['text'], 'touch(text)');
SELECT has_function('aidis', 'record_usage', ARRAY['bigint', 'bigint', 'bigint', 'bigint', 'text', 'text'],
                    'record_usage(input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, model, s)');
SELECT has_function('aidis', 'record_file', ARRAY['text', 'bigint', 'bigint', 'text'], 'record_file(path, lines_added, lines_removed, s)');
SELECT has_function('aidis', 'expire_idle_sessions', ARRAY[]::text[], 'expire_idle_sessions()');
SELECT has_function('aidis', 'next_timeout_at', ARRAY[]::text[], 'next_timeout_at()');
SELECT has_function('aidis', 'check_counters', ARRAY[]::text[], 'check_counters()');
SELECT has_function('aidis', 'disconnect_project', ARRAY['text'], 'disconnect_project(text)');
SELECT has_function('aidis', 'reconnect_project', ARRAY['text'], 'reconnect_project(text)');
SELECT has_function('aidis', 'track', ARRAY['regclass', 'text'], 'track(regclass, text)');
SELECT has_function('aidis', 'untrack', ARRAY['regclass'], 'untrack(regclass)');

-- Parameter names, defaults and return types are part of the API (docs/api.md).
SELECT is((SELECT proargnames FROM pg_proc WHERE oid = f::regprocedure), names, f || ': parameter names')
FROM (VALUES
  ('aidis.create_project(text,text,boolean)', ARRAY['name', 'root_directory', 'is_default']),
  ('aidis.start_session(text,text,text,text,text,text,boolean,text)',
   ARRAY['agent', 'project', 'title', 'goal', 'ai_model', 'client_key', 'force_new', 'bind']),
  ('aidis.use_session(text,text)', ARRAY['s', 'scope']),
  ('aidis.record_usage(bigint,bigint,bigint,bigint,text,text)',
   ARRAY['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens', 'model', 's']),
  ('aidis.record_file(text,bigint,bigint,text)', ARRAY['path', 'lines_added', 'lines_removed', 's']),
  ('aidis.end_session(text,jsonb)', ARRAY['s', 'files']),
  ('aidis.touch(text)', ARRAY['s']),
  ('aidis.track(regclass,text)', ARRAY['tbl', 'kind']),
  ('aidis.untrack(regclass)', ARRAY['tbl'])) AS v(f, names);
SELECT is((SELECT pronargdefaults::int FROM pg_proc WHERE oid = f::regprocedure), n, f || ': ' || n || ' defaulted parameters')
FROM (VALUES ('aidis.create_project(text,text,boolean)', 2),
             ('aidis.start_session(text,text,text,text,text,text,boolean,text)', 8),
             ('aidis.use_session(text,text)', 1),
             ('aidis.end_session(text,jsonb)', 2),
             ('aidis.touch(text)', 1),
             ('aidis.record_usage(bigint,bigint,bigint,bigint,text,text)', 4),
             ('aidis.record_file(text,bigint,bigint,text)', 3)) AS v(f, n);
SELECT is((SELECT prorettype::regtype::text FROM pg_proc WHERE oid = f::regprocedure), r, f || ' returns ' || r)
FROM (VALUES ('aidis.create_project(text,text,boolean)', 'aidis.projects'),
             ('aidis.start_session(text,text,text,text,text,text,boolean,text)', 'aidis.sessions'),
             ('aidis.current_session()', 'aidis.sessions'),
             ('aidis.use_session(text,text)', 'aidis.sessions'),
             ('aidis.end_session(text,jsonb)', 'aidis.sessions'),
             ('aidis.touch(text)', 'void'),
             ('aidis.record_usage(bigint,bigint,bigint,bigint,text,text)', 'void'),
             ('aidis.record_file(text,bigint,bigint,text)', 'void'),
             ('aidis.expire_idle_sessions()', 'integer'),
             ('aidis.next_timeout_at()', 'timestamp with time zone'),
             ('aidis.disconnect_project(text)', 'aidis.projects'),
             ('aidis.reconnect_project(text)', 'aidis.projects')) AS v(f, r);
SELECT ok((SELECT proretset FROM pg_proc WHERE oid = 'aidis.check_counters()'::regprocedure),
          'check_counters() returns a table');

-- SECURITY DEFINER functions pin search_path (to trusted schemas only).
SELECT ok(EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = 'aidis'::regnamespace AND prosecdef),
          'the extension has SECURITY DEFINER functions');
SELECT is_empty(
  $$SELECT p.oid::regprocedure::text FROM pg_proc p
    WHERE p.pronamespace = 'aidis'::regnamespace AND p.prosecdef
      AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')$$,
  'every SECURITY DEFINER function in aidis sets search_path');
SELECT is_empty(
  $$SELECT p.oid::regprocedure::text || ': ' || c FROM pg_proc p, unnest(p.proconfig) c
    WHERE p.pronamespace = 'aidis'::regnamespace AND p.prosecdef AND c LIKE 'search_path=%'
      AND (c ~* '(public|\$user)' OR c !~ 'pg_temp\s*$')$$,
  'their search_path names no user-writable schema and puts pg_temp last');

-- ---------------------------------------------------------------- roles
SELECT has_role('aidis_reader', 'role aidis_reader exists');
SELECT has_role('aidis_writer', 'role aidis_writer exists');
SELECT has_role('aidis_admin', 'role aidis_admin exists');
SELECT ok(NOT r.rolcanlogin AND NOT r.rolsuper, r.rolname || ' is a NOLOGIN, non-superuser group role')
FROM pg_roles r WHERE r.rolname IN ('aidis_reader', 'aidis_writer', 'aidis_admin') ORDER BY r.rolname;

-- ---------------------------------------------------------------- triggers
-- tgtype bits: 1 ROW, 2 BEFORE, 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE.
SELECT ok(EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
                  WHERE t.tgrelid = tbl::regclass AND NOT t.tgisinternal AND t.tgenabled <> 'D'
                    AND f.pronamespace = 'aidis'::regnamespace
                    AND t.tgtype & (1 | 2) = (1 | 2) AND t.tgtype & (4 | 8 | 16) = (4 | 8 | 16)),
          tbl || ' has an enabled BEFORE ROW INSERT/UPDATE/DELETE trigger of aidis')
FROM unnest(ARRAY['aidis.contexts', 'aidis.tasks', 'aidis.decisions', 'aidis.session_base',
                  'aidis.session_activities', 'aidis.session_files', 'aidis.session_deltas']) AS tbl;
SELECT ok(EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
                  WHERE t.tgrelid = tbl::regclass AND NOT t.tgisinternal AND t.tgenabled <> 'D'
                    AND f.pronamespace = 'aidis'::regnamespace
                    AND t.tgtype & (1 | 2) = 1 AND t.tgtype & (4 | 8 | 16) = (4 | 8 | 16)),
          tbl || ' has an enabled AFTER ROW INSERT/UPDATE/DELETE trigger of aidis (counters, timeline)')
FROM unnest(ARRAY['aidis.contexts', 'aidis.tasks', 'aidis.decisions']) AS tbl;
SELECT ok(EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
                  WHERE t.tgrelid = tbl::regclass AND NOT t.tgisinternal AND t.tgenabled <> 'D'
                    AND f.pronamespace = 'aidis'::regnamespace AND t.tgtype & 32 = 32),
          tbl || ' has an enabled TRUNCATE trigger of aidis')
FROM unnest(ARRAY['aidis.contexts', 'aidis.tasks', 'aidis.decisions', 'aidis.session_base',
                  'aidis.session_activities', 'aidis.session_files', 'aidis.session_deltas']) AS tbl;
SELECT trigger_is('aidis', t, 'zz_aidis_track_before', 'aidis', '_track_before',
                  'aidis.' || t || ': the stamping trigger runs aidis._track_before')
FROM unnest(ARRAY['contexts', 'tasks', 'decisions']) AS t;
SELECT trigger_is('aidis', t, 'zz_aidis_track_after', 'aidis', '_track_after',
                  'aidis.' || t || ': the counting trigger runs aidis._track_after')
FROM unnest(ARRAY['contexts', 'tasks', 'decisions']) AS t;
SELECT trigger_is('aidis', t, 'zz_aidis_writable', 'aidis', '_writable_row',
                  'aidis.' || t || ': the writable trigger runs aidis._writable_row')
FROM unnest(ARRAY['session_base', 'session_activities', 'session_files', 'session_deltas']) AS t;
SELECT results_eq(
  $$SELECT tbl::text, kind FROM aidis.tracked_tables WHERE shipped ORDER BY 1$$,
  $$VALUES ('aidis.contexts', 'context'), ('aidis.decisions', 'decision'), ('aidis.tasks', 'task')$$,
  'the shipped tracked tables are registered in aidis.tracked_tables');

-- ---------------------------------------------------------------- row-level security
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = tbl::regclass), tbl || ' has row-level security enabled')
FROM unnest(ARRAY['aidis.contexts', 'aidis.tasks', 'aidis.decisions', 'aidis.session_base',
                  'aidis.session_activities', 'aidis.session_files', 'aidis.session_deltas']) AS tbl;
SELECT ok(EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = tbl::regclass), tbl || ' has policies')
FROM unnest(ARRAY['aidis.contexts', 'aidis.tasks', 'aidis.decisions', 'aidis.session_base',
                  'aidis.session_activities', 'aidis.session_files', 'aidis.session_deltas']) AS tbl;
SELECT is((SELECT reloptions FROM pg_class WHERE oid = 'aidis.sessions'::regclass), ARRAY['security_invoker=true'],
          'the view aidis.sessions is security_invoker, so RLS of the caller applies');

SELECT * FROM finish();
ROLLBACK;
