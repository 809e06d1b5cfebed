-- aidis_sessions 0.2.0 -> 0.3.0:
-- - an ended session's active seconds are stored when it ends, like its
--   score, so that session_stats need not read the timelines of the period's
--   ended sessions (docs/performance.md);
-- - the q search under row-level security goes through the word index
--   (_list_connected_session_ids, _list_all_session_ids; docs/search.md).
\echo Use "ALTER EXTENSION aidis_sessions UPDATE TO '0.3.0'" to load this file. \quit

ALTER TABLE aidis.session_base ADD COLUMN active_seconds bigint;

CREATE FUNCTION aidis._shown_active_seconds(sid uuid, started timestamptz, ended timestamptz,
                                            last_activity timestamptz, stored bigint) RETURNS bigint
  LANGUAGE sql STABLE
AS $$
  SELECT COALESCE(CASE WHEN ended IS NOT NULL THEN stored END,
                  aidis._active_seconds(sid, started, ended, last_activity))
$$;

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
    'active_seconds', aidis._shown_active_seconds(sid, v.started_at, v.ended_at, v.last_activity_at,
                                                  (SELECT b.active_seconds FROM aidis.session_base b WHERE b.id = sid)),
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
           aidis._shown_active_seconds(v.id, v.started_at, v.ended_at, v.last_activity_at, b.active_seconds) AS active
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

DROP FUNCTION aidis._list_session_ids(text, uuid, text, integer, integer);
CREATE FUNCTION aidis._list_session_ids(wanted_status text, pid uuid, needle text,
                                         lim integer, off integer, as_policy text DEFAULT NULL)
  RETURNS uuid[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  -- Small reads, mostly of recent, cached rows: starting workers costs more
  -- than it saves, and an index that reads only the rows of the filter beats
  -- one whose order follows the table's. The candidates of the word index
  -- are older rows: read ahead (a bitmap heap scan prefetches).
  SET max_parallel_workers_per_gather = 0
  SET random_page_cost = 1.1
  SET effective_io_concurrency = 32
AS $$
DECLARE
  probe_rows constant integer := 150;   -- the first window of newest rows
  -- Rough costs in microseconds, to choose (measured on the scale set):
  -- reading and rechecking one row in list order; one candidate of the word
  -- index (bitmap), for a lexeme and for a range of them (a prefix); one row
  -- of a time range (bitmap); rechecking one candidate.
  row_cost constant float8 := 4.5;
  exact_cost constant float8 := 0.35;
  prefix_cost constant float8 := 0.7;
  range_cost constant float8 := 0.15;
  recheck_cost constant float8 := 4;
  want bigint := lim::bigint + off;  -- matches up to the end of the page
  filter text := '';
  loose_filter text := '';  -- the same, not served by an index
  pattern text;
  terms text[];
  display_from text;
  display_to text;
  hex text;
  lo uuid;
  hi uuid;
  named_projects uuid[];
  other_ids uuid[] := '{}';
  other_starts timestamptz[] := '{}';
  bound timestamptz;  -- text matches older than this cannot be on the page
  hit_ids uuid[] := '{}';
  hit_starts timestamptz[] := '{}';
  more_ids uuid[];
  more_starts timestamptz[];
  window_rows bigint := probe_rows;
  first_start timestamptz;
  last_start timestamptz;
  last_id uuid;
  more boolean;
  hits integer;
  need bigint;
  span float8;
  per_second float8;
  rows_needed float8;
  since timestamptz;
  oldest timestamptz;
  r record;
  ids uuid[];
BEGIN
  PERFORM aidis._check_page(lim, off, 1000);
  lim := COALESCE(lim, 50);
  off := COALESCE(off, 0);
  needle := NULLIF(btrim(needle), '');
  -- (Separate statements: EXECUTE on each is checked only when it runs, and
  -- only admins may run the second.)
  IF needle IS NOT NULL AND as_policy IS NULL AND row_security_active('aidis.session_base') THEN
    IF pg_has_role('aidis_admin', 'USAGE') THEN
      RETURN aidis._list_all_session_ids(wanted_status, pid, needle, lim, off);
    END IF;
    RETURN aidis._list_connected_session_ids(wanted_status, pid, needle, lim, off);
  END IF;
  IF needle IS NULL THEN
    IF as_policy = 'connected_projects' THEN
      RETURN '{}';  -- only the q search applies the policy's condition
    END IF;
    IF wanted_status IS NULL AND pid IS NULL THEN
      RETURN ARRAY(SELECT b.id FROM aidis.session_base b
                   ORDER BY b.started_at DESC, b.id LIMIT lim OFFSET off);
    ELSIF pid IS NULL THEN
      RETURN ARRAY(SELECT b.id FROM aidis.session_base b WHERE b.status = wanted_status
                   ORDER BY b.started_at DESC, b.id LIMIT lim OFFSET off);
    ELSIF wanted_status IS NULL THEN
      RETURN ARRAY(SELECT b.id FROM aidis.session_base b WHERE b.project_id = pid
                   ORDER BY b.started_at DESC, b.id LIMIT lim OFFSET off);
    END IF;
    -- Both: which index serves depends on the status (few are active).
    EXECUTE 'SELECT ARRAY(SELECT b.id FROM aidis.session_base b WHERE b.status = $1 AND b.project_id = $2
                          ORDER BY b.started_at DESC, b.id LIMIT $3 OFFSET $4)'
      INTO ids USING wanted_status, pid, lim, off;
    RETURN ids;
  END IF;

  IF wanted_status IS NOT NULL THEN
    filter := filter || ' AND b.status = $1';
    loose_filter := loose_filter || ' AND (b.status = $1) IS TRUE';
  END IF;
  IF pid IS NOT NULL THEN
    filter := filter || ' AND b.project_id = $2';
    loose_filter := loose_filter || ' AND (b.project_id = $2) IS TRUE';
  END IF;
  IF as_policy = 'connected_projects' THEN  -- that policy's condition (90_security.sql)
    filter := filter || ' AND b.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = ''disconnected'')';
    loose_filter := loose_filter || ' AND b.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = ''disconnected'')';
  END IF;
  pattern := '%' || replace(replace(replace(needle, '\', '\\'), '%', '\%'), '_', '\_') || '%';

  -- The start of a display id ("SES-2026-00", "2026-0042"; the number alone
  -- is in the searchable text), as a range of its index (leakproof
  -- operators, unlike LIKE)...
  IF upper(needle) ~ '^SES(-[0-9]{0,4}(-[0-9]*)?)?$' OR needle ~ '^[0-9]{4}-[0-9]*$' THEN
    display_from := CASE WHEN upper(needle) LIKE 'SES%' THEN upper(needle) ELSE 'SES-' || needle END;
    display_to := left(display_from, -1) || chr(ascii(right(display_from, 1)) + 1);
  END IF;
  -- ...a uuid prefix (a range of the primary key)...
  hex := lower(replace(needle, '-', ''));
  IF needle ~* '^[0-9a-f-]+$' AND length(hex) BETWEEN 8 AND 32 THEN
    lo := rpad(hex, 32, '0')::uuid;
    hi := rpad(hex, 32, 'f')::uuid;
  END IF;
  -- ...or the name of the session's project: the newest of each, up to the
  -- end of the page.
  SELECT array_agg(p.id) INTO named_projects FROM aidis.projects p WHERE p.name ILIKE pattern;
  IF display_from IS NOT NULL OR lo IS NOT NULL OR named_projects IS NOT NULL THEN
    EXECUTE format($sql$
        SELECT array_agg(u.id ORDER BY u.started_at DESC, u.id), array_agg(u.started_at ORDER BY u.started_at DESC, u.id)
        FROM (SELECT DISTINCT x.id, x.started_at FROM (%s %s %s) x
              ORDER BY x.started_at DESC, x.id LIMIT $3) u $sql$,
      -- Few ids start so (the usual case): all of them, then sorted; many
      -- ("SES"): the planner's choice (likely in list order).
      CASE WHEN display_from IS NULL THEN 'SELECT NULL::uuid AS id, NULL::timestamptz AS started_at WHERE false'
           WHEN (SELECT count(*) < 1000 FROM (SELECT 1 FROM aidis.session_base b
                                              WHERE b.display_id ~>=~ display_from AND b.display_id ~<~ display_to
                                              LIMIT 1000) x)
           THEN format('(SELECT d.id, d.started_at
                         FROM (SELECT b.id, b.started_at FROM aidis.session_base b
                               WHERE b.display_id ~>=~ $4 AND b.display_id ~<~ $5 %s OFFSET 0) d
                         ORDER BY d.started_at DESC, d.id LIMIT $3)', loose_filter)
           ELSE format('(SELECT b.id, b.started_at FROM aidis.session_base b
                         WHERE b.display_id ~>=~ $4 AND b.display_id ~<~ $5 %s
                         ORDER BY b.started_at DESC, b.id LIMIT $3)', filter) END,
      CASE WHEN lo IS NOT NULL THEN format(
        'UNION ALL (SELECT b.id, b.started_at FROM aidis.session_base b WHERE b.id BETWEEN $6 AND $7 %s
                    ORDER BY b.started_at DESC, b.id LIMIT $3)', loose_filter) END,
      CASE WHEN named_projects IS NOT NULL THEN format(
        'UNION ALL SELECT n.id, n.started_at FROM unnest($8::uuid[]) AS np (id)
                   CROSS JOIN LATERAL (SELECT b.id, b.started_at FROM aidis.session_base b WHERE b.project_id = np.id %s
                                       ORDER BY b.started_at DESC, b.id LIMIT $3) n', filter) END)
      INTO other_ids, other_starts
      USING wanted_status, pid, want, display_from, display_to, lo, hi, named_projects;
    other_ids := COALESCE(other_ids, '{}');
    other_starts := COALESCE(other_starts, '{}');
    IF cardinality(other_ids) >= want THEN
      bound := other_starts[want];
    END IF;
  END IF;

  -- A case-insensitive substring of the searchable text. With words the
  -- index can use (and no row-level security: see below), a first window
  -- of time, the newest rows of the filter, is read through the index: its
  -- candidates, each rechecked...
  -- (Few sessions are active: those are read in list order.)
  IF wanted_status IS DISTINCT FROM 'active' AND NOT row_security_active('aidis.session_base') THEN
    terms := aidis._search_terms(pattern);
  END IF;
  IF terms IS NOT NULL THEN
    -- (From the index alone: the project's, else the status'.)
    EXECUTE format($sql$
        SELECT max(x.started_at), min(x.started_at), count(*)
        FROM (SELECT b.started_at FROM aidis.session_base b WHERE true %s
              ORDER BY b.started_at DESC LIMIT $3) x $sql$,
        CASE WHEN pid IS NOT NULL THEN 'AND b.project_id = $2' WHEN wanted_status IS NOT NULL THEN 'AND b.status = $1' END)
      INTO first_start, since, window_rows USING wanted_status, pid, probe_rows;
    IF window_rows < probe_rows OR since <= bound THEN
      terms := NULL;  -- few rows matter: all of them in list order
    END IF;
  END IF;
  IF terms IS NOT NULL THEN
    SELECT min(b.started_at) INTO oldest FROM aidis.session_base b;
    FOR attempt IN 1 .. 8 LOOP
      EXECUTE format($sql$
          SELECT array_agg(x.id ORDER BY x.started_at DESC, x.id), array_agg(x.started_at ORDER BY x.started_at DESC, x.id)
          FROM (SELECT b.id, b.started_at FROM aidis.session_base b
                WHERE aidis._search_words(aidis._search_text(b.display_id, b.title, b.description, b.goal, b.tags, b.agent),
                                          b.started_at) @@ $4
                  AND aidis._search_text(b.display_id, b.title, b.description, b.goal, b.tags, b.agent) ILIKE $3 %s %s %s
                ORDER BY b.started_at DESC, b.id LIMIT $8) x $sql$,
          -- (Without a window the candidates are few: rather than read all
          -- the rows of a status, a project or a time from their index,
          -- check them.)
          CASE WHEN since IS NULL THEN loose_filter ELSE filter END,
          CASE WHEN last_start IS NOT NULL THEN 'AND b.started_at < $5' END,
          CASE WHEN since IS NOT NULL THEN 'AND b.started_at >= $7'
               WHEN bound IS NOT NULL THEN 'AND (b.started_at >= $6) IS TRUE' END)
        INTO more_ids, more_starts
        USING wanted_status, pid, pattern,
              aidis._search_query(terms, COALESCE(since, bound, oldest), COALESCE(last_start, first_start, now())),
              last_start, bound, since, want - cardinality(hit_ids);
      hit_ids := hit_ids || COALESCE(more_ids, '{}');
      hit_starts := hit_starts || COALESCE(more_starts, '{}');
      hits := cardinality(hit_ids);
      EXIT WHEN hits >= want OR since IS NULL;
      last_start := since;  -- next: strictly older than the window
      IF attempt = 1 AND hits > 0 THEN
        -- The rate seen in the first window decides the next: going on in
        -- list order (rows still needed × row_cost), or the index within a
        -- time window where the missing matches are expected (one and a half
        -- times, at a rate a little above the one seen: a window too short
        -- costs one more query, one too long reads every candidate in it),
        -- whose cost grows with the candidates, of every status and project,
        -- of each 14-day period it touches (rows per second: those of the
        -- first window, or of the whole table when it was filtered).
        need := want - hits;
        span := GREATEST(extract(epoch FROM first_start - since), 0.001);
        rows_needed := 1.5 * need * probe_rows / (hits + 2);
        since := aidis._search_since(since, span * rows_needed / probe_rows, GREATEST(oldest, bound));
        per_second := probe_rows / span;
        IF filter <> '' THEN
          per_second := GREATEST(per_second,
            (SELECT c.reltuples FROM pg_class c WHERE c.oid = 'aidis.session_base'::regclass)
            / GREATEST(extract(epoch FROM now() - oldest), 1));
        END IF;
        IF (hits + 1.0) / probe_rows
             * (aidis._search_period(last_start) - aidis._search_period(COALESCE(since, bound, oldest)) + 1)
             * 1209600 * per_second
             * (CASE WHEN terms[1] LIKE '%*' THEN prefix_cost ELSE exact_cost END)
           + rows_needed * range_cost + 1.5 * need * recheck_cost
           >= need * probe_rows / (hits + 1.0) * row_cost THEN
          -- Frequent: on in list order, from the end of the window.
          window_rows := LEAST(probe_rows * 16, GREATEST(probe_rows, ceil(1.5 * need * probe_rows / hits)::bigint));
          terms := NULL;
          EXIT;
        END IF;
      ELSE
        -- Next, the time the missing matches take at the rate seen so far
        -- (one and a half times, at least as long again); all of it when
        -- nothing matched yet (or after a few windows).
        since := CASE WHEN hits > 0 AND attempt < 7
                      THEN aidis._search_since(since, extract(epoch FROM first_start - since)
                                                      * GREATEST(1.5 * (want - hits) / hits, 1),
                                               GREATEST(oldest, bound)) END;
      END IF;
    END LOOP;
  END IF;
  window_rows := CASE WHEN terms IS NULL AND last_start IS NULL THEN probe_rows ELSE window_rows END;

  -- ...or in list order: windows of the newest rows (older than the index's
  -- window, if any), each returning its matches, its first and its last
  -- row.
  WHILE terms IS NULL AND cardinality(hit_ids) < want LOOP
    more := false;
    FOR r IN EXECUTE format($sql$
        SELECT w.id, w.started_at, w.n,
               aidis._search_text(w.display_id, w.title, w.description, w.goal, w.tags, w.agent) ILIKE $3 AS hit
        FROM (SELECT b.id, b.started_at, b.display_id, b.title, b.description, b.goal, b.tags, b.agent,
                     row_number() OVER (ORDER BY b.started_at DESC, b.id) AS n
              FROM aidis.session_base b
              WHERE true %s %s %s
              ORDER BY b.started_at DESC, b.id
              LIMIT $4) w
        WHERE w.n IN (1, $4)
           OR aidis._search_text(w.display_id, w.title, w.description, w.goal, w.tags, w.agent) ILIKE $3 $sql$,
        filter,
        CASE WHEN last_start IS NOT NULL THEN 'AND b.started_at <= $5 AND (b.started_at < $5 OR b.id > $6)' END,
        CASE WHEN bound IS NOT NULL THEN 'AND b.started_at >= $7' END)
      USING wanted_status, pid, pattern, window_rows, last_start, last_id, bound
    LOOP
      IF r.hit THEN
        hit_ids := hit_ids || r.id;
        hit_starts := hit_starts || r.started_at;
        EXIT WHEN cardinality(hit_ids) >= want;
      END IF;
      IF r.n = window_rows THEN
        more := true;
        last_start := r.started_at;
        last_id := r.id;
      END IF;
    END LOOP;
    hits := cardinality(hit_ids);
    EXIT WHEN hits >= want OR NOT more;
    IF hits = 0 AND row_security_active('aidis.session_base') THEN
      -- Under row-level security no index serves a condition that is not
      -- leakproof (neither ILIKE nor @@): after a first window with no
      -- match, the rest in one query, as the planner likes it (in parallel).
      PERFORM set_config(s.name, s.reset_val, true)  -- (undone when the function returns)
      FROM pg_settings s WHERE s.name = 'max_parallel_workers_per_gather';
      EXECUTE format($sql$
          SELECT array_agg(x.id ORDER BY x.started_at DESC, x.id), array_agg(x.started_at ORDER BY x.started_at DESC, x.id)
          FROM (SELECT b.id, b.started_at FROM aidis.session_base b
                WHERE aidis._search_text(b.display_id, b.title, b.description, b.goal, b.tags, b.agent) ILIKE $3
                  AND b.started_at <= $5 AND (b.started_at < $5 OR b.id > $6) %s %s
                ORDER BY b.started_at DESC, b.id LIMIT $4) x $sql$,
          filter, CASE WHEN bound IS NOT NULL THEN 'AND b.started_at >= $7' END)
        INTO more_ids, more_starts USING wanted_status, pid, pattern, want, last_start, last_id, bound;
      hit_ids := hit_ids || COALESCE(more_ids, '{}');
      hit_starts := hit_starts || COALESCE(more_starts, '{}');
      EXIT;
    END IF;
    -- The next window: enough rows for the matches still missing at the
    -- rate seen so far (four times the last window when none matched).
    window_rows := CASE WHEN hits = 0 THEN window_rows * 4
                        ELSE LEAST(window_rows * 16, GREATEST(window_rows,
                               ceil(1.5 * (want - hits) * window_rows / hits)::bigint)) END;
  END LOOP;

  IF cardinality(other_ids) = 0 THEN
    IF off >= cardinality(hit_ids) THEN
      RETURN '{}';
    END IF;
    RETURN hit_ids[off + 1 : LEAST(off::bigint + lim, cardinality(hit_ids))];
  END IF;
  RETURN ARRAY(SELECT u.id FROM (SELECT DISTINCT t.id, t.started_at
                                 FROM unnest(hit_ids || other_ids, hit_starts || other_starts) AS t (id, started_at)) u
               ORDER BY u.started_at DESC, u.id LIMIT lim OFFSET off);
END
$$;

CREATE FUNCTION aidis._list_connected_session_ids(wanted_status text, pid uuid, needle text,
                                                   lim integer, off integer)
  RETURNS uuid[]
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._list_session_ids(wanted_status, pid, needle, lim, off, 'connected_projects')
$$;

CREATE FUNCTION aidis._list_all_session_ids(wanted_status text, pid uuid, needle text,
                                             lim integer, off integer)
  RETURNS uuid[]
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._list_session_ids(wanted_status, pid, needle, lim, off, 'admin_all')
$$;

REVOKE ALL ON FUNCTION aidis._shown_active_seconds(uuid, timestamptz, timestamptz, timestamptz, bigint),
                       aidis._list_session_ids(text, uuid, text, integer, integer, text),
                       aidis._list_connected_session_ids(text, uuid, text, integer, integer),
                       aidis._list_all_session_ids(text, uuid, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aidis._shown_active_seconds(uuid, timestamptz, timestamptz, timestamptz, bigint),
                          aidis._list_session_ids(text, uuid, text, integer, integer, text),
                          aidis._list_connected_session_ids(text, uuid, text, integer, integer) TO aidis_reader;
GRANT EXECUTE ON FUNCTION aidis._list_all_session_ids(text, uuid, text, integer, integer) TO aidis_admin;

-- Sessions that ended before: computed once here. Those of disconnected
-- projects stay NULL (nothing may write their rows) and are computed when read.
UPDATE aidis.session_base b
SET active_seconds = aidis._active_seconds(b.id, b.started_at, b.ended_at, v.last_activity_at)
FROM aidis.sessions v
WHERE v.id = b.id AND b.ended_at IS NOT NULL
  AND b.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = 'disconnected');
