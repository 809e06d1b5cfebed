-- Deleting a session without losing its work (docs/retention.md), confirmed
-- with a token like a project reassignment (66_api_reassign.sql).
--
-- The session row goes; everything it holds moves to the receiving session:
-- the active session of its project (the most recently active one), else the
-- project's holder session "__unassigned__", an ended session created for
-- this. Tracked rows (host tables too, moved as their owner), timeline
-- events and files move, each keeping the project it is filed under; every
-- counter is added to the receiving session's; its timeline gets a
-- session_deleted event saying what came.

-- The project's holder session (agent 'aidis', client_key '__unassigned__'),
-- created ended on first use. Only aidis_admin may change it (started_by).
CREATE FUNCTION aidis._holder_session(pid uuid) RETURNS uuid
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
  at timestamptz := clock_timestamp();
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('aidis_sessions.holder'), hashtext(pid::text));
  SELECT b.id INTO sid FROM aidis.session_base b
  WHERE b.project_id = pid AND b.agent = 'aidis' AND b.client_key = '__unassigned__'
  ORDER BY b.started_at, b.id LIMIT 1;
  IF FOUND THEN
    RETURN sid;
  END IF;
  INSERT INTO aidis.session_base (display_id, title, description, project_id, agent, client_key, status,
                                  end_reason, started_at, last_activity_at, ended_at, created_at, updated_at,
                                  active_seconds, started_by)
  VALUES (aidis._next_display_id(at), '__unassigned__',
          'Holds the work of deleted sessions of this project that had no active session to go to.',
          pid, 'aidis', '__unassigned__', 'inactive', 'ended', at, at, at, at, at, 0, 'aidis_admin')
  RETURNING id INTO sid;
  RETURN sid;
END
$$;

-- Where a deletion of `sid` sends its work: the project's active session, else its holder (NULL: not created yet).
CREATE FUNCTION aidis._deletion_target(sid uuid, pid uuid) RETURNS uuid
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT COALESCE(
    (SELECT l.session_id FROM aidis._latest_session(pid) l),
    (SELECT b.id FROM aidis.session_base b
     WHERE b.project_id = pid AND b.agent = 'aidis' AND b.client_key = '__unassigned__' AND b.id <> sid
     ORDER BY b.started_at, b.id LIMIT 1))
$$;

-- The token: a digest of the session, where its work goes, and its state
-- (updated_at, activity count, last event): any change since asks for a new one.
CREATE FUNCTION aidis._delete_token(sid uuid, target uuid, state text, issued bigint) RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._confirm_token('aidis.delete_session.v1', issued, sid::text, COALESCE(target::text, 'holder'), state)
$$;

CREATE FUNCTION aidis._deletion_state(sid uuid) RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT concat_ws('|', extract(epoch FROM s.updated_at), s.activity_count,
                   (SELECT max(a.id) FROM aidis.session_activities a WHERE a.session_id = sid),
                   s.files_touched)
  FROM aidis.sessions s WHERE s.id = sid
$$;

CREATE FUNCTION aidis.delete_session(s text, confirm text DEFAULT NULL) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sid uuid;
  cur aidis.sessions;
  target uuid;
  dst aidis.session_base;
  pname text;
  token text := NULLIF(btrim(confirm), '');
  issued bigint;
  moves jsonb;
  moved jsonb;
  events bigint;
  files bigint;
BEGIN
  IF s IS NULL THEN  -- never "the current session": that one is active anyway
    RAISE EXCEPTION 'delete_session needs a session' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  sid := aidis._find_session(s);
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  IF token IS NOT NULL THEN
    -- The project (FOR SHARE, like reassign_project), then the session.
    PERFORM 1 FROM aidis.projects p JOIN aidis.session_base b ON b.project_id = p.id
    WHERE b.id = sid FOR SHARE OF p;
    PERFORM 1 FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  END IF;
  SELECT * INTO cur FROM aidis.sessions x WHERE x.id = sid;
  SELECT p.name INTO pname FROM aidis.projects p WHERE p.id = cur.project_id;
  PERFORM aidis._refuse_if_disconnected(cur.project_id);
  IF cur.status = 'active' THEN
    RAISE EXCEPTION 'session % is active', cur.display_id
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Its client may still be writing to it.',
            HINT = 'End it first with aidis.end_session().';
  END IF;
  target := aidis._deletion_target(sid, cur.project_id);
  IF target IS NULL AND cur.agent = 'aidis' AND cur.client_key = '__unassigned__' THEN
    RAISE EXCEPTION 'session % holds the work of deleted sessions of project "%"', cur.display_id, pname
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'It can be deleted while the project has an active session to receive it.';
  END IF;

  IF token IS NULL THEN
    issued := floor(extract(epoch FROM clock_timestamp()))::bigint;
    moves := aidis._session_row_counts(sid);
    SELECT * INTO dst FROM aidis.session_base b WHERE b.id = target;
    RETURN jsonb_build_object(
      'status', 'confirmation_required',
      'warning', format('Session %s will be deleted. Everything it holds (contexts: %s, tasks: %s, decisions: %s, '
                        'timeline events: %s, files: %s) and its counters move to %s.',
                        cur.display_id, moves ->> 'contexts', moves ->> 'tasks', moves ->> 'decisions',
                        moves ->> 'timeline_events', moves ->> 'files',
                        CASE WHEN target IS NULL THEN format('a new session "__unassigned__" of project "%s"', pname)
                             ELSE format('session %s ("%s")', dst.display_id, dst.title) END),
      'hint', 'To apply, call aidis.delete_session again with confirm => the token, within 10 minutes.',
      'confirm', aidis._delete_token(sid, target, aidis._deletion_state(sid), issued),
      'expires_at', to_timestamp(issued + 600),
      'session_id', sid, 'display_id', cur.display_id, 'project_id', cur.project_id, 'project', pname,
      'to_session_id', target, 'to_display_id', dst.display_id,
      'moves', moves);
  END IF;

  issued := aidis._token_issued(token, 'aidis.delete_session(s)');
  PERFORM aidis._check_confirmation(
    token, aidis._delete_token(sid, target, aidis._deletion_state(sid), issued), issued, 'this deletion',
    'It was issued for another session, the session or the session receiving its work changed since (or the token was already used).',
    'aidis.delete_session(s)');

  -- Apply.
  target := COALESCE(target, aidis._holder_session(cur.project_id));
  SELECT * INTO dst FROM aidis.session_base b WHERE b.id = target FOR UPDATE;
  -- Tracked rows (66_api_reassign.sql): the counters move below, all at once.
  moved := aidis._move_tracked_rows(sid, NULL, NULL, target);
  UPDATE aidis.session_activities a SET session_id = target WHERE a.session_id = sid;
  GET DIAGNOSTICS events = ROW_COUNT;
  INSERT INTO aidis.session_files AS f (session_id, path, project_id, mentions, modifications, loc_added,
                                        loc_removed, first_at, last_at)
  SELECT target, x.path, x.project_id, x.mentions, x.modifications, x.loc_added, x.loc_removed, x.first_at, x.last_at
  FROM aidis.session_files x WHERE x.session_id = sid
  ON CONFLICT (session_id, path) DO UPDATE
  SET mentions = f.mentions + excluded.mentions, modifications = f.modifications + excluded.modifications,
      loc_added = f.loc_added + excluded.loc_added, loc_removed = f.loc_removed + excluded.loc_removed,
      first_at = LEAST(f.first_at, excluded.first_at), last_at = GREATEST(f.last_at, excluded.last_at);
  GET DIAGNOSTICS files = ROW_COUNT;
  DELETE FROM aidis.session_files x WHERE x.session_id = sid;
  DELETE FROM aidis.session_deltas d WHERE d.session_id = sid;
  -- An imported session's count of rows this database lacks (72_export.sql)
  -- goes with its counters, so that check_counters() still holds.
  INSERT INTO aidis.session_imports AS i (session_id, contexts, tasks, decisions, version)
  SELECT target, x.contexts, x.tasks, x.decisions, x.version FROM aidis.session_imports x WHERE x.session_id = sid
  ON CONFLICT (session_id) DO UPDATE
  SET contexts = i.contexts + excluded.contexts, tasks = i.tasks + excluded.tasks,
      decisions = i.decisions + excluded.decisions, version = GREATEST(i.version, excluded.version);
  DELETE FROM aidis.session_imports x WHERE x.session_id = sid;
  DELETE FROM aidis.session_base b WHERE b.id = sid;
  -- Its counters (folded and pending, read before the delete) join the
  -- receiver's: every counter a delta carries (the bigint columns of
  -- session_deltas, which the fold adds the same way).
  EXECUTE (SELECT format($sql$
             UPDATE aidis.session_base b SET %s,
               -- The holder spans the work it holds.
               started_at = CASE WHEN b.client_key = '__unassigned__' AND b.agent = 'aidis'
                                 THEN LEAST(b.started_at, ($1).started_at) ELSE b.started_at END,
               compacted_id = NULL,  -- the moved events are looked at again
               updated_at = clock_timestamp()
             WHERE b.id = $2 $sql$,
             string_agg(format('%1$I = b.%1$I + ($1).%1$I', a.attname), ', ' ORDER BY a.attnum))
           FROM pg_attribute a
           WHERE a.attrelid = 'aidis.session_deltas'::regclass AND a.attnum > 0 AND NOT a.attisdropped
             AND a.atttypid = 'bigint'::regtype)
    USING cur, target;

  moves := moved || jsonb_build_object('timeline_events', events, 'files', files);
  PERFORM aidis._log_event(target, 'session_deleted', clock_timestamp(),
                           format('session %s "%s" deleted; its work moved here', cur.display_id, cur.title),
                           jsonb_build_object('session_id', sid, 'display_id', cur.display_id, 'title', cur.title,
                                              'agent', cur.agent, 'started_at', cur.started_at,
                                              'ended_at', cur.ended_at, 'moved', moves,
                                              'counters', jsonb_build_object(
                                                'contexts_created', cur.contexts_created,
                                                'tasks_created', cur.tasks_created,
                                                'tasks_completed', cur.tasks_completed,
                                                'tasks_reopened', cur.tasks_reopened,
                                                'decisions_created', cur.decisions_created,
                                                'activity_count', cur.activity_count)));
  PERFORM pg_notify('aidis_sessions', json_build_object(
            'event', 'deleted', 'session_id', sid, 'display_id', cur.display_id, 'project_id', cur.project_id,
            'agent', cur.agent, 'moved_to', target, 'at', clock_timestamp())::text);
  PERFORM aidis._notify('received', target);
  PERFORM aidis._invalidate_caches();  -- here too, at once
  RETURN jsonb_build_object('status', 'deleted', 'session_id', sid, 'display_id', cur.display_id,
                            'to_session_id', target, 'to_display_id', dst.display_id, 'moved', moves);
END
$$;
