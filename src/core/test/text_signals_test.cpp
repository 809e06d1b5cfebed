#include <gtest/gtest.h>

#include "core/text_signals.hpp"

using aidis::core::estimate_tokens;
using aidis::core::extract_mentions;

TEST(Mentions, FindsPathsOnce) {
  auto m = extract_mentions("see @src/main.cpp and @README.md, then @src/main.cpp again.");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], "src/main.cpp");
  EXPECT_EQ(m[1], "README.md");
}

TEST(Mentions, IgnoresEmailsHandlesAndPunctuation) {
  EXPECT_TRUE(extract_mentions("mail me at dev@example.com").empty());
  EXPECT_TRUE(extract_mentions("thanks @alice").empty());
  EXPECT_TRUE(extract_mentions("@ alone, @. and @../").empty());
  auto m = extract_mentions("(@docs/x.md).");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], "docs/x.md");
}

TEST(Tokens, Estimates) {
  EXPECT_EQ(estimate_tokens(""), 0);
  EXPECT_EQ(estimate_tokens("   \n"), 0);
  EXPECT_EQ(estimate_tokens("word"), 1);
  EXPECT_EQ(estimate_tokens("sixsix"), 1);
  EXPECT_EQ(estimate_tokens("session"), 2);
  EXPECT_EQ(estimate_tokens("a, b."), 4);              // 1 + 3/4 + 1 + 3/4 = 3.5, rounded up
  EXPECT_EQ(estimate_tokens("f(x);"), 5);              // 1 + 3/4 + 1 + 3/4 + 3/4 = 4.25
  EXPECT_EQ(estimate_tokens("\xC3\xA9t\xC3\xA9"), 3);  // "été": é, t, é
}

// --- Mentions: one pass, a cap per row, and interrupts (docs/security.md). ---

#include <algorithm>
#include <random>
#include <stdexcept>

#include "core/agent.hpp"
#include "core/event_data.hpp"
#include "core/interrupts.hpp"
#include "core/scoring.hpp"

namespace {

// The former quadratic extraction, without a cap: the reference for what is found.
std::vector<std::string> reference_mentions(std::string_view text) {
  auto path_char = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == '/' || c == '~' || c == '+';
  };
  std::vector<std::string> found;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '@') continue;
    if (i > 0 && path_char(static_cast<unsigned char>(text[i - 1]))) continue;
    std::size_t end = i + 1;
    while (end < text.size() && path_char(static_cast<unsigned char>(text[end]))) ++end;
    std::string path(text.substr(i + 1, end - i - 1));
    while (!path.empty() && (path.back() == '.' || path.back() == '/' || path.back() == '-')) path.pop_back();
    i = end - 1;
    if (path.empty() || path.find_first_of("./") == std::string::npos) continue;
    if (path.find_first_not_of("./") == std::string::npos) continue;
    if (std::find(found.begin(), found.end(), path) == found.end()) found.push_back(std::move(path));
  }
  return found;
}

std::string distinct_mentions(std::size_t n) {
  std::string text;
  for (std::size_t i = 0; i < n; ++i) text += "see @src/f" + std::to_string(i) + ".cpp ";
  return text;
}

struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("cancelled") {}
};

// Counts polls; with `cancel_after` set, the hook "cancels" (throws) at that poll.
int polls = 0;
int cancel_after = 0;
void counting_hook() {
  ++polls;
  if (cancel_after > 0 && polls >= cancel_after) throw Cancelled();
}

class Interrupts : public ::testing::Test {
 protected:
  void SetUp() override {
    polls = 0;
    cancel_after = 0;
    aidis::core::interrupt_hook = counting_hook;
  }
  void TearDown() override { aidis::core::interrupt_hook = nullptr; }
};

}  // namespace

using aidis::core::kMaxMentionBytes;
using aidis::core::kMaxMentionsPerRow;
using aidis::core::kPollBytes;

TEST(Mentions, SameAsTheReferenceOnRandomText) {
  std::mt19937 rng(42);
  const std::string alphabet = "@@ab./-_ x\n";
  for (int round = 0; round < 2000; ++round) {
    std::string text(std::uniform_int_distribution<int>(0, 60)(rng), ' ');
    for (char& c : text)
      c = alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
    ASSERT_EQ(extract_mentions(text), reference_mentions(text)) << "text: " << text;
  }
}

TEST(Mentions, KeepsTheFirstDistinctOnesUpToTheCap) {
  std::string text = distinct_mentions(5000);
  auto m = extract_mentions(text);
  ASSERT_EQ(m.size(), kMaxMentionsPerRow);
  auto all = reference_mentions(text);
  ASSERT_EQ(all.size(), 5000u);
  EXPECT_TRUE(std::equal(m.begin(), m.end(), all.begin()));
  EXPECT_EQ(m.back(), "src/f999.cpp");
}

TEST(Mentions, RepeatsDoNotCountTowardsTheCap) {
  auto m = extract_mentions("@a.c @a.c @a.c @b.c @c.c", 2);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], "a.c");
  EXPECT_EQ(m[1], "b.c");
  EXPECT_TRUE(extract_mentions("@a.c", 0).empty());
}

TEST(Mentions, ManyRepeatsOfFewPathsAreFoundOnce) {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "@lib/m" + std::to_string(i % 500) + ".h ";
  auto m = extract_mentions(text);
  ASSERT_EQ(m.size(), 500u);
  EXPECT_EQ(m[0], "lib/m0.h");
  EXPECT_EQ(m[499], "lib/m499.h");
}

TEST(Mentions, PathsLongerThanTheColumnAreIgnored) {
  std::string longest = "d/" + std::string(kMaxMentionBytes - 2, 'x');
  std::string too_long = "d/" + std::string(kMaxMentionBytes - 1, 'y');
  auto m = extract_mentions("@" + too_long + " @" + longest + ". @ok.md");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], longest);
  EXPECT_EQ(m[1], "ok.md");
}

TEST(Mentions, TenMegabytesOfDistinctMentionsStopAtTheCap) {
  std::string text = distinct_mentions(500000);  // about 10 MB
  ASSERT_GT(text.size(), 10u * 1000 * 1000);
  EXPECT_EQ(extract_mentions(text).size(), kMaxMentionsPerRow);
}

TEST_F(Interrupts, LongLoopsPollOncePerChunk) {
  std::string text(4 * kPollBytes + 10, 'a');
  estimate_tokens(text);
  EXPECT_EQ(polls, 4);
  polls = 0;
  extract_mentions(std::string(4 * kPollBytes + 10, ' '));
  EXPECT_EQ(polls, 4);
  polls = 0;
  EXPECT_EQ(estimate_tokens("short"), 1);
  EXPECT_TRUE(extract_mentions("@short.md").size() == 1);
  EXPECT_EQ(polls, 0);  // short texts never call the hook
}

TEST_F(Interrupts, ACancelStopsEveryLongLoop) {
  cancel_after = 1;
  std::string blanks(3 * kPollBytes, ' ');
  std::string word(3 * kPollBytes, 'w');
  EXPECT_THROW(estimate_tokens(word), Cancelled);
  EXPECT_THROW(extract_mentions(blanks), Cancelled);
  EXPECT_THROW(extract_mentions("@" + word), Cancelled);  // one endless path-like run
  EXPECT_THROW(aidis::core::summarize(blanks + "x", 160), Cancelled);
  EXPECT_THROW(aidis::core::normalize_agent(blanks), Cancelled);
  EXPECT_THROW(aidis::core::trigrams(word), Cancelled);
  EXPECT_THROW(aidis::core::trigrams(blanks), Cancelled);
  EXPECT_THROW(aidis::core::count_near_duplicates({"a", "b"}, 0.6), Cancelled);
}

TEST_F(Interrupts, LoopsThatStopEarlyDoNotReadOn) {
  std::string long_text = "fix the bug " + std::string(10 * kPollBytes, 'z');
  EXPECT_EQ(aidis::core::summarize(long_text, 10), "fix the bu\xE2\x80\xA6");
  EXPECT_EQ(aidis::core::normalize_agent(long_text).size(), aidis::core::kMaxAgentLength);
  EXPECT_EQ(polls, 0);
}
