#!/usr/bin/env bash
# aidis command line (`aidis session …`, `aidis sessions …`) against a real
# database: golden outputs of every command in human and --json form, bad
# arguments (clear message, exit code, nothing changed), the confirmation flow
# of `session project`, `session end --measure-loc` with git, colors.
#
# Needs PGHOST/PGPORT/PGUSER of a throwaway cluster with the extension
# installed, AIDIS_BIN (default build/aidis). Prints TAP.
#
# Goldens: test/integration/golden/cli/<case>.out, each the command line, its
# stdout, its stderr and its exit code, with volatile parts normalized (uuids,
# timestamps, durations, the year of display ids, tokens). Regenerate with
#   UPDATE_GOLDEN=1 test/integration/cli_commands.sh
# and read the diff before committing it.
set -uo pipefail

: "${PGHOST:?PGHOST must point at the test cluster}" "${PGPORT:?}" "${PGUSER:?}"
REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
AIDIS_BIN=${AIDIS_BIN:-$REPO_ROOT/build/aidis}
GOLDEN=$REPO_ROOT/test/integration/golden/cli
if [[ ! -x $AIDIS_BIN ]]; then
  echo "Bail out! no aidis binary at $AIDIS_BIN (cmake -S . -B build && cmake --build build)"
  exit 1
fi
# The zone of the clock matrix (scripts/test-clocks.sh): the goldens are read in
# UTC, one check reads the weekday in this zone.
ZONE=${PGTZ:-${TZ:-UTC}}
unset PGDATABASE PGSERVICE PGOPTIONS PGTZ NO_COLOR
export PGCONNECT_TIMEOUT=10 TERM=xterm
DB=aidis_cli_t
CONN="dbname=$DB options=-cTimeZone=UTC"
WORK=$(mktemp -d /tmp/aidis-cli-test.XXXXXX)
mkdir -p "$GOLDEN"

# --- TAP ------------------------------------------------------------------------
T_RUN=0 T_FAILED=0
ok() { # ok STATUS DESCRIPTION [DIAGNOSTIC]
  T_RUN=$((T_RUN + 1))
  if [[ $1 == 0 ]]; then echo "ok $T_RUN - $2"; else
    T_FAILED=$((T_FAILED + 1))
    echo "not ok $T_RUN - $2"
    [[ -z ${3:-} ]] || sed 's/^/# /' <<<"$3"
  fi
}
is() { [[ $1 == "$2" ]]; ok $? "$3" "got:      '$1'"$'\n'"expected: '$2'"; }

finish() {
  local rc=$?
  dropdb --if-exists --force "$DB" >/dev/null 2>&1
  rm -rf "$WORK"
  echo "1..$T_RUN"
  ((T_FAILED == 0)) || rc=1
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() { PGOPTIONS="-c client_min_messages=warning -c TimeZone=UTC" psql -XAtq -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# Everything a command could change, as one digest.
db_state() {
  q -c "SELECT md5(string_agg(t, E'\n' ORDER BY t)) FROM (
          SELECT to_jsonb(s)::text FROM aidis.sessions s
          UNION ALL SELECT to_jsonb(a)::text FROM aidis.session_activities a
          UNION ALL SELECT to_jsonb(f)::text FROM aidis.session_files f
          UNION ALL SELECT to_jsonb(p)::text FROM aidis.projects p
          UNION ALL SELECT to_jsonb(c)::text FROM aidis.contexts c
          UNION ALL SELECT to_jsonb(k)::text FROM aidis.tasks k) x(t)"
}

# --- the fixture's own calendar -------------------------------------------------------
# Section 3 dates every session to fixed times of yesterday (UTC); what the
# reports say of those dates (the weekday, its ISO number, the two days its
# events span) is taken from the fixture after it is dated, and only those
# values are replaced by names: any other weekday or date still shows in a diff.
FIX_DAY0=none FIX_DAY1=none FIX_WEEKDAY=none FIX_ISODOW=none
fixture_days() {
  if [[ $FIX_DAY0 == none ]]; then cat; return; fi
  sed -E -e "s/\b$FIX_WEEKDAY\b/<fixture-weekday>/g" \
         -e "s/\"isodow\": $FIX_ISODOW\b/\"isodow\": <fixture-isodow>/g"
}

# --- running commands and comparing goldens ---------------------------------------
# Normalization: MODE volatile strips every timestamp and duration (sessions of
# this run); MODE frozen keeps times of day and durations (the timestamps were
# set to fixed times of yesterday, see section 3) and names the fixture's two
# dates (day 0 and day 1) instead of showing today's calendar.
normalize() {
  local mode=$1 years
  # The years of this run's display ids, from the sessions themselves (a run
  # may cross a new year in UTC); other display ids (SES-1999-…) stay.
  years=$(q -c "SELECT COALESCE(string_agg(DISTINCT substr(display_id, 5, 4), '|'), 'none') FROM aidis.session_base")
  sed -E \
    -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g' \
    -e '/^\$ aidis/ s/\b[0-9a-f]{8}(-[0-9a-f]{4})?\b/<id-prefix>/g' \
    -e "s/SES-($years)-/SES-YYYY-/g" \
    -e 's/(display id like SES-)[0-9]{4}-/\1YYYY-/g' \
    -e 's/"[0-9]{1,12}\.[0-9a-f]{32}"/"<token>"/g' \
    -e 's/(git diff )[0-9a-f]{12}/\1<commit>/g' \
    -e "s#$WORK#<work>#g" |
    fixture_days |
    if [[ $mode == volatile ]]; then
      sed -E \
        -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?[+-][0-9]{2}(:[0-9]{2})?/<ts>/g' \
        -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2} UTC)?/<ts>/g' \
        -e 's/\b[0-9]+(s|m [0-9]{2}s|h [0-9]{2}m|d [0-9]{2}h)\b/<dur>/g' \
        -e 's/"(wall_seconds|active_seconds|total_wall_seconds|total_active_seconds|avg_wall_seconds|avg_active_seconds)": [0-9.]+/"\1": <n>/g' \
        -e 's/(from|peak [0-9]+ per column\)|to) [0-9]{2}:[0-9]{2}/\1 <hh:mm>/g' \
        -e 's/^( *[0-9]+ +)(<ts>|[0-9]{2}:[0-9]{2}:[0-9]{2})/\1<time>/'
    else
      sed -E -e "s/$FIX_DAY0/YYYY-MM-D0/g; s/$FIX_DAY1/YYYY-MM-D1/g" # same width: tables stay aligned
    fi
}

# The command line as a shell would take it; long arguments abbreviated.
show_args() {
  local a out=()
  for a in "$@"; do
    if ((${#a} > 60)); then a="${a:0:20}…(${#a} characters)"; fi
    if [[ $a =~ ^[A-Za-z0-9_./:=,@+-]+$ ]]; then out+=("$a")
    elif [[ $a != *"'"* ]]; then out+=("'$a'")
    else out+=("$(printf %q "$a")"); fi
  done
  echo "${out[*]}"
}

# run CASE MODE [--stdin FILE] ARGS...: runs `aidis -d CONN ARGS`, keeps the
# transcript in $WORK/CASE.out and sets OUT, ERR, RC.
run() {
  local name=$1 mode=$2 input=/dev/null
  shift 2
  if [[ ${1:-} == --stdin ]]; then input=$2; shift 2; fi
  "$AIDIS_BIN" -d "$CONN" "$@" <"$input" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr"
  RC=$?
  OUT=$(cat "$WORK/$name.stdout") ERR=$(cat "$WORK/$name.stderr")
  {
    echo "\$ aidis $(show_args "$@")"
    cat "$WORK/$name.stdout"
    if [[ -s $WORK/$name.stderr ]]; then echo "--- stderr"; cat "$WORK/$name.stderr"; fi
    echo "--- exit $RC"
  } | normalize "$mode" >"$WORK/$name.out"
}

# golden CASE MODE ARGS...: run, then compare the transcript with its golden.
golden() {
  local name=$1
  run "$@"
  if [[ -n ${UPDATE_GOLDEN:-} ]]; then
    cp "$WORK/$name.out" "$GOLDEN/$name.out"
    ok 0 "golden $name (updated)"
    return
  fi
  local d
  d=$(diff -u "$GOLDEN/$name.out" "$WORK/$name.out" 2>&1)
  ok $? "golden $name" "$d"
}

# valid_json CASE: the stdout of CASE parses as JSON (PostgreSQL's parser).
valid_json() {
  q -v doc="$(cat "$WORK/$1.stdout")" <<<"SELECT jsonb_typeof(:'doc'::jsonb)" >/dev/null 2>&1
  ok $? "$1: --json output is valid JSON"
}

# refused CASE EXIT MESSAGE_REGEX ARGS...: a bad request: the exit code, a
# message on stderr, nothing on stdout, and the database unchanged. Golden too.
refused() {
  local name=$1 want=$2 pattern=$3 before after
  shift 3
  before=$(db_state)
  golden "$name" volatile "$@"
  after=$(db_state)
  [[ $RC == "$want" && -z $OUT ]] && grep -qE -- "$pattern" <<<"$ERR" && [[ $before == "$after" ]]
  ok $? "$name: exit $want, says /$pattern/, changes nothing" "exit $RC; stdout: $OUT; stderr: $ERR; state $before -> $after"
}

# --- setup --------------------------------------------------------------------------
dropdb --if-exists --force "$DB" >/dev/null 2>&1
if ! createdb "$DB" || ! q -c "CREATE EXTENSION aidis_sessions CASCADE"; then
  echo "Bail out! could not create $DB with the extension"
  exit 1
fi

# A git work tree for --measure-loc: one commit long before the session.
REPO=$WORK/repo
mkdir -p "$REPO"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
(
  cd "$REPO" && git init -q -b main . && printf 'a\nb\nc\n' >cart.ts && printf 'x\ny\n' >old.txt &&
    git add . && GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z git commit -qm base
) || { echo "Bail out! git setup failed"; exit 1; }

q -c "SELECT aidis.create_project('shop', '$REPO', true)" -c "SELECT aidis.create_project('docs')" \
  -c "SELECT aidis.create_project('empty')" >/dev/null

# === 1. A session's life, through the command line (timestamps are volatile) ========
golden session_none volatile session              # no session yet: exit 4
is "$RC" 4 "aidis session without any session exits 4"

golden start volatile session start --agent "Claude Code" --project shop --title "Cart rounding" \
  --goal "Fix the cart total" --model claude-sonnet-4-5 --client-key mcp-1
is "$RC" 0 "session start exits 0"
S1=$(q -c "SELECT id FROM aidis.sessions WHERE client_key = 'mcp-1'")
golden start_resume_json volatile --json session start --agent claude-code --client-key mcp-1
valid_json start_resume_json
is "$(q -c "SELECT count(*) FROM aidis.sessions")" 1 "start with the same agent and key resumes"

# Work, as the MCP server would write it.
q -c "INSERT INTO aidis.contexts (content, context_type) VALUES ('Checkout total is off by one cent in @src/cart.ts', 'bug')" \
  -c "INSERT INTO aidis.contexts (content) VALUES ('Rounding happens per line item, not on the total')" \
  -c "INSERT INTO aidis.tasks (title, priority) VALUES ('Round the cart total once', 'high')" \
  -c "INSERT INTO aidis.tasks (title) VALUES ('Add a regression test for rounding')" \
  -c "INSERT INTO aidis.tasks (title, priority) VALUES ('Document the rounding rule', 'low')" \
  -c "UPDATE aidis.tasks SET status = 'completed' WHERE title = 'Round the cart total once'" \
  -c "INSERT INTO aidis.decisions (title, rationale) VALUES ('Round half to even on the total', 'Matches the payment provider')" \
  -c "SELECT aidis.record_usage(1200, 340, 5000, 0, 'claude-sonnet-4-5')" >/dev/null

golden goal volatile session goal "Fix the cart total rounding"
golden goal_json volatile --json session goal "Fix the cart total rounding for good" -s "$S1"
valid_json goal_json
golden tag volatile session tag backend cart
golden tag_json volatile --json session tag cart money
is "$(q -c "SELECT array_to_string(tags, ',') FROM aidis.sessions WHERE id = '$S1'")" "backend,cart,money" \
  "tag adds to the tags (no duplicates)"
golden note volatile session note "Rounding per line item was the bug."
golden note_json volatile --json session note "Check refunds too."
is "$(q -c "SELECT notes FROM aidis.sessions WHERE id = '$S1'")" $'Rounding per line item was the bug.\nCheck refunds too.' \
  "note appends a line"
golden rename volatile session rename "Cart total rounding"
golden rename_json volatile --json session rename "Cart total rounding fix" -s "${S1:0:8}"
golden edit volatile session edit --description "Totals were rounded per line." --tags "backend, cart,money,,ui"
golden edit_json volatile --json session edit --model claude-opus-4-1 --agent "Claude Code"
golden rate volatile session rate 4 --note "Good, one detour"
golden rate_json volatile --json session rate 5
valid_json rate_json

golden status volatile session
golden status_current volatile session current
golden status_json volatile --json session
valid_json status_json

# Move to another project: asks first.
before=$(db_state)
golden project_no_tty volatile session project docs
is "$RC" 6 "session project without --yes and without a terminal exits 6"
grep -q -- '--yes' <<<"$ERR"
ok $? "... and says to use --yes"
is "$(db_state)" "$before" "... and moves nothing"
golden project_no_tty_json volatile --json session project docs
is "$RC" 6 "... also with --json (which prints the confirmation request)"
valid_json project_no_tty_json
golden project_yes volatile session project docs --yes
is "$(q -c "SELECT p.name FROM aidis.sessions s JOIN aidis.projects p ON p.id = s.project_id WHERE s.id = '$S1'")" docs \
  "session project --yes moves the session"
golden project_back_json volatile --json session project shop "$S1" --yes
valid_json project_back_json
is "$(q -c "SELECT count(*) FROM aidis.contexts c JOIN aidis.projects p ON p.id = c.project_id WHERE p.name = 'shop'")" 2 \
  "... and back, with its contexts"

# On a terminal it asks; only "y" moves it.
echo n >"$WORK/no"
before=$(db_state)
script -qec "'$AIDIS_BIN' -d '$CONN' session project docs" /dev/null <"$WORK/no" >"$WORK/tty_no.out" 2>&1
rc=$?
grep -q 'Move? \[y/N\]' "$WORK/tty_no.out" && [[ $rc == 6 && $(db_state) == "$before" ]]
ok $? "on a terminal: asks 'Move? [y/N]'; 'n' exits 6 and moves nothing" "exit $rc: $(cat "$WORK/tty_no.out")"
echo y >"$WORK/yes"
script -qec "'$AIDIS_BIN' -d '$CONN' session project docs" /dev/null <"$WORK/yes" >"$WORK/tty_yes.out" 2>&1
rc=$?
[[ $rc == 0 && $(q -c "SELECT p.name FROM aidis.sessions s JOIN aidis.projects p ON p.id = s.project_id WHERE s.id = '$S1'") == docs ]]
ok $? "on a terminal: 'y' moves it" "exit $rc: $(cat "$WORK/tty_yes.out")"
"$AIDIS_BIN" -d "$CONN" session project shop --yes >/dev/null 2>&1

# Colors: only on a terminal, never with NO_COLOR, always with --color=always.
"$AIDIS_BIN" -d "$CONN" session >"$WORK/plain.out" 2>&1
! grep -q $'\x1b\[' "$WORK/plain.out"
ok $? "no color when stdout is not a terminal"
script -qec "'$AIDIS_BIN' -d '$CONN' session" /dev/null </dev/null >"$WORK/tty.out" 2>&1
grep -q $'\x1b\[' "$WORK/tty.out"
ok $? "color on a terminal"
NO_COLOR=1 script -qec "'$AIDIS_BIN' -d '$CONN' session" /dev/null </dev/null >"$WORK/tty_nocolor.out" 2>&1
! grep -q $'\x1b\[' "$WORK/tty_nocolor.out" && grep -q 'Metrics' "$WORK/tty_nocolor.out"
ok $? "no color on a terminal with NO_COLOR=1"
NO_COLOR=1 "$AIDIS_BIN" -d "$CONN" --color=always session | grep -q $'\x1b\['
ok $? "--color=always wins over NO_COLOR"

# A second session on the same project, by another agent; ended plainly.
golden start2_json volatile --json session start --agent cursor --project shop --title "Docs pass" --client-key ide-1
S2=$(q -c "SELECT id FROM aidis.sessions WHERE client_key = 'ide-1'")
q -c "SELECT aidis.use_session('$S2')" -c "INSERT INTO aidis.contexts (content, session_id) VALUES ('README needs the rounding rule', '$S2')" \
  -c "INSERT INTO aidis.tasks (title, session_id, status) VALUES ('Write the rounding section', '$S2', 'in_progress')" >/dev/null
golden end volatile session end "$S2"
is "$(q -c "SELECT status || '/' || end_reason FROM aidis.sessions WHERE id = '$S2'")" inactive/ended "session end ends it"

# End the first one measuring lines with git: a commit after the start, an
# uncommitted change, a staged new file, a deleted file, a binary file.
(
  cd "$REPO" && printf 'a\nB\nc\nd\n' >cart.ts && git commit -qam "round once" &&
    printf 'a\nB\nc\nd\ne\n' >cart.ts && git rm -q old.txt && printf 'rule\n' >'round ing.md' &&
    printf '\0\1\2' >logo.bin && git add 'round ing.md' logo.bin
) || echo "# git changes failed"
golden end_measured volatile session end --measure-loc
is "$RC" 0 "session end --measure-loc exits 0"
is "$(q -c "SELECT string_agg(path || ':' || loc_added || '/' || loc_removed, ' ' ORDER BY path) FROM aidis.session_files WHERE session_id = '$S1'")" \
  "cart.ts:3/1 logo.bin:0/0 old.txt:0/2 round ing.md:1/0 src/cart.ts:0/0" "record_file per changed file, since the last commit before the start"
is "$(q -c "SELECT loc_added || '/' || loc_removed || ' ' || status FROM aidis.sessions WHERE id = '$S1'")" "4/3 inactive" \
  "lines added/removed on the session, and it ended"

# A third session on a project without root_directory: --measure-loc refuses
# and the session stays active.
q -c "SELECT aidis.start_session(agent => 'claude-code', project => 'docs', client_key => 'mcp-2', title => 'Write docs')" >/dev/null
S3=$(q -c "SELECT id FROM aidis.sessions WHERE client_key = 'mcp-2'")
refused end_measured_no_root 5 'has no root_directory' session end --measure-loc
is "$(q -c "SELECT status FROM aidis.sessions WHERE id = '$S3'")" active "... and the session is still active"
golden end_json volatile --json session end "$S3"
valid_json end_json

# === 2. Bad arguments: a clear message, the documented exit code, nothing changed ===
refused bad_rate_range 2 'not in range 1 to 5' session rate 6
refused bad_rate_missing 2 'stars is required' session rate
refused bad_rate_word 2 'stars' session rate four
refused bad_edit_nothing 2 'nothing to change' session edit
refused bad_period 2 'year' sessions stats --period=year
refused bad_surplus 2 'SES-1999-0002' session end SES-1999-0001 SES-1999-0002
refused bad_password 2 'password' session --password secret
refused bad_unknown_cmd 2 'bogus' sessions bogus
refused bad_session_ref 5 'invalid session reference' session not-a-session
refused bad_session_unknown 4 'does not exist' session SES-1999-0001
refused bad_session_prefix 4 'does not exist' session rate 3 -s 00000000
refused bad_not_active 5 'not active' session end "$S1"
refused bad_title_empty 5 'title cannot be cleared' session rename "" -s "$S1"
refused bad_goal_long 5 'at most 2000' session goal "$(printf 'x%.0s' {1..2001})" -s "$S1"
refused bad_status 5 'invalid status' sessions list --status sleeping
refused bad_limit 5 'lim must be between' sessions list --limit 0
refused bad_project_unknown 4 'project "nope" does not exist' session project nope "$S1" --yes
refused bad_project_same 5 'already belongs' session project shop "$S1" --yes
refused bad_compare 4 'does not exist' sessions compare "$S1" SES-1999-0001
refused bad_no_current 4 'no current session' session end
before=$(db_state)
"$AIDIS_BIN" -d "dbname=aidis_cli_missing_db" session >/dev/null 2>"$WORK/noconn.err"
rc=$?
[[ $rc == 7 ]] && grep -q 'could not connect' "$WORK/noconn.err"
ok $? "no such database: exit 7, 'could not connect'" "exit $rc: $(cat "$WORK/noconn.err")"
"$AIDIS_BIN" -d "dbname=postgres" sessions list >/dev/null 2>"$WORK/nosetup.err"
rc=$?
[[ $rc == 3 ]] && grep -q 'SQLSTATE' "$WORK/nosetup.err"
ok $? "database without the extension: exit 3 with the SQLSTATE" "exit $rc: $(cat "$WORK/nosetup.err")"

# === 3. Reading: fixed timestamps (yesterday from 09:00 UTC, 3 h apart, events
#        at growing gaps), so durations, times and the timeline are exact ===========
q <<'SQL' >/dev/null
SELECT aidis._fold_deltas();
SET session_replication_role = replica;
CREATE TEMP TABLE fixed AS
  SELECT b.id, date_trunc('day', now()) - interval '1 day' + interval '9 hours'
                + (row_number() OVER (ORDER BY b.display_id) - 1) * interval '3 hours' AS t0
  FROM aidis.session_base b;
UPDATE aidis.session_activities a
SET occurred_at = f.t0 + ((x.n * (x.n + 1)) / 2) * interval '1 minute'
FROM (SELECT id, row_number() OVER (PARTITION BY session_id ORDER BY id) - 1 AS n
      FROM aidis.session_activities) x, fixed f
WHERE x.id = a.id AND f.id = a.session_id;
UPDATE aidis.session_base b
SET started_at = f.t0, created_at = f.t0, updated_at = f.t0,
    ended_at = (SELECT max(a.occurred_at) FROM aidis.session_activities a
                WHERE a.session_id = b.id AND a.kind IN ('session_ended', 'session_timeout')),
    last_activity_at = (SELECT max(a.occurred_at) FROM aidis.session_activities a
                        WHERE a.session_id = b.id AND a.kind NOT IN ('rated', 'session_updated', 'project_reassigned')
                          AND a.id <= (SELECT max(e.id) FROM aidis.session_activities e
                                       WHERE e.session_id = b.id AND e.kind IN ('session_ended', 'session_timeout')))
FROM fixed f WHERE f.id = b.id;
-- What _close_session stored was measured on the old timestamps.
UPDATE aidis.session_base b
SET active_seconds = aidis._active_seconds(b.id, b.started_at, b.ended_at, b.last_activity_at)
WHERE b.ended_at IS NOT NULL;
UPDATE aidis.session_files x SET first_at = f.t0 + interval '1 minute', last_at = f.t0 + interval '10 minutes'
FROM fixed f WHERE f.id = x.session_id;
UPDATE aidis.contexts x SET created_at = f.t0 + interval '1 minute' FROM fixed f WHERE f.id = x.session_id;
UPDATE aidis.tasks x SET created_at = f.t0 + (SELECT count(*) FROM aidis.tasks y WHERE y.title < x.title) * interval '1 minute',
                         updated_at = f.t0 + interval '30 minutes'
FROM fixed f WHERE f.id = x.session_id;
UPDATE aidis.decisions x SET created_at = f.t0 + interval '5 minutes' FROM fixed f WHERE f.id = x.session_id;
SQL
is "$(q -c "SELECT count(*) FROM aidis.sessions WHERE status = 'active'")" 0 "all sessions ended before reading"
read -r FIX_DAY0 FIX_DAY1 FIX_WEEKDAY FIX_ISODOW < <(q -F' ' -c "
  SELECT to_char(d, 'YYYY-MM-DD'), to_char(d + 1, 'YYYY-MM-DD'), to_char(d, 'FMDay'), extract(isodow FROM d)
  FROM (SELECT (min(started_at) AT TIME ZONE 'UTC')::date AS d FROM aidis.sessions) x")
is "$(q -c "SELECT count(*) FROM aidis.sessions WHERE (started_at AT TIME ZONE 'UTC')::date <> '$FIX_DAY0'")" 0 \
  "every session of the fixture starts on its day 0 ($FIX_WEEKDAY $FIX_DAY0)"

golden list frozen sessions list
golden list_json frozen --json sessions list
valid_json list_json
golden list_q frozen sessions list --q rounding
golden list_project frozen sessions list --project docs --status inactive
golden list_page frozen sessions list --limit 1 --offset 1
golden list_empty frozen sessions list --q "no such thing"
golden details frozen session "$S1"
golden details_json frozen --json session "${S1:0:13}"
valid_json details_json
golden details_display_id frozen session "$(q -c "SELECT display_id FROM aidis.sessions WHERE id = '$S2'")"
golden timeline frozen session "$S1" timeline
golden timeline_page frozen session timeline "$S1" --limit 3 --after 2
golden timeline_json frozen --json session "$S2" timeline
valid_json timeline_json
golden compare frozen sessions compare "$S1" "$S2"
golden compare_json frozen --json sessions compare "$S1" "$S2"
valid_json compare_json
golden brief frozen session brief "$S2"
golden brief_json frozen --json session brief "$S1"
valid_json brief_json
golden stats volatile sessions stats --period=week
golden stats_project volatile sessions stats --period=month --project shop
golden stats_empty volatile sessions stats --period=day --project empty
golden stats_json volatile --json sessions stats --period=month
valid_json stats_json
# The same stats in the matrix's zone (the session's TimeZone, from PGTZ): the
# most productive weekday is the local weekday of the only session that
# completed a task, computed here from the fixture in that zone.
expected=$(q -c "SELECT to_char(t, 'FMDay') || ' ' || extract(isodow FROM t)
                 FROM (SELECT started_at AT TIME ZONE '$ZONE' AS t FROM aidis.sessions WHERE id = '$S1') x")
doc=$(PGTZ=$ZONE "$AIDIS_BIN" -d "dbname=$DB" --json sessions stats --period=month 2>&1)
got=$(q -v doc="$doc" <<<"SELECT concat_ws(' ', d #>> '{most_productive_weekday,weekday}',
                                             d #>> '{most_productive_weekday,isodow}') FROM (SELECT :'doc'::jsonb AS d) x" 2>&1)
is "$got" "$expected" "stats with PGTZ=$ZONE: the most productive weekday is the fixture's in that zone ($expected; in UTC $FIX_WEEKDAY)"
golden export_md frozen sessions export --format md
golden export_jsonl frozen sessions export --format jsonl --q rounding
is "$(wc -l <"$WORK/export_jsonl.stdout")" 1 "export --format jsonl: one line per session"
run export_json frozen sessions export --format json -o "$WORK/export.json"
is "$RC:$(q -v doc="$(cat "$WORK/export.json")" <<<"SELECT jsonb_array_length(:'doc'::jsonb)")" \
   "0:$(q -c 'SELECT count(*) FROM aidis.session_base')" "export --format json -o FILE: one array of every session"
refused bad_export_status 5 'invalid status' sessions export --status sleeping
golden bad_export_format volatile sessions export --format xml
is "$RC" 2 "export --format xml: usage error"
golden session_none_again volatile session
is "$RC" 4 "no active session: aidis session exits 4"

# The help lists every command.
help=$("$AIDIS_BIN" session --help; "$AIDIS_BIN" sessions --help)
missing=
for c in current start end project delete goal tag note rename edit rate timeline brief list stats compare compact export import; do
  grep -qE "^  $c " <<<"$help" || missing+=" $c"
done
is "$missing" "" "help lists every command"

# Deleting a junk session: refused while active; asks first; its work moves
# to the project's holder session (no session of the project is active).
q -c "SELECT aidis.start_session(agent => 'cursor', project => 'empty', client_key => 'junk', title => 'Smoke test')" >/dev/null
JUNK=$(q -c "SELECT display_id FROM aidis.sessions WHERE title = 'Smoke test'")
refused delete_active 5 'is active' session delete "$JUNK" --yes
q -c "SELECT aidis.end_session('$JUNK')" >/dev/null
golden delete_no_tty volatile session delete "$JUNK"
is "$RC" 6 "session delete without --yes and without a terminal exits 6"
golden delete_yes volatile session delete "$JUNK" --yes
is "$(q -c "SELECT count(*) FROM aidis.session_base WHERE display_id = '$JUNK'")
$(q -c "SELECT s.title || ' ' || (SELECT count(*) FROM aidis.session_activities a WHERE a.session_id = s.id)
        FROM aidis.sessions s JOIN aidis.projects p ON p.id = s.project_id WHERE p.name = 'empty'")" "0
__unassigned__ 3" "session delete --yes deletes it; its timeline is on the holder session, with session_deleted"
refused delete_unknown 4 'does not exist' session delete "$JUNK" --yes

# Compaction: the policy and an explicit age (nothing here is that old: the
# folding itself is tested in sql/72_retention.sql), bad input.
golden compact volatile sessions compact
golden compact_json volatile --json sessions compact --older-than '3 days'
valid_json compact_json
refused compact_bad 5 'invalid input syntax' sessions compact --older-than soon
refused compact_negative 5 'must be a positive interval' sessions compact --older-than '-1 day'
