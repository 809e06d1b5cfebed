#include "render.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace aidis {

std::string Style::wrap(std::string_view code, std::string_view s) const {
  if (!color || s.empty()) return std::string(s);
  return fmt::format("\x1b[{}m{}\x1b[0m", code, s);
}

bool want_color(ColorMode mode, bool stdout_is_tty, const char* no_color, const char* term) {
  if (mode == ColorMode::Always) return true;
  if (mode == ColorMode::Never) return false;
  if (no_color && *no_color) return false;
  if (term && std::string_view(term) == "dumb") return false;
  return stdout_is_tty;
}

// --- small formatters -----------------------------------------------------------

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

// The inverse: the date of a day number.
std::string civil_from_days(long long z) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const long long y = static_cast<long long>(yoe) + era * 400 + (m <= 2);
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<Timestamp> parse_timestamp(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (s.size() < 19 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  double frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    double scale = 0.1;
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
  }
  int offset = 0;  // seconds east of UTC
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1, oh = 0, om = 0, os = 0;
    if (!digits(s, pos + 1, 2, oh)) return std::nullopt;
    pos += 3;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, om)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == ':') {
        if (!digits(s, pos + 1, 2, os)) return std::nullopt;
        pos += 3;
      }
    }
    offset = sign * (oh * 3600 + om * 60 + os);
  } else if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  }
  if (pos != s.size()) return std::nullopt;
  Timestamp t;
  double local =
      static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) * 86400 +
      h * 3600 + mi * 60 + sec + frac;
  t.epoch = local - offset;
  t.offset_minutes = offset / 60;
  t.date = std::string(s.substr(0, 10));
  t.time = std::string(s.substr(11, 8));
  return t;
}

std::string format_timestamp(std::string_view s) {
  if (s.empty()) return "—";
  auto t = parse_timestamp(s);
  if (!t) return std::string(s);
  std::string zone = "UTC";
  if (t->offset_minutes != 0) {
    int m = std::abs(t->offset_minutes);
    zone = fmt::format("{}{:02}:{:02}", t->offset_minutes < 0 ? '-' : '+', m / 60, m % 60);
  }
  return fmt::format("{} {} {}", t->date, t->time, zone);
}

std::string format_timestamp_short(std::string_view s) {
  auto t = parse_timestamp(s);
  if (!t) return s.empty() ? "—" : std::string(s);
  return t->date + " " + t->time.substr(0, 5);
}

std::string human_duration(double seconds) {
  if (!(seconds > 0)) return "0s";
  auto s = static_cast<long long>(std::floor(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m {:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h {:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d {:02}h", s / 86400, s % 86400 / 3600);
}

std::string format_count(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -(n + 1) + 1ULL : static_cast<unsigned long long>(n));
  std::string out;
  int k = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it, ++k) {
    if (k && k % 3 == 0) out += ',';
    out += *it;
  }
  if (n < 0) out += '-';
  return std::string(out.rbegin(), out.rend());
}

std::string stars(int n) {
  if (n < 1 || n > 5) return "";
  std::string out;
  for (int i = 1; i <= 5; ++i) out += i <= n ? "★" : "☆";
  return out;
}

std::string score_label(double score) {
  if (score >= 80) return "Excellent session";
  if (score >= 60) return "Good session";
  if (score >= 40) return "Decent session";
  return "Room for improvement";
}

namespace {

// Decodes one UTF-8 code point at s[i], advancing i; invalid bytes count as one.
char32_t next_code_point(std::string_view s, size_t& i) {
  auto c = static_cast<unsigned char>(s[i]);
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  char32_t cp = extra == 3 ? c & 0x07 : extra == 2 ? c & 0x0F : extra == 1 ? c & 0x1F : c;
  size_t start = i++;
  for (int k = 0; k < extra; ++k) {
    if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      i = start + 1;
      return c;
    }
    cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  }
  return cp;
}

int code_point_width(char32_t cp) {
  if (cp == 0) return 0;
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0xFE00 && cp <= 0xFE0F))
    return 0;  // combining marks, zero-width spaces, variation selectors
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
      (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
      (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
    return 2;
  return 1;
}

// Length of an ANSI escape sequence starting at s[i] (0 if none).
size_t escape_length(std::string_view s, size_t i) {
  if (s[i] != '\x1b' || i + 1 >= s.size() || s[i + 1] != '[') return 0;
  size_t j = i + 2;
  while (j < s.size() && !(s[j] >= '@' && s[j] <= '~')) ++j;
  return j < s.size() ? j - i + 1 : 0;
}

}  // namespace

int display_width(std::string_view s) {
  int w = 0;
  for (size_t i = 0; i < s.size();) {
    if (size_t esc = escape_length(s, i)) {
      i += esc;
      continue;
    }
    w += code_point_width(next_code_point(s, i));
  }
  return w;
}

std::string truncate_text(std::string_view s, int width) {
  if (display_width(s) <= width) return std::string(s);
  if (width <= 0) return "";
  std::string out;
  int w = 0;
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    int cw = code_point_width(next_code_point(s, i));
    if (w + cw > width - 1) break;
    out.append(s.substr(start, i - start));
    w += cw;
  }
  return out + "…";
}

std::string pad(std::string_view s, int width, bool right_align) {
  int fill = std::max(0, width - display_width(s));
  std::string spaces(static_cast<size_t>(fill), ' ');
  return right_align ? spaces + std::string(s) : std::string(s) + spaces;
}

std::vector<std::string> wrap_text(std::string_view text, int width) {
  std::vector<std::string> lines;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty()) return lines;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view para =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    std::string line;
    size_t i = 0;
    bool any = false;
    while (i < para.size()) {
      while (i < para.size() && para[i] == ' ') ++i;
      if (i >= para.size()) break;
      size_t j = para.find(' ', i);
      std::string_view word = para.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
      i = j == std::string_view::npos ? para.size() : j;
      if (!line.empty() && display_width(line) + 1 + display_width(word) > width) {
        lines.push_back(line);
        line.clear();
      }
      if (!line.empty()) line += ' ';
      line += word;
      any = true;
    }
    if (any || para.empty()) lines.push_back(line);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return lines;
}

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right) {
  std::vector<int> widths(header.size(), 0);
  for (size_t c = 0; c < header.size(); ++c) widths[c] = display_width(header[c]);
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], display_width(r[c]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < widths.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      bool r = c < right.size() && right[c];
      if (c) out += "  ";
      out += (c + 1 == widths.size() && !r) ? cell : pad(cell, widths[c], r);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& r : rows) out += line(r);
  return out;
}

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

// --- reports ------------------------------------------------------------------------

namespace {

constexpr int kBoxWidth = 64;   // columns of the ═ rules
constexpr int kTextWidth = 72;  // wrap width of free text inside boxes

std::string str(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::optional<double> num(const Json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::int64_t count(const Json& j, const char* key) {
  auto v = num(j, key);
  return v ? static_cast<std::int64_t>(std::llround(*v)) : 0;
}

// A number as the server wrote it (72.5, 3, 0.4093).
std::string numtext(const Json& j, const char* key, const char* missing = "—") {
  if (!j.is_object()) return missing;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return missing;
  if (it->is_number_float()) {
    double v = it->get<double>();
    return fmt::format("{:.1f}", v);
  }
  return format_count(it->get<std::int64_t>());
}

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", format_count(n), n == 1 ? one : many);
}

std::string join_tags(const Json& j) {
  auto it = j.is_object() ? j.find("tags") : j.end();
  if (it == j.end() || !it->is_array() || it->empty()) return "";
  std::string out;
  for (const auto& t : *it) {
    if (!out.empty()) out += ", ";
    out += t.is_string() ? t.get<std::string>() : t.dump();
  }
  return out;
}

// The status shown in lists: active, or why the session ended.
std::string status_word(const Json& s) {
  std::string status = str(s, "status");
  std::string reason = str(s, "end_reason");
  if (status == "active" || reason.empty()) return status;
  if (reason == "project_disconnected") return "disconnected";
  return reason;
}

std::string color_status(const std::string& word, const Style& st) {
  if (word == "active") return st.green(word);
  if (word == "timeout" || word == "superseded") return st.yellow(word);
  if (word == "disconnected") return st.red(word);
  return word;
}

std::optional<double> seconds_between(const std::string& a, const std::string& b) {
  auto ta = parse_timestamp(a), tb = parse_timestamp(b);
  if (!ta || !tb) return std::nullopt;
  return tb->epoch - ta->epoch;
}

class Box {
 public:
  explicit Box(const Style& st) : st_(st) {}
  void top() { rule("╔"); }
  void sep() { rule("╠"); }
  void bottom() { rule("╚"); }
  void blank() { out_ += st_.dim("║") + "\n"; }
  void line(std::string_view text) {
    if (text.empty()) return blank();
    out_ += st_.dim("║") + " " + std::string(text) + "\n";
  }
  // "Label:    value", labels padded to `label_width`.
  void field(std::string_view label, std::string_view value, int label_width = 11) {
    line(pad(std::string(label) + ":", label_width) + std::string(value));
  }
  // A heading then the wrapped text, indented; `empty` when there is none.
  void text(std::string_view label, std::string_view text, std::string_view empty, int indent = 2) {
    auto lines = wrap_text(text, kTextWidth - indent);
    if (lines.empty()) {
      line(fmt::format("{} {}", label, st_.dim(empty)));
      return;
    }
    if (lines.size() == 1 && display_width(label) + 1 + display_width(lines[0]) <= kTextWidth) {
      line(fmt::format("{} {}", label, lines[0]));
      return;
    }
    line(label);
    for (const auto& l : lines) line(std::string(static_cast<size_t>(indent), ' ') + l);
  }
  std::string str() const { return out_; }

 private:
  void rule(const char* corner) {
    std::string r = corner;
    for (int i = 0; i < kBoxWidth; ++i) r += "═";
    out_ += st_.dim(r) + "\n";
  }
  const Style& st_;
  std::string out_;
};

std::string title_line(const Json& s, const Style& st) {
  std::string display = str(s, "display_id");
  std::string status = str(s, "status");
  std::string upper;
  for (char c : status) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string reason = str(s, "end_reason");
  std::string head = st.bold(display) + " · " + color_status(upper, st);
  if (status != "active" && !reason.empty() && reason != "project_disconnected")
    head += st.dim(" (" + reason + ")");
  return head;
}

void title_block(Box& b, const Json& s, const Style& st) {
  b.line(title_line(s, st));
  std::string title = str(s, "title");
  if (!title.empty() && title != str(s, "display_id")) b.line(st.bold(truncate_text(title, kTextWidth)));
}

std::string model_text(const Json& s, const Style& st) {
  std::string m = str(s, "ai_model");
  return m.empty() ? st.dim("not reported") : m;
}

void work_block(Box& b, const Json& s) {
  b.field("  Tasks",
          fmt::format("{}/{} completed ({} reopened)", format_count(count(s, "tasks_completed")),
                      format_count(count(s, "tasks_created")), format_count(count(s, "tasks_reopened"))),
          14);
  b.field("  Context", plural(count(s, "contexts_created"), "item added", "items added"), 14);
  b.field("  Decisions", format_count(count(s, "decisions_created")) + " made", 14);
  std::int64_t added = count(s, "loc_added"), removed = count(s, "loc_removed");
  b.field("  Code",
          fmt::format("+{} / -{} lines (net {}{}), {}", format_count(added), format_count(removed),
                      added - removed > 0 ? "+" : "", format_count(added - removed),
                      plural(count(s, "files_touched"), "file", "files")),
          14);
  b.field("  Tokens",
          fmt::format("{} in / {} out / {} cache read / {} cache write (~{} estimated)",
                      format_count(count(s, "input_tokens")), format_count(count(s, "output_tokens")),
                      format_count(count(s, "cache_read_tokens")),
                      format_count(count(s, "cache_creation_tokens")),
                      format_count(count(s, "estimated_tokens"))),
          14);
  b.field("  Activity", plural(count(s, "activity_count"), "event", "events"), 14);
}

std::string rating_text(const Json& s, const Style& st) {
  auto r = num(s, "rating");
  if (!r) return st.dim("not rated - use: aidis session rate <1-5>");
  std::string out = fmt::format("{} {}/5", st.yellow(stars(static_cast<int>(*r))), static_cast<int>(*r));
  std::string note = str(s, "rating_note");
  if (!note.empty()) out += " - " + truncate_text(note, 50);
  return out;
}

std::string score_text(const Json& s, const Style& st) {
  auto sc = num(s, "score");
  if (!sc) return st.dim("not scored yet");
  std::string label = score_label(*sc);
  std::string colored = *sc >= 60 ? st.green(label) : *sc >= 40 ? st.yellow(label) : st.red(label);
  std::string source = str(s, "score_source");
  return fmt::format("{}/100 {}{}", numtext(s, "score"), colored,
                     source.empty() ? "" : st.dim(" (" + source + ")"));
}

}  // namespace

std::string render_status(const Json& d, const Style& st) {
  Box b(st);
  b.top();
  title_block(b, d, st);
  b.sep();
  b.field("Project", str(d, "project_name"));
  b.field("Agent", str(d, "agent"));
  b.field("AI model", model_text(d, st));
  b.field("Started", fmt::format("{} ({} ago)", format_timestamp(str(d, "started_at")),
                                 human_duration(num(d, "wall_seconds").value_or(0))));
  b.field("Last seen", format_timestamp(str(d, "last_activity_at")));
  b.sep();
  b.text("Goal:", str(d, "goal"), "not set - use: aidis session goal \"<text>\"");
  b.blank();
  b.line("Metrics:");
  work_block(b, d);
  b.field("  Score", score_text(d, st), 14);
  b.blank();
  std::string tags = join_tags(d);
  b.line("Tags: " + (tags.empty() ? st.dim("none - use: aidis session tag <tag>...") : tags));
  b.bottom();
  return b.str();
}

std::string render_details(const Json& d, const Style& st) {
  Box b(st);
  b.top();
  title_block(b, d, st);
  b.sep();
  std::string project = str(d, "project_name");
  if (str(d, "project_status") != "" && str(d, "project_status") != "active")
    project += st.dim(" (" + str(d, "project_status") + ")");
  b.field("Project", project);
  b.field("Agent", str(d, "agent"));
  b.field("AI model", model_text(d, st));
  b.field("Started", format_timestamp(str(d, "started_at")));
  b.field("Ended", str(d, "ended_at").empty() ? st.dim("— (active)") : format_timestamp(str(d, "ended_at")));
  b.field("Last seen", format_timestamp(str(d, "last_activity_at")));
  b.field("Duration", fmt::format("{} wall, {} active", human_duration(num(d, "wall_seconds").value_or(0)),
                                  human_duration(num(d, "active_seconds").value_or(0))));
  b.field("Id", str(d, "id"));
  b.sep();
  b.text("Goal:", str(d, "goal"), "not set");
  b.text("Description:", str(d, "description"), "none");
  b.sep();
  b.line("Work:");
  work_block(b, d);
  b.sep();
  b.line("Score: " + score_text(d, st));
  const Json* signals = nullptr;
  if (d.contains("score_breakdown") && d["score_breakdown"].is_object() &&
      d["score_breakdown"].contains("signals") && d["score_breakdown"]["signals"].is_object())
    signals = &d["score_breakdown"]["signals"];
  if (signals) {
    std::string version = str(d["score_breakdown"], "version");
    if (!version.empty()) b.line(st.dim("  formula " + version + ": points per signal, and why"));
    // Heaviest signals first, as the formula weighs them.
    std::vector<std::pair<std::string, const Json*>> sorted;
    for (auto it = signals->begin(); it != signals->end(); ++it) sorted.emplace_back(it.key(), &it.value());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) {
      return count(*x.second, "weight") > count(*y.second, "weight");
    });
    for (const auto& [name, sig] : sorted) {
      bool applies = !sig->contains("applies") || (*sig)["applies"] == true;
      std::string line = fmt::format("  {} {:>5}  {}", pad(name, 17),
                                     applies ? numtext(*sig, "contribution") : "n/a", str(*sig, "why"));
      b.line(applies ? line : st.dim(line));
    }
  }
  b.line("Rating: " + rating_text(d, st));
  b.sep();
  const Json* files = d.contains("top_files") && d["top_files"].is_array() ? &d["top_files"] : nullptr;
  b.line(fmt::format("Files worked on: {}", format_count(count(d, "files_touched"))));
  if (files) {
    for (const auto& f : *files)
      b.line(fmt::format("  • {} ({}× modified, {}× @mentioned, +{}/-{})", truncate_text(str(f, "path"), 48),
                         count(f, "modifications"), count(f, "mentions"), format_count(count(f, "loc_added")),
                         format_count(count(f, "loc_removed"))));
  }
  b.sep();
  std::string tags = join_tags(d);
  b.line("Tags: " + (tags.empty() ? st.dim("none") : tags));
  b.text("Notes:", str(d, "notes"), "none");
  b.bottom();
  return b.str() + st.dim(fmt::format("Timeline: aidis session {} timeline", str(d, "display_id"))) + "\n";
}

std::string render_started(const Json& row, const Json& extra, const Style& st) {
  bool resumed = extra.is_object() && extra.value("resumed", false);
  std::string out =
      fmt::format("{} session {} on project {} (agent {})\n", resumed ? "Resumed" : "Started",
                  st.bold(str(row, "display_id")), st.bold(str(extra, "project_name")), str(row, "agent"));
  if (str(row, "title") != str(row, "display_id")) out += fmt::format("  Title: {}\n", str(row, "title"));
  std::string goal = str(row, "goal");
  out += goal.empty() ? st.dim("  Goal:  not set - use: aidis session goal \"<text>\"") + "\n"
                      : fmt::format("  Goal:  {}\n", goal);
  if (!str(row, "ai_model").empty()) out += fmt::format("  Model: {}\n", str(row, "ai_model"));
  out += fmt::format("  Id:    {}\n", str(row, "id"));
  return out;
}

std::string render_ended(const Json& row, const Json& extra, const std::optional<Measured>& measured,
                         const Style& st) {
  Box b(st);
  b.top();
  b.line(st.bold("SESSION SUMMARY") + " · " + st.bold(str(row, "display_id")));
  std::string title = str(row, "title");
  if (!title.empty() && title != str(row, "display_id")) b.line(truncate_text(title, kTextWidth));
  b.sep();
  b.field("Project", str(extra, "project_name"));
  b.field("Agent", str(row, "agent"));
  b.field("AI model", model_text(row, st));
  b.field("Status", status_word(row));
  auto wall = seconds_between(str(row, "started_at"), str(row, "ended_at"));
  b.field("Duration",
          fmt::format("{} ({} to {})", human_duration(wall.value_or(0)),
                      format_timestamp(str(row, "started_at")), format_timestamp(str(row, "ended_at"))));
  b.sep();
  b.text("Goal:", str(row, "goal"), "no goal set");
  b.blank();
  b.line("Work completed:");
  work_block(b, row);
  if (num(row, "score")) b.field("  Score", score_text(row, st), 14);
  if (measured) {
    // record_file() and end_session() ran in one transaction, so the
    // totals above include these lines.
    b.blank();
    b.line(fmt::format("git diff {}: {}, +{} / -{} lines, recorded",
                       measured->base.empty() ? "(no commit before the start)" : measured->base.substr(0, 12),
                       plural(measured->files, "file", "files"), format_count(measured->added),
                       format_count(measured->removed)));
  }
  b.sep();
  std::string tags = join_tags(row);
  b.line("Tags: " + (tags.empty() ? st.dim("none") : tags));
  b.text("Notes:", str(row, "notes"), "none");
  b.bottom();
  std::string id = str(row, "display_id");
  return b.str() +
         st.dim(fmt::format("Details: aidis session {}   Timeline: aidis session {} timeline", id, id)) +
         "\n";
}

std::string render_updated(Command cmd, const Json& row, const Style& st) {
  std::string id = st.bold(str(row, "display_id"));
  auto or_none = [&](const std::string& v) { return v.empty() ? st.dim("(none)") : v; };
  std::string tags = join_tags(row);
  switch (cmd) {
    case Command::SessionGoal:
      return fmt::format("Goal of {}: {}\n", id, or_none(str(row, "goal")));
    case Command::SessionTag:
      return fmt::format("Tags of {}: {}\n", id, or_none(tags));
    case Command::SessionNote: {
      std::string out = fmt::format("Notes of {}:\n", id);
      for (const auto& l : wrap_text(str(row, "notes"), kTextWidth)) out += "  " + l + "\n";
      return out;
    }
    case Command::SessionRename:
      return fmt::format("Title of {}: {}\n", id, str(row, "title"));
    default:
      break;
  }
  std::string out = fmt::format("Updated {}\n", id);
  auto field = [&](const char* label, const std::string& v) {
    out += fmt::format("  {} {}\n", pad(std::string(label) + ":", 13), or_none(v));
  };
  field("Title", str(row, "title"));
  field("Description", str(row, "description"));
  field("Goal", str(row, "goal"));
  field("Tags", tags);
  field("Model", str(row, "ai_model"));
  field("Agent", str(row, "agent"));
  auto notes = wrap_text(str(row, "notes"), kTextWidth - 4);
  if (notes.empty())
    field("Notes", "");
  else {
    out += "  Notes:\n";
    for (const auto& l : notes) out += "    " + l + "\n";
  }
  return out;
}

std::string render_rated(const Json& row, const Style& st) {
  return fmt::format("Rated {} {}\n", st.bold(str(row, "display_id")), rating_text(row, st));
}

std::string render_reassign_warning(const Json& answer, const Style& st) {
  std::string out = st.yellow("Warning:") + "\n";
  for (const auto& l : wrap_text(str(answer, "warning"), kTextWidth)) out += "  " + l + "\n";
  return out;
}

std::string render_reassigned(const Json& r, const Style& st) {
  const Json moved = r.contains("moved") ? r["moved"] : Json::object();
  return fmt::format("Moved {} from project {} to {}: {}, {}, {}, {}, {}\n", st.bold(str(r, "display_id")),
                     str(r, "from_project"), st.bold(str(r, "to_project")),
                     plural(count(moved, "contexts"), "context", "contexts"),
                     plural(count(moved, "tasks"), "task", "tasks"),
                     plural(count(moved, "decisions"), "decision", "decisions"),
                     plural(count(moved, "timeline_events"), "timeline event", "timeline events"),
                     plural(count(moved, "files"), "file", "files"));
}

std::string render_deleted(const Json& r, const Style& st) {
  const Json moved = r.contains("moved") ? r["moved"] : Json::object();
  return fmt::format("Deleted {}; its work moved to {}: {}, {}, {}, {}, {}\n", st.bold(str(r, "display_id")),
                     st.bold(str(r, "to_display_id")),
                     plural(count(moved, "contexts"), "context", "contexts"),
                     plural(count(moved, "tasks"), "task", "tasks"),
                     plural(count(moved, "decisions"), "decision", "decisions"),
                     plural(count(moved, "timeline_events"), "timeline event", "timeline events"),
                     plural(count(moved, "files"), "file", "files"));
}

std::string render_compacted(const Json& r, const Style& st) {
  if (str(r, "older_than") == "infinity")
    return "Nothing compacted: aidis.session_retention is 'infinity' (keep everything).\n";
  return fmt::format("Compacted {} older than {}: {} folded into {}\n",
                     plural(count(r, "sessions"), "session", "sessions"), st.bold(str(r, "older_than")),
                     plural(count(r, "events_removed") + count(r, "summaries"), "event", "events"),
                     plural(count(r, "summaries"), "summary", "summaries"));
}

std::string render_list(const Json& rows, int limit, int offset, const Style& st) {
  if (!rows.is_array() || rows.empty())
    return offset > 0 ? fmt::format("No sessions after the first {}.\n", offset) : "No sessions.\n";
  std::vector<std::vector<std::string>> table;
  for (const auto& r : rows) {
    std::string end = str(r, "ended_at").empty() ? str(r, "last_activity_at") : str(r, "ended_at");
    auto dur = seconds_between(str(r, "started_at"), end);
    std::string score = num(r, "score") ? numtext(r, "score") : "-";
    auto rating = num(r, "rating");
    table.push_back({str(r, "display_id"), format_timestamp_short(str(r, "started_at")),
                     human_duration(dur.value_or(0)), color_status(status_word(r), st),
                     truncate_text(str(r, "project_name"), 20), truncate_text(str(r, "agent"), 16),
                     fmt::format("{}/{}", count(r, "tasks_completed"), count(r, "tasks_created")),
                     format_count(count(r, "contexts_created")), format_count(count(r, "decisions_created")),
                     score, rating ? stars(static_cast<int>(*rating)) : "-",
                     truncate_text(str(r, "title"), 40)});
  }
  std::vector<std::string> header;
  for (const char* h : {"ID", "STARTED", "DURATION", "STATUS", "PROJECT", "AGENT", "TASKS", "CTX", "DEC",
                        "SCORE", "RATING", "TITLE"})
    header.push_back(st.bold(h));
  std::string out = format_table(
      header, table, {false, false, true, false, false, false, true, true, true, true, false, false});
  int n = static_cast<int>(rows.size());
  std::string footer = fmt::format("{} {}", n, n == 1 ? "session" : "sessions");
  if (offset > 0) footer += fmt::format(" (from #{})", offset + 1);
  if (n >= limit) footer += fmt::format("; more with --offset {}", offset + n);
  return out + st.dim(footer) + "\n";
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

std::string render_stats(const Json& s, const Style& st) {
  Box b(st);
  std::string period = str(s, "period");
  std::string upper;
  for (char c : period) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  b.top();
  std::string head = st.bold("SESSION STATISTICS - " + upper);
  if (!str(s, "project").empty()) head += " · project " + st.bold(str(s, "project"));
  b.line(head);
  b.line(st.dim(fmt::format("sessions started {} to {}", format_timestamp(str(s, "since")),
                            format_timestamp(str(s, "until")))));
  b.sep();
  const int w = 20;
  b.field("Total sessions",
          fmt::format("{} ({} active, {} rated)", format_count(count(s, "sessions")),
                      format_count(count(s, "active_sessions")), format_count(count(s, "rated_sessions"))),
          w);
  b.field("Total time",
          fmt::format("{} wall, {} active", human_duration(num(s, "total_wall_seconds").value_or(0)),
                      human_duration(num(s, "total_active_seconds").value_or(0))),
          w);
  b.field("Average session",
          fmt::format("{} wall, {} active", human_duration(num(s, "avg_wall_seconds").value_or(0)),
                      human_duration(num(s, "avg_active_seconds").value_or(0))),
          w);
  b.field("Average score", num(s, "avg_score") ? numtext(s, "avg_score") + "/100" : st.dim("—"), w);
  b.field("Average rating",
          num(s, "avg_rating") ? fmt::format("{:.2f}/5", *num(s, "avg_rating")) : st.dim("—"), w);
  b.sep();
  b.line("Tasks:");
  b.field("   Created", format_count(count(s, "tasks_created")), w);
  b.field("   Completed", format_count(count(s, "tasks_completed")), w);
  b.field("   Reopened", format_count(count(s, "tasks_reopened")), w);
  auto rate = num(s, "completion_rate");
  b.field("   Completion rate", rate ? fmt::format("{:.1f}%", *rate * 100) : st.dim("—"), w);
  b.blank();
  b.line("Knowledge:");
  b.field("   Decisions", format_count(count(s, "decisions_created")), w);
  b.field("   Context items", format_count(count(s, "contexts_created")), w);
  b.blank();
  b.line("Code:");
  b.field("   Lines added", "+" + format_count(count(s, "loc_added")), w);
  b.field("   Lines removed", "-" + format_count(count(s, "loc_removed")), w);
  std::int64_t net = count(s, "net_loc");
  b.field("   Net change", (net > 0 ? "+" : "") + format_count(net), w);
  b.blank();
  b.line("Tokens:");
  b.field("   Reported",
          fmt::format("{} in / {} out", format_count(count(s, "input_tokens")),
                      format_count(count(s, "output_tokens"))),
          w);
  b.field("   Cache",
          fmt::format("{} read / {} write", format_count(count(s, "cache_read_tokens")),
                      format_count(count(s, "cache_creation_tokens"))),
          w);
  b.field("   Estimated", format_count(count(s, "estimated_tokens")), w);
  b.sep();
  b.line("Insights:");
  const Json day = s.contains("most_productive_weekday") ? s["most_productive_weekday"] : Json();
  b.field("   Most productive",
          day.is_object() ? fmt::format("{} ({} completed in {})", str(day, "weekday"),
                                        plural(count(day, "tasks_completed"), "task", "tasks"),
                                        plural(count(day, "sessions"), "session", "sessions"))
                          : st.dim("—"),
          w);
  const Json model = s.contains("most_used_model") ? s["most_used_model"] : Json();
  b.field("   Preferred model",
          model.is_object() ? fmt::format("{} ({})", str(model, "model"),
                                          plural(count(model, "sessions"), "session", "sessions"))
                            : st.dim("—"),
          w);
  std::string tags;
  if (s.contains("top_tags") && s["top_tags"].is_array())
    for (const auto& t : s["top_tags"]) {
      if (!tags.empty()) tags += ", ";
      tags += fmt::format("{} ({})", str(t, "tag"), count(t, "sessions"));
    }
  b.field("   Top tags", tags.empty() ? st.dim("—") : tags, w);
  b.bottom();
  return b.str();
}

std::string render_compare(const Json& cmp, const Style& st) {
  const Json a = cmp.contains("a") ? cmp["a"] : Json::object();
  const Json bb = cmp.contains("b") ? cmp["b"] : Json::object();
  const Json delta = cmp.contains("delta") ? cmp["delta"] : Json::object();
  std::string out;
  out += fmt::format("{}  A = {} · {}\n", st.bold("Compare"), st.bold(str(a, "display_id")),
                     truncate_text(str(a, "title"), 50));
  out += fmt::format("{}  B = {} · {}\n", std::string(7, ' '), st.bold(str(bb, "display_id")),
                     truncate_text(str(bb, "title"), 50));
  out += "\n";
  std::vector<std::vector<std::string>> rows;
  auto text_row = [&](const char* label, const char* key) {
    rows.push_back({label, str(a, key).empty() ? "—" : truncate_text(str(a, key), 24),
                    str(bb, key).empty() ? "—" : truncate_text(str(bb, key), 24), ""});
  };
  auto delta_text = [&](const char* key, bool duration) -> std::string {
    auto d = num(delta, key);
    if (!d) return "";
    if (*d == 0) return st.dim("=");
    std::string v = duration ? human_duration(std::fabs(*d))
                    : delta[key].is_number_float()
                        ? fmt::format("{:.1f}", std::fabs(*d))
                        : format_count(static_cast<std::int64_t>(std::llround(std::fabs(*d))));
    std::string signed_v = (*d > 0 ? "+" : "-") + v;
    return *d > 0 ? st.green(signed_v) : st.red(signed_v);
  };
  auto num_row = [&](const char* label, const char* key) {
    rows.push_back({label, numtext(a, key), numtext(bb, key), delta_text(key, false)});
  };
  auto dur_row = [&](const char* label, const char* key) {
    rows.push_back({label, human_duration(num(a, key).value_or(0)), human_duration(num(bb, key).value_or(0)),
                    delta_text(key, true)});
  };
  text_row("project", "project_name");
  text_row("agent", "agent");
  text_row("model", "ai_model");
  rows.push_back({"status", status_word(a), status_word(bb), ""});
  rows.push_back({"started", format_timestamp_short(str(a, "started_at")),
                  format_timestamp_short(str(bb, "started_at")), ""});
  dur_row("wall time", "wall_seconds");
  dur_row("active time", "active_seconds");
  num_row("score", "score");
  num_row("rating", "rating");
  num_row("tasks created", "tasks_created");
  num_row("tasks completed", "tasks_completed");
  num_row("tasks reopened", "tasks_reopened");
  num_row("contexts", "contexts_created");
  num_row("decisions", "decisions_created");
  num_row("activity", "activity_count");
  num_row("lines added", "loc_added");
  num_row("lines removed", "loc_removed");
  num_row("files", "files_touched");
  num_row("input tokens", "input_tokens");
  num_row("output tokens", "output_tokens");
  num_row("estimated tokens", "estimated_tokens");
  out += format_table({"", "A", "B", "B - A"}, rows, {false, true, true, true});
  if (cmp.contains("signals") && cmp["signals"].is_object() && !cmp["signals"].empty()) {
    out += "\n" + st.bold("Score signals") + st.dim(" (points)") + "\n";
    std::vector<std::vector<std::string>> sig;
    for (auto it = cmp["signals"].begin(); it != cmp["signals"].end(); ++it)
      sig.push_back({it.key(), numtext(it.value(), "a"), numtext(it.value(), "b"), [&] {
                       auto d = num(it.value(), "delta");
                       if (!d || *d == 0) return st.dim("=");
                       std::string v = fmt::format("{}{:.1f}", *d > 0 ? "+" : "-", std::fabs(*d));
                       return *d > 0 ? st.green(v) : st.red(v);
                     }()});
    out += format_table({"", "A", "B", "B - A"}, sig, {false, true, true, true});
  }
  return out;
}

std::string render_brief(const Json& br, const Style& st) {
  const Json s = br.contains("session") ? br["session"] : Json::object();
  std::string out;
  out += st.bold(fmt::format("Brief for {}", str(s, "display_id")));
  if (str(s, "title") != str(s, "display_id")) out += " · " + truncate_text(str(s, "title"), 50);
  out += "\n";
  out += fmt::format("  Project: {}   Agent: {}   Model: {}   Status: {}\n", str(s, "project_name"),
                     str(s, "agent"), str(s, "ai_model").empty() ? "—" : str(s, "ai_model"), status_word(s));
  out += fmt::format("  Started: {}\n", format_timestamp(str(s, "started_at")));
  out += fmt::format("  Goal:    {}\n", str(s, "goal").empty() ? st.dim("not set") : str(s, "goal"));
  std::string tags = join_tags(s);
  if (!tags.empty()) out += fmt::format("  Tags:    {}\n", tags);
  out += fmt::format("  So far:  {}/{} tasks completed, {}, {}\n", count(s, "tasks_completed"),
                     count(s, "tasks_created"), plural(count(s, "contexts_created"), "context", "contexts"),
                     plural(count(s, "decisions_created"), "decision", "decisions"));

  out += "\n" + st.bold("Previous session") + "\n";
  const Json p = br.contains("previous_session") ? br["previous_session"] : Json();
  if (!p.is_object()) {
    out += st.dim("  none on this project") + "\n";
  } else {
    out += fmt::format("  {} · {} · {} · {}\n", st.bold(str(p, "display_id")),
                       truncate_text(str(p, "title"), 40), status_word(p),
                       human_duration(num(p, "wall_seconds").value_or(0)));
    out += fmt::format("  Started: {}\n", format_timestamp(str(p, "started_at")));
    if (!str(p, "goal").empty()) out += fmt::format("  Goal:    {}\n", str(p, "goal"));
    out += fmt::format("  Result:  {}/{} tasks completed ({} reopened), {}, {}", count(p, "tasks_completed"),
                       count(p, "tasks_created"), count(p, "tasks_reopened"),
                       plural(count(p, "contexts_created"), "context", "contexts"),
                       plural(count(p, "decisions_created"), "decision", "decisions"));
    if (num(p, "score")) out += ", score " + numtext(p, "score");
    if (num(p, "rating")) out += ", rated " + stars(static_cast<int>(*num(p, "rating")));
    out += "\n";
    auto list = [&](const char* key, const char* label) {
      if (!p.contains(key) || !p[key].is_array() || p[key].empty()) return;
      out += fmt::format("  {}:\n", label);
      for (const auto& item : p[key])
        out += "    • " + truncate_text(item.is_string() ? item.get<std::string>() : item.dump(), 70) + "\n";
    };
    list("completed_tasks", "Completed");
    list("last_contexts", "Last contexts");
    auto notes = wrap_text(str(p, "notes"), kTextWidth - 4);
    if (!notes.empty()) {
      out += "  Notes:\n";
      for (const auto& l : notes) out += "    " + l + "\n";
    }
  }

  out += "\n" + st.bold("Open tasks") + "\n";
  if (!br.contains("open_tasks") || !br["open_tasks"].is_array() || br["open_tasks"].empty()) {
    out += st.dim("  none") + "\n";
  } else {
    for (const auto& t : br["open_tasks"])
      out += fmt::format("  • [{}] {} {}\n", pad(str(t, "priority"), 6), truncate_text(str(t, "title"), 60),
                         st.dim("(" + str(t, "status") + ")"));
  }
  out += "\n" + st.bold("Recent decisions") + "\n";
  if (!br.contains("recent_decisions") || !br["recent_decisions"].is_array() ||
      br["recent_decisions"].empty()) {
    out += st.dim("  none") + "\n";
  } else {
    for (const auto& d : br["recent_decisions"])
      out += fmt::format("  • {} {} {}\n", format_timestamp_short(str(d, "created_at")),
                         truncate_text(str(d, "title"), 60), st.dim("(" + str(d, "status") + ")"));
  }
  return out;
}

}  // namespace aidis
