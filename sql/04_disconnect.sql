-- Disconnected projects (rule 8): sessions end, writes are refused, readers
-- see nothing; reconnecting undoes it.
\set VERBOSITY terse
SET client_min_messages = warning;

SELECT name FROM aidis.create_project('dc-retired');
SELECT name FROM aidis.create_project('dc-live');
SELECT id AS s1 FROM aidis.start_session(agent => 'cursor', client_key => 'dc-1', project => 'dc-retired') \gset
INSERT INTO aidis.contexts (content) VALUES ('retired context');
INSERT INTO aidis.tasks (title) VALUES ('retired task');
INSERT INTO aidis.decisions (title) VALUES ('retired decision');
SELECT id AS s2 FROM aidis.start_session(agent => 'cursor', client_key => 'dc-2', project => 'dc-live') \gset
INSERT INTO aidis.contexts (content) VALUES ('live context');

SELECT name, status, is_default FROM aidis.disconnect_project('dc-retired');
SELECT status, end_reason, ended_at IS NOT NULL AS ended FROM aidis.sessions WHERE id = :'s1';
SELECT status FROM aidis.sessions WHERE id = :'s2';
SELECT kind, data->>'end_reason' AS reason FROM aidis.session_activities
WHERE session_id = :'s1' AND kind LIKE 'session\_%' ORDER BY id;

-- Every kind of write touching the project's rows is refused.
INSERT INTO aidis.contexts (project_id, session_id, content)
SELECT id, :'s2', 'sneaky' FROM aidis.projects WHERE name = 'dc-retired';
INSERT INTO aidis.contexts (session_id, content) VALUES (:'s1', 'into a retired session');
UPDATE aidis.contexts SET content = 'changed' WHERE content = 'retired context';
DELETE FROM aidis.tasks WHERE title = 'retired task';
UPDATE aidis.decisions SET session_id = :'s2' WHERE title = 'retired decision';
MERGE INTO aidis.tasks t USING (VALUES ('retired task')) v(title) ON t.title = v.title
WHEN MATCHED THEN UPDATE SET status = 'completed';
TRUNCATE aidis.contexts;
UPDATE aidis.session_base SET title = 'renamed' WHERE id = :'s1';
DELETE FROM aidis.session_activities WHERE session_id = :'s1';
SELECT aidis.start_session(agent => 'cursor', client_key => 'dc-3', project => 'dc-retired');
SELECT public.sqlstate_of(format('SELECT aidis.touch(%L)', :'s1')) AS touch,
       public.sqlstate_of(format('SELECT aidis.record_usage(1, 1, s => %L)', :'s1')) AS usage,
       public.sqlstate_of(format('SELECT aidis.end_session(%L)', :'s1')) AS end_again;
-- ... and nothing changed.
SELECT content FROM aidis.contexts c JOIN aidis.projects p ON p.id = c.project_id
WHERE p.name IN ('dc-retired', 'dc-live') ORDER BY content;
SELECT count(*) AS retired_tasks FROM aidis.tasks WHERE title = 'retired task' AND status = 'todo';

-- Writes elsewhere go on.
INSERT INTO aidis.contexts (session_id, content) VALUES (:'s2', 'live again');

-- Readers and writers see none of its rows; admins see them all.
SET ROLE aidis_reader;
SELECT (SELECT count(*) FROM aidis.contexts WHERE content LIKE 'retired%') AS contexts,
       (SELECT count(*) FROM aidis.tasks WHERE title LIKE 'retired%') AS tasks,
       (SELECT count(*) FROM aidis.sessions WHERE id = :'s1') AS sessions,
       (SELECT count(*) FROM aidis.session_activities WHERE session_id = :'s1') AS timeline,
       (SELECT count(*) FROM aidis.contexts WHERE content LIKE 'live%') AS live_contexts;
SET ROLE aidis_writer;
SELECT count(*) AS writer_sees FROM aidis.contexts WHERE content LIKE 'retired%';
DELETE FROM aidis.contexts WHERE content = 'retired context';   -- invisible: nothing to delete
SET ROLE aidis_admin;
SELECT count(*) AS admin_sees FROM aidis.contexts WHERE content LIKE 'retired%';
RESET ROLE;

-- The sentinel cannot be disconnected; nor a project twice.
SELECT aidis.disconnect_project('__unassigned__');
SELECT aidis.disconnect_project('dc-retired');
SELECT aidis.reconnect_project('dc-live');

-- Reconnect: writes work again; the old sessions stay ended.
SELECT name, status FROM aidis.reconnect_project('dc-retired');
UPDATE aidis.contexts SET content = 'retired context, edited' WHERE content = 'retired context';
SELECT status, end_reason FROM aidis.sessions WHERE id = :'s1';
SELECT * FROM aidis.check_counters();

-- Work done before a disconnect in the same transaction is kept and counted.
SELECT name FROM aidis.create_project('dc-same-tx');
BEGIN;
SELECT id AS s3 FROM aidis.start_session(agent => 'cursor', client_key => 'dc-3', project => 'dc-same-tx') \gset
INSERT INTO aidis.contexts (content) VALUES ('written before the disconnect');
SELECT status FROM aidis.disconnect_project('dc-same-tx');
INSERT INTO aidis.contexts (session_id, content) VALUES (:'s3', 'written after');
ROLLBACK;
BEGIN;
SELECT id AS s3 FROM aidis.start_session(agent => 'cursor', client_key => 'dc-3', project => 'dc-same-tx') \gset
INSERT INTO aidis.contexts (content) VALUES ('written before the disconnect');
SELECT status FROM aidis.disconnect_project('dc-same-tx');
COMMIT;
SELECT status, contexts_created FROM aidis.sessions WHERE id = :'s3';
SELECT * FROM aidis.check_counters();

SELECT count(aidis.end_session(id::text)) AS ended FROM aidis.sessions WHERE status = 'active';
