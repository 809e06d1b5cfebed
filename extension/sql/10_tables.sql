-- Data model (docs/design.md, "Data model").

CREATE TABLE aidis.projects (
  id             uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  name           text NOT NULL,
  status         text NOT NULL DEFAULT 'active',
  is_default     boolean NOT NULL DEFAULT false,
  root_directory text,
  created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
  updated_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
  CONSTRAINT projects_name_key UNIQUE (name),
  CONSTRAINT projects_name_length CHECK (pg_catalog.char_length(name) BETWEEN 1 AND 255),
  CONSTRAINT projects_status_valid CHECK (status IN ('active', 'archived', 'disconnected'))
);
-- At most one default project.
CREATE UNIQUE INDEX projects_one_default ON aidis.projects (is_default) WHERE is_default;

-- The sentinel: a session that cannot be placed goes here, never to NULL.
INSERT INTO aidis.projects (id, name)
VALUES ('00000000-0000-0000-0000-000000000000', '__unassigned__');

-- Per-year display id counters (SES-YYYY-NNNN): a row per year, no DDL at run time.
CREATE TABLE aidis.display_id_counters (
  year     integer PRIMARY KEY,
  last_seq integer NOT NULL
);

-- The session counters, declared once: session_base (folded totals) and
-- session_deltas (what transactions add) take them with LIKE, in this order,
-- and the template goes once both exist.
CREATE TABLE aidis._session_counters (
  contexts_created      bigint NOT NULL DEFAULT 0,
  tasks_created         bigint NOT NULL DEFAULT 0,
  tasks_completed       bigint NOT NULL DEFAULT 0,
  tasks_reopened        bigint NOT NULL DEFAULT 0,
  decisions_created     bigint NOT NULL DEFAULT 0,
  activity_count        bigint NOT NULL DEFAULT 0,
  input_tokens          bigint NOT NULL DEFAULT 0,
  output_tokens         bigint NOT NULL DEFAULT 0,
  cache_read_tokens     bigint NOT NULL DEFAULT 0,
  cache_creation_tokens bigint NOT NULL DEFAULT 0,
  estimated_tokens      bigint NOT NULL DEFAULT 0,
  loc_added             bigint NOT NULL DEFAULT 0,
  loc_removed           bigint NOT NULL DEFAULT 0
);

-- The session row. Counter columns hold folded totals; transactions add their
-- deltas to aidis.session_deltas instead (docs/counters.md). Read sessions
-- through the view aidis.sessions, which adds both.
CREATE TABLE aidis.session_base (
  id                    uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  display_id            text NOT NULL,
  title                 text NOT NULL,
  description           text,
  goal                  text,
  notes                 text,
  tags                  text[] NOT NULL DEFAULT '{}',
  project_id            uuid NOT NULL REFERENCES aidis.projects (id) ON DELETE RESTRICT,
  agent                 text NOT NULL,
  ai_model              text,
  client_key            text,
  status                text NOT NULL DEFAULT 'active',
  end_reason            text,
  started_at            timestamptz NOT NULL DEFAULT pg_catalog.now(),
  last_activity_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
  ended_at              timestamptz,
  LIKE aidis._session_counters INCLUDING DEFAULTS,
  rating                smallint,
  rating_note           text,
  score                 numeric(5,2),
  score_breakdown       jsonb,
  created_at            timestamptz NOT NULL DEFAULT pg_catalog.now(),
  updated_at            timestamptz NOT NULL DEFAULT pg_catalog.now(),
  -- Stored when the session ends (_close_session), like the score: readers
  -- of many ended sessions (session_stats) then need not read their timelines.
  active_seconds        bigint,
  -- The role whose session it is: the role the connection acted as when it
  -- started (NULL: started before 0.4.0). Writers change only the sessions
  -- of roles whose privileges they have (docs/security.md).
  started_by            text,
  -- Compaction (aidis.compact_activity) has looked at every timeline event up
  -- to this id; NULL: never compacted.
  compacted_id          bigint,
  CONSTRAINT sessions_display_id_key UNIQUE (display_id),
  CONSTRAINT sessions_display_id_format CHECK (display_id ~ '^SES-[0-9]{4}-[0-9]{4,}$'),
  CONSTRAINT sessions_title_length CHECK (pg_catalog.char_length(title) BETWEEN 1 AND 255),
  CONSTRAINT sessions_description_length CHECK (pg_catalog.char_length(description) <= 2000),
  CONSTRAINT sessions_goal_length CHECK (pg_catalog.char_length(goal) <= 2000),
  CONSTRAINT sessions_notes_length CHECK (pg_catalog.char_length(notes) <= 10000),
  CONSTRAINT sessions_agent_length CHECK (pg_catalog.char_length(agent) BETWEEN 1 AND 100),
  CONSTRAINT sessions_status_valid CHECK (status IN ('active', 'inactive', 'disconnected')),
  CONSTRAINT sessions_end_reason_valid
    CHECK (end_reason IN ('ended', 'timeout', 'superseded', 'project_disconnected')),
  -- status = 'active' <=> ended_at IS NULL (and only ended sessions have a reason)
  CONSTRAINT sessions_active_iff_open
    CHECK ((status = 'active') = (ended_at IS NULL) AND (status = 'active') = (end_reason IS NULL)),
  CONSTRAINT sessions_rating_range CHECK (rating BETWEEN 1 AND 5),
  CONSTRAINT sessions_rating_note_length CHECK (pg_catalog.char_length(rating_note) <= 2000),
  CONSTRAINT sessions_score_range CHECK (score BETWEEN 0 AND 100)
);
CREATE INDEX session_base_project ON aidis.session_base (project_id, started_at DESC);
CREATE INDEX session_base_started ON aidis.session_base (started_at DESC);
CREATE INDEX session_base_last_activity ON aidis.session_base (last_activity_at DESC);
-- Active sessions are few: the timeout sweep and current-session lookups read this.
CREATE INDEX session_base_active ON aidis.session_base (last_activity_at) WHERE status = 'active';
-- One active session per (agent, client_key): resume instead of duplicating.
CREATE UNIQUE INDEX session_base_one_active_per_client
  ON aidis.session_base (agent, (COALESCE(client_key, ''))) WHERE status = 'active';

-- Striped counter deltas: one row per (session, backend slot), written once per
-- committing transaction, folded into session_base by the sweep. Concurrent
-- writers to one session never wait on each other.
-- No foreign keys on the hot internal tables: a FK check takes a KEY SHARE
-- lock on the session row, and several writers sharing one session would turn
-- that into MultiXact churn. Only the extension's own code writes them.
CREATE TABLE aidis.session_deltas (
  session_id            uuid NOT NULL,
  slot                  integer NOT NULL,
  project_id            uuid NOT NULL,
  LIKE aidis._session_counters INCLUDING DEFAULTS,
  last_activity_at      timestamptz,
  PRIMARY KEY (session_id, slot)
) WITH (fillfactor = 50);
DROP TABLE aidis._session_counters;

-- The timeline. Every tracked write adds a row, so it has a single index:
-- its key, which is also the timeline's order within a session.
CREATE TABLE aidis.session_activities (
  id          bigint GENERATED ALWAYS AS IDENTITY,
  session_id  uuid NOT NULL,
  project_id  uuid NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  kind        text NOT NULL,
  entity_id   text,
  summary     text,
  data        jsonb NOT NULL DEFAULT '{}',
  CONSTRAINT session_activities_pkey PRIMARY KEY (session_id, id),
  -- Every kind of timeline entry, in one place (docs/api.md, session_timeline):
  -- the C++ writers (src/core/kind.hpp, src/pg/counters.cpp) and the SQL ones
  -- (_log_event callers, adopt, import) cannot add a kind nobody reads.
  CONSTRAINT session_activities_kind CHECK (kind IN (
    'session_started', 'session_resumed', 'session_updated', 'session_ended', 'session_timeout',
    'session_deleted', 'project_reassigned', 'rated',
    'context_added', 'context_deleted', 'task_created', 'task_completed', 'task_reopened',
    'task_status_changed', 'task_deleted', 'decision_made', 'decision_deleted',
    'tokens_recorded', 'file_touched'))
);

CREATE TABLE aidis.session_files (
  session_id    uuid NOT NULL,
  path          text NOT NULL,
  project_id    uuid NOT NULL,
  mentions      bigint NOT NULL DEFAULT 0,
  modifications bigint NOT NULL DEFAULT 0,
  loc_added     bigint NOT NULL DEFAULT 0,
  loc_removed   bigint NOT NULL DEFAULT 0,
  first_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
  last_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (session_id, path),
  CONSTRAINT session_files_path_length CHECK (pg_catalog.char_length(path) BETWEEN 1 AND 4096)
);

-- Tables whose writes are tracked (aidis.track), shipped ones included.
CREATE TABLE aidis.tracked_tables (
  tbl        regclass PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('context', 'task', 'decision')),
  shipped    boolean NOT NULL DEFAULT false,  -- created by the extension script
  tracked_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

-- Tracked tables shipped by the extension. Their project_id and session_id
-- are checked by the tracking trigger (with a per-transaction cache) rather
-- than by foreign keys, for the same MultiXact reason as above.
CREATE TABLE aidis.contexts (
  id           uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  project_id   uuid NOT NULL,
  session_id   uuid NOT NULL,
  context_type text NOT NULL DEFAULT 'note',
  content      text NOT NULL CONSTRAINT contexts_content_not_empty CHECK (content <> ''),
  tags         text[] NOT NULL DEFAULT '{}',
  metadata     jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX contexts_session ON aidis.contexts (session_id, created_at);
CREATE INDEX contexts_project ON aidis.contexts (project_id, created_at DESC);

CREATE TABLE aidis.tasks (
  id           uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  project_id   uuid NOT NULL,
  session_id   uuid NOT NULL,
  title        text NOT NULL CONSTRAINT tasks_title_length CHECK (pg_catalog.char_length(title) BETWEEN 1 AND 500),
  description  text,
  status       text NOT NULL DEFAULT 'todo'
               CONSTRAINT tasks_status_valid CHECK (status IN ('todo', 'in_progress', 'blocked', 'completed', 'cancelled')),
  priority     text NOT NULL DEFAULT 'medium'
               CONSTRAINT tasks_priority_valid CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
  updated_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
  completed_at timestamptz
);
CREATE INDEX tasks_session ON aidis.tasks (session_id, created_at);
CREATE INDEX tasks_project_open ON aidis.tasks (project_id, created_at DESC) WHERE status NOT IN ('completed', 'cancelled');

CREATE TABLE aidis.decisions (
  id         uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  project_id uuid NOT NULL,
  session_id uuid NOT NULL,
  title      text NOT NULL CONSTRAINT decisions_title_length CHECK (pg_catalog.char_length(title) BETWEEN 1 AND 500),
  rationale  text,
  status     text NOT NULL DEFAULT 'active'
             CONSTRAINT decisions_status_valid CHECK (status IN ('proposed', 'active', 'superseded', 'rejected')),
  created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX decisions_session ON aidis.decisions (session_id, created_at);
CREATE INDEX decisions_project ON aidis.decisions (project_id, created_at DESC);

-- Sessions as users read them: folded totals plus pending deltas, so every
-- counter is exact as of the reader's snapshot.
CREATE VIEW aidis.sessions WITH (security_invoker = true) AS
SELECT b.id, b.display_id, b.title, b.description, b.goal, b.notes, b.tags,
       b.project_id, b.agent, b.ai_model, b.client_key,
       b.status, b.end_reason, b.started_at,
       -- An ended session's last activity is the one stored when it ended
       -- (a write named onto it later is counted, but is no activity of it).
       CASE WHEN b.ended_at IS NULL THEN GREATEST(b.last_activity_at, d.last_activity_at)
            ELSE b.last_activity_at END AS last_activity_at,
       b.ended_at,
       b.contexts_created      + d.contexts_created      AS contexts_created,
       b.tasks_created         + d.tasks_created         AS tasks_created,
       b.tasks_completed       + d.tasks_completed       AS tasks_completed,
       b.tasks_reopened        + d.tasks_reopened        AS tasks_reopened,
       b.decisions_created     + d.decisions_created     AS decisions_created,
       b.activity_count        + d.activity_count        AS activity_count,
       b.input_tokens          + d.input_tokens          AS input_tokens,
       b.output_tokens         + d.output_tokens         AS output_tokens,
       b.cache_read_tokens     + d.cache_read_tokens     AS cache_read_tokens,
       b.cache_creation_tokens + d.cache_creation_tokens AS cache_creation_tokens,
       b.estimated_tokens      + d.estimated_tokens      AS estimated_tokens,
       b.loc_added             + d.loc_added             AS loc_added,
       b.loc_removed           + d.loc_removed           AS loc_removed,
       (SELECT pg_catalog.count(*) FROM aidis.session_files f WHERE f.session_id = b.id) AS files_touched,
       b.rating, b.rating_note, b.score, b.score_breakdown,
       b.created_at, b.updated_at
FROM aidis.session_base b
CROSS JOIN LATERAL (
  SELECT COALESCE(pg_catalog.sum(x.contexts_created), 0)::bigint      AS contexts_created,
         COALESCE(pg_catalog.sum(x.tasks_created), 0)::bigint         AS tasks_created,
         COALESCE(pg_catalog.sum(x.tasks_completed), 0)::bigint       AS tasks_completed,
         COALESCE(pg_catalog.sum(x.tasks_reopened), 0)::bigint        AS tasks_reopened,
         COALESCE(pg_catalog.sum(x.decisions_created), 0)::bigint     AS decisions_created,
         COALESCE(pg_catalog.sum(x.activity_count), 0)::bigint        AS activity_count,
         COALESCE(pg_catalog.sum(x.input_tokens), 0)::bigint          AS input_tokens,
         COALESCE(pg_catalog.sum(x.output_tokens), 0)::bigint         AS output_tokens,
         COALESCE(pg_catalog.sum(x.cache_read_tokens), 0)::bigint     AS cache_read_tokens,
         COALESCE(pg_catalog.sum(x.cache_creation_tokens), 0)::bigint AS cache_creation_tokens,
         COALESCE(pg_catalog.sum(x.estimated_tokens), 0)::bigint      AS estimated_tokens,
         COALESCE(pg_catalog.sum(x.loc_added), 0)::bigint             AS loc_added,
         COALESCE(pg_catalog.sum(x.loc_removed), 0)::bigint           AS loc_removed,
         pg_catalog.max(x.last_activity_at)                           AS last_activity_at
  FROM aidis.session_deltas x
  WHERE x.session_id = b.id
) d;

-- pg_dump keeps user data (the sentinel project is part of the script).
SELECT pg_catalog.pg_extension_config_dump('aidis.projects', $$WHERE id <> '00000000-0000-0000-0000-000000000000'$$);
SELECT pg_catalog.pg_extension_config_dump('aidis.display_id_counters', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.session_base', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.session_deltas', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.session_activities', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.session_activities_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.session_files', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.tracked_tables', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('aidis.contexts', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.tasks', '');
SELECT pg_catalog.pg_extension_config_dump('aidis.decisions', '');
