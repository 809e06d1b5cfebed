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

-- Host tables move too, as their owner (its trigger sees the owner), uncounted
-- by the tracking triggers; the counters follow.
CREATE ROLE ds_owner;
CREATE TABLE public.ds_evidence (who text);
GRANT INSERT ON public.ds_evidence TO PUBLIC;
CREATE TABLE public.ds_notes (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);
ALTER TABLE public.ds_notes OWNER TO ds_owner;
CREATE FUNCTION public.ds_note_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.ds_evidence VALUES (current_user);
  RETURN NEW;
END $$;
CREATE TRIGGER ds_note_moved BEFORE UPDATE ON public.ds_notes FOR EACH ROW EXECUTE FUNCTION public.ds_note_moved();
SELECT aidis.track('public.ds_notes', 'context');
SELECT id AS hjunk FROM aidis.start_session(agent => 'cursor', client_key => 'ds-hjunk', project => 'ds-main', bind => 'connection') \gset
INSERT INTO public.ds_notes (session_id, body) SELECT :'hjunk', 'host note ' || i FROM generate_series(1, 3) i;
SELECT status FROM aidis.end_session(:'hjunk');
SELECT id AS hkeep FROM aidis.start_session(agent => 'claude-code', client_key => 'ds-hkeep', project => 'ds-main', bind => 'connection') \gset
SELECT contexts_created AS keep_contexts_before, activity_count AS keep_activity_before FROM aidis.sessions WHERE id = :'hkeep' \gset
SELECT aidis.delete_session(:'hjunk') -> 'moves' AS host_moves;
SELECT r -> 'moved' AS moved
FROM aidis.delete_session(:'hjunk', aidis.delete_session(:'hjunk') ->> 'confirm') r;
SELECT count(*) FILTER (WHERE session_id = :'hkeep') AS on_receiver, count(*) FILTER (WHERE session_id = :'hjunk') AS left
FROM public.ds_notes;
SELECT contexts_created - :keep_contexts_before AS contexts_added, activity_count - :keep_activity_before AS activity_added
FROM aidis.sessions WHERE id = :'hkeep';
SELECT who, count(*) FROM public.ds_evidence GROUP BY who;
SELECT * FROM aidis.check_counters();
SELECT aidis.untrack('public.ds_notes');
DROP TABLE public.ds_notes, public.ds_evidence;
DROP FUNCTION public.ds_note_moved();
DROP ROLE ds_owner;
SELECT status FROM aidis.end_session(:'hkeep');
