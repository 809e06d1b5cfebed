// What a backend remembers across transactions.
//
// BackendCache outlives transactions: what the triggers check on every row
// (the extension owner, each session's project, each project's status, the
// sessions known to be active) and the current session of an unbound
// connection. Lifecycle functions that change any of it call
// aidis._invalidate_caches(), which sends a relcache invalidation for
// aidis.projects to every backend at commit; the callback clears the cache.
// Aborts clear it too: it may remember rolled-back rows.
//
// The most recently active session changes far more often (any write to
// another session): writers then send a relcache invalidation of a relation
// that the hot paths never open (aidis.display_id_counters), and the callback
// forgets only `latest` (src/pg/session_cache.cpp, note_written_sessions).
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

// What the flush writes directly (src/pg/flush.cpp), and where: column
// positions by name, so that the code does not depend on attribute numbers.
struct FlushTargets {
  Oid activities = InvalidOid;         // aidis.session_activities
  Oid activities_id_seq = InvalidOid;  // its identity sequence
  Oid deltas = InvalidOid;             // aidis.session_deltas
  Oid deltas_key = InvalidOid;         // its primary key (session_id, slot)
  enum EventColumn {
    kId,
    kEventSession,
    kEventProject,
    kOccurredAt,
    kKind,
    kEntity,
    kSummary,
    kData,
    kEventColumns
  };
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
  Oid latest_relid = InvalidOid;    // the one whose invalidation clears `latest`
  // Sessions known to be active (a connection's binding is checked against
  // it), with their project; and a binding known to name an ended session.
  std::unordered_map<core::Uuid, core::Uuid, core::UuidHash> active_sessions;
  std::optional<core::Uuid> inactive_binding;
  std::unordered_map<core::Uuid, core::Uuid, core::UuidHash> session_project;
  std::unordered_map<core::Uuid, ProjectFacts, core::UuidHash> projects;

  // The most recently active session, for unbound connections, and per
  // project, for a row naming its project_id (both rule 3). Learnt by the
  // ranking query or by this backend's own write, at `noted_at`.
  struct Latest {
    SessionRef ref;
    TimestampTz noted_at;
  };
  std::optional<Latest> latest;
  std::unordered_map<core::Uuid, SessionRef, core::UuidHash> latest_in_project;
  std::optional<core::Uuid> last_written;  // the session of this backend's last flush
  // Invalidations this backend sent that it has not received back yet: its
  // own are not news (src/pg/backend_cache.cpp).
  int pending_echoes = 0;
  // Changes whenever something is forgotten: a result computed while it
  // changed may predate the invalidation and is not stored.
  std::uint64_t generation = 0;

  void forget_latest() {
    latest.reset();
    latest_in_project.clear();
    ++generation;
  }
  void clear() {
    projects_relid = InvalidOid;  // looked up again: the extension may have been recreated
    latest_relid = InvalidOid;
    owner.reset();
    flush_targets.reset();
    delta_rows.clear();
    active_sessions.clear();
    inactive_binding.reset();
    session_project.clear();
    projects.clear();
    last_written.reset();
    pending_echoes = 0;  // an echo still coming only makes us forget more
    forget_latest();
  }
};

BackendCache& backend_cache();
// The cache, about to receive a fact: first makes sure its invalidations will
// reach it.
BackendCache& backend_cache_for_filling();

// Forget every cached fact (this backend only).
void forget_caches();

// Registers the relcache callback that clears the cache (from _PG_init).
void register_cache_invalidation();

}  // namespace aidis::pg
