#!/usr/bin/env bash
# Export at scale (target: 100 000 sessions under 100 MB of memory): ended
# sessions with a timeline of eight events, two files and three tracked rows
# each, then `aidis sessions export --format jsonl` timed, with the peak
# resident memory of the binary (/usr/bin/time -v) and the backend's private
# memory (the largest RssAnon in /proc, sampled while it runs: VmHWM would
# count the shared buffers it read), and the size of the file.
#
#   bench/export.sh              100 000 sessions
#   bench/export.sh --smoke      2 000 sessions
#   options: --sessions N --reuse (the cluster in PGHOST/PGPORT) --format json|jsonl|md
set -euo pipefail
sessions=100000 reuse=0 format=jsonl
source "$(dirname "$0")/lib.sh"
bench_args --smoke=sessions=2000 --sessions:sessions --reuse=reuse=1 --format:format -- "$@"
bench_start "$reuse" aidis_export
AIDIS_BIN=${AIDIS_BIN:-$REPO_ROOT/build/aidis}
out=$(mktemp /tmp/aidis-export-bench.XXXXXX)
trap 'rm -f "$out" "$out.time"' RETURN

start=$(date +%s.%N)
# Written directly as the owner, untracked: the shape of a real history.
q -v n="$sessions" >/dev/null <<'SQL'
SELECT aidis.create_project('bench-export', is_default => true);
INSERT INTO aidis.session_base (display_id, title, goal, tags, project_id, agent, status, end_reason, started_at,
                                last_activity_at, ended_at, contexts_created, tasks_created, decisions_created,
                                activity_count, active_seconds)
SELECT format('SES-2020-%s', lpad(g::text, 6, '0')), 'Session ' || g, 'Goal of session ' || g, '{bench,export}',
       (SELECT id FROM aidis.projects WHERE name = 'bench-export'), 'claude-code', 'inactive', 'ended',
       t, t + interval '40 min', t + interval '40 min', 1, 1, 1, 8, 2400
FROM generate_series(1, :n) g, LATERAL (SELECT '2020-01-01'::timestamptz + g * interval '1 hour') x(t);
SET session_replication_role = replica;  -- the rows, untracked (their counters are set above)
INSERT INTO aidis.contexts (project_id, session_id, content) SELECT project_id, id, 'context of ' || title FROM aidis.session_base;
INSERT INTO aidis.tasks (project_id, session_id, title) SELECT project_id, id, 'task of ' || title FROM aidis.session_base;
INSERT INTO aidis.decisions (project_id, session_id, title) SELECT project_id, id, 'decision of ' || title FROM aidis.session_base;
RESET session_replication_role;
INSERT INTO aidis.session_activities (session_id, project_id, occurred_at, kind, summary, data)
SELECT b.id, b.project_id, b.started_at + k * interval '5 min',
       (ARRAY['session_started', 'context_added', 'task_created', 'decision_made', 'tokens_recorded',
              'file_touched', 'file_touched', 'session_ended'])[k + 1], 'event ' || k || ' of ' || b.title,
       jsonb_build_object('n', k)
FROM aidis.session_base b, generate_series(0, 7) k;
INSERT INTO aidis.session_files (session_id, path, project_id, modifications, loc_added, first_at, last_at)
SELECT b.id, p, b.project_id, 1, 10, b.started_at, b.ended_at
FROM aidis.session_base b, unnest(ARRAY['src/a.cpp', 'src/b.cpp']) p;
VACUUM ANALYZE;
SQL
echo "data: $sessions sessions (generated in $(echo "$(date +%s.%N) - $start" | bc | cut -c1-6) s)"

/usr/bin/time -v -o "$out.time" "$AIDIS_BIN" -d "dbname=$BENCH_DB" sessions export --format "$format" -o "$out" &
BENCH_CHILD=$!
backend_kb=0
while kill -0 "$BENCH_CHILD" 2>/dev/null; do
  pid=$(psql -d "$BENCH_DB" -XAtq -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'aidis-cli' LIMIT 1")
  if [[ -n $pid && -r /proc/$pid/status ]]; then
    kb=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    ((${kb:-0} > backend_kb)) && backend_kb=$kb
  fi
  sleep 0.5
done
wait "$BENCH_CHILD"
BENCH_CHILD=
elapsed=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out.time")
client_kb=$(awk -F': ' '/Maximum resident/ {print $2}' "$out.time")
echo "export --format $format: $elapsed wall; $(wc -l <"$out") lines, $(du -h "$out" | cut -f1)"
echo "peak memory: aidis $((client_kb / 1024)) MB; its backend's private memory $((backend_kb / 1024)) MB (RssAnon, sampled)"
((client_kb < 100 * 1024)) || { echo "export: the binary used more than 100 MB" >&2; exit 1; }
