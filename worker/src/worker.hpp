// `aidis worker`: the deadline-driven session timeout daemon (docs/worker.md).
#pragma once

#include "cli.hpp"
#include "conninfo.hpp"

namespace aidis {

// Runs until SIGTERM/SIGINT (returns kExitOk) or until the database turns
// out not to be set up for it (kExitNotSetUp). Connection failures are
// retried forever with capped, jittered backoff.
int run_worker(const ConnParams& params, const WorkerOptions& opts);

}  // namespace aidis
