-- Bindings that fit pools: connection, transaction (SET LOCAL) or none; RESET
-- and DISCARD ALL unbind; the project rule for stamped rows; the current
-- session of an unbound connection follows writes and lifecycle events.
\set VERBOSITY terse
SET client_min_messages = warning;
-- Earlier tests' sessions would take part in "most recently active".
SELECT count(*) >= 0 AS others_ended
FROM (SELECT aidis.end_session(id::text) FROM aidis.sessions WHERE status = 'active') x;
SELECT count(*) AS projects FROM (SELECT aidis.create_project('cb-p1') UNION ALL
                                  SELECT aidis.create_project('cb-p2') UNION ALL
                                  SELECT aidis.create_project('cb-p3')) x;
SELECT id AS p1 FROM aidis.projects WHERE name = 'cb-p1' \gset
SELECT id AS p2 FROM aidis.projects WHERE name = 'cb-p2' \gset
SELECT id AS p3 FROM aidis.projects WHERE name = 'cb-p3' \gset
CREATE FUNCTION pg_temp.bound() RETURNS text LANGUAGE sql AS $$ SELECT current_setting('aidis.session_id') $$;

-- bind => 'none' and 'transaction' leave the connection unbound after commit.
SELECT id AS a FROM aidis.start_session(agent => 'cb-a', project => 'cb-p1', bind => 'none') \gset
SELECT pg_temp.bound() = '' AS unbound_after_none;
SELECT id AS b FROM aidis.start_session(agent => 'cb-b', project => 'cb-p2', bind => 'transaction') \gset
SELECT pg_temp.bound() = '' AS unbound_after_transaction;
BEGIN;
SELECT (aidis.start_session(agent => 'cb-b', project => 'cb-p2', bind => 'transaction')).id = :'b' AS resumed;
SELECT pg_temp.bound() = :'b' AS bound_inside;
INSERT INTO aidis.contexts (content) VALUES ('cb 1') RETURNING session_id = :'b' AS on_b, project_id = :'p2' AS in_p2;
COMMIT;
SELECT pg_temp.bound() = '' AS unbound_after_commit;

-- Unbound: the most recently active session (b: just resumed and written).
INSERT INTO aidis.contexts (content) VALUES ('cb 2') RETURNING session_id = :'b' AS on_b;
-- A row naming a project: that project's most recently active session...
INSERT INTO aidis.contexts (project_id, content) VALUES (:'p1', 'cb 3')
RETURNING session_id = :'a' AS on_a, project_id = :'p1' AS in_p1;
-- ... else the current session (the row keeps its project).
INSERT INTO aidis.contexts (project_id, content) VALUES (:'p3', 'cb 4')
RETURNING session_id = :'a' AS on_a_latest, project_id = :'p3' AS in_p3;
-- A write to another session with its id makes it the current one.
INSERT INTO aidis.contexts (session_id, content) VALUES (:'b', 'cb 5');
INSERT INTO aidis.contexts (content) VALUES ('cb 6') RETURNING session_id = :'b' AS on_b;
-- A bound session wins over the project.
SELECT display_id IS NOT NULL AS used FROM aidis.use_session(:'a');
INSERT INTO aidis.contexts (project_id, content) VALUES (:'p2', 'cb 7') RETURNING session_id = :'a' AS on_a;
-- RESET and DISCARD ALL unbind.
RESET aidis.session_id;
SELECT pg_temp.bound() = '' AS unbound_after_reset;
SELECT display_id IS NOT NULL AS used FROM aidis.use_session(:'b');
DISCARD ALL;
SELECT current_setting('aidis.session_id') = '' AS unbound_after_discard;
INSERT INTO aidis.contexts (content) VALUES ('cb 8') RETURNING session_id = :'a' AS on_a_latest;

-- SET LOCAL binds for the transaction; the next one is unbound again.
BEGIN;
SET LOCAL aidis.session_id = :'b';
INSERT INTO aidis.contexts (content) VALUES ('cb 9') RETURNING session_id = :'b' AS on_b;
SELECT aidis.touch();
COMMIT;
SELECT current_setting('aidis.session_id') = '' AS unbound_after_set_local;
BEGIN;
SELECT display_id IS NOT NULL AS used FROM aidis.use_session(:'a', scope => 'transaction');
SELECT (aidis.current_session()).id = :'a' AS current_a;
ROLLBACK;
SELECT (aidis.current_session()).id = :'b' AS current_b;

-- A transaction-scoped binding names its session like an explicit id, ended
-- or not; a connection binding to an ended session falls back (rule 3).
SELECT id AS c FROM aidis.start_session(agent => 'cb-c', project => 'cb-p3', bind => 'none') \gset
SELECT status FROM aidis.end_session(:'c');
BEGIN;
SET LOCAL aidis.session_id = :'c';
INSERT INTO aidis.contexts (content) VALUES ('cb 10') RETURNING session_id = :'c' AS on_ended_c;
DO $$ BEGIN PERFORM aidis.touch(); EXCEPTION WHEN OTHERS THEN RAISE WARNING 'touch: %', SQLSTATE; END $$;
ROLLBACK;
SET aidis.session_id = :'c';
INSERT INTO aidis.contexts (content) VALUES ('cb 11') RETURNING session_id = :'b' AS on_b_latest;
RESET aidis.session_id;

-- Bad values: 22023, nothing bound.
\set VERBOSITY sqlstate
SET aidis.session_id = 'not-a-uuid';
SELECT aidis.start_session(agent => 'cb-d', bind => 'pool');
SELECT aidis.use_session(:'a', scope => NULL);
SELECT current_setting('aidis.session_id') = '' AS still_unbound;
SELECT count(*) AS mismatches FROM aidis.check_counters();
