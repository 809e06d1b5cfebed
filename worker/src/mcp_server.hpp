// `aidis mcp`: the MCP server's protocol logic (JSON-RPC 2.0 over stdio,
// docs/mcp.md). It negotiates the protocol version, starts or resumes the
// client's session, asks clients that offer roots for them, answers tools/list
// and runs tools/call as one SQL API call each, after touching the session.
// Pure: the SQL runs through an Executor and messages leave through Send, so
// the dispatch is unit-tested without a server; mcp_main.cpp wires them to
// libpq and stdio.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "calls.hpp"
#include "mcp_framing.hpp"
#include "mcp_tools.hpp"

namespace aidis::mcp {

// Lines longer than this are refused (the longest tool argument the
// extension takes is 10 000 characters).
inline constexpr std::size_t kMaxMessageBytes = 4u << 20;

// JSON-RPC 2.0 error codes.
enum ErrorCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
};

// Newest first. The first is offered to a client asking for another one.
const std::vector<std::string>& supported_versions();
std::string negotiate_version(std::string_view requested);

// One SQL call's outcome: column 1 of its one row, or the server's error.
struct SqlOutcome {
  bool ok = false;
  std::optional<std::string> value;
  std::string sqlstate;  // empty: not from the server (e.g. no connection)
  std::string message, detail, hint;

  static SqlOutcome success(std::optional<std::string> value) {
    return {true, std::move(value), "", "", "", ""};
  }
  static SqlOutcome failure(std::string sqlstate, std::string message, std::string detail = "",
                            std::string hint = "") {
    return {false, std::nullopt, std::move(sqlstate), std::move(message), std::move(detail), std::move(hint)};
  }
};
using Executor = std::function<SqlOutcome(const SqlCall&)>;

struct ServerConfig {
  std::optional<std::string> project;  // --project: overrides the roots
  std::string client_key;
  std::string version;  // serverInfo.version
};

class Server {
 public:
  using Send = std::function<void(const std::string&)>;  // one message, without its "\n"
  using Log = std::function<void(const std::string&)>;

  Server(ServerConfig cfg, Executor exec, Send send, Log log);

  // One frame from the client.
  void on_frame(const Frame& frame);

  // Between initialize and the client's answer to roots/list, the session
  // waits for its project and tool calls are held.
  bool waiting_for_roots() const { return session_pending_; }
  // The roots did not come (in time, or before stdin closed): start the
  // session by the extension's rule and answer the held calls.
  void stop_waiting_for_roots();

  const std::optional<std::string>& session_id() const { return session_id_; }

 private:
  void dispatch(const Frame& frame);
  void send(const nlohmann::json& message);
  std::optional<nlohmann::json> handle(const nlohmann::json& message);
  nlohmann::json handle_request(const nlohmann::json& id, const std::string& method,
                                const nlohmann::json& params);
  std::optional<nlohmann::json> check_tool_call(const nlohmann::json& id, const nlohmann::json& params) const;
  nlohmann::json initialize(const nlohmann::json& id, const nlohmann::json& params);
  void handle_notification(const std::string& method);
  void handle_response(const nlohmann::json& message);
  nlohmann::json call_tool(const std::string& name, const nlohmann::json& args);
  nlohmann::json tool_error(const SqlOutcome& failure, std::string_view prefix = {}) const;
  void request_roots();
  void on_roots(const std::optional<std::string>& path);
  SqlOutcome start_session();
  void release_held();
  ToolContext context() const;
  bool structured() const;

  ServerConfig cfg_;
  Executor exec_;
  Send send_;
  Log log_;

  bool initialized_ = false;
  std::string version_;
  std::string client_name_;
  bool client_roots_ = false;

  std::optional<std::string> session_id_;
  std::optional<std::string> session_project_id_;
  std::optional<std::string> project_;  // --project, else the project of the client's first root

  bool session_pending_ = false;
  std::optional<long long> roots_request_;  // id of the roots/list request in flight
  long long next_request_id_ = 1;
  std::vector<nlohmann::json> held_;  // tools/call requests waiting for the session
};

}  // namespace aidis::mcp
