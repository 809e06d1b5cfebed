#!/usr/bin/env bash
# Privilege matrix: what each role may do to each object of schema aidis,
# compared with the table in docs/security.md ("Privilege matrix"), in both
# directions: an object missing from the doc, a doc row naming no object and
# any privilege that differs all fail. Prints TAP.
#
#   privilege_matrix.sh           the test
#   privilege_matrix.sh --print   print the current matrix in the doc's format
#   privilege_matrix.sh --write   replace the doc's matrix with the current one
#
# Needs a cluster with the extension installed (PGHOST, PGPORT, PGUSER of a
# superuser), as in scripts/test.sh; it creates and drops its own database and
# roles. The roles are logins: one with no aidis role, one member of each
# aidis role, and the owner of a host table tracked with aidis.track().
# Privileges are the effective ones (has_*_privilege: inherited and PUBLIC
# grants included).
set -uo pipefail
: "${PGHOST:?cluster env needed}" "${REPO_ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}"
mode=${1:-test}
[[ $mode == test || $mode == --print || $mode == --write ]] || { echo "usage: $0 [--print|--write]" >&2; exit 2; }
doc=$REPO_ROOT/docs/security.md
begin='<!-- privilege-matrix begin' end='<!-- privilege-matrix end -->'
export PGDATABASE=aidis_privmatrix
roles="privm_login, privm_reader, privm_writer, privm_admin, privm_host_owner"
drop_all() {
  dropdb --if-exists --force "$PGDATABASE" >/dev/null 2>&1
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS $roles" >/dev/null 2>&1
}
trap drop_all EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 -Atc "$1"; }

drop_all
createdb "$PGDATABASE" || exit 1
q "SET client_min_messages = warning;
   CREATE EXTENSION aidis_sessions CASCADE;
   CREATE ROLE privm_login LOGIN;
   CREATE ROLE privm_reader LOGIN IN ROLE aidis_reader;
   CREATE ROLE privm_writer LOGIN IN ROLE aidis_writer;
   CREATE ROLE privm_admin LOGIN IN ROLE aidis_admin;
   CREATE ROLE privm_host_owner LOGIN;
   CREATE TABLE public.privm_notes (id serial PRIMARY KEY, project_id uuid, session_id uuid, body text);
   ALTER TABLE public.privm_notes OWNER TO privm_host_owner;
   SELECT aidis.track('public.privm_notes', 'context');" >/dev/null || exit 1

# A function's row key: its name and argument types, e.g. `track(regclass, text)`.
function_key="format('\`%s(%s)\`', p.proname, (SELECT string_agg(format_type(t, NULL), ', ' ORDER BY i)
                                                FROM unnest(p.proargtypes) WITH ORDINALITY a(t, i)))"

# The current matrix, one line per object: section|key|login|reader|writer|admin|host owner.
# Section 1: the schema and its relations; 2: functions; 3: the rule row that
# stands for every internal (_*) function no role may execute.
matrix() {
  q "WITH r(n, role) AS (VALUES (1, 'privm_login'), (2, 'privm_reader'), (3, 'privm_writer'),
                                  (4, 'privm_admin'), (5, 'privm_host_owner')),
     o AS (
       SELECT 1 AS section, '' AS name, '\`aidis\` (schema)' AS key, 'schema' AS kind,
              'aidis'::regnamespace::oid AS oid, false AS internal
       UNION ALL
       SELECT 1, c.relname, format('\`%s\` (%s)', c.relname, CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table'
                          WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                          ELSE 'foreign table' END),
              CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'relation' END, c.oid, false
       FROM pg_class c WHERE c.relnamespace = 'aidis'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       UNION ALL
       SELECT 2, p.proname, $function_key, 'function', p.oid, p.proname LIKE '\_%'
       FROM pg_proc p WHERE p.pronamespace = 'aidis'::regnamespace),
     -- The privileges of each kind, in aclitem order, with their aclitem letters.
     k(kind, i, letter, priv) AS (VALUES
       ('schema', 1, 'U', 'USAGE'), ('schema', 2, 'C', 'CREATE'),
       ('relation', 1, 'a', 'INSERT'), ('relation', 2, 'r', 'SELECT'), ('relation', 3, 'w', 'UPDATE'),
       ('relation', 4, 'd', 'DELETE'), ('relation', 5, 'D', 'TRUNCATE'), ('relation', 6, 'x', 'REFERENCES'),
       ('relation', 7, 't', 'TRIGGER'),
       ('sequence', 1, 'U', 'USAGE'), ('sequence', 2, 'r', 'SELECT'), ('sequence', 3, 'w', 'UPDATE'),
       ('function', 1, 'X', 'EXECUTE')),
     cell AS (
       SELECT o.section, o.name, o.key, o.internal, r.n,
              COALESCE(string_agg(k.letter, '' ORDER BY k.i) FILTER (WHERE CASE o.kind
                         WHEN 'schema' THEN has_schema_privilege(r.role, o.oid, k.priv)
                         WHEN 'relation' THEN has_table_privilege(r.role, o.oid, k.priv)
                         WHEN 'sequence' THEN has_sequence_privilege(r.role, o.oid, k.priv)
                         ELSE has_function_privilege(r.role, o.oid, k.priv) END), '-') AS c
       FROM o JOIN k USING (kind) CROSS JOIN r
       GROUP BY o.section, o.name, o.key, o.internal, r.n),
     line AS (
       SELECT section, name, key, internal, string_agg(c, '|' ORDER BY n) AS cells
       FROM cell GROUP BY section, name, key, internal)
     SELECT section || '|' || key || '|' || cells
     FROM (SELECT * FROM line WHERE NOT (internal AND cells = '-|-|-|-|-')
           UNION ALL SELECT 3, '', 'every other \`_*\` function', true, '-|-|-|-|-') x
     ORDER BY section, internal, name COLLATE \"C\", key COLLATE \"C\""
}

# The matrix in the doc's format, markers included.
print_matrix() {
  echo "$begin: test/integration/privilege_matrix.sh --write regenerates it -->"
  awk -F'|' -v OFS=' | ' '
    $1 != section {
      if (section != "") print ""
      section = $1
      print "| " (section == 1 ? "schema, relation" : "function") " | login | reader | writer | admin | host owner |"
      print "|---|---|---|---|---|---|"
    }
    { $1 = ""; print substr($0, 2) " |" }' < <(matrix | sed 's/^3|/2|/')
  echo "$end"
}

case $mode in
  --print) print_matrix; exit ;;
  --write)
    grep -q "^$begin" "$doc" && grep -qx "$end" "$doc" || { echo "no matrix markers in $doc" >&2; exit 1; }
    new=$(print_matrix) || exit 1
    awk -v new="$new" -v b="$begin" -v e="$end" '
      index($0, b) == 1 { print new; skip = 1; next }
      skip && $0 == e { skip = 0; next }
      !skip' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
    exit ;;
esac

# The doc's rows, in the same form as matrix() without the section.
doc_rows() {
  awk -v b="$begin" -v e="$end" '
    index($0, b) == 1 { inside = 1; next }
    $0 == e { inside = 0 }
    inside && /^\| / && !/^\| (schema, relation|function) \|/ && !/^\|---/' "$doc" |
    sed -E 's/^\| *//; s/ *\| *$//; s/ *\| */|/g'
}

declare -A want=()
extra=() # doc rows naming no object, or naming one twice
while IFS= read -r line; do
  [[ -z ${want[${line%%|*}]+x} ]] || extra+=("twice: ${line%%|*}")
  want[${line%%|*}]=${line#*|}
done < <(doc_rows)
mapfile -t actual < <(matrix)
rule='every other `_*` function'
internal=$(q "SELECT $function_key FROM pg_proc p WHERE p.pronamespace = 'aidis'::regnamespace AND p.proname LIKE '\_%'")

n=0 failed=0
ok() { n=$((n + 1)); if [[ $1 == 0 ]]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
total=$(q "SELECT 1 + (SELECT count(*) FROM pg_class WHERE relnamespace = 'aidis'::regnamespace
                       AND relkind IN ('r', 'p', 'v', 'm', 'S', 'f'))
                   + (SELECT count(*) FROM pg_proc WHERE pronamespace = 'aidis'::regnamespace)")
echo "1..$((total + 3))"
ok "$(( ${#want[@]} > 0 && ${#actual[@]} > 0 ? 0 : 1 ))" "docs/security.md has a privilege matrix (${#want[@]} rows)"

# Every object: its own doc row, or the rule row for an internal function.
declare -A seen=()
check() { # KEY CELLS
  local expect=${want[$1]-} from="doc row"
  if [[ -z ${want[$1]+x} ]] && grep -qxF -- "$1" <<<"$internal"; then expect=${want[$rule]-}; from="rule row"; fi
  seen[$1]=1
  ok "$([[ -n $expect && $expect == "$2" ]] && echo 0 || echo 1)" "$1: $2"
  [[ -n $expect && $expect == "$2" ]] || echo "#   docs/security.md ($from): ${expect:-missing}"
}
for line in "${actual[@]}"; do
  line=${line#*|}
  [[ ${line%%|*} == "$rule" ]] || check "${line%%|*}" "${line#*|}"
done
# Internal functions no role may execute are not printed: check them against the rule row.
while IFS= read -r key; do
  [[ -z $key || -n ${seen[$key]+x} ]] || check "$key" "-|-|-|-|-"
done <<<"$internal"

for key in "${!want[@]}"; do [[ $key == "$rule" || -n ${seen[$key]+x} ]] || extra+=("no object: $key"); done
ok "${#extra[@]}" "every row of the doc names an object of schema aidis, once"
for key in "${extra[@]}"; do echo "#   $key"; done

cols=$(q "SELECT string_agg(c.relname || '.' || a.attname, ', ') FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          WHERE c.relnamespace = 'aidis'::regnamespace AND a.attacl IS NOT NULL")
ok "$([[ -z $cols ]] && echo 0 || echo 1)" "no column-level grants (the matrix shows table-level privileges only)"
[[ -z $cols ]] || echo "#   column grants on: $cols"
exit $((failed > 0))
