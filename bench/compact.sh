#!/usr/bin/env bash
# Compaction at scale: the scale set (bench/scale.sql, bench/scale_events.sql:
# 100 000 sessions, 10 million timeline events over a year), then
# CALL aidis.compact_activity(older_than) timed, the timeline's size before and
# after (rows, and bytes after VACUUM FULL), check_counters() after, and the
# cost of a second, idle run.
#
#   bench/compact.sh                 100 000 sessions, 10 M events
#   bench/compact.sh --scale-small   10 000 sessions, 1 M events
#   bench/compact.sh --smoke         1 000 sessions, 100 000 events
#   options: --older-than INTERVAL (default '1 day': everything of ended sessions but the last day)
#            --reuse (the cluster in PGHOST/PGPORT)
set -euo pipefail
sessions=100000 events=10000000 projects=50 older='1 day' reuse=0
source "$(dirname "$0")/lib.sh"
bench_args '--scale-small=sessions=10000 events=1000000' '--smoke=sessions=1000 events=100000' \
  --older-than:older --reuse=reuse=1 -- "$@"
echo "=== compaction: $sessions sessions, ~$events events, older than $older"
bench_start "$reuse" aidis_compact

t0=$SECONDS
q -v sessions="$sessions" -v events="$events" -v projects="$projects" -f "$BENCH_DIR/scale.sql" >/dev/null
per=$(((sessions + 9) / 10))
for ((c = 0; c < 10; c++)); do
  q -v lo=$((c * per + 1)) -v hi=$(((c + 1) * per)) -f "$BENCH_DIR/scale_events.sql" >/dev/null
done
q -c 'DROP TABLE bench.gen, bench.gen_files'
# Ended sessions keep their score and active seconds (aidis._close_session
# stores them): the same here, so the run measures folding, not scoring.
q -c "UPDATE aidis.session_base b
      SET active_seconds = aidis._active_seconds(b.id, b.started_at, b.ended_at, b.last_activity_at)
      WHERE b.status <> 'active'" \
  -c "SELECT count(aidis._store_score(b.id)) FROM aidis.session_base b WHERE b.status <> 'active'" \
  -c 'VACUUM (ANALYZE)' >/dev/null
echo "generated in $((SECONDS - t0)) s"

size() {
  q -At -c "SELECT format('%s events (%s of ended sessions), table and index %s',
                          count(*), count(*) FILTER (WHERE b.status <> 'active'),
                          pg_size_pretty(pg_total_relation_size('aidis.session_activities')))
            FROM aidis.session_activities a JOIN aidis.session_base b ON b.id = a.session_id"
}
echo "before: $(size)"
t1=$(date +%s.%N)
report=$(q -At -c "CALL aidis.compact_activity('$older')")
t2=$(date +%s.%N)
printf 'compact_activity: %.1f s; %s\n' "$(echo "$t2 - $t1" | bc)" "$report"
q -c 'VACUUM FULL aidis.session_activities' -c 'ANALYZE aidis.session_activities'
echo "after (VACUUM FULL): $(size)"
t1=$(date +%s.%N)
q -At -c "CALL aidis.compact_activity('$older')" >/dev/null
t2=$(date +%s.%N)
printf 'second run (nothing to fold): %.2f s\n' "$(echo "$t2 - $t1" | bc)"
n=$(q -At -c 'SELECT count(*) FROM aidis.check_counters()')
echo "check_counters(): $n mismatch(es)"
[[ $n == 0 ]] || { echo "FAILED: counters changed" >&2; exit 1; }
