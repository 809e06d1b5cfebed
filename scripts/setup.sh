#!/usr/bin/env bash
# Set up and run aidis locally (Debian 12):
#   scripts/setup.sh        install deps, build + install the extension, build build/aidis,
#                           start a local cluster (.local/cluster) with database aidis, start
#                           the worker and the sessions page (aidis serve, http://127.0.0.1:8787/),
#                           write .local/env. Safe to re-run: reuses the running cluster and
#                           restarts the worker and the page (picking up a rebuilt binary).
#   scripts/setup.sh stop   stop the page, the worker and the cluster, remove .local/cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LOCAL=$ROOT/.local
CLUSTER=$LOCAL/cluster

# stop_daemon NAME: stop the `aidis` process whose pid is in .local/NAME.pid.
stop_daemon() {
  local pid name=$1
  pid=$(cat "$LOCAL/$name.pid" 2>/dev/null) || return 0
  # Only signal the pid if it is still our worker (pids get reused).
  if grep -qa "$ROOT/build/aidis" "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid"
    for _ in {1..50}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    echo "$name stopped (pid $pid)"
  fi
  rm -f "$LOCAL/$name.pid"
}

# start_daemon NAME ARGS...: (re)start `build/aidis ARGS...` detached (setsid: it
# outlives this script and Ctrl-C), its pid in .local/NAME.pid, its output appended
# to .local/NAME.log; exits when it stops at once, with the end of its log.
start_daemon() {
  local name=$1
  shift
  stop_daemon "$name"
  setsid "$ROOT/build/aidis" "$@" >>"$LOCAL/$name.log" 2>&1 </dev/null &
  echo $! >"$LOCAL/$name.pid"
  sleep 1
  if ! kill -0 "$(cat "$LOCAL/$name.pid")" 2>/dev/null; then
    echo "aidis $1 exited at once; end of $LOCAL/$name.log:" >&2
    tail -n 30 "$LOCAL/$name.log" >&2
    exit 1
  fi
}

if [[ ${1:-} == stop ]]; then
  source scripts/cluster.sh
  stop_daemon serve
  stop_daemon worker
  cluster_stop "$CLUSTER"
  rm -f "$LOCAL/env"
  echo "stopped; removed $CLUSTER"
  exit 0
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [stop]" >&2; exit 2
fi

bash scripts/deps.sh
source scripts/cluster.sh # sets and exports PG_CONFIG (PostgreSQL 15)
PSQL="$(_cl_bindir)/psql"
SUDO=(); ((EUID == 0)) || SUDO=(sudo)

make -j2
"${SUDO[@]}" make install PG_CONFIG="$PG_CONFIG" # sudo resets the env: pass PG_CONFIG explicitly
if [[ -f CMakeLists.txt ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build -j2
fi

mkdir -p "$LOCAL"
# As root the server runs as `postgres`, which must reach the cluster dir, and a unix
# socket path must stay under 108 bytes. If .local/ fails either, keep the cluster
# under /var/tmp and make .local/cluster a symlink to it.
if [[ ! -e $CLUSTER && ! -L $CLUSTER ]]; then
  if { ((EUID == 0)) && ! runuser -u postgres -- test -x "$LOCAL"; } || ((${#CLUSTER} > 80)); then
    target=$(mktemp -d /var/tmp/aidis-cluster.XXXXXX)
    ln -s "$target" "$CLUSTER"
  fi
fi
cluster_start "$CLUSTER"
source "$CLUSTER/env"

# pg_cron can only be created in cron.database_name (= aidis).
if [[ -z $("$PSQL" -d postgres -XtAc "SELECT 1 FROM pg_database WHERE datname = 'aidis'") ]]; then
  "$PSQL" -d postgres -qX -v ON_ERROR_STOP=1 -c 'CREATE DATABASE aidis OWNER postgres'
fi
"$PSQL" -d aidis -qX -v ON_ERROR_STOP=1 -c 'SET client_min_messages = warning' \
  -c 'CREATE EXTENSION IF NOT EXISTS pg_cron' \
  -c 'CREATE EXTENSION IF NOT EXISTS aidis_sessions CASCADE'

cat >"$LOCAL/env" <<EOF
export PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=postgres PGDATABASE=aidis
EOF

if [[ -x build/aidis ]]; then
  conn="host=$PGHOST port=$PGPORT dbname=aidis user=postgres"
  start_daemon worker worker -d "$conn"
  echo "worker running (pid $(cat "$LOCAL/worker.pid"), log $LOCAL/worker.log)"
  start_daemon serve serve -d "$conn"
  echo "sessions page on http://127.0.0.1:8787/ (pid $(cat "$LOCAL/serve.pid"), log $LOCAL/serve.log)"
else
  echo "no build/aidis: worker and page not started"
fi

cat <<EOF

aidis is running. Connect with:
  source .local/env && psql
The sessions page:
  http://127.0.0.1:8787/
Stop everything with:
  scripts/setup.sh stop
EOF
