// Which session a write belongs to, and the facts the guard needs, resolved
// through the SQL functions of extension/sql/20_internal.sql and cached for
// the transaction.
#pragma once

#include "pg/tx_state.hpp"

namespace aidis::pg {

// Rule 3: the bound session if active, else the most recently active one;
// with `autostart`, a new session when none is active (rule 4), on
// `project` when given.
std::optional<SessionRef> current_session(bool autostart,
                                          const std::optional<core::Uuid>& project = std::nullopt);

// The project of a session; nullopt when there is no such session.
std::optional<core::Uuid> find_session_project(const core::Uuid& session);
// The same, for a row being written: throws 23503 when the session is missing.
core::Uuid session_project(const core::Uuid& session);

// Throws 23503 for an unknown project, 55000 for a disconnected one.
void check_project_writable(const core::Uuid& project);

}  // namespace aidis::pg
