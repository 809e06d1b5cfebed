// Exact transactional counters (rule 5): tracked writes add deltas to the
// transaction's buffer; flush_buffer() writes them just before commit.
#pragma once

#include "pg/tx_state.hpp"

namespace aidis::pg {

// Called from the pre-commit callback.
void flush_buffer();

}  // namespace aidis::pg
