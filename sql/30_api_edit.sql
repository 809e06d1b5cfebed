-- Session API, editing: update_session, rate_session and the two-step
-- reassign_project. Every bad input is an error with a documented SQLSTATE
-- and changes nothing. Own projects (prefix ed-), own sessions.
\set VERBOSITY terse
SET client_min_messages = warning;

SELECT name FROM aidis.create_project('ed-alpha');
SELECT name FROM aidis.create_project('ed-beta');
SELECT id AS sid, display_id AS did
FROM aidis.start_session(agent => 'ed-agent', project => 'ed-alpha', title => 'Edit me',
                         ai_model => 'opus', client_key => 'ed-1', force_new => true) \gset

-- update_session: fields given change, NULL ones stay; text is trimmed; agents normalized;
-- tags trimmed, blank and repeated ones dropped, order kept.
SELECT title, description, goal, tags, notes, ai_model, agent
FROM aidis.update_session(:'did', title => '  Better title ', description => 'What we did',
                          goal => 'Ship it', tags => ARRAY[' auth', 'bug', '', NULL, 'auth', 'ux'],
                          notes => 'remember X', agent => 'Claude Code');
SELECT title, description, goal, tags, notes, ai_model, agent
FROM aidis.update_session(:'sid', goal => 'Ship it today');
-- '' clears (NULL for text, {} for tags); NULL session = the current one.
SELECT title, description, goal, tags, notes, ai_model, agent
FROM aidis.update_session(NULL, description => '', goal => ' ', tags => '{}', notes => '', ai_model => '');
-- Each change is on the timeline; a call that changes nothing writes nothing.
SELECT count(*) AS events_before FROM aidis.session_timeline(:'sid') WHERE kind = 'session_updated' \gset
SELECT title FROM aidis.update_session(:'sid', title => 'Better title', tags => '{}');
SELECT summary, data FROM aidis.session_timeline(:'sid') WHERE kind = 'session_updated' ORDER BY id;

-- Bad input: 22023 for limits and clearing the title or the agent.
SELECT public.sqlstate_of($$SELECT aidis.update_session(NULL, title => '')$$) AS clear_title,
       public.sqlstate_of($$SELECT aidis.update_session(NULL, title => '   ')$$) AS blank_title,
       public.sqlstate_of($$SELECT aidis.update_session(NULL, title => repeat('t', 256))$$) AS long_title,
       public.sqlstate_of($$SELECT aidis.update_session(NULL, description => repeat('d', 2001))$$) AS long_description,
       public.sqlstate_of($$SELECT aidis.update_session(NULL, goal => repeat('g', 2001))$$) AS long_goal,
       public.sqlstate_of($$SELECT aidis.update_session(NULL, notes => repeat('n', 10001))$$) AS long_notes;
SELECT public.sqlstate_of($$SELECT aidis.update_session(NULL, tags => array_fill('x'::text, ARRAY[1]) || (SELECT array_agg('t' || g) FROM generate_series(1, 50) g))$$) AS too_many_tags,
       public.sqlstate_of($$SELECT aidis.update_session(NULL, tags => ARRAY[repeat('t', 101)])$$) AS long_tag,
       public.sqlstate_of($$SELECT aidis.update_session(NULL, ai_model => repeat('m', 201))$$) AS long_model,
       public.sqlstate_of($$SELECT aidis.update_session(NULL, agent => ' ')$$) AS clear_agent,
       public.sqlstate_of($$SELECT aidis.update_session('SES-1999-9999', title => 'x')$$) AS unknown_session,
       public.sqlstate_of($$SELECT aidis.update_session('nonsense', title => 'x')$$) AS invalid_session;
SELECT aidis.update_session(NULL, title => '');
SELECT aidis.update_session(NULL, description => repeat('d', 2001));
-- The limits are inclusive.
SELECT char_length(title) AS title_len, char_length(description) AS description_len
FROM aidis.update_session(NULL, title => repeat('t', 255), description => repeat('d', 2000));
SELECT title FROM aidis.update_session(NULL, title => 'Better title', description => '');
-- One active session per (agent, client key): taking another's agent is 23505.
SELECT id AS other_sid FROM aidis.start_session(agent => 'ed-other', project => 'ed-alpha',
                                               client_key => 'ed-1', force_new => true) \gset
SELECT public.sqlstate_of(format($$SELECT aidis.update_session(%L, agent => 'ED other')$$, :'sid')) AS agent_taken;
SELECT (aidis.use_session(:'sid')).status AS rebound;
-- Nothing changed by the failed calls.
SELECT title, description, goal, tags, notes, ai_model, agent FROM aidis.sessions WHERE id = :'sid';

-- rate_session: 1 to 5 stars and a note; a new rating replaces the old one, note included.
SELECT rating, rating_note FROM aidis.rate_session(:'did', 4, ' solid work ');
SELECT rating, rating_note FROM aidis.rate_session(NULL, 5);
SELECT rating, rating_note FROM aidis.rate_session(:'sid', 2, '');
SELECT summary, data FROM aidis.session_timeline(:'sid') WHERE kind = 'rated' ORDER BY id;
SELECT public.sqlstate_of($$SELECT aidis.rate_session(NULL, 0)$$) AS zero_stars,
       public.sqlstate_of($$SELECT aidis.rate_session(NULL, 6)$$) AS six_stars,
       public.sqlstate_of($$SELECT aidis.rate_session(NULL, NULL)$$) AS no_stars,
       public.sqlstate_of($$SELECT aidis.rate_session(NULL, 3, repeat('n', 2001))$$) AS long_note,
       public.sqlstate_of($$SELECT aidis.rate_session('SES-1999-9999', 3)$$) AS unknown_session;
SELECT aidis.rate_session(NULL, 6);
SELECT rating, rating_note FROM aidis.sessions WHERE id = :'sid';
-- An ended session can be rated and edited.
SELECT status FROM aidis.end_session(:'sid');
SELECT rating, title FROM aidis.rate_session(:'sid', 3);
SELECT title FROM aidis.update_session(:'sid', title => 'Edit me, ended');

-- reassign_project. The session has rows in ed-alpha, one row filed under
-- another project, a file and a host table row.
SELECT id AS rsid, display_id AS rdid
FROM aidis.start_session(agent => 'ed-agent', project => 'ed-alpha', title => 'Wrong project',
                         client_key => 'ed-2', force_new => true) \gset
CREATE TABLE public.ed_notes (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);
SELECT aidis.track('public.ed_notes', 'context');
INSERT INTO aidis.contexts (content) VALUES ('ed context one @src/ed.c'), ('ed context two');
INSERT INTO aidis.tasks (title) VALUES ('ed task');
INSERT INTO aidis.decisions (title) VALUES ('ed decision');
INSERT INTO public.ed_notes (body) VALUES ('ed host note');
INSERT INTO aidis.contexts (content, project_id)
SELECT 'filed under ed-beta', id FROM aidis.projects WHERE name = 'ed-beta';
SELECT aidis.record_file('src/ed.c', 3, 1);
SELECT activity_count AS activity_before, last_activity_at AS last_before
FROM aidis.sessions WHERE id = :'rsid' \gset

-- First call: a warning with what moves, and a token.
SELECT r ->> 'status' AS status, r ->> 'from_project' AS from_project, r ->> 'to_project' AS to_project,
       r -> 'moves' AS moves, r ->> 'display_id' = :'rdid' AS right_session,
       r ->> 'confirm' ~ '^[0-9]+\.[0-9a-f]{32}$' AS token_format,
       replace(r ->> 'warning', :'rdid', 'SES-…') AS warning
FROM aidis.reassign_project(:'rdid', 'ed-beta') r;
SELECT aidis.reassign_project(:'rsid', 'ed-beta') ->> 'confirm' AS token \gset
-- The first call changes nothing.
SELECT p.name FROM aidis.sessions s JOIN aidis.projects p ON p.id = s.project_id WHERE s.id = :'rsid';

-- Wrong tokens: malformed, forged, for another session, for another project, expired.
SELECT public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-beta', 'yes')$$, :'rsid')) AS malformed,
       public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-beta', %L)$$, :'rsid',
                               split_part(:'token', '.', 1) || '.' || repeat('0', 32))) AS forged,
       public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-beta', %L)$$, :'sid', :'token')) AS other_session,
       public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, '__unassigned__', %L)$$, :'rsid', :'token')) AS other_project;
SELECT aidis._reassign_token(b.id, b.project_id, p.id, b.updated_at,
                             floor(extract(epoch FROM now()))::bigint - 601) AS expired_token
FROM aidis.session_base b, aidis.projects p WHERE b.id = :'rsid' AND p.name = 'ed-beta' \gset
SELECT public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-beta', %L)$$, :'rsid', :'expired_token')) AS expired;
SELECT aidis.reassign_project(:'rsid', 'ed-beta', 'yes');
-- Other bad input.
SELECT public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-alpha')$$, :'rsid')) AS same_project,
       public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-nowhere')$$, :'rsid')) AS unknown_project,
       public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, '')$$, :'rsid')) AS empty_project,
       public.sqlstate_of($$SELECT aidis.reassign_project('SES-1999-9999', 'ed-beta')$$) AS unknown_session;
-- A stale token: the session changed after the warning.
SELECT aidis.reassign_project(:'rsid', 'ed-beta') ->> 'confirm' AS stale_token \gset
SELECT title FROM aidis.update_session(:'rsid', title => 'Wrong project, renamed');
SELECT public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-beta', %L)$$, :'rsid', :'stale_token')) AS stale;
SELECT p.name FROM aidis.sessions s JOIN aidis.projects p ON p.id = s.project_id WHERE s.id = :'rsid';

-- Second call with a fresh token: everything of the session moves, nothing counts as activity.
SELECT aidis.reassign_project(:'rsid', 'ed-beta') ->> 'confirm' AS token \gset
SELECT r ->> 'status' AS status, r ->> 'from_project' AS from_project, r ->> 'to_project' AS to_project,
       r -> 'moved' AS moved
FROM aidis.reassign_project(:'rdid', 'ed-beta', :'token') r;
SELECT p.name AS project, s.activity_count = :activity_before AS same_activity,
       s.last_activity_at = :'last_before' AS same_last_activity
FROM aidis.sessions s JOIN aidis.projects p ON p.id = s.project_id WHERE s.id = :'rsid';
SELECT 'contexts' AS tbl, p.name, count(*) FROM aidis.contexts x JOIN aidis.projects p ON p.id = x.project_id
WHERE x.session_id = :'rsid' GROUP BY p.name
UNION ALL SELECT 'tasks', p.name, count(*) FROM aidis.tasks x JOIN aidis.projects p ON p.id = x.project_id
WHERE x.session_id = :'rsid' GROUP BY p.name
UNION ALL SELECT 'decisions', p.name, count(*) FROM aidis.decisions x JOIN aidis.projects p ON p.id = x.project_id
WHERE x.session_id = :'rsid' GROUP BY p.name
UNION ALL SELECT 'ed_notes', p.name, count(*) FROM public.ed_notes x JOIN aidis.projects p ON p.id = x.project_id
WHERE x.session_id = :'rsid' GROUP BY p.name
UNION ALL SELECT 'timeline', p.name, count(*) FROM aidis.session_activities x JOIN aidis.projects p ON p.id = x.project_id
WHERE x.session_id = :'rsid' GROUP BY p.name
UNION ALL SELECT 'files', p.name, count(*) FROM aidis.session_files x JOIN aidis.projects p ON p.id = x.project_id
WHERE x.session_id = :'rsid' GROUP BY p.name
UNION ALL SELECT 'deltas', p.name, count(*) FROM aidis.session_deltas x JOIN aidis.projects p ON p.id = x.project_id
WHERE x.session_id = :'rsid' GROUP BY p.name
ORDER BY 1, 2;
SELECT kind, summary, data -> 'moved' AS moved FROM aidis.session_timeline(:'rsid') WHERE kind = 'project_reassigned';
SELECT count(*) AS counter_mismatches FROM aidis.check_counters() WHERE session_id = :'rsid';
-- The token is used up, and new writes of the session go to its new project.
SELECT public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-beta', %L)$$, :'rsid', :'token')) AS reused,
       public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-alpha', %L)$$, :'rsid', :'token')) AS reused_back;
INSERT INTO aidis.contexts (content) VALUES ('ed after the move');
SELECT p.name FROM aidis.contexts c JOIN aidis.projects p ON p.id = c.project_id WHERE c.content = 'ed after the move';

-- Disconnected projects: neither the source nor the target may be disconnected (55000);
-- an edit or a rating of a session of a disconnected project is refused too.
SELECT name FROM aidis.create_project('ed-gone');
SELECT public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-gone')$$, :'rsid')) AS before_disconnect;
SELECT aidis.reassign_project(:'rsid', 'ed-gone') ->> 'confirm' AS gone_token \gset
SELECT name, status FROM aidis.disconnect_project('ed-gone');
SELECT public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-gone')$$, :'rsid')) AS to_disconnected,
       public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-gone', %L)$$, :'rsid', :'gone_token')) AS confirm_to_disconnected;
SELECT status FROM aidis.end_session(:'rsid');
SELECT id AS gsid FROM aidis.start_session(agent => 'ed-agent', project => 'ed-alpha', client_key => 'ed-3', force_new => true) \gset
SELECT name, status FROM aidis.reconnect_project('ed-gone');
SELECT aidis.reassign_project(:'gsid', 'ed-gone') ->> 'confirm' AS gsid_token \gset
SELECT aidis.reassign_project(:'gsid', 'ed-gone', :'gsid_token') ->> 'status' AS moved_to_gone;
SELECT name, status FROM aidis.disconnect_project('ed-gone');
SELECT public.sqlstate_of(format($$SELECT aidis.reassign_project(%L, 'ed-beta')$$, :'gsid')) AS from_disconnected,
       public.sqlstate_of(format($$SELECT aidis.update_session(%L, title => 'x')$$, :'gsid')) AS edit_disconnected,
       public.sqlstate_of(format($$SELECT aidis.rate_session(%L, 3)$$, :'gsid')) AS rate_disconnected;
SELECT aidis.update_session(:'gsid', title => 'x');
SELECT name, status FROM aidis.reconnect_project('ed-gone');

SELECT aidis.untrack('public.ed_notes');
DROP TABLE public.ed_notes;
