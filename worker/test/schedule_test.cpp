#include <climits>
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "schedule.hpp"

using namespace aidis;
using std::chrono::milliseconds;

TEST(PollTimeout, NoDeadlineWaitsForever) {
  EXPECT_EQ(poll_timeout_ms(std::nullopt), -1);
  EXPECT_EQ(poll_timeout_ms(std::nullopt, milliseconds{50}, milliseconds{5000}), -1);
}

TEST(PollTimeout, RoundsUpAndAddsSlack) {
  EXPECT_EQ(poll_timeout_ms(2.0), 2050);
  EXPECT_EQ(poll_timeout_ms(1.0001), 1051);  // never wake before the deadline
  EXPECT_EQ(poll_timeout_ms(0.0, milliseconds{0}), 0);
}

TEST(PollTimeout, PassedDeadlineSweepsAfterSlack) {
  EXPECT_EQ(poll_timeout_ms(-3.5), 50);
  EXPECT_EQ(poll_timeout_ms(std::nan("")), 50);
}

TEST(PollTimeout, FloorWins) {
  EXPECT_EQ(poll_timeout_ms(-1.0, milliseconds{50}, milliseconds{800}), 800);
  EXPECT_EQ(poll_timeout_ms(10.0, milliseconds{50}, milliseconds{800}), 10050);
}

TEST(PollTimeout, ClampsToInt) {
  EXPECT_EQ(poll_timeout_ms(1e12), INT_MAX);
  EXPECT_EQ(poll_timeout_ms(std::numeric_limits<double>::infinity()), INT_MAX);
}

TEST(BackoffDelay, DoublesUpToCap) {
  const milliseconds base{100}, cap{30000};
  // u = 1: the top of the jitter range, i.e. the un-jittered delay.
  EXPECT_EQ(backoff_delay(0, base, cap, 1.0), milliseconds{100});
  EXPECT_EQ(backoff_delay(1, base, cap, 1.0), milliseconds{200});
  EXPECT_EQ(backoff_delay(4, base, cap, 1.0), milliseconds{1600});
  EXPECT_EQ(backoff_delay(8, base, cap, 1.0), milliseconds{25600});
  EXPECT_EQ(backoff_delay(9, base, cap, 1.0), cap);
  EXPECT_EQ(backoff_delay(1000000, base, cap, 1.0), cap);  // no overflow
}

TEST(BackoffDelay, JitterKeepsAtLeastHalf) {
  const milliseconds base{100}, cap{30000};
  EXPECT_EQ(backoff_delay(0, base, cap, 0.0), milliseconds{50});
  EXPECT_EQ(backoff_delay(2, base, cap, 0.5), milliseconds{300});
  EXPECT_EQ(backoff_delay(20, base, cap, 0.0), milliseconds{15000});
  EXPECT_EQ(backoff_delay(20, base, cap, 7.0), cap);  // out-of-range u clamped
}

TEST(Backoff, GrowsStaysInRangeAndResets) {
  Backoff b(milliseconds{100}, milliseconds{30000}, 42);
  milliseconds top{100};
  for (int i = 0; i < 20; ++i) {
    milliseconds d = b.next();
    EXPECT_GE(d, top / 2) << "attempt " << i;
    EXPECT_LE(d, top) << "attempt " << i;
    top = std::min(top * 2, milliseconds{30000});
  }
  EXPECT_GE(b.next(), milliseconds{15000});  // stays at the cap
  b.reset();
  EXPECT_LE(b.next(), milliseconds{100});
}

TEST(Backoff, SeedsDiffer) {
  // Two workers restarted together should not retry in lockstep.
  Backoff a(milliseconds{100}, milliseconds{30000}, 1), b(milliseconds{100}, milliseconds{30000}, 2);
  bool differ = false;
  for (int i = 0; i < 10; ++i) differ |= a.next() != b.next();
  EXPECT_TRUE(differ);
}

TEST(StallGuard, NoFloorWhileDeadlinesMove) {
  StallGuard g(1);
  EXPECT_EQ(g.after_requery(100.0), milliseconds{0});
  EXPECT_EQ(g.after_sweep(100.0, 105.0), milliseconds{0});
  EXPECT_EQ(g.after_sweep(105.0, std::nullopt), milliseconds{0});
  EXPECT_FALSE(g.stalled());
}

TEST(StallGuard, BacksOffWhileStuckAndClearsWhenGone) {
  StallGuard g(1);
  milliseconds first = g.after_sweep(100.0, 100.0);
  EXPECT_GE(first, milliseconds{50});
  EXPECT_LE(first, milliseconds{100});
  EXPECT_TRUE(g.stalled());
  milliseconds second = g.after_sweep(100.0, 100.0);
  EXPECT_GE(second, milliseconds{100});
  // A notification that leaves the stuck deadline in place keeps the floor.
  EXPECT_EQ(g.after_requery(100.0), second);
  // Once the stuck session is gone the floor goes too.
  EXPECT_EQ(g.after_requery(130.0), milliseconds{0});
  EXPECT_FALSE(g.stalled());
  EXPECT_LE(g.after_sweep(130.0, 130.0), milliseconds{100});  // backoff restarted
}

TEST(ErrorAction, SetupErrorsExitOthersReconnect) {
  EXPECT_EQ(action_for_sqlstate("42883"), ErrorAction::Exit);  // undefined function
  EXPECT_EQ(action_for_sqlstate("3F000"), ErrorAction::Exit);  // no schema aidis
  EXPECT_EQ(action_for_sqlstate("42501"), ErrorAction::Exit);  // permission denied
  EXPECT_EQ(action_for_sqlstate("42P01"), ErrorAction::Exit);
  EXPECT_EQ(action_for_sqlstate(""), ErrorAction::Reconnect);       // connection broke
  EXPECT_EQ(action_for_sqlstate("57P01"), ErrorAction::Reconnect);  // admin shutdown
  EXPECT_EQ(action_for_sqlstate("40P01"), ErrorAction::Reconnect);  // deadlock
}

TEST(CompactSchedule, TheEarlierOfSweepAndJob) {
  EXPECT_EQ(combine_timeouts_ms(-1, milliseconds{5000}), 5000);    // no deadline: the job
  EXPECT_EQ(combine_timeouts_ms(2050, milliseconds{5000}), 2050);  // the sweep first
  EXPECT_EQ(combine_timeouts_ms(9000, milliseconds{5000}), 5000);
  EXPECT_EQ(combine_timeouts_ms(9000, milliseconds{-300}), 0);  // overdue: now
  EXPECT_EQ(combine_timeouts_ms(-1, std::chrono::hours{24 * 800}), std::numeric_limits<int>::max());
}

TEST(CompactSchedule, RetryAfterFailure) {
  EXPECT_EQ(compact_retry_after("42501"), kCompactEvery);  // not allowed: not before tomorrow
  EXPECT_EQ(compact_retry_after("42883"), kCompactEvery);
  EXPECT_EQ(compact_retry_after("40P01"), std::chrono::hours{1});
}
