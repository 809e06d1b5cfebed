#include "mcp_server.hpp"
#include "sqlstate.hpp"

#include <algorithm>
#include <exception>

#include <fmt/format.h>

namespace aidis::mcp {

namespace {

using Json = nlohmann::json;

constexpr const char* kInstructions =
    "Session tracking for AIDIS. This server started or resumed your session when you connected and "
    "records activity on every tool call. Call session_brief at the start of work; set a goal with "
    "session_set_goal; record token usage and changed files; rate the session when done.";

Json error_response(const Json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

Json result_response(const Json& id, Json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

// A request id: a string or an integer (MCP: never null).
bool valid_id(const Json& id) { return id.is_string() || id.is_number_integer(); }

std::string describe(const SqlOutcome& o) {
  std::string s = o.message;
  if (!o.sqlstate.empty()) s += fmt::format(" (SQLSTATE {})", o.sqlstate);
  return s;
}

}  // namespace

const std::vector<std::string>& supported_versions() {
  static const std::vector<std::string> v = {"2025-06-18", "2025-03-26", "2024-11-05"};
  return v;
}

std::string negotiate_version(std::string_view requested) {
  const auto& v = supported_versions();
  return std::find(v.begin(), v.end(), requested) != v.end() ? std::string(requested) : v.front();
}

Server::Server(ServerConfig cfg, Executor exec, Send send, Log log)
    : cfg_(std::move(cfg)), exec_(std::move(exec)), send_(std::move(send)), log_(std::move(log)) {
  project_ = cfg_.project;
}

void Server::send(const Json& message) {
  // Strings from the client were valid UTF-8 (the parser checked); replace
  // anything else rather than fail to answer.
  send_(message.dump(-1, ' ', false, Json::error_handler_t::replace));
}

bool Server::structured() const { return version_ >= "2025-06-18"; }

ToolContext Server::context() const { return {client_name_, cfg_.client_key, session_id_, project_}; }

void Server::on_frame(const Frame& frame) {
  // Requests that fail are answered with -32603 in handle(); this catches
  // what fails outside a request (a response, a held call's release).
  try {
    dispatch(frame);
  } catch (const std::exception& e) {
    log_(fmt::format("internal error: {}", e.what()));
  }
}

void Server::dispatch(const Frame& frame) {
  if (frame.kind == Frame::Kind::TooLong) {
    log_(fmt::format("refused a message longer than {} bytes", kMaxMessageBytes));
    return send(error_response(nullptr, kParseError,
                               fmt::format("Parse error: message longer than {} bytes", kMaxMessageBytes)));
  }
  Json message;
  try {
    message = Json::parse(frame.text);
  } catch (const Json::parse_error& e) {
    return send(error_response(nullptr, kParseError, fmt::format("Parse error: {}", e.what())));
  }
  if (!message.is_array()) {
    if (auto r = handle(message)) send(*r);
    return;
  }
  // Batches: JSON-RPC allows them, MCP 2025-03-26 requires receiving them,
  // 2025-06-18 removed them.
  if (!initialized_ || structured())
    return send(error_response(nullptr, kInvalidRequest,
                               "Invalid Request: batches are not supported in this protocol version"));
  if (message.empty()) return send(error_response(nullptr, kInvalidRequest, "Invalid Request: empty batch"));
  Json replies = Json::array();
  for (const auto& m : message) {
    if (m.is_object() && m.contains("method") && m["method"] == "initialize")
      replies.push_back(error_response(m.value("id", Json()), kInvalidRequest,
                                       "Invalid Request: initialize cannot be part of a batch"));
    else if (auto r = handle(m))
      replies.push_back(*r);
  }
  if (!replies.empty()) send(replies);
}

std::optional<Json> Server::handle(const Json& m) {
  if (!m.is_object() || !m.contains("jsonrpc") || m["jsonrpc"] != "2.0")
    return error_response(m.is_object() && m.contains("id") && valid_id(m["id"]) ? m["id"] : Json(),
                          kInvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message");
  bool has_id = m.contains("id");
  if (has_id && !valid_id(m["id"]))
    return error_response(nullptr, kInvalidRequest, "Invalid Request: id must be a string or an integer");
  if (!m.contains("method")) {
    if (has_id && (m.contains("result") || m.contains("error"))) {
      handle_response(m);
      return std::nullopt;
    }
    return error_response(has_id ? m["id"] : Json(), kInvalidRequest, "Invalid Request: no method");
  }
  if (!m["method"].is_string())
    return error_response(has_id ? m["id"] : Json(), kInvalidRequest,
                          "Invalid Request: method must be a string");
  std::string method = m["method"].get<std::string>();
  if (!has_id) {
    try {
      handle_notification(method);
    } catch (const std::exception& e) {
      log_(fmt::format("notification {} failed: {}", method, e.what()));
    }
    return std::nullopt;
  }
  Json params = m.contains("params") ? m["params"] : Json::object();
  if (!params.is_object())
    return error_response(m["id"], kInvalidParams, "Invalid params: params must be an object");
  try {
    if (method == "tools/call" && initialized_ && session_pending_) {
      // Checked now, answered once the session has its project.
      if (auto bad = check_tool_call(m["id"], params)) return bad;
      held_.push_back(m);
      return std::nullopt;
    }
    return handle_request(m["id"], method, params);
  } catch (const std::exception& e) {
    log_(fmt::format("{} failed: {}", method, e.what()));
    return error_response(m["id"], kInternalError, fmt::format("Internal error: {}", e.what()));
  }
}

Json Server::handle_request(const Json& id, const std::string& method, const Json& params) {
  if (method == "initialize") return initialize(id, params);
  if (method == "ping") return result_response(id, Json::object());
  if (!initialized_)
    return error_response(id, kInvalidRequest, "Invalid Request: the client must send initialize first");
  if (method == "tools/list") return result_response(id, {{"tools", tool_list(structured())}});
  if (method == "tools/call") {
    if (auto bad = check_tool_call(id, params)) return *bad;
    Json args = params.value("arguments", Json::object());
    return result_response(
        id, call_tool(params["name"].get<std::string>(), args.is_null() ? Json::object() : args));
  }
  return error_response(id, kMethodNotFound, fmt::format("Method not found: {}", method));
}

std::optional<Json> Server::check_tool_call(const Json& id, const Json& params) const {
  if (!params.contains("name") || !params["name"].is_string())
    return error_response(id, kInvalidParams, "Invalid params: name must be a string");
  std::string name = params["name"].get<std::string>();
  if (!tool_exists(name)) return error_response(id, kInvalidParams, fmt::format("Unknown tool: {}", name));
  Json args = params.value("arguments", Json::object());
  if (args.is_null()) args = Json::object();
  if (auto wrong = check_arguments(name, args))
    return error_response(id, kInvalidParams, fmt::format("Invalid params: {}", *wrong));
  return std::nullopt;
}

Json Server::initialize(const Json& id, const Json& params) {
  if (initialized_) return error_response(id, kInvalidRequest, "Invalid Request: already initialized");
  if (!params.contains("protocolVersion") || !params["protocolVersion"].is_string())
    return error_response(id, kInvalidParams, "Invalid params: protocolVersion must be a string");
  if (params.contains("capabilities") && !params["capabilities"].is_object())
    return error_response(id, kInvalidParams, "Invalid params: capabilities must be an object");
  if (!params.contains("clientInfo") || !params["clientInfo"].is_object() ||
      !params["clientInfo"].contains("name") || !params["clientInfo"]["name"].is_string())
    return error_response(id, kInvalidParams, "Invalid params: clientInfo.name must be a string");
  initialized_ = true;
  version_ = negotiate_version(params["protocolVersion"].get<std::string>());
  client_name_ = params["clientInfo"]["name"].get<std::string>();
  const Json caps = params.value("capabilities", Json::object());
  client_roots_ = caps.contains("roots") && caps["roots"].is_object();
  log_(fmt::format("client {} (protocol {}{})", client_name_, version_, client_roots_ ? ", roots" : ""));

  // The project comes from --project, else the client's first root, which
  // can only be asked for after notifications/initialized.
  if (!cfg_.project && client_roots_)
    session_pending_ = true;
  else
    start_session();

  Json info = {{"name", "aidis"}, {"version", cfg_.version}};
  if (structured()) info["title"] = "AIDIS sessions";
  return result_response(id, {{"protocolVersion", version_},
                              {"capabilities", {{"tools", {{"listChanged", false}}}}},
                              {"serverInfo", info},
                              {"instructions", kInstructions}});
}

void Server::handle_notification(const std::string& method) {
  if (method == "notifications/initialized") {
    if (session_pending_) request_roots();
  } else if (method == "notifications/roots/list_changed") {
    if (initialized_ && client_roots_ && !cfg_.project) request_roots();
  }
  // Others (notifications/cancelled, ...): nothing to do, calls run one at a time.
}

void Server::request_roots() {
  roots_request_ = next_request_id_++;
  send({{"jsonrpc", "2.0"}, {"id", *roots_request_}, {"method", "roots/list"}});
}

void Server::handle_response(const Json& m) {
  if (!roots_request_ || m["id"] != *roots_request_) {
    log_(fmt::format("ignored a response to an unknown request id {}", m["id"].dump()));
    return;
  }
  roots_request_.reset();
  std::optional<std::string> path;
  if (m.contains("error")) {
    log_(fmt::format("roots/list failed: {}", m["error"].dump()));
  } else {
    const Json& result = m["result"];
    if (result.is_object() && result.contains("roots") && result["roots"].is_array() &&
        !result["roots"].empty() && result["roots"][0].is_object() && result["roots"][0].contains("uri") &&
        result["roots"][0]["uri"].is_string()) {
      std::string uri = result["roots"][0]["uri"].get<std::string>();
      path = path_from_file_uri(uri);
      if (!path) log_(fmt::format("first root {} is not a local file URI", uri));
    } else {
      log_("the client has no roots");
    }
  }
  on_roots(path);
}

void Server::on_roots(const std::optional<std::string>& path) {
  std::optional<std::string> found;
  if (path) {
    SqlOutcome o = exec_(project_for_path_call(*path));
    if (!o.ok) {
      log_(fmt::format("project_for_path({}) failed: {}", *path, describe(o)));
    } else if (o.value) {
      Json p = Json::parse(*o.value);
      found = p["id"].get<std::string>();
      log_(fmt::format("root {} is in project {}", *path, p["name"].get<std::string>()));
    } else {
      log_(fmt::format("root {} is in no project's root_directory", *path));
    }
  }
  if (found) project_ = found;
  if (session_pending_) {
    session_pending_ = false;
    start_session();
    release_held();
  } else if (found && session_id_ && found != session_project_id_) {
    // The client moved to another project's folder: a session is one project.
    start_session();
  }
}

void Server::stop_waiting_for_roots() {
  if (!session_pending_) return;
  log_("no roots from the client: the extension chooses the project");
  session_pending_ = false;
  try {
    start_session();
    release_held();
  } catch (const std::exception& e) {
    log_(fmt::format("internal error: {}", e.what()));
  }
}

void Server::release_held() {
  std::vector<Json> held;
  held.swap(held_);
  for (const auto& m : held)
    if (auto r = handle(m)) send(*r);
}

SqlOutcome Server::start_session() {
  SqlOutcome o = exec_(start_call(context(), std::nullopt, std::nullopt, false));
  if (!o.ok || !o.value) {
    log_(fmt::format("could not start a session for {}: {}", client_name_, describe(o)));
    if (o.ok) o = SqlOutcome::failure("", "start_session returned no session");
    return o;
  }
  Json row;
  try {
    row = Json::parse(*o.value);
    session_id_ = row.at("id").get<std::string>();
    session_project_id_ = row.at("project_id").get<std::string>();
  } catch (const Json::exception& e) {
    log_(fmt::format("unexpected answer of start_session: {}", e.what()));
    return SqlOutcome::failure("", "unexpected answer of start_session");
  }
  log_(fmt::format("session {} {} agent={} project={} client_key={}", row.value("display_id", ""),
                   row.value("resumed", false) ? "resumed" : "started", row.value("agent", ""),
                   row["project_name"].is_string() ? row["project_name"].get<std::string>() : "",
                   cfg_.client_key));
  return o;
}

Json Server::tool_error(const SqlOutcome& failure, std::string_view prefix) const {
  std::string text = std::string(prefix) + describe(failure);
  if (!failure.detail.empty()) text += "\ndetail: " + failure.detail;
  if (!failure.hint.empty()) text += "\nhint: " + failure.hint;
  Json r = {{"content", {{{"type", "text"}, {"text", text}}}}, {"isError", true}};
  if (structured())
    r["structuredContent"] = {{"error",
                               {{"message", failure.message},
                                {"sqlstate", failure.sqlstate},
                                {"detail", failure.detail},
                                {"hint", failure.hint}}}};
  return r;
}

Json Server::call_tool(const std::string& name, const Json& args) {
  // Every call is activity of this client's session; one that ended or
  // expired is followed by a new one (as a write with no session is).
  if (!session_id_) {
    SqlOutcome s = start_session();
    if (!s.ok) return tool_error(s, "no session for this client: ");
  } else {
    SqlOutcome t = exec_(touch_call(*session_id_));
    const auto outcome = classify_sqlstate(t.sqlstate);
    if (!t.ok && (outcome == SqlOutcomeClass::WrongState || outcome == SqlOutcomeClass::NotFound)) {
      log_(fmt::format("session {} cannot take activity ({}); starting another", *session_id_, describe(t)));
      SqlOutcome s = start_session();
      if (!s.ok) return tool_error(s, "no session for this client: ");
    } else if (!t.ok) {
      return tool_error(t);
    }
  }
  SqlOutcome o = exec_(tool_call(name, args, context()));
  if (!o.ok) return tool_error(o);
  Json content = tool_result(name, o.value);
  if (name == "session_start") {
    session_id_ = content["id"].get<std::string>();
    session_project_id_ = content["project_id"].get<std::string>();
    log_(fmt::format("session {} started by session_start", content.value("display_id", "")));
  }
  Json r = {{"content",
             {{{"type", "text"}, {"text", content.dump(2, ' ', false, Json::error_handler_t::replace)}}}},
            {"isError", false}};
  if (structured()) r["structuredContent"] = content;
  return r;
}

}  // namespace aidis::mcp
