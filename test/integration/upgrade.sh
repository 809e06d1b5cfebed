#!/usr/bin/env bash
# Upgrade path: every released version, updated with ALTER EXTENSION ... UPDATE,
# ends with the same schema as a fresh install of the current version (functions,
# columns, defaults, indexes, constraints, views, triggers, event triggers,
# policies, grants, dump configuration), and keeps its data. Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}" "${REPO_ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}"
current=$(sed -n 's/^EXTVERSION *= *//p' "$REPO_ROOT/Makefile")
# Released versions: the frozen base script and every version the upgrade chain
# reaches (PostgreSQL installs those as the base plus the chain).
mapfile -t released < <(cd "$REPO_ROOT/extension" && ls aidis_sessions--*.sql |
                        sed -E 's/^aidis_sessions--(.*)\.sql$/\1/; s/^.*--//' | sort -uV | grep -vx "$current")
work=$(mktemp -d)
trap 'rm -rf "$work"; for db in aidis_up_new "${dbs[@]}"; do dropdb --if-exists "$db" >/dev/null 2>&1; done' EXIT
dbs=()

n=0 failed=0
ok() { n=$((n + 1)); if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
q() { psql -X -q -v ON_ERROR_STOP=1 -Atd "$1" -c "$2"; }

# Everything of schema aidis that an upgrade must reproduce, one line per fact.
fingerprint() {
  q "$1" "SET client_min_messages = warning;
    SELECT x FROM (
      SELECT 'function ' || pg_get_functiondef(p.oid) || ' acl ' || COALESCE(p.proacl::text, '')
      FROM pg_proc p WHERE p.pronamespace = 'aidis'::regnamespace
      UNION ALL
      SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
             || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
             || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
             || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE c.relnamespace = 'aidis'::regnamespace AND c.relkind IN ('r', 'v', 'S')
        AND a.attnum > 0 AND NOT a.attisdropped
      UNION ALL
      SELECT 'relation ' || c.relname || ' ' || c.relkind::text || ' rls ' || c.relrowsecurity
             || ' options ' || COALESCE(c.reloptions::text, '') || ' acl ' || COALESCE(c.relacl::text, '')
      FROM pg_class c WHERE c.relnamespace = 'aidis'::regnamespace AND c.relkind <> 'i'
      UNION ALL
      SELECT 'index ' || pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'aidis'::regnamespace
      UNION ALL
      SELECT 'constraint ' || c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
      FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace = 'aidis'::regnamespace
      UNION ALL
      SELECT 'view ' || c.relname || ' ' || pg_get_viewdef(c.oid)
      FROM pg_class c WHERE c.relnamespace = 'aidis'::regnamespace AND c.relkind = 'v'
      UNION ALL
      SELECT 'trigger ' || pg_get_triggerdef(t.oid)
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE c.relnamespace = 'aidis'::regnamespace AND NOT t.tgisinternal
      UNION ALL
      SELECT 'policy ' || c.relname || ' ' || p.polname || ' ' || p.polcmd::text || ' ' || p.polroles::text
             || ' ' || COALESCE(pg_get_expr(p.polqual, p.polrelid), '') || ' '
             || COALESCE(pg_get_expr(p.polwithcheck, p.polrelid), '')
      FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'aidis'::regnamespace
      UNION ALL
      SELECT 'dumped ' || c.relname || ' ' || COALESCE(e.extcondition[i], '')
      FROM pg_extension e, generate_subscripts(e.extconfig, 1) i, pg_class c
      WHERE e.extname = 'aidis_sessions' AND c.oid = e.extconfig[i]
      UNION ALL
      SELECT 'event trigger ' || t.evtname || ' ' || t.evtevent || ' ' || t.evtenabled::text || ' '
             || COALESCE(t.evttags::text, '') || ' ' || t.evtfoid::regprocedure::text
      FROM pg_event_trigger t
      JOIN pg_depend d ON d.classid = 'pg_event_trigger'::regclass AND d.objid = t.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'aidis_sessions'
      UNION ALL
      SELECT 'member ' || pg_describe_object(d.classid, d.objid, d.objsubid)
      FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid
      WHERE e.extname = 'aidis_sessions' AND d.deptype = 'e'
    ) f(x) ORDER BY x"
}

echo "1..$((1 + 4 * ${#released[@]}))"
createdb aidis_up_new && q aidis_up_new "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions CASCADE"
fingerprint aidis_up_new >"$work/new.txt"
ok "$([[ -s $work/new.txt ]] && echo 0 || echo 1)" "a fresh install of $current ($(wc -l <"$work/new.txt") schema facts)"

for version in "${released[@]}"; do
  db=aidis_up_${version//./_}
  dbs+=("$db")
  createdb "$db"
  q "$db" "SET client_min_messages = warning; CREATE EXTENSION aidis_sessions VERSION '$version' CASCADE;
           SELECT aidis.create_project('upgrade-kept');
           SELECT aidis.start_session(agent => 'upgrade', project => 'upgrade-kept');
           INSERT INTO aidis.contexts (content) VALUES ('written before the upgrade');
           SELECT aidis.start_session(agent => 'upgrade-ended', project => 'upgrade-kept');
           INSERT INTO aidis.contexts (content) VALUES ('in a session that ends before the upgrade');
           SELECT aidis.end_session();
           SELECT aidis.create_project('upgrade-gone');
           SELECT aidis.start_session(agent => 'upgrade-gone', project => 'upgrade-gone');
           SELECT aidis.disconnect_project('upgrade-gone');" >/dev/null
  q "$db" "ALTER EXTENSION aidis_sessions UPDATE"
  ok "$([[ $(q "$db" "SELECT extversion FROM pg_extension WHERE extname = 'aidis_sessions'") == "$current" ]] && echo 0 || echo 1)" \
    "$version updates to $current"
  fingerprint "$db" >"$work/$version.txt"
  if diff -u "$work/new.txt" "$work/$version.txt" >"$work/$version.diff"; then
    ok 0 "$version updated has the schema of a fresh $current"
  else
    ok 1 "$version updated has the schema of a fresh $current"
    head -40 "$work/$version.diff" | sed 's/^/# /'
  fi
  kept=$(q "$db" "SELECT s.contexts_created || ' ' || (SELECT count(*) FROM aidis.check_counters())
                  FROM aidis.sessions s WHERE s.agent = 'upgrade'")
  ok "$([[ $kept == "1 0" ]] && echo 0 || echo 1)" "$version's data is kept and its counters check out after the update ($kept)"
  # What the current version stores when a session ends, the update fills in,
  # except in a disconnected project, whose rows nothing may write (releases
  # before 0.3.0 stored nothing; later ones stored it when the session ended).
  ended=$(q "$db" "SELECT count(*) FILTER (WHERE b.active_seconds = aidis._active_seconds(b.id, b.started_at,
                                                  b.ended_at, v.last_activity_at)
                                            OR (b.active_seconds IS NULL AND p.status = 'disconnected'))
                          || ' of ' || count(*)
                   FROM aidis.session_base b JOIN aidis.sessions v USING (id) JOIN aidis.projects p ON p.id = b.project_id
                   WHERE b.ended_at IS NOT NULL")
  ok "$([[ $ended == "2 of 2" ]] && echo 0 || echo 1)" \
    "$version's ended sessions have their active seconds after the update, or are left to compute in a disconnected project ($ended)"
done

exit $((failed > 0))
