-- Finding sessions: list_sessions and the id strategies behind it.

CREATE TYPE aidis.session_summary AS (
  id                    uuid,
  display_id            text,
  title                 text,
  status                text,
  end_reason            text,
  project_id            uuid,
  project_name          text,
  agent                 text,
  ai_model              text,
  tags                  text[],
  started_at            timestamptz,
  last_activity_at      timestamptz,
  ended_at              timestamptz,
  contexts_created      bigint,
  tasks_created         bigint,
  tasks_completed       bigint,
  tasks_reopened        bigint,
  decisions_created     bigint,
  activity_count        bigint,
  input_tokens          bigint,
  output_tokens         bigint,
  cache_read_tokens     bigint,
  cache_creation_tokens bigint,
  estimated_tokens      bigint,
  loc_added             bigint,
  loc_removed           bigint,
  files_touched         bigint,
  rating                smallint,
  score                 numeric,
  wall_seconds          bigint   -- aidis._wall_seconds: to the end, or to now while active
);

-- The bounds of list_sessions' q (docs/api.md): checked before any search,
-- whose work grows with its length and words.
CREATE FUNCTION aidis._check_q(q text) RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  words integer;
BEGIN
  IF char_length(q) > 255 THEN
    RAISE EXCEPTION 'q is % characters long; at most 255 are allowed', char_length(q)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Words as the search index sees them: runs of letters and digits.
  words := cardinality(array_remove(regexp_split_to_array(lower(q), '[^[:alnum:]]+'), ''));
  IF words > 32 THEN
    RAISE EXCEPTION 'q has % words; at most 32 are allowed', words USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;

-- The ids of one page of list_sessions, in list order. STABLE: its queries
-- see the snapshot of the statement that calls it (list_sessions), as one
-- query would. Without q: one statement per combination of filters. With q
-- (docs/search.md): first the sessions whose display id or uuid starts with
-- q or whose project's name contains q, each from its index; then those
-- whose searchable text contains q and that are not older than the last of
-- those the page needs: the candidates of the word index in the time of the
-- filter's newest rows, each rechecked; then, from the rate seen there,
-- either on in list order, rechecking row by row, or the index within time
-- windows sized to the matches still missing (all of it when none matched).
-- In list order only when the index cannot serve (see below).
-- A q search under row-level security is handed to the function that runs
-- it as the owner restricted to the caller's policy (see
-- _list_connected_session_ids), which calls back with as_policy set:
-- 'connected_projects' adds that policy's condition, 'admin_all' none.
-- lim and off are checked here too, for direct callers.
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
  PERFORM aidis._check_q(needle);
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

-- The q search under row-level security. PostgreSQL uses no index there
-- for a condition that is not leakproof (neither @@ nor ILIKE), so a q
-- search under a policy would read sessions in list order. These two run it
-- as the extension owner, whom no policy applies to, each restricted to what
-- one policy shows (90_security.sql), and _list_session_ids picks the
-- caller's: _list_connected_session_ids for aidis_reader and aidis_writer
-- (connected_projects: its condition is added to every query that yields
-- ids; without q, nothing), _list_all_session_ids for aidis_admin only
-- (admin_all: everything; granted to no one else). They return ids only:
-- the caller reads the rows through its policy. No result includes a
-- session the caller's policy hides (the candidates rechecked may: only
-- the run time depends on them).
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

-- Newest first. Filters and sorting run on session_base with its indexes
-- (_list_session_ids); the counters (base plus pending deltas, as in the view
-- aidis.sessions) are added only for the rows of the page.
CREATE FUNCTION aidis.list_sessions(q text DEFAULT NULL, status text DEFAULT NULL,
                                    project text DEFAULT NULL, lim integer DEFAULT 50,
                                    off integer DEFAULT 0)
  RETURNS SETOF aidis.session_summary
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  wanted_status text;
  pid uuid;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  PERFORM aidis._check_page(lim, off, 1000);
  PERFORM aidis._check_q(NULLIF(btrim(q), ''));
  wanted_status := aidis._wanted_status(status);
  IF NULLIF(btrim(project), '') IS NOT NULL THEN
    pid := aidis._find_project(project);
  END IF;

  -- One statement (one snapshot), planned once per backend.
  RETURN QUERY
    SELECT v.id, v.display_id, v.title, v.status, v.end_reason, v.project_id, p.name, v.agent,
           v.ai_model, v.tags, v.started_at, v.last_activity_at, v.ended_at,
           v.contexts_created, v.tasks_created, v.tasks_completed, v.tasks_reopened,
           v.decisions_created, v.activity_count, v.input_tokens, v.output_tokens,
           v.cache_read_tokens, v.cache_creation_tokens, v.estimated_tokens, v.loc_added,
           v.loc_removed, v.files_touched, v.rating, v.score::numeric,
           aidis._wall_seconds(v.started_at, v.ended_at)
    -- (A subquery: unnest() would run the function once more to estimate its rows.)
    FROM unnest((SELECT aidis._list_session_ids(wanted_status, pid, NULLIF(btrim(q), ''),
                                                COALESCE(lim, 50), COALESCE(off, 0)))) WITH ORDINALITY AS page (id, ord)
    JOIN aidis.sessions v ON v.id = page.id
    JOIN aidis.projects p ON p.id = v.project_id
    ORDER BY page.ord;
END
$$;

-- list_sessions: newest first with a status filter (without one,
-- session_base_started serves), and display ids by prefix.
CREATE INDEX session_base_status_list ON aidis.session_base (status, started_at DESC, id);
CREATE INDEX session_base_display_prefix ON aidis.session_base (display_id text_pattern_ops);
