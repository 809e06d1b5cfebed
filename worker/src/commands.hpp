// The command line (`aidis session …`, `aidis sessions …`): connect, make
// the one SQL API call of the command (calls.hpp), print the result as JSON
// (--json) or as a report (render.hpp). docs/cli.md.
#pragma once

#include <chrono>

#include "cli.hpp"

namespace aidis {

// Runs the command in `opts` (any but Worker) and returns the exit code.
// Errors are printed on stderr: the server's message, detail, hint and SQLSTATE.
int run_command(const Options& opts);

// How long a connection attempt may take: PGCONNECT_TIMEOUT (at least 2 s), else 30 s.
std::chrono::milliseconds connect_timeout();

}  // namespace aidis
