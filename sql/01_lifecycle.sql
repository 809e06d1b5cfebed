-- Session lifecycle: project choice (rule 2), start / resume / supersede
-- (rule 1), agent names (rule 9), the current session (rule 3), ending.
\set VERBOSITY terse
SET client_min_messages = warning;

-- The sentinel always exists.
SELECT id, name, status FROM aidis.projects;

-- Rule 2, last resort: no project at all -> __unassigned__.
SELECT p.name AS project, s.agent, s.status, s.title = s.display_id AS titled_by_id,
       s.display_id ~ '^SES-[0-9]{4}-[0-9]{4,}$' AS display_id_format
FROM aidis.start_session(agent => 'Claude Code', client_key => 'lc-1') s
JOIN aidis.projects p ON p.id = s.project_id;

-- Rule 9: agent names are normalized, whatever the client sent.
SELECT aidis.normalize_agent(a) FROM (VALUES ('Claude Code'), ('claude_code'), ('  Cursor '),
  ('Windsurf/IDE 1.2'), (''), ('!!!')) v(a);

-- Rule 2: the newest active project when there is no default and no activity.
SELECT name FROM aidis.create_project('lc-alpha', '/srv/alpha');
SELECT p.name FROM aidis.start_session(agent => 'cursor', client_key => 'lc-2') s
JOIN aidis.projects p ON p.id = s.project_id;

-- ... the default project beats it.
SELECT name, is_default FROM aidis.create_project('lc-beta', NULL, true);
SELECT p.name FROM aidis.start_session(agent => 'cursor', client_key => 'lc-3') s
JOIN aidis.projects p ON p.id = s.project_id;

-- ... and the project with the most work in the last 24 h beats the default.
SELECT id AS alpha_session FROM aidis.start_session(agent => 'cursor', client_key => 'lc-4', project => 'lc-alpha') \gset
INSERT INTO aidis.contexts (content) VALUES ('alpha work');
SELECT p.name FROM aidis.start_session(agent => 'cursor', client_key => 'lc-5') s
JOIN aidis.projects p ON p.id = s.project_id;

-- An explicit project wins over everything, by name or by id.
SELECT p.name FROM aidis.start_session(agent => 'cursor', client_key => 'lc-6', project => 'lc-beta') s
JOIN aidis.projects p ON p.id = s.project_id;
SELECT id AS beta_id FROM aidis.projects WHERE name = 'lc-beta' \gset
SELECT s.project_id = :'beta_id' AS by_id
FROM aidis.start_session(agent => 'cursor', client_key => 'lc-7', project => :'beta_id') s;

-- Unknown projects are an error, never created.
SELECT aidis.start_session(agent => 'cursor', project => 'no-such-project');
SELECT count(*) FROM aidis.projects WHERE name = 'no-such-project';

-- Only one default project at a time.
SELECT name FROM aidis.create_project('lc-gamma', NULL, true);
SELECT name FROM aidis.projects WHERE is_default;

-- Rule 1: the same (agent, client_key) resumes its active session ...
SELECT id AS first_id FROM aidis.start_session(agent => 'claude-code', client_key => 'lc-r', title => 'Refactor') \gset
SELECT s.id = :'first_id' AS resumed, s.title, s.status
FROM aidis.start_session(agent => 'Claude Code', client_key => 'lc-r') s;
-- ... unless force_new, which supersedes it.
SELECT id AS second_id FROM aidis.start_session(agent => 'claude-code', client_key => 'lc-r', force_new => true) \gset
SELECT :'second_id' <> :'first_id' AS new_session;
SELECT status, end_reason, ended_at = last_activity_at AS ended_at_last_activity
FROM aidis.sessions WHERE id = :'first_id';
-- A different client_key of the same agent is a different session.
SELECT id AS r2_id FROM aidis.start_session(agent => 'claude-code', client_key => 'lc-r2') \gset
SELECT :'r2_id' <> :'second_id' AS other_client;

-- Invariant: active <=> ended_at IS NULL, and one active session per client.
SELECT count(*) FILTER (WHERE (status = 'active') <> (ended_at IS NULL)) AS broken_invariant,
       count(*) FILTER (WHERE status = 'active') AS active
FROM aidis.sessions;
SELECT agent, client_key, count(*) FROM aidis.sessions WHERE status = 'active'
GROUP BY 1, 2 HAVING count(*) > 1;

-- Rule 3: the session bound to this connection is the current one.
SELECT id = :'r2_id' AS last_started_is_current FROM aidis.current_session();
SELECT id = :'second_id' AS rebound FROM aidis.use_session(:'second_id');
SELECT id = :'second_id' AS current FROM aidis.current_session();
-- Display ids and unique uuid prefixes name sessions too.
SELECT display_id AS second_display FROM aidis.sessions WHERE id = :'second_id' \gset
SELECT id = :'second_id' AS by_display_id FROM aidis.use_session(:'second_display');
SELECT id = :'second_id' AS by_lowercase_display_id FROM aidis.use_session(lower(:'second_display'));
SELECT id = :'second_id' AS by_prefix FROM aidis.use_session(left(:'second_id', 13));
SELECT aidis.use_session('not-a-session');
SELECT aidis.use_session('SES-1999-0001');
SELECT aidis.use_session('1234');

-- Ending: the bound session ends; current falls back to the most recently active one.
SELECT status, end_reason, ended_at IS NOT NULL AS has_end FROM aidis.end_session();
-- (the fallback is the most recently active session: lc-r2, the last one started)
SELECT id = :'r2_id' AS fell_back, status FROM aidis.current_session();
SELECT public.sqlstate_of(format('SELECT aidis.end_session(%L)', :'second_id')) AS end_again;
SELECT public.sqlstate_of(format('SELECT aidis.use_session(%L)', :'second_id')) AS bind_ended;
SELECT kind, summary FROM aidis.session_activities WHERE session_id = :'second_id' ORDER BY id;

-- Leave nothing active for the next file.
SELECT count(aidis.end_session(id::text)) AS ended FROM aidis.sessions WHERE status = 'active';
