// Module setup: GUCs, and the transaction callbacks that drive the
// per-transaction buffer (flush before commit, forget on abort).
#include "core/interrupts.hpp"
#include "pg/flush.hpp"
#include "pg/guard.hpp"
#include "pg/tuple.hpp"
#include "pg/tx_state.hpp"

#include <cstring>

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace aidis::pg {

int session_timeout_seconds = 2 * 60 * 60;
bool importing = false;
static char* bound_session_setting = nullptr;

TxState& tx_state() {
  static TxState state;
  return state;
}

BackendCache& backend_cache() {
  static BackendCache cache;
  return cache;
}

BackendCache& backend_cache_for_filling() {
  auto& cache = backend_cache();
  if (cache.projects_relid == InvalidOid)
    cache.projects_relid = call([]() -> Oid {
      return get_relname_relid("projects", get_namespace_oid("aidis", false));
    });
  return cache;
}

void forget_caches() {
  tx_state().current.reset();
  backend_cache().clear();
}

core::Uuid to_uuid(Datum datum) {
  core::Uuid id;
  std::memcpy(id.bytes.data(), DatumGetUUIDP(datum)->data, UUID_LEN);
  return id;
}

Datum uuid_value(const core::Uuid& id) {
  auto* value = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
  std::memcpy(value->data, id.bytes.data(), UUID_LEN);
  return UUIDPGetDatum(value);
}

Datum uuid_datum(const core::Uuid& id) {
  return call([&] { return uuid_value(id); });
}

namespace {

// SET aidis.session_id rebinds the connection: forget the resolved session.
void on_bound_session_assign(const char*, void*) {
  tx_state().current.reset();
  backend_cache().bound.reset();
}

// Relcache invalidation of aidis.projects (sent by aidis._invalidate_caches),
// or of everything.
void on_relcache_invalidation(Datum, Oid relid) {
  auto& cache = backend_cache();
  if (relid == InvalidOid || relid == cache.projects_relid) cache.clear();
  if (cache.flush_targets && (relid == cache.flush_targets->activities || relid == cache.flush_targets->deltas))
    cache.flush_targets.reset();
  forget_tracked_table(relid);
}

void reset_transaction_state(bool aborted) noexcept {
  auto& state = tx_state();
  state.buffer.clear();
  state.current.reset();
  state.buffer_lost = false;
  state.flushing = false;
  if (aborted) backend_cache().clear();
}

void on_xact(XactEvent event, void*) {
  switch (event) {
    case XACT_EVENT_PRE_COMMIT:
    case XACT_EVENT_PRE_PREPARE:
      if (!tx_state().buffer.empty() || tx_state().buffer_lost) shim("aidis_sessions pre-commit flush", [] { flush_buffer(); });
      break;
    case XACT_EVENT_COMMIT:
    case XACT_EVENT_PREPARE:
    case XACT_EVENT_PARALLEL_COMMIT:
      reset_transaction_state(false);
      break;
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
        state.flushing = false;  // if the rolled-back part failed while writing
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
}  // namespace aidis::pg

void _PG_init(void) {
  using namespace aidis::pg;
  // Policy, not a caller's preference: the sweep ends every project's idle
  // sessions by it, so only the configuration (postgresql.conf, ALTER
  // DATABASE/ROLE ... SET by a superuser) or a superuser's SET may change it
  // (docs/timeout.md).
  DefineCustomIntVariable(
      "aidis.session_timeout",
      "Inactivity after which an active session times out.",
      "A session whose last activity is older than this is ended by aidis.expire_idle_sessions().",
      &session_timeout_seconds, 2 * 60 * 60, 1, INT_MAX, PGC_SUSET, GUC_UNIT_S, nullptr,
      nullptr, nullptr);
  DefineCustomStringVariable(
      "aidis.session_id", "The session bound to this connection (set by aidis.start_session).",
      nullptr, &bound_session_setting, "", PGC_USERSET, 0, nullptr, on_bound_session_assign, nullptr);
  // Superuser only, and set only by the SET clause of aidis._adopt_write():
  // restored when that function returns or fails.
  DefineCustomBoolVariable(
      "aidis.importing", "Internal: aidis.adopt() is writing rows it has checked as a whole.",
      "The disconnected-project guard of the session tables lets those rows through.", &importing,
      false, PGC_SUSET, GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE, nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("aidis");
  // The core's long loops over user data poll through this (src/core/interrupts.hpp).
  aidis::core::interrupt_hook = check_for_interrupts;
  RegisterXactCallback(on_xact, nullptr);
  RegisterSubXactCallback(on_subxact, nullptr);
  CacheRegisterRelcacheCallback(on_relcache_invalidation, PointerGetDatum(nullptr));
}
