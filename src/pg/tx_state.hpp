// What lives for one transaction: the tracking buffer, written just before
// commit and dropped on abort (src/pg/transaction.cpp registers the callbacks).
#pragma once

#include "core/tx_buffer.hpp"
#include "pg/postgres.hpp"

namespace aidis::pg {

struct TxState {
  core::TxBuffer buffer;
  // This transaction has queued its one "most recently active session
  // changed" invalidation (PostgreSQL may merge repeats: count one echo).
  bool signalled_latest = false;
  bool buffer_lost = false;  // a subtransaction callback ran out of memory
  // True while the buffer is written: those writes passed the disconnected-project check when they
  // happened (a project disconnected later in the same transaction must not
  // make its earlier writes fail at commit).
  bool flushing = false;
};

TxState& tx_state();

// Registers the transaction and subtransaction callbacks (from _PG_init).
void register_transaction_callbacks();

}  // namespace aidis::pg
