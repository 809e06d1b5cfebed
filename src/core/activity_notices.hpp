// Which sessions a committing transaction announces as active on
// NOTIFY aidis_sessions (event "activity", docs/serve.md): every session whose
// tracked activity it wrote (touch(), record_usage(), record_file(), a write
// to a tracked table), once per transaction, and not when this backend
// announced the same session less than kInterval ago. A busy agent writing
// many transactions a second so costs one notification a second, and a
// transaction writing many rows one notification per session.
//
// Only committed announcements count for the interval: a transaction that
// rolls back (or is prepared, which may not NOTIFY) leaves nothing behind.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/uuid.hpp"

namespace aidis::core {

class ActivityNotices {
 public:
  // Microseconds, as PostgreSQL's TimestampTz.
  static constexpr std::int64_t kInterval = 1'000'000;

  struct Notice {
    Uuid session;
    Uuid project;
  };

  // The transaction wrote activity of `session` (each flush of its buffer).
  void wrote(const Uuid& session, const Uuid& project);
  bool empty() const { return written_.empty(); }

  // At pre-commit, at `now`: the sessions to announce, each once, in session
  // order; this transaction's list is then empty. They count as announced
  // at `now` once committed() is called.
  std::vector<Notice> due(std::int64_t now);
  // The transaction committed: what due() returned was sent.
  void committed();
  // The transaction rolled back or was prepared: nothing was sent.
  void aborted();

 private:
  std::vector<Notice> written_;  // this transaction's, possibly repeated
  std::vector<Uuid> sending_;    // returned by due(), not committed yet
  std::int64_t sending_at_ = 0;
  std::unordered_map<Uuid, std::int64_t, UuidHash> last_sent_;  // committed announcements
};

}  // namespace aidis::core
