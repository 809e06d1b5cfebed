-- Server-side latency of the read API (bench/scale.sh): each call is timed with
-- clock_timestamp() around it and runs in a transaction of its own (the
-- procedure commits after every call, as separate client calls would).
-- Arguments rotate through samples: random sessions, q words, statuses, projects.

SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench;
CREATE TABLE bench.latency (label text, call int, arg text, ms float8);
CREATE TABLE bench.samples AS
SELECT row_number() OVER () AS n, x.id::text AS sid
FROM (SELECT b.id FROM aidis.session_base b ORDER BY md5(b.id::text) LIMIT 1000) x;

-- Whether an API function exists yet (the API is written concurrently).
CREATE FUNCTION bench.has(fn text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE n.nspname = 'aidis' AND p.proname = fn)
$$;

CREATE PROCEDURE bench.measure(label text, calls int, warmup int DEFAULT 5)
LANGUAGE plpgsql AS $$
DECLARE
  sids text[] := ARRAY(SELECT s.sid FROM bench.samples s ORDER BY s.n);
  -- frequent words, rarer ones, a display-id prefix, an agent, a project name, no match
  words text[] := ARRAY['checkout', 'flaky test', 'SES-2026-00', 'memory leak', 'cursor', 'billing-2',
                        'webhook', 'Harden rate limiter', 'support', 'nothing-matches-this'];
  statuses text[] := ARRAY['active', 'inactive', 'inactive'];
  projects text[] := ARRAY(SELECT p.name FROM aidis.projects p WHERE p.name <> '__unassigned__' ORDER BY p.name);
  arg text;
  t0 timestamptz;
  elapsed float8;
  n bigint;
BEGIN
  FOR i IN 1 - warmup .. calls LOOP
    arg := NULL;
    t0 := clock_timestamp();
    CASE label
      WHEN 'list_sessions()' THEN
        PERFORM count(*) FROM aidis.list_sessions();
      WHEN 'list_sessions(q)' THEN
        arg := words[1 + (i + warmup) % cardinality(words)];
        t0 := clock_timestamp();
        PERFORM count(*) FROM aidis.list_sessions(arg);
      WHEN 'list_sessions(q), as aidis_reader', 'list_sessions(q), as aidis_admin' THEN
        -- A role under row-level security (reset after the call).
        arg := words[1 + (i + warmup) % cardinality(words)];
        PERFORM set_config('role', split_part(label, 'as ', 2), true);
        t0 := clock_timestamp();
        PERFORM count(*) FROM aidis.list_sessions(arg);
        elapsed := extract(epoch FROM clock_timestamp() - t0) * 1000;
        PERFORM set_config('role', 'none', true);
      WHEN 'list_sessions(status)' THEN
        arg := statuses[1 + (i + warmup) % cardinality(statuses)];
        t0 := clock_timestamp();
        PERFORM count(*) FROM aidis.list_sessions(NULL, arg);
      WHEN 'list_sessions(project)' THEN
        arg := projects[1 + (i * 7 + warmup) % cardinality(projects)];
        t0 := clock_timestamp();
        PERFORM count(*) FROM aidis.list_sessions(NULL, NULL, arg);
      WHEN 'list_sessions(q, status, project)' THEN
        arg := words[1 + (i + warmup) % cardinality(words)];
        t0 := clock_timestamp();
        PERFORM count(*) FROM aidis.list_sessions(arg, 'inactive', projects[1 + i % 3]);
      WHEN 'session_details' THEN
        arg := sids[1 + (i + warmup) % cardinality(sids)];
        t0 := clock_timestamp();
        PERFORM aidis.session_details(arg);
      WHEN 'session_timeline (page of 500)' THEN
        arg := sids[1 + (i + warmup) % cardinality(sids)];
        t0 := clock_timestamp();
        PERFORM count(*) FROM aidis.session_timeline(arg);
      WHEN 'session_timeline (page of 50, 2nd)' THEN
        arg := sids[1 + (i + warmup) % cardinality(sids)];
        SELECT max(x.id) INTO n FROM (SELECT a.id FROM aidis.session_timeline(arg, 50) a) x;
        t0 := clock_timestamp();
        PERFORM count(*) FROM aidis.session_timeline(arg, 50, COALESCE(n, 0));
      WHEN 'session_stats(month)' THEN
        PERFORM aidis.session_stats('month');
      WHEN 'session_stats(month, project)' THEN
        arg := projects[1 + (i * 7 + warmup) % cardinality(projects)];
        t0 := clock_timestamp();
        PERFORM aidis.session_stats('month', arg);
      WHEN 'expire_idle_sessions()' THEN
        PERFORM aidis.expire_idle_sessions();
      WHEN 'next_timeout_at()' THEN
        PERFORM aidis.next_timeout_at();
      WHEN 'start_session: project choice' THEN
        PERFORM aidis._choose_project(NULL);
      WHEN 'start_session()' THEN
        -- a new session each call (its own agent/client key), project chosen by rule 2
        PERFORM aidis.start_session('bench-agent', NULL, NULL, NULL, NULL, 'bench-' || i);
      ELSE
        RAISE EXCEPTION 'unknown label %', label;
    END CASE;
    IF label NOT LIKE '%, as aidis_%' THEN
      elapsed := extract(epoch FROM clock_timestamp() - t0) * 1000;
    END IF;
    IF i >= 1 THEN
      INSERT INTO bench.latency VALUES (label, i, arg, elapsed);
    END IF;
    COMMIT;
  END LOOP;
END
$$;
