-- Scale set for bench/scale.sh: :sessions sessions with about :events timeline
-- events over :projects projects and the last 365 days, plus the contexts,
-- tasks, decisions and file rows that make every counter consistent
-- (aidis.check_counters() has nothing to report).
--
-- Set-based and deterministic given the seed. The tracked tables are filled
-- with session_replication_role = replica (their tracking triggers would
-- otherwise add events and deltas of their own); the session tables keep
-- their triggers. Run by a superuser on a fresh database with aidis_sessions.

\set ON_ERROR_STOP 1
SET synchronous_commit = off;
SET maintenance_work_mem = '1GB';
SET work_mem = '256MB';
SELECT setseed(0.42);

CREATE SCHEMA IF NOT EXISTS bench;

-- Words for titles, goals, contexts and tags: q searches hit few or many rows.
CREATE FUNCTION bench.pick(words text[], n bigint) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT words[1 + (abs(n) % cardinality(words))] $$;
CREATE FUNCTION bench.verb(n bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT bench.pick('{Fix,Add,Refactor,Investigate,Speed up,Document,Remove,Migrate,Test,Review,Harden,Simplify}', n) $$;
CREATE FUNCTION bench.noun(n bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT bench.pick('{checkout flow,login form,billing export,search index,rate limiter,session cache,CSV import,'
                    'payment webhook,user settings,audit log,retry policy,feature flags,email templates,'
                    'dark mode,GraphQL schema,build pipeline,flaky test,memory leak,N+1 query,error banner}', n) $$;
CREATE FUNCTION bench.area(n bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT bench.pick('{api,frontend,worker,database,infra,mobile,auth,reports,cli,docs}', n) $$;
CREATE FUNCTION bench.task_title(i bigint, j bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT bench.verb(i * 7 + j * 3) || ' ' || bench.noun(i * 13 + j * 5) || ' in ' || bench.area(i + j) $$;
CREATE FUNCTION bench.context_text(i bigint, j bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT format('%s: %s %s. The %s in %s behaves differently after the last change; '
                'keep the old path until the migration is done (step %s).',
                bench.pick('{Note,Finding,Error,Plan,Question,Result}', i + j),
                bench.verb(i * 3 + j), bench.noun(i + j * 7), bench.noun(i * 5 + j), bench.area(i * 11 + j), j) $$;
CREATE FUNCTION bench.entity(sid uuid, what text, j bigint) RETURNS uuid
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT md5(sid::text || what || j)::uuid $$;

-- Projects: a few popular ones get most sessions.
INSERT INTO aidis.projects (name, root_directory, created_at, updated_at)
SELECT format('%s-%s', bench.pick('{shop,billing,search,auth,infra,mobile,analytics,docs,payments,crm}', p), p),
       format('/home/dev/src/project-%s', p), now() - interval '400 days', now() - interval '400 days'
FROM generate_series(1, :projects) AS p;

-- One row per session with everything derived from it, in start order.
CREATE UNLOGGED TABLE bench.gen AS
WITH base AS (
  SELECT i,
         gen_random_uuid() AS id,
         (SELECT array_agg(p.id ORDER BY p.name) FROM aidis.projects p
          WHERE p.id <> '00000000-0000-0000-0000-000000000000') AS pids,
         random() AS r_project, random() AS r_when, random() AS r_len,
         floor(random() * 21)::int AS c,          -- contexts, mean 10
         floor(random() * 7)::int AS t,           -- tasks, mean 3
         random() AS r_tc, random() AS r_tr,
         floor(random() * 3)::int AS d,           -- decisions, mean 1
         random() AS r_fill, floor(random() * 6)::int AS f   -- files, mean 2.5
  FROM generate_series(1, :sessions) AS i
), shaped AS (
  SELECT b.*,
         b.pids[1 + floor(cardinality(b.pids) * b.r_project ^ 2)::int] AS project_id,
         floor(b.t * b.r_tc + 0.5)::int AS tc,
         i <= 20 AS active,  -- the 20 newest sessions are still active
         CASE WHEN i <= 20 THEN now() - (i * interval '3 minutes') - interval '40 minutes'
              ELSE now() - interval '365 days' * b.r_when - interval '1 hour' END AS started_at,
         CASE WHEN i <= 20 THEN interval '40 minutes'
              ELSE interval '1 minute' * (5 + 235 * b.r_len ^ 2) END AS span
  FROM base b
), sized AS (
  SELECT s.*,
         CASE WHEN s.tc > 0 AND s.r_tr < 0.15 THEN 1 ELSE 0 END AS tr,
         -- filler events (usage, files, status changes) bring the mean to :events / :sessions
         floor(s.r_fill * 2 * GREATEST(0, (:events::float8 / :sessions) - 17.6))::int AS filler,
         extract(year FROM s.started_at AT TIME ZONE 'UTC')::int AS y
  FROM shaped s
)
SELECT s.i, s.id, s.project_id, s.active, s.started_at, s.span, s.c, s.t, s.tc, s.tr, s.d, s.f,
       s.filler, s.c + s.t + s.tc + s.tr + s.d + s.filler AS m,
       CASE WHEN s.active THEN NULL ELSE s.started_at + s.span END AS ended_at,
       CASE WHEN s.active THEN NULL WHEN s.i % 10 < 3 THEN 'timeout' ELSE 'ended' END AS end_reason,
       format('SES-%s-%s', s.y, lpad(n.n::text, greatest(4, length(n.n::text)), '0')) AS display_id
FROM sized s
JOIN (SELECT i, row_number() OVER (PARTITION BY y ORDER BY started_at, i) AS n FROM sized) n USING (i)
ORDER BY s.started_at, s.i;
CREATE UNIQUE INDEX ON bench.gen (i);
ALTER TABLE bench.gen ADD COLUMN ord bigserial;  -- start order: chunks of the timeline
CREATE UNIQUE INDEX ON bench.gen (ord);
ANALYZE bench.gen;

-- Files first: the sessions' loc counters are their sums.
CREATE UNLOGGED TABLE bench.gen_files AS
SELECT g.id AS session_id, g.project_id,
       format('src/%s/%s.ts', bench.area(g.i + j), replace(bench.noun(g.i * 3 + j), ' ', '_')) AS path,
       1 + (g.i + j) % 4 AS mentions, (g.i * j) % 6 AS modifications,
       ((g.i * 7 + j * 13) % 120) AS loc_added, ((g.i * 5 + j * 3) % 40) AS loc_removed,
       g.started_at + g.span * (j::float8 / (g.f + 1)) AS first_at,
       g.started_at + g.span * ((j + 0.5) / (g.f + 1)) AS last_at
FROM bench.gen g CROSS JOIN LATERAL generate_series(1, g.f) AS j;
DELETE FROM bench.gen_files a USING bench.gen_files b
WHERE a.session_id = b.session_id AND a.path = b.path AND a.ctid > b.ctid;

INSERT INTO aidis.session_base (
  id, display_id, title, description, goal, tags, project_id, agent, ai_model, client_key,
  status, end_reason, started_at, last_activity_at, ended_at,
  contexts_created, tasks_created, tasks_completed, tasks_reopened, decisions_created,
  activity_count, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens,
  estimated_tokens, loc_added, loc_removed, rating, created_at, updated_at)
SELECT g.id, g.display_id,
       bench.verb(g.i) || ' ' || bench.noun(g.i * 3) || ' (' || bench.area(g.i * 7) || ')',
       CASE WHEN g.i % 3 = 0 THEN 'Follow-up on ' || bench.noun(g.i * 11) || ' reported by support' END,
       CASE WHEN g.i % 2 = 0 THEN bench.verb(g.i * 5) || ' ' || bench.noun(g.i * 17) || ' without breaking ' || bench.area(g.i) END,
       COALESCE((SELECT array_agg(DISTINCT bench.pick('{bug,feature,refactor,perf,security,docs,tests,ux,infra,spike}', g.i * k + k))
                 FROM generate_series(1, g.i % 4) AS k), '{}'),
       g.project_id,
       bench.pick('{claude-code,claude-code,claude-code,cursor,cursor,codex,aider,windsurf}', g.i),
       bench.pick('{claude-sonnet-4-5,claude-opus-4-1,gpt-5,gemini-2.5-pro}', g.i * 3),
       'mcp-' || g.i,
       CASE WHEN g.active THEN 'active' ELSE 'inactive' END, g.end_reason,
       g.started_at, g.started_at + g.span, g.ended_at,
       g.c, g.t, g.tc, g.tr, g.d,
       g.m, 2000 * g.m, 400 * g.m, 10000 * g.m, 500 * g.m, 60 * g.c + 20 * g.t,
       COALESCE(fs.added, 0), COALESCE(fs.removed, 0),
       CASE WHEN g.i % 5 = 0 THEN 1 + g.i % 5 END,
       g.started_at, COALESCE(g.ended_at, g.started_at + g.span)
FROM bench.gen g
LEFT JOIN (SELECT session_id, sum(loc_added) AS added, sum(loc_removed) AS removed
           FROM bench.gen_files GROUP BY 1) fs ON fs.session_id = g.id
ORDER BY g.started_at, g.i;

INSERT INTO aidis.display_id_counters AS c (year, last_seq)
SELECT split_part(display_id, '-', 2)::int, max(split_part(display_id, '-', 3)::int)
FROM bench.gen GROUP BY 1
ON CONFLICT (year) DO UPDATE SET last_seq = GREATEST(c.last_seq, excluded.last_seq);

INSERT INTO aidis.session_files (session_id, path, project_id, mentions, modifications,
                                 loc_added, loc_removed, first_at, last_at)
SELECT session_id, path, project_id, mentions, modifications, loc_added, loc_removed, first_at, last_at
FROM bench.gen_files;

-- The tracked rows, without firing their tracking (the counters above already hold them).
SET session_replication_role = replica;
INSERT INTO aidis.contexts (id, project_id, session_id, context_type, content, tags, created_at)
SELECT bench.entity(g.id, ':c:', j), g.project_id, g.id,
       bench.pick('{note,code,finding,error,requirement,discussion}', g.i + j),
       bench.context_text(g.i, j),
       CASE WHEN j % 3 = 0 THEN ARRAY[bench.area(g.i + j)] ELSE '{}' END,
       g.started_at + g.span * (j::float8 / (g.c + 1))
FROM bench.gen g CROSS JOIN LATERAL generate_series(1, g.c) AS j;
INSERT INTO aidis.tasks (id, project_id, session_id, title, description, status, priority,
                         created_at, updated_at, completed_at)
SELECT bench.entity(g.id, ':t:', j), g.project_id, g.id, bench.task_title(g.i, j),
       CASE WHEN j % 2 = 0 THEN 'Acceptance: ' || bench.noun(g.i + j) || ' works in ' || bench.area(j) END,
       CASE WHEN j <= g.tc THEN 'completed' ELSE bench.pick('{todo,in_progress,blocked,todo}', g.i + j) END,
       bench.pick('{low,medium,medium,high,urgent}', g.i * j),
       g.started_at + g.span * (j::float8 / (g.t + 2)),
       g.started_at + g.span * ((j + 1)::float8 / (g.t + 2)),
       CASE WHEN j <= g.tc THEN g.started_at + g.span * ((j + 1)::float8 / (g.t + 2)) END
FROM bench.gen g CROSS JOIN LATERAL generate_series(1, g.t) AS j;
INSERT INTO aidis.decisions (id, project_id, session_id, title, rationale, status, created_at)
SELECT bench.entity(g.id, ':d:', j), g.project_id, g.id,
       'Use ' || bench.noun(g.i + j) || ' for ' || bench.area(g.i * j),
       'Simpler than the alternatives; revisit when ' || bench.noun(j) || ' changes.',
       'active', g.started_at + g.span * (j::float8 / (g.d + 1))
FROM bench.gen g CROSS JOIN LATERAL generate_series(1, g.d) AS j;
RESET session_replication_role;

