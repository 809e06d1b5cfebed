#include "log.hpp"

#include <cmath>
#include <ctime>
#include <unistd.h>

#include <fmt/format.h>

namespace aidis {

std::string format_utc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  // Floor division so instants before 1970 still get a 0..999 fraction.
  auto secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
  int frac = static_cast<int>(ms - static_cast<long long>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

std::string format_duration(double seconds) {
  if (!(seconds > 0)) seconds = 0;  // also maps NaN to 0
  if (seconds < 60) return fmt::format("{:.2f}s", seconds);
  auto s = static_cast<long long>(std::floor(seconds));
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m{:02}s", s / 3600, s % 3600 / 60, s % 60);
  return fmt::format("{}d{:02}h{:02}m", s / 86400, s % 86400 / 3600, s % 3600 / 60);
}

std::string logfmt_value(std::string_view v) {
  bool bare = !v.empty();
  for (unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) bare = false;
  if (bare) return std::string(v);
  std::string out = "\"";
  for (unsigned char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < ' ' || c == 0x7f)
          out += fmt::format("\\x{:02x}", c);
        else
          out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string one_line(std::string_view msg) {
  std::string out;
  bool in_break = false;  // inside a run of line breaks and their indentation
  for (char c : msg) {
    if (c == '\n' || c == '\r' || c == '\t' || (in_break && c == ' ')) {
      in_break = true;
      continue;
    }
    if (in_break && !out.empty()) out += ' ';
    in_break = false;
    out += c;
  }
  return out;
}

std::string expired_message(const ExpiredSession& s) {
  return fmt::format("expired session={} project={} agent={} idle={}", logfmt_value(s.display_id),
                     logfmt_value(s.project.value_or("")), logfmt_value(s.agent.value_or("")),
                     format_duration(s.idle_seconds));
}

std::string compacted_message(const CompactReport& r) {
  return fmt::format("compacted sessions={} events_removed={} summaries={} older_than={}", r.sessions,
                     r.events_removed, r.summaries, logfmt_value(r.older_than));
}

void log(std::string_view message) {
  std::string line = fmt::format("{} {}\n", format_utc(std::chrono::system_clock::now()), message);
  // Best effort: there is nowhere left to report a failed write to stderr.
  for (std::string_view rest = line; !rest.empty();) {
    ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (n <= 0) break;
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace aidis
