#include "pg/settings.hpp"

#include <climits>
#include <cstdlib>
#include <cstring>

#include "core/uuid.hpp"
#include "pg/guard.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "utils/guc_tables.h"  // the save stack of aidis.session_id: was it SET LOCAL?
}

namespace aidis::pg {

int session_timeout_seconds = 2 * 60 * 60;
Retention session_retention;
bool importing = false;

namespace {

char* bound_session_setting = nullptr;
char* session_retention_setting = nullptr;
struct config_generic* bound_session_guc = nullptr;

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

// aidis.session_retention: a positive interval, or 'infinity' (keep
// everything). Read once, here: the value goes to the assign hook as GUC
// "extra" (malloc'd, as PostgreSQL frees it), and from there to the readers.
bool check_retention(char** value, void** extra, GucSource) {
  Retention parsed;
  std::string problem = "it is not positive";
  bool valid = false;
  if (*value != nullptr && pg_strcasecmp(*value, "infinity") == 0) {
    parsed.infinite = true;
    valid = true;
  } else {
    try {
      const char* text = *value != nullptr ? *value : "";
      valid = call([&]() -> bool {
        Datum interval = DirectFunctionCall3(interval_in, CStringGetDatum(text), ObjectIdGetDatum(InvalidOid),
                                             Int32GetDatum(-1));
        parsed.interval = *DatumGetIntervalP(interval);
        Interval zero{};
        return DatumGetBool(DirectFunctionCall2(interval_gt, interval, IntervalPGetDatum(&zero)));
      });
    } catch (const PgError& e) {
      problem = e.what();
    } catch (...) {
      problem = "it could not be read";
    }
  }
  if (!valid) {
    GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
    GUC_check_errdetail("aidis.session_retention must be a positive interval or 'infinity' (%s).",
                        problem.c_str());
    return false;
  }
  void* copy = std::malloc(sizeof(Retention));
  if (copy == nullptr) return false;
  std::memcpy(copy, &parsed, sizeof(Retention));
  *extra = copy;
  return true;
}

void assign_retention(const char*, void* extra) {
  if (extra != nullptr) session_retention = *static_cast<const Retention*>(extra);
}

}  // namespace

bool binding_is_transaction_scoped() {
  // The newest entry of the setting's save stack says how it was last set.
  const GucStack* top = bound_session_guc != nullptr ? bound_session_guc->stack : nullptr;
  return top != nullptr && (top->state == GUC_LOCAL || top->state == GUC_SET_LOCAL);
}

void define_settings() {
  // Policy, not a caller's preference: the sweep ends every project's idle
  // sessions by it, so only the configuration (postgresql.conf, ALTER
  // DATABASE/ROLE ... SET by a superuser) or a superuser's SET may change it
  // (docs/timeout.md).
  DefineCustomIntVariable(
      "aidis.session_timeout", "Inactivity after which an active session times out.",
      "A session whose last activity is older than this is ended by aidis.expire_idle_sessions().",
      &session_timeout_seconds, 2 * 60 * 60, 1, INT_MAX, PGC_SUSET, GUC_UNIT_S, nullptr, nullptr, nullptr);
  // Policy too, for the same reason: a writer's own SET must not shorten it
  // and fold other people's history (docs/retention.md).
  DefineCustomStringVariable(
      "aidis.session_retention", "Age after which the timeline of an ended session is compacted.",
      "aidis.compact_activity() folds older events of ended sessions into one summary per session, "
      "day and kind; 'infinity' keeps everything.",
      &session_retention_setting, "1 year", PGC_SUSET, 0, check_retention, assign_retention, nullptr);
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
      "The disconnected-project check of the session tables lets those rows through.", &importing, false,
      PGC_SUSET, GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE, nullptr, nullptr, nullptr);
  MarkGUCPrefixReserved("aidis");
}

}  // namespace aidis::pg
