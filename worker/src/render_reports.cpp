// The reports over several sessions: stats, compare, and the brief.
#include "render.hpp"
#include "render_util.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace aidis {

using namespace render_detail;

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
