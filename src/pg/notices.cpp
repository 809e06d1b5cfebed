#include "pg/notices.hpp"

#include <string>

#include "core/activity_notices.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "commands/async.h"
#include "utils/json.h"
}

namespace aidis::pg {

namespace {

core::ActivityNotices& notices() {
  static core::ActivityNotices state;
  return state;
}

// The payload, shaped like aidis._notify's (json_build_object's spacing).
std::string payload(const core::ActivityNotices::Notice& n, const char* at) {
  std::string out = R"({"event" : "activity", "session_id" : ")";
  out += n.session.str();
  out += R"(", "project_id" : ")";
  out += n.project.str();
  out += R"(", "at" : ")";
  out += at;
  out += "\"}";
  return out;
}

}  // namespace

void note_activity(const std::vector<core::SessionDelta>& deltas) {
  for (const auto& d : deltas) notices().wrote(d.session, d.project);
}

bool activity_to_announce() { return !notices().empty(); }

void announce_activity() {
  TimestampTz now = GetCurrentTimestamp();
  auto due = notices().due(now);
  if (due.empty()) return;
  char at[MAXDATELEN + 1];
  call([&] { JsonEncodeDateTime(at, TimestampTzGetDatum(now), TIMESTAMPTZOID, nullptr); });
  for (const auto& n : due) {
    std::string text = payload(n, at);
    call([&] { Async_Notify("aidis_sessions", text.c_str()); });
  }
}

void activity_committed() { notices().committed(); }
void activity_aborted() { notices().aborted(); }

}  // namespace aidis::pg
