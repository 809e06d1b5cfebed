-- pgTAP: aidis.project_for_path(path), how `aidis mcp` finds the project of
-- a client's root: the longest root_directory holding the path on a path
-- boundary, not disconnected; relative or NULL paths refused (22023); who
-- may call it. Runs in one transaction that is rolled back.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(18);

SELECT has_function('aidis', 'project_for_path', ARRAY['text'], 'project_for_path(text)');

SELECT aidis.create_project('tap-pfp-shop', '/tap/home/shop');
SELECT aidis.create_project('tap-pfp-web', '/tap/home/shop/web/');  -- trailing slash
SELECT aidis.create_project('tap-pfp-root', '/');
SELECT aidis.create_project('tap-pfp-rel', 'tap/relative');
SELECT aidis.create_project('tap-pfp-gone', '/tap/gone');
SELECT aidis.create_project('tap-pfp-gone-parent', '/tap');
SELECT aidis.disconnect_project('tap-pfp-gone');

SELECT is((aidis.project_for_path('/tap/home/shop')).name, 'tap-pfp-shop', 'the root_directory itself');
SELECT is((aidis.project_for_path('/tap/home/shop/')).name, 'tap-pfp-shop', 'a trailing slash on the path');
SELECT is((aidis.project_for_path('/tap/home/shop/src/cart.ts')).name, 'tap-pfp-shop', 'a path below it');
SELECT is((aidis.project_for_path('/tap/home/shop/web')).name, 'tap-pfp-web',
          'the longest root_directory wins (written with a trailing slash)');
SELECT is((aidis.project_for_path('/tap/home/shop/web/app')).name, 'tap-pfp-web', 'below the nested project');
SELECT is((aidis.project_for_path('/tap/home/shopping')).name, 'tap-pfp-gone-parent',
          'a path boundary: /tap/home/shop does not hold /tap/home/shopping');
SELECT is((aidis.project_for_path('/tap/gone/x')).name, 'tap-pfp-gone-parent',
          'a disconnected project holds nothing: its parent does');
SELECT is((aidis.project_for_path('/elsewhere')).name, 'tap-pfp-root', '/ holds every absolute path');
SELECT is((aidis.project_for_path('/')).name, 'tap-pfp-root', 'the path / itself');
SELECT isnt((aidis.project_for_path('/tap/relative')).name, 'tap-pfp-rel', 'a relative root_directory holds nothing');

SELECT aidis.disconnect_project('tap-pfp-root');
SELECT is((aidis.project_for_path('/elsewhere')).id, NULL, 'no project holds it: all fields NULL');

SELECT throws_ok($$SELECT aidis.project_for_path('tap/home/shop')$$, '22023',
                 'path must be absolute: tap/home/shop', 'a relative path is refused');
SELECT throws_ok($$SELECT aidis.project_for_path(NULL)$$, '22023', NULL, 'NULL is refused');
SELECT throws_ok($$SELECT aidis.project_for_path('')$$, '22023', NULL, 'an empty path is refused');
SELECT throws_ok($$SELECT aidis.project_for_path('/' || repeat('x', 4096))$$, '22023',
                 'path is 4097 characters long; at most 4096 are allowed', 'a path over 4096 characters is refused');

CREATE ROLE tap_pfp_reader NOLOGIN IN ROLE aidis_reader;
CREATE ROLE tap_pfp_nobody NOLOGIN;
SET ROLE tap_pfp_reader;
SELECT is((aidis.project_for_path('/tap/home/shop/x')).name, 'tap-pfp-shop', 'aidis_reader may call it');
RESET ROLE;
SET ROLE tap_pfp_nobody;
SELECT throws_ok($$SELECT aidis.project_for_path('/tap')$$, '42501', NULL, 'a role without aidis_reader may not');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
