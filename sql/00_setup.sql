-- Helpers shared by the regression files (they run in order, in one database).

-- SQLSTATE of a statement, or 'ok'. For errors whose message names a display
-- id: display ids carry the year, so such messages are not stable output.
CREATE FUNCTION public.sqlstate_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE statement;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
SELECT public.sqlstate_of('SELECT 1/0') AS division_by_zero, public.sqlstate_of('SELECT 1') AS fine;
