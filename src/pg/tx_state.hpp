// Backend-local state.
//
// TxState lives for one transaction: the tracking buffer, and the current
// session when it was resolved by search (rule 3, "most recently active").
//
// BackendCache outlives transactions: what the triggers check on every row
// (the extension owner, each session's project, each project's status, the
// active session this connection is bound to). Lifecycle functions that change
// any of it call aidis._invalidate_caches(), which sends a relcache
// invalidation for aidis.projects to every backend at commit; the callback
// clears the cache. Aborts clear it too: it may remember rolled-back rows.
#pragma once

#include <unordered_map>

#include "core/tx_buffer.hpp"
#include "core/uuid.hpp"
#include "pg/postgres.hpp"

namespace aidis::pg {

struct SessionRef {
  core::Uuid session;
  core::Uuid project;
};

struct ProjectFacts {
  std::string status;  // never empty in the cache: missing projects are not cached
  std::string name;
};

struct TxState {
  core::TxBuffer buffer;
  std::optional<SessionRef> current;  // resolved by search, for this transaction only
  bool buffer_lost = false;           // a subtransaction callback ran out of memory
  // True while the buffer is written: those writes passed the guard when they
  // happened (a project disconnected later in the same transaction must not
  // make its earlier writes fail at commit).
  bool flushing = false;
};

// What the flush writes directly (src/pg/flush.cpp), and where: column
// positions by name, so that the code does not depend on attribute numbers.
struct FlushTargets {
  Oid activities = InvalidOid;         // aidis.session_activities
  Oid activities_id_seq = InvalidOid;  // its identity sequence
  Oid deltas = InvalidOid;             // aidis.session_deltas
  Oid deltas_key = InvalidOid;         // its primary key (session_id, slot)
  enum EventColumn { kId, kEventSession, kEventProject, kOccurredAt, kKind, kEntity, kSummary, kData, kEventColumns };
  enum DeltaColumn { kDeltaSession, kSlot, kDeltaProject, kLastActivity, kDeltaColumns };
  int event_cols[kEventColumns];
  int delta_cols[kDeltaColumns];
  int counter_cols[core::kCounterCount];
};

struct BackendCache {
  std::optional<Oid> owner;
  std::optional<FlushTargets> flush_targets;
  // Where this backend last wrote each session's delta row: the next flush
  // tries that tuple before the index (src/pg/flush.cpp checks it is still ours).
  std::unordered_map<core::Uuid, ItemPointerData, core::UuidHash> delta_rows;
  Oid projects_relid = InvalidOid;  // the relation whose invalidation clears us
  std::optional<SessionRef> bound;  // the bound session, known to be active
  std::unordered_map<core::Uuid, core::Uuid, core::UuidHash> session_project;
  std::unordered_map<core::Uuid, ProjectFacts, core::UuidHash> projects;

  void clear() {
    projects_relid = InvalidOid;  // looked up again: the extension may have been recreated
    owner.reset();
    flush_targets.reset();
    delta_rows.clear();
    bound.reset();
    session_project.clear();
    projects.clear();
  }
};

TxState& tx_state();
BackendCache& backend_cache();
// The cache, about to receive a fact: first makes sure its invalidations will
// reach it.
BackendCache& backend_cache_for_filling();

// Forget every cached fact (this backend only).
void forget_caches();

// Conversions between PostgreSQL uuids and core::Uuid.
core::Uuid to_uuid(Datum datum);
Datum uuid_datum(const core::Uuid& id);  // palloc'd in the current context
Datum uuid_value(const core::Uuid& id);  // the same unguarded, for use inside pg::call()

}  // namespace aidis::pg
