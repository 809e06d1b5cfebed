#include "pg/notices.hpp"

#include <string>

#include "core/activity_notices.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "commands/async.h"
#include "utils/fmgrprotos.h"
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

// The share of the notification queue in use (pg_notification_queue_usage()).
double queue_usage() {
  return call([] {
    LOCAL_FCINFO(fcinfo, 0);
    InitFunctionCallInfoData(*fcinfo, nullptr, 0, InvalidOid, nullptr, nullptr);
    return DatumGetFloat8(pg_notification_queue_usage(fcinfo));
  });
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
  // Best effort: a queue filling up (a listener stopped reading) makes
  // committing notifications fail; tracked writes must not.
  if (queue_usage() > 0.5) {
    notices().aborted();
    return;
  }
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
