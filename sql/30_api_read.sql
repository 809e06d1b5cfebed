-- Session API, reading: list_sessions (q, status, project, paging), every
-- form of the session argument, session_details (durations, top files,
-- score), session_contexts / tasks / decisions, session_timeline.
-- Independent of the other files: own projects (prefix rd-), own sessions.
\set VERBOSITY terse
SET client_min_messages = warning;

SELECT name FROM aidis.create_project('rd-alpha');
SELECT name FROM aidis.create_project('rd-beta project');

-- Fixture sessions with fixed times (written directly, as the extension owner),
-- so durations are stable. Two share the uuid prefix abcdef01.
INSERT INTO aidis.session_base (id, display_id, title, description, goal, tags, project_id, agent,
                                ai_model, status, end_reason, started_at, last_activity_at, ended_at)
SELECT v.id::uuid, v.display_id, v.title, v.description, v.goal, v.tags, p.id, v.agent, v.model,
       'inactive', 'ended', v.started::timestamptz, v.last::timestamptz, v.ended::timestamptz
FROM (VALUES
  ('abcdef01-0000-4000-8000-000000000001', 'SES-1999-0001', 'Parser rewrite', 'Rewrite the rd parser', 'fast parsing',
   '{parser,perf}'::text[], 'rd-alpha', 'claude-code', 'opus', '1999-03-01 10:00+00', '1999-03-01 11:00+00', '1999-03-01 11:30+00'),
  ('abcdef01-0000-4000-8000-000000000002', 'SES-1999-0002', 'Flaky test hunt', NULL, NULL,
   '{tests}'::text[], 'rd-beta project', 'cursor', NULL, '1999-03-02 10:00+00', '1999-03-02 10:05+00', '1999-03-02 10:05+00'),
  ('12345678-9abc-4000-8000-000000000003', 'SES-1999-0003', 'Docs day', 'Write the rd manual', 'docs',
   '{docs}'::text[], 'rd-alpha', 'windsurf', 'sonnet', '1999-03-03 10:00+00', '1999-03-03 10:00+00', '1999-03-03 12:00+00')
) AS v(id, display_id, title, description, goal, tags, project, agent, model, started, last, ended)
JOIN aidis.projects p ON p.name = v.project;

-- Timeline of SES-1999-0001: moments at 10:00 (start), 10:10, 10:15, 10:55,
-- 11:00 (last activity) and 11:30 (the end event); an edit after the end does not count.
INSERT INTO aidis.session_activities (session_id, project_id, occurred_at, kind, summary)
SELECT 'abcdef01-0000-4000-8000-000000000001', p.id, v.at::timestamptz, v.kind, v.summary
FROM aidis.projects p, (VALUES
  ('1999-03-01 10:00+00', 'session_started', 'session started'),
  ('1999-03-01 10:10+00', 'context_added', 'first note'),
  ('1999-03-01 10:15+00', 'task_created', 'a task'),
  ('1999-03-01 10:55+00', 'decision_made', 'a decision'),
  ('1999-03-01 11:30+00', 'session_ended', 'session ended'),
  ('1999-03-05 09:00+00', 'session_updated', 'edited later')) AS v(at, kind, summary)
WHERE p.name = 'rd-alpha';
INSERT INTO aidis.session_files (session_id, path, project_id, mentions, modifications, loc_added, loc_removed, first_at, last_at)
SELECT 'abcdef01-0000-4000-8000-000000000001', v.path, p.id, v.m, v.mo, v.a, v.r, '1999-03-01 10:10+00', '1999-03-01 10:50+00'
FROM aidis.projects p, (VALUES ('src/parser.c', 1, 3, 120, 40), ('README.md', 2, 0, 0, 0),
                              ('src/lexer.c', 0, 1, 5, 1)) AS v(path, m, mo, a, r)
WHERE p.name = 'rd-alpha';

-- session_details: wall clock 90 min; active 10 + 5 + 15 (40 capped) + 5 + 15 (30 capped) = 50 min.
SELECT d ->> 'display_id' AS display_id, d ->> 'project_name' AS project, d ->> 'title' AS title,
       d ->> 'wall_seconds' AS wall_seconds, d ->> 'active_seconds' AS active_seconds,
       d ->> 'status' AS status, d ->> 'files_touched' AS files_touched
FROM aidis.session_details('SES-1999-0001') d;
-- Top files: most modifications and mentions first.
SELECT f ->> 'path' AS path, f ->> 'modifications' AS modifications, f ->> 'mentions' AS mentions
FROM jsonb_array_elements(aidis.session_details('SES-1999-0001') -> 'top_files') f;
-- Every column of aidis.sessions is a key, plus the computed ones.
SELECT (SELECT array_agg(attname::text ORDER BY attname) FROM pg_attribute
        WHERE attrelid = 'aidis.sessions'::regclass AND attnum > 0)
       <@ (SELECT array_agg(k) FROM jsonb_object_keys(aidis.session_details('SES-1999-0001')) k) AS has_all_columns;
SELECT k FROM jsonb_object_keys(aidis.session_details('SES-1999-0001')) k
WHERE k NOT IN (SELECT attname FROM pg_attribute WHERE attrelid = 'aidis.sessions'::regclass)
ORDER BY k;
SELECT d -> 'score_breakdown' ->> 'version' AS version, d ->> 'score_source' AS source,
       (d ->> 'score')::numeric = (d -> 'score_breakdown' ->> 'score')::numeric AS score_matches
FROM aidis.session_details('SES-1999-0001') d;
-- A session with no event but its start: wall 2 h, active 0.
SELECT d ->> 'wall_seconds' AS wall_seconds, d ->> 'active_seconds' AS active_seconds
FROM aidis.session_details('SES-1999-0003') d;

-- Every form of the session argument: uuid, prefix (>= 8 hex digits, dashes
-- allowed), display id (any case), NULL = the current session.
SELECT aidis.session_details('12345678-9abc-4000-8000-000000000003') ->> 'display_id' AS by_uuid,
       aidis.session_details('12345678') ->> 'display_id' AS by_prefix,
       aidis.session_details('12345678-9ABC') ->> 'display_id' AS by_dashed_prefix,
       aidis.session_details('ses-1999-0003') ->> 'display_id' AS by_display_id;
SELECT public.sqlstate_of($$SELECT aidis.session_details('abcdef01')$$) AS ambiguous_prefix,
       public.sqlstate_of($$SELECT aidis.session_details('abcdef')$$) AS short_prefix,
       public.sqlstate_of($$SELECT aidis.session_details('SES-1999-0999')$$) AS unknown_display_id,
       public.sqlstate_of($$SELECT aidis.session_details('ffffffff-0000-4000-8000-000000000000')$$) AS unknown_uuid,
       public.sqlstate_of($$SELECT aidis.session_details('not a session')$$) AS invalid;
SELECT id AS live_id, display_id AS live_display
FROM aidis.start_session(agent => 'rd-agent', project => 'rd-alpha', title => 'Live rd session',
                         goal => 'read things', force_new => true) \gset
SELECT aidis.session_details(NULL) ->> 'id' = :'live_id' AS null_is_current,
       aidis.session_details(NULL) ->> 'score_source' AS live_score_source,
       aidis.session_details(NULL) ->> 'ended_at' IS NULL AS open;

-- The live session's rows.
INSERT INTO aidis.contexts (content, context_type) VALUES ('rd first context about @src/rd.c', 'note');
INSERT INTO aidis.contexts (content, context_type) VALUES ('rd second context', 'note');
INSERT INTO aidis.contexts (content, context_type) VALUES ('rd third context', 'error');
INSERT INTO aidis.tasks (title) VALUES ('rd task one');
INSERT INTO aidis.tasks (title) VALUES ('rd task two');
INSERT INTO aidis.decisions (title) VALUES ('rd decision');
SELECT content, context_type FROM aidis.session_contexts(NULL);
SELECT content FROM aidis.session_contexts(:'live_display', 2, 1);
SELECT title, status FROM aidis.session_tasks(:'live_id');
SELECT title FROM aidis.session_decisions(left(:'live_id', 13));
SELECT count(*) AS contexts_of_fixture FROM aidis.session_contexts('SES-1999-0001');
SELECT public.sqlstate_of($$SELECT aidis.session_contexts(NULL, 0)$$) AS lim_zero,
       public.sqlstate_of($$SELECT aidis.session_tasks(NULL, 1001)$$) AS lim_too_big,
       public.sqlstate_of($$SELECT aidis.session_decisions(NULL, 10, -1)$$) AS negative_offset,
       public.sqlstate_of($$SELECT aidis.session_tasks('SES-1999-0999')$$) AS unknown_session;

-- Timeline: oldest first, every kind, pageable by after_id.
SELECT kind, summary FROM aidis.session_timeline(:'live_id');
SELECT kind, summary FROM aidis.session_timeline('SES-1999-0001', 2);
SELECT max(id) AS after FROM aidis.session_timeline('SES-1999-0001', 2) \gset
SELECT kind, summary FROM aidis.session_timeline('SES-1999-0001', 2, :after);
SELECT kind FROM aidis.session_timeline('SES-1999-0001', 500, :after + 1000000);
SELECT public.sqlstate_of($$SELECT aidis.session_timeline(NULL, 0)$$) AS lim_zero,
       public.sqlstate_of($$SELECT aidis.session_timeline(NULL, 10001)$$) AS lim_too_big,
       public.sqlstate_of($$SELECT aidis.session_timeline(NULL, 10, -1)$$) AS negative_after;

-- list_sessions: newest first; filters by project (name or id) and status.
SELECT CASE display_id WHEN :'live_display' THEN 'live' ELSE display_id END AS session,
       title, status, project_name, agent, tags
FROM aidis.list_sessions(project => 'rd-alpha');
SELECT display_id FROM aidis.list_sessions(project => 'rd-alpha', status => 'inactive');
SELECT display_id = :'live_display' AS is_live, status FROM aidis.list_sessions(project => 'rd-alpha', status => ' ACTIVE ');
SELECT id AS beta_id FROM aidis.projects WHERE name = 'rd-beta project' \gset
SELECT display_id FROM aidis.list_sessions(project => :'beta_id');
-- Counters and project columns come with each row.
SELECT display_id = :'live_display' AS is_live, contexts_created, tasks_created, decisions_created,
       files_touched, estimated_tokens > 0 AS estimated, rating, score
FROM aidis.list_sessions(project => 'rd-alpha', lim => 1);
-- Paging.
SELECT display_id FROM aidis.list_sessions(project => 'rd-alpha', lim => 2, off => 1);
SELECT count(*) FROM aidis.list_sessions(project => 'rd-alpha', off => 3);

-- q: title, description, goal, tag, agent, display id (whole, prefix or number),
-- uuid prefix, project name; case-insensitive substrings; LIKE wildcards are literal.
SELECT q, array_agg(display_id ORDER BY display_id) AS found
FROM unnest(ARRAY['parser rewrite', 'RD MANUAL', 'fast pars', 'perf', 'windsurf', 'SES-1999-0002',
                  'ses-1999-000', '1999-0003', '0002', 'abcdef01', 'abcdef01-0000-4000-8000-000000000002',
                  '12345678-9ABC', 'beta proj', 'flaky', '%', 'rd\_', 'no such thing']) AS q
LEFT JOIN LATERAL aidis.list_sessions(q => q) l ON l.display_id LIKE 'SES-1999-%'
GROUP BY q ORDER BY q;
-- Blank q, status and project mean no filter.
SELECT count(*) > 0 AS unfiltered FROM aidis.list_sessions(q => '  ', status => '', project => '');

-- Bad filters.
SELECT public.sqlstate_of($$SELECT aidis.list_sessions(status => 'ended')$$) AS bad_status,
       public.sqlstate_of($$SELECT aidis.list_sessions(project => 'rd-nope')$$) AS unknown_project,
       public.sqlstate_of($$SELECT aidis.list_sessions(lim => 0)$$) AS lim_zero,
       public.sqlstate_of($$SELECT aidis.list_sessions(lim => 1001)$$) AS lim_too_big,
       public.sqlstate_of($$SELECT aidis.list_sessions(off => -1)$$) AS negative_offset;
SELECT aidis.list_sessions(status => 'ended');

-- Row-level security: a reader does not see the sessions of a disconnected project.
SELECT name FROM aidis.create_project('rd-gone');
INSERT INTO aidis.session_base (id, display_id, title, project_id, agent, status, end_reason,
                                started_at, last_activity_at, ended_at)
SELECT 'abcdef02-0000-4000-8000-000000000004', 'SES-1999-0004', 'Hidden later', p.id, 'cursor',
       'inactive', 'ended', '1999-03-04 10:00+00', '1999-03-04 10:00+00', '1999-03-04 11:00+00'
FROM aidis.projects p WHERE p.name = 'rd-gone';
SELECT name, status FROM aidis.disconnect_project('rd-gone');
SET ROLE aidis_reader;
SELECT count(*) AS visible FROM aidis.list_sessions(q => 'SES-1999-0004');
SELECT public.sqlstate_of($$SELECT aidis.session_details('SES-1999-0004')$$) AS details_of_hidden,
       public.sqlstate_of($$SELECT aidis.session_timeline('SES-1999-0004')$$) AS timeline_of_hidden;
SELECT count(*) AS visible_fixtures FROM aidis.list_sessions(q => 'SES-1999');
RESET ROLE;
SELECT count(*) AS admin_sees FROM aidis.list_sessions(q => 'SES-1999-0004');
SELECT name, status FROM aidis.reconnect_project('rd-gone');
