#include <gtest/gtest.h>

#include "core/activity_notices.hpp"

using aidis::core::ActivityNotices;
using aidis::core::Uuid;

namespace {

Uuid id(std::uint8_t n) {
  Uuid u;
  u.bytes[15] = n;
  return u;
}

constexpr std::int64_t kSecond = 1'000'000;

std::vector<std::uint8_t> sessions(const std::vector<ActivityNotices::Notice>& due) {
  std::vector<std::uint8_t> out;
  for (const auto& n : due) out.push_back(n.session.bytes[15]);
  return out;
}

}  // namespace

TEST(ActivityNotices, NothingWrittenNothingDue) {
  ActivityNotices n;
  EXPECT_TRUE(n.empty());
  EXPECT_TRUE(n.due(0).empty());
}

TEST(ActivityNotices, OncePerSessionPerTransaction) {
  ActivityNotices n;
  n.wrote(id(2), id(9));
  n.wrote(id(1), id(9));
  n.wrote(id(2), id(9));  // a second flush of the same transaction
  n.wrote(id(2), id(9));
  EXPECT_FALSE(n.empty());
  auto due = n.due(10 * kSecond);
  EXPECT_EQ(sessions(due), (std::vector<std::uint8_t>{1, 2}));
  EXPECT_EQ(due[0].project, id(9));
  EXPECT_TRUE(n.empty());
}

TEST(ActivityNotices, NotAgainWithinTheIntervalAfterACommit) {
  ActivityNotices n;
  n.wrote(id(1), id(9));
  ASSERT_EQ(n.due(10 * kSecond).size(), 1u);
  n.committed();
  n.wrote(id(1), id(9));
  n.wrote(id(2), id(9));
  EXPECT_EQ(sessions(n.due(10 * kSecond + kSecond - 1)), (std::vector<std::uint8_t>{2}));
  n.committed();
  n.wrote(id(1), id(9));
  EXPECT_EQ(sessions(n.due(11 * kSecond)), (std::vector<std::uint8_t>{1}));
}

TEST(ActivityNotices, ARolledBackAnnouncementDoesNotCount) {
  ActivityNotices n;
  n.wrote(id(1), id(9));
  ASSERT_EQ(n.due(10 * kSecond).size(), 1u);
  n.aborted();
  n.wrote(id(1), id(9));
  EXPECT_EQ(n.due(10 * kSecond + 1).size(), 1u);
}

TEST(ActivityNotices, AnAbortForgetsWhatTheTransactionWrote) {
  ActivityNotices n;
  n.wrote(id(1), id(9));
  n.aborted();
  EXPECT_TRUE(n.empty());
  EXPECT_TRUE(n.due(10 * kSecond).empty());
}

TEST(ActivityNotices, AClockSteppedBackAnnounces) {
  ActivityNotices n;
  n.wrote(id(1), id(9));
  n.due(10 * kSecond);
  n.committed();
  n.wrote(id(1), id(9));
  EXPECT_EQ(n.due(5 * kSecond).size(), 1u);
}

TEST(ActivityNotices, ManySessionsAreForgottenOnceStale) {
  ActivityNotices n;
  for (int round = 0; round < 4; ++round) {
    for (int s = 0; s < 200; ++s) {
      Uuid u = id(static_cast<std::uint8_t>(s));
      u.bytes[14] = static_cast<std::uint8_t>(round);
      n.wrote(u, id(9));
    }
    EXPECT_EQ(n.due(round * 2 * kSecond).size(), 200u);
    n.committed();
  }
  // Still within the interval of the last round: not again.
  Uuid last = id(7);
  last.bytes[14] = 3;
  n.wrote(last, id(9));
  EXPECT_TRUE(n.due(6 * kSecond + 1).empty());
}
