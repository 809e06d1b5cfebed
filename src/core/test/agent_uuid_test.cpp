#include <gtest/gtest.h>

#include "core/agent.hpp"
#include "core/uuid.hpp"

using aidis::core::normalize_agent;
using aidis::core::Uuid;

TEST(Agent, Normalizes) {
  EXPECT_EQ(normalize_agent("Claude Code"), "claude-code");
  EXPECT_EQ(normalize_agent("claude_code"), "claude-code");
  EXPECT_EQ(normalize_agent("  Cursor  "), "cursor");
  EXPECT_EQ(normalize_agent("--Windsurf--IDE--"), "windsurf-ide");
  EXPECT_EQ(normalize_agent("codex/1.2"), "codex-1-2");
  EXPECT_EQ(normalize_agent("claude-code"), "claude-code");
}

TEST(Agent, EmptyOrSymbolsOnlyIsUnknown) {
  EXPECT_EQ(normalize_agent(""), "unknown");
  EXPECT_EQ(normalize_agent(" _-/ "), "unknown");
  EXPECT_EQ(normalize_agent("\xc3\xa9"), "unknown");  // non-ASCII only
}

TEST(Agent, IsCappedWithoutTrailingHyphen) {
  std::string longname(98, 'a');
  longname += " bbbb";
  auto out = normalize_agent(longname);
  EXPECT_LE(out.size(), aidis::core::kMaxAgentLength);
  EXPECT_NE(out.back(), '-');
}

TEST(Uuid, RoundTrips) {
  auto u = Uuid::parse("123E4567-e89b-12d3-a456-426614174000");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->str(), "123e4567-e89b-12d3-a456-426614174000");
}

TEST(Uuid, RejectsMalformed) {
  EXPECT_FALSE(Uuid::parse("123e4567e89b12d3a456426614174000").has_value());
  EXPECT_FALSE(Uuid::parse("123e4567-e89b-12d3-a456-42661417400g").has_value());
  EXPECT_FALSE(Uuid::parse("").has_value());
}
