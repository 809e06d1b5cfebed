-- Searching sessions: what list_sessions' q matches and the word index
-- that finds it fast (docs/search.md).

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

-- list_sessions q: the word index (see _search_words).
CREATE INDEX session_base_search ON aidis.session_base USING gin
  (aidis._search_words(aidis._search_text(display_id, title, description, goal, tags, agent), started_at));
