// Small SQL-callable functions: agent names, the timeout GUC, the current
// session, cache invalidation, the connection's role, the timeline text of a row.
#include "core/agent.hpp"
#include "core/event_data.hpp"
#include "core/text_signals.hpp"
#include "pg/args.hpp"
#include "pg/guard.hpp"
#include "pg/session_cache.hpp"
#include "pg/settings.hpp"

using namespace aidis;

AIDIS_PG_FUNCTION(aidis_normalize_agent) {
  return pg::text_datum(core::normalize_agent(pg::text_arg(fcinfo, 0)));
}

AIDIS_PG_FUNCTION(aidis_session_timeout) {
  auto* result = static_cast<Interval*>(pg::call([]() -> void* { return palloc0(sizeof(Interval)); }));
  result->time = static_cast<TimeOffset>(pg::session_timeout_seconds) * USECS_PER_SEC;
  PG_RETURN_INTERVAL_P(result);
}

// NULL for 'infinity' (PostgreSQL 15 has no infinite interval).
AIDIS_PG_FUNCTION(aidis_session_retention) {
  if (pg::session_retention.infinite) PG_RETURN_NULL();
  auto* result = static_cast<Interval*>(pg::call([]() -> void* { return palloc(sizeof(Interval)); }));
  *result = pg::session_retention.interval;
  PG_RETURN_INTERVAL_P(result);
}

namespace {
Datum current_session_datum(FunctionCallInfo fcinfo, bool autostart) {
  auto current = pg::current_session(autostart);
  if (!current) PG_RETURN_NULL();
  return pg::uuid_datum(current->session);
}
}  // namespace

AIDIS_PG_FUNCTION(aidis_current_session_id) { return current_session_datum(fcinfo, false); }

AIDIS_PG_FUNCTION(aidis_current_or_new_session_id) { return current_session_datum(fcinfo, true); }

AIDIS_PG_FUNCTION(aidis_forget_cached_session) {
  pg::forget_caches();
  PG_RETURN_VOID();
}

// Every backend forgets its cached sessions and projects when this transaction
// commits (a relcache invalidation of aidis.projects; nothing if it aborts).
AIDIS_PG_FUNCTION(aidis_invalidate_caches) {
  pg::forget_caches();
  Oid relid = pg::backend_cache_for_filling().projects_relid;
  pg::call([&] { CacheInvalidateRelcacheByRelid(relid); });
  PG_RETURN_VOID();
}

// Every backend forgets which session is the most recently active when this
// transaction commits (a session was started or resumed).
AIDIS_PG_FUNCTION(aidis_latest_changed) {
  pg::signal_latest_changed();
  PG_RETURN_VOID();
}

// The role the connection acts as: its login role, or the one SET ROLE chose.
// Inside a SECURITY DEFINER function current_user is the function's owner;
// this is who called the extension's functions from outside (docs/security.md).
AIDIS_PG_FUNCTION(aidis_connection_role) { return ObjectIdGetDatum(GetOuterUserId()); }

// What the tracking trigger writes for a row, for adopt() to write the same
// for rows that exist already: the summary of its timeline entry and the
// tokens it is estimated at.

AIDIS_PG_FUNCTION(aidis_row_summary) {
  return pg::text_datum(core::summarize(pg::text_arg(fcinfo, 0), core::kRowSummaryBytes));
}

AIDIS_PG_FUNCTION(aidis_estimate_tokens) { PG_RETURN_INT64(core::estimate_tokens(pg::text_arg(fcinfo, 0))); }
