#!/usr/bin/env bash
# aidis serve against the real binary and cluster: the safety rules (Host,
# Origin, body size, access token from the environment or a file, loopback),
# each endpoint's error mapping (the documented HTTP status and SQLSTATE, no
# SQL text or stack trace in any answer), live events, and surviving a database
# restart. Restarts the test cluster: scripts/test.sh runs suites one at a time.
source "$(dirname "$0")/worker_lib.bash"
plan 79

setup_db aidis_serve_test 1h || { echo "Bail out! could not create the test database"; exit 1; }
q -c "SELECT aidis.create_project('shop'), aidis.create_project('blog')" >/dev/null
SID=$(q -c "SELECT display_id FROM aidis.start_session(agent => 'claude-code', client_key => 'a', project => 'shop')")
q -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aidis_serve_reader') THEN
        CREATE ROLE aidis_serve_reader LOGIN; END IF; END \$\$" -c "GRANT aidis_reader TO aidis_serve_reader"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# serve NAME ARGS...: aidis serve in the background (log $WORK/NAME.log); sets SERVE_PID.
serve() {
  local name=$1
  shift
  "$AIDIS_BIN" serve "$@" 2>"$WORK/$name.log" </dev/null &
  SERVE_PID=$!
  WORKER_PIDS+=("$SERVE_PID")
}
wait_up() { # wait_up URL: until it answers at all
  for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  return 1
}
# code ARGS...: the HTTP status of a curl request.
code() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }
body() { cat "$WORK/body"; }

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
serve admin -d "dbname=$DB" --listen "127.0.0.1:$PORT"
check "serve starts on loopback without a token" wait_up "$URL/"

# --- the safety rules ---------------------------------------------------------
is "$(code "$URL/")" 200 "the page itself"
is "$(code -H 'Host: evil.example' "$URL/api/sessions")" 421 "a foreign Host is refused (DNS rebinding)"
is "$(code -H "Host: localhost:$PORT" "$URL/api/projects")" 200 "localhost:PORT is a loopback name"
ORIGIN=(-H "Origin: http://127.0.0.1:$PORT" -H 'Content-Type: application/json')
is "$(code -X POST -H 'Origin: http://evil.example' -H 'Content-Type: application/json' -d '{"stars":3}' \
  "$URL/api/sessions/$SID/rating")" 403 "a foreign Origin is refused"
is "$(code -X POST -H 'Content-Type: application/json' -d '{"stars":3}' "$URL/api/sessions/$SID/rating")" 403 \
  "a state-changing request without Origin is refused"
is "$(code -X POST -H "Origin: http://127.0.0.1:$PORT" -d 'stars=3' "$URL/api/sessions/$SID/rating")" 415 \
  "a form post (not JSON) is refused"
is "$(q -c "SELECT coalesce(rating, 0) FROM aidis.sessions")" 0 "nothing was rated by the refused requests"
head -c 70000 /dev/zero | tr '\0' a >"$WORK/big"
is "$(code -X POST "${ORIGIN[@]}" --data-binary @"$WORK/big" "$URL/api/sessions/$SID/edit")" 413 \
  "a body over 64 kB is refused"
is "$(code -X POST "${ORIGIN[@]}" -d '{"stars":4}' "$URL/api/sessions/$SID/rating")" 200 "a same-origin JSON post works"
grep -q "default-src 'none'" <(curl -s -D - -o /dev/null "$URL/")
ok $? "the page is served with a restrictive Content-Security-Policy"

# --- error mapping: the server's message for the user's errors, nothing else ---
# refused DESC STATUS CODE CURL_ARGS...: the answer has that HTTP status, is
# exactly {"error": message[, "code": CODE]} (CODE "" = no code: refused before
# any SQL) and carries no SQL text or stack trace.
refused() {
  local desc=$1 want=$2 sqlstate=$3 got shape
  shift 3
  got=$(code "$@")
  shape=$(jq -c '[type, (keys - ["code", "error"] | length), (.error | type), (.code // "")]' "$WORK/body" 2>&1)
  [[ $got == "$want" && $shape == "[\"object\",0,\"string\",\"$sqlstate\"]" ]] &&
    ! grep -qiE 'select |from aidis|\$[0-9]|line [0-9]|context:|pl/pgsql|\.cpp|std::|terminate|exception' "$WORK/body"
  ok $? "$desc → $want${sqlstate:+ ($sqlstate)}" "HTTP $got: $(body)"
}
is "$(code "$URL/api/sessions/SES-1999-0001")" 404 "unknown session → 404"
grep -q '"code":"42704"' "$WORK/body"; ok $? "… with its SQLSTATE" "$(body)"
is "$(code "$URL/api/sessions?status=bogus")" 400 "bad status → 400 (22023)"
is "$(code "$URL/api/sessions?limit=ten")" 400 "a non-number limit → 400 before any SQL"
is "$(code "$URL/api/nope")" 404 "unknown endpoint → 404"
is "$(code -X POST "${ORIGIN[@]}" -d '{"project":"blog","confirm":"1.00"}' "$URL/api/sessions/$SID/project")" 400 \
  "a malformed confirmation token → 400"
is "$(code -X POST "${ORIGIN[@]}" -d '{"project":"blog"}' "$URL/api/sessions/$SID/project")" 200 \
  "the first project call only asks"
is "$(q -c "SELECT project_name FROM aidis.list_sessions()")" shop "… and moves nothing"
is "$(code -X POST "${ORIGIN[@]}" -d '{}' "$URL/api/sessions/$SID/end")" 200 "end a session"
is "$(code -X POST "${ORIGIN[@]}" -d '{}' "$URL/api/sessions/$SID/end")" 409 "end it again → 409 (55000)"
grep -qiE 'select|from aidis|line [0-9]|context:' "$WORK/body"
ok $((!$?)) "no SQL text in an error answer" "$(body)"

# Each read endpoint and the rating with a bad argument, against the real database.
S=$URL/api/sessions/$SID
for what in contexts tasks decisions; do
  refused "$what: limit 0" 400 22023 "$S/$what?limit=0"
  refused "$what: a negative offset" 400 22023 "$S/$what?offset=-1"
  refused "$what: a non-number limit" 400 "" "$S/$what?limit=x"
  refused "$what of an unknown session" 404 42704 "$URL/api/sessions/SES-1999-0001/$what"
  refused "$what: POST" 405 "" -X POST "${ORIGIN[@]}" -d '{}' "$S/$what"
done
refused "timeline: limit 0" 400 22023 "$S/timeline?limit=0"
refused "timeline: a negative after" 400 22023 "$S/timeline?after=-1"
refused "timeline: a non-number after" 400 "" "$S/timeline?after=abc"
refused "timeline of an unknown session" 404 42704 "$URL/api/sessions/SES-1999-0001/timeline"
refused "rating: 9 stars" 400 22023 -X POST "${ORIGIN[@]}" -d '{"stars":9}' "$S/rating"
refused "rating: stars as a string" 400 "" -X POST "${ORIGIN[@]}" -d '{"stars":"4"}' "$S/rating"
refused "rating: a note that is not a string" 400 "" -X POST "${ORIGIN[@]}" -d '{"stars":3,"note":5}' "$S/rating"
refused "rating: a body that is not an object" 400 "" -X POST "${ORIGIN[@]}" -d '[1]' "$S/rating"
refused "rating: malformed JSON" 400 "" -X POST "${ORIGIN[@]}" -d '{"stars":' "$S/rating"
refused "rating of an unknown session" 404 42704 -X POST "${ORIGIN[@]}" -d '{"stars":3}' \
  "$URL/api/sessions/SES-1999-0001/rating"
refused "rating: GET" 405 "" "$S/rating"
is "$(q -c "SELECT rating FROM aidis.sessions WHERE display_id = '$SID'")" 4 "… and the rating stays 4"
refused "stats: an unknown period" 400 22023 "$URL/api/stats?period=year"
refused "stats: an unknown project" 404 42704 "$URL/api/stats?project=nope"
refused "stats/daily: an unknown period" 400 22023 "$URL/api/stats/daily?period=fortnight"
refused "stats/daily: an unknown project" 404 42704 "$URL/api/stats/daily?project=nope"
refused "compare without b" 400 "" "$URL/api/compare?a=$SID"
refused "compare: not a session reference" 400 22023 "$URL/api/compare?a=x&b=$SID"
refused "compare with an unknown session" 404 42704 "$URL/api/compare?a=$SID&b=SES-1999-0001"
refused "export: since is not a time" 400 22007 "$URL/api/export?since=yesterdayish"
refused "export: an unknown status" 400 22023 "$URL/api/export?status=bogus"
refused "export: an unknown project" 404 42704 "$URL/api/export?project=nope"
refused "export of an unknown session" 404 42704 "$URL/api/sessions/SES-1999-0001/export"
refused "projects: POST" 405 "" -X POST "${ORIGIN[@]}" -d '{}' "$URL/api/projects"
refused "projects/NAME: no such endpoint" 404 "" "$URL/api/projects/shop"

RPORT=$(free_port)
serve reader -d "dbname=$DB user=aidis_serve_reader" --listen "127.0.0.1:$RPORT"
wait_up "http://127.0.0.1:$RPORT/"
is "$(code -X POST -H "Origin: http://127.0.0.1:$RPORT" -H 'Content-Type: application/json' -d '{"title":"x"}' \
  "http://127.0.0.1:$RPORT/api/sessions/$SID/edit")" 403 "a reader's edit → 403 (42501)"
grep -q 'permission denied' "$WORK/body"; ok $? "… with the server's message" "$(body)"

# --- the access token -----------------------------------------------------------
TPORT=$(free_port)
"$AIDIS_BIN" serve -d "dbname=$DB" --listen "0.0.0.0:$TPORT" 2>"$WORK/notoken.log" </dev/null
is "$?" 2 "a non-loopback --listen without a token refuses to start"
printf 'short\n' >"$WORK/short"
"$AIDIS_BIN" serve -d "dbname=$DB" --listen "127.0.0.1:$TPORT" --token-file "$WORK/short" 2>>"$WORK/notoken.log" </dev/null
is "$?" 2 "a token shorter than 16 characters is refused"
TOKEN=0123456789abcdef0123
AIDIS_SERVE_TOKEN=$TOKEN serve token -d "dbname=$DB" --listen "127.0.0.1:$TPORT"
wait_up "http://127.0.0.1:$TPORT/"
is "$(code "http://127.0.0.1:$TPORT/api/sessions")" 401 "without the token → 401"
is "$(code -H "Authorization: Bearer wrong-token-wrong-token" "http://127.0.0.1:$TPORT/api/sessions")" 401 \
  "a wrong token → 401"
is "$(code -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$TPORT/api/sessions")" 200 "the bearer token → 200"
cookie=$(curl -s -D - -o /dev/null "http://127.0.0.1:$TPORT/?token=$TOKEN" | tr -d '\r' | sed -n 's/^Set-Cookie: //p')
[[ $cookie == "aidis_token=$TOKEN; "*HttpOnly*SameSite=Strict* ]]
ok $? "the start-up link trades the token for an HttpOnly SameSite cookie" "$cookie"
is "$(code -H "Cookie: aidis_token=$TOKEN" "http://127.0.0.1:$TPORT/api/sessions")" 200 "the cookie → 200"
# A valid token file (its first line) on a non-loopback address, where a token is required.
FPORT=$(free_port)
FTOKEN=file-token-0123456789
printf '%s\nnot part of the token\n' "$FTOKEN" >"$WORK/token"
chmod 600 "$WORK/token"
serve tokenfile -d "dbname=$DB" --listen "0.0.0.0:$FPORT" --token-file "$WORK/token"
check "a non-loopback --listen starts with a valid --token-file" wait_up "http://127.0.0.1:$FPORT/"
is "$(code "http://127.0.0.1:$FPORT/api/projects")" 401 "… without the token → 401"
is "$(code -H "Authorization: Bearer $FTOKEN" "http://127.0.0.1:$FPORT/api/projects")" 200 \
  "… the first line of the file as bearer token → 200"
grep -q '"name": *"shop"' "$WORK/body"; ok $? "… with the projects" "$(body)"

# --- live events and a database restart -----------------------------------------
curl -s -N --max-time 60 "$URL/api/events" >"$WORK/events" &
CURL_PID=$!
WORKER_PIDS+=("$CURL_PID")
sleep 0.5
q -c "SELECT aidis.start_session(agent => 'codex', client_key => 'live', project => 'blog')" >/dev/null
check "a session started elsewhere arrives as an event" wait_log "$WORK/events" '"agent" *: *"codex"' 5
check "pg_ctl restart" pg_ctl_as_owner restart -m fast -w -t 30
ok_after=1
for _ in $(seq 50); do
  [[ $(code "$URL/api/sessions") == 200 ]] && { ok_after=0; break; }
  sleep 0.2
done
ok $ok_after "the API answers again after the database restarted"
check "the event stream tells the page the database is back" wait_log "$WORK/events" '"available":true' 15 2
kill -TERM "$SERVE_PID" 2>/dev/null
