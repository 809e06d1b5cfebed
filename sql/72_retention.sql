-- Retention: aidis.compact_activity() folds old timeline events of ended
-- sessions into one summary per session, project, UTC day and kind. The
-- fixture's events are moved to day D0 (800 days before today, UTC) and the
-- day after: past the default retention whatever the date.
\set VERBOSITY terse
SET client_min_messages = warning;

SELECT name FROM aidis.create_project('rt-main');
SELECT id AS old FROM aidis.start_session(agent => 'cursor', client_key => 'rt-old', project => 'rt-main', bind => 'connection') \gset
INSERT INTO aidis.contexts (project_id, session_id, content, context_type)
SELECT (SELECT id FROM aidis.projects WHERE name = 'rt-main'), :'old', 'note ' || i, 'note'
FROM generate_series(1, 6) i;
INSERT INTO aidis.tasks (project_id, session_id, title)
SELECT (SELECT id FROM aidis.projects WHERE name = 'rt-main'), :'old', 'task ' || i FROM generate_series(1, 3) i;
UPDATE aidis.tasks SET status = 'completed' WHERE session_id = :'old';
UPDATE aidis.tasks SET status = 'todo' WHERE session_id = :'old' AND title = 'task 1';
UPDATE aidis.tasks SET status = 'completed' WHERE session_id = :'old' AND title = 'task 1';
SELECT status FROM aidis.end_session(:'old');
SELECT ((now() AT TIME ZONE 'UTC')::date - 800)::text AS d0 \gset
-- Two days: contexts 1-4 and everything else on D0, contexts 5-6 on D0 + 1.
UPDATE aidis.session_activities a
SET occurred_at = (:'d0' || ' 08:00 UTC')::timestamptz + x.k * interval '1 minute'
                  + CASE WHEN a.summary IN ('note 5', 'note 6') THEN interval '1 day' ELSE interval '0' END
FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM aidis.session_activities WHERE session_id = :'old') x
WHERE a.session_id = :'old' AND a.id = x.id;
UPDATE aidis.session_base SET started_at = (:'d0' || ' 07:00 UTC')::timestamptz,
                              last_activity_at = (:'d0' || ' 20:00 UTC')::timestamptz + interval '1 day',
                              ended_at = (:'d0' || ' 20:00 UTC')::timestamptz + interval '1 day'
WHERE id = :'old';
-- An active session with events as old: never compacted.
SELECT id AS live FROM aidis.start_session(agent => 'cursor', client_key => 'rt-live', project => 'rt-main', bind => 'connection') \gset
INSERT INTO aidis.contexts (project_id, session_id, content)
SELECT (SELECT id FROM aidis.projects WHERE name = 'rt-main'), :'live', 'live ' || i FROM generate_series(1, 3) i;
UPDATE aidis.session_activities SET occurred_at = (:'d0' || ' 09:00 UTC')::timestamptz WHERE session_id = :'live';
UPDATE aidis.session_base SET started_at = (:'d0' || ' 08:00 UTC')::timestamptz WHERE id = :'live';

SELECT kind, count(*) FROM aidis.session_activities WHERE session_id = :'old' GROUP BY kind ORDER BY kind;
SELECT count(*) AS before FROM aidis.session_activities \gset

-- Bad input: 22023, nothing changed.
SELECT public.sqlstate_of($$CALL aidis.compact_activity('-1 day')$$) AS negative,
       public.sqlstate_of($$CALL aidis.compact_activity('0')$$) AS zero,
       public.sqlstate_of($$CALL aidis.compact_activity('1 mon -40 days')$$) AS not_positive;
SET aidis.session_retention = '0';               -- refused by the GUC
SELECT count(*) = :before AS unchanged FROM aidis.session_activities;

-- 'infinity' keeps everything.
SET aidis.session_retention = 'infinity';
CALL aidis.compact_activity() \gset
SELECT :'report'::jsonb AS infinity_report;
SELECT count(*) = :before AS unchanged FROM aidis.session_activities;
RESET aidis.session_retention;

-- The policy (1 year).
CALL aidis.compact_activity() \gset
SELECT :'report'::jsonb - 'cutoff' - 'older_than' - 'sessions_examined' AS report,
       (:'report'::jsonb ->> 'older_than')::interval = interval '1 year' AS policy;
SELECT (:'report'::jsonb ->> 'cutoff')::timestamptz BETWEEN now() - interval '1 year 1 minute'
       AND clock_timestamp() - interval '1 year' AS cutoff_is_policy;
SELECT 'D0 + ' || ((occurred_at AT TIME ZONE 'UTC')::date - :'d0'::date) AS day, kind, summary, entity_id IS NOT NULL AS entity,
       CASE WHEN data ? 'compacted' THEN data - 'first_at' - 'last_at' END AS data,
       (data ->> 'first_at')::timestamptz = occurred_at AS at_first,
       (data ->> 'last_at')::timestamptz > (data ->> 'first_at')::timestamptz AS spans
FROM aidis.session_activities WHERE session_id = :'old' ORDER BY id;
SELECT count(*) AS live_events_kept FROM aidis.session_activities WHERE session_id = :'live';
SELECT * FROM aidis.check_counters();
SELECT contexts_created, tasks_created, tasks_completed, tasks_reopened FROM aidis.sessions WHERE id = :'old';
SELECT compacted_id = (SELECT max(id) FROM aidis.session_activities WHERE session_id = :'old') AS watermark
FROM aidis.session_base WHERE id = :'old';

-- Idempotent: a second run folds nothing.
CALL aidis.compact_activity() \gset
SELECT :'report'::jsonb - 'cutoff' - 'older_than' - 'sessions_examined' AS second_run;
-- An explicit age folds again what became old since; summaries merge by data.rows.
UPDATE aidis.session_base SET compacted_id = NULL WHERE id = :'old';
UPDATE aidis.session_activities SET occurred_at = occurred_at - interval '1 day'
WHERE session_id = :'old' AND (occurred_at AT TIME ZONE 'UTC')::date = :'d0'::date + 1;
CALL aidis.compact_activity('30 days') \gset
SELECT :'report'::jsonb - 'cutoff' - 'older_than' - 'sessions_examined' AS merged;
SELECT summary, data ->> 'rows' AS rows FROM aidis.session_activities
WHERE session_id = :'old' AND kind = 'context_added';
SELECT * FROM aidis.check_counters();

-- CALL in a transaction block cannot commit its batches: 2D000.
BEGIN;
SELECT public.sqlstate_of($$CALL aidis.compact_activity()$$) AS in_transaction_block;
ROLLBACK;

-- Privileges: writers may apply the policy, not choose an age; readers neither.
CREATE ROLE rt_writer IN ROLE aidis_writer;
CREATE ROLE rt_reader IN ROLE aidis_reader;
SET ROLE rt_writer;
SELECT public.sqlstate_of($$CALL aidis.compact_activity('1 day')$$) AS writer_with_age;
CALL aidis.compact_activity() \gset
SELECT :'report'::jsonb - 'cutoff' - 'older_than' - 'sessions_examined' AS writer_policy;
SET ROLE rt_reader;
SELECT public.sqlstate_of($$CALL aidis.compact_activity()$$) AS reader;
RESET ROLE;
SELECT public.sqlstate_of($$SET aidis.session_retention = '1 day'$$) AS writer_cannot_shorten_policy
FROM (SELECT set_config('role', 'rt_writer', false)) x;
RESET ROLE;
DROP ROLE rt_writer, rt_reader;
SELECT status FROM aidis.end_session(:'live');

-- The batch function trusts no cut-off a writer hands it beyond the policy's.
CREATE ROLE rt_writer2 IN ROLE aidis_writer;
SET ROLE rt_writer2;
SELECT public.sqlstate_of($$SELECT aidis._compact_batch(NULL, '{"cutoff": "2999-01-01", "sessions": 0}')$$) AS future,
       public.sqlstate_of(format($$SELECT aidis._compact_batch(NULL, '{"cutoff": "%s", "sessions": 0}')$$,
                                 now() - interval '1 day')) AS shorter_than_policy,
       public.sqlstate_of(format($$SELECT aidis._compact_batch(NULL, '{"cutoff": "%s", "sessions": 0, "events_removed": 0, "summaries": 0, "sessions_examined": 0}')$$,
                                 now() - interval '2 years')) AS within_policy;
RESET ROLE;
DROP ROLE rt_writer2;
