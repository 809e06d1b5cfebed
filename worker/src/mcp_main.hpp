// `aidis mcp`: the MCP server over stdio (docs/mcp.md). Wires the pure
// protocol logic (mcp_server.hpp) to stdin/stdout and one libpq connection.
#pragma once

#include "cli.hpp"

namespace aidis {

// Serves one client until stdin closes; returns 0 then. The client's
// session stays active (until the inactivity timeout).
int run_mcp(const Options& opts);

}  // namespace aidis
