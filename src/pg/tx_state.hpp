// Backend-local state that lives for one transaction: the tracking buffer
// and the caches the triggers consult. Reset at every transaction end;
// the caches are also dropped when a subtransaction rolls back (what they
// remember may have been rolled back with it).
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
  std::string status;  // empty: no such project
  std::string name;
};

struct TxState {
  core::TxBuffer buffer;
  std::optional<SessionRef> current;                                  // rule 3, resolved once
  std::unordered_map<core::Uuid, core::Uuid, core::UuidHash> session_project;
  std::unordered_map<core::Uuid, ProjectFacts, core::UuidHash> projects;
  std::optional<Oid> owner;
  bool buffer_lost = false;  // a subtransaction callback ran out of memory
  // True while the buffer is written: those writes passed the guard when they
  // happened (a project disconnected later in the same transaction must not
  // make its earlier writes fail at commit).
  bool flushing = false;

  void forget_caches() {
    current.reset();
    session_project.clear();
    projects.clear();
  }
};

TxState& tx_state();

// Conversions between PostgreSQL uuids and core::Uuid.
core::Uuid to_uuid(Datum datum);
Datum uuid_datum(const core::Uuid& id);  // palloc'd in the current context

}  // namespace aidis::pg
