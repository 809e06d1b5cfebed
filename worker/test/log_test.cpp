#include <gtest/gtest.h>

#include "log.hpp"

using namespace aidis;

TEST(FormatUtc, MillisecondsAndZ) {
  using namespace std::chrono;
  system_clock::time_point t{milliseconds{1767225599123}};  // 2025-12-31T23:59:59.123Z
  EXPECT_EQ(format_utc(t), "2025-12-31T23:59:59.123Z");
  EXPECT_EQ(format_utc(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc(system_clock::time_point{milliseconds{-1}}), "1969-12-31T23:59:59.999Z");
}

TEST(FormatDuration, Ranges) {
  EXPECT_EQ(format_duration(0), "0.00s");
  EXPECT_EQ(format_duration(-5), "0.00s");
  EXPECT_EQ(format_duration(2.054), "2.05s");
  EXPECT_EQ(format_duration(59.994), "59.99s");
  EXPECT_EQ(format_duration(303.9), "5m03s");
  EXPECT_EQ(format_duration(7203), "2h00m03s");
  EXPECT_EQ(format_duration(3 * 86400 + 4 * 3600 + 5 * 60 + 6), "3d04h05m");
}

TEST(LogfmtValue, BareOrQuoted) {
  EXPECT_EQ(logfmt_value("SES-2026-0001"), "SES-2026-0001");
  EXPECT_EQ(logfmt_value(""), "\"\"");
  EXPECT_EQ(logfmt_value("my project"), "\"my project\"");
  EXPECT_EQ(logfmt_value("a=b"), "\"a=b\"");
  EXPECT_EQ(logfmt_value("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
  EXPECT_EQ(logfmt_value("two\nlines"), "\"two\\nlines\"");
  EXPECT_EQ(logfmt_value(std::string("bell\x07", 5)), "\"bell\\x07\"");
  EXPECT_EQ(logfmt_value("naïve"), "naïve");  // UTF-8 passes through
}

TEST(OneLine, Flattens) {
  EXPECT_EQ(one_line("FATAL:  terminating connection\n"), "FATAL:  terminating connection");
  EXPECT_EQ(one_line("server closed the connection unexpectedly\n\tThis probably means\n"),
            "server closed the connection unexpectedly This probably means");
  EXPECT_EQ(one_line(""), "");
}

TEST(ExpiredMessage, OneGreppableLine) {
  EXPECT_EQ(expired_message({"SES-2026-0001", "aidis", "claude-code", 7203.2}),
            "expired session=SES-2026-0001 project=aidis agent=claude-code idle=2h00m03s");
  EXPECT_EQ(expired_message({"SES-2026-0042", "my app", std::nullopt, 2.06}),
            "expired session=SES-2026-0042 project=\"my app\" agent=\"\" idle=2.06s");
}

TEST(LogFormat, CompactedMessage) {
  EXPECT_EQ(compacted_message({"1 year", 3, 120, 7}),
            "compacted sessions=3 events_removed=120 summaries=7 older_than=\"1 year\"");
  EXPECT_EQ(compacted_message({"infinity", 0, 0, 0}),
            "compacted sessions=0 events_removed=0 summaries=0 older_than=infinity");
}
