#include <gtest/gtest.h>

#include "core/event_data.hpp"
#include "core/kind.hpp"

using namespace aidis::core;

TEST(EventData, JsonObjectEscapesAndSkipsEmpty) {
  EXPECT_EQ(json_object({{"table", "aidis.\"x\""}, {"status", ""}}), R"({"table":"aidis.\"x\""})");
  EXPECT_EQ(json_object({}), "{}");
}

TEST(EventData, JsonObjectSurvivesInvalidUtf8) {
  std::string bad =
      "a\xff"
      "b";
  EXPECT_NO_THROW(json_object({{"k", bad}}));
}

TEST(EventData, SummarizeCollapsesWhitespace) {
  EXPECT_EQ(summarize("  fix\n\n the   bug  ", 100), "fix the bug");
}

TEST(EventData, SummarizeCutsOnCharacterBoundary) {
  std::string text = "ab\xC3\xA9\xC3\xA9\xC3\xA9";  // "abééé"
  auto out = summarize(text, 3);                    // would split the first é
  EXPECT_EQ(out, "ab\xE2\x80\xA6");
  EXPECT_EQ(summarize("abcdef", 6), "abcdef");
  EXPECT_EQ(summarize("abcdefg", 6), "abcdef\xE2\x80\xA6");
}

TEST(Kind, ParsesAndNamesEvents) {
  EXPECT_EQ(parse_kind("task"), Kind::Task);
  EXPECT_FALSE(parse_kind("tasks").has_value());
  EXPECT_STREQ(created_event(Kind::Decision), "decision_made");
  EXPECT_EQ(created_counter(Kind::Context), Counter::ContextsCreated);
}

TEST(Kind, TaskTransitions) {
  EXPECT_EQ(task_transition("todo", "completed"), TaskTransition::Completed);
  EXPECT_EQ(task_transition("completed", "in_progress"), TaskTransition::Reopened);
  EXPECT_EQ(task_transition("todo", "blocked"), TaskTransition::Changed);
  EXPECT_EQ(task_transition("completed", "completed"), TaskTransition::None);
}

TEST(EventData, FoldedEntries) {
  EXPECT_EQ(folded_summary("context_added", 99980), "+99980 more contexts added");
  EXPECT_EQ(folded_summary("task_deleted", 2), "+2 more tasks deleted");
  EXPECT_EQ(json_with_number(R"({"table":"t"})", "rows", 5), R"({"rows":5,"table":"t"})");
  EXPECT_EQ(json_with_number("not json", "rows", 1), R"({"rows":1})");
}
