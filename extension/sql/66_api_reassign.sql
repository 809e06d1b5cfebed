-- Moving a session to another project, confirmed with a token.

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

-- A confirmation token of a two-step change (reassign_project,
-- delete_session): the time of issue, then a digest under the secret of the
-- change's purpose, its parts and that time.
CREATE FUNCTION aidis._confirm_token(purpose text, issued bigint, VARIADIC parts text[]) RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT issued::text || '.' ||
         left(encode(sha256(k.secret || convert_to(concat_ws('|', VARIADIC purpose || parts || issued::text),
                                                     'UTF8')), 'hex'), 32)
  FROM aidis.api_secret k
$$;

-- The time a confirmation token was issued; a token of another form is 22023
-- (`call`: how to get one).
CREATE FUNCTION aidis._token_issued(token text, call text) RETURNS bigint
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF token !~ '^[0-9]{1,12}\.[0-9a-f]{32}$' THEN
    RAISE EXCEPTION 'malformed confirmation token' USING ERRCODE = 'invalid_parameter_value',
      HINT = format('Call %s without a token to get one.', call);
  END IF;
  RETURN split_part(token, '.', 1)::bigint;
END
$$;

-- A token that is not the one this change would issue now (`expected`), or
-- older than 10 minutes, is 22023: `what` the change, `why` what differs.
CREATE FUNCTION aidis._check_confirmation(token text, expected text, issued bigint, what text, why text,
                                          call text) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF token <> expected THEN
    RAISE EXCEPTION 'confirmation token does not match %', what
      USING ERRCODE = 'invalid_parameter_value', DETAIL = why,
            HINT = format('Call %s without a token to get a new one.', call);
  END IF;
  IF issued + 600 < extract(epoch FROM clock_timestamp()) THEN
    RAISE EXCEPTION 'confirmation token expired at %', to_timestamp(issued + 600)
      USING ERRCODE = 'invalid_parameter_value', HINT = format('Call %s without a token to get a new one.', call);
  END IF;
END
$$;

CREATE FUNCTION aidis._reassign_token(sid uuid, source uuid, target uuid, state timestamptz, issued bigint)
  RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT aidis._confirm_token('aidis.reassign_project.v1', issued, sid::text, source::text, target::text,
                              extract(epoch FROM state)::text)
$$;

-- Moves a session's rows of the tracked tables, table by table as its owner:
-- those filed under project `source` to project `target` (_host_move, a
-- reassignment), or (source NULL) all of them to session `to_session`
-- (_host_move_session, a deletion). The tracking triggers let the moved rows
-- through: moving a row is not activity (it would count as one and move
-- last_activity_at) and does not touch tasks.updated_at. A host table's own
-- triggers fire as for any UPDATE. Returns how many moved: contexts, tasks
-- and decisions.
CREATE FUNCTION aidis._move_tracked_rows(sid uuid, source uuid, target uuid, to_session uuid) RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t record;
  moved jsonb := '{"context": 0, "task": 0, "decision": 0}';
BEGIN
  FOR t IN SELECT tt.tbl, tt.kind FROM aidis.tracked_tables tt JOIN pg_class c ON c.oid = tt.tbl::oid
           ORDER BY tt.tbl::text LOOP
    moved := jsonb_set(moved, ARRAY[t.kind], to_jsonb((moved ->> t.kind)::bigint
               + CASE WHEN source IS NULL THEN aidis._host_move_session(t.tbl, sid, to_session)
                      ELSE aidis._host_move(t.tbl, sid, source, target) END));
  END LOOP;
  RETURN jsonb_build_object('contexts', moved -> 'context', 'tasks', moved -> 'task',
                            'decisions', moved -> 'decision');
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
    moves := aidis._session_row_counts(sid, src.id);
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

  issued := aidis._token_issued(token, 'aidis.reassign_project(s, project)');
  PERFORM aidis._check_confirmation(
    token, aidis._reassign_token(sid, src.id, dst.id, cur.updated_at, issued), issued, 'this reassignment',
    'It was issued for another session or project, or the session changed since (or the token was already used).',
    'aidis.reassign_project(s, project)');

  -- Apply. The session tables keep their writable triggers (both projects are
  -- connected and locked).
  UPDATE aidis.session_base b SET project_id = dst.id, updated_at = clock_timestamp() WHERE b.id = sid;
  UPDATE aidis.session_deltas d SET project_id = dst.id WHERE d.session_id = sid;
  UPDATE aidis.session_activities a SET project_id = dst.id WHERE a.session_id = sid AND a.project_id = src.id;
  GET DIAGNOSTICS events = ROW_COUNT;
  UPDATE aidis.session_files f SET project_id = dst.id WHERE f.session_id = sid AND f.project_id = src.id;
  GET DIAGNOSTICS files = ROW_COUNT;
  moves := aidis._move_tracked_rows(sid, src.id, dst.id, NULL)
           || jsonb_build_object('timeline_events', events, 'files', files);
  PERFORM aidis._log_event(sid, 'project_reassigned', clock_timestamp(),
                           format('moved from project "%s" to "%s"', src.name, dst.name),
                           jsonb_build_object('from_project_id', src.id, 'from_project', src.name,
                                              'to_project_id', dst.id, 'to_project', dst.name,
                                              'moved', moves));
  PERFORM aidis._notify('reassigned', sid);
  -- Every backend forgets the session's old project when this commits.
  PERFORM aidis._invalidate_caches();  -- here too, at once
  RETURN jsonb_build_object('status', 'reassigned', 'session_id', sid, 'display_id', cur.display_id,
                            'from_project_id', src.id, 'from_project', src.name,
                            'to_project_id', dst.id, 'to_project', dst.name, 'moved', moves);
END
$$;
