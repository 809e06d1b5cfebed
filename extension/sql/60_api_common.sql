-- The session API for people and UIs (docs/api.md):
-- finding, reading, editing, reassigning, rating and scoring sessions, stats,
-- comparison and the AI brief.
--
-- Read functions are SECURITY INVOKER, so row-level security hides the
-- sessions of disconnected projects from non-admin roles (one helper of
-- list_sessions, the q search under a policy, runs as the owner and applies
-- the caller's policy itself); write functions are SECURITY DEFINER and
-- check everything themselves. Every function pins
-- search_path but aidis._search_text (an index expression, see there),
-- aidis._wall_seconds and aidis._shown_active_seconds (inlined, see there).
-- Grants: 95_api_grants.sql (after 90_security.sql revokes).
--
-- One file per concept: 61 searching, 62 the score, 63 finding, 64 reading,
-- 65 editing, 66 reassigning, 67 rating, 68 analytics; this one the helpers
-- they share.

-- Paging arguments: NULL means the default; out of range is 22023.
CREATE FUNCTION aidis._check_page(lim integer, off bigint, max_lim integer) RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF lim IS NOT NULL AND (lim < 1 OR lim > max_lim) THEN
    RAISE EXCEPTION 'lim must be between 1 and %, not %', max_lim, lim
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF off IS NOT NULL AND off < 0 THEN
    RAISE EXCEPTION 'offset must not be negative, not %', off USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;

-- Wall-clock seconds: from start to end, or to now for an active session.
-- No SET clause, so that it is inlined (session_stats calls it per session):
-- every name in it is qualified instead.
CREATE FUNCTION aidis._wall_seconds(started timestamptz, ended timestamptz) RETURNS bigint
  LANGUAGE sql STABLE
AS $$
  SELECT GREATEST(0, pg_catalog.floor(EXTRACT(epoch FROM COALESCE(ended, pg_catalog.now()) OPERATOR(pg_catalog.-) started)))::bigint
$$;

-- Active seconds: the gaps between consecutive moments of activity, each
-- capped at 15 minutes. The moments are the start, every timeline event
-- between start and end (or now), and the last activity (touch() writes no
-- event). Events logged after the end (edits, ratings) do not count.
CREATE FUNCTION aidis._active_seconds(sid uuid, started timestamptz, ended timestamptz,
                                      last_activity timestamptz)
  RETURNS bigint
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  -- (LEAST ignores NULLs: the first moment, with no gap, is filtered out.)
  SELECT COALESCE(floor(sum(LEAST(g.gap, 900)) FILTER (WHERE g.gap IS NOT NULL)), 0)::bigint
  FROM (SELECT extract(epoch FROM x.t - lag(x.t) OVER (ORDER BY x.t)) AS gap
        FROM (SELECT a.occurred_at AS t FROM aidis.session_activities a
              WHERE a.session_id = sid
                AND a.occurred_at >= started AND a.occurred_at <= COALESCE(ended, now())
              UNION ALL SELECT started
              UNION ALL SELECT GREATEST(started, LEAST(last_activity, COALESCE(ended, now())))) x) g
$$;

-- What readers show: the value _close_session stored when the session ended
-- (`stored`, the row's active_seconds), else computed. No SET clause, so
-- that it is inlined (session_stats calls it per session): every name in it
-- is qualified instead.
CREATE FUNCTION aidis._shown_active_seconds(sid uuid, started timestamptz, ended timestamptz,
                                            last_activity timestamptz, stored bigint) RETURNS bigint
  LANGUAGE sql STABLE
AS $$
  SELECT COALESCE(CASE WHEN ended IS NOT NULL THEN stored END,
                  aidis._active_seconds(sid, started, ended, last_activity))
$$;

-- A session's rows, as a reassignment or a deletion moves them: all of them,
-- or (pid given) those filed under that project: tracked rows (counted as
-- each table's owner, _host_rows), timeline events and files.
CREATE FUNCTION aidis._session_row_counts(sid uuid, pid uuid DEFAULT NULL) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  by_kind record;
BEGIN
  SELECT COALESCE(sum(h.n) FILTER (WHERE tt.kind = 'context'), 0)::bigint AS contexts,
         COALESCE(sum(h.n) FILTER (WHERE tt.kind = 'task'), 0)::bigint AS tasks,
         COALESCE(sum(h.n) FILTER (WHERE tt.kind = 'decision'), 0)::bigint AS decisions
  INTO by_kind
  FROM aidis.tracked_tables tt
  JOIN pg_class c ON c.oid = tt.tbl::oid
  CROSS JOIN LATERAL aidis._host_rows(tt.tbl, sid, pid) h
  WHERE h.session_id = sid;
  RETURN jsonb_build_object(
    'contexts', by_kind.contexts, 'tasks', by_kind.tasks, 'decisions', by_kind.decisions,
    'timeline_events', (SELECT count(*) FROM aidis.session_activities a
                        WHERE a.session_id = sid AND (pid IS NULL OR a.project_id = pid)),
    'files', (SELECT count(*) FROM aidis.session_files f
              WHERE f.session_id = sid AND (pid IS NULL OR f.project_id = pid)));
END
$$;

-- A keyword argument, in any case and trimmed, that must be one of `allowed`
-- (lower case): returns it in lower case. Anything else is 22023, with the
-- argument's name and the words it may be.
CREATE FUNCTION aidis._keyword(val text, what text, allowed text[]) RETURNS text
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  word text := lower(btrim(val));
  n integer := cardinality(allowed);
BEGIN
  IF word IS NULL OR NOT word = ANY (allowed) THEN
    RAISE EXCEPTION 'invalid % "%"', what, COALESCE(aidis._clip(val), 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = format('Use %s or %s.', array_to_string(allowed[1:n - 1], ', '), allowed[n]);
  END IF;
  RETURN word;
END
$$;

-- A status filter: active, inactive or disconnected (any case, trimmed);
-- NULL or blank means all. Anything else is 22023.
CREATE FUNCTION aidis._wanted_status(status text) RETURNS text
  LANGUAGE sql IMMUTABLE
  RETURN CASE WHEN btrim(status) <> ''
              THEN aidis._keyword(status, 'status', ARRAY['active', 'inactive', 'disconnected']) END;

