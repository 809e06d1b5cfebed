// The transaction callbacks that drive the per-transaction buffer: written
// just before commit (src/pg/flush.cpp), dropped on abort; a subtransaction's
// part is merged into its parent or dropped with it.
#include "pg/tx_state.hpp"

#include "pg/backend_cache.hpp"
#include "pg/flush.hpp"
#include "pg/guard.hpp"
#include "pg/notices.hpp"

namespace aidis::pg {

TxState& tx_state() {
  static TxState state;
  return state;
}

namespace {

void reset_transaction_state(bool aborted) noexcept {
  auto& state = tx_state();
  state.buffer.clear();
  state.buffer_lost = false;
  state.flushing = false;
  state.signalled_latest = false;
  if (aborted) backend_cache().clear();
  try {
    if (aborted)
      activity_aborted();
    else
      activity_committed();
  } catch (...) {
    activity_aborted();  // out of memory: at worst one more notification later
  }
}

void on_xact(XactEvent event, void*) {
  switch (event) {
    case XACT_EVENT_PRE_COMMIT:
    case XACT_EVENT_PRE_PREPARE:
      if (!tx_state().buffer.empty() || tx_state().buffer_lost)
        shim("aidis_sessions pre-commit flush", [] { flush_buffer(); });
      // After every write of the transaction; a prepared transaction may not
      // NOTIFY (its activity shows at the next one).
      if (event == XACT_EVENT_PRE_COMMIT && activity_to_announce())
        shim("aidis_sessions activity notice", [] { announce_activity(); });
      break;
    case XACT_EVENT_COMMIT:
    case XACT_EVENT_PARALLEL_COMMIT:
      reset_transaction_state(false);
      break;
    case XACT_EVENT_PREPARE:  // its invalidations are sent by COMMIT PREPARED, maybe elsewhere
                              // (and it sent no activity notice)
    case XACT_EVENT_ABORT:
    case XACT_EVENT_PARALLEL_ABORT:
      reset_transaction_state(true);
      break;
    default:
      break;
  }
}

void on_subxact(SubXactEvent event, SubTransactionId, SubTransactionId, void*) {
  // Called while the subtransaction is still the current one.
  int level = GetCurrentTransactionNestLevel();
  auto& state = tx_state();
  try {
    switch (event) {
      case SUBXACT_EVENT_COMMIT_SUB:
        state.buffer.commit_subtransaction(level);
        break;
      case SUBXACT_EVENT_ABORT_SUB:
        state.buffer.abort_subtransaction(level);
        state.flushing = false;          // if the rolled-back part failed while writing
        state.signalled_latest = false;  // its invalidation may be gone with it
        forget_caches();
        break;
      default:
        break;
    }
  } catch (...) {
    // No error may be raised here; the commit will refuse instead.
    state.buffer.clear();
    state.buffer_lost = true;
  }
}

}  // namespace

void register_transaction_callbacks() {
  RegisterXactCallback(on_xact, nullptr);
  RegisterSubXactCallback(on_subxact, nullptr);
}

}  // namespace aidis::pg
