// The reports of one session: status, details, start, end, edits, rating,
// project moves, and the list of sessions.
#include "render.hpp"
#include "render_util.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace aidis {

using namespace render_detail;

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

std::string render_started(const Json& row, const Style& st) {
  bool resumed = row.is_object() && row.value("resumed", false);
  std::string out =
      fmt::format("{} session {} on project {} (agent {})\n", resumed ? "Resumed" : "Started",
                  st.bold(str(row, "display_id")), st.bold(str(row, "project_name")), str(row, "agent"));
  if (str(row, "title") != str(row, "display_id")) out += fmt::format("  Title: {}\n", str(row, "title"));
  std::string goal = str(row, "goal");
  out += goal.empty() ? st.dim("  Goal:  not set - use: aidis session goal \"<text>\"") + "\n"
                      : fmt::format("  Goal:  {}\n", goal);
  if (!str(row, "ai_model").empty()) out += fmt::format("  Model: {}\n", str(row, "ai_model"));
  out += fmt::format("  Id:    {}\n", str(row, "id"));
  return out;
}

std::string render_ended(const Json& row, const std::optional<Measured>& measured, const Style& st) {
  Box b(st);
  b.top();
  b.line(st.bold("SESSION SUMMARY") + " · " + st.bold(str(row, "display_id")));
  std::string title = str(row, "title");
  if (!title.empty() && title != str(row, "display_id")) b.line(truncate_text(title, kTextWidth));
  b.sep();
  b.field("Project", str(row, "project_name"));
  b.field("Agent", str(row, "agent"));
  b.field("AI model", model_text(row, st));
  b.field("Status", status_word(row));
  b.field("Duration",
          fmt::format("{} ({} to {})", human_duration(num(row, "wall_seconds").value_or(0)),
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

namespace {

// "N contexts, N tasks, N decisions, N timeline events, N files" of an answer's `moved`.
std::string moved_counts(const Json& r) {
  const Json moved = r.contains("moved") ? r["moved"] : Json::object();
  return fmt::format("{}, {}, {}, {}, {}", plural(count(moved, "contexts"), "context", "contexts"),
                     plural(count(moved, "tasks"), "task", "tasks"),
                     plural(count(moved, "decisions"), "decision", "decisions"),
                     plural(count(moved, "timeline_events"), "timeline event", "timeline events"),
                     plural(count(moved, "files"), "file", "files"));
}

}  // namespace

std::string render_reassigned(const Json& r, const Style& st) {
  return fmt::format("Moved {} from project {} to {}: {}\n", st.bold(str(r, "display_id")),
                     str(r, "from_project"), st.bold(str(r, "to_project")), moved_counts(r));
}

std::string render_deleted(const Json& r, const Style& st) {
  return fmt::format("Deleted {}; its work moved to {}: {}\n", st.bold(str(r, "display_id")),
                     st.bold(str(r, "to_display_id")), moved_counts(r));
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
    auto dur = num(r, "wall_seconds");
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

}  // namespace aidis
