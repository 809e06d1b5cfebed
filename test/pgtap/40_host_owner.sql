-- pgTAP: host tables and their owners (docs/security.md, "Host tables").
-- The owner of a tracked table can attach code to it (an implicit cast from a
-- type of its own after retyping a column, triggers, policies): no function of
-- the extension runs that code as another role. track() checks the exact
-- column types, ALTER TABLE and DROP may not break them (2BP01), the queries
-- over the table run as its owner in a security-restricted operation, and a
-- dropped tracked table leaves the registry and the counters by itself.
-- pg_temp.evidence records who ran the owner's code; pg_temp.run(role, sql)
-- runs a statement as a role and returns 'ok' or the SQLSTATE.
-- Runs in one transaction that is rolled back: it leaves nothing behind.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
SET search_path = public, pg_catalog;

BEGIN;
SELECT plan(81);

-- ---------------------------------------------------------------- fixture (superuser)
UPDATE aidis.session_base SET status = 'inactive', end_reason = 'ended', ended_at = last_activity_at
WHERE status = 'active';
CREATE ROLE tap_own_owner;
CREATE ROLE tap_own_admin IN ROLE aidis_admin;
GRANT CREATE ON SCHEMA public TO tap_own_owner;
CREATE TABLE public.tap_own_evidence (who text, sess text, what text);
GRANT INSERT ON public.tap_own_evidence TO PUBLIC;

CREATE FUNCTION pg_temp.run(r text, q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    EXECUTE format('SET LOCAL ROLE %I', r);
    EXECUTE q;
    RESET ROLE;
    RETURN 'ok';
  EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;  -- the rollback of the block undid SET LOCAL ROLE and the statement
  END;
END
$$;
-- DROP EXTENSION, then DDL that the event triggers would refuse; undone.
CREATE FUNCTION pg_temp.after_drop_extension() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  result text;
BEGIN
  DROP EXTENSION aidis_sessions CASCADE;
  result := pg_temp.run('tap_own_owner', 'ALTER TABLE public.tap_own_tasks DROP session_id; DROP TABLE public.tap_own_tasks');
  RAISE EXCEPTION 'undo' USING ERRCODE = 'ZZ999';
EXCEPTION
  WHEN SQLSTATE 'ZZ999' THEN RETURN result;
  WHEN OTHERS THEN RETURN 'DROP EXTENSION: ' || SQLSTATE || ' ' || SQLERRM;
END
$$;
-- Who ran the owner's code, other than the owner.
CREATE FUNCTION pg_temp.strangers() RETURNS text LANGUAGE sql AS $$
  SELECT COALESCE(string_agg(DISTINCT e.who || ' (' || e.what || ')', ', '), 'nobody')
  FROM public.tap_own_evidence e WHERE e.who <> 'tap_own_owner'
$$;
CREATE FUNCTION pg_temp.created(col text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  PERFORM aidis._flush_pending();
  EXECUTE format('SELECT %I FROM aidis.sessions s WHERE s.agent = %L', col, 'tap-own') INTO n;
  RETURN n;
END
$$;

SELECT aidis.create_project('tap-own-a') \g /dev/null
SELECT aidis.create_project('tap-own-b') \g /dev/null
SELECT aidis.start_session(agent => 'tap-own', project => 'tap-own-a') \g /dev/null

-- The owner's tables, and the code it will attach to them.
SET LOCAL ROLE tap_own_owner;
CREATE TABLE public.tap_own_notes (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);
CREATE TABLE public.tap_own_tasks (id serial PRIMARY KEY, project_id uuid, session_id uuid, title text,
                                   status varchar(50) NOT NULL DEFAULT 'todo');
CREATE DOMAIN public.tap_own_status AS varchar(20);
CREATE TABLE public.tap_own_dtasks (id serial PRIMARY KEY, project_id uuid, session_id uuid, title text,
                                    status public.tap_own_status);
CREATE TABLE public.tap_own_bad (id serial PRIMARY KEY, project_id uuid, session_id uuid, title text, status integer);
CREATE TABLE public.tap_own_nostatus (id serial PRIMARY KEY, project_id uuid, session_id uuid, title text);
CREATE DOMAIN public.tap_own_uuid AS uuid;
CREATE TABLE public.tap_own_domuuid (id serial PRIMARY KEY, project_id uuid, session_id public.tap_own_uuid);
CREATE TYPE public.tap_own_evil AS (x uuid);
CREATE FUNCTION public.tap_own_evil_uuid(public.tap_own_evil) RETURNS uuid LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.tap_own_evidence VALUES (current_user, session_user, 'cast');
  RETURN $1.x;
END
$$;
CREATE CAST (public.tap_own_evil AS uuid) WITH FUNCTION public.tap_own_evil_uuid(public.tap_own_evil) AS IMPLICIT;
CREATE TABLE public.tap_own_castcol (id serial PRIMARY KEY, project_id uuid, session_id public.tap_own_evil);
-- Records who runs it, and whether in a security-restricted operation (which refuses temporary tables).
CREATE FUNCTION public.tap_own_spy(what text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  restricted text := 'unrestricted';
BEGIN
  BEGIN
    CREATE TEMP TABLE tap_own_probe (a int);
    DROP TABLE tap_own_probe;
  EXCEPTION WHEN insufficient_privilege THEN
    restricted := 'restricted';
  END;
  INSERT INTO public.tap_own_evidence VALUES (current_user, session_user, what || ', ' || restricted);
  RETURN true;
END
$$;
CREATE FUNCTION public.tap_own_spy_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM public.tap_own_spy(TG_OP || ' trigger');
  RETURN NEW;
END
$$;
RESET ROLE;

-- ---------------------------------------------------------------- track(): exact column types
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.track('public.tap_own_castcol', 'context')$$), '42804',
          'track() refuses session_id of a type with an implicit cast to uuid (42804)');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.track('public.tap_own_domuuid', 'context')$$), '42804',
          'track() refuses session_id of a domain over uuid (42804)');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.track('public.tap_own_bad', 'task')$$), '42804',
          'track() refuses an integer status for kind task (42804)');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.track('public.tap_own_nostatus', 'task')$$), '42703',
          'track() refuses kind task without status (42703)');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.track('public.tap_own_bad', 'decision')$$), 'ok',
          'track() accepts any status for kinds that do not read it');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.track('public.tap_own_tasks', 'task')$$), 'ok',
          'track() accepts status varchar(50) for kind task');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.track('public.tap_own_dtasks', 'task')$$), 'ok',
          'track() accepts status of a domain over varchar for kind task');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.track('public.tap_own_notes', 'context')$$), 'ok',
          'track() accepts project_id and session_id uuid');
SELECT is((SELECT count(*) FROM pg_temp.run('tap_own_admin', $$SELECT aidis.untrack('public.tap_own_bad')$$) r
           WHERE r = 'ok'), 1::bigint, 'untrack() of the decision table');

-- The owner writes rows for the session.
SET LOCAL ROLE tap_own_owner;
INSERT INTO public.tap_own_notes (body) VALUES ('n1'), ('n2'), ('n3');
INSERT INTO public.tap_own_tasks (title) VALUES ('t1'), ('t2');
RESET ROLE;
SELECT is(pg_temp.created('contexts_created'), 3::bigint, 'the owner''s three notes are counted');
SELECT is(pg_temp.created('tasks_created'), 2::bigint, 'the owner''s two varchar-status tasks are counted');

-- ---------------------------------------------------------------- ALTER TABLE of a tracked column (2BP01)
SELECT is(pg_temp.run('tap_own_owner', $$ALTER TABLE public.tap_own_notes
            ALTER session_id TYPE public.tap_own_evil USING ROW(session_id)::public.tap_own_evil$$), '2BP01',
          'retyping session_id to a type with an implicit cast to uuid is refused (2BP01)');
SELECT is(pg_temp.run('tap_own_owner', $$ALTER TABLE public.tap_own_notes ALTER session_id TYPE text$$), '2BP01',
          'retyping session_id to text is refused');
SELECT is(pg_temp.run('tap_own_owner', $$ALTER TABLE public.tap_own_notes ALTER project_id TYPE text$$), '2BP01',
          'retyping project_id to text is refused');
SELECT is(pg_temp.run('tap_own_owner', $$ALTER TABLE public.tap_own_notes RENAME session_id TO sid$$), '2BP01',
          'renaming session_id is refused');
SELECT is(pg_temp.run('tap_own_owner', $$ALTER TABLE public.tap_own_notes DROP session_id$$), '2BP01',
          'dropping session_id is refused');
SELECT is(pg_temp.run('tap_own_owner', $$ALTER TABLE public.tap_own_notes DROP project_id$$), '2BP01',
          'dropping project_id is refused');
SELECT is(pg_temp.run('tap_own_owner', $$ALTER TABLE public.tap_own_notes DROP session_id,
                                         ADD session_id integer$$), '2BP01',
          'dropping session_id and adding it back as integer is refused');
SELECT is(pg_temp.run('tap_own_owner', $$ALTER TABLE public.tap_own_tasks ALTER status DROP DEFAULT,
                                         ALTER status TYPE integer USING 0$$), '2BP01',
          'retyping a task table''s status to integer is refused');
SELECT is(pg_temp.run('tap_own_owner', $$DROP DOMAIN public.tap_own_status CASCADE$$), '2BP01',
          'dropping the domain of a tracked status (and with it the column) is refused');
SELECT is(pg_temp.run(current_user, $$ALTER TABLE public.tap_own_notes ALTER session_id TYPE text$$), '2BP01',
          'a superuser''s retype is refused too');
SELECT throws_ok($$ALTER TABLE public.tap_own_notes DROP session_id$$, '2BP01',
                 'public.tap_own_notes is tracked by aidis_sessions, which needs its columns project_id uuid, session_id uuid',
                 'the error names the table and the columns tracking needs');
SELECT is(pg_temp.run('tap_own_owner', $$ALTER TABLE public.tap_own_tasks ALTER status TYPE text$$), 'ok',
          'retyping status from varchar to text is allowed');
SELECT is(pg_temp.run('tap_own_owner', $$ALTER TABLE public.tap_own_notes ADD extra integer, ALTER body TYPE varchar(100);
                                         ALTER TABLE public.tap_own_notes RENAME extra TO extra2;
                                         ALTER TABLE public.tap_own_notes DROP extra2$$), 'ok',
          'the other columns of a tracked table can change');
SELECT is(pg_temp.run('tap_own_owner', $$CREATE TABLE public.tap_own_plain (a int, session_id uuid);
                                         ALTER TABLE public.tap_own_plain ALTER session_id TYPE text;
                                         ALTER TABLE public.tap_own_plain RENAME a TO b;
                                         DROP TABLE public.tap_own_plain$$), 'ok',
          'DDL on an untracked table by a role without aidis rights works');
SELECT is(pg_temp.strangers(), 'nobody', 'no refused ALTER ran the owner''s cast as another role');

-- ---------------------------------------------------------------- the cast attack, past the event triggers
-- As if the column had been retyped while the event triggers did not fire
-- (a superuser disabled them, or session_replication_role = replica).
ALTER EVENT TRIGGER aidis_tracked_alter DISABLE;
SET LOCAL ROLE tap_own_owner;
ALTER TABLE public.tap_own_notes ALTER session_id TYPE public.tap_own_evil USING ROW(session_id)::public.tap_own_evil;
RESET ROLE;
ALTER EVENT TRIGGER aidis_tracked_alter ENABLE;
DELETE FROM public.tap_own_evidence;  -- the rewrite ran the cast as the owner
SELECT is(pg_temp.run('tap_own_owner', $$TRUNCATE public.tap_own_notes$$), '42804',
          'TRUNCATE of the retyped table is refused (42804)');
SELECT is(pg_temp.run(current_user, $$TRUNCATE public.tap_own_notes$$), '42804', '... for a superuser too');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT * FROM aidis.check_counters()$$), '42804',
          'check_counters() refuses to read the retyped table (42804)');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.reassign_project(
            (SELECT s.display_id FROM aidis.sessions s WHERE s.agent = 'tap-own'), 'tap-own-b')$$), '42804',
          'reassign_project() (first step) refuses to read the retyped table (42804)');
SELECT is(pg_temp.strangers(), 'nobody', 'TRUNCATE, check_counters and reassign_project ran the cast as nobody');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.untrack('public.tap_own_notes')$$), 'ok',
          'untrack() of the retyped table works (it does not read it)');
SELECT is(pg_temp.strangers(), 'nobody', '... and ran the cast as nobody');
SELECT is(pg_temp.created('contexts_created'), 0::bigint, '... and its rows left the counters (recount)');
SELECT is((SELECT count(*) FROM aidis.check_counters()), 0::bigint, 'check_counters() is empty afterwards');

-- ---------------------------------------------------------------- the owner's code runs as the owner, restricted
SET LOCAL ROLE tap_own_owner;
CREATE TRIGGER tap_own_spy BEFORE UPDATE ON public.tap_own_tasks
  FOR EACH ROW EXECUTE FUNCTION public.tap_own_spy_trigger();
ALTER TABLE public.tap_own_tasks ENABLE ALWAYS TRIGGER tap_own_spy;  -- fired even in replica mode
ALTER TABLE public.tap_own_tasks ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tap_own_spy ON public.tap_own_tasks USING (public.tap_own_spy('policy'));
RESET ROLE;
DELETE FROM public.tap_own_evidence;
SELECT pg_temp.created('activity_count') AS activity \gset
SELECT is((SELECT count(*) FROM aidis.check_counters()), 0::bigint, 'check_counters() reads the tasks table');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.reassign_project(
            (SELECT s.display_id FROM aidis.sessions s WHERE s.agent = 'tap-own'), 'tap-own-b',
            (SELECT aidis.reassign_project((SELECT s.display_id FROM aidis.sessions s WHERE s.agent = 'tap-own'),
                                           'tap-own-b') ->> 'confirm'))$$), 'ok',
          'an admin reassigns the session (both steps)');
SELECT is((SELECT count(*) FROM public.tap_own_tasks t JOIN aidis.projects p ON p.id = t.project_id
           WHERE p.name = 'tap-own-b'), 2::bigint, '... its two host tasks moved');
SELECT is(pg_temp.created('tasks_created') || ' ' || pg_temp.created('activity_count'), '2 ' || :'activity',
          '... uncounted: tasks_created and activity_count do not change');
SELECT is((SELECT count(*) FROM aidis.session_activities a JOIN aidis.sessions s ON s.id = a.session_id
           WHERE s.agent = 'tap-own' AND a.kind LIKE 'task%'), 2::bigint,
          '... and no timeline event per moved row');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.untrack('public.tap_own_tasks')$$), 'ok', 'untrack() of the tasks table');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.track('public.tap_own_tasks', 'task')$$), 'ok', 'track() of it again');
SELECT is((SELECT DISTINCT current_user || ' / ' || current_setting('search_path')
           FROM aidis._host_rows('public.tap_own_tasks')),
          current_user || ' / public, pg_catalog', '_host_rows() gives the caller back its role and search_path');
SELECT is(pg_temp.run('tap_own_admin', $q$SELECT * FROM aidis.check_counters();
                                          DO $$ BEGIN ASSERT current_user = 'tap_own_admin'; END $$$q$), 'ok',
          '... and so does check_counters()');
SELECT is(pg_temp.run(current_user, $$TRUNCATE public.tap_own_tasks$$), 'ok', 'a superuser''s TRUNCATE of it');
SELECT is(pg_temp.strangers(), 'nobody', 'check_counters, reassign_project, untrack, track and TRUNCATE ran the owner''s code as nobody else');
SELECT is((SELECT string_agg(DISTINCT e.what, '; ' ORDER BY e.what) FROM public.tap_own_evidence e),
          'UPDATE trigger, restricted; policy, restricted',
          'they ran the owner''s policy and trigger as the owner, in a security-restricted operation');
SELECT is(pg_temp.created('tasks_created'), 0::bigint, 'TRUNCATE took the tasks out of the counters');

-- ---------------------------------------------------------------- a dropped tracked table
SET LOCAL ROLE tap_own_owner;
CREATE TABLE public.tap_own_gone (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);
RESET ROLE;
SELECT aidis.track('public.tap_own_gone', 'context') \g /dev/null
SELECT aidis.use_session((SELECT s.id::text FROM aidis.sessions s WHERE s.agent = 'tap-own')) \g /dev/null
SET LOCAL ROLE tap_own_owner;
INSERT INTO public.tap_own_gone (body) VALUES ('g1'), ('g2');
RESET ROLE;
INSERT INTO aidis.contexts (content) VALUES ('stays');
SELECT is(pg_temp.created('contexts_created'), 3::bigint, 'two host rows and one shipped row counted');
SELECT is(pg_temp.run('tap_own_owner', $$DROP TABLE public.tap_own_gone$$), 'ok', 'its owner drops the tracked table');
SELECT is((SELECT count(*) FROM aidis.tracked_tables t WHERE NOT t.shipped), 2::bigint,
          'it left the registry by itself (the two task tables stay)');
SELECT is(pg_temp.created('contexts_created'), 1::bigint, 'its rows left the created counters');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT * FROM aidis.check_counters()$$), 'ok', 'check_counters() works');
SELECT is((SELECT count(*) FROM aidis.check_counters()), 0::bigint, '... and finds nothing');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.reassign_project(
            (SELECT s.display_id FROM aidis.sessions s WHERE s.agent = 'tap-own'), 'tap-own-a')$$), 'ok',
          'reassign_project() works');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.untrack('public.tap_own_dtasks')$$), 'ok', 'untrack() works');

-- Dropped with its schema.
GRANT CREATE ON DATABASE aidis_tap TO tap_own_owner;
SET LOCAL ROLE tap_own_owner;
CREATE SCHEMA tap_own_schema;
CREATE TABLE tap_own_schema.notes (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);
RESET ROLE;
SELECT aidis.track('tap_own_schema.notes', 'context') \g /dev/null
SET LOCAL ROLE tap_own_owner;
INSERT INTO tap_own_schema.notes (body) VALUES ('s1');
RESET ROLE;
SELECT is(pg_temp.run('tap_own_owner', $$DROP SCHEMA tap_own_schema CASCADE$$), 'ok', 'DROP SCHEMA ... CASCADE of a tracked table');
SELECT is((SELECT count(*) FROM aidis.tracked_tables t WHERE NOT t.shipped), 1::bigint, '... it left the registry');
SELECT is((SELECT count(*) FROM aidis.check_counters()), 0::bigint, '... and the counters');

-- Dropped while the event triggers did not fire (replica mode: superusers
-- only, a restore): the registry keeps an entry naming an OID that is no
-- longer a table, and the created counters keep its rows.
SET LOCAL ROLE tap_own_owner;
CREATE TABLE public.tap_own_lost (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);
CREATE TABLE public.tap_own_more (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);
RESET ROLE;
SELECT aidis.track('public.tap_own_lost', 'context') \g /dev/null
SET LOCAL ROLE tap_own_owner;
INSERT INTO public.tap_own_lost (body) VALUES ('l1'), ('l2');
RESET ROLE;
SELECT 'public.tap_own_lost'::regclass::oid AS lost, pg_temp.created('contexts_created') AS before_drop \gset
SET LOCAL session_replication_role = replica;
DROP TABLE public.tap_own_lost;
RESET session_replication_role;
SELECT is((SELECT t.tbl::text FROM aidis.tracked_tables t WHERE t.tbl::oid = :lost), :'lost',
          'a table dropped in replica mode stays in the registry, as a bare OID');
SELECT is((SELECT count(*) FROM aidis._host_rows(:lost::oid::regclass)), 0::bigint,
          'the rows of a table that is gone: none, not an error (whatever order a query joins the registry in)');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT * FROM aidis.check_counters()$$), 'ok',
          'with the dangling entry, check_counters() works for an admin');
SELECT is((SELECT string_agg(c.counter || ' ' || (c.recorded - c.actual), ', ') FROM aidis.check_counters() c),
          'contexts_created 2', '... and shows the two rows that went with the table');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.reassign_project(
            (SELECT s.display_id FROM aidis.sessions s WHERE s.agent = 'tap-own'), 'tap-own-a')$$), 'ok',
          'reassign_project() (first step) works');
SELECT is(aidis.reassign_project((SELECT s.display_id FROM aidis.sessions s WHERE s.agent = 'tap-own'),
                                 'tap-own-a') #>> '{moves,contexts}',
          (SELECT count(*)::text FROM aidis.contexts c JOIN aidis.sessions s ON s.id = c.session_id
           WHERE s.agent = 'tap-own' AND c.project_id = s.project_id),
          '... and counts the rows of the tables that are there');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.session_export(
            (SELECT s.display_id FROM aidis.sessions s WHERE s.agent = 'tap-own'))$$), 'ok',
          'session_export() works');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.track('public.tap_own_more', 'context')$$), 'ok',
          'track() of another table works');
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.untrack('public.tap_own_more')$$), 'ok',
          '... and so does its untrack()');
SELECT is(pg_temp.run('tap_own_admin', format('SELECT aidis.untrack(%L)', :'lost')), 'ok',
          'an admin (no superuser) untracks the dangling entry by its OID');
SELECT is((SELECT count(*) FROM aidis.tracked_tables t WHERE t.tbl::oid = :lost), 0::bigint,
          '... it left the registry');
SELECT is(pg_temp.created('contexts_created'), (:before_drop - 2)::bigint, '... its rows left the counters (recount)');
SELECT is((SELECT count(*) FROM aidis.check_counters()), 0::bigint, '... and check_counters() finds nothing');
SELECT is(pg_temp.run('tap_own_admin', format('SELECT aidis.untrack(%L)', :'lost')), '42704',
          'untracking it again: not tracked (42704)');

-- A move across partitions (a DELETE and an INSERT) is not activity either.
CREATE TABLE public.tap_own_parts (id serial, project_id uuid NOT NULL, session_id uuid, body text)
  PARTITION BY LIST (project_id);
SELECT format('CREATE TABLE public.tap_own_part_%s PARTITION OF public.tap_own_parts FOR VALUES IN (%L)',
              right(p.name, 1), p.id)
FROM aidis.projects p WHERE p.name IN ('tap-own-a', 'tap-own-b') \gexec
SELECT aidis.track('public.tap_own_parts', 'context') \g /dev/null
INSERT INTO public.tap_own_parts (project_id, session_id, body)
SELECT s.project_id, s.id, b FROM aidis.sessions s, unnest(ARRAY['p1', 'p2']) b WHERE s.agent = 'tap-own';
SELECT pg_temp.created('contexts_created') AS contexts, pg_temp.created('activity_count') AS activity \gset
SELECT is(pg_temp.run('tap_own_admin', $$SELECT aidis.reassign_project(
            (SELECT s.display_id FROM aidis.sessions s WHERE s.agent = 'tap-own'), 'tap-own-a',
            (SELECT aidis.reassign_project((SELECT s.display_id FROM aidis.sessions s WHERE s.agent = 'tap-own'),
                                           'tap-own-a') ->> 'confirm'))$$), 'ok',
          'reassigning a session with rows in a table partitioned by project');
SELECT is((SELECT string_agg(DISTINCT t.tableoid::regclass::text, ',') FROM public.tap_own_parts t),
          'tap_own_part_a', '... moves them to the other partition');
SELECT is(pg_temp.created('contexts_created') || ' ' || pg_temp.created('activity_count'), :'contexts' || ' ' || :'activity',
          '... uncounted');

-- A table holding rows of a disconnected project stays, as with TRUNCATE.
SELECT aidis.create_project('tap-own-c') \g /dev/null
SELECT aidis.start_session(agent => 'tap-own-c', project => 'tap-own-c') \g /dev/null
SET LOCAL ROLE tap_own_owner;
CREATE TABLE public.tap_own_kept (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);
RESET ROLE;
SELECT aidis.track('public.tap_own_kept', 'context') \g /dev/null
SET LOCAL ROLE tap_own_owner;
INSERT INTO public.tap_own_kept (body) VALUES ('k1');
RESET ROLE;
SELECT aidis.disconnect_project('tap-own-c') \g /dev/null
SELECT is(pg_temp.run('tap_own_owner', $$DROP TABLE public.tap_own_kept$$), '55000',
          'dropping a tracked table with rows of a disconnected project is refused (55000)');
SELECT is((SELECT count(*) FROM aidis.tracked_tables t WHERE t.tbl = 'public.tap_own_kept'::regclass), 1::bigint,
          '... it stays tracked');

-- ---------------------------------------------------------------- the event triggers themselves
SELECT is((SELECT string_agg(e.evtname || ' ' || e.evtevent || ' ' || e.evtenabled::text, ', ' ORDER BY e.evtname)
           FROM pg_event_trigger e JOIN pg_depend d ON d.classid = 'pg_event_trigger'::regclass AND d.objid = e.oid
           JOIN pg_extension x ON x.oid = d.refobjid
           WHERE x.extname = 'aidis_sessions' AND d.deptype = 'e'),
          'aidis_tracked_alter ddl_command_end O, aidis_tracked_drop sql_drop O',
          'two event triggers, members of the extension, enabled');
SELECT is((SELECT count(*) FROM pg_proc p
           WHERE p.oid IN (SELECT e.evtfoid FROM pg_event_trigger e WHERE e.evtname LIKE 'aidis\_%')
             AND p.prosecdef AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp']
             AND NOT has_function_privilege('public', p.oid, 'EXECUTE')), 2::bigint,
          'their functions are SECURITY DEFINER, pin search_path and are not executable by PUBLIC');
SELECT is(pg_temp.after_drop_extension(), 'ok', 'DROP EXTENSION works, and DDL on a table it tracked after it');

SELECT * FROM finish();
ROLLBACK;
