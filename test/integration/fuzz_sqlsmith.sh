#!/usr/bin/env bash
# Fuzz pass, failing on any backend crash. Against a populated database
# (projects, sessions, rows of every kind, a disconnected project, a host table
# owned by a plain login and tracked), as the superuser and as an aidis_writer
# login:
#   - sqlsmith: random queries over the extension's tables and functions;
#   - an argument sweep: every function the role may execute, called many
#     times with arguments drawn from a pool of ordinary and hostile values
#     (sqlsmith rarely needs a jsonb or row result, so it seldom reaches the
#     read API).
# Errors are the expected outcome. A crash is `terminated by signal` (or any
# terminated server process) in the server log, or a crash restart; a backend
# that outlives its client ignored the cancel. Prints TAP.
#
# sqlsmith has no option to choose functions: it reads them from `pg_proc`
# without a schema, so a materialized view SCOPE.pg_proc ahead of pg_catalog
# in search_path narrows them to schema aidis (set-returning ones shown as
# scalar, so that they are called too), the built-in aggregates and a little
# glue. A materialized view, because information_schema.tables, where sqlsmith
# finds its tables, does not list one. sqlsmith runs each statement in a
# transaction that it rolls back, with statement_timeout 1 s; the sweep does
# the same.
#
# A run that ended early (the time bound) still has to have done enough to
# count: sqlsmith at least FUZZ_MIN_QUERIES queries executed (its own
# progress output, --verbose), the sweep as many calls (the database's
# transaction count), and each run reached at least FUZZ_MIN_FUNCTIONS
# functions of schema aidis (pg_stat_user_functions, nested calls included).
#
# Environment: FUZZ_QUERIES (sqlsmith queries per role, default 4000),
# FUZZ_CALLS (sweep calls per function, default 30), FUZZ_SEED (default 11),
# FUZZ_SECONDS (time bound of one run, default 60; reaching it ends that run
# early), FUZZ_MIN_QUERIES (default 300), FUZZ_MIN_FUNCTIONS (default 10).
set -uo pipefail
: "${PGHOST:?cluster env needed}" "${PGPORT:?}"
export PGDATABASE=aidis_fuzz
queries=${FUZZ_QUERIES:-4000} calls=${FUZZ_CALLS:-30} seed=${FUZZ_SEED:-11} seconds=${FUZZ_SECONDS:-60}
min_queries=${FUZZ_MIN_QUERIES:-300} min_functions=${FUZZ_MIN_FUNCTIONS:-10}
log=$PGHOST/server.log
work=$(mktemp -d)
drop_all() {
  dropdb --if-exists --force "$PGDATABASE" >/dev/null 2>&1
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS fuzz_writer, fuzz_host_owner" >/dev/null 2>&1
}
trap 'rm -rf "$work"; drop_all' EXIT

n=0 failed=0
ok() { n=$((n + 1)); if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
q() { psql -X -q -v ON_ERROR_STOP=1 -Atc "$1"; }

echo "1..21"
if ! command -v sqlsmith >/dev/null; then
  echo "# sqlsmith is not installed (scripts/deps.sh installs it)"
  exit 1
fi
drop_all
createdb "$PGDATABASE"
psql -X -q -v ON_ERROR_STOP=1 >"$work/fixture.out" 2>&1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION aidis_sessions CASCADE;
CREATE ROLE fuzz_writer LOGIN IN ROLE aidis_writer;
CREATE ROLE fuzz_host_owner LOGIN;
-- Errors are the normal outcome here: keep them out of the server log.
ALTER ROLE fuzz_writer IN DATABASE $PGDATABASE SET log_min_messages = fatal;
ALTER ROLE fuzz_writer IN DATABASE $PGDATABASE SET log_min_error_statement = panic;
-- Which functions the fuzz reached (pg_stat_user_functions).
ALTER DATABASE $PGDATABASE SET track_functions = 'all';

SELECT aidis.create_project('fuzz-a', '/src/a', is_default => true);
SELECT aidis.create_project('fuzz-b');
SELECT aidis.create_project('fuzz-gone');

CREATE TABLE public.fuzz_notes (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);
ALTER TABLE public.fuzz_notes OWNER TO fuzz_host_owner;
SELECT aidis.track('public.fuzz_notes', 'context');
GRANT SELECT, INSERT, UPDATE, DELETE ON public.fuzz_notes TO aidis_writer;
GRANT USAGE ON SEQUENCE public.fuzz_notes_id_seq TO aidis_writer;

SELECT aidis.start_session(agent => 'claude-code', project => 'fuzz-a', title => 'first', goal => 'fuzz',
                           ai_model => 'model-a', client_key => 'k1');
INSERT INTO aidis.contexts (content, tags) VALUES ('see @src/a.c and @src/b.c', '{x}'), ('plain note', '{}');
INSERT INTO aidis.tasks (title, status) VALUES ('t1', 'completed'), ('t2', 'todo'), ('t3', 'in_progress');
INSERT INTO aidis.decisions (title) VALUES ('d1');
INSERT INTO public.fuzz_notes (body) VALUES ('host row @docs/x.md');
SELECT aidis.record_usage(1200, 340, model => 'model-a');
SELECT aidis.record_file('src/a.c', 3, 1);
SELECT aidis.touch();
SELECT aidis.rate_session(NULL, 4, 'good');
SELECT aidis.end_session();

SELECT aidis.start_session(agent => 'cursor', project => 'fuzz-b', client_key => 'k2');
INSERT INTO aidis.contexts (content) VALUES ('b context @lib/c.py');
INSERT INTO aidis.tasks (title) VALUES ('b task');
UPDATE aidis.tasks SET status = 'completed' WHERE title = 'b task';
SELECT aidis.update_session(NULL, title => 'second', tags => '{fuzz,b}');

SELECT aidis.start_session(agent => 'cursor', project => 'fuzz-gone', client_key => 'k3');
INSERT INTO aidis.contexts (content) VALUES ('gone context');
INSERT INTO aidis.decisions (title) VALUES ('gone decision');
INSERT INTO public.fuzz_notes (body) VALUES ('gone host row');
SELECT aidis.disconnect_project('fuzz-gone');

SELECT aidis.start_session(agent => 'claude-code', project => 'fuzz-a', client_key => 'k4', force_new => true);
INSERT INTO aidis.contexts (content) VALUES ('active context @src/a.c');

-- sqlsmith's pg_proc (see the header): every function of schema aidis for the
-- superuser, those aidis_writer may execute for the writer.
CREATE SCHEMA fuzz_all;
CREATE MATERIALIZED VIEW fuzz_all.pg_proc AS
  SELECT p.oid, p.proname, p.pronamespace, p.prorettype, p.prokind, p.proargtypes,
         p.proretset AND p.pronamespace <> 'aidis'::regnamespace AS proretset
  FROM pg_catalog.pg_proc p
  WHERE p.pronamespace = 'aidis'::regnamespace
     OR (p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind = 'a')
     -- glue that lets a jsonb or row result feed an expression of another type
     OR p.oid IN ('pg_catalog.jsonb_typeof(jsonb)'::regprocedure, 'pg_catalog.json_typeof(json)'::regprocedure,
                  'pg_catalog.row_to_json(record)'::regprocedure, 'pg_catalog.to_jsonb(anyelement)'::regprocedure);
CREATE SCHEMA fuzz_writer;
CREATE MATERIALIZED VIEW fuzz_writer.pg_proc AS
  SELECT * FROM fuzz_all.pg_proc p
  WHERE p.pronamespace <> 'aidis'::regnamespace OR has_function_privilege('aidis_writer', p.oid, 'EXECUTE');
GRANT USAGE ON SCHEMA fuzz_writer TO fuzz_writer;
GRANT SELECT ON fuzz_writer.pg_proc TO fuzz_writer;
SQL
ok $? "fixture: extension, roles, projects, sessions, rows, a disconnected project, a tracked host table"
[[ $failed == 0 ]] || { sed 's/^/# /' "$work/fixture.out"; exit 1; }

# The sweep's calls for ROLE: one line each, `BEGIN; SELECT f(args); ROLLBACK;`,
# the arguments picked from the pool by a hash of (function, call, position),
# so the same calls every run; call 0 passes only NULLs.
sweep_calls() {
  psql -X -q -v ON_ERROR_STOP=1 -At -v role="$1" -v calls="$calls" -v seed="$seed" <<'SQL'
CREATE TEMP TABLE pool (typ regtype, val text);
INSERT INTO pool SELECT t::regtype, v FROM (VALUES
  ('text', $$''$$), ('text', $$' '$$), ('text', $$'fuzz-a'$$), ('text', $$'fuzz-b'$$), ('text', $$'fuzz-gone'$$),
  ('text', $$'__unassigned__'$$), ('text', $$'context'$$), ('text', $$'task'$$), ('text', $$'week'$$),
  ('text', $$'month'$$), ('text', $$'active'$$), ('text', $$'claude-code'$$), ('text', $$'public.fuzz_notes'$$),
  ('text', $$'ses-0000-0001'$$), ('text', $$'00000000'$$), ('text', $$'fuzz & !(a | b:*)'$$),
  ('text', $$E'a\\b''c"d%_\t'$$), ('text', $$'ß€😀 @ünï/cødé.rs'$$), ('text', $$repeat('x', 10000)$$),
  ('text', $$repeat('@src/f', 1000) || ' @src/g'$$), ('text', $$repeat('word ', 2000)$$),
  ('text', $$(SELECT display_id FROM aidis.session_base ORDER BY display_id LIMIT 1)$$),
  ('text', $$(SELECT display_id FROM aidis.session_base ORDER BY display_id DESC LIMIT 1)$$),
  ('text', $$(SELECT id::text FROM aidis.session_base ORDER BY display_id LIMIT 1 OFFSET 2)$$),
  ('text', $$(SELECT left(id::text, 8) FROM aidis.session_base ORDER BY display_id LIMIT 1 OFFSET 1)$$),
  ('text', $$(SELECT id::text FROM aidis.projects ORDER BY name LIMIT 1)$$),
  ('uuid', $$gen_random_uuid()$$), ('uuid', $$'00000000-0000-0000-0000-000000000000'$$),
  ('uuid', $$(SELECT id FROM aidis.session_base ORDER BY display_id LIMIT 1)$$),
  ('uuid', $$(SELECT id FROM aidis.session_base ORDER BY display_id LIMIT 1 OFFSET 1)$$),
  ('uuid', $$(SELECT id FROM aidis.session_base ORDER BY display_id LIMIT 1 OFFSET 2)$$),
  ('uuid', $$(SELECT id FROM aidis.session_base ORDER BY display_id DESC LIMIT 1)$$),
  ('uuid', $$(SELECT id FROM aidis.projects WHERE name = 'fuzz-a')$$),
  ('uuid', $$(SELECT id FROM aidis.projects WHERE name = 'fuzz-gone')$$),
  ('integer', '0'), ('integer', '1'), ('integer', '-1'), ('integer', '5'), ('integer', '1000'),
  ('integer', '1001'), ('integer', '2147483647'), ('integer', '-2147483648'),
  ('bigint', '0'), ('bigint', '1'), ('bigint', '-1'), ('bigint', '100'),
  ('bigint', '9223372036854775807'), ('bigint', '-9223372036854775808'),
  ('boolean', 'true'), ('boolean', 'false'),
  ('double precision', '0'), ('double precision', '0.5'), ('double precision', '-1'),
  ('double precision', $$'NaN'$$), ('double precision', $$'Infinity'$$), ('double precision', '1e308'),
  ('timestamp with time zone', 'now()'), ('timestamp with time zone', $$'infinity'$$),
  ('timestamp with time zone', $$'-infinity'$$), ('timestamp with time zone', $$'2000-01-01 00:00+00'$$),
  ('timestamp with time zone', $$now() - interval '3 hours'$$), ('timestamp with time zone', $$now() + interval '1 day'$$),
  ('regclass', $$'public.fuzz_notes'$$), ('regclass', $$'aidis.contexts'$$), ('regclass', $$'aidis.session_base'$$),
  ('regclass', $$'aidis.sessions'$$), ('regclass', $$'pg_catalog.pg_class'$$), ('regclass', $$'public.fuzz_notes_id_seq'$$),
  ('text[]', $$'{}'$$), ('text[]', $$'{a}'$$), ('text[]', $$'{NULL,""}'$$),
  ('text[]', $$(SELECT array_agg(i::text) FROM generate_series(1, 1000) i)$$),
  ('text[]', $$(SELECT array_agg(content) FROM aidis.contexts)$$),
  ('jsonb', $$'{}'$$), ('jsonb', $$'[]'$$), ('jsonb', $$'null'$$), ('jsonb', $$'"x"'$$),
  ('jsonb', $$'{"a": [1, 2, {"b": null}], "total": "NaN"}'$$)
) v(t, v)
UNION ALL SELECT DISTINCT t::regtype, 'NULL' FROM (VALUES ('text'), ('uuid'), ('integer'), ('bigint'), ('boolean'),
  ('double precision'), ('timestamp with time zone'), ('regclass'), ('text[]'), ('jsonb')) n(t);
CREATE TEMP TABLE pick AS SELECT typ, array_agg(val ORDER BY val) AS vals FROM pool GROUP BY typ;

SELECT format('BEGIN; SELECT aidis.%I(%s); ROLLBACK;', p.proname,
              (SELECT string_agg(format('(%s)::%s',
                        CASE WHEN c = 0 OR k.vals IS NULL THEN 'NULL'
                             ELSE k.vals[1 + abs(hashtext(concat_ws(':', :'seed', p.oid::regprocedure, c, a.n)))
                                             % cardinality(k.vals)] END, a.t), ', ' ORDER BY a.n)
               FROM unnest(p.proargtypes::regtype[]) WITH ORDINALITY a(t, n) LEFT JOIN pick k ON k.typ = a.t))
FROM pg_proc p, generate_series(0, :calls - 1) c
WHERE p.pronamespace = 'aidis'::regnamespace AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
  AND has_function_privilege(:'role', p.oid, 'EXECUTE')
ORDER BY p.oid::regprocedure::text, c;
SQL
}

# Signs of a crash in the server log after line $1: a backend killed by a
# signal, or the postmaster reinitializing. A crash restart keeps
# pg_postmaster_start_time() but resets the shared statistics, hence
# stats_reset in server_state.
crashes() {
  tail -n +"$(($1 + 1))" "$log" |
    grep -E -A1 'terminated by signal|server process .* was terminated|all server processes terminated|database system was interrupted'
}
server_state() { q "SELECT pg_postmaster_start_time(), (SELECT stats_reset FROM pg_stat_bgwriter)"; }

# How many queries the run executed: for sqlsmith, its progress characters
# (--verbose: one of . t s c e per query executed, 80 a line, between reports);
# for the sweep, the transactions the database counted (each call one).
executed() {
  if [[ $1 == sqlsmith* ]]; then
    grep -E '^[.tsce]+$' "$work/err" | tr -d '\n' | wc -c
  else
    q "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
  fi
}

# run NAME SCOPE_SCHEMA CMD...: one fuzz run, then its five checks.
run() {
  local name=$1 scope=$2 start state rc=0 t0 left=1 found ran reached
  shift 2
  start=$(wc -l <"$log")
  state=$(server_state)
  q "SELECT pg_stat_reset()" >/dev/null
  t0=$SECONDS
  timeout -k 5 "$seconds" "$@" >/dev/null 2>"$work/err" || rc=$?
  echo "# $name: exit $rc after $((SECONDS - t0)) s"
  ok "$([[ $rc == 0 || $rc == 124 ]] && echo 0 || echo 1)" "$name: ran (exit 0, or 124 when the time bound ended it)"
  ((rc == 0 || rc == 124)) || tail -n 20 "$work/err" | sed 's/^/# /'
  # A backend that ignores the cancel outlives its client.
  for _ in $(seq 1 20); do
    left=$(q "SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
    [[ $left == 0 ]] && break
    sleep 0.5
  done
  ok "$([[ $left == 0 ]] && echo 0 || echo 1)" "$name: no backend is left running"
  [[ $left == 0 ]] || q "SELECT pid, state, now() - query_start, left(query, 500) FROM pg_stat_activity
                         WHERE datname = current_database() AND pid <> pg_backend_pid()" | sed 's/^/# /'
  ran=$(executed "$name")
  echo "# $name: $ran queries executed"
  ok "$([[ ${ran:-0} -ge $min_queries ]] && echo 0 || echo 1)" \
     "$name: at least $min_queries queries executed (time bound ${seconds}s)"
  reached=$(q "SELECT count(*) FROM pg_stat_user_functions WHERE schemaname = 'aidis' AND calls > 0")
  echo "# $name: aidis functions that ran (nested calls included): $reached; not run: $(q "
    SELECT COALESCE(string_agg(proname, ' ' ORDER BY proname), '-') FROM $scope.pg_proc p
    WHERE pronamespace = 'aidis'::regnamespace
      AND NOT EXISTS (SELECT 1 FROM pg_stat_user_functions f WHERE f.funcid = p.oid AND f.calls > 0)")"
  ok "$([[ ${reached:-0} -ge $min_functions ]] && echo 0 || echo 1)" \
     "$name: at least $min_functions functions of schema aidis ran"
  found=$(crashes "$start")
  ok "$([[ -z $found && $(server_state) == "$state" ]] && echo 0 || echo 1)" "$name: no backend crashed"
  [[ -z $found ]] || sed 's/^/# /' <<<"$found"
}

quiet="-clog_min_messages=fatal -clog_min_error_statement=panic"
conninfo() { echo "host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=$1 options='-csearch_path=$2,pg_catalog $3'"; }
sweep_calls postgres >"$work/calls_superuser.sql" && sweep_calls aidis_writer >"$work/calls_writer.sql" ||
  echo "# could not generate the sweep's calls"

# The superuser reaches every function, internal ones included; the writer
# what the MCP server can, under row-level security.
run "sqlsmith as superuser" fuzz_all sqlsmith --verbose --seed="$seed" --max-queries="$queries" --exclude-catalog \
  --target="$(conninfo postgres fuzz_all "$quiet")"
run "sqlsmith as aidis_writer" fuzz_writer sqlsmith --verbose --seed="$seed" --max-queries="$queries" --exclude-catalog \
  --target="$(conninfo fuzz_writer fuzz_writer "")"
echo "# argument sweep: $(wc -l <"$work/calls_superuser.sql") calls as superuser, $(wc -l <"$work/calls_writer.sql") as aidis_writer"
run "argument sweep as superuser" fuzz_all \
  env PGOPTIONS="-cstatement_timeout=1s $quiet" psql -X -q -U postgres -f "$work/calls_superuser.sql"
run "argument sweep as aidis_writer" fuzz_writer \
  env PGOPTIONS="-cstatement_timeout=1s" psql -X -q -U fuzz_writer -f "$work/calls_writer.sql"
exit $((failed > 0))
