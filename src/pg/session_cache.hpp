// Which session a write belongs to, and the facts the disconnected-project check needs, resolved
// through the SQL functions of extension/sql/20_internal.sql and cached for
// the transaction.
#pragma once

#include <vector>

#include "pg/backend_cache.hpp"
#include "pg/uuid_datum.hpp"

namespace aidis::pg {

// Rule 3: the bound session if active (a transaction-scoped binding: its
// session, whatever its status), else, with `project`, that project's most
// recently active session, else the most recently active one; with
// `autostart`, a new session when none is active (rule 4), on `project` when
// given. Cached across transactions; no query while the cache holds.
std::optional<SessionRef> current_session(bool autostart,
                                          const std::optional<core::Uuid>& project = std::nullopt);

// After writing tracked activity of these sessions (at `now`): when one of
// them was not the most recently active session, every backend forgets the
// one it cached, at commit.
void note_written_sessions(const std::vector<core::SessionDelta>& deltas, TimestampTz now);
// The same for a session that a lifecycle function made the latest.
void signal_latest_changed();

// The project of a session; nullopt when there is no such session.
std::optional<core::Uuid> find_session_project(const core::Uuid& session);
// The same, for a row being written: throws 23503 when the session is missing.
core::Uuid session_project(const core::Uuid& session);

}  // namespace aidis::pg
