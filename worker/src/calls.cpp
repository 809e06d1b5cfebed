#include "calls.hpp"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace aidis {

namespace {

using Param = std::optional<std::string>;

// The `sessions` row a function returns, as aidis.session_card() shows it
// (with its project's name, wall seconds, score label and `resumed`).
std::string row_call(std::string_view call) {
  return fmt::format("SELECT aidis.session_card(s)::text FROM {} s", call);
}

// A set-returning function as a JSON array, in the order it returns rows.
std::string table_call(std::string_view call) {
  return fmt::format(
      "SELECT COALESCE(jsonb_agg(to_jsonb(r) - 'ordinality' ORDER BY r.ordinality), '[]')::text "
      "FROM {} WITH ORDINALITY r",
      call);
}

constexpr const char* kUpdate =
    "aidis.update_session(s => $1::text, title => $2::text, description => $3::text, goal => $4::text, "
    "tags => $5::text[], notes => $6::text, ai_model => $7::text, agent => $8::text, "
    "add_tags => $9::text[], append_notes => $10::text)";

// `tag` adds to the tags and `note` appends a line to the notes: the server
// does it under the session's row lock, so concurrent additions all stay.
SqlCall update_call(const SessionOptions& s, Param title, Param description, Param goal,
                    std::optional<std::vector<std::string>> tags, const Param& notes, Param model,
                    Param agent, bool add_tags, bool append_note) {
  Param tag_list = tags ? Param(pg_text_array(*tags)) : std::nullopt;
  SqlCall c;
  c.sql = row_call(kUpdate);
  c.params = {s.session,
              std::move(title),
              std::move(description),
              std::move(goal),
              add_tags ? std::nullopt : tag_list,
              append_note ? std::nullopt : notes,
              std::move(model),
              std::move(agent),
              add_tags ? tag_list : std::nullopt,
              append_note ? notes : std::nullopt};
  return c;
}

}  // namespace

SqlCall build_call(const Options& opts) {
  const SessionOptions& s = opts.session;
  switch (opts.command) {
    case Command::SessionShow:
      return {"SELECT aidis.session_details($1::text)::text", {s.session}};
    case Command::SessionStart:
      return {row_call("aidis.start_session(agent => $1::text, project => $2::text, title => $3::text, "
                       "goal => $4::text, ai_model => $5::text, client_key => $6::text, "
                       "force_new => $7::boolean)"),
              {s.agent, s.project, s.title, s.goal, s.model, s.client_key,
               std::string(s.force_new ? "true" : "false")}};
    case Command::SessionEnd:
      if (s.measure_loc) throw std::logic_error("session end --measure-loc takes two steps");
      return {row_call("aidis.end_session($1::text)"), {s.session}};
    case Command::SessionGoal:
      return update_call(s, {}, {}, s.text, {}, {}, {}, {}, false, false);
    case Command::SessionTag:
      return update_call(s, {}, {}, {}, s.tags, {}, {}, {}, true, false);
    case Command::SessionNote:
      return update_call(s, {}, {}, {}, {}, s.text, {}, {}, false, true);
    case Command::SessionRename:
      return update_call(s, s.text, {}, {}, {}, {}, {}, {}, false, false);
    case Command::SessionEdit: {
      std::optional<std::vector<std::string>> tags;
      if (s.tags_csv) tags = split_tags(*s.tags_csv);
      return update_call(s, s.title, s.description, s.goal, tags, s.notes, s.model, s.agent, false, false);
    }
    case Command::SessionRate:
      return {row_call("aidis.rate_session($1::text, $2::integer, $3::text)"),
              {s.session, std::to_string(s.stars), s.note}};
    case Command::SessionTimeline:
      // The second column names the session for the header.
      return {
          "SELECT (" + table_call("aidis.session_timeline($1::text, $2::integer, $3::bigint)") +
              "), (SELECT jsonb_build_object('display_id', d -> 'display_id', 'title', d -> 'title', "
              "'status', d -> 'status', 'started_at', d -> 'started_at', 'ended_at', d -> 'ended_at')::text "
              "FROM aidis.session_details($1::text) d)",
          {s.session, std::to_string(s.limit), std::to_string(s.after)}};
    case Command::SessionBrief:
      return {"SELECT aidis.session_brief($1::text)::text", {s.session}};
    case Command::SessionsList: {
      const ListOptions& l = opts.list;
      return {table_call("aidis.list_sessions(q => $1::text, status => $2::text, project => $3::text, "
                         "lim => $4::integer, off => $5::integer)"),
              {l.q, l.status, l.project, std::to_string(l.limit), std::to_string(l.offset)}};
    }
    case Command::SessionsStats:
      return {"SELECT aidis.session_stats($1::text, $2::text)::text",
              {opts.stats.period, opts.stats.project}};
    case Command::SessionsCompare:
      return {"SELECT aidis.compare_sessions($1::text, $2::text)::text", {opts.compare.a, opts.compare.b}};
    case Command::SessionsExport: {
      // In the SELECT list: the rows stream as the server makes them.
      const TransferOptions& t = opts.transfer;
      return {
          "SELECT aidis.export_sessions(q => $1::text, status => $2::text, project => $3::text, "
          "since => $4::timestamptz)::text",
          {t.q, t.status, t.project, t.since}};
    }
    case Command::SessionsImport:
      // Once per document, all in one transaction (import_call).
      throw std::logic_error("sessions import sends one call per document: use import_call");
    case Command::SessionsCompact:
      // A procedure committing after each batch: CALL, outside a transaction block.
      return {"CALL aidis.compact_activity($1::interval)", {opts.compact_older_than}};
    case Command::SessionProject:
      throw std::logic_error("session project takes two steps: use reassign_call");
    case Command::SessionDelete:
      throw std::logic_error("session delete takes two steps: use delete_call");
    case Command::Worker:
    case Command::Mcp:
    case Command::Serve:
    case Command::None:
      break;
  }
  throw std::logic_error("not a SQL command");
}

SqlCall reassign_call(const std::optional<std::string>& session, const std::string& project,
                      const std::optional<std::string>& confirm) {
  return {"SELECT aidis.reassign_project($1::text, $2::text, $3::text)::text", {session, project, confirm}};
}

SqlCall import_call(const std::string& document) {
  return {"SELECT to_jsonb(r)::text FROM aidis.session_import($1::jsonb) r", {document}};
}

SqlCall delete_call(const std::optional<std::string>& session, const std::optional<std::string>& confirm) {
  return {"SELECT aidis.delete_session($1::text, $2::text)::text", {session, confirm}};
}

SqlCall measure_info_call(const std::optional<std::string>& session) {
  return {"SELECT aidis.session_details($1::text)::text", {session}};
}

SqlCall end_measured_call(const std::string& session_id, const std::vector<FileDelta>& files) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : files) list.push_back({{"path", f.path}, {"added", f.added}, {"removed", f.removed}});
  return {row_call("aidis.end_session($1::text, files => $2::jsonb)"),
          {session_id, list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)}};
}

std::vector<FileDelta> parse_numstat_z(std::string_view out) {
  std::vector<FileDelta> files;
  auto count = [](std::string_view field) -> long long {
    if (field == "-") return 0;  // binary file
    long long v = 0;
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
    if (ec != std::errc() || end != field.data() + field.size() || v < 0 || field.empty())
      throw std::runtime_error(fmt::format("unexpected git diff --numstat count '{}'", field));
    return v;
  };
  while (!out.empty()) {
    auto nul = out.find('\0');
    if (nul == std::string_view::npos)
      throw std::runtime_error("git diff --numstat output is not NUL-terminated");
    std::string_view rec = out.substr(0, nul);
    out.remove_prefix(nul + 1);
    auto t1 = rec.find('\t');
    auto t2 = t1 == std::string_view::npos ? t1 : rec.find('\t', t1 + 1);
    if (t2 == std::string_view::npos || t2 + 1 >= rec.size())
      throw std::runtime_error(fmt::format("unexpected git diff --numstat line '{}'", rec));
    files.push_back(
        {std::string(rec.substr(t2 + 1)), count(rec.substr(0, t1)), count(rec.substr(t1 + 1, t2 - t1 - 1))});
  }
  return files;
}

std::string pg_text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string pg_bigint_array(const std::vector<long long>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + std::to_string(items[i]);
  return out + "}";
}

std::string json_reindent(std::string_view json, int indent) {
  std::string out;
  int depth = 0;
  bool in_string = false, escaped = false;
  auto newline = [&] {
    out += '\n';
    out.append(static_cast<size_t>(depth) * static_cast<size_t>(indent), ' ');
  };
  auto next_significant = [&](size_t i) {
    while (i < json.size() && (json[i] == ' ' || json[i] == '\n' || json[i] == '\t' || json[i] == '\r')) ++i;
    return i;
  };
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out += c;
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        out += c;
        break;
      case '{':
      case '[': {
        size_t j = next_significant(i + 1);
        char close = c == '{' ? '}' : ']';
        if (j < json.size() && json[j] == close) {  // empty: {} or []
          out += c;
          out += close;
          i = j;
          break;
        }
        out += c;
        ++depth;
        newline();
        break;
      }
      case '}':
      case ']':
        --depth;
        newline();
        out += c;
        break;
      case ',':
        out += c;
        newline();
        break;
      case ':':
        out += ": ";
        break;
      case ' ':
      case '\n':
      case '\t':
      case '\r':
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace aidis
