-- Session API, reading: list_sessions (q, status, project, paging), every
-- form of the session argument, session_details (durations, top files,
-- score), session_contexts / tasks / decisions, session_timeline.
-- Independent of the other files: own projects (prefix rd-), own sessions.
\set VERBOSITY terse
SET client_min_messages = warning;

SELECT name FROM aidis.create_project('rd-alpha');
SELECT name FROM aidis.create_project('rd-beta project');

-- Fixture sessions with fixed times (written directly, as the extension owner),
-- so durations are stable. Two share the uuid prefix abcdef01.
INSERT INTO aidis.session_base (id, display_id, title, description, goal, tags, project_id, agent,
                                ai_model, status, end_reason, started_at, last_activity_at, ended_at)
SELECT v.id::uuid, v.display_id, v.title, v.description, v.goal, v.tags, p.id, v.agent, v.model,
       'inactive', 'ended', v.started::timestamptz, v.last::timestamptz, v.ended::timestamptz
FROM (VALUES
  ('abcdef01-0000-4000-8000-000000000001', 'SES-1999-0001', 'Parser rewrite', 'Rewrite the rd parser', 'fast parsing',
   '{parser,perf}'::text[], 'rd-alpha', 'claude-code', 'opus', '1999-03-01 10:00+00', '1999-03-01 11:00+00', '1999-03-01 11:30+00'),
  ('abcdef01-0000-4000-8000-000000000002', 'SES-1999-0002', 'Flaky test hunt', NULL, NULL,
   '{tests}'::text[], 'rd-beta project', 'cursor', NULL, '1999-03-02 10:00+00', '1999-03-02 10:05+00', '1999-03-02 10:05+00'),
  ('12345678-9abc-4000-8000-000000000003', 'SES-1999-0003', 'Docs day', 'Write the rd manual', 'docs',
   '{docs}'::text[], 'rd-alpha', 'windsurf', 'sonnet', '1999-03-03 10:00+00', '1999-03-03 10:00+00', '1999-03-03 12:00+00')
) AS v(id, display_id, title, description, goal, tags, project, agent, model, started, last, ended)
JOIN aidis.projects p ON p.name = v.project;

-- Timeline of SES-1999-0001: moments at 10:00 (start), 10:10, 10:15, 10:55,
-- 11:00 (last activity) and 11:30 (the end event); an edit after the end does not count.
INSERT INTO aidis.session_activities (session_id, project_id, occurred_at, kind, summary)
SELECT 'abcdef01-0000-4000-8000-000000000001', p.id, v.at::timestamptz, v.kind, v.summary
FROM aidis.projects p, (VALUES
  ('1999-03-01 10:00+00', 'session_started', 'session started'),
  ('1999-03-01 10:10+00', 'context_added', 'first note'),
  ('1999-03-01 10:15+00', 'task_created', 'a task'),
  ('1999-03-01 10:55+00', 'decision_made', 'a decision'),
  ('1999-03-01 11:30+00', 'session_ended', 'session ended'),
  ('1999-03-05 09:00+00', 'session_updated', 'edited later')) AS v(at, kind, summary)
WHERE p.name = 'rd-alpha';
INSERT INTO aidis.session_files (session_id, path, project_id, mentions, modifications, loc_added, loc_removed, first_at, last_at)
SELECT 'abcdef01-0000-4000-8000-000000000001', v.path, p.id, v.m, v.mo, v.a, v.r, '1999-03-01 10:10+00', '1999-03-01 10:50+00'
FROM aidis.projects p, (VALUES ('src/parser.c', 1, 3, 120, 40), ('README.md', 2, 0, 0, 0),
                              ('src/lexer.c', 0, 1, 5, 1)) AS v(path, m, mo, a, r)
WHERE p.name = 'rd-alpha';

-- session_details: wall clock 90 min; active 10 + 5 + 15 (40 capped) + 5 + 15 (30 capped) = 50 min.
SELECT d ->> 'display_id' AS display_id, d ->> 'project_name' AS project, d ->> 'title' AS title,
       d ->> 'wall_seconds' AS wall_seconds, d ->> 'active_seconds' AS active_seconds,
       d ->> 'status' AS status, d ->> 'files_touched' AS files_touched
FROM aidis.session_details('SES-1999-0001') d;
-- Top files: most modifications and mentions first.
SELECT f ->> 'path' AS path, f ->> 'modifications' AS modifications, f ->> 'mentions' AS mentions
FROM jsonb_array_elements(aidis.session_details('SES-1999-0001') -> 'top_files') f;
-- Every column of aidis.sessions is a key, plus the computed ones.
SELECT (SELECT array_agg(attname::text ORDER BY attname) FROM pg_attribute
        WHERE attrelid = 'aidis.sessions'::regclass AND attnum > 0)
       <@ (SELECT array_agg(k) FROM jsonb_object_keys(aidis.session_details('SES-1999-0001')) k) AS has_all_columns;
SELECT k FROM jsonb_object_keys(aidis.session_details('SES-1999-0001')) k
WHERE k NOT IN (SELECT attname FROM pg_attribute WHERE attrelid = 'aidis.sessions'::regclass)
ORDER BY k;
SELECT d -> 'score_breakdown' ->> 'version' AS version, d ->> 'score_source' AS source,
       (d ->> 'score')::numeric = (d -> 'score_breakdown' ->> 'score')::numeric AS score_matches
FROM aidis.session_details('SES-1999-0001') d;
-- A session with no event but its start: wall 2 h, active 0.
SELECT d ->> 'wall_seconds' AS wall_seconds, d ->> 'active_seconds' AS active_seconds
FROM aidis.session_details('SES-1999-0003') d;

-- Every form of the session argument: uuid, prefix (>= 8 hex digits, dashes
-- allowed), display id (any case), NULL = the current session.
SELECT aidis.session_details('12345678-9abc-4000-8000-000000000003') ->> 'display_id' AS by_uuid,
       aidis.session_details('12345678') ->> 'display_id' AS by_prefix,
       aidis.session_details('12345678-9ABC') ->> 'display_id' AS by_dashed_prefix,
       aidis.session_details('ses-1999-0003') ->> 'display_id' AS by_display_id;
SELECT public.sqlstate_of($$SELECT aidis.session_details('abcdef01')$$) AS ambiguous_prefix,
       public.sqlstate_of($$SELECT aidis.session_details('abcdef')$$) AS short_prefix,
       public.sqlstate_of($$SELECT aidis.session_details('SES-1999-0999')$$) AS unknown_display_id,
       public.sqlstate_of($$SELECT aidis.session_details('ffffffff-0000-4000-8000-000000000000')$$) AS unknown_uuid,
       public.sqlstate_of($$SELECT aidis.session_details('not a session')$$) AS invalid;
SELECT id AS live_id, display_id AS live_display
FROM aidis.start_session(agent => 'rd-agent', project => 'rd-alpha', title => 'Live rd session',
                         goal => 'read things', force_new => true) \gset
SELECT aidis.session_details(NULL) ->> 'id' = :'live_id' AS null_is_current,
       aidis.session_details(NULL) ->> 'score_source' AS live_score_source,
       aidis.session_details(NULL) ->> 'ended_at' IS NULL AS open;

-- The live session's rows.
INSERT INTO aidis.contexts (content, context_type) VALUES ('rd first context about @src/rd.c', 'note');
INSERT INTO aidis.contexts (content, context_type) VALUES ('rd second context', 'note');
INSERT INTO aidis.contexts (content, context_type) VALUES ('rd third context', 'error');
INSERT INTO aidis.tasks (title) VALUES ('rd task one');
INSERT INTO aidis.tasks (title) VALUES ('rd task two');
INSERT INTO aidis.decisions (title) VALUES ('rd decision');
SELECT content, context_type FROM aidis.session_contexts(NULL);
SELECT content FROM aidis.session_contexts(:'live_display', 2, 1);
SELECT title, status FROM aidis.session_tasks(:'live_id');
SELECT title FROM aidis.session_decisions(left(:'live_id', 13));
SELECT count(*) AS contexts_of_fixture FROM aidis.session_contexts('SES-1999-0001');
SELECT public.sqlstate_of($$SELECT aidis.session_contexts(NULL, 0)$$) AS lim_zero,
       public.sqlstate_of($$SELECT aidis.session_tasks(NULL, 1001)$$) AS lim_too_big,
       public.sqlstate_of($$SELECT aidis.session_decisions(NULL, 10, -1)$$) AS negative_offset,
       public.sqlstate_of($$SELECT aidis.session_tasks('SES-1999-0999')$$) AS unknown_session;

-- Timeline: oldest first, every kind, pageable by after_id.
SELECT kind, summary FROM aidis.session_timeline(:'live_id');
SELECT kind, summary FROM aidis.session_timeline('SES-1999-0001', 2);
SELECT max(id) AS after FROM aidis.session_timeline('SES-1999-0001', 2) \gset
SELECT kind, summary FROM aidis.session_timeline('SES-1999-0001', 2, :after);
SELECT kind FROM aidis.session_timeline('SES-1999-0001', 500, :after + 1000000);
SELECT public.sqlstate_of($$SELECT aidis.session_timeline(NULL, 0)$$) AS lim_zero,
       public.sqlstate_of($$SELECT aidis.session_timeline(NULL, 10001)$$) AS lim_too_big,
       public.sqlstate_of($$SELECT aidis.session_timeline(NULL, 10, -1)$$) AS negative_after;

-- list_sessions: newest first; filters by project (name or id) and status.
SELECT CASE display_id WHEN :'live_display' THEN 'live' ELSE display_id END AS session,
       title, status, project_name, agent, tags
FROM aidis.list_sessions(project => 'rd-alpha');
SELECT display_id FROM aidis.list_sessions(project => 'rd-alpha', status => 'inactive');
SELECT display_id = :'live_display' AS is_live, status FROM aidis.list_sessions(project => 'rd-alpha', status => ' ACTIVE ');
SELECT id AS beta_id FROM aidis.projects WHERE name = 'rd-beta project' \gset
SELECT display_id FROM aidis.list_sessions(project => :'beta_id');
-- Counters and project columns come with each row.
SELECT display_id = :'live_display' AS is_live, contexts_created, tasks_created, decisions_created,
       files_touched, estimated_tokens > 0 AS estimated, rating, score
FROM aidis.list_sessions(project => 'rd-alpha', lim => 1);
-- Paging.
SELECT display_id FROM aidis.list_sessions(project => 'rd-alpha', lim => 2, off => 1);
SELECT count(*) FROM aidis.list_sessions(project => 'rd-alpha', off => 3);

-- q: title, description, goal, tag, agent, display id (whole, prefix or number),
-- uuid prefix, project name; case-insensitive substrings; LIKE wildcards are literal.
SELECT q, array_agg(display_id ORDER BY display_id) AS found
FROM unnest(ARRAY['parser rewrite', 'RD MANUAL', 'fast pars', 'perf', 'windsurf', 'SES-1999-0002',
                  'ses-1999-000', '1999-0003', '0002', 'abcdef01', 'abcdef01-0000-4000-8000-000000000002',
                  '12345678-9ABC', 'beta proj', 'flaky', '%', 'rd\_', 'no such thing']) AS q
LEFT JOIN LATERAL aidis.list_sessions(q => q) l ON l.display_id LIKE 'SES-1999-%'
GROUP BY q ORDER BY q;

-- The word index behind q (docs/search.md) only narrows the candidates, each
-- rechecked with the ILIKE: its query for a q must hold for every text that
-- contains q. Checked for every piece (1 to 24 characters, cut anywhere) of
-- texts with punctuation, other scripts, long words, several fields, in
-- lower and upper case, against every text, in periods far apart.
CREATE TEMP TABLE rd_texts (t text, started timestamptz);
INSERT INTO rd_texts VALUES
  ('Fix the login-form (API) N+1 query', '1999-03-01 10:00+00'),
  (E'0042\nHarden rate limiter\nRate limiter for the cart\nperf\nclaude-code', '2026-11-21 10:00+00'),
  ('École straße ÜBER naïve café-crème ΣΟΦΊΑ', '1900-01-01 00:00+00'),
  (repeat('abcdefghij', 13) || ' x ' || repeat('0123456789', 11) || '-tail', '2150-06-01 00:00+00'),
  ('snake_case 100% done, a\b c ''quoted'' "twice"   spaces', '2026-01-01 00:00+00');
CREATE TEMP TABLE rd_pieces AS
SELECT DISTINCT v.q
FROM rd_texts t, generate_series(1, length(t.t)) i, generate_series(1, 24) n,
     LATERAL (VALUES (substr(t.t, i, n)), (upper(substr(t.t, i, n)))) v(q)
WHERE btrim(v.q) <> '';
SELECT count(*) > 5000 AS many_pairs,
       count(*) FILTER (WHERE x.terms IS NOT NULL) > 5000 AS many_with_index_terms,
       count(*) FILTER (WHERE x.terms IS NOT NULL
                          AND NOT aidis._search_words(x.t, x.started)
                                  @@ aidis._search_query(x.terms, x.started - interval '20 days', x.started)) AS missed
FROM (SELECT t.t, t.started, aidis._search_terms(p.pattern) AS terms
      FROM rd_texts t, rd_pieces q,
           LATERAL (SELECT '%' || replace(replace(replace(btrim(q.q, ' '), '\', '\\'), '%', '\%'), '_', '\_') || '%') p(pattern)
      WHERE t.t ILIKE p.pattern) x;
-- What the index looks for: pairs of neighbouring words (whole, or only their
-- ends when q may cut them), else the longest word as the start of a suffix.
SELECT q, aidis._search_terms('%' || q || '%') AS terms
FROM unnest(ARRAY['Harden rate limiter', 'flaky test', ' rate limiter ', 'billing-2', 'a b', 'N+1 query',
                  'checkout', 'ab', 'x', '(api)', 'snake_case 100%']) AS q;
SELECT aidis._search_query(ARRAY['ate|lim', 'den|rat'], '2026-11-01 00:00+00', '2026-11-21 00:00+00') AS query;
SELECT aidis._search_words('Harden rate-limiter', '2026-11-21 00:00+00') AS lexemes;
SELECT aidis._search_words(repeat('word ', 20001), '2026-11-21 00:00+00') AS too_long,
       aidis._search_words('', '2026-11-21 00:00+00') AS empty,
       aidis._search_period('1900-01-01 00:00+00') = aidis._search_period('1999-12-01 00:00+00') AS early_periods_fold;

-- list_sessions uses the index when matches are rare among the newest rows:
-- 400 sessions of one project, a few with the rare words (and one whose text
-- is too long for the index), compared with the plain query, for every path
-- (frequent, rare, none, several pages), for the owner and for a reader.
SELECT name FROM aidis.create_project('rd-many');
INSERT INTO aidis.session_base (id, display_id, title, description, tags, project_id, agent, status, end_reason,
                                started_at, last_activity_at, ended_at)
SELECT md5('rd-many' || i)::uuid, format('SES-1998-%s', lpad(i::text, 4, '0')),
       CASE WHEN i % 97 = 0 THEN 'Harden rate limiter' WHEN i % 20 = 0 THEN 'Fix checkout flow'
            WHEN i % 3 = 0 THEN 'Rate limiter tuning' ELSE 'Routine work ' || i END,
       CASE WHEN i % 50 = 7 THEN 'the quorum-sensing bug' END,
       CASE WHEN i = 123 THEN ARRAY[repeat('long tag ', 12000), 'zebraword'] ELSE '{}' END,
       p.id, 'rd-agent', 'inactive', 'ended',
       timestamptz '1998-01-01 00:00+00' + i * interval '1 day', timestamptz '1998-01-01 00:00+00' + i * interval '1 day',
       timestamptz '1998-01-01 01:00+00' + i * interval '1 day'
FROM generate_series(1, 400) i, aidis.projects p WHERE p.name = 'rd-many';
ANALYZE aidis.session_base;
CREATE TEMP TABLE rd_cases AS
SELECT c.q, c.lim, c.off FROM (VALUES ('rate limiter', 50, 0), ('Harden rate', 50, 0), ('harden RATE limiter', 3, 1),
                                      ('checkout', 50, 0), ('checkout', 5, 10), ('quorum', 50, 0), ('sensing bug', 50, 0),
                                      ('zebraword', 50, 0), ('g tag long', 50, 0), ('routine', 20, 200), ('nowhere at all', 50, 0),
                                      ('e', 10, 0), ('ut', 10, 0)) c(q, lim, off);
CREATE TEMP TABLE rd_expected AS
SELECT c.q, c.lim, c.off, ARRAY(SELECT b.display_id FROM aidis.session_base b JOIN aidis.projects p ON p.id = b.project_id
                               WHERE p.name = 'rd-many'
                                 AND aidis._search_text(b.display_id, b.title, b.description, b.goal, b.tags, b.agent)
                                     ILIKE '%' || c.q || '%'
                               ORDER BY b.started_at DESC, b.id LIMIT c.lim OFFSET c.off) AS found
FROM rd_cases c;
GRANT SELECT ON rd_cases, rd_expected TO aidis_reader;
SELECT e.q, e.lim, e.off, cardinality(e.found) AS found,
       e.found = ARRAY(SELECT display_id FROM aidis.list_sessions(e.q, project => 'rd-many', lim => e.lim, off => e.off))
         AS same,
       e.found = ARRAY(SELECT display_id FROM aidis.list_sessions(e.q, 'inactive', 'rd-many', e.lim, e.off))
         AS same_with_status
FROM rd_expected e ORDER BY e.q, e.off;
SET ROLE aidis_reader;
SELECT count(*) AS cases, count(*) FILTER (WHERE e.found = ARRAY(SELECT display_id FROM aidis.list_sessions(e.q, project => 'rd-many',
                                                                                                           lim => e.lim, off => e.off)))
         AS same_for_a_reader
FROM rd_expected e;
RESET ROLE;
-- A reader's q search goes through the index as the owner
-- (_list_connected_session_ids) and still finds nothing of a disconnected
-- project; an admin's finds it.
SELECT name FROM aidis.create_project('rd-gone');
INSERT INTO aidis.session_base (id, display_id, title, project_id, agent, status, end_reason,
                                started_at, last_activity_at, ended_at)
SELECT md5('rd-gone')::uuid, 'SES-1998-9999', 'Harden rate limiter, gone', p.id, 'rd-agent', 'inactive', 'ended',
       '1998-06-01 00:00+00', '1998-06-01 00:00+00', '1998-06-01 01:00+00'
FROM aidis.projects p WHERE p.name = 'rd-gone';
SELECT status FROM aidis.disconnect_project('rd-gone');
SELECT count(*) FILTER (WHERE display_id = 'SES-1998-9999') AS owner_sees_gone,
       count(*) AS owner_matches FROM aidis.list_sessions('Harden rate', lim => 1000);
-- Every path of the search finds it for the owner (words, display id, uuid
-- prefix, project name)...
CREATE TEMP TABLE rd_gone_q AS
SELECT q FROM unnest(ARRAY['limiter, gone', 'SES-1998-9999', left(md5('rd-gone'), 8), 'rd-gone']) q;
GRANT SELECT ON rd_gone_q TO aidis_reader;
SELECT q, md5('rd-gone')::uuid = ANY (aidis._list_session_ids(NULL, NULL, q, 1000, 0)) AS owner_finds_gone
FROM rd_gone_q;
-- ...and none for a reader: neither through list_sessions, which sends a
-- reader's q search to _list_connected_session_ids (counted below), nor by
-- calling either function directly, with q or without.
-- (Calls counted by track_functions, as differences within one transaction:
-- the pending counts of earlier transactions may not be flushed yet.)
CREATE FUNCTION pg_temp.calls(fn text) RETURNS bigint LANGUAGE sql AS $$
  SELECT COALESCE((SELECT f.calls FROM pg_stat_xact_user_functions f
                   WHERE f.schemaname = 'aidis' AND f.funcname = fn), 0)
$$;
GRANT EXECUTE ON FUNCTION pg_temp.calls(text) TO aidis_reader;
SET track_functions = 'all';
BEGIN;
SET LOCAL ROLE aidis_reader;
SELECT pg_temp.calls('_list_connected_session_ids') AS connected_before,
       pg_temp.calls('_list_all_session_ids') AS all_before \gset
SELECT count(*) FILTER (WHERE display_id = 'SES-1998-9999') AS reader_sees_gone,
       count(*) AS reader_matches FROM aidis.list_sessions('Harden rate', lim => 1000);
SELECT pg_temp.calls('_list_connected_session_ids') - :connected_before AS connected_calls,
       pg_temp.calls('_list_all_session_ids') - :all_before AS all_calls;
COMMIT;
SET ROLE aidis_reader;
SELECT q, md5('rd-gone')::uuid = ANY (aidis._list_connected_session_ids(NULL, NULL, q, 1000, 0)) AS definer_returns_gone,
       md5('rd-gone')::uuid = ANY (aidis._list_session_ids(NULL, NULL, q, 1000, 0)) AS invoker_returns_gone,
       md5('rd-gone')::uuid = ANY (aidis._list_session_ids(NULL, NULL, q, 1000, 0, 'admin_all')) AS invoker_as_admin_all_returns_gone
FROM rd_gone_q;
SELECT cardinality(aidis._list_connected_session_ids(NULL, p.id, NULL, NULL, 0)) AS definer_without_q,
       cardinality(aidis._list_connected_session_ids(NULL, p.id, '  ', NULL, 0)) AS definer_blank_q,
       cardinality(aidis._list_session_ids(NULL, p.id, NULL, 1000, 0, 'connected_projects')) AS connected_only_without_q,
       cardinality(aidis._list_connected_session_ids(NULL, NULL, 'Harden rate', 1000, 0)) AS definer_matches,
       public.sqlstate_of($$SELECT aidis._list_connected_session_ids(NULL, NULL, 'x', 5000, 0)$$) AS definer_checks_lim,
       public.sqlstate_of($$SELECT aidis._list_all_session_ids(NULL, NULL, 'gone', 1000, 0)$$) AS admins_only
FROM aidis.projects p WHERE p.name = 'rd-gone';
RESET ROLE;
-- An admin's policy shows everything: an admin's q search runs as the
-- owner unrestricted (_list_all_session_ids, counted).
BEGIN;
SET LOCAL ROLE aidis_admin;
SELECT pg_temp.calls('_list_connected_session_ids') AS connected_before,
       pg_temp.calls('_list_all_session_ids') AS all_before \gset
SELECT count(*) FILTER (WHERE display_id = 'SES-1998-9999') AS admin_sees_gone,
       count(*) AS admin_matches FROM aidis.list_sessions('Harden rate', lim => 1000);
SELECT pg_temp.calls('_list_connected_session_ids') - :connected_before AS connected_calls,
       pg_temp.calls('_list_all_session_ids') - :all_before AS all_calls;
COMMIT;
RESET track_functions;
SELECT status FROM aidis.reconnect_project('rd-gone');
DELETE FROM aidis.session_base b USING aidis.projects p WHERE p.id = b.project_id AND p.name IN ('rd-many', 'rd-gone');
DELETE FROM aidis.projects WHERE name IN ('rd-many', 'rd-gone');

-- Blank q, status and project mean no filter.
SELECT count(*) > 0 AS unfiltered FROM aidis.list_sessions(q => '  ', status => '', project => '');

-- Bad filters.
SELECT public.sqlstate_of($$SELECT aidis.list_sessions(status => 'ended')$$) AS bad_status,
       public.sqlstate_of($$SELECT aidis.list_sessions(project => 'rd-nope')$$) AS unknown_project,
       public.sqlstate_of($$SELECT aidis.list_sessions(lim => 0)$$) AS lim_zero,
       public.sqlstate_of($$SELECT aidis.list_sessions(lim => 1001)$$) AS lim_too_big,
       public.sqlstate_of($$SELECT aidis.list_sessions(off => -1)$$) AS negative_offset;
SELECT aidis.list_sessions(status => 'ended');

-- Row-level security: a reader does not see the sessions of a disconnected project.
SELECT name FROM aidis.create_project('rd-gone');
INSERT INTO aidis.session_base (id, display_id, title, project_id, agent, status, end_reason,
                                started_at, last_activity_at, ended_at)
SELECT 'abcdef02-0000-4000-8000-000000000004', 'SES-1999-0004', 'Hidden later', p.id, 'cursor',
       'inactive', 'ended', '1999-03-04 10:00+00', '1999-03-04 10:00+00', '1999-03-04 11:00+00'
FROM aidis.projects p WHERE p.name = 'rd-gone';
SELECT name, status FROM aidis.disconnect_project('rd-gone');
SET ROLE aidis_reader;
SELECT count(*) AS visible FROM aidis.list_sessions(q => 'SES-1999-0004');
SELECT public.sqlstate_of($$SELECT aidis.session_details('SES-1999-0004')$$) AS details_of_hidden,
       public.sqlstate_of($$SELECT aidis.session_timeline('SES-1999-0004')$$) AS timeline_of_hidden;
SELECT count(*) AS visible_fixtures FROM aidis.list_sessions(q => 'SES-1999');
RESET ROLE;
SELECT count(*) AS admin_sees FROM aidis.list_sessions(q => 'SES-1999-0004');
SELECT name, status FROM aidis.reconnect_project('rd-gone');
