#!/usr/bin/env bash
# Adoption at scale (target: 100 000 host sessions with 2 million rows
# in under 2 minutes): a host database shaped like AIDIS's
# (test/fixtures/adopt_host.sql plus bench/adopt_gen.sql), then the dry run
# and aidis.adopt(apply => true), each timed in one transaction, and
# check_counters() after the import. At the full size it fails (exit 1)
# when the dry run and the apply together take longer than 120 s (wall).
#
#   bench/adopt.sh                100 000 sessions, 2 000 000 rows
#   bench/adopt.sh --smoke        1 000 sessions, 20 000 rows
#   options: --sessions N --rows N --reuse (the cluster in PGHOST/PGPORT) --keep
set -euo pipefail
full_sessions=100000 full_rows=2000000 limit_seconds=120
sessions=$full_sessions rows=$full_rows reuse=0 keep=0
source "$(dirname "$0")/lib.sh"
bench_args '--smoke=sessions=1000 rows=20000' --sessions:sessions --rows:rows \
  --reuse=reuse=1 --keep=keep=1 -- "$@"
bench_start "$reuse" aidis_adopt

start=$(date +%s.%N)
q -f "$REPO_ROOT/test/fixtures/adopt_host.sql" >/dev/null
q -v sessions="$sessions" -v rows="$rows" -f "$BENCH_DIR/adopt_gen.sql" >/dev/null
echo "host: $(q -Atc "SELECT (SELECT count(*) FROM host.sessions) || ' sessions, '
  || (SELECT count(*) FROM host.contexts) + (SELECT count(*) FROM host.tasks)
     + (SELECT count(*) FROM host.technical_decisions) || ' rows'") (generated in $(echo "$(date +%s.%N) - $start" | bc | cut -c1-6) s)"

# The backend's CPU time (user + system, /proc/self/stat) next to the wall
# time: on a shared machine it is the closer measure of the work done.
cpu="(SELECT (x[12]::bigint + x[13]::bigint) / $(getconf CLK_TCK)::numeric
      FROM (SELECT string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS x) y)"
adopt() {  # adopt APPLY: seconds inside the server (the first word), and a summary of the report
  q -At -c "SET client_min_messages = warning" -c "
    SELECT round(extract(epoch FROM clock_timestamp() - t0)::numeric, 2) || ' s (backend CPU '
           || round($cpu - c0, 2) || ' s); sessions ' || (r #>> '{import,sessions}')
           || ', events ' || (r #>> '{import,timeline_events}') || ', applied ' || (r ->> 'applied')
    FROM (SELECT clock_timestamp() AS t0, $cpu AS c0) t,
         LATERAL (SELECT aidis.adopt('host.projects', 'host.sessions', 'host.contexts', 'host.tasks',
                                     'host.technical_decisions', apply => $1) AS r) a"
}
dry=$(adopt false)
echo "dry run: $dry"
apply=$(adopt true)
echo "apply:   $apply"
total=$(echo "${dry%% *} + ${apply%% *}" | bc)
echo "total:   $total s (dry run + apply, wall; load $(cut -d' ' -f1-3 /proc/loadavg))"
after=$(q -Atc "SELECT count(*) || ' sessions, ' || (SELECT count(*) FROM aidis.session_activities) || ' events, '
                     || (SELECT count(*) FROM aidis.check_counters()) || ' counter mismatches'
              FROM aidis.session_base")
echo "after:   $after"
[[ $after == *" 0 counter mismatches" ]] || { echo "adopt: the counters disagree with the rows" >&2; exit 1; }
if ((keep)); then
  echo "kept: PGHOST=$PGHOST PGPORT=$PGPORT psql -d $BENCH_DB"
  BENCH_DB= BENCH_CLUSTER_DIR=
fi
if ((sessions == full_sessions && rows == full_rows)) && (($(echo "$total > $limit_seconds" | bc))); then
  echo "adopt: dry run + apply took $total s at the full size, over the $limit_seconds s target" >&2
  exit 1
fi
