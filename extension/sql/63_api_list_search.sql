-- The strategies of a q search of list_sessions (docs/search.md), which
-- aidis._list_session_ids (63_api_list.sql) calls in turn: by reference
-- (display id, uuid prefix, project name), through the word index, in list
-- order; and the pieces they share (the filters as SQL, the pattern).
-- Invoker rights, like the caller: row-level security applies to their reads.
-- They run under the planner settings of _list_session_ids (63_api_list.sql).

-- A q as a pattern for ILIKE: its substring, with % _ and \ literal.
CREATE FUNCTION aidis._substring_pattern(q text) RETURNS text
  LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT '%' || replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_') || '%'
$$;

-- The filters of a q search as SQL over session_base b ($1 the status, $2
-- the project), and under the connected_projects policy its condition:
-- served by an index, or (loose) checked row by row.
CREATE FUNCTION aidis._list_filter(wanted_status text, pid uuid, as_policy text, loose boolean) RETURNS text
  LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN wanted_status IS NULL THEN '' WHEN loose THEN ' AND (b.status = $1) IS TRUE'
              ELSE ' AND b.status = $1' END
      || CASE WHEN pid IS NULL THEN '' WHEN loose THEN ' AND (b.project_id = $2) IS TRUE'
              ELSE ' AND b.project_id = $2' END
      || CASE WHEN as_policy = 'connected_projects'  -- that policy's condition (90_security.sql)
              THEN ' AND b.project_id NOT IN (SELECT p.id FROM aidis.projects p WHERE p.status = ''disconnected'')'
              ELSE '' END
$$;

-- With q, first: the sessions whose display id or uuid starts with q, or
-- whose project's name contains q (newest first, up to `want` of each).
CREATE FUNCTION aidis._list_ids_by_reference(wanted_status text, pid uuid, needle text, want bigint,
                                              as_policy text, OUT ids uuid[], OUT starts timestamptz[])
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  filter text := aidis._list_filter(wanted_status, pid, as_policy, false);
  loose_filter text := aidis._list_filter(wanted_status, pid, as_policy, true);
  pattern text := aidis._substring_pattern(needle);
  display_from text;
  display_to text;
  hex text;
  lo uuid;
  hi uuid;
  named_projects uuid[];
BEGIN
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
      INTO ids, starts
      USING wanted_status, pid, want, display_from, display_to, lo, hi, named_projects;
  END IF;
  ids := COALESCE(ids, '{}');
  starts := COALESCE(starts, '{}');
END
$$;

-- With q, then: a case-insensitive substring of the searchable text through
-- the word index, window by window of time (none under row-level security or
-- for active sessions). in_order says the search goes on in list order
-- (_list_ids_in_order) from last_start, window_rows rows at a time.
CREATE FUNCTION aidis._list_ids_by_words(wanted_status text, pid uuid, needle text, want bigint,
                                          bound timestamptz, as_policy text,
                                          OUT ids uuid[], OUT starts timestamptz[], OUT last_start timestamptz,
                                          OUT window_rows bigint, OUT in_order boolean)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
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
  filter text := aidis._list_filter(wanted_status, pid, as_policy, false);
  loose_filter text := aidis._list_filter(wanted_status, pid, as_policy, true);
  pattern text := aidis._substring_pattern(needle);
  terms text[];
  more_ids uuid[];
  more_starts timestamptz[];
  first_start timestamptz;
  hits integer;
  need bigint;
  span float8;
  per_second float8;
  rows_needed float8;
  since timestamptz;
  oldest timestamptz;
BEGIN
  ids := '{}';
  starts := '{}';
  window_rows := probe_rows;
  -- A case-insensitive substring of the searchable text. With words the
  -- index can use (and no row-level security: see below), a first window
  -- of time, the newest rows of the filter, is read through the index: its
  -- candidates, each rechecked...
  -- (Few sessions are active: those are read in list order.)
  IF wanted_status IS DISTINCT FROM 'active' AND NOT row_security_active('aidis.session_base') THEN
    -- At most 8: fewer are still met by every match, and each costs an
    -- index probe in every period of the window.
    terms := (aidis._search_terms(pattern))[1:8];
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
              last_start, bound, since, want - cardinality(ids);
      ids := ids || COALESCE(more_ids, '{}');
      starts := starts || COALESCE(more_starts, '{}');
      hits := cardinality(ids);
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
  in_order := terms IS NULL;
END
$$;

-- With q, last: windows of the newest rows in list order (older than
-- last_start, if given), each rechecked row by row, until `want` matches
-- (counting the `have` found before) or no row is left.
CREATE FUNCTION aidis._list_ids_in_order(wanted_status text, pid uuid, needle text, want bigint,
                                          bound timestamptz, last_start timestamptz, window_rows bigint,
                                          have integer, as_policy text,
                                          OUT ids uuid[], OUT starts timestamptz[])
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  filter text := aidis._list_filter(wanted_status, pid, as_policy, false);
  pattern text := aidis._substring_pattern(needle);
  more_ids uuid[];
  more_starts timestamptz[];
  last_id uuid;
  more boolean;
  hits integer;
  r record;
BEGIN
  ids := '{}';
  starts := '{}';
  -- ...or in list order: windows of the newest rows (older than the index's
  -- window, if any), each returning its matches, its first and its last
  -- row.
  WHILE have + cardinality(ids) < want LOOP
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
        ids := ids || r.id;
        starts := starts || r.started_at;
        EXIT WHEN have + cardinality(ids) >= want;
      END IF;
      IF r.n = window_rows THEN
        more := true;
        last_start := r.started_at;
        last_id := r.id;
      END IF;
    END LOOP;
    hits := have + cardinality(ids);
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
      ids := ids || COALESCE(more_ids, '{}');
      starts := starts || COALESCE(more_starts, '{}');
      EXIT;
    END IF;
    -- The next window: enough rows for the matches still missing at the
    -- rate seen so far (four times the last window when none matched).
    window_rows := CASE WHEN hits = 0 THEN window_rows * 4
                        ELSE LEAST(window_rows * 16, GREATEST(window_rows,
                               ceil(1.5 * (want - hits) * window_rows / hits)::bigint)) END;
  END LOOP;
END
$$;
