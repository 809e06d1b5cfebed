#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/scoring.hpp"

using aidis::core::compute_score;
using aidis::core::count_near_duplicates;
using aidis::core::Score;
using aidis::core::score_json;
using aidis::core::ScoreInputs;
using aidis::core::similarity;
using aidis::core::trigrams;

namespace {
const aidis::core::Signal& signal(const Score& s, const std::string& name) {
  for (const auto& x : s.signals)
    if (x.name == name) return x;
  throw std::runtime_error("no signal " + name);
}
double sum_contributions(const Score& s) {
  double t = 0;
  for (const auto& x : s.signals) t += x.contribution;
  return t;
}
}  // namespace

// Values checked against PostgreSQL 15 pg_trgm: SELECT similarity(a, b).
TEST(Trigrams, MatchPgTrgm) {
  EXPECT_EQ(trigrams("a").size(), 2u);          // "  a", " a "
  EXPECT_EQ(trigrams("cat").size(), 4u);        // "  c", " ca", "cat", "at "
  EXPECT_EQ(trigrams("Cat, cat!").size(), 4u);  // lowercased, set semantics
  EXPECT_EQ(trigrams("  ,;  ").size(), 0u);
  EXPECT_NEAR(similarity("Fix login bug", "Fix login bug again"), 14.0 / 19.0, 1e-9);  // 0.7368421
  EXPECT_NEAR(similarity("Fix login bug", "Fix logout bug"), 11.0 / 18.0, 1e-9);       // 0.6111111
  EXPECT_NEAR(similarity("add tests for parser", "Add tests for the parser"), 0.875, 1e-9);
  EXPECT_DOUBLE_EQ(similarity("same words", "SAME  words"), 1.0);
  EXPECT_DOUBLE_EQ(similarity("", "anything"), 0.0);
  EXPECT_DOUBLE_EQ(similarity("abc", "xyz"), 0.0);
}

TEST(Trigrams, NonAsciiIsPartOfWords) {
  // "café" is one word of 4 characters: 5 trigrams, the last two containing é.
  EXPECT_EQ(trigrams("caf\xC3\xA9").size(), 5u);
  EXPECT_DOUBLE_EQ(similarity("caf\xC3\xA9", "caf\xC3\xA9"), 1.0);
  EXPECT_LT(similarity("caf\xC3\xA9", "cafe"), 1.0);
  // A truncated multibyte character at the end does not read past the text.
  EXPECT_EQ(trigrams("ab\xC3").size(), 4u);
}

TEST(NearDuplicates, CountsItemsRepeatingAnEarlierOne) {
  EXPECT_EQ(count_near_duplicates({}), 0);
  EXPECT_EQ(count_near_duplicates({"Fix login bug"}), 0);
  EXPECT_EQ(count_near_duplicates({"Fix login bug", "Fix login bug again", "Write the docs"}), 1);
  // Three near copies: the second and third repeat the first.
  EXPECT_EQ(count_near_duplicates({"Fix login bug", "fix login bug", "Fix the login bug", "Deploy"}), 2);
  EXPECT_EQ(count_near_duplicates({"alpha beta", "gamma delta", "epsilon"}), 0);
  // Empty items never count.
  EXPECT_EQ(count_near_duplicates({"", "", "..."}), 0);
  EXPECT_EQ(count_near_duplicates({"Fix login bug", "Fix logout bug"}, 0.6), 1);
  EXPECT_EQ(count_near_duplicates({"Fix login bug", "Fix logout bug"}, 0.7), 0);
}

TEST(Score, EmptySessionHasOnlyGoalAndActivity) {
  Score s = compute_score({});
  EXPECT_EQ(s.version, "2026.1");
  EXPECT_DOUBLE_EQ(s.score, 0.0);
  EXPECT_FALSE(signal(s, "first_time_right").applies);
  EXPECT_FALSE(signal(s, "completion_rate").applies);
  EXPECT_FALSE(signal(s, "reopened_tasks").applies);
  EXPECT_FALSE(signal(s, "repeated_work").applies);
  EXPECT_FALSE(signal(s, "error_contexts").applies);
  EXPECT_TRUE(signal(s, "goal_set").applies);
  EXPECT_TRUE(signal(s, "activity").applies);
  EXPECT_EQ(s.signals.size(), 7u);
}

TEST(Score, PerfectSessionIs100) {
  ScoreInputs in;
  in.tasks_created = 4;
  in.tasks_completed = 4;
  in.completed_tasks = 4;
  in.first_time_right = 4;
  in.items_compared = 10;
  in.contexts = 6;
  in.goal_set = true;
  in.activity = 50;
  Score s = compute_score(in);
  EXPECT_DOUBLE_EQ(s.score, 100.0);
  int weights = 0;
  for (const auto& x : s.signals) weights += x.weight;
  EXPECT_EQ(weights, 100);
  EXPECT_NEAR(sum_contributions(s), 100.0, 0.05);
}

// The worked example of docs/scoring.md.
TEST(Score, WorkedExample) {
  ScoreInputs in;
  in.tasks_created = 5;
  in.tasks_completed = 4;
  in.tasks_reopened = 1;
  in.completed_tasks = 4;
  in.first_time_right = 3;
  in.items_compared = 12;
  in.repeated_items = 2;
  in.contexts = 7;
  in.error_contexts = 1;
  in.goal_set = true;
  in.activity = 20;
  Score s = compute_score(in);
  EXPECT_DOUBLE_EQ(signal(s, "first_time_right").value, 0.75);
  EXPECT_DOUBLE_EQ(signal(s, "completion_rate").value, 0.8);
  EXPECT_DOUBLE_EQ(signal(s, "reopened_tasks").value, 0.8);
  EXPECT_DOUBLE_EQ(signal(s, "repeated_work").value, 0.8333);
  EXPECT_DOUBLE_EQ(signal(s, "error_contexts").value, 0.8571);
  EXPECT_DOUBLE_EQ(signal(s, "goal_set").value, 1.0);
  EXPECT_DOUBLE_EQ(signal(s, "activity").value, 0.7743);
  EXPECT_DOUBLE_EQ(signal(s, "first_time_right").contribution, 18.75);
  EXPECT_DOUBLE_EQ(signal(s, "completion_rate").contribution, 16.0);
  EXPECT_DOUBLE_EQ(signal(s, "reopened_tasks").contribution, 8.0);
  EXPECT_DOUBLE_EQ(signal(s, "repeated_work").contribution, 12.5);
  EXPECT_DOUBLE_EQ(signal(s, "error_contexts").contribution, 8.57);
  EXPECT_DOUBLE_EQ(signal(s, "goal_set").contribution, 10.0);
  EXPECT_DOUBLE_EQ(signal(s, "activity").contribution, 7.74);
  EXPECT_DOUBLE_EQ(s.score, 81.6);
}

TEST(Score, WeightsOfMissingSignalsAreSpreadOverTheOthers) {
  ScoreInputs in;
  in.contexts = 3;
  in.items_compared = 3;
  in.goal_set = true;
  in.activity = 50;
  // Applicable: repeated_work 15, error_contexts 10, goal 10, activity 10 = 45, all perfect.
  Score s = compute_score(in);
  EXPECT_DOUBLE_EQ(s.score, 100.0);
  EXPECT_DOUBLE_EQ(signal(s, "repeated_work").contribution, 33.33);
  EXPECT_DOUBLE_EQ(signal(s, "first_time_right").contribution, 0.0);
}

TEST(Score, ClampsInconsistentInputs) {
  ScoreInputs in;
  in.tasks_created = 1;
  in.tasks_completed = 3;  // completions of tasks created elsewhere
  in.completed_tasks = 3;
  in.first_time_right = 9;  // more than completed: clamped
  in.repeated_items = 5;    // more than compared: clamped
  in.items_compared = 2;
  in.error_contexts = 4;
  in.contexts = -1;  // negative: zero
  in.activity = -7;
  Score s = compute_score(in);
  EXPECT_DOUBLE_EQ(signal(s, "completion_rate").value, 1.0);
  EXPECT_NE(signal(s, "completion_rate").why.find("capped"), std::string::npos);
  EXPECT_DOUBLE_EQ(signal(s, "first_time_right").value, 1.0);
  EXPECT_DOUBLE_EQ(signal(s, "repeated_work").value, 0.0);
  EXPECT_FALSE(signal(s, "error_contexts").applies);
  EXPECT_DOUBLE_EQ(signal(s, "activity").value, 0.0);
  EXPECT_GE(s.score, 0.0);
  EXPECT_LE(s.score, 100.0);
}

TEST(Score, JsonHasEverySignal) {
  ScoreInputs in;
  in.goal_set = true;
  auto j = nlohmann::json::parse(score_json(compute_score(in)));
  EXPECT_EQ(j["version"], "2026.1");
  EXPECT_TRUE(j["score"].is_number());
  ASSERT_EQ(j["signals"].size(), 7u);
  const auto& goal = j["signals"]["goal_set"];
  EXPECT_EQ(goal["weight"], 10);
  EXPECT_EQ(goal["applies"], true);
  EXPECT_TRUE(goal["contribution"].is_number());
  EXPECT_EQ(goal["why"], "the session has a goal");
  EXPECT_EQ(j["signals"]["first_time_right"]["applies"], false);
}
