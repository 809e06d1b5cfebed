-- Checking the counters (rule 5 of docs/design.md).

-- Rule 5: every counter that can be recounted, compared with its recount.
-- Returns nothing when all is well.
CREATE FUNCTION aidis.check_counters()
  RETURNS TABLE (session_id uuid, display_id text, counter text, recorded bigint, actual bigint)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  -- One aggregate per table (counted as its owner, _host_rows) and per event
  -- kind, joined once (not a recount per session). A registry entry whose
  -- table is gone (dropped in replica mode) has no rows.
  RETURN QUERY
    WITH rows AS MATERIALIZED (
      SELECT tt.kind, h.session_id, sum(h.n)::bigint AS n
      FROM aidis.tracked_tables tt
      JOIN pg_class c ON c.oid = tt.tbl::oid
      CROSS JOIN LATERAL aidis._host_rows(tt.tbl) h
      WHERE h.session_id IS NOT NULL
      GROUP BY tt.kind, h.session_id
    ),
    per_session AS (
      SELECT r.session_id,
             COALESCE(sum(r.n) FILTER (WHERE r.kind = 'context'), 0)::bigint AS contexts_created,
             COALESCE(sum(r.n) FILTER (WHERE r.kind = 'task'), 0)::bigint AS tasks_created,
             COALESCE(sum(r.n) FILTER (WHERE r.kind = 'decision'), 0)::bigint AS decisions_created
      FROM rows r GROUP BY r.session_id
    ),
    events AS (
      SELECT a.session_id,
             -- An event stands for data.rows events once compacted (70_retention.sql).
             COALESCE(sum(COALESCE((a.data ->> 'rows')::bigint, 1)) FILTER (WHERE a.kind = 'task_completed'), 0)::bigint AS tasks_completed,
             COALESCE(sum(COALESCE((a.data ->> 'rows')::bigint, 1)) FILTER (WHERE a.kind = 'task_reopened'), 0)::bigint AS tasks_reopened
      FROM aidis.session_activities a
      WHERE a.kind IN ('task_completed', 'task_reopened')
      GROUP BY a.session_id
    )
    SELECT s.id, s.display_id, c.counter, c.recorded, c.actual
    FROM aidis.sessions s
    LEFT JOIN per_session r ON r.session_id = s.id
    LEFT JOIN events e ON e.session_id = s.id
    -- An imported session counts the exported rows this database lacks (72_export.sql).
    LEFT JOIN aidis.session_imports i ON i.session_id = s.id
    CROSS JOIN LATERAL (VALUES
      ('contexts_created', s.contexts_created, COALESCE(r.contexts_created, 0) + COALESCE(i.contexts, 0)),
      ('tasks_created', s.tasks_created, COALESCE(r.tasks_created, 0) + COALESCE(i.tasks, 0)),
      ('decisions_created', s.decisions_created, COALESCE(r.decisions_created, 0) + COALESCE(i.decisions, 0)),
      ('tasks_completed', s.tasks_completed, COALESCE(e.tasks_completed, 0)),
      ('tasks_reopened', s.tasks_reopened, COALESCE(e.tasks_reopened, 0))) AS c(counter, recorded, actual)
    WHERE c.recorded IS DISTINCT FROM c.actual
    UNION ALL
    -- Rows attached to a session that does not exist (listed last).
    SELECT r.session_id, NULL::text, r.kind || ' rows of a missing session', 0::bigint, sum(r.n)::bigint
    FROM rows r WHERE NOT EXISTS (SELECT 1 FROM aidis.session_base b WHERE b.id = r.session_id)
    GROUP BY r.session_id, r.kind
    ORDER BY 2 NULLS LAST, 3, 1;
END
$$;
