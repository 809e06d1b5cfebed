// `aidis sessions export --format md`: an exported session (docs/export.md)
// as a Markdown section holding the summary box, its top files and its
// timeline, drawn by the same code as the other reports.
#include <algorithm>

#include <fmt/format.h>

#include "render.hpp"
#include "render_util.hpp"

namespace aidis {

using namespace render_detail;

std::string render_export_md(const Json& doc) {
  const Style st;  // a file: no colors
  Json s = doc.contains("session") && doc["session"].is_object() ? doc["session"] : Json::object();
  const Json files = doc.contains("files") && doc["files"].is_array() ? doc["files"] : Json::array();
  const Json events =
      doc.contains("timeline") && doc["timeline"].is_array() ? doc["timeline"] : Json::array();
  s["files_touched"] = files.size();

  Box b(st);
  b.top();
  title_block(b, s, st);
  b.sep();
  b.field("Project", doc.contains("project") ? str(doc["project"], "name") : "");
  b.field("Agent", str(s, "agent"));
  b.field("AI model", model_text(s, st));
  b.field("Started", format_timestamp(str(s, "started_at")));
  b.field("Ended", str(s, "ended_at").empty() ? "— (active)" : format_timestamp(str(s, "ended_at")));
  b.field("Duration", human_duration(num(s, "wall_seconds").value_or(0)));
  b.field("Id", str(s, "id"));
  b.sep();
  b.text("Goal:", str(s, "goal"), "not set");
  b.sep();
  b.line("Work:");
  work_block(b, s);
  b.line("Score: " + score_text(s, st));
  b.line("Rating: " + (num(s, "rating") ? rating_text(s, st) : std::string("not rated")));
  b.sep();
  // The files worked on most, as session_details orders its top_files.
  std::vector<const Json*> top;
  for (const auto& f : files) top.push_back(&f);
  std::stable_sort(top.begin(), top.end(), [](const Json* x, const Json* y) {
    auto work = [](const Json* f) { return count(*f, "modifications") + count(*f, "mentions"); };
    return work(x) > work(y);
  });
  if (top.size() > 10) top.resize(10);
  b.line(fmt::format("Files worked on: {}", format_count(static_cast<std::int64_t>(files.size()))));
  for (const Json* f : top)
    b.line(fmt::format("  • {} ({}× modified, {}× @mentioned, +{}/-{})", truncate_text(str(*f, "path"), 48),
                       count(*f, "modifications"), count(*f, "mentions"),
                       format_count(count(*f, "loc_added")), format_count(count(*f, "loc_removed"))));
  b.bottom();

  std::string title = str(s, "title");
  std::string out = fmt::format("## {}{}\n\n```text\n", str(s, "display_id"),
                                title.empty() || title == str(s, "display_id") ? "" : " · " + title);
  out += b.str() + "\n";
  out += render_timeline(events, s, static_cast<int>(events.size()) + 1, st);
  out += "```\n";
  return out;
}

}  // namespace aidis
