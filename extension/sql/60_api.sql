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

------------------------------------------------------------------------------
-- C++ helpers (src/pg/scoring.cpp, src/core/scoring.cpp)
------------------------------------------------------------------------------

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

-- pg_trgm's similarity as the C++ detector computes it (the tests compare the two).
CREATE FUNCTION aidis._trigram_similarity(a text, b text) RETURNS double precision
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'aidis_trigram_similarity';

-- What list_sessions matches q against. Written in C++ (no SET clause, no
-- SQL-function call per row) because the search index below is built on it.
CREATE FUNCTION aidis._search_text(display_id text, title text, description text, goal text,
                                   tags text[], agent text)
  RETURNS text
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'aidis_search_text';

------------------------------------------------------------------------------
-- Searching: the word index behind list_sessions' q (docs/search.md)
------------------------------------------------------------------------------

-- q matches a case-insensitive substring of _search_text. The index finds
-- the candidates, each rechecked with that ILIKE: its lexemes are the words
-- of the text, their suffixes and the pairs of neighbouring words, and a
-- query on it is a condition every match meets (never the match itself).
-- Lexemes carry the 14-day period the session started in, so that the
-- candidates of a recent time window are read without those of the whole
-- history. Periods before 2000 and after 2099 fold into the first and last.
CREATE FUNCTION aidis._search_period(started timestamptz) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT LEAST(GREATEST(floor(extract(epoch FROM started) / 1209600), 782), 3391)::integer
$$;

-- The lexemes of a session: the words of its searchable text are the runs of
-- letters and digits of lower(text); for each word its suffixes of 3 or more
-- characters (cut to 12), and for each two neighbouring words a and b the
-- pair 'a b' (each cut to 100) and the boundary right(a, 3) || '|' ||
-- left(b, 3); each prefixed with the period and '/'. A text too long for a
-- tsvector is the one lexeme '*', which every query admits.
-- PL/pgSQL: as a SQL function it costs ten times more per row.
CREATE FUNCTION aidis._search_words(search_text text, started timestamptz) RETURNS tsvector
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 1000
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  period text := aidis._search_period(started) || '/';
  lexemes text[] := '{}';
  prev text;
  w text;
BEGIN
  IF octet_length(search_text) > 100000 THEN
    RETURN '*'::tsvector;  -- up to seven lexeme bytes per text byte; a tsvector holds 1 MB
  END IF;
  FOREACH w IN ARRAY regexp_split_to_array(lower(search_text), '[^[:alnum:]]+') LOOP
    CONTINUE WHEN w = '';
    FOR i IN 1 .. length(w) - 2 LOOP
      lexemes := lexemes || (period || substr(w, i, 12));
    END LOOP;
    IF prev IS NOT NULL THEN
      lexemes := lexemes || (period || left(prev, 100) || ' ' || left(w, 100))
                         || (period || right(prev, 3) || '|' || left(w, 3));
    END IF;
    prev := w;
  END LOOP;
  RETURN array_to_tsvector(lexemes);
END
$$;

-- The lexemes (without period) that every row whose searchable text matches
-- `text ILIKE pattern` has (pattern is '%' || escaped q || '%'); one ending
-- in '*' stands for every lexeme it starts. NULL when there is none to use
-- (no word of 3 or more characters).
CREATE FUNCTION aidis._search_terms(pattern text) RETURNS text[]
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  body text := lower(pattern);  -- what ILIKE compares
  words text[];
  k integer;
  a text;
  b text;
  a_whole boolean;
  b_whole boolean;
  exact text[] := '{}';
  partial text[] := '{}';
  longest text := '';
BEGIN
  body := substr(body, 2, length(body) - 2);  -- without the two %
  words := array_remove(regexp_split_to_array(body, '[^[:alnum:]]+'), '');
  k := cardinality(words);
  -- A word of q is a whole word of the text when something that is not a
  -- letter or digit follows (precedes) it in q; the first may be the end of a
  -- longer word, the last the start of one, a lone word any part of one.
  FOR i IN 1 .. k - 1 LOOP
    a := words[i];
    b := words[i + 1];
    a_whole := i > 1 OR body ~ '^[^[:alnum:]]';
    b_whole := i + 1 < k OR body ~ '[^[:alnum:]]$';
    IF a_whole AND b_whole THEN
      exact := exact || (left(a, 100) || ' ' || left(b, 100));
    ELSIF a_whole OR length(a) >= 3 THEN
      IF b_whole OR length(b) >= 3 THEN
        exact := exact || (right(a, 3) || '|' || left(b, 3));
      ELSE
        partial := partial || (right(a, 3) || '|' || b || '*');
      END IF;
    END IF;
  END LOOP;
  IF cardinality(exact) > 0 THEN
    RETURN exact;  -- (a partial lexeme costs a range of the index each)
  ELSIF cardinality(partial) > 0 THEN
    RETURN partial;
  END IF;
  -- No pair to use: the longest word, as part of a word (its suffixes).
  FOR i IN 1 .. k LOOP
    IF length(words[i]) > length(longest) THEN longest := words[i]; END IF;
  END LOOP;
  IF length(longest) < 3 THEN
    RETURN NULL;
  END IF;
  RETURN ARRAY[substr(longest, 1, 12) || '*'];
END
$$;

-- The query on _search_words for sessions started from `since` to `until`:
-- every term, in one of the periods between. Built in one pass: a string
-- grown in a loop is copied again for every period.
CREATE FUNCTION aidis._search_query(terms text[], since timestamptz, until timestamptz)
  RETURNS tsquery
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT (COALESCE(string_agg(c.conj, ' | ' ORDER BY c.p) || ' | ', '') || '''*''')::tsquery
  FROM (SELECT p, '(' || string_agg(CASE WHEN t.term LIKE '%*' THEN quote_literal(p || '/' || rtrim(t.term, '*')) || ':*'
                                         ELSE quote_literal(p || '/' || t.term) END,
                                    ' & ' ORDER BY t.n) || ')' AS conj
        FROM generate_series(aidis._search_period(since), aidis._search_period(until)) AS p
        CROSS JOIN unnest(terms) WITH ORDINALITY AS t (term, n)
        GROUP BY p) c
$$;

-- `secs` seconds before `t`, or NULL when that is not after `oldest`.
CREATE FUNCTION aidis._search_since(t timestamptz, secs float8, oldest timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN extract(epoch FROM t) - secs > extract(epoch FROM oldest)
              THEN to_timestamp(extract(epoch FROM t) - secs) END
$$;

------------------------------------------------------------------------------
-- Indexes the API needs
------------------------------------------------------------------------------

-- list_sessions: newest first with a status filter (without one,
-- session_base_started serves), and display ids by prefix.
CREATE INDEX session_base_status_list ON aidis.session_base (status, started_at DESC, id);
CREATE INDEX session_base_display_prefix ON aidis.session_base (display_id text_pattern_ops);
-- session_score: "was this completed task reopened later, in any session?"
-- Partial: only reopen events are indexed, so timeline inserts stay cheap.
CREATE INDEX session_activities_reopened ON aidis.session_activities (entity_id, id)
  WHERE kind = 'task_reopened';

-- list_sessions q: the word index (see _search_words).
CREATE INDEX session_base_search ON aidis.session_base USING gin
  (aidis._search_words(aidis._search_text(display_id, title, description, goal, tags, agent), started_at));

------------------------------------------------------------------------------
-- Shared helpers
------------------------------------------------------------------------------

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

-- session_score(s): the formula recomputed now, with every signal.
CREATE FUNCTION aidis.session_score(s text DEFAULT NULL) RETURNS jsonb
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._flush_pending();  -- see this transaction's own work
  SELECT aidis._compute_score(aidis._find_session(s));
$$;

------------------------------------------------------------------------------
-- Finding sessions
------------------------------------------------------------------------------

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
  score                 numeric
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
  wanted_status text := NULLIF(lower(btrim(status)), '');
  pid uuid;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  PERFORM aidis._check_page(lim, off, 1000);
  PERFORM aidis._check_q(NULLIF(btrim(q), ''));
  IF wanted_status IS NOT NULL AND wanted_status NOT IN ('active', 'inactive', 'disconnected') THEN
    RAISE EXCEPTION 'invalid status "%"', aidis._clip(status)
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use active, inactive or disconnected.';
  END IF;
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
           v.loc_removed, v.files_touched, v.rating, v.score::numeric
    -- (A subquery: unnest() would run the function once more to estimate its rows.)
    FROM unnest((SELECT aidis._list_session_ids(wanted_status, pid, NULLIF(btrim(q), ''),
                                                COALESCE(lim, 50), COALESCE(off, 0)))) WITH ORDINALITY AS page (id, ord)
    JOIN aidis.sessions v ON v.id = page.id
    JOIN aidis.projects p ON p.id = v.project_id
    ORDER BY page.ord;
END
$$;

------------------------------------------------------------------------------
-- Reading one session
------------------------------------------------------------------------------

-- Everything a details page shows: the session's columns (as in the view
-- aidis.sessions) plus project_name, project_status, wall_seconds,
-- active_seconds, top_files, score (number), score_breakdown (with every
-- signal) and score_source ('stored' at the end, or 'live').
CREATE FUNCTION aidis.session_details(s text DEFAULT NULL) RETURNS jsonb
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

-- The session's own rows of the shipped tables, oldest first.
CREATE FUNCTION aidis.session_contexts(s text DEFAULT NULL, lim integer DEFAULT 50, off integer DEFAULT 0)
  RETURNS SETOF aidis.contexts
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  PERFORM aidis._check_page(lim, off, 1000);
  sid := aidis._find_session(s);
  RETURN QUERY SELECT c.* FROM aidis.contexts c WHERE c.session_id = sid
               ORDER BY c.created_at, c.id LIMIT COALESCE(lim, 50) OFFSET COALESCE(off, 0);
END
$$;

CREATE FUNCTION aidis.session_tasks(s text DEFAULT NULL, lim integer DEFAULT 50, off integer DEFAULT 0)
  RETURNS SETOF aidis.tasks
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  PERFORM aidis._check_page(lim, off, 1000);
  sid := aidis._find_session(s);
  RETURN QUERY SELECT t.* FROM aidis.tasks t WHERE t.session_id = sid
               ORDER BY t.created_at, t.id LIMIT COALESCE(lim, 50) OFFSET COALESCE(off, 0);
END
$$;

CREATE FUNCTION aidis.session_decisions(s text DEFAULT NULL, lim integer DEFAULT 50, off integer DEFAULT 0)
  RETURNS SETOF aidis.decisions
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  PERFORM aidis._check_page(lim, off, 1000);
  sid := aidis._find_session(s);
  RETURN QUERY SELECT d.* FROM aidis.decisions d WHERE d.session_id = sid
               ORDER BY d.created_at, d.id LIMIT COALESCE(lim, 50) OFFSET COALESCE(off, 0);
END
$$;

-- The timeline, oldest first; page with after_id = the last id seen.
CREATE FUNCTION aidis.session_timeline(s text DEFAULT NULL, lim integer DEFAULT 500, after_id bigint DEFAULT 0)
  RETURNS TABLE (id bigint, occurred_at timestamptz, kind text, summary text, entity_id text, data jsonb)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  PERFORM aidis._check_page(lim, NULL, 10000);
  IF after_id < 0 THEN
    RAISE EXCEPTION 'after_id must not be negative, not %', after_id USING ERRCODE = 'invalid_parameter_value';
  END IF;
  sid := aidis._find_session(s);
  RETURN QUERY
    SELECT a.id, a.occurred_at, a.kind, a.summary, a.entity_id, a.data
    FROM aidis.session_activities a
    WHERE a.session_id = sid AND a.id > COALESCE(after_id, 0)
    ORDER BY a.id
    LIMIT COALESCE(lim, 500);
END
$$;

------------------------------------------------------------------------------
-- Editing
------------------------------------------------------------------------------

-- NULL leaves a field unchanged; '' clears it (the title and the agent cannot
-- be cleared). Limits are checked here, with SQLSTATE 22023.
CREATE FUNCTION aidis.update_session(s text DEFAULT NULL, title text DEFAULT NULL,
                                     description text DEFAULT NULL, goal text DEFAULT NULL,
                                     tags text[] DEFAULT NULL, notes text DEFAULT NULL,
                                     ai_model text DEFAULT NULL, agent text DEFAULT NULL,
                                     add_tags text[] DEFAULT NULL, append_notes text DEFAULT NULL)
  RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._find_session(s);
  cur aidis.session_base;
  new_title text;
  new_description text;
  new_goal text;
  new_tags text[];
  new_notes text;
  new_model text;
  new_agent text;
  changed text[] := '{}';
  result aidis.sessions;
BEGIN
  -- Array sizes first: the tags are sorted and compared below.
  IF COALESCE(cardinality(tags), 0) + COALESCE(cardinality(add_tags), 0) > 1000 THEN
    RAISE EXCEPTION '% tags given; at most 1000 array elements are allowed',
      COALESCE(cardinality(tags), 0) + COALESCE(cardinality(add_tags), 0) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(COALESCE(tags, '{}') || COALESCE(add_tags, '{}')) t(tag) WHERE char_length(btrim(t.tag)) > 100) THEN
    RAISE EXCEPTION 'a tag is longer than 100 characters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM aidis._check_may_change(sid);
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  SELECT * INTO cur FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  PERFORM aidis._refuse_if_disconnected(cur.project_id);

  new_title := cur.title;
  IF title IS NOT NULL THEN
    new_title := btrim(title);
    IF new_title = '' THEN
      RAISE EXCEPTION 'the title cannot be cleared' USING ERRCODE = 'invalid_parameter_value';
    ELSIF char_length(new_title) > 255 THEN
      RAISE EXCEPTION 'title is % characters long; at most 255 are allowed', char_length(new_title)
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END IF;
  new_description := CASE WHEN description IS NULL THEN cur.description ELSE NULLIF(btrim(description), '') END;
  IF char_length(new_description) > 2000 THEN
    RAISE EXCEPTION 'description is % characters long; at most 2000 are allowed', char_length(new_description)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  new_goal := CASE WHEN goal IS NULL THEN cur.goal ELSE NULLIF(btrim(goal), '') END;
  IF char_length(new_goal) > 2000 THEN
    RAISE EXCEPTION 'goal is % characters long; at most 2000 are allowed', char_length(new_goal)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  new_notes := CASE WHEN notes IS NULL THEN cur.notes ELSE NULLIF(btrim(notes), '') END;
  IF NULLIF(btrim(append_notes), '') IS NOT NULL THEN  -- under the row lock: concurrent appends both stay
    new_notes := concat_ws(E'\n', new_notes, btrim(append_notes));
  END IF;
  IF char_length(new_notes) > 10000 THEN
    RAISE EXCEPTION 'notes are % characters long; at most 10000 are allowed', char_length(new_notes)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  new_tags := cur.tags;
  IF tags IS NOT NULL OR add_tags IS NOT NULL THEN
    -- Trimmed, empty ones dropped, duplicates dropped (first one kept), order kept.
    SELECT COALESCE(array_agg(x.tag ORDER BY x.first), '{}') INTO new_tags
    FROM (SELECT btrim(t.tag) AS tag, min(t.n) AS first
          FROM unnest(COALESCE(tags, cur.tags) || COALESCE(add_tags, '{}')) WITH ORDINALITY AS t(tag, n)
          WHERE NULLIF(btrim(t.tag), '') IS NOT NULL
          GROUP BY btrim(t.tag)) x;
    IF cardinality(new_tags) > 50 THEN
      RAISE EXCEPTION '% tags given; at most 50 are allowed', cardinality(new_tags)
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END IF;
  new_model := CASE WHEN ai_model IS NULL THEN cur.ai_model ELSE NULLIF(btrim(ai_model), '') END;
  IF char_length(new_model) > 200 THEN
    RAISE EXCEPTION 'ai_model is % characters long; at most 200 are allowed', char_length(new_model)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  new_agent := cur.agent;
  IF agent IS NOT NULL THEN
    IF btrim(agent) = '' THEN
      RAISE EXCEPTION 'the agent cannot be cleared' USING ERRCODE = 'invalid_parameter_value',
        HINT = 'Give the agent''s name, e.g. claude-code.';
    END IF;
    new_agent := aidis.normalize_agent(agent);
    -- One active session per (agent, client_key): say so rather than fail on the index.
    IF cur.status = 'active' AND new_agent <> cur.agent AND EXISTS (
         SELECT 1 FROM aidis.session_base b
         WHERE b.status = 'active' AND b.agent = new_agent
           AND COALESCE(b.client_key, '') = COALESCE(cur.client_key, '') AND b.id <> sid) THEN
      RAISE EXCEPTION 'another active session already belongs to agent "%" with the same client key', new_agent
        USING ERRCODE = 'unique_violation', HINT = 'End that session first.';
    END IF;
  END IF;

  IF new_title IS DISTINCT FROM cur.title THEN changed := changed || 'title'::text; END IF;
  IF new_description IS DISTINCT FROM cur.description THEN changed := changed || 'description'::text; END IF;
  IF new_goal IS DISTINCT FROM cur.goal THEN changed := changed || 'goal'::text; END IF;
  IF new_tags IS DISTINCT FROM cur.tags THEN changed := changed || 'tags'::text; END IF;
  IF new_notes IS DISTINCT FROM cur.notes THEN changed := changed || 'notes'::text; END IF;
  IF new_model IS DISTINCT FROM cur.ai_model THEN changed := changed || 'ai_model'::text; END IF;
  IF new_agent IS DISTINCT FROM cur.agent THEN changed := changed || 'agent'::text; END IF;

  IF cardinality(changed) > 0 THEN
    UPDATE aidis.session_base b
    SET title = new_title, description = new_description, goal = new_goal, tags = new_tags,
        notes = new_notes, ai_model = new_model, agent = new_agent, updated_at = clock_timestamp()
    WHERE b.id = sid;
    PERFORM aidis._log_event(sid, 'session_updated', clock_timestamp(),
                             'edited: ' || array_to_string(changed, ', '),
                             jsonb_build_object('fields', to_jsonb(changed)));
    PERFORM aidis._notify('updated', sid);
  END IF;
  SELECT * INTO result FROM aidis.sessions x WHERE x.id = sid;
  RETURN result;
END
$$;

-- Project reassignment is confirmed with a token: a digest, under a secret
-- created with the extension, of the session, both projects, the session's
-- updated_at and the time of issue (docs/api.md).
CREATE TABLE aidis.api_secret (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  secret   bytea NOT NULL
);
-- 244 random bits. Registered for pg_dump with a condition no row meets: the
-- secret is never dumped, a restored database makes a new one (outstanding
-- tokens then simply stop matching).
INSERT INTO aidis.api_secret (secret)
VALUES (decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
SELECT pg_catalog.pg_extension_config_dump('aidis.api_secret', 'WHERE false');

CREATE FUNCTION aidis._reassign_token(sid uuid, source uuid, target uuid, state timestamptz, issued bigint)
  RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT issued::text || '.' ||
         left(encode(sha256(k.secret || convert_to(concat_ws('|', 'aidis.reassign_project.v1', sid, source,
                                                               target, extract(epoch FROM state), issued),
                                                     'UTF8')), 'hex'), 32)
  FROM aidis.api_secret k
$$;

-- The session's rows that a reassignment moves: those filed under the
-- session's current project (tracked rows, timeline events, files) and its
-- pending deltas. Rows it wrote for a third project stay with that project.
CREATE FUNCTION aidis._reassign_counts(sid uuid, source uuid) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  by_kind record;
BEGIN
  -- Counted as each table's owner (_host_rows).
  SELECT COALESCE(sum(h.n) FILTER (WHERE tt.kind = 'context'), 0)::bigint AS contexts,
         COALESCE(sum(h.n) FILTER (WHERE tt.kind = 'task'), 0)::bigint AS tasks,
         COALESCE(sum(h.n) FILTER (WHERE tt.kind = 'decision'), 0)::bigint AS decisions
  INTO by_kind
  FROM aidis.tracked_tables tt
  JOIN pg_class c ON c.oid = tt.tbl::oid
  CROSS JOIN LATERAL aidis._host_rows(tt.tbl, sid, source) h;
  RETURN jsonb_build_object(
    'contexts', by_kind.contexts, 'tasks', by_kind.tasks, 'decisions', by_kind.decisions,
    'timeline_events', (SELECT count(*) FROM aidis.session_activities a
                        WHERE a.session_id = sid AND a.project_id = source),
    'files', (SELECT count(*) FROM aidis.session_files f WHERE f.session_id = sid AND f.project_id = source));
END
$$;

CREATE FUNCTION aidis.reassign_project(s text, project text, confirm text DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._find_session(s);
  target uuid := aidis._find_project(project);
  cur aidis.session_base;
  src aidis.projects;
  dst aidis.projects;
  token text := NULLIF(btrim(confirm), '');
  issued bigint;
  moves jsonb;
  t record;
  n bigint;
  moved jsonb := '{"context": 0, "task": 0, "decision": 0}';
  events bigint;
  files bigint;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  SELECT * INTO cur FROM aidis.session_base b WHERE b.id = sid;
  IF cur.project_id = target THEN
    RAISE EXCEPTION 'session % already belongs to project "%"', cur.display_id,
      (SELECT p.name FROM aidis.projects p WHERE p.id = target)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  IF token IS NOT NULL THEN
    -- Lock both projects (in id order, like disconnect_project takes them)
    -- and then the session; the token is checked against what is locked.
    PERFORM 1 FROM aidis.projects p WHERE p.id IN (cur.project_id, target) ORDER BY p.id FOR SHARE;
    SELECT * INTO cur FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  END IF;
  SELECT * INTO src FROM aidis.projects p WHERE p.id = cur.project_id;
  SELECT * INTO dst FROM aidis.projects p WHERE p.id = target;
  PERFORM aidis._refuse_if_disconnected(src.id);
  PERFORM aidis._refuse_if_disconnected(dst.id);

  IF token IS NULL THEN
    issued := floor(extract(epoch FROM clock_timestamp()))::bigint;
    moves := aidis._reassign_counts(sid, src.id);
    RETURN jsonb_build_object(
      'status', 'confirmation_required',
      'warning', format('Session %s and everything it holds (contexts: %s, tasks: %s, decisions: %s, '
                        'timeline events: %s, files: %s) will move from project "%s" to project "%s".',
                        cur.display_id, moves ->> 'contexts', moves ->> 'tasks', moves ->> 'decisions',
                        moves ->> 'timeline_events', moves ->> 'files', src.name, dst.name),
      'hint', 'To apply, call aidis.reassign_project again with confirm => the token, within 10 minutes.',
      'confirm', aidis._reassign_token(sid, src.id, dst.id, cur.updated_at, issued),
      'expires_at', to_timestamp(issued + 600),
      'session_id', sid, 'display_id', cur.display_id,
      'from_project_id', src.id, 'from_project', src.name,
      'to_project_id', dst.id, 'to_project', dst.name,
      'moves', moves);
  END IF;

  IF token !~ '^[0-9]{1,12}\.[0-9a-f]{32}$' THEN
    RAISE EXCEPTION 'malformed confirmation token' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'Call aidis.reassign_project(s, project) without a token to get one.';
  END IF;
  issued := split_part(token, '.', 1)::bigint;
  IF token <> aidis._reassign_token(sid, src.id, dst.id, cur.updated_at, issued) THEN
    RAISE EXCEPTION 'confirmation token does not match this reassignment'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'It was issued for another session or project, or the session changed since (or the token was already used).',
            HINT = 'Call aidis.reassign_project(s, project) without a token to get a new one.';
  END IF;
  IF issued + 600 < extract(epoch FROM clock_timestamp()) THEN
    RAISE EXCEPTION 'confirmation token expired at %', to_timestamp(issued + 600)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Call aidis.reassign_project(s, project) without a token to get a new one.';
  END IF;

  -- Apply. The session tables keep their guard triggers (both projects are
  -- connected and locked).
  UPDATE aidis.session_base b SET project_id = dst.id, updated_at = clock_timestamp() WHERE b.id = sid;
  UPDATE aidis.session_deltas d SET project_id = dst.id WHERE d.session_id = sid;
  UPDATE aidis.session_activities a SET project_id = dst.id WHERE a.session_id = sid AND a.project_id = src.id;
  GET DIAGNOSTICS events = ROW_COUNT;
  UPDATE aidis.session_files f SET project_id = dst.id WHERE f.session_id = sid AND f.project_id = src.id;
  GET DIAGNOSTICS files = ROW_COUNT;
  -- Tracked rows move as their table's owner (_host_move). The tracking
  -- triggers let the moved rows through: moving a row is not activity (it
  -- would count as one and move last_activity_at) and does not touch
  -- tasks.updated_at. A host table's own triggers fire as for any UPDATE.
  FOR t IN SELECT tt.tbl, tt.kind FROM aidis.tracked_tables tt JOIN pg_class c ON c.oid = tt.tbl::oid
           ORDER BY tt.tbl::text LOOP
    n := aidis._host_move(t.tbl, sid, src.id, dst.id);
    moved := jsonb_set(moved, ARRAY[t.kind], to_jsonb((moved ->> t.kind)::bigint + n));
  END LOOP;

  moves := jsonb_build_object('contexts', moved -> 'context', 'tasks', moved -> 'task',
                              'decisions', moved -> 'decision', 'timeline_events', events, 'files', files);
  PERFORM aidis._log_event(sid, 'project_reassigned', clock_timestamp(),
                           format('moved from project "%s" to "%s"', src.name, dst.name),
                           jsonb_build_object('from_project_id', src.id, 'from_project', src.name,
                                              'to_project_id', dst.id, 'to_project', dst.name,
                                              'moved', moves));
  PERFORM aidis._notify('reassigned', sid);
  -- Every backend forgets the session's old project when this commits.
  PERFORM aidis._invalidate_caches();
  PERFORM aidis._forget_cached_session();
  RETURN jsonb_build_object('status', 'reassigned', 'session_id', sid, 'display_id', cur.display_id,
                            'from_project_id', src.id, 'from_project', src.name,
                            'to_project_id', dst.id, 'to_project', dst.name, 'moved', moves);
END
$$;

------------------------------------------------------------------------------
-- Rating
------------------------------------------------------------------------------

-- Each rating replaces the previous one, note included (NULL or '' = no note).
CREATE FUNCTION aidis.rate_session(s text, stars integer, note text DEFAULT NULL)
  RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
  cur aidis.session_base;
  new_note text := NULLIF(btrim(note), '');
  result aidis.sessions;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  IF stars IS NULL OR stars < 1 OR stars > 5 THEN
    RAISE EXCEPTION 'stars must be 1 to 5, not %', COALESCE(stars::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF char_length(new_note) > 2000 THEN
    RAISE EXCEPTION 'note is % characters long; at most 2000 are allowed', char_length(new_note)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  sid := aidis._find_session(s);
  PERFORM aidis._check_may_change(sid);
  SELECT * INTO cur FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  PERFORM aidis._refuse_if_disconnected(cur.project_id);
  UPDATE aidis.session_base b
  SET rating = stars, rating_note = new_note, updated_at = clock_timestamp()
  WHERE b.id = sid;
  PERFORM aidis._log_event(sid, 'rated', clock_timestamp(), format('rated %s/5', stars),
                           jsonb_strip_nulls(jsonb_build_object('stars', stars, 'note', new_note,
                                                                'previous', cur.rating)));
  PERFORM aidis._notify('rated', sid);
  SELECT * INTO result FROM aidis.sessions x WHERE x.id = sid;
  RETURN result;
END
$$;

------------------------------------------------------------------------------
-- Analytics
------------------------------------------------------------------------------

-- Sessions started in the last day, 7 days or month (to now), optionally of one project.
CREATE FUNCTION aidis.session_stats(period text DEFAULT 'month', project text DEFAULT NULL)
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
    RAISE EXCEPTION 'invalid period "%"', COALESCE(aidis._clip(period), 'NULL')
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
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid := aidis._find_session(s);
  v aidis.sessions;
  pname text;
  prev aidis.sessions;
  previous jsonb;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  SELECT * INTO v FROM aidis.sessions x WHERE x.id = sid;
  SELECT p.name INTO pname FROM aidis.projects p WHERE p.id = v.project_id;
  SELECT x.* INTO prev FROM aidis.sessions x
  WHERE x.id IN (SELECT b.id FROM aidis.session_base b
                 WHERE b.project_id = v.project_id AND b.id <> sid
                   AND (b.started_at, b.id) < (v.started_at, v.id)
                 ORDER BY b.started_at DESC, b.id DESC LIMIT 1);
  IF prev.id IS NOT NULL THEN
    previous := jsonb_build_object(
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
          ORDER BY a.id DESC LIMIT 5) e));
  END IF;
  RETURN jsonb_build_object(
    'session', jsonb_build_object(
      'id', v.id, 'display_id', v.display_id, 'title', v.title, 'goal', v.goal, 'tags', v.tags,
      'status', v.status, 'project_id', v.project_id, 'project_name', pname,
      'agent', v.agent, 'ai_model', v.ai_model, 'started_at', v.started_at,
      'last_activity_at', v.last_activity_at, 'ended_at', v.ended_at,
      'contexts_created', v.contexts_created, 'tasks_created', v.tasks_created,
      'tasks_completed', v.tasks_completed, 'decisions_created', v.decisions_created),
    'previous_session', previous,
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
                               ORDER BY x.created_at DESC, x.id LIMIT 10) d));
END
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
  span interval := CASE lower(btrim(period)) WHEN 'day' THEN interval '1 day'
                                             WHEN 'week' THEN interval '7 days'
                                             WHEN 'month' THEN interval '1 month' END;
  pid uuid;
  since timestamptz;
BEGIN
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  IF span IS NULL THEN
    RAISE EXCEPTION 'invalid period "%"', COALESCE(aidis._clip(period), 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use day, week or month.';
  END IF;
  IF NULLIF(btrim(project), '') IS NOT NULL THEN
    pid := aidis._find_project(project);
  END IF;
  since := now() - span;
  RETURN QUERY
    SELECT d.day::date,
           count(v.id),
           COALESCE(sum(v.contexts_created), 0)::bigint,
           COALESCE(sum(v.tasks_created), 0)::bigint,
           COALESCE(sum(v.tasks_completed), 0)::bigint,
           COALESCE(sum(v.decisions_created), 0)::bigint
    FROM generate_series(since::date, now()::date, interval '1 day') AS d (day)
    LEFT JOIN aidis.sessions v
      ON v.started_at >= since AND v.started_at::date = d.day::date AND (pid IS NULL OR v.project_id = pid)
    GROUP BY d.day
    ORDER BY d.day;
END
$$;
