-- Stamping (rule 4) and exact counters (rule 5) across rollbacks,
-- savepoints, deletes, moves, task transitions and host tables.
\set VERBOSITY terse
SET client_min_messages = warning;
SELECT name FROM aidis.create_project('tr-main');

-- Counters of one session, as users read them.
CREATE FUNCTION pg_temp.counters(sid uuid)
RETURNS TABLE (contexts bigint, tasks bigint, completed bigint, reopened bigint, decisions bigint)
LANGUAGE sql AS $$
  SELECT contexts_created, tasks_created, tasks_completed, tasks_reopened, decisions_created
  FROM aidis.sessions WHERE id = sid
$$;

-- Auto-start: a write with no active session starts one, agent from application_name.
SELECT count(*) AS active_before FROM aidis.sessions WHERE status = 'active';
SET application_name = 'Claude Code';
INSERT INTO aidis.contexts (content, project_id)
SELECT 'first note', id FROM aidis.projects WHERE name = 'tr-main';
SELECT s.agent, s.status, p.name AS project, s.contexts_created
FROM aidis.sessions s JOIN aidis.projects p ON p.id = s.project_id WHERE s.status = 'active';
SELECT id AS sid FROM aidis.current_session() \gset

-- Stamping fills session_id and project_id.
INSERT INTO aidis.contexts (content) VALUES ('stamped');
SELECT session_id = :'sid' AS stamped_session, p.name AS stamped_project
FROM aidis.contexts c JOIN aidis.projects p ON p.id = c.project_id WHERE content = 'stamped';

-- A rolled-back write leaves no counter change and no event.
BEGIN;
INSERT INTO aidis.contexts (content) VALUES ('rolled back');
INSERT INTO aidis.tasks (title) VALUES ('rolled back');
ROLLBACK;
SELECT * FROM pg_temp.counters(:'sid');
SELECT count(*) AS rolled_back_events FROM aidis.session_activities WHERE summary = 'rolled back';

-- Savepoints: only the released work counts.
BEGIN;
INSERT INTO aidis.contexts (content) VALUES ('kept 1');
SAVEPOINT a;
INSERT INTO aidis.contexts (content) VALUES ('undone 1');
SAVEPOINT b;
INSERT INTO aidis.contexts (content) VALUES ('undone 2');
ROLLBACK TO SAVEPOINT a;
INSERT INTO aidis.contexts (content) VALUES ('kept 2');
SAVEPOINT c;
INSERT INTO aidis.decisions (title) VALUES ('kept decision');
RELEASE SAVEPOINT c;
SAVEPOINT d;
SAVEPOINT e;
INSERT INTO aidis.tasks (title) VALUES ('kept task');
RELEASE SAVEPOINT e;
RELEASE SAVEPOINT d;
COMMIT;
SELECT * FROM pg_temp.counters(:'sid');
SELECT summary FROM aidis.session_activities
WHERE session_id = :'sid' AND kind IN ('context_added', 'decision_made', 'task_created') ORDER BY id;

-- An error inside a statement rolls back with its savepoint.
BEGIN;
SAVEPOINT s1;
INSERT INTO aidis.contexts (content) VALUES ('ok'), ('');   -- second row violates the CHECK
ROLLBACK TO SAVEPOINT s1;
COMMIT;
SELECT contexts FROM pg_temp.counters(:'sid');

-- ON CONFLICT DO NOTHING counts only the rows really inserted.
INSERT INTO aidis.contexts (id, content) VALUES ('00000000-0000-4000-8000-000000000001', 'fixed id');
INSERT INTO aidis.contexts (id, content) VALUES ('00000000-0000-4000-8000-000000000001', 'dup')
ON CONFLICT (id) DO NOTHING;
SELECT contexts FROM pg_temp.counters(:'sid');

-- Deletes take rows out of the count.
DELETE FROM aidis.contexts WHERE content IN ('kept 1', 'fixed id');
SELECT contexts FROM pg_temp.counters(:'sid');

-- Task transitions: completed and reopened, each with its timeline event.
INSERT INTO aidis.tasks (title) VALUES ('fix login') RETURNING id AS task_id \gset
UPDATE aidis.tasks SET status = 'in_progress' WHERE id = :'task_id';
UPDATE aidis.tasks SET status = 'completed' WHERE id = :'task_id';
SELECT completed_at IS NOT NULL AS completed_at_set FROM aidis.tasks WHERE id = :'task_id';
UPDATE aidis.tasks SET status = 'in_progress' WHERE id = :'task_id';
SELECT completed_at IS NULL AS completed_at_cleared FROM aidis.tasks WHERE id = :'task_id';
UPDATE aidis.tasks SET status = 'completed' WHERE id = :'task_id';
UPDATE aidis.tasks SET title = 'fix login (done)' WHERE id = :'task_id';  -- not a transition
INSERT INTO aidis.tasks (title, status) VALUES ('born done', 'completed');
SELECT * FROM pg_temp.counters(:'sid');
SELECT kind, summary, data->>'from' AS "from", data->>'to' AS "to"
FROM aidis.session_activities
WHERE session_id = :'sid' AND kind LIKE 'task\_%' AND kind <> 'task_created' ORDER BY id;
BEGIN;
UPDATE aidis.tasks SET status = 'todo' WHERE id = :'task_id';
ROLLBACK;
SELECT reopened FROM pg_temp.counters(:'sid');

-- Completions are credited to the session that is current when they happen.
SELECT id AS other FROM aidis.start_session(agent => 'cursor', client_key => 'tr-other') \gset
UPDATE aidis.tasks SET status = 'in_progress' WHERE title = 'born done';
UPDATE aidis.tasks SET status = 'completed' WHERE title = 'born done';
SELECT (SELECT completed FROM pg_temp.counters(:'sid')) AS first_session_completed,
       (SELECT completed FROM pg_temp.counters(:'other')) AS other_completed,
       (SELECT reopened FROM pg_temp.counters(:'other')) AS other_reopened;

-- Moves between sessions move the created counts.
UPDATE aidis.contexts SET session_id = :'other' WHERE content = 'kept 2';
SELECT (SELECT contexts FROM pg_temp.counters(:'sid')) AS first, (SELECT contexts FROM pg_temp.counters(:'other')) AS other;

-- An explicit session_id of an ended session is kept and counted, without reactivating it.
SELECT status FROM aidis.end_session(:'sid');
INSERT INTO aidis.contexts (session_id, content) VALUES (:'sid', 'late note');
SELECT status, contexts_created FROM aidis.sessions WHERE id = :'sid';

-- Unknown session or project ids are refused.
INSERT INTO aidis.contexts (session_id, content) VALUES ('00000000-0000-4000-8000-00000000dead', 'x');
INSERT INTO aidis.contexts (project_id, content) VALUES ('00000000-0000-4000-8000-00000000dead', 'x');

-- Usage, activity and files.
SELECT aidis.record_usage(1200, 300, 50, 10, 'claude-sonnet-4-5');
SELECT aidis.record_usage(-1, 0);
SELECT aidis.record_usage(NULL, 0);
SELECT aidis.touch();
SELECT aidis.record_file('src/app.cpp', 12, 3);
SELECT aidis.record_file('src/app.cpp', 1, 0);
SELECT aidis.record_file('', 1, 0);
SELECT aidis.record_file('x', -1, 0);
INSERT INTO aidis.contexts (content) VALUES ('look at @src/app.cpp and @docs/README.md, mail a@b.com');
SELECT input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, ai_model,
       loc_added, loc_removed, files_touched, estimated_tokens > 0 AS estimated
FROM aidis.sessions WHERE id = :'other';
SELECT path, mentions, modifications, loc_added, loc_removed FROM aidis.session_files
WHERE session_id = :'other' ORDER BY path;
SELECT kind, summary FROM aidis.session_activities
WHERE session_id = :'other' AND kind IN ('tokens_recorded', 'file_touched') ORDER BY id;

-- Host tables: the same tracking on any table with project_id and session_id.
CREATE TABLE public.notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                           project_id uuid, session_id uuid, content text);
INSERT INTO public.notes (session_id, project_id, content)
SELECT :'other', project_id, 'pre-existing' FROM aidis.sessions WHERE id = :'other';
SELECT aidis.track('public.notes', 'context');
SELECT contexts FROM pg_temp.counters(:'other');        -- the existing row counts
INSERT INTO public.notes (content) VALUES ('tracked note');
SELECT session_id = :'other' AS stamped FROM public.notes WHERE content = 'tracked note';
SELECT contexts FROM pg_temp.counters(:'other');
TRUNCATE public.notes;                                    -- fires no row triggers: counted anyway
SELECT contexts FROM pg_temp.counters(:'other');
INSERT INTO public.notes (content) VALUES ('again');
SELECT aidis.untrack('public.notes');                     -- its rows leave the counts
SELECT contexts FROM pg_temp.counters(:'other');
INSERT INTO public.notes (content) VALUES ('untracked');
SELECT contexts FROM pg_temp.counters(:'other');
SELECT aidis.track('public.notes', 'nonsense');
CREATE TABLE public.not_trackable (id int);
SELECT aidis.track('public.not_trackable', 'task');
DROP TABLE public.notes, public.not_trackable;

-- A statement writing many rows keeps its first 20 timeline entries and
-- counts the rest in one more; the counters count every row.
SELECT id AS bulk FROM aidis.start_session(agent => 'cursor', client_key => 'tr-bulk') \gset
INSERT INTO aidis.contexts (content) SELECT 'bulk ' || g FROM generate_series(1, 25) g;
SELECT contexts_created FROM aidis.sessions WHERE id = :'bulk';
SELECT count(*) AS entries, sum(COALESCE((data->>'rows')::int, 1)) AS rows
FROM aidis.session_activities WHERE session_id = :'bulk' AND kind = 'context_added';
SELECT summary, data->>'rows' AS rows FROM aidis.session_activities
WHERE session_id = :'bulk' AND kind = 'context_added' ORDER BY id DESC LIMIT 2;
DELETE FROM aidis.contexts WHERE session_id = :'bulk';
SELECT contexts_created AS after_delete FROM aidis.sessions WHERE id = :'bulk';
SELECT count(*) AS delete_entries FROM aidis.session_activities WHERE session_id = :'bulk' AND kind = 'context_deleted';

-- Reads through the API see the transaction's own work, savepoints included.
BEGIN;
SELECT id AS rw FROM aidis.start_session(agent => 'cursor', client_key => 'tr-rw') \gset
INSERT INTO aidis.contexts (content) VALUES ('mine');           -- buffered, not read yet
SAVEPOINT s;
INSERT INTO aidis.contexts (content) VALUES ('mine too');
SELECT contexts_created AS inside_savepoint FROM aidis.current_session();
ROLLBACK TO SAVEPOINT s;                                         -- the early write rolls back
SELECT contexts_created AS after_rollback FROM aidis.current_session();
SELECT count(*) AS events FROM aidis.session_timeline(:'rw') WHERE kind = 'context_added';
COMMIT;
SELECT contexts_created AS committed FROM aidis.sessions WHERE id = :'rw';

-- A read-only transaction cannot record activity: its commit fails (25006)
-- and nothing is recorded.
SELECT activity_count AS activity_before FROM aidis.sessions WHERE id = :'rw';
BEGIN READ ONLY;
SELECT aidis.touch(:'rw');
COMMIT;
SELECT activity_count AS activity_after FROM aidis.sessions WHERE id = :'rw';

-- Every counter equals its recount.
SELECT * FROM aidis.check_counters();

-- Counters are folded into session_base by the sweep without changing what users read.
SELECT sum(contexts_created) AS before_fold FROM aidis.sessions;
SELECT aidis._fold_deltas() > 0 AS folded;
SELECT count(*) AS deltas_left FROM aidis.session_deltas;
SELECT sum(contexts_created) AS after_fold FROM aidis.sessions;
SELECT * FROM aidis.check_counters();

SELECT count(aidis.end_session(id::text)) AS ended FROM aidis.sessions WHERE status = 'active';
