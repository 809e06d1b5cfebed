-- aidis_sessions 0.2.0 -> 0.3.0: an ended session's active seconds are
-- stored when it ends, like its score, so that session_stats need not read
-- the timelines of the period's ended sessions (docs/performance.md).
\echo Use "ALTER EXTENSION aidis_sessions UPDATE TO '0.3.0'" to load this file. \quit

ALTER TABLE aidis.session_base ADD COLUMN active_seconds bigint;

CREATE OR REPLACE FUNCTION aidis._close_session(sid uuid, new_status text, reason text, at timestamptz)
  RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._flush_pending();  -- its score and events include this transaction's work
  UPDATE aidis.session_base b
  SET status = new_status, end_reason = reason, ended_at = at,
      last_activity_at = GREATEST(b.last_activity_at, LEAST(at, aidis._effective_last_activity(b.id, b.last_activity_at))),
      updated_at = clock_timestamp()
  WHERE b.id = sid;
  PERFORM aidis._store_score(sid);  -- the derived rating, kept with the ended session
  PERFORM aidis._log_event(sid, CASE reason WHEN 'timeout' THEN 'session_timeout' ELSE 'session_ended' END,
                           at, 'session ' || CASE reason WHEN 'ended' THEN 'ended' WHEN 'timeout' THEN 'timed out'
                                                         WHEN 'superseded' THEN 'superseded by a new session'
                                                         ELSE 'ended: project disconnected' END,
                           jsonb_build_object('end_reason', reason));
  -- After the end event, which is one of its moments.
  UPDATE aidis.session_base b
  SET active_seconds = aidis._active_seconds(b.id, b.started_at, b.ended_at, b.last_activity_at)
  WHERE b.id = sid;
  PERFORM aidis._notify(CASE reason WHEN 'ended' THEN 'ended' WHEN 'timeout' THEN 'timeout'
                                    WHEN 'superseded' THEN 'superseded' ELSE 'disconnected' END, sid);
  PERFORM aidis._invalidate_caches();
END
$$;

CREATE OR REPLACE FUNCTION aidis.session_details(s text DEFAULT NULL) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._find_session(s);
  v aidis.sessions;
  proj aidis.projects;
  sc record;
  files jsonb;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  SELECT * INTO v FROM aidis.sessions x WHERE x.id = sid;
  SELECT * INTO proj FROM aidis.projects p WHERE p.id = v.project_id;
  sc := aidis._current_score(sid, v.status, v.score_breakdown);
  SELECT COALESCE(jsonb_agg(jsonb_build_object(
           'path', f.path, 'mentions', f.mentions, 'modifications', f.modifications,
           'loc_added', f.loc_added, 'loc_removed', f.loc_removed,
           'first_at', f.first_at, 'last_at', f.last_at)
           ORDER BY f.modifications + f.mentions DESC, f.loc_added + f.loc_removed DESC, f.path), '[]')
  INTO files
  FROM (SELECT * FROM aidis.session_files x WHERE x.session_id = sid
        ORDER BY x.modifications + x.mentions DESC, x.loc_added + x.loc_removed DESC, x.path
        LIMIT 10) f;
  RETURN to_jsonb(v) || jsonb_build_object(
    'project_name', proj.name,
    'project_status', proj.status,
    'wall_seconds', aidis._wall_seconds(v.started_at, v.ended_at),
    'active_seconds', COALESCE((SELECT b.active_seconds FROM aidis.session_base b WHERE b.id = sid),
                               aidis._active_seconds(sid, v.started_at, v.ended_at, v.last_activity_at)),
    'top_files', files,
    'score', sc.breakdown -> 'score',
    'score_breakdown', sc.breakdown,
    'score_source', sc.source);
END
$$;

CREATE OR REPLACE FUNCTION aidis.session_stats(period text DEFAULT 'month', project text DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  span interval := CASE lower(btrim(period)) WHEN 'day' THEN interval '1 day'
                                             WHEN 'week' THEN interval '7 days'
                                             WHEN 'month' THEN interval '1 month' END;
  pid uuid;
  pname text;
  since timestamptz;
  result jsonb;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  IF span IS NULL THEN
    RAISE EXCEPTION 'invalid period "%"', COALESCE(period, 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use day, week or month.';
  END IF;
  IF NULLIF(btrim(project), '') IS NOT NULL THEN
    pid := aidis._find_project(project);
    SELECT p.name INTO pname FROM aidis.projects p WHERE p.id = pid;
  END IF;
  since := now() - span;

  WITH s AS MATERIALIZED (
    SELECT v.*, aidis._wall_seconds(v.started_at, v.ended_at) AS wall,
           COALESCE(b.active_seconds,
                    aidis._active_seconds(v.id, v.started_at, v.ended_at, v.last_activity_at)) AS active
    FROM aidis.sessions v
    JOIN aidis.session_base b ON b.id = v.id
    WHERE v.started_at >= since AND (pid IS NULL OR v.project_id = pid)
  ), totals AS (
    SELECT count(*) AS sessions,
           count(*) FILTER (WHERE s.status = 'active') AS active_sessions,
           count(s.rating) AS rated_sessions, count(s.score) AS scored_sessions,
           COALESCE(sum(s.wall), 0) AS wall, COALESCE(sum(s.active), 0) AS active,
           COALESCE(sum(s.contexts_created), 0) AS contexts_created,
           COALESCE(sum(s.tasks_created), 0) AS tasks_created,
           COALESCE(sum(s.tasks_completed), 0) AS tasks_completed,
           COALESCE(sum(s.tasks_reopened), 0) AS tasks_reopened,
           COALESCE(sum(s.decisions_created), 0) AS decisions_created,
           COALESCE(sum(s.activity_count), 0) AS activity_count,
           COALESCE(sum(s.input_tokens), 0) AS input_tokens,
           COALESCE(sum(s.output_tokens), 0) AS output_tokens,
           COALESCE(sum(s.cache_read_tokens), 0) AS cache_read_tokens,
           COALESCE(sum(s.cache_creation_tokens), 0) AS cache_creation_tokens,
           COALESCE(sum(s.estimated_tokens), 0) AS estimated_tokens,
           COALESCE(sum(s.loc_added), 0) AS loc_added,
           COALESCE(sum(s.loc_removed), 0) AS loc_removed,
           round(avg(s.wall)) AS avg_wall, round(avg(s.active)) AS avg_active,
           round(avg(s.tasks_completed), 2) AS avg_tasks_completed,
           round(avg(s.score), 1) AS avg_score, round(avg(s.rating), 2) AS avg_rating
    FROM s
  ), weekday AS (
    SELECT extract(isodow FROM s.started_at)::integer AS isodow,
           to_char(s.started_at, 'FMDay') AS weekday,
           count(*) AS sessions, sum(s.tasks_completed) AS tasks_completed,
           sum(s.contexts_created + s.tasks_created + s.decisions_created) AS items
    FROM s GROUP BY 1, 2
    ORDER BY tasks_completed DESC, items DESC, sessions DESC, isodow
    LIMIT 1
  ), model AS (
    SELECT s.ai_model, count(*) AS sessions FROM s WHERE s.ai_model IS NOT NULL
    GROUP BY 1 ORDER BY sessions DESC, max(s.started_at) DESC, 1 LIMIT 1
  ), tag AS (
    SELECT t.tag, count(*) AS sessions FROM s CROSS JOIN LATERAL unnest(s.tags) AS t(tag)
    GROUP BY 1 ORDER BY sessions DESC, 1 LIMIT 5
  )
  SELECT jsonb_build_object(
    'period', lower(btrim(period)), 'since', since, 'until', now(),
    'project', pname, 'project_id', pid,
    'sessions', t.sessions, 'active_sessions', t.active_sessions,
    'rated_sessions', t.rated_sessions, 'scored_sessions', t.scored_sessions,
    'total_wall_seconds', t.wall, 'total_active_seconds', t.active,
    'avg_wall_seconds', t.avg_wall, 'avg_active_seconds', t.avg_active,
    'contexts_created', t.contexts_created, 'tasks_created', t.tasks_created,
    'tasks_completed', t.tasks_completed, 'tasks_reopened', t.tasks_reopened,
    'decisions_created', t.decisions_created, 'activity_count', t.activity_count,
    'completion_rate', CASE WHEN t.tasks_created > 0
                            THEN round(LEAST(1, t.tasks_completed::numeric / t.tasks_created), 4) END,
    'avg_tasks_completed', t.avg_tasks_completed,
    'input_tokens', t.input_tokens, 'output_tokens', t.output_tokens,
    'cache_read_tokens', t.cache_read_tokens, 'cache_creation_tokens', t.cache_creation_tokens,
    'estimated_tokens', t.estimated_tokens,
    'loc_added', t.loc_added, 'loc_removed', t.loc_removed, 'net_loc', t.loc_added - t.loc_removed,
    'avg_score', t.avg_score, 'avg_rating', t.avg_rating,
    'most_productive_weekday', (SELECT jsonb_build_object('weekday', w.weekday, 'isodow', w.isodow,
                                                          'sessions', w.sessions,
                                                          'tasks_completed', w.tasks_completed)
                                FROM weekday w),
    'most_used_model', (SELECT jsonb_build_object('model', m.ai_model, 'sessions', m.sessions) FROM model m),
    'top_tags', COALESCE((SELECT jsonb_agg(jsonb_build_object('tag', g.tag, 'sessions', g.sessions)
                                           ORDER BY g.sessions DESC, g.tag) FROM tag g), '[]'))
  INTO result
  FROM totals t;
  RETURN result;
END
$$;

-- Sessions that ended before: computed once here. Those of disconnected
-- projects stay NULL (nothing may write their rows) and are computed when read.
UPDATE aidis.session_base b
SET active_seconds = aidis._active_seconds(b.id, b.started_at, b.ended_at, v.last_activity_at)
FROM aidis.sessions v
WHERE v.id = b.id AND b.ended_at IS NOT NULL
  AND b.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected');
