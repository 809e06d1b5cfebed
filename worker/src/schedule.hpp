// Pure timing policy of the worker: how long to sleep until the next
// deadline, how long to back off after a failure, and which SQL errors are
// worth retrying. No libpq, no clocks, no I/O: unit-tested in worker/test.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace aidis {

using std::chrono::milliseconds;

// Extra time slept past a deadline so that the sweep, whose cut-off is the
// server's clock when it runs, certainly sees the deadline as passed.
inline constexpr milliseconds kDeadlineSlack{50};

// poll() timeout in milliseconds for a deadline `seconds_until` seconds away
// (as measured by the server), or -1 (wait forever) when there is none.
// Rounds up, adds `slack`, never returns less than `floor`, and clamps to
// the int range poll() accepts.
int poll_timeout_ms(std::optional<double> seconds_until, milliseconds slack = kDeadlineSlack,
                    milliseconds floor = milliseconds{0});

// Delay before retry number `attempt` (0-based): base * 2^attempt, capped at
// `cap`, then "equal jitter": a uniform pick in [delay/2, delay] given by
// `u01` in [0, 1). Half the delay is kept so retries still spread out over
// time; the random half keeps many workers from reconnecting in lockstep.
milliseconds backoff_delay(unsigned attempt, milliseconds base, milliseconds cap, double u01);

// Stateful wrapper: successive failures grow the delay, reset() after success.
class Backoff {
 public:
  Backoff(milliseconds base, milliseconds cap, std::uint64_t seed);
  milliseconds next();
  void reset() { attempt_ = 0; }

 private:
  milliseconds base_, cap_;
  unsigned attempt_ = 0;
  std::mt19937_64 rng_;
};

// Guards against a busy loop when a sweep at a deadline expires nothing and
// the same deadline is still pending afterwards (e.g. the session row is
// locked by a long transaction and the sweep skips it). Without it the worker
// would wake every kDeadlineSlack until the lock goes away; with it the
// minimum wait backs off while the deadline stays stuck.
class StallGuard {
 public:
  explicit StallGuard(std::uint64_t seed);
  // After the sweep for deadline `swept` (epoch seconds), `next` is the
  // earliest pending deadline. Returns the minimum wait before sweeping again.
  milliseconds after_sweep(double swept, std::optional<double> next);
  // After re-reading the deadline for any other reason (a notification).
  milliseconds after_requery(std::optional<double> next);
  bool stalled() const { return stuck_.has_value(); }

 private:
  std::optional<double> stuck_;  // the deadline that did not go away
  Backoff backoff_;
  milliseconds floor_{0};
};

// The worker compacts old timelines (aidis.compact_activity) at its first
// connection and then once every kCompactEvery; after a failure the server
// reported, it tries again after compact_retry_after(sqlstate).
inline constexpr std::chrono::hours kCompactEvery{24};
// A role without the privilege or an extension without the procedure: a day
// (the administrator may grant it meanwhile); anything else: an hour.
std::chrono::milliseconds compact_retry_after(std::string_view sqlstate);

// The poll() timeout (ms) for the sweep's `deadline_ms` (-1: none) and a job
// due in `job_in` (negative: overdue): whichever comes first, never negative.
int combine_timeouts_ms(int deadline_ms, milliseconds job_in);

// What the worker does after a failed SQL call.
enum class ErrorAction {
  Reconnect,  // transient (connection lost, admin shutdown, deadlock...): back off, reconnect
  Exit,       // the database is not set up for the worker: retrying cannot help
};
ErrorAction action_for_sqlstate(std::string_view sqlstate);

}  // namespace aidis
