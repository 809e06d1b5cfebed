# Helpers for test/integration/worker_*.sh (sourced, not run: scripts/test.sh
# only runs executable *.sh files).
#
# Needs: PGHOST/PGPORT/PGUSER of a running throwaway cluster (scripts/cluster.sh),
# AIDIS_BIN (the aidis binary), the extension installed in that server.
# Every wait is bounded; every worker started here is killed on exit.

set -uo pipefail # not -e: a failed check is reported as "not ok" and the script goes on

: "${PGHOST:?PGHOST must point at the test cluster}" "${PGPORT:?}" "${PGUSER:?}"
REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
AIDIS_BIN=${AIDIS_BIN:-$REPO_ROOT/build/aidis}
if [[ ! -x $AIDIS_BIN ]]; then
  echo "Bail out! no aidis binary at $AIDIS_BIN (cmake -S . -B build && cmake --build build)"
  exit 1
fi
unset PGDATABASE PGSERVICE PGOPTIONS # only what the tests pass explicitly
export PGCONNECT_TIMEOUT=10          # no psql call may hang on a dead server

WORK=$(mktemp -d /tmp/aidis-worker-test.XXXXXX)
DB=               # the database under test (set by setup_db)
DROP_DB=          # dropped on exit when set
WORKER_PIDS=()
CLEANUP_SQL=()    # run (best effort) in database aidis on exit, see worker_cron.sh

# --- TAP ---------------------------------------------------------------------
T_PLAN=0 T_RUN=0 T_FAILED=0
plan() { T_PLAN=$1; echo "1..$1"; }
ok() { # ok CONDITION_EXIT_STATUS DESCRIPTION [DIAGNOSTIC]
  T_RUN=$((T_RUN + 1))
  if [[ $1 == 0 ]]; then
    echo "ok $T_RUN - $2"
  else
    T_FAILED=$((T_FAILED + 1))
    echo "not ok $T_RUN - $2"
    [[ -z ${3:-} ]] || sed 's/^/# /' <<<"$3"
  fi
}
check() { # check DESCRIPTION COMMAND... : ok when the command succeeds
  local desc=$1 out rc
  shift
  out=$("$@" 2>&1) && rc=0 || rc=$?
  ok "$rc" "$desc" "$out"
}
is() { # is GOT EXPECTED DESCRIPTION
  [[ $1 == "$2" ]]
  ok $? "$3" "got:      '$1'"$'\n'"expected: '$2'"
}

# --- SQL ---------------------------------------------------------------------
q() { PGOPTIONS="-c client_min_messages=warning" psql -XAtq -v ON_ERROR_STOP=1 -d "${QDB:-$DB}" "$@"; } # q -c SQL [-c SQL ...]

# sqlstate SQL: runs SQL (in $DB) expecting an error; prints its SQLSTATE.
sqlstate() {
  psql -XAtq -d "${QDB:-$DB}" -v VERBOSITY=sqlstate -c "$1" 2>&1 >/dev/null | sed -n 's/^ERROR: *\([0-9A-Z]\{5\}\).*/\1/p'
}

# setup_db NAME TIMEOUT: a fresh database with the extension, the session
# timeout set for every new connection, and a measuring helper.
setup_db() {
  DB=$1
  dropdb --if-exists --force "$DB" >/dev/null 2>&1
  createdb "$DB" || return 1
  DROP_DB=$DB
  q -c "CREATE EXTENSION aidis_sessions CASCADE" \
    -c "ALTER DATABASE \"$DB\" SET aidis.session_timeout = '$2'" || return 1
  # wait_ended(session, max seconds): polls every 10 ms (each statement of a
  # plpgsql loop sees newly committed rows) and returns when it first saw the
  # session no longer active, with the row as it is then.
  q <<'SQL'
CREATE FUNCTION public.wait_ended(sid uuid, max_wait float8)
  RETURNS TABLE (seen_at timestamptz, status text, end_reason text,
                 last_activity_at timestamptz, ended_at timestamptz)
  LANGUAGE plpgsql AS $$
DECLARE
  give_up timestamptz := clock_timestamp() + make_interval(secs => max_wait);
BEGIN
  WHILE (SELECT s.status FROM aidis.sessions s WHERE s.id = sid) = 'active'
        AND clock_timestamp() < give_up LOOP
    PERFORM pg_sleep(0.01);
  END LOOP;
  RETURN QUERY SELECT clock_timestamp(), s.status, s.end_reason, s.last_activity_at, s.ended_at
               FROM aidis.sessions s WHERE s.id = sid;
END
$$;
SQL
}

# start_session KEY: starts a session for agent claude-code; prints its id.
start_session() {
  q -c "SELECT id FROM aidis.start_session(agent => 'claude-code', client_key => '$1')"
}

# check_expiry DESC SESSION_ID TIMEOUT_SECONDS [MAX_WAIT]: the session times out
# no earlier than last_activity_at + timeout and at most 1 s after it, with
# ended_at = last_activity_at (the idle tail is not work).
check_expiry() {
  local desc=$1 sid=$2 timeout=$3 max=${4:-10} row
  row=$(q -F ' ' -c "SELECT status, end_reason, ended_at = last_activity_at,
                            round(extract(epoch FROM seen_at - (last_activity_at + interval '$timeout s'))::numeric, 3)
                     FROM public.wait_ended('$sid', $max)")
  local status reason same late
  read -r status reason same late <<<"$row"
  [[ $status == inactive && $reason == timeout && $same == t ]] &&
    awk -v l="$late" 'BEGIN { exit !(l >= 0 && l <= 1.0) }'
  ok $? "$desc (ended ${late}s after the deadline)" "status end_reason ended_at=last_activity_at lateness: $row"
}

# --- workers -----------------------------------------------------------------
# start_worker NAME [ARGS...]: `aidis -d $DB worker -v ARGS` in the background,
# stderr to $WORK/NAME.log; sets WORKER_PID.
start_worker() {
  local name=$1
  shift
  "$AIDIS_BIN" -d "dbname=$DB" worker -v "$@" 2>"$WORK/$name.log" </dev/null &
  WORKER_PID=$!
  WORKER_PIDS+=("$WORKER_PID")
}

# wait_log FILE PATTERN [SECONDS] [COUNT]: until FILE has COUNT lines matching
# the extended regex PATTERN (default 1).
wait_log() {
  local file=$1 pattern=$2 secs=${3:-10} count=${4:-1} i
  for ((i = 0; i < secs * 20; i++)); do
    (($(grep -cE -- "$pattern" "$file" 2>/dev/null) >= count)) && return 0
    sleep 0.05
  done
  echo "timed out after ${secs}s waiting for $count x /$pattern/ in $file:"
  cat "$file"
  return 1
}

# A worker is ready once it has LISTENed, swept and found nothing to wait for.
wait_ready() { wait_log "$WORK/$1.log" 'no active session: waiting for a notification' "${2:-10}" "${3:-1}"; }

# stop_worker PID [SIGNAL] [SECONDS]: signals the worker and waits for it to
# exit; sets RC to its exit status (or "timeout", after killing it).
stop_worker() {
  kill -s "${2:-TERM}" "$1" 2>/dev/null
  wait_exit "$1" "${3:-10}"
}

# wait_exit PID [SECONDS]: sets RC to the exit status of a worker started here.
# (Not usable in $(...): a subshell cannot wait for its parent's children.)
wait_exit() {
  local pid=$1 secs=${2:-10} i
  for ((i = 0; i < secs * 20; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      RC=$?
      return 0
    fi
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  RC=timeout
}

# cpu_ticks PID: user + system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# --- server control ------------------------------------------------------------
# pg_ctl_as_owner ARGS...: pg_ctl on the test cluster ($PGHOST/data, log
# $PGHOST/server.log as scripts/cluster.sh sets it up), run as the owner of the
# data directory (the cluster runs as postgres when the tests run as root).
pg_ctl_as_owner() {
  local data=$PGHOST/data owner
  owner=$(stat -c %U "$data") || return 1
  if [[ $owner == "$(id -un)" ]]; then
    pg_ctl -D "$data" -l "$PGHOST/server.log" "$@"
  else
    (cd / && runuser -u "$owner" -- pg_ctl -D "$data" -l "$PGHOST/server.log" "$@")
  fi
}

# --- exit ----------------------------------------------------------------------
finish() {
  local rc=$?
  local pid
  for pid in "${WORKER_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if ((T_FAILED > 0 || T_RUN != T_PLAN)); then
    for f in "$WORK"/*.log; do [[ -f $f ]] && { echo "# --- $f"; sed 's/^/# /' "$f"; }; done
  fi
  local sql
  for sql in "${CLEANUP_SQL[@]}"; do psql -XAtq -d aidis -c "$sql" >/dev/null 2>&1; done
  [[ -z $DROP_DB ]] || dropdb --if-exists --force "$DROP_DB" >/dev/null 2>&1
  rm -rf "$WORK"
  if ((T_RUN != T_PLAN)); then echo "# planned $T_PLAN tests but ran $T_RUN"; rc=1; fi
  ((T_FAILED == 0)) || rc=1
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
