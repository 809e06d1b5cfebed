#!/usr/bin/env bash
# Pools and PgBouncer with the real clients: node-postgres (pinned in
# test/integration/pool/package-lock.json, installed with `npm ci`) and
# Debian's pgbouncer, started here in transaction mode on a free port against
# the suite's cluster and stopped on exit. The checks are in pool/pools.js.
# Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/cluster.sh"  # _cl_run, _cl_port_free
export PGDATABASE=aidis_pools
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  [[ ! -f $work/pgbouncer.pid ]] || kill "$(cat "$work/pgbouncer.pid")" 2>/dev/null
  rm -rf "$work"
  dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1
}
trap cleanup EXIT
bail() { echo "1..1"; echo "not ok 1 - $1"; exit 1; }

command -v node >/dev/null && command -v npm >/dev/null || bail "node and npm are needed (scripts/deps.sh)"
command -v pgbouncer >/dev/null || [[ -x /usr/sbin/pgbouncer ]] || bail "pgbouncer is needed (scripts/deps.sh)"
# The registry is only reached here, for the exact versions of the lockfile.
(cd "$here/pool" && npm ci --no-audit --no-fund --loglevel=error >"$work/npm.log" 2>&1) ||
  { cat "$work/npm.log" >&2; bail "npm ci"; }

dropdb --if-exists "$PGDATABASE" >/dev/null 2>&1
createdb "$PGDATABASE" || bail "createdb"
psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions CASCADE" ||
  bail "CREATE EXTENSION"

port=$((RANDOM % 1000 + 56400))
while ! _cl_port_free "$port"; do port=$((port + 1)); done
# One server connection for every client: the worst case for a binding.
cat >"$work/pgbouncer.ini" <<INI
[databases]
$PGDATABASE = host=$PGHOST port=$PGPORT user=${PGUSER:-postgres} dbname=$PGDATABASE
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $work/users.txt
pool_mode = transaction
default_pool_size = 1
max_client_conn = 100
server_reset_query = DISCARD ALL
ignore_startup_parameters = extra_float_digits
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
INI
echo "\"${PGUSER:-postgres}\" \"\"" >"$work/users.txt"
((EUID != 0)) || chown postgres: "$work" "$work"/*
bouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
_cl_run "$bouncer" -d "$work/pgbouncer.ini" >"$work/start.log" 2>&1 || { cat "$work/start.log" >&2; bail "pgbouncer start"; }
for _ in $(seq 50); do ! _cl_port_free "$port" && break; sleep 0.1; done

BOUNCER_PORT=$port node "$here/pool/pools.js"
