#include "core/activity_notices.hpp"

#include <algorithm>

namespace aidis::core {

namespace {
// Announcements older than the interval decide nothing; past this many
// remembered sessions, they are dropped.
constexpr std::size_t kRemembered = 256;
}  // namespace

void ActivityNotices::wrote(const Uuid& session, const Uuid& project) {
  // A transaction flushes its buffer once, or a few times when it reads its
  // own writes: the last entry is the common repeat.
  if (!written_.empty() && written_.back().session == session) return;
  written_.push_back({session, project});
}

std::vector<ActivityNotices::Notice> ActivityNotices::due(std::int64_t now) {
  std::vector<Notice> out;
  out.swap(written_);
  std::sort(out.begin(), out.end(), [](const Notice& a, const Notice& b) { return a.session < b.session; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Notice& a, const Notice& b) { return a.session == b.session; }),
            out.end());
  out.erase(std::remove_if(out.begin(), out.end(),
                           [&](const Notice& n) {
                             auto it = last_sent_.find(n.session);
                             // A clock stepped back announces rather than waits.
                             return it != last_sent_.end() && now >= it->second &&
                                    now - it->second < kInterval;
                           }),
            out.end());
  sending_.clear();
  for (const auto& n : out) sending_.push_back(n.session);
  sending_at_ = now;
  return out;
}

void ActivityNotices::committed() {
  written_.clear();
  if (sending_.empty()) return;
  if (last_sent_.size() + sending_.size() > kRemembered) {
    for (auto it = last_sent_.begin(); it != last_sent_.end();) {
      if (sending_at_ < it->second || sending_at_ - it->second >= kInterval)
        it = last_sent_.erase(it);
      else
        ++it;
    }
  }
  for (const auto& s : sending_) last_sent_[s] = sending_at_;
  sending_.clear();
}

void ActivityNotices::aborted() {
  written_.clear();
  sending_.clear();
}

}  // namespace aidis::core
