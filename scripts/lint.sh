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
tidy() { # WHAT ARGS...: prints the findings, fails on any
  echo "clang-tidy: $1"
  shift
  if ! clang-tidy --quiet "$@" >"$log" 2>&1; then
    grep -v 'warnings\? generated\.$' "$log"
    return 1
  fi
}
tidy "the extension" src/core/*.cpp src/pg/*.cpp -- -std=c++17 -Isrc -isystem "$("$PG_CONFIG" --includedir-server)"
if [[ -f build/compile_commands.json ]]; then
  tidy "the binary" -p build worker/src/*.cpp
else
  echo "clang-tidy: the binary skipped (no build/compile_commands.json: build it first)" >&2
  exit 1
fi
