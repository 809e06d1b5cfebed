-- Rating a session: one to five stars and a note.

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
