-- pgTAP: aidis.list_projects(), the projects a connection may see (pickers of
-- the sessions page). Readers and writers do not see disconnected projects;
-- admins do; PUBLIC cannot call it. Rolled back: leaves nothing behind.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(7);

DO $$
BEGIN
  PERFORM aidis.create_project('tap-lp-b');
  PERFORM aidis.create_project('tap-lp-a');
  PERFORM aidis.create_project('tap-lp-gone');
  PERFORM aidis.disconnect_project('tap-lp-gone');
END
$$;
CREATE ROLE tap_lp_nobody NOLOGIN;

SELECT is((SELECT array_agg(name ORDER BY ord) FROM aidis.list_projects() WITH ORDINALITY AS p(id, name, status, is_default, root_directory, created_at, ord)
           WHERE name LIKE 'tap-lp-%'),
          ARRAY['tap-lp-a', 'tap-lp-b', 'tap-lp-gone'], 'the owner sees every project, by name');

SET LOCAL ROLE aidis_reader;
SELECT is((SELECT array_agg(name ORDER BY name) FROM aidis.list_projects() WHERE name LIKE 'tap-lp-%'),
          ARRAY['tap-lp-a', 'tap-lp-b'], 'a reader does not see the disconnected project');
SELECT ok(EXISTS (SELECT 1 FROM aidis.list_projects() WHERE id = '00000000-0000-0000-0000-000000000000'),
          'a reader sees the unassigned sentinel (sessions can be there)');
RESET ROLE;

SET LOCAL ROLE aidis_writer;
SELECT is((SELECT count(*)::int FROM aidis.list_projects() WHERE name = 'tap-lp-gone'), 0,
          'a writer does not see the disconnected project');
RESET ROLE;

SET LOCAL ROLE aidis_admin;
SELECT is((SELECT status FROM aidis.list_projects() WHERE name = 'tap-lp-gone'), 'disconnected',
          'an admin sees the disconnected project with its status');
RESET ROLE;

SET LOCAL ROLE tap_lp_nobody;
SELECT throws_ok('SELECT * FROM aidis.list_projects()', '42501', NULL, 'PUBLIC cannot list projects');
RESET ROLE;

SELECT is((SELECT provolatile::text FROM pg_proc WHERE oid = 'aidis.list_projects()'::regprocedure), 's',
          'list_projects is STABLE (no writes)');

SELECT * FROM finish();
ROLLBACK;
