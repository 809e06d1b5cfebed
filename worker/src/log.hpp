// Log lines of the worker: "<UTC timestamp> <message>" on stderr, message in
// logfmt style (key=value, values quoted only when needed) so that one grep
// or one journalctl filter finds every expiry. Formatting is pure and
// unit-tested; log() is the only function here that does I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace aidis {

// 2026-01-31T23:59:59.123Z
std::string format_utc(std::chrono::system_clock::time_point t);

// Human duration: "2.05s", "5m03s", "2h00m03s", "3d04h05m". Negative → 0.
std::string format_duration(double seconds);

// A logfmt value: bare when it is a non-empty run of printable characters
// without space, '"', '=' or '\', else double-quoted with escapes.
std::string logfmt_value(std::string_view v);

// Flattens a libpq/server message onto one line: each run of line breaks,
// tabs and the indentation after them becomes one space; trailing ones go.
std::string one_line(std::string_view msg);

struct ExpiredSession {
  std::string display_id;
  std::optional<std::string> project;  // NULL renders as ""
  std::optional<std::string> agent;
  double idle_seconds = 0;  // now - last_activity_at, per the server clock
};

// "expired session=SES-2026-0001 project=aidis agent=claude-code idle=2h00m03s"
std::string expired_message(const ExpiredSession& s);

// What one compaction run folded (the report of aidis.compact_activity).
struct CompactReport {
  std::string older_than;        // "infinity": nothing is compacted
  long long sessions = 0;        // sessions with events folded
  long long events_removed = 0;  // events gone into summaries
  long long summaries = 0;       // summary events written
};

// "compacted sessions=3 events_removed=120 summaries=7 older_than=\"1 year\""
std::string compacted_message(const CompactReport& r);

// Writes "<timestamp> <message>\n" to stderr with one write(2), so lines of
// concurrent writers sharing the stream do not interleave.
void log(std::string_view message);

}  // namespace aidis
