-- Deleting a session: two steps with a token; its rows, events, files and
-- counters move to the project's active session, else to its holder session.
\set VERBOSITY terse
SET client_min_messages = warning;

SELECT name FROM aidis.create_project('ds-main');
SELECT id AS pid FROM aidis.projects WHERE name = 'ds-main' \gset
SELECT id AS junk, display_id AS junk_display FROM aidis.start_session(agent => 'cursor', client_key => 'ds-junk', project => 'ds-main', bind => 'connection') \gset
INSERT INTO aidis.contexts (project_id, session_id, content) VALUES (:'pid', :'junk', 'see @src/a.c'), (:'pid', :'junk', 'see @src/b.c');
INSERT INTO aidis.tasks (project_id, session_id, title, status) VALUES (:'pid', :'junk', 'smoke', 'completed');
SELECT aidis.record_usage(10, 20);
SELECT id AS keep FROM aidis.start_session(agent => 'claude-code', client_key => 'ds-keep', project => 'ds-main', bind => 'connection') \gset
INSERT INTO aidis.contexts (project_id, session_id, content) VALUES (:'pid', :'keep', 'also @src/a.c');
SELECT status FROM aidis.end_session(:'junk');

CREATE TEMP TABLE before AS SELECT * FROM aidis.sessions WHERE id IN (:'junk', :'keep');

-- Errors: unknown session, active session, non-admin, bad tokens (nothing changes).
SELECT public.sqlstate_of($$SELECT aidis.delete_session('SES-1999-9999')$$) AS unknown,
       public.sqlstate_of($$SELECT aidis.delete_session(NULL)$$) AS no_session,
       public.sqlstate_of(format('SELECT aidis.delete_session(%L)', :'keep')) AS active,
       public.sqlstate_of(format('SELECT aidis.delete_session(%L, %L)', :'junk', 'nonsense')) AS malformed,
       public.sqlstate_of(format('SELECT aidis.delete_session(%L, %L)', :'junk', '1.0123456789abcdef0123456789abcdef')) AS wrong;
CREATE ROLE ds_writer IN ROLE aidis_writer;
SET ROLE ds_writer;
SELECT public.sqlstate_of(format('SELECT aidis.delete_session(%L)', :'junk')) AS writer;
RESET ROLE;
DROP ROLE ds_writer;

-- Step one: what would move, and where.
SELECT aidis.delete_session(:'junk') AS preview \gset
SELECT :'preview'::jsonb ->> 'status' AS status, :'preview'::jsonb -> 'moves' AS moves,
       (:'preview'::jsonb ->> 'to_session_id')::uuid = :'keep' AS to_active_session,
       (SELECT count(*) FROM aidis.session_base WHERE id = :'junk') AS still_there;
-- A change to the session since invalidates the token.
UPDATE aidis.session_base SET updated_at = updated_at + interval '1 second' WHERE id = :'junk';
SELECT public.sqlstate_of(format('SELECT aidis.delete_session(%L, %L)', :'junk', :'preview'::jsonb ->> 'confirm')) AS stale_token;

-- Step two.
SELECT aidis.delete_session(:'junk') AS preview \gset
SELECT r - 'session_id' - 'to_session_id' - 'display_id' - 'to_display_id' AS result
FROM aidis.delete_session(:'junk', :'preview'::jsonb ->> 'confirm') r;
SELECT public.sqlstate_of(format('SELECT aidis.delete_session(%L, %L)', :'junk', :'preview'::jsonb ->> 'confirm')) AS used_token;
SELECT count(*) AS junk_rows_left FROM (
  SELECT 1 FROM aidis.session_base WHERE id = :'junk' UNION ALL
  SELECT 1 FROM aidis.contexts WHERE session_id = :'junk' UNION ALL
  SELECT 1 FROM aidis.tasks WHERE session_id = :'junk' UNION ALL
  SELECT 1 FROM aidis.session_activities WHERE session_id = :'junk' UNION ALL
  SELECT 1 FROM aidis.session_files WHERE session_id = :'junk' UNION ALL
  SELECT 1 FROM aidis.session_deltas WHERE session_id = :'junk') x;
-- Every counter of the deleted session is now the receiver's.
SELECT k.contexts_created = b.contexts_created + j.contexts_created AS contexts,
       k.tasks_created = b.tasks_created + j.tasks_created AS tasks,
       k.tasks_completed = b.tasks_completed + j.tasks_completed AS completed,
       k.activity_count = b.activity_count + j.activity_count AS activity,
       k.input_tokens = b.input_tokens + j.input_tokens AS tokens,
       k.last_activity_at = b.last_activity_at AS moving_is_not_activity
FROM aidis.sessions k, before b, before j
WHERE k.id = :'keep' AND b.id = :'keep' AND j.id = :'junk';
SELECT path, mentions FROM aidis.session_files WHERE session_id = :'keep' ORDER BY path;
SELECT kind, summary = format('session %s "%s" deleted; its work moved here', :'junk_display', :'junk_display') AS summary,
       data -> 'moved' AS moved
FROM aidis.session_activities WHERE session_id = :'keep' AND kind = 'session_deleted';
SELECT * FROM aidis.check_counters();

-- No active session in the project: the work goes to its holder session.
SELECT status FROM aidis.end_session(:'keep');
SELECT aidis.delete_session(:'keep') AS preview \gset
SELECT :'preview'::jsonb ->> 'to_session_id' IS NULL AS holder_not_created_yet;
SELECT r ->> 'status' AS status FROM aidis.delete_session(:'keep', :'preview'::jsonb ->> 'confirm') r;
SELECT s.title, s.agent, s.status, s.end_reason, b.started_by, s.contexts_created, s.tasks_completed,
       s.input_tokens, s.files_touched
FROM aidis.sessions s JOIN aidis.session_base b USING (id) WHERE s.project_id = :'pid';
SELECT * FROM aidis.check_counters();
-- The holder cannot go while nothing would receive its work.
SELECT public.sqlstate_of(format('SELECT aidis.delete_session(%L)',
                                 (SELECT id FROM aidis.session_base WHERE project_id = :'pid'))) AS holder;
