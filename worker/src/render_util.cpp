// The pieces the reports share: JSON field access, the status words and the
// summary box of a session.
#include "render_util.hpp"

#include <cmath>

#include <fmt/format.h>

namespace aidis::render_detail {

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
std::string numtext(const Json& j, const char* key, const char* missing) {
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
  // The label is the database's (aidis.score_label); its colour follows it.
  const std::string label = str(s, "score_label");
  std::string colored = label == "Excellent session" || label == "Good session" ? st.green(label)
                        : label == "Decent session"                             ? st.yellow(label)
                                                                                : st.red(label);
  std::string source = str(s, "score_source");
  return fmt::format("{}/100{}{}", numtext(s, "score"), label.empty() ? "" : " " + colored,
                     source.empty() ? "" : st.dim(" (" + source + ")"));
}

}  // namespace aidis::render_detail
