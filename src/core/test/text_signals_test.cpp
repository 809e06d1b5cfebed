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
  EXPECT_EQ(estimate_tokens("a, b."), 4);   // 1 + 3/4 + 1 + 3/4 = 3.5, rounded up
  EXPECT_EQ(estimate_tokens("f(x);"), 5);   // 1 + 3/4 + 1 + 3/4 + 3/4 = 4.25
  EXPECT_EQ(estimate_tokens("\xC3\xA9t\xC3\xA9"), 3);  // "été": é, t, é
}
