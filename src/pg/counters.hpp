// Exact transactional counters (rule 5): tracked writes add deltas to the
// transaction's buffer; flush_buffer() writes them just before commit.
#pragma once

#include "pg/tx_state.hpp"

namespace aidis::pg {

// Called from the pre-commit callback.
void flush_buffer();
// Writes the buffer in the middle of the transaction (before a read of it).
void flush_now();

}  // namespace aidis::pg
