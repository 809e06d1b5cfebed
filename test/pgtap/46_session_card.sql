-- pgTAP: what clients show comes from the database: session_card() (project
-- name, wall seconds, score label, resumed), score_label()'s bands, and
-- end_session(s, files) recording the files and ending in one transaction.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(23);

SELECT aidis.create_project('tap-card', '/srv/tap-card');

-- A new session is not resumed; starting again for the same client resumes it.
CREATE TEMP TABLE card AS
SELECT aidis.session_card(s) AS c
FROM aidis.start_session(agent => 'tap-card', client_key => 'k', project => 'tap-card', force_new => true) s;
SELECT is((SELECT c ->> 'resumed' FROM card), 'false', 'a started session is not resumed');
SELECT is((SELECT c ->> 'project_name' FROM card), 'tap-card', 'the card names the project');
SELECT ok((SELECT (c ->> 'wall_seconds')::bigint >= 0 FROM card), 'the card has the wall seconds');
SELECT is((SELECT (aidis.session_card(s) ->> 'resumed')
           FROM aidis.start_session(agent => 'tap-card', client_key => 'k') s),
          'true', 'starting again for the same agent and client resumes it');
SELECT is((SELECT (aidis.session_card(s) ->> 'id')
           FROM aidis.start_session(agent => 'tap-card', client_key => 'k') s),
          (SELECT c ->> 'id' FROM card), 'the resumed card is the same session');

-- The timeline's kinds are one list (a CHECK): an unknown kind is refused.
SELECT throws_ok($$INSERT INTO aidis.session_activities (session_id, project_id, kind)
                   SELECT (c ->> 'id')::uuid, (c ->> 'project_id')::uuid, 'made_up' FROM card$$,
                 '23514', NULL, 'a timeline kind outside the list: 23514');

-- The bands, defined once.
SELECT is(aidis.score_label(s), l, 'score_label(' || COALESCE(s::text, 'NULL') || ')')
FROM (VALUES (100::numeric, 'Excellent session'), (80, 'Excellent session'), (79.99, 'Good session'),
             (60, 'Good session'), (59.9, 'Decent session'), (40, 'Decent session'),
             (39.99, 'Room for improvement'), (0, 'Room for improvement'), (NULL, NULL)) AS v(s, l);

-- The details carry the label and the project's root directory.
SELECT is((SELECT aidis.session_details(c ->> 'id') ->> 'project_root_directory' FROM card), '/srv/tap-card',
          'session_details has the project root directory');
SELECT is((SELECT d ->> 'score_label' FROM card, aidis.session_details(c ->> 'id') d),
          (SELECT aidis.score_label((d ->> 'score')::numeric) FROM card, aidis.session_details(c ->> 'id') d),
          'session_details has the label of its score');

-- end_session(files): bad files are refused before anything changes.
SELECT throws_ok(format($$SELECT aidis.end_session(%L, files => '{"path": "a"}')$$, (SELECT c ->> 'id' FROM card)),
                 '22023', NULL, 'files that are not an array: 22023');
SELECT throws_ok(format($$SELECT aidis.end_session(%L, files => '[{"path": "a", "added": -1}]')$$,
                        (SELECT c ->> 'id' FROM card)),
                 '22023', NULL, 'a negative line count: 22023');
SELECT throws_ok(format($$SELECT aidis.end_session(%L, files => '[{"path": "a", "added": "3"}]')$$,
                        (SELECT c ->> 'id' FROM card)),
                 '22023', NULL, 'a line count that is not a number: 22023');
SELECT is((SELECT status FROM aidis.sessions s, card WHERE s.id = (c ->> 'id')::uuid), 'active',
          'the refused ends left the session active');

-- Good files: recorded, then the session ends, in one statement.
SELECT is((SELECT e.status FROM card, aidis.end_session(c ->> 'id', files => '[
             {"path": "src/cart.ts", "added": 12, "removed": 3},
             {"path": "README.md", "added": 1}]') e),
          'inactive', 'end_session with files ends the session');
SELECT results_eq(
  $$SELECT f.path, f.loc_added, f.loc_removed FROM aidis.session_files f, card
    WHERE f.session_id = (c ->> 'id')::uuid ORDER BY f.path$$,
  $$VALUES ('README.md'::text, 1::bigint, 0::bigint), ('src/cart.ts', 12, 3)$$,
  'and recorded its files with their lines');

SELECT * FROM finish();
ROLLBACK;
