-- Timeline events of the sessions ord :lo..:hi of bench.gen (bench/scale.sql).
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
SET work_mem = '256MB';
-- The timeline, session after session in start order (ids grow with time inside
-- a session). The middle events are interleaved by a fixed permutation
-- (k * 7919 mod m); each kind's count matches the session's counters.
INSERT INTO aidis.session_activities (session_id, project_id, occurred_at, kind, entity_id, summary, data)
SELECT g.id, g.project_id,
       CASE WHEN k = 0 THEN g.started_at
            WHEN k > g.m THEN g.ended_at
            ELSE g.started_at + g.span * (k::float8 / (g.m + 1)) END,
       kk.kind, e.entity_id, e.summary, e.data
FROM (SELECT * FROM bench.gen WHERE ord BETWEEN :lo AND :hi ORDER BY ord) g
CROSS JOIN LATERAL generate_series(0, g.m + CASE WHEN g.active THEN 0 ELSE 1 END) AS k
CROSS JOIN LATERAL (SELECT (k * 7919) % GREATEST(g.m, 1) AS pv) x
CROSS JOIN LATERAL (
  SELECT CASE
    WHEN k = 0 THEN 'session_started'
    WHEN k > g.m THEN CASE g.end_reason WHEN 'timeout' THEN 'session_timeout' ELSE 'session_ended' END
    WHEN x.pv < g.c THEN 'context_added'
    WHEN x.pv < g.c + g.t THEN 'task_created'
    WHEN x.pv < g.c + g.t + g.tc THEN 'task_completed'
    WHEN x.pv < g.c + g.t + g.tc + g.tr THEN 'task_reopened'
    WHEN x.pv < g.c + g.t + g.tc + g.tr + g.d THEN 'decision_made'
    WHEN x.pv % 10 < 6 THEN 'tokens_recorded'
    WHEN x.pv % 10 < 9 THEN 'file_touched'
    ELSE 'task_status_changed' END AS kind
) kk
CROSS JOIN LATERAL (
  SELECT
    CASE kk.kind
      WHEN 'context_added' THEN bench.entity(g.id, ':c:', x.pv + 1)::text
      WHEN 'task_created' THEN bench.entity(g.id, ':t:', x.pv - g.c + 1)::text
      WHEN 'task_completed' THEN bench.entity(g.id, ':t:', x.pv - g.c - g.t + 1)::text
      WHEN 'task_reopened' THEN bench.entity(g.id, ':t:', x.pv - g.c - g.t - g.tc + 1)::text
      WHEN 'decision_made' THEN bench.entity(g.id, ':d:', x.pv - g.c - g.t - g.tc - g.tr + 1)::text
      WHEN 'file_touched' THEN format('src/%s/%s.ts', bench.area(g.i + x.pv), replace(bench.noun(x.pv), ' ', '_'))
      WHEN 'task_status_changed' THEN bench.entity(g.id, ':t:', 1)::text
    END AS entity_id,
    CASE kk.kind
      WHEN 'session_started' THEN 'session started'
      WHEN 'session_ended' THEN 'session ended'
      WHEN 'session_timeout' THEN 'session timed out'
      WHEN 'context_added' THEN left(bench.context_text(g.i, x.pv + 1), 160)
      WHEN 'task_created' THEN bench.task_title(g.i, x.pv - g.c + 1)
      WHEN 'task_completed' THEN bench.task_title(g.i, x.pv - g.c - g.t + 1)
      WHEN 'task_reopened' THEN bench.task_title(g.i, x.pv - g.c - g.t - g.tc + 1)
      WHEN 'decision_made' THEN 'Use ' || bench.noun(g.i + x.pv - g.c - g.t - g.tc - g.tr + 1) || ' for ' || bench.area(g.i)
      WHEN 'tokens_recorded' THEN format('%s in / %s out', 1000 + x.pv * 37 % 9000, 200 + x.pv * 11 % 2000)
      WHEN 'file_touched' THEN format('src/%s/%s.ts +%s -%s', bench.area(g.i + x.pv), replace(bench.noun(x.pv), ' ', '_'), x.pv % 50, x.pv % 9)
      ELSE bench.task_title(g.i, 1)
    END AS summary,
    CASE kk.kind
      WHEN 'session_started' THEN jsonb_build_object('agent', 'claude-code', 'project_id', g.project_id)
      WHEN 'session_ended' THEN '{"end_reason": "ended"}'::jsonb
      WHEN 'session_timeout' THEN '{"end_reason": "timeout"}'::jsonb
      WHEN 'context_added' THEN jsonb_build_object('table', 'aidis.contexts', 'status', '',
                                                   'context_type', bench.pick('{note,code,finding,error,requirement,discussion}', g.i + x.pv + 1))
      WHEN 'task_created' THEN '{"table": "aidis.tasks", "status": "todo", "context_type": ""}'::jsonb
      WHEN 'task_completed' THEN '{"table": "aidis.tasks", "from": "in_progress", "to": "completed"}'::jsonb
      WHEN 'task_reopened' THEN '{"table": "aidis.tasks", "from": "completed", "to": "todo"}'::jsonb
      WHEN 'task_status_changed' THEN '{"table": "aidis.tasks", "from": "todo", "to": "in_progress"}'::jsonb
      WHEN 'decision_made' THEN '{"table": "aidis.decisions", "status": "", "context_type": ""}'::jsonb
      WHEN 'tokens_recorded' THEN jsonb_build_object('input_tokens', (1000 + x.pv * 37 % 9000)::text,
                                                     'output_tokens', (200 + x.pv * 11 % 2000)::text,
                                                     'model', 'claude-sonnet-4-5')
      ELSE jsonb_build_object('path', format('src/%s.ts', bench.area(x.pv)), 'lines_added', (x.pv % 50)::text,
                              'lines_removed', (x.pv % 9)::text)
    END AS data
) e;
