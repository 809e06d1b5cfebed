-- Rating a session: one to five stars and a note.

-- Each rating replaces the previous one, note included (NULL or '' = no note).
CREATE FUNCTION aidis.rate_session(s text, stars integer, note text DEFAULT NULL) RETURNS aidis.sessions
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cur aidis.session_base;
  new_note text := NULLIF(btrim(note), '');
  result aidis.sessions;
BEGIN
  IF stars IS NULL OR stars < 1 OR stars > 5 THEN
    RAISE EXCEPTION 'stars must be 1 to 5, not %', COALESCE(stars::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM aidis._check_text_length(new_note, 2000, 'note is');
  cur := aidis._session_to_change(s);  -- (65_api_edit.sql)
  UPDATE aidis.session_base b
  SET rating = stars, rating_note = new_note, updated_at = clock_timestamp()
  WHERE b.id = cur.id;
  PERFORM aidis._log_event(cur.id, 'rated', clock_timestamp(), format('rated %s/5', stars),
                           jsonb_strip_nulls(jsonb_build_object('stars', stars, 'note', new_note,
                                                                'previous', cur.rating)));
  PERFORM aidis._notify('rated', cur.id);
  SELECT * INTO result FROM aidis.sessions x WHERE x.id = cur.id;
  RETURN result;
END
$$;
