// NOTIFY aidis_sessions for tracked activity (docs/serve.md, "Live"): the
// flush notes which sessions a transaction wrote, the pre-commit callback
// announces them (src/core/activity_notices.hpp has the rule).
#pragma once

#include <vector>

#include "core/tx_buffer.hpp"

namespace aidis::pg {

// A flush wrote these sessions' deltas.
void note_activity(const std::vector<core::SessionDelta>& deltas);
// At pre-commit: queues the notifications that are due (sent at commit).
void announce_activity();
bool activity_to_announce();
// The end of the transaction: committed, or rolled back / prepared.
void activity_committed();
void activity_aborted();

}  // namespace aidis::pg
