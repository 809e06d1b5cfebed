#!/usr/bin/env bash
# Run every test: C++ core unit tests, pg_regress, pgTAP, integration scripts, the MCP
# server with the MCP SDK client (node --test), CTest, bench smoke.
# Builds and installs the extension first and runs the database suites against a
# throwaway cluster (scripts/cluster.sh) that is removed on exit, pass or fail.
# A failing suite does not stop the others; the last line is "N passed, N failed".
# Environment:
#   AIDIS_SUITE_TIMEOUT  seconds per suite (default 1800)
#   AIDIS_TEST_CLOCK     run the cluster and every suite with the clock moved to this
#                        moment (any `date -d` string, e.g. "2027-01-01 09:30 UTC"); the
#                        clock keeps ticking from there (libfaketime, an offset).
#   TZ                   the cluster's time zone (initdb takes it) and the clients'.
#   AIDIS_SUITES         run only the suites whose name matches this extended regex.
# scripts/test-clocks.sh runs the whole suite across weekdays, zones, a year
# boundary and a DST change.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO_ROOT=$PWD
export REPO_ROOT

bash scripts/deps.sh
source scripts/cluster.sh # sets and exports PG_CONFIG (PostgreSQL 15)
PATH=$(_cl_bindir):$PATH  # psql, pg_regress' clients and pg_prove use the 15 binaries
SUDO=(); ((EUID == 0)) || SUDO=(sudo)

# --- build (a build failure stops here: nothing below could run) ---
echo "=== build: extension"
make -j2
"${SUDO[@]}" make install PG_CONFIG="$PG_CONFIG" # sudo resets the env: pass PG_CONFIG explicitly

passed=0 failed=0 failed_names=()
pass() { echo "--- ok: $1"; passed=$((passed + 1)); }
fail() { echo "--- FAILED: $1"; failed=$((failed + 1)); failed_names+=("$1"); }

# run_suite NAME CMD...: run one suite with no stdin and a time limit; record the result.
# It runs in the background because bash defers INT/TERM traps until a foreground
# child ends; `timeout` gives the suite its own process group and kills all of it on
# time-out or when cleanup() stops it.
SUITE_PID=
suite_wanted() { [[ -z ${AIDIS_SUITES:-} ]] || grep -qE -- "$AIDIS_SUITES" <<<"$1"; }
run_suite() {
  local name=$1 rc=0
  shift
  suite_wanted "$name" || { echo "skip (AIDIS_SUITES): $name"; return 0; }
  echo
  echo "=== $name"
  timeout -k 30 "${AIDIS_SUITE_TIMEOUT:-1800}" "$@" </dev/null &
  SUITE_PID=$!
  wait "$SUITE_PID" || rc=$?
  SUITE_PID=
  if ((rc == 0)); then pass "$name"; return 0; fi
  ((rc != 124)) || echo "timed out after ${AIDIS_SUITE_TIMEOUT:-1800}s"
  fail "$name (exit $rc)"
  return 1
}

# On any exit (pass, fail, error, Ctrl-C, TERM): stop the running suite and the cluster.
CLUSTER_DIR=
cleanup() {
  local rc=$?
  set +e
  [[ -z $SUITE_PID ]] || { kill "$SUITE_PID"; wait "$SUITE_PID"; } 2>/dev/null
  if ((rc != 0 || failed > 0)) && [[ -f $CLUSTER_DIR/server.log ]]; then
    echo; echo "=== last lines of the server log"; tail -n 60 "$CLUSTER_DIR/server.log"
  fi
  [[ -z $CLUSTER_DIR ]] || cluster_stop "$CLUSTER_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -f CMakeLists.txt ]]; then
  echo "=== build: aidis (cmake)"
  # A failed build counts as a failed suite; the suites that don't need it still run.
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j2 ||
    fail "cmake build"
fi
[[ ! -x build/aidis ]] || export AIDIS_BIN=$REPO_ROOT/build/aidis

# Formatting and static checks of the C++ (needs the build's compile database).
run_suite "lint (clang-format, clang-tidy)" bash scripts/lint.sh || true

# --- npm: the MCP SDK client of test/mcp, exactly as its package-lock.json pins it
# (from the npm registry; the download cache stays in build/, nothing outside the repo).
mcp_deps=
MCP_SUITE="mcp (node --test)"
if [[ -f test/mcp/package-lock.json ]] && suite_wanted "$MCP_SUITE"; then
  echo "=== npm ci: test/mcp"
  if npm ci --prefix test/mcp --cache "$REPO_ROOT/build/npm-cache" --no-audit --no-fund --loglevel=error; then
    mcp_deps=ok
  else
    fail "npm ci (test/mcp)"
  fi
fi

# --- the moved clock (after the build: make compares file times with now) ---
if [[ -n ${AIDIS_TEST_CLOCK:-} ]]; then
  target=$(date -u -d "$AIDIS_TEST_CLOCK" +%s) || { echo "AIDIS_TEST_CLOCK: not a date: $AIDIS_TEST_CLOCK" >&2; exit 2; }
  # An offset, not a start time: every process (server, psql, aidis, node) sees one clock.
  export FAKETIME="$(printf '%+d' $((target - $(date -u +%s))))" FAKETIME_DONT_FAKE_MONOTONIC=1
  export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
fi
echo "=== clock: $(date '+%Y-%m-%d %H:%M:%S %Z (%A)'), TZ=${TZ:-unset}"

# --- throwaway cluster ---
echo; echo "=== cluster"
CLUSTER_DIR=$(mktemp -d /tmp/aidis-test.XXXXXX)
cluster_start "$CLUSTER_DIR"
source "$CLUSTER_DIR/env" # exports PGHOST PGPORT PGUSER for every suite below
# pg_cron can only be created in cron.database_name (= aidis).
psql -d postgres -qX -v ON_ERROR_STOP=1 -c 'CREATE DATABASE aidis OWNER postgres'
psql -d aidis -qX -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION pg_cron'

# --- pg_regress: sql/*.sql vs expected/*.out (db aidis_regress, see REGRESS_OPTS) ---
if compgen -G 'sql/*.sql' >/dev/null; then
  run_suite "pg_regress (make installcheck)" make installcheck ||
    { [[ ! -f regression.diffs ]] || cat regression.diffs; }
fi

# --- pgTAP: test/pgtap/*.sql ---
if compgen -G 'test/pgtap/*.sql' >/dev/null; then
  if psql -d postgres -qX -v ON_ERROR_STOP=1 -c 'CREATE DATABASE aidis_tap' &&
     psql -d aidis_tap -qX -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION pgtap' \
       -c 'CREATE EXTENSION aidis_sessions CASCADE'; then
    run_suite "pgTAP (pg_prove)" pg_prove -d aidis_tap test/pgtap/*.sql || true
  else
    fail "pgTAP (could not create database aidis_tap with the extensions)"
  fi
fi

# --- integration scripts: each executable test/integration/*.sh is one suite ---
for script in test/integration/*.sh; do
  [[ -f $script ]] || continue # no folder / no scripts
  if [[ ! -x $script ]]; then echo "skip (not executable): $script"; continue; fi
  run_suite "integration: $script" "$script" || true
done

# --- aidis mcp with the official MCP SDK client (node:test), against this cluster ---
if [[ -n $mcp_deps ]]; then
  run_suite "$MCP_SUITE" node --test test/mcp/*.test.mjs || true
fi

# --- CTest (worker integration tests use the cluster env) ---
ntests=0
[[ ! -f build/CTestTestfile.cmake ]] ||
  ntests=$(ctest --test-dir build -N | sed -n 's/^Total Tests: //p') || ntests=0
if ((${ntests:-0} > 0)); then
  run_suite "ctest" ctest --test-dir build --output-on-failure || true
fi

# --- the sessions page in Debian's chromium (node --test; its own node project) ---
# npm ci installs exactly the committed package-lock.json.
if [[ -f test/browser/package.json ]]; then
  run_suite "browser (node --test)" bash -c 'cd test/browser && npm ci --no-audit --no-fund --loglevel=error &&
    node --test --test-concurrency=1' || true
fi

if [[ -f bench/run.sh ]]; then
  run_suite "bench smoke" bash bench/run.sh --smoke || true
fi
if [[ -f bench/adopt.sh ]]; then
  run_suite "bench adopt smoke" bash bench/adopt.sh --smoke --reuse || true
fi
if [[ -f bench/compact.sh ]]; then
  run_suite "bench compact smoke" bash bench/compact.sh --smoke --reuse || true
fi
if [[ -f bench/serve.sh ]]; then
  run_suite "bench serve smoke" bash bench/serve.sh --smoke || true
fi

# The suites that print dates, once per weekday in zones around the date line
# (each in its own cluster with a moved clock); not when this run is one of them.
if [[ -z ${AIDIS_TEST_CLOCK:-} ]]; then
  run_suite "clock matrix (scripts/test-clocks.sh --quick)" bash scripts/test-clocks.sh --quick || true
fi

echo
((failed == 0)) || printf 'failed suite: %s\n' "${failed_names[@]}"
echo "$passed passed, $failed failed"
((failed == 0))
