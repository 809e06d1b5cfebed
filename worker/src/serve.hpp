// `aidis serve`: the sessions page and its JSON API over HTTP (docs/serve.md).
#pragma once

#include "cli.hpp"
#include "conninfo.hpp"

namespace aidis {

// Serves until SIGTERM/SIGINT; returns the exit code.
int run_serve(const ConnParams& params, const ServeOptions& opts);

}  // namespace aidis
