#!/usr/bin/env bash
# `aidis sessions export` from one database and `aidis sessions import` into
# another: same ids and display ids, the same details, timeline and files,
# check_counters() empty in both (rows present in the target count as usual,
# absent ones through the import's record); duplicates refused with nothing
# changed, all or nothing; who may do what. Prints TAP.
set -uo pipefail
: "${PGHOST:?cluster env needed}"
REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
AIDIS_BIN=${AIDIS_BIN:-$REPO_ROOT/build/aidis}
src=aidis_exp_src dst=aidis_exp_dst dst2=aidis_exp_dst2
WORK=$(mktemp -d /tmp/aidis-export.XXXXXX)
cleanup() {
  rm -rf "$WORK"
  for db in $src $dst $dst2; do dropdb --if-exists --force $db >/dev/null 2>&1; done
  psql -XAtq -d postgres -c "DROP ROLE IF EXISTS aidis_exp_owner; DROP ROLE IF EXISTS aidis_exp_reader" >/dev/null 2>&1
}
trap cleanup EXIT
cleanup
mkdir -p "$WORK"
q() { PGOPTIONS="-c client_min_messages=warning -c TimeZone=UTC" psql -X -q -v ON_ERROR_STOP=1 -d "$1" -Atc "$2"; }
aidis() { local db=$1; shift; "$AIDIS_BIN" -d "dbname=$db" "$@"; }

n=0 failed=0
ok() {
  n=$((n + 1))
  if [[ $1 == 0 ]]; then echo "ok $n - $2"; else
    echo "not ok $n - $2"; failed=$((failed + 1))
    [[ -z ${3:-} ]] || sed 's/^/# /' <<<"$3"
  fi
}
is() { [[ $1 == "$2" ]]; ok $? "$3" "got:      '$1'"$'\n'"expected: '$2'"; }

psql -XAtq -d postgres -c "CREATE ROLE aidis_exp_owner; CREATE ROLE aidis_exp_reader LOGIN" >/dev/null
for db in $src $dst $dst2; do
  createdb $db && q $db "CREATE EXTENSION aidis_sessions CASCADE" >/dev/null
done
q postgres "GRANT aidis_reader TO aidis_exp_reader" >/dev/null
# Three sessions: one with every kind of row, one whose rows are in a host
# table of another owner (which the target lacks), one still active.
q $src "
  SELECT aidis.create_project('ex-a', '/srv/ex-a', is_default => true);
  SELECT aidis.create_project('ex-b');
  CREATE TABLE public.ex_notes (id bigserial PRIMARY KEY, project_id uuid, session_id uuid, body text);
  ALTER TABLE public.ex_notes OWNER TO aidis_exp_owner;
  SELECT aidis.track('public.ex_notes', 'context');
  SELECT aidis.start_session(agent => 'claude-code', client_key => 'e1', goal => 'Fix @src/cart.ts');
  INSERT INTO aidis.contexts (content) VALUES ('Checkout fails in @src/cart.ts'), ('second');
  INSERT INTO aidis.tasks (title) VALUES ('Round once'), ('Test it');
  UPDATE aidis.tasks SET status = 'completed' WHERE title = 'Round once';
  UPDATE aidis.tasks SET status = 'todo' WHERE title = 'Round once';
  UPDATE aidis.tasks SET status = 'completed' WHERE title = 'Round once';
  INSERT INTO aidis.decisions (title) VALUES ('Round half to even');
  SELECT aidis.record_usage(1200, 340, model => 'claude-sonnet-4-5');
  SELECT aidis.record_file('src/cart.ts', 12, 3);
  SELECT aidis.end_session();
  SELECT aidis.start_session(agent => 'cursor', client_key => 'e2', project => 'ex-b');
  INSERT INTO public.ex_notes (body) VALUES ('host one'), ('host two'), ('host three');
  SELECT aidis.end_session();
  SELECT aidis.start_session(agent => 'cursor', client_key => 'e3', bind => 'none');
" >/dev/null
s1=$(q $src "SELECT display_id FROM aidis.sessions WHERE client_key = 'e1'")
q $src "SELECT aidis.rate_session('$s1', 4, 'one detour')" >/dev/null
# The target has the shipped tables' rows already (restored as a replica,
# untracked) and its own project named ex-b.
psql -XAtq -d $src -c "\copy aidis.contexts TO '$WORK/contexts.copy'"
psql -XAtq -d $dst -v ON_ERROR_STOP=1 -c "SET session_replication_role = replica" \
  -c "\copy aidis.contexts FROM '$WORK/contexts.copy'" >/dev/null
q $dst "SELECT aidis.create_project('ex-b')" >/dev/null

aidis $src sessions export --format jsonl -o "$WORK/all.jsonl"
rc=$?
is "$rc:$(wc -l <"$WORK/all.jsonl")" "0:3" "export --format jsonl writes one line per session"
aidis $src sessions export --format json >"$WORK/all.json"
is "$?:$(q $src "SELECT jsonb_array_length(pg_read_file('$WORK/all.json')::jsonb)")" "0:3" "export --format json writes one array"

out=$(aidis $dst sessions import "$WORK/all.jsonl" 2>&1)
is "$?:$(wc -l <<<"$out")" "0:3" "import of the three sessions (one line each)"

ids="SELECT string_agg(id || ' ' || display_id, ',' ORDER BY display_id) FROM aidis.session_base"
is "$(q $dst "$ids")" "$(q $src "$ids")" "same uuids and display ids"
# Details as the API shows them; times since now and the project's id aside.
details="SELECT string_agg((aidis.session_details(id::text) - 'wall_seconds' - 'active_seconds' - 'project_id')::text,
                           E'\n' ORDER BY display_id) FROM aidis.session_base"
a=$(q $src "$details") b=$(q $dst "$details")
[[ -n $a && $a == "$b" ]]; ok $? "session_details identical for every session" "$(diff <(echo "$a") <(echo "$b"))"
timeline="SELECT string_agg(concat_ws('|', s.display_id, a.occurred_at, a.kind, a.entity_id, a.summary, a.data),
                            E'\n' ORDER BY s.display_id, a.id)
          FROM aidis.session_activities a JOIN aidis.session_base s ON s.id = a.session_id"
a=$(q $src "$timeline") b=$(q $dst "$timeline")
[[ -n $a && $a == "$b" ]]; ok $? "timelines identical, in order ($(wc -l <<<"$a") events)" "$(diff <(echo "$a") <(echo "$b"))"
files="SELECT string_agg(concat_ws('|', session_id, path, mentions, modifications, loc_added, loc_removed, first_at, last_at),
                         E'\n' ORDER BY session_id, path) FROM aidis.session_files"
is "$(q $dst "$files")" "$(q $src "$files")" "files identical"
is "$(q $src "SELECT count(*) FROM aidis.check_counters()")" 0 "check_counters() empty in the source"
is "$(q $dst "SELECT count(*) FROM aidis.check_counters()")" 0 "check_counters() empty in the target"
is "$(q $dst "SELECT string_agg(concat_ws(':', s.display_id, i.contexts, i.tasks, i.decisions), ',' ORDER BY s.display_id)
              FROM aidis.session_imports i JOIN aidis.session_base s ON s.id = i.session_id")" \
   "$s1:0:2:1,${s1%0001}0002:3:0:0,${s1%0001}0003:0:0:0" \
   "absent rows are recorded per kind (the contexts present in the target are not)"
is "$(q $dst "SELECT p.name = 'ex-b' AND p.id <> (SELECT id FROM aidis.projects WHERE name = 'ex-a')
              FROM aidis.session_base s JOIN aidis.projects p ON p.id = s.project_id WHERE s.client_key = 'e2'")" t \
   "a project of another id but the same name takes the session"
is "$(q $dst "SELECT display_id FROM aidis.start_session(agent => 'x', client_key => 'new', bind => 'none')")" \
   "${s1%0001}0004" "the next display id continues after the imported ones"

state="SELECT md5(string_agg(t, E'\n' ORDER BY t)) FROM (
         SELECT to_jsonb(s)::text FROM aidis.sessions s
         UNION ALL SELECT to_jsonb(a)::text FROM aidis.session_activities a
         UNION ALL SELECT to_jsonb(f)::text FROM aidis.session_files f
         UNION ALL SELECT to_jsonb(p)::text FROM aidis.projects p
         UNION ALL SELECT to_jsonb(i)::text FROM aidis.session_imports i
         UNION ALL SELECT to_jsonb(k)::text FROM aidis.display_id_counters k) x(t)"
before=$(q $dst "$state")
err=$(aidis $dst sessions import "$WORK/all.jsonl" 2>&1 >/dev/null)
rc=$?
[[ $rc == 5 && $err == *"already exists"*"23505"* && $(q $dst "$state") == "$before" ]]
ok $? "a duplicate import is refused (exit 5, 23505) and changes nothing" "exit $rc: $err"
# A new session first, then a duplicate: neither is imported.
q $src "SELECT aidis._export_doc(id) FROM aidis.session_base WHERE client_key = 'e1'" |
  sed -E 's/"id": "[0-9a-f-]{36}", "goal"/"id": "00000000-0000-4000-8000-00000000e1e1", "goal"/; s/SES-([0-9]{4})-0001/SES-\1-0900/g' >"$WORK/mixed.jsonl"
head -1 "$WORK/all.jsonl" >>"$WORK/mixed.jsonl"
err=$(aidis $dst sessions import "$WORK/mixed.jsonl" 2>&1 >/dev/null)
rc=$?
[[ $rc == 5 && $err == *"session 2 of"* && $(q $dst "$state") == "$before" ]]
ok $? "a file with one new session and one duplicate imports nothing" "exit $rc: $err"
aidis $dst2 sessions import "$WORK/mixed.jsonl" >/dev/null 2>&1  # both new there
is "$?:$(q $dst2 "SELECT string_agg(display_id, ',' ORDER BY display_id) FROM aidis.session_base")" \
   "0:$s1,${s1%0001}0900" "the same file into an empty database imports both"
is "$(q $dst2 "SELECT count(*) FROM aidis.check_counters()")" 0 "check_counters() empty there too"

# Bad documents: a clear error, nothing changed.
err=$(q $dst "SELECT aidis.session_import(jsonb_set(aidis._export_doc(id), '{version}', '2'))
              FROM aidis.session_base LIMIT 1" 2>&1)
[[ $err == *"export version 2 is not supported"* ]]; ok $? "an unknown format version is refused" "$err"
err=$(q $dst "SELECT aidis.session_import('{\"format\": \"aidis-session\", \"version\": 1}')" 2>&1)
[[ $err == *"malformed session export"* ]]; ok $? "a document without its parts is refused" "$err"
echo 'not json' >"$WORK/bad.txt"
err=$(aidis $dst sessions import "$WORK/bad.txt" 2>&1)
rc=$?
[[ $rc == 5 && $(q $dst "$state") == "$before" ]]; ok $? "a file that is not JSON: exit 5, nothing changed" "exit $rc: $err"

# Readers export what they see; only admins import.
err=$(PGUSER=aidis_exp_reader aidis $src sessions export --format jsonl 2>&1 | wc -l)
is "$err" 3 "a reader exports every session it sees"
err=$(PGUSER=aidis_exp_reader aidis $dst2 sessions import "$WORK/all.jsonl" 2>&1)
rc=$?
[[ $rc == 3 && $err == *"42501"* ]]; ok $? "a reader may not import (exit 3, 42501)" "exit $rc: $err"
err=$(q $src "SELECT aidis.session_export('SES-1999-0001')" 2>&1)
[[ $err == *"does not exist"* || $err == *"not found"* ]]; ok $? "export of an unknown session is refused" "$err"

echo "1..$n"
((failed == 0))
