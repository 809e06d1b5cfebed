-- Host history at scale for bench/adopt.sh, on top of test/fixtures/adopt_host.sql:
-- :sessions sessions over two years on 50 projects, :rows rows (60 % contexts,
-- 30 % tasks of which a third completed, 10 % decisions). 10 % of the sessions
-- are orphans, 5 % ended but marked active; 2 % of the rows have no session
-- and 3 % are in another project than their session. Written as a replica:
-- the host's own triggers and foreign keys are not what is measured.
SET session_replication_role = replica;
INSERT INTO host.projects (id, name, created_at)
SELECT ('a1000000-0000-4000-8000-' || lpad(to_hex(p), 12, '0'))::uuid, 'bench-project-' || p, '2024-01-01'
FROM generate_series(1, 50) p;

CREATE TEMP TABLE gen_sessions AS
SELECT i, ('b1000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid AS id,
       ('a1000000-0000-4000-8000-' || lpad(to_hex(1 + i % 50), 12, '0'))::uuid AS project_id,
       '2024-01-01'::timestamptz + (i::float8 / :sessions) * interval '700 days' AS started_at
FROM generate_series(1, :sessions) i;

INSERT INTO host.sessions (id, display_id, project_id, agent_type, status, started_at, ended_at,
                           last_activity_at, title, input_tokens, output_tokens, contexts_created, connection_id)
SELECT g.id,
       format('SES-%s-%s', extract(year FROM g.started_at)::integer,
              lpad((row_number() OVER (PARTITION BY extract(year FROM g.started_at) ORDER BY g.i))::text, 5, '0')),
       CASE WHEN g.i % 10 = 0 THEN NULL ELSE g.project_id END,
       CASE g.i % 3 WHEN 0 THEN 'AI Model' WHEN 1 THEN 'mcp-server' ELSE 'Claude Code' END,
       CASE WHEN g.i % 20 = 0 THEN 'active' ELSE 'inactive' END,
       g.started_at, g.started_at + interval '2 hours', g.started_at + interval '110 minutes',
       'Bench session ' || g.i, 1000 + g.i % 5000, 200 + g.i % 700, 0, 'conn-' || (g.i % 7)
FROM gen_sessions g;

-- Row r belongs to session 1 + r % sessions, at a time within it.
CREATE TEMP TABLE gen_rows AS
SELECT r, s.id AS session_id,
       CASE WHEN r % 33 = 0 THEN ('a1000000-0000-4000-8000-' || lpad(to_hex(1 + (r + 7) % 50), 12, '0'))::uuid
            ELSE s.project_id END AS project_id,
       s.started_at + (r % 97) * interval '1 minute' AS created_at
FROM generate_series(1, :rows) r
JOIN gen_sessions s ON s.i = 1 + r % :sessions;

INSERT INTO host.contexts (project_id, session_id, context_type, content, created_at)
SELECT g.project_id, CASE WHEN g.r % 50 = 0 THEN NULL ELSE g.session_id END,
       (ARRAY['code', 'planning', 'error', 'discussion'])[1 + g.r % 4],
       'Context ' || g.r || ': notes about the work on @src/module' || (g.r % 100) || '.ts and what changed',
       g.created_at
FROM gen_rows g WHERE g.r % 10 < 6;
INSERT INTO host.tasks (project_id, session_id, title, description, status, created_at, completed_at)
SELECT g.project_id, CASE WHEN g.r % 50 = 0 THEN NULL ELSE g.session_id END,
       'Task ' || g.r || ' of the bench', 'do the thing number ' || g.r,
       CASE WHEN g.r % 3 = 0 THEN 'completed' ELSE 'todo' END, g.created_at,
       CASE WHEN g.r % 3 = 0 THEN g.created_at + interval '5 minutes' END
FROM gen_rows g WHERE g.r % 10 BETWEEN 6 AND 8;
INSERT INTO host.technical_decisions (project_id, session_id, title, rationale, created_at)
SELECT g.project_id, CASE WHEN g.r % 50 = 0 THEN NULL ELSE g.session_id END,
       'Decision ' || g.r, 'because of reason ' || g.r, g.created_at
FROM gen_rows g WHERE g.r % 10 = 9;
RESET session_replication_role;
CREATE INDEX ON host.contexts (session_id);
CREATE INDEX ON host.tasks (session_id);
CREATE INDEX ON host.technical_decisions (session_id);
VACUUM ANALYZE host.projects, host.sessions, host.contexts, host.tasks, host.technical_decisions;
