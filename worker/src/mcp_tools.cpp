#include "mcp_tools.hpp"

#include <cctype>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace aidis::mcp {

namespace {

enum class Type { String, Int32, Int64, Strings };

struct Param {
  const char* name;
  Type type;
  bool required;
  const char* description;
  long long min = 0, max = -1;  // documented bounds (max < min: none); the extension enforces them
};

struct Tool {
  const char* name;
  const char* title;
  const char* description;
  std::vector<Param> params;
};

const Param kSession{"session", Type::String, false,
                     "A session: uuid, unique uuid prefix (8+ hex digits) or display id (SES-2026-0001). "
                     "Default: this client's session."};

const std::vector<Tool>& tools() {
  static const std::vector<Tool> all = {
      {"session_status",
       "Session status",
       "This client's session: status, project, agent, goal, tags, notes, counters (contexts, tasks, "
       "decisions), tokens, files, active time, score.",
       {}},
      {"session_start",
       "Start a new session",
       "Start a new session for this client now, ending its active one (as superseded). For a switch to "
       "unrelated work; the server already started or resumed a session when the client connected.",
       {{"title", Type::String, false, "Title (1..255 characters; default: the display id)."},
        {"goal", Type::String, false, "What the session is meant to achieve (up to 2000 characters)."},
        {"project", Type::String, false,
         "Project name or id (default: the project recognized for this client, else the extension's "
         "rule)."}}},
      {"session_end",
       "End a session",
       "End a session (default: this client's). The next tool call starts a new one.",
       {kSession}},
      {"session_set_goal",
       "Set the goal",
       "Set the goal of a session ('' clears it).",
       {{"goal", Type::String, true, "The goal (up to 2000 characters)."}, kSession}},
      {"session_add_note",
       "Add a note",
       "Append a line to the notes of a session.",
       {{"note", Type::String, true, "The note."}, kSession}},
      {"session_tag",
       "Tag a session",
       "Add tags to a session (kept once each).",
       {{"tags", Type::Strings, true, "Tags to add."}, kSession}},
      {"session_rate",
       "Rate a session",
       "Rate a session from 1 to 5 stars, with an optional note (replaces an earlier rating).",
       {{"stars", Type::Int32, true, "1 to 5.", 1, 5},
        {"note", Type::String, false, "Why (up to 2000 characters)."},
        kSession}},
      {"session_brief",
       "Session brief",
       "What to know when work starts: the session, the previous session on the project, its open "
       "tasks and recent decisions.",
       {kSession}},
      {"sessions_list",
       "List sessions",
       "Sessions, newest first, optionally matching a text and filtered by status and project.",
       {{"q", Type::String, false,
         "Text to find in display id, id prefix, title, description, goal, tags, agent or project name."},
        {"status", Type::String, false, "active, inactive or disconnected."},
        {"project", Type::String, false, "Project name or id."},
        {"limit", Type::Int32, false, "At most this many (default 50).", 1, 1000},
        {"offset", Type::Int32, false, "Skip this many (paging).", 0, std::numeric_limits<int>::max()}}},
      {"session_details",
       "Session details",
       "Everything about one session: fields, counters, tokens, files, active time, score.",
       {{"session", Type::String, true,
         "The session: uuid, unique uuid prefix (8+ hex digits) or display id (SES-2026-0001)."}}},
      {"session_timeline",
       "Session timeline",
       "The events of a session in order (starts, contexts, tasks, decisions, usage, files, ends).",
       {kSession,
        {"limit", Type::Int32, false, "At most this many events (default 500).", 1, 10000},
        {"after_id", Type::Int64, false, "Only events with an id above this one (paging).", 0,
         std::numeric_limits<long long>::max()}}},
      {"session_record_usage",
       "Record token usage",
       "Add the tokens of one or more model calls to a session (default: this client's).",
       {{"input_tokens", Type::Int64, true, "Input tokens.", 0, std::numeric_limits<long long>::max()},
        {"output_tokens", Type::Int64, true, "Output tokens.", 0, std::numeric_limits<long long>::max()},
        {"cache_read_tokens", Type::Int64, false, "Tokens read from the prompt cache (default 0).", 0,
         std::numeric_limits<long long>::max()},
        {"cache_creation_tokens", Type::Int64, false, "Tokens written to the prompt cache (default 0).", 0,
         std::numeric_limits<long long>::max()},
        {"model", Type::String, false, "The model, e.g. claude-sonnet-4-5 (becomes the session's ai_model)."},
        kSession}},
      {"session_record_file",
       "Record a changed file",
       "Record a file changed in a session, with the lines added and removed.",
       {{"path", Type::String, true, "The file's path (1..4096 characters)."},
        {"lines_added", Type::Int64, false, "Lines added (default 0).", 0,
         std::numeric_limits<long long>::max()},
        {"lines_removed", Type::Int64, false, "Lines removed (default 0).", 0,
         std::numeric_limits<long long>::max()},
        kSession}},
  };
  return all;
}

const Tool* find_tool(std::string_view name) {
  for (const auto& t : tools())
    if (name == t.name) return &t;
  return nullptr;
}

Json schema_of(const Param& p) {
  Json s;
  switch (p.type) {
    case Type::String:
      s["type"] = "string";
      break;
    case Type::Int32:
    case Type::Int64:
      s["type"] = "integer";
      if (p.max >= p.min) {
        s["minimum"] = p.min;
        s["maximum"] = p.max;
      }
      break;
    case Type::Strings:
      s["type"] = "array";
      s["items"] = {{"type", "string"}};
      break;
  }
  s["description"] = p.description;
  return s;
}

// An integer argument as decimal text; nullopt if it is not one that fits.
std::optional<std::string> integer_text(const Json& v, Type type) {
  long long lo =
      type == Type::Int32 ? std::numeric_limits<int>::min() : std::numeric_limits<long long>::min();
  long long hi =
      type == Type::Int32 ? std::numeric_limits<int>::max() : std::numeric_limits<long long>::max();
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(hi))
      return std::nullopt;
    long long n = v.get<long long>();
    if (n < lo || n > hi) return std::nullopt;
    return std::to_string(n);
  }
  if (v.is_number_float()) {  // JSON Schema integers include 3.0
    double d = v.get<double>();
    if (!std::isfinite(d) || d != std::trunc(d) || std::fabs(d) > 9007199254740992.0) return std::nullopt;
    long long n = static_cast<long long>(d);
    if (n < lo || n > hi) return std::nullopt;
    return std::to_string(n);
  }
  return std::nullopt;
}

std::optional<std::string> opt_string(const Json& args, const char* key) {
  if (args.contains(key)) return args[key].get<std::string>();
  return std::nullopt;
}

std::optional<std::string> opt_integer(const Json& args, const char* key, Type type) {
  if (args.contains(key)) return integer_text(args[key], type);
  return std::nullopt;
}

// The session a tool is about: the one named, else this client's.
std::optional<std::string> target(const Json& args, const ToolContext& ctx) {
  auto named = opt_string(args, "session");
  return named ? named : ctx.session_id;
}

Options session_options(Command cmd, const Json& args, const ToolContext& ctx) {
  Options o;
  o.command = cmd;
  o.session.session = target(args, ctx);
  return o;
}

}  // namespace

Json tool_list(bool with_titles) {
  Json list = Json::array();
  for (const auto& t : tools()) {
    Json props = Json::object();
    Json required = Json::array();
    for (const auto& p : t.params) {
      props[p.name] = schema_of(p);
      if (p.required) required.push_back(p.name);
    }
    Json schema = {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
    if (!required.empty()) schema["required"] = required;
    Json entry = {{"name", t.name}, {"description", t.description}, {"inputSchema", schema}};
    if (with_titles) entry["title"] = t.title;
    list.push_back(entry);
  }
  return list;
}

bool tool_exists(std::string_view name) { return find_tool(name) != nullptr; }

std::optional<std::string> check_arguments(std::string_view tool, const Json& args) {
  const Tool* t = find_tool(tool);
  if (!t) return fmt::format("unknown tool: {}", tool);
  if (!args.is_object()) return "arguments must be an object";
  for (const auto& [key, value] : args.items()) {
    const Param* p = nullptr;
    for (const auto& q : t->params)
      if (key == q.name) p = &q;
    if (!p) return fmt::format("{}: unknown argument '{}'", tool, key);
    switch (p->type) {
      case Type::String:
        if (!value.is_string()) return fmt::format("{}: '{}' must be a string", tool, key);
        break;
      case Type::Int32:
      case Type::Int64:
        if (!integer_text(value, p->type))
          return fmt::format("{}: '{}' must be an integer{}", tool, key,
                             p->type == Type::Int32 ? " (32-bit)" : " (64-bit)");
        break;
      case Type::Strings:
        if (!value.is_array()) return fmt::format("{}: '{}' must be an array of strings", tool, key);
        for (const auto& item : value)
          if (!item.is_string()) return fmt::format("{}: '{}' must be an array of strings", tool, key);
        break;
    }
  }
  for (const auto& p : t->params)
    if (p.required && !args.contains(p.name)) return fmt::format("{}: missing argument '{}'", tool, p.name);
  return std::nullopt;
}

SqlCall start_call(const ToolContext& ctx, const std::optional<std::string>& title,
                   const std::optional<std::string>& goal, bool force_new) {
  Options o;
  o.command = Command::SessionStart;
  o.session.agent = ctx.agent;
  o.session.project = ctx.project;
  o.session.title = title;
  o.session.goal = goal;
  o.session.client_key = ctx.client_key;
  o.session.force_new = force_new;
  // The session card, with "resumed": whether an active session was taken up.
  return build_call(o);
}

SqlCall touch_call(const std::string& session_id) { return {"SELECT aidis.touch($1::text)", {session_id}}; }

SqlCall project_for_path_call(const std::string& path) {
  return {
      "SELECT CASE WHEN p.id IS NOT NULL THEN jsonb_build_object('id', p.id, 'name', p.name, "
      "'root_directory', p.root_directory)::text END FROM aidis.project_for_path($1::text) p",
      {path}};
}

SqlCall tool_call(std::string_view tool, const Json& args, const ToolContext& ctx) {
  if (tool == "session_status") return build_call(session_options(Command::SessionShow, {}, ctx));
  if (tool == "session_start") {
    ToolContext c = ctx;
    if (auto p = opt_string(args, "project")) c.project = p;
    return start_call(c, opt_string(args, "title"), opt_string(args, "goal"), true);
  }
  if (tool == "session_end") return build_call(session_options(Command::SessionEnd, args, ctx));
  if (tool == "session_set_goal") {
    Options o = session_options(Command::SessionGoal, args, ctx);
    o.session.text = args["goal"].get<std::string>();
    return build_call(o);
  }
  if (tool == "session_add_note") {
    Options o = session_options(Command::SessionNote, args, ctx);
    o.session.text = args["note"].get<std::string>();
    return build_call(o);
  }
  if (tool == "session_tag") {
    Options o = session_options(Command::SessionTag, args, ctx);
    o.session.tags = args["tags"].get<std::vector<std::string>>();
    return build_call(o);
  }
  if (tool == "session_rate") {
    Options o = session_options(Command::SessionRate, args, ctx);
    o.session.stars = std::stoi(*integer_text(args["stars"], Type::Int32));
    o.session.note = opt_string(args, "note");
    return build_call(o);
  }
  if (tool == "session_brief") return build_call(session_options(Command::SessionBrief, args, ctx));
  if (tool == "sessions_list") {
    Options o;
    o.command = Command::SessionsList;
    o.list.q = opt_string(args, "q");
    o.list.status = opt_string(args, "status");
    o.list.project = opt_string(args, "project");
    if (auto v = opt_integer(args, "limit", Type::Int32)) o.list.limit = std::stoi(*v);
    if (auto v = opt_integer(args, "offset", Type::Int32)) o.list.offset = std::stoi(*v);
    return build_call(o);
  }
  if (tool == "session_details") return build_call(session_options(Command::SessionShow, args, ctx));
  if (tool == "session_timeline") {
    Options o = session_options(Command::SessionTimeline, args, ctx);
    if (auto v = opt_integer(args, "limit", Type::Int32)) o.session.limit = std::stoi(*v);
    if (auto v = opt_integer(args, "after_id", Type::Int64)) o.session.after = std::stoll(*v);
    return build_call(o);
  }
  if (tool == "session_record_usage") {
    return {
        "SELECT jsonb_build_object('recorded', 'usage')::text FROM aidis.record_usage("
        "input_tokens => $1::bigint, output_tokens => $2::bigint, cache_read_tokens => $3::bigint, "
        "cache_creation_tokens => $4::bigint, model => $5::text, s => $6::text)",
        {opt_integer(args, "input_tokens", Type::Int64), opt_integer(args, "output_tokens", Type::Int64),
         opt_integer(args, "cache_read_tokens", Type::Int64).value_or("0"),
         opt_integer(args, "cache_creation_tokens", Type::Int64).value_or("0"), opt_string(args, "model"),
         target(args, ctx)}};
  }
  if (tool == "session_record_file") {
    return {
        "SELECT jsonb_build_object('recorded', 'file')::text FROM aidis.record_file("
        "path => $1::text, lines_added => $2::bigint, lines_removed => $3::bigint, s => $4::text)",
        {opt_string(args, "path"), opt_integer(args, "lines_added", Type::Int64).value_or("0"),
         opt_integer(args, "lines_removed", Type::Int64).value_or("0"), target(args, ctx)}};
  }
  throw std::logic_error(fmt::format("no SQL call for tool {}", tool));
}

Json tool_result(std::string_view tool, const std::optional<std::string>& value) {
  Json v = value ? Json::parse(*value) : Json();
  if (tool == "sessions_list") return {{"sessions", v.is_null() ? Json::array() : v}};
  if (tool == "session_timeline") return {{"events", v.is_null() ? Json::array() : v}};
  if (v.is_object()) return v;
  return {{"result", v}};
}

std::optional<std::string> path_from_file_uri(std::string_view uri) {
  constexpr std::string_view scheme = "file://";
  if (uri.size() < scheme.size()) return std::nullopt;
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(uri[i])) != scheme[i]) return std::nullopt;
  uri.remove_prefix(scheme.size());
  // file:///p (empty authority) or file://localhost/p; another host is not local.
  auto slash = uri.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view host = uri.substr(0, slash);
  if (!host.empty() && host != "localhost") return std::nullopt;
  uri.remove_prefix(slash);
  uri = uri.substr(0, uri.find_first_of("?#"));
  std::string path;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] != '%') {
      path += uri[i];
      continue;
    }
    if (i + 2 >= uri.size()) return std::nullopt;
    int hi = hex(uri[i + 1]), lo = hex(uri[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return std::nullopt;
    path += c;
    i += 2;
  }
  return path;
}

std::optional<std::string> proc_start_time(std::string_view stat) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // fields are counted after the last ')'; starttime is field 22.
  auto close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = stat.substr(close + 1);
  int field = 2;
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    size_t start = i;
    while (i < rest.size() && rest[i] != ' ' && rest[i] != '\n') ++i;
    if (start == i) break;
    if (++field == 22) {
      std::string_view v = rest.substr(start, i - start);
      if (v.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
      return std::string(v);
    }
  }
  return std::nullopt;
}

}  // namespace aidis::mcp
