-- Session API, rating and analytics: session_score (every signal of
-- docs/scoring.md), the score stored at the end, session_stats,
-- compare_sessions and session_brief. Own projects (prefix sc-), own sessions.
\set VERBOSITY terse
SET client_min_messages = warning;

-- The repeated-work detector computes pg_trgm's similarity in C++ (once per
-- item): a pair is a repeat exactly from pg_trgm's value on (to 1e-6),
-- wherever pg_trgm lives. The extension does not need pg_trgm: this test
-- loads it to compare (REGRESS_OPTS).
SELECT n.nspname AS trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'pg_trgm' \gset
SELECT a, b, round(s::numeric, 6) AS pg_trgm,
       CASE WHEN s = 0 THEN aidis._near_duplicates(ARRAY[a, b], 1e-6) = 0
            ELSE aidis._near_duplicates(ARRAY[a, b], s - 1e-6) = 1
                 AND (s > 1 - 1e-6 OR aidis._near_duplicates(ARRAY[a, b], s + 1e-6) = 0) END AS detector_agrees
FROM (SELECT v.a, v.b, :"trgm".similarity(v.a, v.b)::float8 AS s
      FROM (VALUES ('Fix login bug', 'Fix login bug again'), ('Fix login bug', 'Fix the login bug'),
                   ('Fix login bug', 'Fix logout bug'), ('Write docs', 'Add cache'),
                   ('Error: boom', 'error boom!'), ('a-b_c', 'A B C'), ('', 'x'),
                   ('12 monkeys', '12 Monkeys')) AS v(a, b)) x;
SELECT aidis._near_duplicates(ARRAY['Fix login bug', 'Fix the login bug', 'Write docs', NULL, 'fix LOGIN bug']) AS repeats,
       aidis._near_duplicates(ARRAY['Fix login bug', 'Fix logout bug'], 0.7) AS strict_repeats,
       aidis._near_duplicates('{}') AS none;
SELECT public.sqlstate_of($$SELECT aidis._near_duplicates('{a}', 0)$$) AS zero_threshold,
       public.sqlstate_of($$SELECT aidis._near_duplicates('{a}', 1.5)$$) AS big_threshold;

SELECT name FROM aidis.create_project('sc-alpha');
SELECT name FROM aidis.create_project('sc-empty');

-- Session 1: four tasks (two nearly the same), five contexts (two nearly the
-- same, two errors), one decision; "Fix login bug" is completed, reopened and
-- completed again, "Write docs" and "Add cache" are completed.
SELECT id AS s1, display_id AS d1
FROM aidis.start_session(agent => 'sc-agent', project => 'sc-alpha', title => 'Login fixes',
                         goal => 'Fix the login flow', ai_model => 'sc-model-a', client_key => 'sc-1',
                         force_new => true) \gset
SELECT title FROM aidis.update_session(NULL, tags => '{auth,bugfix}');
INSERT INTO aidis.contexts (content, context_type) VALUES
  ('Investigating the login failure in the auth module', 'note'),
  ('Investigating the login failure in the auth module again', 'note'),
  ('Error: NullPointerException in the session handler', 'note'),
  ('Stack trace of the crash at startup', 'bug'),
  ('Design notes for the cache layer', 'note');
INSERT INTO aidis.tasks (title, priority) VALUES ('Fix login bug', 'high'), ('Fix the login bug', 'urgent'),
                                                 ('Write docs', 'low'), ('Add cache', 'medium');
UPDATE aidis.tasks SET status = 'completed' WHERE title = 'Fix login bug';
UPDATE aidis.tasks SET status = 'in_progress' WHERE title = 'Fix login bug';
UPDATE aidis.tasks SET status = 'completed' WHERE title IN ('Fix login bug', 'Write docs', 'Add cache');
INSERT INTO aidis.decisions (title) VALUES ('Use short-lived tokens');
SELECT aidis.record_usage(1000, 200, model => 'sc-model-a');

-- Session 2, same project: reopens "Add cache", which session 1 had completed.
SELECT id AS s2, display_id AS d2
FROM aidis.start_session(agent => 'sc-agent', project => 'sc-alpha', title => 'Cache work',
                         ai_model => 'sc-model-b', client_key => 'sc-2', force_new => true) \gset
UPDATE aidis.tasks SET status = 'todo' WHERE title = 'Add cache';
INSERT INTO aidis.contexts (content) VALUES ('Cache invalidation plan');
INSERT INTO aidis.decisions (title) VALUES ('Cache per project');

-- The counts behind session 1's score: 3 distinct tasks completed here, 1 of
-- them never reopened afterwards ("Fix login bug" was reopened here, "Add
-- cache" in session 2); 2 of 9 items repeat an earlier one; 2 of 5 contexts are errors.
SELECT tasks_created, tasks_completed, tasks_reopened, completed_tasks, first_time_right,
       items_compared, repeated_items, contexts, error_contexts, goal_set, activity
FROM aidis._score_signals(:'s1');
-- session_score: the score, its version, and every signal with its contribution.
SELECT aidis.session_score(:'d1') ->> 'score' AS score, aidis.session_score(:'d1') ->> 'version' AS version;
SELECT k AS signal, v ->> 'weight' AS weight, v ->> 'applies' AS applies, v ->> 'value' AS value,
       v ->> 'contribution' AS contribution, v ->> 'why' AS why
FROM jsonb_each(aidis.session_score(:'s1') -> 'signals') AS s(k, v) ORDER BY (v ->> 'weight')::int DESC, k;
SELECT round(sum((v ->> 'contribution')::numeric), 1) = (aidis.session_score(:'s1') ->> 'score')::numeric AS adds_up
FROM jsonb_each(aidis.session_score(:'s1') -> 'signals') AS s(k, v);
-- Session 2: no task created there, so completion and first-time-right do not apply.
SELECT k AS signal, v ->> 'applies' AS applies, v ->> 'contribution' AS contribution
FROM jsonb_each(aidis.session_score(NULL) -> 'signals') AS s(k, v) ORDER BY k;
SELECT aidis.session_score(NULL) ->> 'score' AS s2_score;
SELECT public.sqlstate_of($$SELECT aidis.session_score('SES-1999-9999')$$) AS unknown_session,
       aidis._score(1, 1, 0, 1, 1, 0, 0, 0, 0, NULL, 1) IS NULL AS strict;

-- At the end the score is stored on the session (aidis._store_score, called
-- when a session ends) and shown from there while its version is current.
SELECT status FROM aidis.end_session(:'s1');
SELECT aidis._store_score(:'s1');
SELECT s.score = (aidis.session_score(:'s1') ->> 'score')::numeric AS stored_score,
       s.score_breakdown = aidis.session_score(:'s1') AS stored_breakdown
FROM aidis.sessions s WHERE s.id = :'s1';
SELECT d ->> 'score_source' AS source, (d ->> 'score')::numeric = s.score AS same_score
FROM aidis.session_details(:'s1') d, aidis.sessions s WHERE s.id = :'s1';
SELECT score = (aidis.session_score(:'s1') ->> 'score')::numeric AS listed_score
FROM aidis.list_sessions(q => :'d1');
-- A breakdown of another formula version is not shown: it is computed again.
UPDATE aidis.session_base SET score_breakdown = '{"score": 1, "version": "2000.1", "signals": {}}' WHERE id = :'s1';
SELECT d ->> 'score_source' AS source, d -> 'score_breakdown' ->> 'version' AS version
FROM aidis.session_details(:'s1') d;
SELECT aidis._store_score(:'s1');
-- Its active seconds are stored at the end too (after the end event), and
-- session_details and session_stats read them from there.
SELECT b.active_seconds IS NOT NULL AS stored_active,
       b.active_seconds = aidis._active_seconds(b.id, b.started_at, b.ended_at, v.last_activity_at) AS same_as_computed
FROM aidis.session_base b JOIN aidis.sessions v USING (id) WHERE b.id = :'s1';
SELECT (st ->> 'total_active_seconds')::bigint AS total_before FROM aidis.session_stats('week', 'sc-alpha') st \gset
UPDATE aidis.session_base SET active_seconds = active_seconds + 1000 WHERE id = :'s1';
SELECT (aidis.session_details(:'s1') ->> 'active_seconds')::bigint = b.active_seconds AS details_reads_stored,
       (aidis.session_stats('week', 'sc-alpha') ->> 'total_active_seconds')::bigint - :total_before AS stats_difference
FROM aidis.session_base b WHERE b.id = :'s1';
UPDATE aidis.session_base SET active_seconds = active_seconds - 1000 WHERE id = :'s1';
-- With known times: started 10:00, events at 10:05, 10:10 and 11:00, ended
-- at 11:30. Gaps 5 + 5 + 15 (50 capped) min, and 15 (30 capped) to the end
-- event: 2400 s (1500 without the end event).
INSERT INTO aidis.session_base (id, display_id, title, project_id, agent, status, started_at, last_activity_at)
SELECT 'abcdef02-0000-4000-8000-000000000001', 'SES-1999-0501', 'Known times', p.id, 'sc-agent', 'active',
       '1999-05-01 10:00+00', '1999-05-01 11:00+00'
FROM aidis.projects p WHERE p.name = 'sc-alpha';
INSERT INTO aidis.session_activities (session_id, project_id, occurred_at, kind)
SELECT b.id, b.project_id, t, 'context_added'
FROM aidis.session_base b, unnest(ARRAY['1999-05-01 10:05+00', '1999-05-01 10:10+00', '1999-05-01 11:00+00']::timestamptz[]) t
WHERE b.display_id = 'SES-1999-0501';
SELECT aidis._close_session('abcdef02-0000-4000-8000-000000000001', 'inactive', 'ended', '1999-05-01 11:30+00');
SELECT b.active_seconds AS stored, (aidis.session_details('SES-1999-0501') ->> 'active_seconds')::bigint AS details
FROM aidis.session_base b WHERE b.display_id = 'SES-1999-0501';
-- Reopened by hand (not through the API), a session is computed again: the
-- stored value is only read while it has ended.
UPDATE aidis.session_base SET status = 'active', end_reason = NULL, ended_at = NULL, active_seconds = 999999
WHERE display_id = 'SES-1999-0501';
SELECT (aidis.session_details('SES-1999-0501') ->> 'active_seconds')::bigint < 999999 AS computed_while_active;
DELETE FROM aidis.session_activities WHERE session_id = 'abcdef02-0000-4000-8000-000000000001';
DELETE FROM aidis.session_base WHERE display_id = 'SES-1999-0501';

-- session_stats of one project over the last day.
SELECT st ->> 'period' AS period, st ->> 'project' AS project, st ->> 'sessions' AS sessions,
       st ->> 'active_sessions' AS active, st ->> 'tasks_created' AS tasks_created,
       st ->> 'tasks_completed' AS tasks_completed, st ->> 'tasks_reopened' AS tasks_reopened,
       st ->> 'completion_rate' AS completion_rate, st ->> 'contexts_created' AS contexts,
       st ->> 'decisions_created' AS decisions, st ->> 'input_tokens' AS input_tokens,
       st ->> 'scored_sessions' AS scored, st ->> 'avg_tasks_completed' AS avg_tasks_completed
FROM aidis.session_stats('day', 'sc-alpha') st;
SELECT st -> 'most_used_model' AS most_used_model, st -> 'top_tags' AS top_tags,
       st #>> '{most_productive_weekday,isodow}' = extract(isodow FROM s.started_at)::text AS weekday_of_session_1,
       st #>> '{most_productive_weekday,tasks_completed}' AS weekday_tasks_completed,
       (st ->> 'avg_score')::numeric = s.score AS avg_score,
       (st ->> 'total_wall_seconds')::bigint >= 0 AS wall, (st ->> 'total_active_seconds')::bigint >= 0 AS active
FROM aidis.session_stats(' WEEK ', 'sc-alpha') st, aidis.sessions s WHERE s.id = :'s1';
SELECT (aidis.session_stats('month', 'sc-alpha') ->> 'sessions')::int AS month_sessions,
       (aidis.session_stats() ->> 'sessions')::int >= 2 AS all_projects;
SELECT st ->> 'sessions' AS sessions, st ->> 'completion_rate' AS completion_rate,
       st ->> 'avg_score' AS avg_score, st -> 'most_productive_weekday' AS weekday,
       st -> 'most_used_model' AS model, st -> 'top_tags' AS tags
FROM aidis.session_stats('week', 'sc-empty') st;
SELECT public.sqlstate_of($$SELECT aidis.session_stats('year')$$) AS bad_period,
       public.sqlstate_of($$SELECT aidis.session_stats(NULL)$$) AS null_period,
       public.sqlstate_of($$SELECT aidis.session_stats('day', 'sc-nope')$$) AS unknown_project;
SELECT aidis.session_stats('fortnight');

-- compare_sessions: both sides, the deltas (b - a) and the signals side by side.
SELECT c #>> '{a,display_id}' = :'d1' AS a_is_1, c #>> '{b,display_id}' = :'d2' AS b_is_2,
       c #>> '{a,title}' AS a_title, c #>> '{b,title}' AS b_title,
       c -> 'a' ? 'top_files' AS has_top_files
FROM aidis.compare_sessions(:'d1', :'s2') c;
SELECT k AS metric, v AS delta FROM jsonb_each(aidis.compare_sessions(:'d1', :'d2') -> 'delta') AS d(k, v)
WHERE k NOT IN ('wall_seconds', 'active_seconds') ORDER BY k;
SELECT k AS signal, v ->> 'a' AS a, v ->> 'b' AS b, v ->> 'delta' AS delta
FROM jsonb_each(aidis.compare_sessions(:'d1', :'d2') -> 'signals') AS d(k, v) ORDER BY k;
SELECT public.sqlstate_of(format($$SELECT aidis.compare_sessions(%L, 'SES-1999-9999')$$, :'d1')) AS unknown_b,
       public.sqlstate_of(format($$SELECT aidis.compare_sessions('x', %L)$$, :'d1')) AS invalid_a;

-- session_brief: this session, the previous one of the project, open tasks by
-- priority, recent decisions.
SELECT b #>> '{session,display_id}' = :'d2' AS is_session_2, b #>> '{session,project_name}' AS project,
       b #>> '{previous_session,display_id}' = :'d1' AS previous_is_1,
       b #>> '{previous_session,title}' AS previous_title,
       b #>> '{previous_session,goal}' AS previous_goal,
       (SELECT jsonb_agg(x ORDER BY x) FROM jsonb_array_elements_text(b #> '{previous_session,completed_tasks}') x)
         AS previous_completed,
       b #> '{previous_session,last_contexts}' -> 0 AS previous_oldest_of_last_contexts
FROM aidis.session_brief() b;
SELECT t ->> 'title' AS open_task, t ->> 'priority' AS priority, t ->> 'status' AS status
FROM jsonb_array_elements(aidis.session_brief(:'d2') -> 'open_tasks') t;
SELECT d ->> 'title' AS recent_decision FROM jsonb_array_elements(aidis.session_brief(:'s2') -> 'recent_decisions') d;
-- Session 1 has no previous session in its project.
SELECT aidis.session_brief(:'d1') -> 'previous_session' AS previous_of_1;
SELECT public.sqlstate_of($$SELECT aidis.session_brief('SES-1999-9999')$$) AS unknown_session;
