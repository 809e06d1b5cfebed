-- Editing a session's own fields.

-- A text argument's limit: longer than max_chars characters is 22023, "<what>
-- N characters long; at most max_chars are allowed" (what: 'title is',
-- 'notes are'). Also used by rate_session and _check_q.
CREATE FUNCTION aidis._check_text_length(val text, max_chars integer, what text) RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF char_length(val) > max_chars THEN
    RAISE EXCEPTION '% % characters long; at most % are allowed', what, char_length(val), max_chars
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;

-- The session a change is for (update_session, rate_session), after its
-- arguments are checked: found, the caller allowed to change it, this
-- transaction's own work flushed, its row locked, its project connected.
CREATE FUNCTION aidis._session_to_change(s text)
  RETURNS aidis.session_base
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cur aidis.session_base;
  sid uuid := aidis._find_session(s);
BEGIN
  PERFORM aidis._check_may_change(sid);
  PERFORM aidis._flush_pending();  -- see this transaction's own work
  SELECT * INTO cur FROM aidis.session_base b WHERE b.id = sid FOR UPDATE;
  PERFORM aidis._refuse_if_disconnected(cur.project_id);
  RETURN cur;
END
$$;

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
  cur aidis.session_base;
  sid uuid;
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
  cur := aidis._session_to_change(s);
  sid := cur.id;

  new_title := cur.title;
  IF title IS NOT NULL THEN
    new_title := btrim(title);
    IF new_title = '' THEN
      RAISE EXCEPTION 'the title cannot be cleared' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM aidis._check_text_length(new_title, 255, 'title is');
  END IF;
  new_description := CASE WHEN description IS NULL THEN cur.description ELSE NULLIF(btrim(description), '') END;
  PERFORM aidis._check_text_length(new_description, 2000, 'description is');
  new_goal := CASE WHEN goal IS NULL THEN cur.goal ELSE NULLIF(btrim(goal), '') END;
  PERFORM aidis._check_text_length(new_goal, 2000, 'goal is');
  new_notes := CASE WHEN notes IS NULL THEN cur.notes ELSE NULLIF(btrim(notes), '') END;
  IF NULLIF(btrim(append_notes), '') IS NOT NULL THEN  -- under the row lock: concurrent appends both stay
    new_notes := concat_ws(E'\n', new_notes, btrim(append_notes));
  END IF;
  PERFORM aidis._check_text_length(new_notes, 10000, 'notes are');
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
  PERFORM aidis._check_text_length(new_model, 200, 'ai_model is');
  new_agent := cur.agent;
  IF agent IS NOT NULL THEN
    IF btrim(agent) = '' THEN
      RAISE EXCEPTION 'the agent cannot be cleared' USING ERRCODE = 'invalid_parameter_value',
        HINT = 'Give the agent''s name, e.g. claude-code.';
    END IF;
    PERFORM aidis._check_text_length(btrim(agent), 200, 'agent is');
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
