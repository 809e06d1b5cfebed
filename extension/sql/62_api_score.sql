-- The derived score of a session (docs/scoring.md): the formula is C++
-- (src/core/scoring.cpp), the counts it reads are gathered here.

-- The derived score of docs/scoring.md from its gathered counts.
CREATE FUNCTION aidis._score(tasks_created bigint, tasks_completed bigint, tasks_reopened bigint,
                             completed_tasks bigint, first_time_right bigint,
                             items_compared bigint, repeated_items bigint,
                             contexts bigint, error_contexts bigint,
                             goal_set boolean, activity bigint)
  RETURNS jsonb
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'aidis_score';

CREATE FUNCTION aidis._score_version() RETURNS text
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'aidis_score_version';

-- How many items nearly repeat an earlier one (pg_trgm similarity >= threshold,
-- default 0.6); only the last 200 items are compared.
CREATE FUNCTION aidis._near_duplicates(items text[], threshold double precision DEFAULT 0.6)
  RETURNS bigint
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'aidis_near_duplicates';

------------------------------------------------------------------------------
-- The derived score (docs/scoring.md)
------------------------------------------------------------------------------

-- The counts the formula reads. All come from the session row and its timeline,
-- so anyone can recount them with session_timeline().
CREATE FUNCTION aidis._score_signals(sid uuid,
    OUT tasks_created bigint, OUT tasks_completed bigint, OUT tasks_reopened bigint,
    OUT completed_tasks bigint, OUT first_time_right bigint,
    OUT items_compared bigint, OUT repeated_items bigint,
    OUT contexts bigint, OUT error_contexts bigint,
    OUT goal_set boolean, OUT activity bigint)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  task_titles text[];
  context_texts text[];
BEGIN
  SELECT s.tasks_created, s.tasks_completed, s.tasks_reopened,
         COALESCE(btrim(s.goal), '') <> '', s.activity_count
  INTO tasks_created, tasks_completed, tasks_reopened, goal_set, activity
  FROM aidis.sessions s WHERE s.id = sid;

  -- First-time-right: distinct tasks completed in this session with no
  -- reopen event (in any session) after their first completion here.
  SELECT count(*),
         count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM aidis.session_activities r
           WHERE r.kind = 'task_reopened' AND r.entity_id = c.entity_id AND r.id > c.first_id
             AND (r.data ->> 'table') IS NOT DISTINCT FROM c.tbl))
  INTO completed_tasks, first_time_right
  FROM (SELECT a.entity_id, a.data ->> 'table' AS tbl, min(a.id) AS first_id
        FROM aidis.session_activities a
        WHERE a.session_id = sid AND a.kind = 'task_completed' AND a.entity_id IS NOT NULL
        GROUP BY 1, 2) c;

  -- Error contexts: an error-like context_type, or content that opens like an error report.
  SELECT count(*),
         count(*) FILTER (WHERE lower(a.data ->> 'context_type') IN ('error', 'bug', 'failure', 'exception', 'incident', 'crash')
                             OR a.summary ~* '^\s*(error|exception|traceback|fatal|panic|failed|failure|crash(ed)?)\M')
  INTO contexts, error_contexts
  FROM aidis.session_activities a
  WHERE a.session_id = sid AND a.kind = 'context_added';

  -- Repeated work: the last 200 task titles and the last 200 context summaries
  -- (first 160 bytes), each compared with the earlier ones of the same kind.
  SELECT array_agg(x.summary ORDER BY x.id) INTO task_titles
  FROM (SELECT a.id, a.summary FROM aidis.session_activities a
        WHERE a.session_id = sid AND a.kind = 'task_created' AND a.summary IS NOT NULL
        ORDER BY a.id DESC LIMIT 200) x;
  SELECT array_agg(x.summary ORDER BY x.id) INTO context_texts
  FROM (SELECT a.id, a.summary FROM aidis.session_activities a
        WHERE a.session_id = sid AND a.kind = 'context_added' AND a.summary IS NOT NULL
        ORDER BY a.id DESC LIMIT 200) x;
  items_compared := COALESCE(cardinality(task_titles), 0) + COALESCE(cardinality(context_texts), 0);
  repeated_items := aidis._near_duplicates(COALESCE(task_titles, '{}')) +
                    aidis._near_duplicates(COALESCE(context_texts, '{}'));
END
$$;

CREATE FUNCTION aidis._compute_score(sid uuid) RETURNS jsonb
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._score(g.tasks_created, g.tasks_completed, g.tasks_reopened, g.completed_tasks,
                      g.first_time_right, g.items_compared, g.repeated_items, g.contexts,
                      g.error_contexts, g.goal_set, g.activity)
         || jsonb_build_object('inputs', to_jsonb(g))
  FROM aidis._score_signals(sid) g
$$;

-- Stores the score on the session (called by aidis._close_session when a
-- session ends). A failure to score must not keep a session from ending (a
-- timeout sweep, a disconnect): it is reported as a WARNING and the score
-- stays as it was.
CREATE FUNCTION aidis._store_score(sid uuid) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  computed jsonb;
BEGIN
  computed := aidis._compute_score(sid);
  UPDATE aidis.session_base b
  SET score = (computed ->> 'score')::numeric, score_breakdown = computed
  WHERE b.id = sid;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'aidis: could not store the score of session %: % (SQLSTATE %)', sid, SQLERRM, SQLSTATE;
END
$$;

-- The score a reader sees: the one stored at the end while it is of the
-- current formula version, else computed now. Returns (breakdown, source).
CREATE FUNCTION aidis._current_score(sid uuid, status text, stored jsonb,
                                     OUT breakdown jsonb, OUT source text)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF status <> 'active' AND stored ->> 'version' = aidis._score_version() THEN
    breakdown := stored;
    source := 'stored';
  ELSE
    breakdown := aidis._compute_score(sid);
    source := 'live';
  END IF;
END
$$;

-- What a score says in words: the bands of docs/scoring.md, the one place
-- they are defined (the command line and the page show this text).
CREATE FUNCTION aidis.score_label(score numeric) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN score IS NULL THEN NULL
              WHEN score >= 80 THEN 'Excellent session'
              WHEN score >= 60 THEN 'Good session'
              WHEN score >= 40 THEN 'Decent session'
              ELSE 'Room for improvement' END;

-- session_score(s): the formula recomputed now, with every signal.
CREATE FUNCTION aidis.session_score(s text DEFAULT NULL) RETURNS jsonb
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._flush_pending();  -- see this transaction's own work
  SELECT aidis._compute_score(aidis._find_session(s));
$$;

-- session_score: "was this completed task reopened later, in any session?"
-- Partial: only reopen events are indexed, so timeline inserts stay cheap.
CREATE INDEX session_activities_reopened ON aidis.session_activities (entity_id, id)
  WHERE kind = 'task_reopened';
