-- Benchmark fixtures (bench/run.sh): the bare table, the app-side reference
-- and one session that every variant writes to. Needs aidis_sessions and
-- bench/naive.sql loaded first.

-- Bare: the same columns, defaults, checks and indexes as aidis.contexts, no triggers.
CREATE SCHEMA bench;
CREATE TABLE bench.bare_contexts (LIKE aidis.contexts INCLUDING ALL);

-- App-side reference: what an MCP server does today when it tracks sessions
-- itself, with separate statements after each write (bench/pgbench/app.sql).
CREATE SCHEMA app;
CREATE TABLE app.sessions (LIKE naive.sessions INCLUDING ALL);
CREATE TABLE app.activities (LIKE naive.activities INCLUDING ALL);
CREATE TABLE app.contexts (LIKE aidis.contexts INCLUDING ALL);

-- One project and one session, shared by every variant (same uuid in each schema).
SELECT aidis.create_project('bench') \gset ignored_
SELECT id AS session_id, project_id FROM aidis.start_session(agent => 'bench', project => 'bench',
                                                              client_key => 'bench-run') \gset
INSERT INTO naive.sessions (id, project_id) VALUES (:'session_id', :'project_id');
INSERT INTO app.sessions (id, project_id) VALUES (:'session_id', :'project_id');
CREATE TABLE bench.fixture AS SELECT :'session_id'::uuid AS session_id, :'project_id'::uuid AS project_id;
