// `aidis mcp` without a server: the line framing, the JSON-RPC dispatch
// (errors, version negotiation, batches), the session start, the roots flow
// and the tool calls, against a fake SQL executor that records every call.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mcp_framing.hpp"
#include "mcp_server.hpp"
#include "mcp_tools.hpp"

using namespace aidis;
using namespace aidis::mcp;

namespace {

std::vector<std::string> lines(const std::vector<Frame>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(f.kind == Frame::Kind::Line ? f.text : "<too long>");
  return out;
}

constexpr const char* kSessionRow =
    R"({"id":"11111111-2222-3333-4444-555555555555","display_id":"SES-2026-0001","agent":"claude-code",)"
    R"("project_id":"99999999-0000-0000-0000-000000000001","project_name":"shop","resumed":false})";

// A server wired to a fake database: answers by the SQL text.
struct Harness {
  std::vector<SqlCall> calls;
  std::vector<Json> sent;
  std::vector<std::string> logged;
  // What the fake returns for a call whose SQL contains the key (first match).
  std::vector<std::pair<std::string, SqlOutcome>> answers;
  Server server;

  explicit Harness(std::optional<std::string> project = std::nullopt)
      : server(
            ServerConfig{std::move(project), "key-1", "9.9.9"},
            [this](const SqlCall& c) {
              calls.push_back(c);
              for (const auto& [key, outcome] : answers)
                if (c.sql.find(key) != std::string::npos) return outcome;
              if (c.sql.find("aidis.start_session") != std::string::npos)
                return SqlOutcome::success(kSessionRow);
              if (c.sql.find("aidis.touch") != std::string::npos) return SqlOutcome::success(std::nullopt);
              return SqlOutcome::success(R"({"ok":true})");
            },
            [this](const std::string& m) { sent.push_back(Json::parse(m)); },
            [this](const std::string& m) { logged.push_back(m); }) {}

  void line(const std::string& text) { server.on_frame({Frame::Kind::Line, text}); }
  void message(const Json& m) { line(m.dump()); }
  Json last() const { return sent.empty() ? Json() : sent.back(); }

  void initialize(const std::string& version = "2025-06-18", bool roots = false,
                  const std::string& name = "Claude Code") {
    Json caps = Json::object();
    if (roots) caps["roots"] = {{"listChanged", true}};
    message({{"jsonrpc", "2.0"},
             {"id", 0},
             {"method", "initialize"},
             {"params",
              {{"protocolVersion", version},
               {"capabilities", caps},
               {"clientInfo", {{"name", name}, {"version", "1"}}}}}});
    message({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  }
  void call(int id, const std::string& tool, Json args = Json::object()) {
    message({{"jsonrpc", "2.0"},
             {"id", id},
             {"method", "tools/call"},
             {"params", {{"name", tool}, {"arguments", args}}}});
  }
  int count_sql(const std::string& key) const {
    int n = 0;
    for (const auto& c : calls) n += c.sql.find(key) != std::string::npos;
    return n;
  }
};

int error_code(const Json& reply) { return reply.contains("error") ? reply["error"]["code"].get<int>() : 0; }

}  // namespace

// --- framing ----------------------------------------------------------------------

TEST(McpFraming, PartialLinesAreJoined) {
  LineFramer f(100);
  EXPECT_TRUE(f.feed(R"({"jsonrpc":)").empty());
  EXPECT_TRUE(f.feed(R"("2.0",)").empty());
  EXPECT_EQ(lines(f.feed("\"id\":1}\n")), std::vector<std::string>{R"({"jsonrpc":"2.0","id":1})"});
}

TEST(McpFraming, TwoMessagesInOneRead) {
  LineFramer f(100);
  EXPECT_EQ(lines(f.feed("{\"a\":1}\n{\"b\":2}\n{\"c\"")),
            (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
  EXPECT_EQ(lines(f.feed(":3}\n")), std::vector<std::string>{"{\"c\":3}"});
}

TEST(McpFraming, CrLfBlankLinesAndALastLineWithoutNewline) {
  LineFramer f(100);
  EXPECT_EQ(lines(f.feed("{\"a\":1}\r\n\n  \r\n{\"b\"")), std::vector<std::string>{"{\"a\":1}"});
  EXPECT_EQ(lines(f.finish()), std::vector<std::string>{"{\"b\""});
  EXPECT_TRUE(f.finish().empty());
}

TEST(McpFraming, HugeLinesAreRefusedOnceAndDropped) {
  LineFramer f(10);
  EXPECT_EQ(lines(f.feed("0123456789\n")), std::vector<std::string>{"0123456789"});  // exactly the limit
  EXPECT_EQ(lines(f.feed("0123456")), std::vector<std::string>{});
  EXPECT_EQ(lines(f.feed("789ab")), std::vector<std::string>{"<too long>"});  // reported when it passes
  EXPECT_TRUE(f.feed(std::string(1000, 'x')).empty());                        // the rest is dropped
  EXPECT_EQ(lines(f.feed("yy\n{\"ok\":1}\n")),
            std::vector<std::string>{"{\"ok\":1}"});  // the next line is fine
  EXPECT_EQ(lines(f.feed(std::string(50, 'z') + "\n")), std::vector<std::string>{"<too long>"});
  EXPECT_TRUE(f.finish().empty());
}

// --- JSON-RPC errors ----------------------------------------------------------------

TEST(McpDispatch, BadJsonIsAParseErrorWithNullId) {
  Harness h;
  h.line("{\"jsonrpc\":\"2.0\",");
  EXPECT_EQ(error_code(h.last()), kParseError);
  EXPECT_TRUE(h.last()["id"].is_null());
}

TEST(McpDispatch, InvalidUtf8IsAParseError) {
  Harness h;
  h.initialize();
  h.line("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\",\"params\":{\"x\":\"\xC3\x28\"}}");
  EXPECT_EQ(error_code(h.last()), kParseError);
  h.line("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}");  // the stream goes on
  EXPECT_EQ(h.last()["id"], 6);
  EXPECT_TRUE(h.last()["result"].is_object());
}

TEST(McpDispatch, TooLongIsAParseError) {
  Harness h;
  h.server.on_frame({Frame::Kind::TooLong, {}});
  EXPECT_EQ(error_code(h.last()), kParseError);
  EXPECT_NE(h.last()["error"]["message"].get<std::string>().find("longer than"), std::string::npos);
}

TEST(McpDispatch, InvalidRequests) {
  Harness h;
  h.line("42");
  EXPECT_EQ(error_code(h.last()), kInvalidRequest);
  h.line(R"({"id":1,"method":"ping"})");  // no "jsonrpc":"2.0"
  EXPECT_EQ(error_code(h.last()), kInvalidRequest);
  EXPECT_EQ(h.last()["id"], 1);
  h.line(R"({"jsonrpc":"2.0","id":{"x":1},"method":"ping"})");
  EXPECT_EQ(error_code(h.last()), kInvalidRequest);
  h.line(R"({"jsonrpc":"2.0","id":2,"method":7})");
  EXPECT_EQ(error_code(h.last()), kInvalidRequest);
  h.line(R"({"jsonrpc":"2.0","id":3,"method":"tools/list"})");  // before initialize
  EXPECT_EQ(error_code(h.last()), kInvalidRequest);
  h.line(R"({"jsonrpc":"2.0","id":4,"method":"ping"})");  // ping is allowed before
  EXPECT_TRUE(h.last()["result"].is_object());
}

TEST(McpDispatch, UnknownMethodAndNotificationsGetNoAnswerButMethodNotFound) {
  Harness h;
  h.initialize();
  size_t before = h.sent.size();
  h.line(R"({"jsonrpc":"2.0","method":"notifications/whatever"})");
  h.line(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})");
  EXPECT_EQ(h.sent.size(), before);
  h.line(R"({"jsonrpc":"2.0","id":"x","method":"resources/list"})");
  EXPECT_EQ(error_code(h.last()), kMethodNotFound);
  EXPECT_EQ(h.last()["id"], "x");
}

TEST(McpDispatch, InitializeChecksItsParams) {
  Harness h;
  h.line(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}})");
  EXPECT_EQ(error_code(h.last()), kInvalidParams);
  h.line(
      R"({"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{}}})");
  EXPECT_EQ(error_code(h.last()), kInvalidParams);
  h.line(R"({"jsonrpc":"2.0","id":3,"method":"initialize","params":[]})");
  EXPECT_EQ(error_code(h.last()), kInvalidParams);
  EXPECT_EQ(h.count_sql("start_session"), 0);
  h.initialize();
  EXPECT_EQ(h.sent[3]["result"]["protocolVersion"], "2025-06-18");
  h.initialize();
  EXPECT_EQ(error_code(h.last()), kInvalidRequest);  // only once
}

// --- versions ---------------------------------------------------------------------------

TEST(McpDispatch, VersionNegotiation) {
  EXPECT_EQ(negotiate_version("2025-06-18"), "2025-06-18");
  EXPECT_EQ(negotiate_version("2025-03-26"), "2025-03-26");
  EXPECT_EQ(negotiate_version("2024-11-05"), "2024-11-05");
  EXPECT_EQ(negotiate_version("2099-01-01"), "2025-06-18");  // unknown: our newest
  EXPECT_EQ(negotiate_version("2025-11-25"), "2025-06-18");

  Harness old;
  old.initialize("2025-03-26");
  EXPECT_EQ(old.sent[0]["result"]["protocolVersion"], "2025-03-26");
  EXPECT_FALSE(old.sent[0]["result"]["serverInfo"].contains("title"));
  old.call(1, "session_status");
  EXPECT_FALSE(old.last()["result"].contains("structuredContent"));  // 2025-06-18 on
  old.message({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}});
  EXPECT_FALSE(old.last()["result"]["tools"][0].contains("title"));
}

TEST(McpDispatch, BatchesOnlyBefore20250618) {
  Harness old;
  old.initialize("2025-03-26");
  old.line(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},)"
           R"({"jsonrpc":"2.0","id":2,"method":"nope"}])");
  ASSERT_TRUE(old.last().is_array());
  ASSERT_EQ(old.last().size(), 2u);
  EXPECT_EQ(old.last()[0]["id"], 1);
  EXPECT_EQ(error_code(old.last()[1]), kMethodNotFound);
  old.line("[]");
  EXPECT_EQ(error_code(old.last()), kInvalidRequest);

  Harness now;
  now.initialize("2025-06-18");
  now.line(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  EXPECT_EQ(error_code(now.last()), kInvalidRequest);
}

// --- session start -------------------------------------------------------------------------

TEST(McpSession, InitializeStartsTheSessionWithTheClientNameAndKey) {
  Harness h;
  h.initialize("2025-06-18", false, "Claude Code");
  ASSERT_EQ(h.count_sql("aidis.start_session"), 1);
  const SqlCall& c = h.calls[0];
  EXPECT_EQ(c.params[0], "Claude Code");  // agent: the extension normalizes it
  EXPECT_EQ(c.params[1], std::nullopt);   // project: the extension's rule
  EXPECT_EQ(c.params[5], "key-1");        // client_key
  EXPECT_EQ(c.params[6], "false");        // resume if active
  EXPECT_EQ(h.server.session_id(), "11111111-2222-3333-4444-555555555555");
}

TEST(McpSession, ProjectOptionWinsOverRoots) {
  Harness h("shop");
  h.initialize("2025-06-18", true);
  EXPECT_EQ(h.count_sql("aidis.start_session"), 1);
  EXPECT_EQ(h.calls[0].params[1], "shop");
  for (const auto& m : h.sent) EXPECT_NE(m.value("method", ""), "roots/list");
}

TEST(McpSession, RootsChooseTheProjectAndToolCallsWaitForThem) {
  Harness h;
  h.answers.push_back({"project_for_path", SqlOutcome::success(R"({"id":"p-1","name":"shop"})")});
  h.initialize("2025-06-18", true);
  EXPECT_EQ(h.count_sql("aidis.start_session"), 0);
  EXPECT_TRUE(h.server.waiting_for_roots());
  ASSERT_EQ(h.last()["method"], "roots/list");
  Json roots_id = h.last()["id"];
  h.call(7, "session_status");  // held
  EXPECT_EQ(h.last()["method"], "roots/list");
  h.message({{"jsonrpc", "2.0"},
             {"id", roots_id},
             {"result", {{"roots", {{{"uri", "file:///home/me/shop%20x/src"}, {"name", "shop"}}}}}}});
  EXPECT_FALSE(h.server.waiting_for_roots());
  ASSERT_EQ(h.count_sql("project_for_path"), 1);
  EXPECT_EQ(h.calls[0].params[0], "/home/me/shop x/src");
  EXPECT_EQ(h.calls[1].params[1], "p-1");  // start_session(project => the root's project)
  EXPECT_EQ(h.last()["id"], 7);            // the held call is answered
  EXPECT_FALSE(h.last()["result"]["isError"].get<bool>());
}

TEST(McpSession, RootsChangedToAnotherProjectStartsASessionThere) {
  Harness h;
  h.answers.push_back({"project_for_path", SqlOutcome::success(R"({"id":"p-2","name":"web"})")});
  h.initialize("2025-06-18", true);
  h.message({{"jsonrpc", "2.0"}, {"id", h.last()["id"]}, {"result", {{"roots", Json::array()}}}});
  EXPECT_EQ(h.count_sql("project_for_path"), 0);  // no root: the extension's rule
  EXPECT_EQ(h.calls.back().params[1], std::nullopt);
  h.message({{"jsonrpc", "2.0"}, {"method", "notifications/roots/list_changed"}});
  ASSERT_EQ(h.last()["method"], "roots/list");
  h.message({{"jsonrpc", "2.0"}, {"id", h.last()["id"]}, {"result", {{"roots", {{{"uri", "file:///w"}}}}}}});
  EXPECT_EQ(h.count_sql("aidis.start_session"), 2);
  EXPECT_EQ(h.calls.back().params[1], "p-2");
}

TEST(McpSession, NoAnswerToRootsFallsBackToTheExtensionsRule) {
  Harness h;
  h.initialize("2025-06-18", true);
  h.call(3, "session_status");
  h.server.stop_waiting_for_roots();
  EXPECT_EQ(h.count_sql("aidis.start_session"), 1);
  EXPECT_EQ(h.last()["id"], 3);
  h.message({{"jsonrpc", "2.0"}, {"id", "nobody-asked"}, {"result", {}}});  // ignored
  EXPECT_EQ(h.last()["id"], 3);
}

// --- tools ---------------------------------------------------------------------------------

TEST(McpTools, ListHasEveryToolWithAnObjectSchema) {
  Json list = tool_list(true);
  std::vector<std::string> names;
  for (const auto& t : list) {
    names.push_back(t["name"]);
    EXPECT_EQ(t["inputSchema"]["type"], "object");
    EXPECT_FALSE(t["inputSchema"]["additionalProperties"].get<bool>());
    EXPECT_TRUE(t.contains("title"));
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"session_status", "session_start", "session_end", "session_set_goal",
                                      "session_add_note", "session_tag", "session_rate", "session_brief",
                                      "sessions_list", "session_details", "session_timeline",
                                      "session_record_usage", "session_record_file"}));
}

TEST(McpTools, ArgumentChecks) {
  EXPECT_EQ(check_arguments("session_rate", {{"stars", 4}}), std::nullopt);
  EXPECT_EQ(check_arguments("session_rate", {{"stars", 4.0}}), std::nullopt);  // an integer in JSON Schema
  EXPECT_EQ(check_arguments("session_rate", {{"stars", 9}}), std::nullopt);    // the range is the extension's
  EXPECT_TRUE(check_arguments("session_rate", Json::object()));                // missing
  EXPECT_TRUE(check_arguments("session_rate", {{"stars", "4"}}));              // a string
  EXPECT_TRUE(check_arguments("session_rate", {{"stars", 4.5}}));
  EXPECT_TRUE(check_arguments("session_rate", {{"stars", 4294967296LL}}));  // not a 32-bit integer
  EXPECT_TRUE(check_arguments("session_rate", {{"stars", 4}, {"colour", "red"}}));
  EXPECT_TRUE(check_arguments("session_tag", {{"tags", {"a", 1}}}));
  EXPECT_EQ(check_arguments("session_tag", {{"tags", {"a", "b"}}}), std::nullopt);
  EXPECT_EQ(
      check_arguments("session_record_usage", {{"input_tokens", 9007199254740993LL}, {"output_tokens", 0}}),
      std::nullopt);
  EXPECT_TRUE(check_arguments("session_status", Json::array()));
  EXPECT_TRUE(check_arguments("nope", Json::object()));
}

TEST(McpTools, BadToolCallsAreInvalidParams) {
  Harness h;
  h.initialize();
  h.call(1, "no_such_tool");
  EXPECT_EQ(error_code(h.last()), kInvalidParams);
  h.call(2, "session_rate", {{"stars", "five"}});
  EXPECT_EQ(error_code(h.last()), kInvalidParams);
  h.message(
      {{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/call"}, {"params", {{"arguments", Json::object()}}}});
  EXPECT_EQ(error_code(h.last()), kInvalidParams);
  EXPECT_EQ(h.count_sql("aidis.touch"), 0);  // nothing ran
}

TEST(McpTools, EveryCallTouchesThisClientsSessionFirst) {
  Harness h;
  h.initialize();
  h.call(1, "session_set_goal", {{"goal", "ship it"}});
  ASSERT_EQ(h.calls.size(), 3u);
  EXPECT_NE(h.calls[1].sql.find("aidis.touch"), std::string::npos);
  EXPECT_EQ(h.calls[1].params[0], "11111111-2222-3333-4444-555555555555");
  EXPECT_NE(h.calls[2].sql.find("aidis.update_session"), std::string::npos);
  EXPECT_EQ(h.calls[2].params[0], "11111111-2222-3333-4444-555555555555");  // explicit session, no binding
  EXPECT_EQ(h.calls[2].params[3], "ship it");
  Json r = h.last()["result"];
  EXPECT_FALSE(r["isError"].get<bool>());
  EXPECT_EQ(r["structuredContent"], (Json{{"ok", true}}));
  EXPECT_EQ(r["content"][0]["type"], "text");
}

TEST(McpTools, ARefusalIsAToolErrorNotAProtocolError) {
  Harness h;
  h.answers.push_back(
      {"rate_session", SqlOutcome::failure("22023", "stars must be 1 to 5, not 9", "", "a hint")});
  h.initialize();
  h.call(1, "session_rate", {{"stars", 9}});
  Json r = h.last()["result"];
  EXPECT_TRUE(r["isError"].get<bool>());
  EXPECT_EQ(r["content"][0]["text"], "stars must be 1 to 5, not 9 (SQLSTATE 22023)\nhint: a hint");
  EXPECT_EQ(r["structuredContent"]["error"]["sqlstate"], "22023");
}

TEST(McpTools, AnEndedSessionIsFollowedByANewOne) {
  Harness h;
  h.initialize();
  h.answers.push_back(
      {"aidis.touch", SqlOutcome::failure("55000", "session SES-2026-0001 is not active (inactive)")});
  h.call(1, "session_status");
  EXPECT_EQ(h.count_sql("aidis.start_session"), 2);
  EXPECT_FALSE(h.last()["result"]["isError"].get<bool>());
}

TEST(McpTools, NoDatabaseIsAToolError) {
  Harness h;
  h.answers.push_back(
      {"aidis.start_session", SqlOutcome::failure("", "could not connect to the database: down")});
  h.initialize();
  EXPECT_EQ(h.server.session_id(), std::nullopt);
  h.call(1, "session_status");
  EXPECT_TRUE(h.last()["result"]["isError"].get<bool>());
  EXPECT_EQ(h.last()["result"]["content"][0]["text"],
            "no session for this client: could not connect to the database: down");
}

TEST(McpTools, AGarbledAnswerIsNeitherACrashNorASession) {
  Harness h;
  h.answers.push_back({"aidis.start_session", SqlOutcome::success("[1, 2]")});
  h.initialize();
  EXPECT_EQ(h.sent[0]["result"]["protocolVersion"], "2025-06-18");  // initialize is still answered
  EXPECT_EQ(h.server.session_id(), std::nullopt);
  h.call(1, "session_status");
  EXPECT_TRUE(h.last()["result"]["isError"].get<bool>());
}

TEST(McpTools, SessionStartAdoptsTheNewSession) {
  Harness h;
  h.initialize();
  h.answers.push_back(
      {"force_new", SqlOutcome::success(R"({"id":"new-id","project_id":"p","display_id":"SES-2026-0002"})")});
  h.call(1, "session_start", {{"title", "t"}});
  EXPECT_EQ(h.calls.back().params[6], "true");
  EXPECT_EQ(h.server.session_id(), "new-id");
}

TEST(McpTools, ListsAreWrappedInAnObject) {
  EXPECT_EQ(tool_result("sessions_list", std::string("[{\"a\":1}]")), (Json{{"sessions", {{{"a", 1}}}}}));
  EXPECT_EQ(tool_result("session_timeline", std::string("[]")), (Json{{"events", Json::array()}}));
  EXPECT_EQ(tool_result("session_brief", std::nullopt), (Json{{"result", nullptr}}));
}

// --- helpers ---------------------------------------------------------------------------------

TEST(McpHelpers, FileUris) {
  EXPECT_EQ(path_from_file_uri("file:///home/me/shop"), "/home/me/shop");
  EXPECT_EQ(path_from_file_uri("FILE://localhost/home/me/a%20b"), "/home/me/a b");
  EXPECT_EQ(path_from_file_uri("file:///h/%C3%A9t%C3%A9?x=1#f"), "/h/\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(path_from_file_uri("file://server/share"), std::nullopt);
  EXPECT_EQ(path_from_file_uri("https://example.com/x"), std::nullopt);
  EXPECT_EQ(path_from_file_uri("file:///bad%2"), std::nullopt);
  EXPECT_EQ(path_from_file_uri("file:///bad%zz"), std::nullopt);
  EXPECT_EQ(path_from_file_uri("file:///nul%00"), std::nullopt);
}

TEST(McpHelpers, ProcStartTime) {
  std::string stat =
      "4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1 2 3";
  EXPECT_EQ(proc_start_time(stat), "987654");
  EXPECT_EQ(proc_start_time("4242 (x) S 1 2"), std::nullopt);
  EXPECT_EQ(proc_start_time("garbage"), std::nullopt);
}
