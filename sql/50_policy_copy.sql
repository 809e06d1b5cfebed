-- Bulk loading the shipped tracked tables (docs/security.md, "COPY FROM"):
-- PostgreSQL refuses COPY FROM into a table under row-level security (0A000)
-- for every role the policies apply to, writers and admins alike; the bulk
-- path is COPY into a temporary table, then one INSERT ... SELECT, which the
-- tracking counts like any insert. A superuser (no policy applies) may COPY.
\set VERBOSITY terse
SET client_min_messages = warning;

CREATE ROLE regress_copy_writer IN ROLE aidis_writer;
CREATE ROLE regress_copy_admin IN ROLE aidis_admin;
SELECT name FROM aidis.create_project('copy-p');

SET ROLE regress_copy_writer;
SELECT display_id IS NOT NULL AS started FROM aidis.start_session(agent => 'copy', client_key => 'c1', project => 'copy-p');
COPY aidis.contexts (content) FROM stdin;
refused
\.
\echo :LAST_ERROR_SQLSTATE
-- The bulk path.
BEGIN;
CREATE TEMP TABLE load (content text, context_type text) ON COMMIT DROP;
COPY load FROM stdin;
first bulk row about @src/bulk.c	note
second bulk row	error
third bulk row	note
\.
INSERT INTO aidis.contexts (content, context_type) SELECT content, context_type FROM load;
COMMIT;
SELECT contexts_created, activity_count, files_touched FROM aidis.current_session();
RESET ROLE;

SET ROLE regress_copy_admin;
COPY aidis.tasks (title) FROM stdin;
refused too
\.
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- A superuser may: the rows are tracked and counted as well.
COPY aidis.decisions (session_id, title) FROM stdin;
\N	copied decision
\.
SELECT s.contexts_created, s.decisions_created FROM aidis.sessions s JOIN aidis.projects p ON p.id = s.project_id
WHERE p.name = 'copy-p';
SELECT count(*) AS mismatches FROM aidis.check_counters();

DROP ROLE regress_copy_writer;
DROP ROLE regress_copy_admin;
