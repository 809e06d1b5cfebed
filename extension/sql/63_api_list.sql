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
  PERFORM aidis._check_text_length(q, 255, 'q is');  -- (65_api_edit.sql)
  -- Words as the search index sees them: runs of letters and digits.
  words := cardinality(array_remove(regexp_split_to_array(lower(q), '[^[:alnum:]]+'), ''));
  IF words > 32 THEN
    RAISE EXCEPTION 'q has % words; at most 32 are allowed', words USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;

-- The ids of one page of list_sessions, in list order. STABLE: its queries,
-- and those of the strategies it calls (each STABLE too), see the snapshot
-- of the statement that calls it (list_sessions), as one query would.
-- Without q: _list_ids_unsearched. With q (docs/search.md), three
-- strategies in turn: _list_ids_by_reference (the sessions whose display id
-- or uuid starts with q or whose project's name contains q, each from its
-- index), then _list_ids_by_words (the candidates of the word index not
-- older than the last of those the page needs, in windows of time, each
-- rechecked), then, when the index cannot serve or its rate says so,
-- _list_ids_in_order (windows of rows in list order, rechecked row by row).
-- A q search under row-level security is handed to the function that runs
-- it as the owner restricted to the caller's policy (see
-- _list_connected_session_ids), which calls back with as_policy set:
-- 'connected_projects' adds that policy's condition, 'admin_all' none.
-- lim and off are checked here too, for direct callers. The planner
-- settings below hold for every strategy it calls (until it returns).
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
  want bigint;  -- matches up to the end of the page
  bound timestamptz;  -- text matches older than this cannot be on the page
  refs record;
  words record;
  rest record;
  hit_ids uuid[];
  hit_starts timestamptz[];
BEGIN
  PERFORM aidis._check_page(lim, off, 1000);
  lim := COALESCE(lim, 50);
  off := COALESCE(off, 0);
  want := lim::bigint + off;
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
    RETURN aidis._list_ids_unsearched(wanted_status, pid, lim, off);
  END IF;

  refs := aidis._list_ids_by_reference(wanted_status, pid, needle, want, as_policy);
  IF cardinality(refs.ids) >= want THEN
    bound := refs.starts[want];
  END IF;
  words := aidis._list_ids_by_words(wanted_status, pid, needle, want, bound, as_policy);
  hit_ids := words.ids;
  hit_starts := words.starts;
  IF words.in_order AND cardinality(hit_ids) < want THEN
    rest := aidis._list_ids_in_order(wanted_status, pid, needle, want, bound, words.last_start,
                                     words.window_rows, cardinality(hit_ids), as_policy);
    hit_ids := hit_ids || rest.ids;
    hit_starts := hit_starts || rest.starts;
  END IF;

  IF cardinality(refs.ids) = 0 THEN
    IF off >= cardinality(hit_ids) THEN
      RETURN '{}';
    END IF;
    RETURN hit_ids[off + 1 : LEAST(off::bigint + lim, cardinality(hit_ids))];
  END IF;
  RETURN ARRAY(SELECT u.id FROM (SELECT DISTINCT t.id, t.started_at
                                 FROM unnest(hit_ids || refs.ids, hit_starts || refs.starts) AS t (id, started_at)) u
               ORDER BY u.started_at DESC, u.id LIMIT lim OFFSET off);
END
$$;

-- Without q: one statement per combination of filters. Like the q
-- strategies (63_api_list_search.sql), it runs under the planner settings
-- of _list_session_ids, its caller.
CREATE FUNCTION aidis._list_ids_unsearched(wanted_status text, pid uuid, lim integer, off integer)
  RETURNS uuid[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ids uuid[];
BEGIN
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
END
$$;

-- The q search under row-level security. PostgreSQL uses no index there
-- for a condition that is not leakproof (neither @@ nor ILIKE), so a q
-- search under a policy would read sessions in list order. Two functions
-- run it as the extension owner, whom no policy applies to, each restricted
-- to what one policy shows (90_security.sql), and _list_session_ids picks
-- the caller's: _list_connected_session_ids for aidis_reader and
-- aidis_writer (connected_projects: its condition is added to every query
-- that yields ids; without q, nothing), _list_all_session_ids for
-- aidis_admin only (admin_all: everything; granted to no one else,
-- 95_api_grants.sql). They differ only in the policy. They return ids
-- only: the caller reads the rows through its policy. No result includes a
-- session the caller's policy hides (the candidates rechecked may: only the
-- run time depends on them).
CREATE FUNCTION aidis._list_connected_session_ids(wanted_status text, pid uuid, needle text, lim integer, off integer)
  RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT aidis._list_session_ids(wanted_status, pid, needle, lim, off, 'connected_projects')
$$;
-- (granted to aidis_admin only)
CREATE FUNCTION aidis._list_all_session_ids(wanted_status text, pid uuid, needle text, lim integer, off integer)
  RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
