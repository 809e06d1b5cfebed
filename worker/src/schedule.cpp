#include "schedule.hpp"
#include "sqlstate.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>

namespace aidis {

int poll_timeout_ms(std::optional<double> seconds_until, milliseconds slack, milliseconds floor) {
  if (!seconds_until) return -1;
  // NaN or a deadline already passed: sweep right after the slack.
  double ms = std::isnan(*seconds_until) ? 0.0 : std::max(0.0, std::ceil(*seconds_until * 1000.0));
  ms += static_cast<double>(slack.count());
  ms = std::max(ms, static_cast<double>(floor.count()));
  return ms >= static_cast<double>(INT_MAX) ? INT_MAX : static_cast<int>(ms);
}

milliseconds backoff_delay(unsigned attempt, milliseconds base, milliseconds cap, double u01) {
  // Doubling stops once past the cap, so large attempt counts cannot overflow.
  milliseconds delay = base;
  for (unsigned i = 0; i < attempt && delay < cap && delay.count() > 0; ++i) delay *= 2;
  delay = std::min(delay, cap);
  u01 = std::clamp(u01, 0.0, 1.0);
  auto half = delay.count() / 2;
  return milliseconds{
      half + static_cast<milliseconds::rep>(std::llround(u01 * static_cast<double>(delay.count() - half)))};
}

Backoff::Backoff(milliseconds base, milliseconds cap, std::uint64_t seed)
    : base_(base), cap_(cap), rng_(seed) {}

milliseconds Backoff::next() {
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  auto d = backoff_delay(attempt_, base_, cap_, u);
  if (attempt_ < UINT_MAX) ++attempt_;
  return d;
}

// Capped low: nothing tells the worker when the lock goes away, so this cap
// is how late a session whose row was locked past its deadline can end.
StallGuard::StallGuard(std::uint64_t seed) : backoff_(milliseconds{100}, milliseconds{5000}, seed) {}

milliseconds StallGuard::after_sweep(double swept, std::optional<double> next) {
  if (next && *next <= swept) {
    stuck_ = swept;
    floor_ = backoff_.next();
    return floor_;
  }
  return after_requery(next);
}

milliseconds StallGuard::after_requery(std::optional<double> next) {
  // The stuck deadline is gone once the earliest one lies beyond it.
  if (stuck_ && (!next || *next > *stuck_)) {
    stuck_.reset();
    backoff_.reset();
    floor_ = milliseconds{0};
  }
  return floor_;
}

namespace {

// Missing schema, function or table, or no privilege on them: the
// aidis_sessions extension is absent, too old, or the role lacks grants.
bool not_set_up(std::string_view sqlstate) {
  auto c = classify_sqlstate(sqlstate);
  return c == SqlOutcomeClass::NotSetUp || c == SqlOutcomeClass::Forbidden;
}

}  // namespace

std::chrono::milliseconds compact_retry_after(std::string_view sqlstate) {
  if (not_set_up(sqlstate)) return kCompactEvery;
  return std::chrono::hours{1};
}

int combine_timeouts_ms(int deadline_ms, milliseconds job_in) {
  long long job = std::clamp<long long>(job_in.count(), 0, std::numeric_limits<int>::max());
  if (deadline_ms < 0) return static_cast<int>(job);
  return static_cast<int>(std::min<long long>(deadline_ms, job));
}

ErrorAction action_for_sqlstate(std::string_view sqlstate) {
  return not_set_up(sqlstate) ? ErrorAction::Exit : ErrorAction::Reconnect;
}

}  // namespace aidis
