#!/usr/bin/env bash
# Run the test suite with the clock and the time zone moved, to prove that no test
# depends on today's date, weekday, hour or zone. Each line of the matrix is one
# full run of scripts/test.sh (AIDIS_TEST_CLOCK, TZ); the last line of the output
# is "N runs passed, N failed".
#
#   scripts/test-clocks.sh             the whole suite at every moment below (11 runs)
#   scripts/test-clocks.sh --edges     the whole suite at the four edge moments
#   scripts/test-clocks.sh --quick     one run per weekday, only the suites that
#                                      format dates (pg_regress, the CLI goldens)
# Each run sets TZ and PGTZ to the line's zone. pg_regress pins its own zone
# (PGTZ=PST8PDT) and the CLI goldens are read in UTC, so there the clock is what
# moves; test/integration/cli_commands.sh reads the stats once more with PGTZ
# and checks the weekday in that zone.
# Environment: AIDIS_CLOCK_SUITES, a regex of suite names (as AIDIS_SUITES of
# scripts/test.sh) for every run of the matrix.
set -uo pipefail
cd "$(dirname "$0")/.."

# Clock (UTC) | TZ | why. WEEKDAYS: the seven days of one week, at hours that put
# "yesterday" and "today" on other dates in the zone than in UTC. EDGES: a year
# boundary on both sides of the date line and both DST changes of America/Adak
# (UTC-10/-9) in 2027.
WEEKDAYS=(
  "2027-01-04 00:30 UTC|Pacific/Kiritimati|Monday, UTC+14: already Monday 14:30 locally"
  "2027-01-05 23:30 UTC|America/Adak|Tuesday late UTC, still Tuesday 13:30 locally"
  "2027-01-06 12:00 UTC|UTC|Wednesday noon"
  "2027-01-07 03:00 UTC|America/Adak|Thursday UTC, Wednesday locally"
  "2027-01-08 20:00 UTC|Pacific/Kiritimati|Friday UTC, Saturday locally"
  "2027-01-09 09:00 UTC|Asia/Kathmandu|Saturday, UTC+5:45"
  "2027-01-10 23:59 UTC|Europe/Berlin|Sunday 23:59 UTC, Monday locally"
)
EDGES=(
  "2027-01-01 00:20 UTC|America/Adak|new year in UTC, still the old year locally"
  "2026-12-31 12:30 UTC|Pacific/Kiritimati|old year in UTC, new year locally"
  "2027-03-14 12:30 UTC|America/Adak|30 minutes after the spring DST change"
  "2027-11-07 11:30 UTC|America/Adak|30 minutes after the autumn DST change"
)
case ${1:-} in
  --quick) MATRIX=("${WEEKDAYS[@]}"); AIDIS_CLOCK_SUITES=${AIDIS_CLOCK_SUITES:-pg_regress|cli_commands} ;;
  --edges) MATRIX=("${EDGES[@]}") ;;
  "") MATRIX=("${WEEKDAYS[@]}" "${EDGES[@]}") ;;
  *) echo "usage: $0 [--quick | --edges]" >&2; exit 2 ;;
esac

# The run's "N passed, N failed" line (after a failure the server log follows it).
summary() { grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1; }

passed=0 failed=0 failures=()
for line in "${MATRIX[@]}"; do
  IFS='|' read -r clock zone why <<<"$line"
  echo "  clock $clock, TZ=$zone ($why)"
  log=$(mktemp /tmp/aidis-clock.XXXXXX.log)
  if AIDIS_TEST_CLOCK=$clock TZ=$zone PGTZ=$zone AIDIS_SUITES=${AIDIS_CLOCK_SUITES:-} bash scripts/test.sh >"$log" 2>&1; then
    passed=$((passed + 1)); echo "    ok: $(summary "$log")"; rm -f "$log"
  else
    failed=$((failed + 1)); failures+=("$clock $zone: $log")
    echo "    FAILED: $(summary "$log") (log: $log)"
    grep -E '^(not ok|--- FAILED)' "$log" | head -n 20 | sed 's/^/    /'
  fi
done
echo
((failed == 0)) || printf 'failed run: %s\n' "${failures[@]}"
echo "$passed runs passed, $failed failed"
((failed == 0))
