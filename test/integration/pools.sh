#!/usr/bin/env bash
# Pools and PgBouncer with the real clients: node-postgres (pinned in
# test/integration/pool/package-lock.json, installed with `npm ci`) and
# Debian's pgbouncer, started here in transaction mode on a free port against
# the suite's cluster and stopped on exit. The checks are in pool/pools.js.
# Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/cluster.sh"  # pgbouncer_start, pgbouncer_stop
export PGDATABASE=aidis_pools
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  pgbouncer_stop "$work"
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

# One server connection for every client: the worst case for a binding.
pgbouncer_start "$work" "$PGDATABASE" 1 'server_reset_query = DISCARD ALL' ||
  { cat "$work/start.log" >&2; bail "pgbouncer start"; }

BOUNCER_PORT=$PGBOUNCER_PORT node "$here/pool/pools.js"
