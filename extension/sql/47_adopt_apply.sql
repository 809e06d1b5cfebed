-- aidis.adopt() itself, and the import it applies (docs/adopting.md).

-- TRUNCATE of the adopted projects table (CASCADE would take the host's
-- sessions and rows with it) is refused.
CREATE FUNCTION aidis._host_project_truncate() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION '% is adopted: its projects are the extension''s', TG_RELID::regclass
    USING ERRCODE = 'object_not_in_prerequisite_state',
          HINT = 'Disconnect projects with aidis.disconnect_project() instead of deleting them.';
END
$$;

-- The bulk of adopt(apply => true): the sessions with their counters and
-- stored active seconds, and their timelines, each one set-based INSERT.
-- aidis.importing (superuser only, restored when this returns or fails) lets
-- the rows past the per-row disconnected-project check of the session tables:
-- _adopt_apply checked their projects as a whole before calling this.
CREATE FUNCTION aidis._adopt_write() RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  SET aidis.importing = on
AS $$
BEGIN
  -- Active seconds of the ended sessions, as _close_session stores them
  -- (aidis._active_seconds over the moments of the timeline written below),
  -- for all of them in one pass.
  CREATE TEMP TABLE adopt_active ON COMMIT DROP AS
  SELECT g.session_id,
         COALESCE(floor(sum(LEAST(g.gap, 900)) FILTER (WHERE g.gap IS NOT NULL)), 0)::bigint AS secs
  FROM (SELECT m.session_id,
               extract(epoch FROM m.t - lag(m.t) OVER (PARTITION BY m.session_id ORDER BY m.t)) AS gap
        FROM (SELECT e.session_id, e.t
              FROM (SELECT r.session_id, COALESCE(r.created_at, s.started) AS t, s.started, s.ended_at
                    FROM pg_temp.adopt_rows r JOIN pg_temp.adopt_sessions s ON s.id = r.session_id
                    WHERE s.ended_at IS NOT NULL
                    UNION ALL
                    SELECT r.session_id, GREATEST(r.completed_at, COALESCE(r.created_at, s.started)), s.started, s.ended_at
                    FROM pg_temp.adopt_rows r JOIN pg_temp.adopt_sessions s ON s.id = r.session_id
                    WHERE s.ended_at IS NOT NULL AND r.kind = 'task' AND r.status = 'completed'
                    UNION ALL
                    SELECT s.id, x.t, s.started, s.ended_at
                    FROM pg_temp.adopt_sessions s CROSS JOIN LATERAL (VALUES (s.started), (s.ended_at)) x(t)
                    WHERE s.ended_at IS NOT NULL) e
              WHERE e.t >= e.started AND e.t <= e.ended_at
              UNION ALL
              SELECT s.id, x.t
              FROM pg_temp.adopt_sessions s
              CROSS JOIN LATERAL (VALUES (s.started), (GREATEST(s.started, LEAST(s.last_at, s.ended_at)))) x(t)
              WHERE s.ended_at IS NOT NULL) m) g
  GROUP BY g.session_id;
  CREATE UNIQUE INDEX ON pg_temp.adopt_active (session_id);

  -- The sessions as they are at the end of their history: counters from
  -- their rows (rows in another project than their session's included).
  INSERT INTO aidis.session_base (id, display_id, title, description, goal, tags, project_id, agent,
                                  ai_model, client_key, status, end_reason, started_at,
                                  last_activity_at, ended_at, contexts_created, tasks_created,
                                  tasks_completed, decisions_created, activity_count,
                                  input_tokens, output_tokens, estimated_tokens, active_seconds,
                                  created_at, updated_at)
  SELECT s.id, s.display_id, s.title, left(s.description, 2000), left(s.goal, 2000), s.tags,
         s.project_id, s.agent, s.ai_model, s.client_key, s.status, s.end_reason, s.started, s.last_at,
         s.ended_at, s.contexts, s.tasks, s.completed, s.decisions,
         s.contexts + s.tasks + s.completed + s.decisions,
         s.input_tokens, s.output_tokens, s.tokens, a.secs, s.started, now()
  FROM pg_temp.adopt_sessions s LEFT JOIN pg_temp.adopt_active a ON a.session_id = s.id
  ORDER BY s.id;
  DROP TABLE pg_temp.adopt_active;

  -- New display ids continue after the highest of each year.
  INSERT INTO aidis.display_id_counters AS k (year, last_seq)
  SELECT substr(s.display_id, 5, 4)::integer, max(substr(s.display_id, 10)::integer)
  FROM pg_temp.adopt_sessions s GROUP BY 1
  ON CONFLICT (year) DO UPDATE SET last_seq = GREATEST(k.last_seq, excluded.last_seq);

  -- The timeline: start and end of each session, an event per row at its
  -- created_at and one per completed task at its completed_at; in time order
  -- within each session, as the tracking trigger would have written them.
  INSERT INTO aidis.session_activities (session_id, project_id, occurred_at, kind, entity_id, summary, data)
  SELECT e.session_id, e.project_id, e.occurred_at, e.kind, e.entity_id, e.summary, e.data
  FROM (
    SELECT s.id AS session_id, s.project_id, s.started AS occurred_at, 0 AS phase, 0 AS step,
           'session_started' AS kind, NULL::text AS entity_id, 'session started' AS summary,
           jsonb_build_object('agent', s.agent, 'project_id', s.project_id) AS data
    FROM pg_temp.adopt_sessions s
    UNION ALL
    SELECT r.session_id, s.project_id, COALESCE(r.created_at, s.started), 1, 0,
           CASE r.kind WHEN 'context' THEN 'context_added' WHEN 'task' THEN 'task_created' ELSE 'decision_made' END,
           r.id, r.summary,
           jsonb_strip_nulls(jsonb_build_object('table', r.tbl, 'context_type', NULLIF(r.context_type, ''),
                                                'status', NULLIF(r.status, '')))
    FROM pg_temp.adopt_rows r JOIN pg_temp.adopt_sessions s ON s.id = r.session_id
    UNION ALL
    SELECT r.session_id, s.project_id, GREATEST(r.completed_at, COALESCE(r.created_at, s.started)), 1, 1,
           'task_completed', r.id, r.summary, jsonb_build_object('table', r.tbl, 'to', 'completed')
    FROM pg_temp.adopt_rows r JOIN pg_temp.adopt_sessions s ON s.id = r.session_id
    WHERE r.kind = 'task' AND r.status = 'completed'
    UNION ALL
    SELECT s.id, s.project_id, s.ended_at, 2, 0,
           CASE s.end_reason WHEN 'timeout' THEN 'session_timeout' ELSE 'session_ended' END, NULL,
           'session ' || CASE s.end_reason WHEN 'ended' THEN 'ended' WHEN 'timeout' THEN 'timed out'
                                           ELSE 'superseded by a new session' END,
           jsonb_build_object('end_reason', s.end_reason)
    FROM pg_temp.adopt_sessions s WHERE s.ended_at IS NOT NULL) e
  ORDER BY e.session_id, e.phase, e.occurred_at, e.entity_id COLLATE "C", e.step;
END
$$;

-- The writes of adopt(apply => true), from what _adopt_stage read.
CREATE FUNCTION aidis._adopt_apply(host aidis.adoption) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  conflict record;
  disconnected text;
  fkey record;
  fkeys jsonb;
BEGIN
  FOR conflict IN SELECT c.key, c.value FROM jsonb_each(host.report -> 'conflicts') c
                  WHERE (c.value ->> 'count')::bigint > 0 ORDER BY c.key LOOP
    RAISE EXCEPTION 'cannot adopt: % (%)', replace(conflict.key, '_', ' '), conflict.value ->> 'count'
      USING ERRCODE = CASE conflict.key WHEN 'rows_of_unknown_sessions' THEN 'foreign_key_violation'
                                        ELSE 'unique_violation' END,
            DETAIL = 'For example: ' || (conflict.value -> 'ids')::text,
            HINT = 'The "conflicts" of aidis.adopt() without apply list them.';
  END LOOP;

  -- 1. Projects: the host's become the extension's (same ids and names), and
  -- the extension's (__unassigned__ at least) go into the host's table.
  INSERT INTO aidis.projects AS p (id, name, status, root_directory, created_at, updated_at)
  SELECT h.id, h.name, aidis._host_project_status(h.status), h.root_directory,
         COALESCE(h.created_at, now()), now()
  FROM pg_temp.adopt_projects h
  ON CONFLICT (id) DO UPDATE
    SET name = excluded.name, root_directory = COALESCE(excluded.root_directory, p.root_directory),
        status = CASE WHEN p.status = 'disconnected' THEN p.status ELSE excluded.status END,
        updated_at = excluded.updated_at;
  PERFORM aidis._host_insert_project(host.projects, p.id, p.name, p.root_directory)
  FROM aidis.projects p
  WHERE NOT EXISTS (SELECT 1 FROM pg_temp.adopt_projects h WHERE h.id = p.id);

  -- 2. Sessions and their timelines, written with the check of the session
  -- tables off (_adopt_write): one check of their projects here instead.
  SELECT p.name INTO disconnected
  FROM aidis.projects p
  WHERE p.status = 'disconnected'
    AND p.id IN (SELECT s.project_id FROM pg_temp.adopt_sessions s)
  ORDER BY p.name LIMIT 1;
  PERFORM aidis._refuse_disconnected(disconnected, 'Host sessions of a disconnected project cannot be imported.');
  PERFORM aidis._adopt_write();
  -- Rows naming sessions the extension had before count for them too.
  UPDATE aidis.session_base b
  SET contexts_created = b.contexts_created + c.contexts, tasks_created = b.tasks_created + c.tasks,
      decisions_created = b.decisions_created + c.decisions
  FROM pg_temp.adopt_counts c
  WHERE b.id = c.session_id AND NOT EXISTS (SELECT 1 FROM pg_temp.adopt_sessions s WHERE s.id = c.session_id);

  -- 5. The row tables' foreign keys to the host's sessions give way to the
  -- tracking trigger's check (same 23503); their definitions are kept.
  SELECT COALESCE(jsonb_agg(jsonb_build_object('table', f.tbl::text, 'name', f.name, 'definition', f.definition)), '[]')
  INTO fkeys FROM aidis._adopt_session_fkeys(host) f;
  FOR fkey IN SELECT * FROM aidis._adopt_session_fkeys(host) LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fkey.tbl, fkey.name);
  END LOOP;

  -- 6. The host tables, tracked in place. Their rows are counted already
  -- (the sessions were written with their counters).
  PERFORM aidis._track_install(r.tbl, r.kind) FROM aidis._adopt_row_tables(host) r;

  -- 7. One concept of projects from now on.
  EXECUTE format('CREATE TRIGGER zz_aidis_project_check BEFORE UPDATE OR DELETE ON %s
                  FOR EACH ROW EXECUTE FUNCTION aidis._host_project_check()', host.projects);
  EXECUTE format('CREATE TRIGGER zz_aidis_project_mirror AFTER INSERT OR UPDATE OR DELETE ON %s
                  FOR EACH ROW EXECUTE FUNCTION aidis._host_project_mirror()', host.projects);
  EXECUTE format('CREATE TRIGGER zz_aidis_project_truncate BEFORE TRUNCATE ON %s
                  FOR EACH STATEMENT EXECUTE FUNCTION aidis._host_project_truncate()', host.projects);

  INSERT INTO aidis.adoption (projects, sessions, contexts, tasks, decisions, foreign_keys, report)
  VALUES (host.projects, host.sessions, host.contexts, host.tasks, host.decisions, fkeys, host.report);
  PERFORM aidis._invalidate_caches();
END
$$;

CREATE FUNCTION aidis.adopt(projects regclass, sessions regclass DEFAULT NULL,
                            contexts regclass DEFAULT NULL, tasks regclass DEFAULT NULL,
                            decisions regclass DEFAULT NULL, apply boolean DEFAULT false)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET work_mem = '256MB'  -- a one-off of a few sorts of every host row
AS $$
DECLARE
  given regclass[] := ARRAY[projects, sessions, contexts, tasks, decisions];
  one regclass;
  host aidis.adoption;
  earlier aidis.adoption;
BEGIN
  IF projects IS NULL OR apply IS NULL THEN
    RAISE EXCEPTION 'adopt needs the host''s projects table, and apply true or false'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('aidis_sessions.adopt'));
  SELECT * INTO earlier FROM aidis.adoption;
  IF FOUND THEN
    RAISE EXCEPTION 'this database has been adopted already (%)', earlier.projects
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('Adopted at %s; aidis.adoption holds what was done.', earlier.adopted_at);
  END IF;
  IF (SELECT count(DISTINCT g) <> count(g) FROM unnest(given) g) THEN
    RAISE EXCEPTION 'a host table is given twice' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOREACH one IN ARRAY given LOOP
    CONTINUE WHEN one IS NULL;
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = one) NOT IN ('r', 'p') THEN
      RAISE EXCEPTION '% is not a table', one USING ERRCODE = 'wrong_object_type';
    END IF;
    IF (SELECT c.relnamespace FROM pg_class c WHERE c.oid = one) = 'aidis'::regnamespace THEN
      RAISE EXCEPTION '% is part of the extension, not a host table', one
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM aidis.tracked_tables x WHERE x.tbl = one) THEN
      RAISE EXCEPTION '% is already tracked', one USING ERRCODE = 'duplicate_object';
    END IF;
  END LOOP;

  host.projects := projects;
  host.sessions := sessions;
  host.contexts := contexts;
  host.tasks := tasks;
  host.decisions := decisions;
  PERFORM aidis._adopt_stage(host, apply);
  host.report := aidis._adopt_report(host);
  IF apply THEN
    PERFORM aidis._adopt_apply(host);
  END IF;
  DROP TABLE pg_temp.adopt_projects, pg_temp.adopt_rows, pg_temp.adopt_host_sessions,
             pg_temp.adopt_counts, pg_temp.adopt_sessions;
  RETURN host.report || jsonb_build_object('applied', apply);
END
$$;
