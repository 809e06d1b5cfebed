// Writing the tracking buffer (rule 5): tracked writes add deltas and events to
// the transaction's buffer (src/pg/counters.cpp); these write it.
#pragma once

namespace aidis::pg {

// Called from the pre-commit callback.
void flush_buffer();
// Writes the buffer in the middle of the transaction (before a read of it).
void flush_now();

}  // namespace aidis::pg
