#!/usr/bin/env bash
# Install the Debian 12 packages the project needs, if any are missing.
# Only runs apt-get when something is missing, so it is cheap to call every time.
# Note: installing postgresql-15 creates the system cluster 15/main; we never use it
# (scripts/cluster.sh runs private clusters on ports 54320+).
set -euo pipefail

PACKAGES=(
  postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
  libtap-parser-sourcehandler-pgtap-perl postgresql-15-cron
  libpq-dev libfmt-dev libcli11-dev nlohmann-json3-dev libgtest-dev sqlsmith
  cmake make g++ clang-14 llvm-14 git
  libfaketime # scripts/test-clocks.sh: the suite with the clock moved
  pgbouncer   # test/integration/pools.sh: PgBouncer in transaction mode
  nodejs npm  # node-postgres (test/integration/pool), the MCP SDK client (test/mcp)
  libcpp-httplib-dev # aidis serve
  chromium    # test/browser: the sessions page in a real browser
  clang-format clang-tidy # scripts/lint.sh
)
# Satisfied by a command of that name too: NodeSource's nodejs package ships
# npm (and conflicts with Debian's npm package).
declare -A BY_COMMAND=([nodejs]=node [npm]=npm)

missing=()
for pkg in "${PACKAGES[@]}"; do
  [[ -n ${BY_COMMAND[$pkg]:-} ]] && command -v "${BY_COMMAND[$pkg]}" >/dev/null && continue
  # `dpkg -s` also succeeds for removed packages whose config is left: check the status.
  dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#PACKAGES[@]} packages installed"
  exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "deps: not root and no sudo; install as root: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
