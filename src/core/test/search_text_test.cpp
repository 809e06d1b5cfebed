#include "core/search_text.hpp"

#include <gtest/gtest.h>

using aidis::core::search_text;

TEST(SearchText, StandardDisplayIdKeepsOnlyItsNumber) {
  EXPECT_EQ(search_text("SES-2026-0042", {"Cart fixes"}), "0042\nCart fixes");
}

TEST(SearchText, OtherDisplayIdsStayWhole) {
  EXPECT_EQ(search_text("SES-26-0042", {}), "SES-26-0042");
  EXPECT_EQ(search_text("legacy-7", {"x"}), "legacy-7\nx");
}

TEST(SearchText, EmptyFieldsAreLeftOut) {
  EXPECT_EQ(search_text("", {"", "title", "", "tag"}), "title\ntag");
  EXPECT_EQ(search_text("", {}), "");
}
