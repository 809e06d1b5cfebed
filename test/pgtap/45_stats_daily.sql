-- pgTAP: aidis.session_stats_daily(), the per-day series of session_stats:
-- every day of the window, the same sessions in total, the same errors.
-- Independent of the date and zone: compares with session_stats itself.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(8);

DO $$
BEGIN
  PERFORM aidis.create_project('tap-daily');
  PERFORM aidis.start_session(agent => 'tap-daily', client_key => 'a', project => 'tap-daily', force_new => true);
  INSERT INTO aidis.tasks (title) VALUES ('tap daily task');
  PERFORM aidis.start_session(agent => 'tap-daily', client_key => 'b', project => 'tap-daily', force_new => true);
END
$$;
-- One of them started three days ago (inside a week, outside a day).
UPDATE aidis.session_base SET started_at = now() - interval '3 days', created_at = now() - interval '3 days'
WHERE agent = 'tap-daily' AND client_key = 'a';

SELECT is((SELECT count(*)::int FROM aidis.session_stats_daily('week')),
          (now()::date - (now() - interval '7 days')::date + 1),
          'one row per calendar day of the week, today included');
SELECT is((SELECT sum(sessions)::int FROM aidis.session_stats_daily('week', 'tap-daily')),
          (aidis.session_stats('week', 'tap-daily') ->> 'sessions')::int,
          'the days add up to session_stats');
SELECT is((SELECT sum(tasks_created)::int FROM aidis.session_stats_daily('week', 'tap-daily')), 1,
          'counters are summed per day');
SELECT is((SELECT sessions::int FROM aidis.session_stats_daily('week', 'tap-daily')
           WHERE day = (now() - interval '3 days')::date), 1, 'the older session is on its own day');
SELECT is((SELECT sum(sessions)::int FROM aidis.session_stats_daily('day', 'tap-daily')), 1,
          'a day leaves the older session out');
SELECT ok((SELECT bool_and(a.day < b.day) FROM (SELECT day, lead(day) OVER (ORDER BY day) AS next FROM aidis.session_stats_daily()) a
           JOIN LATERAL (SELECT a.next AS day) b ON b.day IS NOT NULL), 'oldest first, no day twice');
SELECT throws_ok($$SELECT * FROM aidis.session_stats_daily('year')$$, '22023', NULL, 'a bad period → 22023');
SELECT throws_ok($$SELECT * FROM aidis.session_stats_daily('week', 'no-such-project')$$, '42704', NULL,
                 'an unknown project → 42704');

SELECT * FROM finish();
ROLLBACK;
