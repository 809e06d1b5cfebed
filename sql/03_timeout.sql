-- Inactivity timeout (rule 7): the GUC, the sweep, next_timeout_at.
\set VERBOSITY terse
SET client_min_messages = warning;

-- The GUC exists once the library is loaded: by the first aidis function
-- call, or at connection start with session_preload_libraries.
SELECT aidis.normalize_agent('load');
SHOW aidis.session_timeout;                       -- default: 2 hours
SET aidis.session_timeout = '90min';
SHOW aidis.session_timeout;
SET aidis.session_timeout = '-1';                 -- refused
SET aidis.session_timeout = 'soon';               -- refused
SET aidis.session_timeout = '1s';

SELECT aidis.next_timeout_at() IS NULL AS nothing_pending;
SELECT name FROM aidis.create_project('to-main');
SELECT id AS a FROM aidis.start_session(agent => 'cursor', client_key => 'to-a', project => 'to-main') \gset
SELECT id AS b FROM aidis.start_session(agent => 'cursor', client_key => 'to-b', project => 'to-main') \gset
SELECT aidis.next_timeout_at() = min(last_activity_at) + interval '1 second' AS earliest_deadline
FROM aidis.sessions WHERE status = 'active';
SELECT aidis.expire_idle_sessions() AS expired_too_early;

SELECT pg_sleep(1.2);
SELECT aidis.touch(:'b');                         -- activity pushes b's deadline
SELECT id = :'a' AS expired_a FROM aidis.expire_idle_sessions_list();
SELECT status, end_reason, ended_at = last_activity_at AS ended_at_last_activity,
       ended_at < now() - interval '1 second' AS idle_tail_not_counted
FROM aidis.sessions WHERE id = :'a';
SELECT status FROM aidis.sessions WHERE id = :'b';
SELECT aidis.expire_idle_sessions() AS idempotent;
SELECT kind FROM aidis.session_activities WHERE session_id = :'a' ORDER BY id;

-- A tracked write is activity too.
SELECT pg_sleep(1.2);
INSERT INTO aidis.contexts (session_id, content) VALUES (:'b', 'still here');
SELECT aidis.expire_idle_sessions() AS write_kept_b;
SELECT aidis.next_timeout_at() > now() AS deadline_ahead;

-- The timeout is read where the sweep runs: longer timeout, nothing expires.
SELECT pg_sleep(1.2);
SET aidis.session_timeout = '2h';
SELECT aidis.expire_idle_sessions() AS with_two_hours;
SET aidis.session_timeout = '1s';
SELECT aidis.expire_idle_sessions() AS with_one_second;
SELECT status, end_reason FROM aidis.sessions WHERE id = :'b';
SELECT aidis.next_timeout_at() IS NULL AS nothing_pending_again;

-- An ended session cannot be touched.
SELECT public.sqlstate_of(format('SELECT aidis.touch(%L)', :'b')) AS touch_ended;

-- Settable per database (and per role) like any GUC.
SELECT current_database() AS db \gset
ALTER DATABASE :"db" SET aidis.session_timeout = '45min';
\c
SHOW aidis.session_timeout;
ALTER DATABASE :"db" RESET aidis.session_timeout;
