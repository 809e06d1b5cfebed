-- Analytics over many sessions: stats, comparison and the AI brief.

-- The window and project of session_stats and session_stats_daily: this
-- transaction's own work flushed, the period checked (22023) and named in
-- lower case, then the project, if given, found; sessions started since
-- `since` count.
CREATE FUNCTION aidis._stats_scope(period text, project text,
                                   OUT period_name text, OUT since timestamptz, OUT pid uuid, OUT pname text)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  period_name := aidis._keyword(period, 'period', ARRAY['day', 'week', 'month']);
  since := now() - CASE period_name WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '7 days'
                                    ELSE interval '1 month' END;
  IF NULLIF(btrim(project), '') IS NOT NULL THEN
    pid := aidis._find_project(project);
    SELECT p.name INTO pname FROM aidis.projects p WHERE p.id = pid;
  END IF;
END
$$;

-- Sessions started in the last day, 7 days or month (to now), optionally of one project.
CREATE FUNCTION aidis.session_stats(period text DEFAULT 'month', project text DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  scope record := aidis._stats_scope(period, project);
  result jsonb;
BEGIN
  WITH s AS MATERIALIZED (
    SELECT v.*, aidis._wall_seconds(v.started_at, v.ended_at) AS wall,
           aidis._shown_active_seconds(v.id, v.started_at, v.ended_at, v.last_activity_at, b.active_seconds) AS active
    FROM aidis.sessions v
    JOIN aidis.session_base b ON b.id = v.id
    WHERE v.started_at >= scope.since AND (scope.pid IS NULL OR v.project_id = scope.pid)
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
    'period', scope.period_name, 'since', scope.since, 'until', now(),
    'project', scope.pname, 'project_id', scope.pid,
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

-- Two sessions side by side: a and b (details without top_files), their
-- signals, and delta = b - a for every number.
CREATE FUNCTION aidis.compare_sessions(a text, b text) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  da jsonb := aidis.session_details(a);
  db jsonb := aidis.session_details(b);
  metrics text[] := ARRAY['wall_seconds', 'active_seconds', 'contexts_created', 'tasks_created',
                          'tasks_completed', 'tasks_reopened', 'decisions_created', 'activity_count',
                          'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens',
                          'estimated_tokens', 'loc_added', 'loc_removed', 'files_touched',
                          'rating', 'score'];
  delta jsonb;
  signals jsonb;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  SELECT jsonb_object_agg(m, CASE WHEN jsonb_typeof(da -> m) = 'number' AND jsonb_typeof(db -> m) = 'number'
                                  THEN to_jsonb((db ->> m)::numeric - (da ->> m)::numeric) END)
  INTO delta FROM unnest(metrics) AS m;
  SELECT jsonb_object_agg(k, jsonb_build_object(
           'a', da #> ARRAY['score_breakdown', 'signals', k, 'contribution'],
           'b', db #> ARRAY['score_breakdown', 'signals', k, 'contribution'],
           'delta', to_jsonb(COALESCE((db #>> ARRAY['score_breakdown', 'signals', k, 'contribution'])::numeric, 0)
                             - COALESCE((da #>> ARRAY['score_breakdown', 'signals', k, 'contribution'])::numeric, 0))))
  INTO signals
  FROM (SELECT jsonb_object_keys(da #> '{score_breakdown,signals}') AS k
        UNION SELECT jsonb_object_keys(db #> '{score_breakdown,signals}')) keys;
  RETURN jsonb_build_object('a', da - 'top_files' - 'score_breakdown',
                            'b', db - 'top_files' - 'score_breakdown',
                            'delta', delta,
                            'signals', COALESCE(signals, '{}'));
END
$$;

-- What an AI needs at the start: this session, the previous session of the
-- same project (with what it did), the project's open tasks and recent decisions.
CREATE FUNCTION aidis.session_brief(s text DEFAULT NULL) RETURNS jsonb
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT jsonb_build_object(
    'session', jsonb_build_object(
      'id', v.id, 'display_id', v.display_id, 'title', v.title, 'goal', v.goal, 'tags', v.tags,
      'status', v.status, 'project_id', v.project_id,
      'project_name', (SELECT p.name FROM aidis.projects p WHERE p.id = v.project_id),
      'agent', v.agent, 'ai_model', v.ai_model, 'started_at', v.started_at,
      'last_activity_at', v.last_activity_at, 'ended_at', v.ended_at,
      'contexts_created', v.contexts_created, 'tasks_created', v.tasks_created,
      'tasks_completed', v.tasks_completed, 'decisions_created', v.decisions_created),
    'previous_session', (
      SELECT jsonb_build_object(
        'id', prev.id, 'display_id', prev.display_id, 'title', prev.title, 'goal', prev.goal,
        'agent', prev.agent, 'ai_model', prev.ai_model, 'status', prev.status, 'end_reason', prev.end_reason,
        'started_at', prev.started_at, 'ended_at', prev.ended_at,
        'wall_seconds', aidis._wall_seconds(prev.started_at, prev.ended_at),
        'contexts_created', prev.contexts_created, 'tasks_created', prev.tasks_created,
        'tasks_completed', prev.tasks_completed, 'tasks_reopened', prev.tasks_reopened,
        'decisions_created', prev.decisions_created, 'rating', prev.rating, 'score', prev.score,
        'notes', prev.notes,
        -- The last 10 tasks it completed, each once, by last completion.
        'completed_tasks', (SELECT COALESCE(jsonb_agg(e.summary ORDER BY e.id), '[]') FROM (
            SELECT u.id, u.summary FROM (
              SELECT DISTINCT ON (COALESCE(a.entity_id, a.id::text)) a.id, a.summary
              FROM aidis.session_activities a
              WHERE a.session_id = prev.id AND a.kind = 'task_completed'
              ORDER BY COALESCE(a.entity_id, a.id::text), a.id DESC) u
            ORDER BY u.id DESC LIMIT 10) e),
        'last_contexts', (SELECT COALESCE(jsonb_agg(e.summary ORDER BY e.id), '[]') FROM (
            SELECT a.id, a.summary FROM aidis.session_activities a
            WHERE a.session_id = prev.id AND a.kind = 'context_added'
            ORDER BY a.id DESC LIMIT 5) e))
      FROM aidis.sessions prev
      WHERE prev.id IN (SELECT b.id FROM aidis.session_base b
                        WHERE b.project_id = v.project_id AND b.id <> v.id
                          AND (b.started_at, b.id) < (v.started_at, v.id)
                        ORDER BY b.started_at DESC, b.id DESC LIMIT 1)),
    'open_tasks', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                       'id', t.id, 'title', t.title, 'status', t.status, 'priority', t.priority,
                       'created_at', t.created_at) ORDER BY t.rank, t.created_at, t.id), '[]')
                   FROM (SELECT x.*, array_position(ARRAY['urgent', 'high', 'medium', 'low'], x.priority) AS rank
                         FROM aidis.tasks x
                         WHERE x.project_id = v.project_id AND x.status NOT IN ('completed', 'cancelled')
                         ORDER BY rank, x.created_at, x.id LIMIT 20) t),
    'recent_decisions', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                             'id', d.id, 'title', d.title, 'status', d.status, 'created_at', d.created_at)
                             ORDER BY d.created_at DESC, d.id), '[]')
                         FROM (SELECT x.* FROM aidis.decisions x WHERE x.project_id = v.project_id
                               ORDER BY x.created_at DESC, x.id LIMIT 10) d))
  FROM aidis.sessions v
  WHERE v.id = (SELECT aidis._session_to_read(s))  -- (found once, then read by its key)
$$;

-- The projects a connection may see, for pickers (the sessions page, the CLI):
-- readers and writers do not see disconnected ones (as their sessions).
CREATE FUNCTION aidis.list_projects()
  RETURNS TABLE (id uuid, name text, status text, is_default boolean, root_directory text, created_at timestamptz)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT p.id, p.name, p.status, p.is_default, p.root_directory, p.created_at
  FROM aidis.projects p
  WHERE p.status <> 'disconnected' OR aidis._connection_sees_hidden()
  ORDER BY p.name, p.id
$$;

-- The per-day series behind session_stats (a chart of the period): one row
-- per calendar day of the window (the session's TimeZone), days without
-- sessions included, oldest first. Same window, project and checks as
-- session_stats.
CREATE FUNCTION aidis.session_stats_daily(period text DEFAULT 'month', project text DEFAULT NULL)
  RETURNS TABLE (day date, sessions bigint, contexts_created bigint, tasks_created bigint,
                 tasks_completed bigint, decisions_created bigint)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  scope record := aidis._stats_scope(period, project);
BEGIN
  RETURN QUERY
    SELECT d.day::date,
           count(v.id),
           COALESCE(sum(v.contexts_created), 0)::bigint,
           COALESCE(sum(v.tasks_created), 0)::bigint,
           COALESCE(sum(v.tasks_completed), 0)::bigint,
           COALESCE(sum(v.decisions_created), 0)::bigint
    FROM generate_series(scope.since::date, now()::date, interval '1 day') AS d (day)
    LEFT JOIN aidis.sessions v
      ON v.started_at >= scope.since AND v.started_at::date = d.day::date
         AND (scope.pid IS NULL OR v.project_id = scope.pid)
    GROUP BY d.day
    ORDER BY d.day;
END
$$;
