#include <gtest/gtest.h>

#include "core/tx_buffer.hpp"

using aidis::core::Counter;
using aidis::core::Event;
using aidis::core::TxBuffer;
using aidis::core::Uuid;

namespace {

Uuid id(std::uint8_t n) {
  Uuid u;
  u.bytes[15] = n;
  return u;
}

Event event(std::uint8_t session, const char* kind) {
  Event e;
  e.session = id(session);
  e.kind = kind;
  return e;
}

std::int64_t total(const TxBuffer& buffer_copy, std::uint8_t session, Counter c) {
  TxBuffer copy = buffer_copy;
  for (const auto& d : copy.drain().deltas)
    if (d.session == id(session)) return d.counters[c];
  return 0;
}

}  // namespace

TEST(TxBuffer, StartsEmptyAndDrainsNothing) {
  TxBuffer b;
  EXPECT_TRUE(b.empty());
  auto out = b.drain();
  EXPECT_TRUE(out.deltas.empty());
  EXPECT_TRUE(out.events.empty());
}

TEST(TxBuffer, AggregatesPerSessionAtTopLevel) {
  TxBuffer b;
  for (int i = 0; i < 1000; ++i) b.add(1, id(1), id(9), Counter::ContextsCreated, 1);
  b.add(1, id(2), id(9), Counter::TasksCreated, 1);
  auto out = b.drain();
  ASSERT_EQ(out.deltas.size(), 2u);
  EXPECT_EQ(out.deltas[0].session, id(1));
  EXPECT_EQ(out.deltas[0].counters[Counter::ContextsCreated], 1000);
  EXPECT_EQ(out.deltas[1].counters[Counter::TasksCreated], 1);
  EXPECT_TRUE(b.empty());
}

TEST(TxBuffer, SavepointRollbackDiscardsOnlyItsLevel) {
  TxBuffer b;
  b.add(1, id(1), id(9), Counter::ContextsCreated, 1);
  b.add_event(1, event(1, "context_added"));
  b.add(2, id(1), id(9), Counter::ContextsCreated, 5);
  b.add_event(2, event(1, "context_added"));
  b.abort_subtransaction(2);
  EXPECT_EQ(total(b, 1, Counter::ContextsCreated), 1);
  auto out = b.drain();
  EXPECT_EQ(out.events.size(), 1u);
}

TEST(TxBuffer, ReleaseMergesIntoParentKeepingEventOrder) {
  TxBuffer b;
  b.add_event(1, event(1, "a"));
  b.add(2, id(1), id(9), Counter::TasksCompleted, 1);
  b.add_event(2, event(1, "b"));
  b.commit_subtransaction(2);
  b.add_event(1, event(1, "c"));
  auto out = b.drain();
  ASSERT_EQ(out.events.size(), 3u);
  EXPECT_EQ(out.events[0].kind, "a");
  EXPECT_EQ(out.events[1].kind, "b");
  EXPECT_EQ(out.events[2].kind, "c");
  EXPECT_EQ(out.deltas.at(0).counters[Counter::TasksCompleted], 1);
}

TEST(TxBuffer, NestedSavepointsWithSkippedLevels) {
  TxBuffer b;
  // Level 3 tracked; levels 1 and 2 did not.
  b.add(3, id(1), id(9), Counter::ContextsCreated, 1);
  b.commit_subtransaction(3);  // now owned by level 2
  b.abort_subtransaction(2);   // and level 2 rolls back
  EXPECT_TRUE(b.drain().deltas.empty());

  b.add(3, id(1), id(9), Counter::ContextsCreated, 1);
  b.commit_subtransaction(3);
  b.commit_subtransaction(2);
  b.abort_subtransaction(4);  // an unrelated deeper savepoint: no effect
  EXPECT_EQ(total(b, 1, Counter::ContextsCreated), 1);
}

TEST(TxBuffer, SubtransactionWithoutLevelDoesNotTouchParent) {
  TxBuffer b;
  b.add(1, id(1), id(9), Counter::ContextsCreated, 2);
  b.abort_subtransaction(2);
  EXPECT_EQ(total(b, 1, Counter::ContextsCreated), 2);
}

TEST(TxBuffer, NetZeroDeltasAreNotWritten) {
  TxBuffer b;
  b.add(1, id(1), id(9), Counter::ContextsCreated, 1);
  b.add(1, id(1), id(9), Counter::ContextsCreated, -1);
  b.add(1, id(2), id(9), Counter::ContextsCreated, -1);
  auto out = b.drain();
  ASSERT_EQ(out.deltas.size(), 1u);
  EXPECT_EQ(out.deltas[0].session, id(2));
}

TEST(TxBuffer, DeltasComeOutInSessionOrder) {
  TxBuffer b;
  for (std::uint8_t n : {7, 3, 200, 1, 42}) b.add(1, id(n), id(9), Counter::ActivityCount, 1);
  auto out = b.drain();
  ASSERT_EQ(out.deltas.size(), 5u);
  for (std::size_t i = 1; i < out.deltas.size(); ++i)
    EXPECT_TRUE(out.deltas[i - 1].session < out.deltas[i].session);
}

TEST(TxBuffer, ClearForgetsEverything) {
  TxBuffer b;
  b.add(2, id(1), id(9), Counter::ContextsCreated, 1);
  b.clear();
  EXPECT_TRUE(b.empty());
}

// Early writes (drain_at) for reads inside the transaction.

TEST(TxBufferEarly, TopLevelEarlyWriteLeavesNothingPending) {
  TxBuffer b;
  b.add(1, id(1), id(9), Counter::ContextsCreated, 2);
  auto early = b.drain_at(1);
  ASSERT_EQ(early.deltas.size(), 1u);
  EXPECT_EQ(early.deltas[0].counters[Counter::ContextsCreated], 2);
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(b.drain().deltas.empty());
}

TEST(TxBufferEarly, RollbackOfTheWritingSavepointRestoresOuterWork) {
  TxBuffer b;
  b.add(1, id(1), id(9), Counter::ContextsCreated, 1);
  b.add_event(1, event(1, "outer"));
  b.add(2, id(1), id(9), Counter::ContextsCreated, 10);
  auto early = b.drain_at(2);  // written inside savepoint 2: 11
  EXPECT_EQ(early.deltas.at(0).counters[Counter::ContextsCreated], 11);
  b.add(2, id(1), id(9), Counter::ContextsCreated, 100);
  b.abort_subtransaction(2);  // the write of 11 is rolled back, and so is level 2
  auto out = b.drain();
  ASSERT_EQ(out.deltas.size(), 1u);
  EXPECT_EQ(out.deltas[0].counters[Counter::ContextsCreated], 1);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].kind, "outer");
}

TEST(TxBufferEarly, RestoredWorkComesBeforeLaterWork) {
  TxBuffer b;
  b.add_event(1, event(1, "first"));
  b.drain_at(2);
  b.abort_subtransaction(2);
  b.add_event(1, event(1, "second"));
  auto out = b.drain();
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[0].kind, "first");
  EXPECT_EQ(out.events[1].kind, "second");
}

TEST(TxBufferEarly, ReleasedSavepointKeepsItsEarlyWrite) {
  TxBuffer b;
  b.add(1, id(1), id(9), Counter::TasksCreated, 1);
  b.drain_at(2);               // written inside savepoint 2
  b.commit_subtransaction(2);  // released: the write stays
  EXPECT_TRUE(b.drain().deltas.empty());
}

TEST(TxBufferEarly, ReleasedThenOuterRollbackRestoresOnlyOlderLevels) {
  TxBuffer b;
  b.add(1, id(1), id(9), Counter::ContextsCreated, 1);   // top level
  b.add(2, id(1), id(9), Counter::ContextsCreated, 10);  // savepoint 2
  b.drain_at(3);                                         // written inside savepoint 3
  b.commit_subtransaction(3);                            // the write now belongs to savepoint 2
  b.abort_subtransaction(2);  // rolled back with it: level 2's 10 is gone, level 1's 1 is back
  auto out = b.drain();
  ASSERT_EQ(out.deltas.size(), 1u);
  EXPECT_EQ(out.deltas[0].counters[Counter::ContextsCreated], 1);
}

TEST(TxBufferEarly, NestedEarlyWrites) {
  TxBuffer b;
  b.add(1, id(1), id(9), Counter::ContextsCreated, 1);
  b.drain_at(2);  // 1 written in savepoint 2
  b.add(2, id(1), id(9), Counter::ContextsCreated, 10);
  b.drain_at(3);              // 10 written in savepoint 3
  b.abort_subtransaction(3);  // 10 pending again at level 2
  b.abort_subtransaction(2);  // 1 pending again, 10 gone
  auto out = b.drain();
  ASSERT_EQ(out.deltas.size(), 1u);
  EXPECT_EQ(out.deltas[0].counters[Counter::ContextsCreated], 1);
}

// Statements writing many rows: the first entries stay, the rest are counted.

namespace {
Event row_event(std::uint8_t session, const char* kind, const char* summary) {
  Event e = event(session, kind);
  e.summary = summary;
  e.entity_id = summary;
  return e;
}
}  // namespace

TEST(TxBufferFolding, ABigStatementKeepsItsFirstEntriesAndCountsTheRest) {
  TxBuffer b;
  const std::int64_t n = aidis::core::kEntriesPerStatement + 5;
  for (std::int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(b.folds(1, id(1), "context_added", 7), i >= aidis::core::kEntriesPerStatement);
    b.add_row_event(1, row_event(1, "context_added", "row"), 7);
  }
  auto out = b.drain();
  ASSERT_EQ(out.events.size(), static_cast<std::size_t>(aidis::core::kEntriesPerStatement + 1));
  const Event& folded = out.events.back();
  EXPECT_TRUE(folded.folded);
  EXPECT_EQ(folded.rows, 5);
  EXPECT_TRUE(folded.summary.empty());
  EXPECT_TRUE(folded.entity_id.empty());
  EXPECT_FALSE(out.events.front().folded);
}

TEST(TxBufferFolding, SmallStatementsAndOtherSessionsAreNotFolded) {
  TxBuffer b;
  for (std::uint32_t stmt = 1; stmt <= 30; ++stmt)
    b.add_row_event(1, row_event(1, "context_added", "x"), stmt);
  for (int i = 0; i < 30; ++i)
    b.add_row_event(1, row_event(static_cast<std::uint8_t>(2 + i % 2), "context_added", "y"), 99);
  auto out = b.drain();
  EXPECT_EQ(out.events.size(), 60u);
  for (const auto& e : out.events) EXPECT_FALSE(e.folded);
}

TEST(TxBufferFolding, AnotherKindStartsANewRun) {
  TxBuffer b;
  for (int i = 0; i < 25; ++i) b.add_row_event(1, row_event(1, "context_added", "c"), 3);
  for (int i = 0; i < 3; ++i) b.add_row_event(1, row_event(1, "task_created", "t"), 3);
  auto out = b.drain();
  EXPECT_EQ(out.events.size(), 21u + 3u);
}
