#!/usr/bin/env bash
# Tracking cost of aidis_sessions, measured against a bare table and two
# reference implementations (docs/performance.md).
#
#   bench/run.sh                 full run on a throwaway cluster (about 35 minutes; --rounds 3 --seconds 5: 15)
#   bench/run.sh --smoke         tiny sizes, < 60 s; reuses the cluster in PGHOST/PGPORT
#                                when exported (a database of its own, dropped after)
#   bench/run.sh --build         make install first
#   bench/run.sh --async         also run everything with synchronous_commit=off (labeled)
#   bench/run.sh --fk            also measure tracking on a table with foreign keys (ablation)
#   bench/run.sh --rounds N --seconds S --bulk-rows N --no-naive-bulk
#   bench/run.sh --scale | --scale-small    the scale set and API latencies (bench/scale.sh)
#
# Prints one table of medians and ratios, then asserts aidis.check_counters()
# is empty. Exits non-zero on errors and on counter mismatches, never on ratios.
set -euo pipefail

mode=full build=0 async=0 fk=0 rounds= seconds= bulk_rows= bulk_rounds= naive_bulk=1
source "$(dirname "$0")/lib.sh"
# --scale, --scale-small: bench/scale.sh instead, with the arguments after it.
scale_instead() {
  local args=("$1")
  ((build == 0)) || args+=(--build)
  exec bash "$BENCH_DIR/scale.sh" "${args[@]}" "${@:2}"
}
bench_args --smoke=mode=smoke --build=build=1 --async=async=1 --fk=fk=1 \
  --rounds:rounds --seconds:seconds --bulk-rows:bulk_rows --no-naive-bulk=naive_bulk=0 \
  --scale@scale_instead --scale-small@scale_instead -- "$@"
if [[ $mode == smoke ]]; then
  rounds=${rounds:-1} seconds=${seconds:-1} bulk_rows=${bulk_rows:-2000} bulk_rounds=1
  naive_bulk_rows=$bulk_rows
else
  rounds=${rounds:-5} seconds=${seconds:-8} bulk_rows=${bulk_rows:-100000} bulk_rounds=3
  naive_bulk_rows=$bulk_rows
fi

((build == 0)) || bench_make_install

echo "=== aidis_sessions tracking benchmark ($mode: $rounds round(s) of ${seconds}s per variant, bulk $bulk_rows rows)"
bench_start "$([[ $mode == smoke ]] && echo 1 || echo 0)" aidis_bench
q -f "$BENCH_DIR/naive.sql" -f "$BENCH_DIR/setup.sql" >/dev/null
((fk == 0)) || q -f "$BENCH_DIR/fk.sql" >/dev/null
read -r SID PID < <(q -AtF' ' -c 'SELECT session_id, project_id FROM bench.fixture')
q -c 'CREATE TABLE bench.results (test text, variant text, clients int, round int, seq int, value float8, cpu_us float8, wal_bytes float8)'

# The variants measured with pgbench: every write path (docs/connections.md)
# and the two references. The paths: explicit session_id; NULL
# session_id on a connection bound to the session; NULL on an unbound
# connection (the current session), without and with a project_id, with 2
# and 100 active sessions; explicit ids through PgBouncer in transaction
# mode, paired with the bare table through the same PgBouncer.
variants=(bare tracked bound unbound unbound_project unbound_100 pgbouncer naive app)
many=100
if [[ $mode == smoke ]]; then  # short: the paths only, fewer sessions
  variants=(bare tracked bound unbound unbound_project unbound_100 pgbouncer) many=10
fi
((fk == 0)) || variants+=(tracked_fk)
declare -A label=(
  [bare]="bare table"
  [tracked]="explicit session_id"
  [bound]="bound connection, NULL id"
  [unbound]="unbound, NULL id (2 active)"
  [unbound_project]="unbound, NULL id + project_id"
  [unbound_100]="unbound, NULL id ($many active)"
  [pgbouncer_bare]="bare table via PgBouncer"
  [pgbouncer]="explicit ids via PgBouncer"
  [naive]="naive PL/pgSQL triggers"
  [app]="app-side round trips"
  [tracked_fk]="explicit ids, table with FKs"
)
declare -A script=([bound]=tracked_null [unbound]=tracked_null [unbound_100]=tracked_null
                   [unbound_project]=tracked_project [pgbouncer_bare]=bare [pgbouncer]=tracked)
# The paths the targets apply to; pgbouncer is compared with pgbouncer_bare.
targeted="'tracked', 'bound', 'unbound', 'unbound_project', 'unbound_100', 'pgbouncer'"

if bench_pgbouncer 4; then
  echo "pgbouncer: transaction mode, pool of 4, port $PGBOUNCER_PORT"
else
  echo "pgbouncer: not installed (scripts/deps.sh); its variant is skipped"
  variants=("${variants[@]/pgbouncer/}")
fi

# Active sessions besides the fixture's, started without a binding (the
# unbound paths rank them; the newest is the current session).
set_active() { # N: total active sessions
  q -c "SELECT count(aidis.end_session(s.id::text)) FROM aidis.sessions s
        WHERE s.status = 'active' AND s.agent = 'bench-idle' AND s.client_key::int >= $1" \
    -c "SELECT count(aidis.start_session(agent => 'bench-idle', client_key => i::text, project => 'bench', bind => 'none'))
        FROM generate_series(1, $1 - 1) i
        WHERE NOT EXISTS (SELECT 1 FROM aidis.sessions s WHERE s.status = 'active'
                          AND s.agent = 'bench-idle' AND s.client_key = i::text)" >/dev/null
}

run_pgbench() { # VARIANT CLIENTS SYNC -> prints tps, server CPU µs and WAL bytes per transaction
  local v=$1 c=$2 sync=$3 opts="" out mode=prepared target=() t0 t1 tx w0 w1
  [[ $v != bound ]] || opts="-c aidis.session_id=$SID"  # bound like start_session binds
  [[ $sync == on ]] || opts="$opts -c synchronous_commit=off"
  if [[ $v == pgbouncer* ]]; then  # PgBouncer 1.18 keeps no prepared statements across transactions
    mode=extended target=(-h 127.0.0.1 -p "$PGBOUNCER_PORT")
    opts=""  # it rejects startup options
  fi
  w0=$(q -At -c 'SELECT pg_current_wal_insert_lsn()')
  t0=$(bench_server_ticks)
  if ! out=$(PGOPTIONS="$opts" pgbench "${target[@]}" -n -M "$mode" -T "$seconds" -c "$c" -j "$(((c > 1) ? 2 : 1))" \
               -D s="$SID" -D p="$PID" -f "$BENCH_DIR/pgbench/${script[$v]:-$v}.sql" "$BENCH_DB" 2>&1) ||
     ! grep -q '^tps = ' <<<"$out"; then
    echo "pgbench failed for $v ($c clients):" >&2
    echo "$out" >&2
    return 1
  fi
  tx=$(grep -m1 -oP '^number of transactions actually processed: \K[0-9]+' <<<"$out")
  [[ $v != pgbouncer* ]] || sleep 0.3  # its server connections close later
  sleep 0.2  # the backends have exited and been reaped
  t1=$(bench_server_ticks)
  w1=$(q -At -c "SELECT round(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$w0') / $tx)")
  echo "$(grep -m1 -oP '^tps = \K[0-9.]+' <<<"$out") $(
    [[ -n $t0 && -n $t1 ]] && awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$tx" 'BEGIN { printf "%.1f", d * 1e6 / hz / n }' || echo NULL) $w1"
}

run_bulk() { # VARIANT ROWS -> prints seconds (one transaction, commit included)
  local v=$1 rows=$2 out ms
  if ! out=$(pgbench -n -M prepared -t 1 -D s="$SID" -D p="$PID" -D rows="$rows" \
               -f "$BENCH_DIR/pgbench/bulk_$v.sql" "$BENCH_DB" 2>&1) ||
     ! ms=$(grep -m1 -oP '^latency average = \K[0-9.]+' <<<"$out"); then
    echo "bulk insert failed for $v:" >&2
    echo "$out" >&2
    return 1
  fi
  awk -v ms="$ms" 'BEGIN { printf "%.4f\n", ms / 1000 }'
}

# Every table written starts each round empty, so the variants run against
# tables of the same size (the bare table runs most often and would grow the
# largest). TRUNCATE of a tracked table takes its rows out of the counters.
contexts_tables="bench.bare_contexts, aidis.contexts, naive.contexts, app.contexts"
((fk == 0)) || contexts_tables+=", bench.fk_contexts"
fresh_tables() { q -c "TRUNCATE $contexts_tables" -c CHECKPOINT; }

SEQ=0
record() { SEQ=$((SEQ + 1)); q -c "INSERT INTO bench.results VALUES ('$1', '$2', $3, $4, $SEQ, $5, ${6:-NULL}, ${7:-NULL})"; }

# A B A C A D ...: every run of a variant sits between two runs of the bare
# table, so each variant gets a paired ratio against the bare runs next to it
# in time (the machine's load drifts); the order of the variants rotates each
# round. PgBouncer's slot runs the bare table through it first, and its ratio
# is to that run. Medians over the rounds.
mapfile -t others < <(printf '%s\n' "${variants[@]:1}" | grep -v '^$')
syncs=(on)
((async == 0)) || syncs+=(off)
active=0
for sync in "${syncs[@]}"; do
  for clients in 1 4; do
    test="throughput sync=$sync"
    for ((r = 1; r <= rounds; r++)); do
      fresh_tables
      n=${#others[@]}
      order=(bare)
      for ((i = 0; i < n; i++)); do
        v=${others[$(((i + r - 1) % n))]}
        [[ $v != pgbouncer ]] || order+=(pgbouncer_bare)
        order+=("$v" bare)
      done
      for v in "${order[@]}"; do
        # PgBouncer rejects startup options and keeps its server connections:
        # its pair runs with synchronous_commit on only.
        [[ $sync == on || $v != pgbouncer* ]] || continue
        want=$([[ $v == unbound_100 ]] && echo "$many" || echo 2)
        ((active == want)) || { set_active "$want"; active=$want; }
        q -c CHECKPOINT
        read -r tps cpu wal < <(run_pgbench "$v" "$clients" "$sync")
        printf '  %-16s clients=%d sync=%-3s round %d/%d: %8.0f tps, server CPU %6s µs/tx, WAL %5s B/tx\n' "$v" "$clients" "$sync" "$r" "$rounds" "$tps" "$cpu" "$wal"
        record "$test" "$v" "$clients" "$r" "$tps" "$cpu" "$wal"
      done
    done
  done
done
set_active 1

# 100 000 rows in one transaction: bare, tracked, bare, tracked, ..., bare; the
# naive reference once (a row UPDATE per row of one counter row is quadratic).
for ((r = 1; r <= bulk_rounds; r++)); do
  order=(tracked bare)
  ((r > 1)) || order=(bare tracked bare)
  for v in "${order[@]}"; do
    fresh_tables
    s=$(run_bulk "$v" "$bulk_rows")
    printf '  bulk %-8s %d rows, round %d/%d: %.3f s\n' "$v" "$bulk_rows" "$r" "$bulk_rounds" "$s"
    record bulk "$v" 1 "$r" "$s"
  done
done
naive_note=""
if ((naive_bulk)); then
  fresh_tables
  limit=$([[ $mode == smoke ]] && echo 30 || echo 300)
  if s=$(PGOPTIONS="-c statement_timeout=${limit}s" run_bulk naive "$naive_bulk_rows" 2>/dev/null); then
    printf '  bulk naive    %d rows: %.3f s\n' "$naive_bulk_rows" "$s"
    record bulk naive 1 1 "$s"
    ((naive_bulk_rows == bulk_rows)) || naive_note=" (naive: $naive_bulk_rows rows)"
  else
    echo "  bulk naive    $naive_bulk_rows rows: cancelled after ${limit}s"
    naive_note=" (naive: > ${limit} s, cancelled)"
  fi
fi

labels=$(for v in "${!label[@]}"; do printf "('%s', '%s')," "$v" "${label[$v]}"; done)
order_sql="ARRAY['bare', 'tracked', 'bound', 'unbound', 'unbound_project', 'unbound_100', 'pgbouncer_bare', 'pgbouncer', 'tracked_fk', 'naive', 'app']"

echo
echo "=== results: medians over $rounds round(s) of ${seconds}s (min..max); higher tps is better;"
echo "    where the time goes: the server's CPU time and the WAL written per transaction (medians)"
q -P footer=off -P border=2 <<SQL
WITH l(variant, name) AS (VALUES ${labels%,}),
m AS (
  SELECT test, clients, variant,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS med, min(value) AS lo, max(value) AS hi,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_us) AS cpu,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY wal_bytes) AS wal
  FROM bench.results WHERE test <> 'bulk' GROUP BY 1, 2, 3
)
SELECT l.name || CASE WHEN m.test LIKE '%sync=off' THEN ', sync off' ELSE '' END AS "write path",
       max(format('%s (%s..%s)', round(med), round(lo), round(hi))) FILTER (WHERE clients = 1) AS "1 client (tps)",
       max(round(cpu::numeric)) FILTER (WHERE clients = 1) AS "µs CPU/tx",
       max(format('%s (%s..%s)', round(med), round(lo), round(hi))) FILTER (WHERE clients = 4) AS "4 clients (tps)",
       max(round(cpu::numeric)) FILTER (WHERE clients = 4) AS "µs CPU/tx ",
       max(round(wal::numeric)) FILTER (WHERE clients = 1) AS "WAL B/tx"
FROM m JOIN l USING (variant)
GROUP BY m.test, l.name, m.variant ORDER BY m.test, array_position($order_sql, m.variant);
SELECT format('%s: %s s (%s..%s)', variant, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY value)::numeric, 2),
              round(min(value)::numeric, 2), round(max(value)::numeric, 2)) AS "$bulk_rows rows, one transaction (time)"
FROM bench.results WHERE test = 'bulk' GROUP BY variant ORDER BY variant;
SQL

echo
echo "=== ratios to the bare runs next to each run (PgBouncer: to the bare table through it): median over rounds [min..max]"
q -At -F' | ' <<SQL
WITH paired AS (
  SELECT t.test, t.clients, t.variant, t.round,
         t.value / CASE WHEN t.variant = 'pgbouncer'
                        THEN (SELECT b.value FROM bench.results b
                              WHERE b.test = t.test AND b.clients = t.clients AND b.variant = 'pgbouncer_bare'
                                AND b.seq = t.seq - 1)
                        ELSE (SELECT avg(b.value) FROM bench.results b
                              WHERE b.test = t.test AND b.clients = t.clients AND b.variant = 'bare'
                                AND b.seq IN (t.seq - 1, t.seq + 1)) END AS ratio
  FROM bench.results t WHERE t.variant <> 'bare'
), r AS (
  SELECT test, clients, variant,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio) AS ratio, min(ratio) AS lo, max(ratio) AS hi,
         CASE WHEN test = 'bulk' THEN '<= 1.50x time'
              WHEN clients = 1 THEN '>= 0.90x tps' ELSE '>= 0.85x tps' END AS target,
         CASE WHEN test = 'bulk' THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio) <= 1.5
              WHEN clients = 1 THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio) >= 0.90
              ELSE percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio) >= 0.85 END AS met
  FROM paired GROUP BY 1, 2, 3
)
SELECT rpad(CASE WHEN test = 'bulk' THEN 'bulk $bulk_rows rows (time)'
                 ELSE format('%s client%s%s (tps)', clients, CASE WHEN clients > 1 THEN 's' ELSE '' END,
                             CASE WHEN test LIKE '%sync=off' THEN ', sync off' ELSE '' END) END, 26),
       rpad(variant, 16),
       rpad(format('%sx [%s..%s]', round(ratio::numeric, 2), round(lo::numeric, 2), round(hi::numeric, 2)), 24),
       CASE WHEN (variant IN ($targeted) OR (test = 'bulk' AND variant = 'tracked')) AND test NOT LIKE '%sync=off'
            THEN format('target %s: %s', target, CASE WHEN met THEN 'met' ELSE 'NOT MET' END) ELSE 'reference' END
FROM r ORDER BY test = 'bulk', test, clients, array_position($order_sql, variant);
SQL
[[ -z $naive_note ]] || echo "note:$naive_note"

echo
echo "=== aidis.check_counters()"
mismatches=$(q -At -c 'SELECT count(*) FROM aidis.check_counters()')
if [[ $mismatches != 0 ]]; then
  q -c 'SELECT * FROM aidis.check_counters() LIMIT 20'
  echo "FAILED: check_counters() returned $mismatches mismatch(es)" >&2
  exit 1
fi
q -At -c "SELECT format('empty; session %s: contexts_created = %s, timeline events = %s, delta rows = %s',
                        s.display_id, s.contexts_created,
                        (SELECT count(*) FROM aidis.session_activities a WHERE a.session_id = s.id),
                        (SELECT count(*) FROM aidis.session_deltas d WHERE d.session_id = s.id))
          FROM aidis.sessions s WHERE s.id = '$SID'"
echo "ok"
