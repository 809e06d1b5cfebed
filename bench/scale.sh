#!/usr/bin/env bash
# The scale set (docs/performance.md): 100 000 sessions and 10 million timeline
# events over 50 projects and a year, then server-side latency percentiles of
# the read API and the timeout sweep.
#
#   bench/scale.sh [--scale]        100 000 sessions, 10 M events (generation about 5-8 min)
#   bench/scale.sh --scale-small    10 000 sessions, 1 M events (about 1 min)
#   options: --sessions N --events N --projects N --calls N (default 200) --build
#            --reuse (use the cluster in PGHOST/PGPORT instead of a throwaway one)
#            --keep  (keep the database, print how to connect; throwaway clusters stay up too)
#
# Every call is timed inside the server (clock_timestamp() around it, one
# transaction per call: bench/latency.sql). A function the API does not have yet
# is skipped with a message. Any call whose p95 misses its target is shown with
# EXPLAIN (ANALYZE, BUFFERS) of its nested statements (auto_explain).
set -euo pipefail

sessions=100000 events=10000000 projects=50 calls=200 build=0 reuse=0 keep=0 size=full
source "$(dirname "$0")/lib.sh"
bench_args --scale= '--scale-small=sessions=10000 events=1000000 size=small' \
  --sessions:sessions --events:events --projects:projects --calls:calls \
  --build=build=1 --reuse=reuse=1 --keep=keep=1 -- "$@"
((build == 0)) || bench_make_install

echo "=== aidis_sessions scale set: $sessions sessions, ~$events events, $projects projects ($size)"
bench_cluster "$reuse"
bench_db aidis_scale
if ((keep)); then
  echo "(--keep: database $BENCH_DB stays)"
  BENCH_DB_KEEP=$BENCH_DB BENCH_DB= BENCH_CLUSTER_DIR_KEEP=$BENCH_CLUSTER_DIR BENCH_CLUSTER_DIR=
  export PGDATABASE=$BENCH_DB_KEEP
  q() { psql -X -q -v ON_ERROR_STOP=1 -d "$BENCH_DB_KEEP" "$@"; }
fi
bench_machine
bench_version

# --- generation ---
t0=$SECONDS
echo "--- generating sessions, contexts, tasks, decisions, files"
q -v sessions="$sessions" -v events="$events" -v projects="$projects" -f "$BENCH_DIR/scale.sql" >/dev/null
chunks=10 per=$(((sessions + 9) / 10))
for ((c = 0; c < chunks; c++)); do
  lo=$((c * per + 1)) hi=$(((c + 1) * per))
  q -v lo=$lo -v hi=$hi -f "$BENCH_DIR/scale_events.sql" >/dev/null
  printf '    timeline: sessions %d..%d done (%ds)\n' "$lo" "$((hi < sessions ? hi : sessions))" $((SECONDS - t0))
done
q -c 'DROP TABLE bench.gen, bench.gen_files'
# Ended sessions keep their derived score and active seconds
# (aidis._close_session stores them): the same here, in two streams.
if [[ $(q -At -c "SELECT to_regprocedure('aidis._store_score(uuid)') IS NOT NULL") == t ]]; then
  store_active=
  if [[ $(q -At -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'aidis.session_base'::regclass
                    AND attname = 'active_seconds'") == 1 ]]; then
    store_active="UPDATE aidis.session_base b
                  SET active_seconds = aidis._active_seconds(b.id, b.started_at, b.ended_at, b.last_activity_at)
                  WHERE b.status <> 'active' AND (hashtext(b.id::text) & 1) = %s;"
  fi
  pids=()
  for half in 0 1; do
    # shellcheck disable=SC2059
    q -c "SELECT count(aidis._store_score(b.id)) FROM aidis.session_base b
          WHERE b.status <> 'active' AND (hashtext(b.id::text) & 1) = $half;
          $(printf "$store_active" "$half")" >/dev/null &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  printf '    scores%s stored for ended sessions (%ds)\n' "${store_active:+ and active seconds}" $((SECONDS - t0))
fi
echo "--- VACUUM ANALYZE"
q -c 'VACUUM (ANALYZE)'
gen_s=$((SECONDS - t0))
q -At -c "SELECT format('generated in %s s: %s sessions (%s active), %s events, %s contexts, %s tasks, %s decisions, %s files; database %s',
                        $gen_s, (SELECT count(*) FROM aidis.session_base),
                        (SELECT count(*) FROM aidis.session_base WHERE status = 'active'),
                        (SELECT count(*) FROM aidis.session_activities), (SELECT count(*) FROM aidis.contexts),
                        (SELECT count(*) FROM aidis.tasks), (SELECT count(*) FROM aidis.decisions),
                        (SELECT count(*) FROM aidis.session_files), pg_size_pretty(pg_database_size(current_database())))"

# --- counters: the generated set must be consistent ---
echo "--- counters"
t1=$SECONDS
n=$(q -At -c 'SELECT count(*) FROM aidis.check_counters()')
echo "aidis.check_counters(): $n mismatch(es) in $((SECONDS - t1)) s"
[[ $n == 0 ]] || { echo "FAILED: the generated set is inconsistent" >&2; exit 1; }

# --- latency ---
q -f "$BENCH_DIR/latency.sql" >/dev/null
# label | function | calls | target ms (empty: none)
measurements=(
  "list_sessions()|list_sessions|$calls|5"
  "list_sessions(q)|list_sessions|$calls|5"
  "list_sessions(q), as aidis_reader|list_sessions|$calls|5"
  "list_sessions(q), as aidis_admin|list_sessions|$calls|5"
  "list_sessions(status)|list_sessions|$calls|5"
  "list_sessions(project)|list_sessions|$calls|5"
  "list_sessions(q, status, project)|list_sessions|$calls|5"
  "session_details|session_details|$calls|2"
  "session_timeline (page of 500)|session_timeline|$calls|5"
  "session_timeline (page of 50, 2nd)|session_timeline|$calls|5"
  "expire_idle_sessions()|expire_idle_sessions|$calls|1"
  "next_timeout_at()|next_timeout_at|$calls|"
  "session_stats(month)|session_stats|$(((calls + 9) / 10))|"
  "session_stats(month, project)|session_stats|$(((calls + 9) / 10))|"
  "start_session: project choice|_choose_project|$(((calls + 9) / 10))|"
  "start_session()|start_session|$(((calls + 9) / 10))|"
)
echo "--- latency ($calls calls each, session_stats $(((calls + 9) / 10)); server-side, one transaction per call)"
for m in "${measurements[@]}"; do
  IFS='|' read -r label fn n tgt <<<"$m"
  if [[ $(q -At -c "SELECT bench.has('$fn')") != t ]]; then
    echo "    skip $label: aidis.$fn() does not exist (yet)"
    continue
  fi
  t1=$SECONDS
  q -c "CALL bench.measure('$label', $n)"
  printf '    %-36s %3d s\n' "$label" $((SECONDS - t1))
done
q -c "CREATE TABLE bench.targets (ord int, label text, target float8)"
i=0
for m in "${measurements[@]}"; do
  IFS='|' read -r label fn n tgt <<<"$m"
  q -c "INSERT INTO bench.targets VALUES ($((i++)), '$label', ${tgt:-NULL})"
done

echo
echo "=== latency in ms: $sessions sessions, $(q -At -c 'SELECT count(*) FROM aidis.session_activities') events"
q -P footer=off -P border=2 <<'SQL'
SELECT l.label AS call, count(*) AS calls,
       round(percentile_cont(0.50) WITHIN GROUP (ORDER BY l.ms)::numeric, 3) AS p50,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY l.ms)::numeric, 3) AS p95,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY l.ms)::numeric, 3) AS p99,
       round(max(l.ms)::numeric, 3) AS max,
       COALESCE('p95 <= ' || t.target, '-') AS target,
       CASE WHEN t.target IS NULL THEN ''
            WHEN percentile_cont(0.95) WITHIN GROUP (ORDER BY l.ms) <= t.target THEN 'met' ELSE 'NOT MET' END AS result
FROM bench.latency l LEFT JOIN bench.targets t USING (label)
GROUP BY l.label, t.target, t.ord
ORDER BY t.ord;
SQL

# --- plans of the calls over their target ---
over=$(q -At -F'|' <<'SQL'
SELECT l.label, (SELECT x.arg FROM bench.latency x WHERE x.label = l.label ORDER BY x.ms DESC LIMIT 1), t.target
FROM bench.latency l JOIN bench.targets t USING (label)
WHERE l.label NOT IN ('start_session()')
GROUP BY l.label, t.target
-- over the target, or slower than 100 ms where there is none
HAVING percentile_cont(0.95) WITHIN GROUP (ORDER BY l.ms) > COALESCE(t.target, 100)
SQL
)
while IFS='|' read -r label arg tgt; do
  [[ -n $label ]] || continue
  lit=$([[ -n $arg ]] && echo "'${arg//\'/\'\'}'" || echo NULL)
  case $label in
    'list_sessions()') call="SELECT count(*) FROM aidis.list_sessions()" ;;
    'list_sessions(q)') call="SELECT count(*) FROM aidis.list_sessions($lit)" ;;
    'list_sessions(q), as aidis_reader' | 'list_sessions(q), as aidis_admin')
      # (the argument depends on the role switch, so that it comes first)
      call="SELECT count(*) FROM (SELECT set_config('role', '${label##*as }', true) AS r) x,
            LATERAL aidis.list_sessions($lit || left(x.r, 0)) l" ;;
    'list_sessions(status)') call="SELECT count(*) FROM aidis.list_sessions(NULL, $lit)" ;;
    'list_sessions(project)') call="SELECT count(*) FROM aidis.list_sessions(NULL, NULL, $lit)" ;;
    'list_sessions(q, status, project)')
      call="SELECT count(*) FROM aidis.list_sessions($lit, 'inactive', (SELECT min(name) FROM aidis.projects WHERE name <> '__unassigned__'))" ;;
    'session_details') call="SELECT length(aidis.session_details($lit)::text)" ;;
    'session_timeline (page of 500)') call="SELECT count(*) FROM aidis.session_timeline($lit)" ;;
    'session_timeline (page of 50, 2nd)') call="SELECT count(*) FROM aidis.session_timeline($lit, 50, (SELECT max(id) FROM aidis.session_timeline($lit, 50)))" ;;
    'expire_idle_sessions()') call="SELECT aidis.expire_idle_sessions()" ;;
    'session_stats(month)') call="SELECT length(aidis.session_stats('month')::text)" ;;
    'session_stats(month, project)') call="SELECT length(aidis.session_stats('month', $lit)::text)" ;;
    'start_session: project choice') call="SELECT aidis._choose_project(NULL)" ;;
    *) continue ;;
  esac
  echo
  [[ -n $tgt ]] || tgt=100
  echo "=== over target ($label: p95 > $tgt ms); slowest argument: ${arg:-none}"
  echo "--- EXPLAIN (ANALYZE, BUFFERS) $call"
  q -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $call" | sed 's/^/    /'
  thresh=$(awk -v t="$tgt" 'BEGIN { print int(t / 5) }')
  echo "--- its nested statements taking ${thresh} ms or more (auto_explain)"
  q -c "LOAD 'auto_explain'" \
    -c "SET auto_explain.log_min_duration = $thresh" \
    -c "SET auto_explain.log_analyze = on" -c "SET auto_explain.log_buffers = on" \
    -c "SET auto_explain.log_nested_statements = on" -c "SET auto_explain.log_timing = on" \
    -c "SET client_min_messages = log" -c "$call" 2>&1 >/dev/null |
    sed -e 's/^LOG:  //' -e 's/^/    /' | head -n 150 || true
done <<<"$over"

if ((keep)); then
  echo
  echo "kept: database $BENCH_DB_KEEP on PGHOST=$PGHOST PGPORT=$PGPORT" \
       "${BENCH_CLUSTER_DIR_KEEP:+(cluster dir $BENCH_CLUSTER_DIR_KEEP; stop it with scripts/cluster.sh stop $BENCH_CLUSTER_DIR_KEEP)}"
fi
