-- aidis_sessions install script, assembled from extension/sql/*.sql in name order.
-- Everything is schema-qualified; functions pin search_path.
\echo Use "CREATE EXTENSION aidis_sessions" to load this file. \quit

-- Roles are cluster-wide: create them once, reuse them in every database.
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aidis_reader') THEN
    CREATE ROLE aidis_reader NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aidis_writer') THEN
    CREATE ROLE aidis_writer NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'aidis_admin') THEN
    CREATE ROLE aidis_admin NOLOGIN;
  END IF;
END
$roles$;

GRANT aidis_reader TO aidis_writer;
GRANT aidis_writer TO aidis_admin;
