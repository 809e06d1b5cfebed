// Small SQL-callable functions: agent names, the timeout GUC, the current
// session, cache invalidation, the connection's role, the timeline text of a row.
#include "core/agent.hpp"
#include "core/event_data.hpp"
#include "core/text_signals.hpp"
#include "pg/guard.hpp"
#include "pg/session_cache.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(aidis_normalize_agent);
PG_FUNCTION_INFO_V1(aidis_session_timeout);
PG_FUNCTION_INFO_V1(aidis_session_retention);
Datum aidis_session_retention(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(aidis_current_session_id);
PG_FUNCTION_INFO_V1(aidis_current_or_new_session_id);
Datum aidis_current_or_new_session_id(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(aidis_forget_cached_session);
PG_FUNCTION_INFO_V1(aidis_invalidate_caches);
PG_FUNCTION_INFO_V1(aidis_latest_changed);
Datum aidis_latest_changed(PG_FUNCTION_ARGS);
Datum aidis_invalidate_caches(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(aidis_connection_role);
Datum aidis_connection_role(PG_FUNCTION_ARGS);
Datum aidis_normalize_agent(PG_FUNCTION_ARGS);
Datum aidis_session_timeout(PG_FUNCTION_ARGS);
Datum aidis_current_session_id(PG_FUNCTION_ARGS);
Datum aidis_forget_cached_session(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(aidis_row_summary);
Datum aidis_row_summary(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(aidis_estimate_tokens);
Datum aidis_estimate_tokens(PG_FUNCTION_ARGS);
}

namespace aidis::pg {
extern int session_timeout_seconds;
extern char* session_retention_setting;
}

using namespace aidis;

Datum aidis_normalize_agent(PG_FUNCTION_ARGS) {
  return pg::shim("aidis.normalize_agent", [&] {
    text* raw = PG_GETARG_TEXT_PP(0);
    std::string normalized =
        core::normalize_agent(std::string_view(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw)));
    return pg::call([&]() -> Datum { return CStringGetTextDatum(normalized.c_str()); });
  });
}

Datum aidis_session_timeout(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._session_timeout", [&] {
    auto* result = static_cast<Interval*>(pg::call([]() -> void* { return palloc0(sizeof(Interval)); }));
    result->time = static_cast<TimeOffset>(pg::session_timeout_seconds) * USECS_PER_SEC;
    PG_RETURN_INTERVAL_P(result);
  });
}

// NULL for 'infinity' (PostgreSQL 15 has no infinite interval); the check
// hook accepted the value.
Datum aidis_session_retention(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._session_retention", [&] {
    const char* value = pg::session_retention_setting != nullptr ? pg::session_retention_setting : "1 year";
    if (pg_strcasecmp(value, "infinity") == 0) PG_RETURN_NULL();
    return pg::call([&]() -> Datum {
      return DirectFunctionCall3(interval_in, CStringGetDatum(value), ObjectIdGetDatum(InvalidOid),
                                 Int32GetDatum(-1));
    });
  });
}

namespace {
Datum current_session_datum(FunctionCallInfo fcinfo, bool autostart) {
  auto current = pg::current_session(autostart);
  if (!current) PG_RETURN_NULL();
  return pg::uuid_datum(current->session);
}
}  // namespace

Datum aidis_current_session_id(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._current_session_id", [&] { return current_session_datum(fcinfo, false); });
}

Datum aidis_current_or_new_session_id(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._current_or_new_session_id",
                  [&] { return current_session_datum(fcinfo, true); });
}

Datum aidis_forget_cached_session(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._forget_cached_session", [&] {
    pg::forget_caches();
    PG_RETURN_VOID();
  });
}

// Every backend forgets its cached sessions and projects when this transaction
// commits (a relcache invalidation of aidis.projects; nothing if it aborts).
Datum aidis_invalidate_caches(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._invalidate_caches", [&] {
    (void)fcinfo;
    pg::forget_caches();
    Oid relid = pg::backend_cache_for_filling().projects_relid;
    pg::call([&] { CacheInvalidateRelcacheByRelid(relid); });
    PG_RETURN_VOID();
  });
}

// Every backend forgets which session is the most recently active when this
// transaction commits (a session was started or resumed).
Datum aidis_latest_changed(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._latest_changed", [&] {
    (void)fcinfo;
    pg::signal_latest_changed();
    PG_RETURN_VOID();
  });
}

// The role the connection acts as: its login role, or the one SET ROLE chose.
// Inside a SECURITY DEFINER function current_user is the function's owner;
// this is who called the extension's functions from outside (docs/security.md).
Datum aidis_connection_role(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._connection_role", [&] {
    (void)fcinfo;
    return ObjectIdGetDatum(GetOuterUserId());
  });
}

// What the tracking trigger writes for a row, for adopt() to write the same
// for rows that exist already: the summary of its timeline entry and the
// tokens it is estimated at.
namespace {
std::string_view text_arg(FunctionCallInfo fcinfo, int n) {
  text* value = static_cast<text*>(pg::call([&]() -> void* { return PG_GETARG_TEXT_PP(n); }));
  return std::string_view(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}
}  // namespace

// Same length as the tracking trigger's summaries (src/pg/counters.cpp).
Datum aidis_row_summary(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._row_summary", [&] {
    std::string summary = core::summarize(text_arg(fcinfo, 0), 160);
    return pg::call([&]() -> Datum {
      return PointerGetDatum(cstring_to_text_with_len(summary.data(), static_cast<int>(summary.size())));
    });
  });
}

Datum aidis_estimate_tokens(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._estimate_tokens",
                  [&] { PG_RETURN_INT64(core::estimate_tokens(text_arg(fcinfo, 0))); });
}
