// Module setup: GUCs, and the transaction callbacks that drive the
// per-transaction buffer (flush before commit, forget on abort).
#include "core/interrupts.hpp"
#include "pg/flush.hpp"
#include "pg/guard.hpp"
#include "pg/tuple.hpp"
#include "pg/tx_state.hpp"

#include <cstring>

extern "C" {
#include "utils/guc_tables.h"  // the save stack of aidis.session_id: was it SET LOCAL?
}

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace aidis::pg {

int session_timeout_seconds = 2 * 60 * 60;
char* session_retention_setting = nullptr;
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
  if (cache.projects_relid == InvalidOid || cache.latest_relid == InvalidOid)
    call([&] {
      Oid schema = get_namespace_oid("aidis", false);
      cache.projects_relid = get_relname_relid("projects", schema);
      cache.latest_relid = get_relname_relid("display_id_counters", schema);
    });
  return cache;
}

void forget_caches() {
  backend_cache().clear();
}

namespace {
struct config_generic* bound_session_guc = nullptr;
}

bool binding_is_transaction_scoped() {
  // The newest entry of the setting's save stack says how it was last set.
  const GucStack* top = bound_session_guc != nullptr ? bound_session_guc->stack : nullptr;
  return top != nullptr && (top->state == GUC_LOCAL || top->state == GUC_SET_LOCAL);
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

// aidis.session_id is a session uuid or empty: a typo must not silently
// leave the connection unbound.
bool check_bound_session(char** value, void**, GucSource) {
  if (*value == nullptr || **value == '\0') return true;
  bool valid = false;
  try {
    valid = core::Uuid::parse(*value).has_value();
  } catch (...) {
  }
  if (!valid) {
    GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
    GUC_check_errdetail("aidis.session_id must be a session id (a uuid) or empty.");
  }
  return valid;
}

// aidis.session_retention: a positive interval, or 'infinity' (keep everything).
bool check_retention(char** value, void**, GucSource) {
  if (*value != nullptr && pg_strcasecmp(*value, "infinity") == 0) return true;
  std::string problem = "it is not positive";
  try {
    const char* text = *value != nullptr ? *value : "";
    if (call([&]() -> bool {
          Datum parsed = DirectFunctionCall3(interval_in, CStringGetDatum(text), ObjectIdGetDatum(InvalidOid),
                                             Int32GetDatum(-1));
          Interval zero{};
          return DatumGetBool(DirectFunctionCall2(interval_gt, parsed, IntervalPGetDatum(&zero)));
        }))
      return true;
  } catch (const PgError& e) {
    problem = e.what();
  } catch (...) {
    problem = "it could not be read";
  }
  GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
  GUC_check_errdetail("aidis.session_retention must be a positive interval or 'infinity' (%s).", problem.c_str());
  return false;
}

// Relcache invalidation of aidis.projects (sent by aidis._invalidate_caches),
// of the relation that signals a new most recently active session, or of
// everything. What the binding selects is looked up on each use: SET, RESET,
// SET LOCAL and DISCARD ALL need no hook.
void on_relcache_invalidation(Datum, Oid relid) {
  auto& cache = backend_cache();
  if (relid == InvalidOid || relid == cache.projects_relid) cache.clear();
  if (relid != InvalidOid && relid == cache.latest_relid) {
    if (cache.pending_echoes > 0) --cache.pending_echoes;
    else cache.forget_latest();
  }
  if (cache.flush_targets && (relid == cache.flush_targets->activities || relid == cache.flush_targets->deltas))
    cache.flush_targets.reset();
  forget_tracked_table(relid);
}

void reset_transaction_state(bool aborted) noexcept {
  auto& state = tx_state();
  state.buffer.clear();
  state.buffer_lost = false;
  state.flushing = false;
  state.signalled_latest = false;
  if (aborted) backend_cache().clear();
}

void on_xact(XactEvent event, void*) {
  switch (event) {
    case XACT_EVENT_PRE_COMMIT:
    case XACT_EVENT_PRE_PREPARE:
      if (!tx_state().buffer.empty() || tx_state().buffer_lost) shim("aidis_sessions pre-commit flush", [] { flush_buffer(); });
      break;
    case XACT_EVENT_COMMIT:
    case XACT_EVENT_PARALLEL_COMMIT:
      reset_transaction_state(false);
      break;
    case XACT_EVENT_PREPARE:  // its invalidations are sent by COMMIT PREPARED, maybe elsewhere
      reset_transaction_state(true);
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
  // Policy too, for the same reason: a writer's own SET must not shorten it
  // and fold other people's history (docs/retention.md).
  DefineCustomStringVariable(
      "aidis.session_retention", "Age after which the timeline of an ended session is compacted.",
      "aidis.compact_activity() folds older events of ended sessions into one summary per session, "
      "day and kind; 'infinity' keeps everything.",
      &session_retention_setting, "1 year", PGC_SUSET, 0, check_retention, nullptr, nullptr);
  DefineCustomStringVariable(
      "aidis.session_id", "The session bound to this connection or transaction.",
      "Set by aidis.start_session() and aidis.use_session(), or SET LOCAL by a pooled client; "
      "RESET and DISCARD ALL unbind.",
      &bound_session_setting, "", PGC_USERSET, 0, check_bound_session, nullptr, nullptr);
  struct config_generic** gucs = get_guc_variables();
  for (int i = 0, n = GetNumConfigOptions(); i < n; ++i)
    if (std::strcmp(gucs[i]->name, "aidis.session_id") == 0) bound_session_guc = gucs[i];
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
