// The tools of `aidis mcp`: their JSON Schemas, the checks of their
// arguments, and the one SQL API call each makes (docs/mcp.md). Pure,
// unit-tested; mcp_server.cpp dispatches, mcp_main.cpp runs the SQL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "calls.hpp"

namespace aidis::mcp {

using Json = nlohmann::json;

// The tools/list entries. `with_titles`: the protocol has tool titles
// (2025-06-18 on).
Json tool_list(bool with_titles);

bool tool_exists(std::string_view name);

// Checks `args` (an object) against the tool's input schema: known names,
// JSON types, required ones, integers within their SQL type. Returns what is
// wrong, or nullopt. Values (a range, an empty title, an unknown session)
// are the extension's to refuse.
std::optional<std::string> check_arguments(std::string_view tool, const Json& args);

// What a tool call knows about the client and its session.
struct ToolContext {
  std::string agent;  // clientInfo.name (the extension normalizes it)
  std::string client_key;
  std::optional<std::string> session_id;  // this client's session (uuid)
  std::optional<std::string> project;     // the project recognized for this client, if any
};

// The one SQL call of the tool; `args` passed check_arguments(). Column 1
// of its one row is the result as JSON text.
SqlCall tool_call(std::string_view tool, const Json& args, const ToolContext& ctx);

// The tool's structuredContent (always an object) from column 1.
Json tool_result(std::string_view tool, const std::optional<std::string>& value);

// aidis.start_session for this client; column 1 is the session row as JSON,
// with "resumed" added.
SqlCall start_call(const ToolContext& ctx, const std::optional<std::string>& title,
                   const std::optional<std::string>& goal, bool force_new);
// aidis.touch of the session.
SqlCall touch_call(const std::string& session_id);
// aidis.project_for_path: column 1 the project as JSON, NULL when none contains it.
SqlCall project_for_path_call(const std::string& path);

// "file:///home/me/shop%20x" → "/home/me/shop x"; nullopt for anything but
// a local file URI (or one whose escapes do not decode to a path).
std::optional<std::string> path_from_file_uri(std::string_view uri);

// Field 22 (starttime) of /proc/<pid>/stat; nullopt when malformed.
std::optional<std::string> proc_start_time(std::string_view stat);

}  // namespace aidis::mcp
