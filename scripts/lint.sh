#!/usr/bin/env bash
# Static checks of the C++ tree (part of scripts/test.sh):
#   clang-format: every tracked .cpp/.hpp follows .clang-format;
#   clang-tidy:   the checks of .clang-tidy, on the extension (with the server
#                 headers) and on the binary (CMake's compile database in build/,
#                 written by the build).
# Fix the formatting with `scripts/lint.sh --fix`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster.sh >/dev/null  # sets PG_CONFIG (PostgreSQL 15)

mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if [[ ${1:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi

echo "clang-format: ${#files[@]} files"
clang-format --dry-run --Werror "${files[@]}"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# One clang-tidy run per few files, two at a time (the machine's cores).
tidy_extension() { clang-tidy --quiet "$@" -- -std=c++17 -Isrc -isystem "$PG_INCLUDE"; }
tidy_binary() { clang-tidy --quiet -p build "$@"; }
export -f tidy_extension tidy_binary
export PG_INCLUDE=$("$PG_CONFIG" --includedir-server)
tidy() { # WHAT FUNCTION FILES...: prints the findings, fails on any
  echo "clang-tidy: $1"
  local run=$2
  shift 2
  if ! printf '%s\n' "$@" | xargs -P 2 -n 4 bash -c "$run \"\$@\"" _ >"$log" 2>&1; then
    grep -v 'warnings\? generated\.$' "$log"
    return 1
  fi
}
tidy "the extension" tidy_extension src/core/*.cpp src/pg/*.cpp
[[ -f build/compile_commands.json ]] ||
  { echo "clang-tidy: no build/compile_commands.json (build the binary first)" >&2; exit 1; }
tidy "the binary" tidy_binary worker/src/*.cpp
