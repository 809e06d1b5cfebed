-- aidis_sessions 0.3.0 -> 0.4.0 (see the README's upgrade table).
\echo Use "ALTER EXTENSION aidis_sessions UPDATE TO '0.4.0'" to load this file. \quit

-- === h-mcp begin ===
-- The project whose root_directory holds a path (an MCP client's root): the
-- longest root_directory that is the path or one of its parents, on a path
-- boundary ('/home/me/shop' holds '/home/me/shop/src', not '/home/me/shopping').
-- Paths are compared as given (no . or .. resolution). Disconnected projects
-- take no sessions, so they hold nothing. All fields NULL when none does.
CREATE FUNCTION aidis.project_for_path(path text) RETURNS aidis.projects
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  found aidis.projects;
BEGIN
  IF path IS NULL OR left(path, 1) <> '/' THEN
    RAISE EXCEPTION 'path must be absolute: %', COALESCE(path, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT p.* INTO found FROM aidis.projects p
  WHERE p.status <> 'disconnected' AND left(p.root_directory, 1) = '/'
    AND starts_with(rtrim(path, '/') || '/', rtrim(p.root_directory, '/') || '/')
  ORDER BY char_length(rtrim(p.root_directory, '/')) DESC, p.created_at DESC, p.id
  LIMIT 1;
  RETURN found;
END
$$;

REVOKE ALL ON FUNCTION aidis.project_for_path(text) FROM PUBLIC;
-- A read: readers, and through them writers (the MCP server) and admins.
GRANT EXECUTE ON FUNCTION aidis.project_for_path(text) TO aidis_reader;
-- === h-mcp end ===
