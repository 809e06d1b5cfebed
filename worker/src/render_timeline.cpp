// The timeline chart: time buckets, sparklines and the timeline report.
#include "render.hpp"
#include "render_util.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace aidis {

using namespace render_detail;

// --- timeline buckets -------------------------------------------------------------

Buckets bucketize(const std::vector<double>& times, int max_buckets, int offset_minutes) {
  Buckets b;
  if (times.empty()) return b;
  max_buckets = std::max(1, max_buckets);
  auto [lo_it, hi_it] = std::minmax_element(times.begin(), times.end());
  double lo = *lo_it, hi = *hi_it;
  const double off = offset_minutes * 60.0;
  static const double kWidths[] = {60,    120,   300,   600,    900,    1800,    3600,    7200,    10800,
                                   21600, 43200, 86400, 172800, 604800, 2592000, 7776000, 31536000};
  double width = 0;
  for (double w : kWidths) {
    double start = std::floor((lo + off) / w) * w - off;
    if (std::floor((hi - start) / w) + 1 <= max_buckets) {
      width = w;
      break;
    }
  }
  if (width == 0) width = std::ceil((hi - lo + 1) / max_buckets / 86400) * 86400;  // decades
  b.width = width;
  b.start = std::floor((lo + off) / width) * width - off;
  b.counts.assign(static_cast<size_t>(std::floor((hi - b.start) / width)) + 1, 0);
  b.counts = count_in(b, times);
  return b;
}

std::vector<int> count_in(const Buckets& b, const std::vector<double>& times) {
  std::vector<int> counts(b.counts.size(), 0);
  if (counts.empty()) return counts;
  for (double t : times) {
    auto i = static_cast<long long>(std::floor((t - b.start) / b.width));
    i = std::clamp<long long>(i, 0, static_cast<long long>(counts.size()) - 1);
    ++counts[static_cast<size_t>(i)];
  }
  return counts;
}

std::string sparkline(const std::vector<int>& counts, int peak) {
  static const char* kLevels[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  std::string out;
  for (int c : counts) {
    if (c <= 0 || peak <= 0) {
      out += "·";
      continue;
    }
    int level = static_cast<int>(std::ceil(8.0 * std::min(c, peak) / peak));
    out += kLevels[std::clamp(level, 1, 8) - 1];
  }
  return out;
}

namespace {

// Timeline categories: what the user asked to see (contexts, tasks, decisions).
const char* category(const std::string& kind) {
  if (kind.rfind("context", 0) == 0) return "contexts";
  if (kind.rfind("task", 0) == 0) return "tasks";
  if (kind.rfind("decision", 0) == 0) return "decisions";
  return "other";
}

std::string color_kind(const std::string& kind, const Style& st) {
  std::string c = category(kind);
  if (c == "contexts") return st.cyan(kind);
  if (c == "tasks") return kind == "task_completed" ? st.green(kind) : st.blue(kind);
  if (c == "decisions") return st.magenta(kind);
  return st.dim(kind);
}

std::string width_text(double w) {
  if (w < 3600) return fmt::format("{}m", static_cast<long long>(w / 60));
  if (w < 86400) return fmt::format("{}h", static_cast<long long>(w / 3600));
  return fmt::format("{}d", static_cast<long long>(w / 86400));
}

}  // namespace

std::string render_timeline(const Json& events, const Json& session, int limit, const Style& st) {
  std::string out;
  std::string display = str(session, "display_id");
  std::string title = str(session, "title");
  out += st.bold(fmt::format("Timeline of {}", display.empty() ? "the session" : display));
  if (!title.empty() && title != display) out += " · " + truncate_text(title, 50);
  out += "\n";
  if (!events.is_array() || events.empty()) return out + "No events.\n";

  std::vector<double> all;
  std::map<std::string, std::vector<double>> by_cat;
  int offset = 0;
  bool have_offset = false;
  for (const auto& e : events) {
    auto t = parse_timestamp(str(e, "occurred_at"));
    if (!t) continue;
    if (!have_offset) offset = t->offset_minutes, have_offset = true;
    all.push_back(t->epoch);
    by_cat[category(str(e, "kind"))].push_back(t->epoch);
  }
  const std::string first = str(events.front(), "occurred_at"), last = str(events.back(), "occurred_at");
  out += fmt::format("{} {} from {} to {} ({})\n", format_count(static_cast<std::int64_t>(events.size())),
                     events.size() == 1 ? "event" : "events", format_timestamp(first), format_timestamp(last),
                     human_duration(seconds_between(first, last).value_or(0)));
  if (!all.empty()) {
    Buckets b = bucketize(all, 60, offset);
    int peak = *std::max_element(b.counts.begin(), b.counts.end());
    out += "\n";
    auto row = [&](const std::string& label, const std::vector<int>& counts) {
      int total = 0;
      for (int c : counts) total += c;
      out += fmt::format("  {} {}  {}\n", pad(label, 10), sparkline(counts, peak),
                         st.dim(std::to_string(total)));
    };
    row("all", b.counts);
    for (const char* c : {"contexts", "tasks", "decisions", "other"})
      if (by_cat.count(c)) row(c, count_in(b, by_cat[c]));
    // Where the first column starts, on the clock of the displayed zone.
    auto local = static_cast<long long>(std::floor(b.start + offset * 60.0));
    long long day_number = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    long long secs = local - day_number * 86400;
    std::string from = b.width >= 86400 ? civil_from_days(day_number)
                                        : fmt::format("{:02}:{:02}", secs / 3600, secs % 3600 / 60);
    out += st.dim(fmt::format("  {} one column = {}, from {} (peak {} per column)", pad("", 10),
                              width_text(b.width), from, peak)) +
           "\n";
  }
  out += "\n";
  std::vector<std::vector<std::string>> rows;
  std::string day;
  for (const auto& e : events) {
    auto t = parse_timestamp(str(e, "occurred_at"));
    std::string date;  // shown on the first event of each day
    if (t && t->date != day) date = day = t->date;
    std::string kind = str(e, "kind");
    rows.push_back({std::to_string(count(e, "id")), date, t ? t->time : str(e, "occurred_at"),
                    color_kind(kind, st), truncate_text(str(e, "summary"), 70)});
  }
  std::string table =
      format_table({"ID", "DATE", "TIME", "KIND", "SUMMARY"}, rows, {true, false, false, false, false});
  out += table;
  if (static_cast<int>(events.size()) >= limit)
    out += st.dim(fmt::format("More: --after {} (or --limit)", count(events.back(), "id"))) + "\n";
  return out;
}

}  // namespace aidis
