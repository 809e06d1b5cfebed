-- Retention: compacting the timelines of old ended sessions (docs/retention.md).
--
-- Events of an ended session older than aidis.session_retention are folded
-- into one summary event per session, project (the one each event is filed
-- under), UTC day and kind: the first event of the group becomes the summary
-- ("37 contexts added", data.rows = 37 with first_at and last_at), the
-- others go. data.rows is the shape the tracking code already gives the
-- folded entry of a big statement, so one rule counts both: an event stands
-- for COALESCE(data.rows, 1) events (check_counters, the page's timeline).
-- Lifecycle and audit events (session_*, project_reassigned, rated) stay.

-- The value of the GUC aidis.session_retention; NULL means 'infinity' (also
-- loads the library, which defines it).
CREATE FUNCTION aidis._session_retention() RETURNS interval
  LANGUAGE c STABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'aidis_session_retention';

-- "context_added", 37 -> "37 contexts added"; "task_status_changed" -> "tasks status changed".
CREATE FUNCTION aidis._folded_summary(kind text, n bigint) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN n::text || ' ' || CASE WHEN strpos(kind, '_') = 0 THEN kind
    ELSE rtrim(split_part(kind, '_', 1), 's') || 's ' || replace(substr(kind, strpos(kind, '_') + 1), '_', ' ') END;

-- Folds one session's events older than `cutoff` (its row locked by the
-- caller). Returns the events removed and the summaries written, and sets the
-- session's compacted_id: every event with a larger id may still need folding
-- (too young, or filed under a disconnected project, whose rows nothing writes).
CREATE FUNCTION aidis._compact_session(sid uuid, cutoff timestamptz, OUT removed bigint, OUT summaries bigint)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pending bigint;
BEGIN
  WITH g AS MATERIALIZED (
    SELECT min(a.id) AS keep_id, array_agg(a.id) AS ids,
           sum(COALESCE((a.data ->> 'rows')::bigint, 1))::bigint AS n,
           min(COALESCE((a.data ->> 'first_at')::timestamptz, a.occurred_at)) AS first_at,
           max(COALESCE((a.data ->> 'last_at')::timestamptz, a.occurred_at)) AS last_at,
           -- What all events of the group share is kept; the rest is summarized away.
           CASE WHEN count(DISTINCT a.entity_id) = 1 AND count(a.entity_id) = count(*) THEN min(a.entity_id) END AS entity_id,
           CASE WHEN count(DISTINCT a.data ->> 'table') = 1 AND count(a.data ->> 'table') = count(*)
                THEN min(a.data ->> 'table') END AS tbl,
           CASE WHEN count(DISTINCT a.data ->> 'context_type') = 1 AND count(a.data ->> 'context_type') = count(*)
                THEN min(a.data ->> 'context_type') END AS context_type
    FROM aidis.session_activities a
    WHERE a.session_id = sid AND a.occurred_at < cutoff
      AND a.kind NOT LIKE 'session\_%' AND a.kind NOT IN ('project_reassigned', 'rated')
      AND a.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected')
    GROUP BY a.project_id, (a.occurred_at AT TIME ZONE 'UTC')::date, a.kind
    HAVING count(*) > 1
  ), kept AS (
    UPDATE aidis.session_activities a
    SET occurred_at = g.first_at, entity_id = g.entity_id, summary = aidis._folded_summary(a.kind, g.n),
        data = jsonb_strip_nulls(jsonb_build_object('rows', g.n, 'first_at', g.first_at, 'last_at', g.last_at,
                                                    'compacted', true, 'table', g.tbl,
                                                    'context_type', g.context_type))
    FROM g
    WHERE a.session_id = sid AND a.id = g.keep_id
    RETURNING a.id
  ), gone AS (
    DELETE FROM aidis.session_activities a
    USING (SELECT unnest(g.ids) AS id, g.keep_id FROM g) x
    WHERE a.session_id = sid AND a.id = x.id AND x.id <> x.keep_id
    RETURNING a.id
  )
  SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM kept) INTO removed, summaries;

  SELECT min(a.id) INTO pending FROM aidis.session_activities a
  WHERE a.session_id = sid
    AND (a.occurred_at >= cutoff
         OR a.project_id IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected'));
  UPDATE aidis.session_base b
  SET compacted_id = COALESCE(pending - 1, (SELECT max(a.id) FROM aidis.session_activities a WHERE a.session_id = sid), 0)
  WHERE b.id = sid;
END
$$;

-- One batch of compaction, in the caller's transaction: at most `max_sessions`
-- ended sessions, each locked (SKIP LOCKED: one another compaction, a
-- deletion or an edit holds is left for the next batch). `report` carries
-- the totals from batch to batch; NULL starts a run: the cut-off is fixed
-- then. An explicit older_than is for aidis_admin; the policy (NULL) may be
-- applied by anyone granted this (the worker's role).
CREATE FUNCTION aidis._compact_batch(older_than interval, INOUT report jsonb, max_sessions integer DEFAULT 50,
                                     OUT more boolean)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  retention interval;
  cutoff timestamptz;
  sid uuid;
  done integer := 0;
  changed integer := 0;
  r record;
  removed bigint := 0;
  written bigint := 0;
BEGIN
  more := false;
  IF max_sessions IS NULL OR max_sessions NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION 'max_sessions must be between 1 and 1000, not %', max_sessions
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF report IS NULL THEN
    IF older_than IS NOT NULL AND NOT pg_has_role(aidis._connection_role(), 'aidis_admin', 'USAGE') THEN
      RAISE EXCEPTION 'only an aidis_admin may choose the age to compact'
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Call aidis.compact_activity() without an argument to apply aidis.session_retention.';
    END IF;
    IF older_than IS NOT NULL AND older_than <= interval '0' THEN
      RAISE EXCEPTION 'older_than must be a positive interval, not %', older_than
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    retention := COALESCE(older_than, aidis._session_retention());
    report := jsonb_build_object('older_than', COALESCE(retention::text, 'infinity'),
                                 'cutoff', clock_timestamp() - retention,
                                 'sessions_examined', 0, 'sessions', 0, 'events_removed', 0, 'summaries', 0);
    IF retention IS NULL THEN  -- 'infinity': keep everything
      RETURN;
    END IF;
  END IF;
  cutoff := (report ->> 'cutoff')::timestamptz;
  IF cutoff IS NULL THEN
    RETURN;
  END IF;
  -- A report handed back by the caller: its cut-off must be one the caller
  -- may choose (a writer: no later than the policy's, anyone: in the past).
  retention := aidis._session_retention();
  IF cutoff >= clock_timestamp() OR (NOT pg_has_role(aidis._connection_role(), 'aidis_admin', 'USAGE')
                                     AND (retention IS NULL OR cutoff > clock_timestamp() - retention)) THEN
    RAISE EXCEPTION 'cut-off % is not one this role may compact to', cutoff
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Call aidis.compact_activity() without an argument to apply aidis.session_retention.';
  END IF;
  FOR sid IN
    SELECT b.id FROM aidis.session_base b
    WHERE b.status <> 'active' AND b.started_at < cutoff
      AND b.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected')
      AND (EXISTS (SELECT 1 FROM aidis.session_activities a
                   WHERE a.session_id = b.id AND a.id > COALESCE(b.compacted_id, 0))
           -- work not folded yet, whose events may be below compacted_id (_fold_deltas)
           OR EXISTS (SELECT 1 FROM aidis.session_deltas d WHERE d.session_id = b.id))
    ORDER BY b.started_at, b.id
    LIMIT max_sessions + 1
    FOR UPDATE SKIP LOCKED
  LOOP
    IF done = max_sessions THEN
      more := true;
      EXIT;
    END IF;
    -- What readers show of an ended session is stored when it ends; a
    -- session ended before those were stored gets them now, from the whole timeline.
    UPDATE aidis.session_base b
    SET active_seconds = aidis._active_seconds(b.id, b.started_at, b.ended_at, b.last_activity_at)
    WHERE b.id = sid AND b.active_seconds IS NULL;
    IF (SELECT b.score_breakdown ->> 'version' FROM aidis.session_base b WHERE b.id = sid)
       IS DISTINCT FROM aidis._score_version() THEN
      PERFORM aidis._store_score(sid);
    END IF;
    r := aidis._compact_session(sid, cutoff);
    removed := removed + r.removed;
    written := written + r.summaries;
    done := done + 1;
    changed := changed + (r.summaries > 0)::integer;
  END LOOP;
  report := report || jsonb_build_object('sessions_examined', (report ->> 'sessions_examined')::bigint + done,
                                         'sessions', (report ->> 'sessions')::bigint + changed,
                                         'events_removed', (report ->> 'events_removed')::bigint + removed,
                                         'summaries', (report ->> 'summaries')::bigint + written);
END
$$;

-- compact_activity(older_than): the whole run, committing after each batch so
-- that no lock is held for long. A procedure with transaction control can
-- have neither SECURITY DEFINER nor a SET clause, so this one only loops;
-- _compact_batch does the work. Every name in it is qualified. CALL it
-- outside a transaction block; `report` says what it folded.
CREATE PROCEDURE aidis.compact_activity(older_than interval DEFAULT NULL, INOUT report jsonb DEFAULT NULL)
  LANGUAGE plpgsql
AS $$
DECLARE
  more boolean := true;
BEGIN
  report := NULL;
  WHILE more LOOP
    SELECT b.report, b.more INTO report, more FROM aidis._compact_batch(older_than, report) b;
    COMMIT;
  END LOOP;
END
$$;
