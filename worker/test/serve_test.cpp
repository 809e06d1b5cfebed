// The pure rules of `aidis serve`: listen addresses, Host and Origin checks,
// the token, SQLSTATE → HTTP, and the SQL call of each API endpoint.
#include <map>

#include <gtest/gtest.h>

#include "serve_api.hpp"
#include "serve_rules.hpp"

namespace aidis {
namespace {

TEST(ServeRules, ParseListen) {
  auto a = parse_listen("127.0.0.1:8787");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 8787);
  EXPECT_EQ(parse_listen("[::1]:9000").host, "::1");
  EXPECT_EQ(parse_listen(":9000").host, "127.0.0.1");
  EXPECT_THROW(parse_listen("8787"), std::invalid_argument);
  EXPECT_THROW(parse_listen("127.0.0.1:0"), std::invalid_argument);
  EXPECT_THROW(parse_listen("127.0.0.1:65536"), std::invalid_argument);
  EXPECT_THROW(parse_listen("::1:8787"), std::invalid_argument);
  EXPECT_THROW(parse_listen("127.0.0.1:80x"), std::invalid_argument);
}

TEST(ServeRules, Loopback) {
  EXPECT_TRUE(is_loopback("127.0.0.1"));
  EXPECT_TRUE(is_loopback("127.1.2.3"));
  EXPECT_TRUE(is_loopback("::1"));
  EXPECT_TRUE(is_loopback("localhost"));
  EXPECT_FALSE(is_loopback("0.0.0.0"));
  EXPECT_FALSE(is_loopback("::"));
  EXPECT_FALSE(is_loopback("192.168.1.5"));
  EXPECT_FALSE(is_loopback("127.evil.com"));
}

TEST(ServeRules, HostHeader) {
  auto hosts = allowed_hosts(parse_listen("127.0.0.1:8787"), {});
  EXPECT_TRUE(host_allowed("127.0.0.1:8787", hosts));
  EXPECT_TRUE(host_allowed("LOCALHOST:8787", hosts));
  EXPECT_TRUE(host_allowed("[::1]:8787", hosts));
  // DNS rebinding: a foreign name pointing at 127.0.0.1.
  EXPECT_FALSE(host_allowed("evil.example:8787", hosts));
  EXPECT_FALSE(host_allowed("127.0.0.1:8788", hosts));
  EXPECT_FALSE(host_allowed("127.0.0.1", hosts));
  EXPECT_FALSE(host_allowed("", hosts));

  auto wide = allowed_hosts(parse_listen("0.0.0.0:8787"), {"sessions.lan", "box:443"});
  EXPECT_TRUE(host_allowed("sessions.lan:8787", wide));
  EXPECT_TRUE(host_allowed("box:443", wide));
  EXPECT_FALSE(host_allowed("0.0.0.0:8787", wide));
  auto lan = allowed_hosts(parse_listen("192.168.1.5:8787"), {});
  EXPECT_TRUE(host_allowed("192.168.1.5:8787", lan));
}

TEST(ServeRules, Origin) {
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:8787", "127.0.0.1:8787"));
  EXPECT_TRUE(origin_allowed("http://LOCALHOST:8787", "localhost:8787"));
  EXPECT_FALSE(origin_allowed("", "127.0.0.1:8787"));
  EXPECT_FALSE(origin_allowed("null", "127.0.0.1:8787"));
  EXPECT_FALSE(origin_allowed("http://evil.example", "127.0.0.1:8787"));
  EXPECT_FALSE(origin_allowed("https://127.0.0.1:8787", "127.0.0.1:8787"));
  EXPECT_FALSE(origin_allowed("http://localhost:8787", "127.0.0.1:8787"));
}

TEST(ServeRules, TokenAndCookie) {
  EXPECT_TRUE(token_equal("0123456789abcdef", "0123456789abcdef"));
  EXPECT_FALSE(token_equal("0123456789abcdeX", "0123456789abcdef"));
  EXPECT_FALSE(token_equal("0123456789abcdef0", "0123456789abcdef"));
  EXPECT_FALSE(token_equal("", "0123456789abcdef"));
  EXPECT_EQ(cookie_value("a=1; aidis_token=xyz; b=2", "aidis_token"), "xyz");
  EXPECT_EQ(cookie_value("aidis_token=xyz", "aidis_token"), "xyz");
  EXPECT_EQ(cookie_value("xaidis_token=xyz", "aidis_token"), std::nullopt);
  EXPECT_EQ(cookie_value("", "aidis_token"), std::nullopt);
  EXPECT_THROW(read_token_file("/nonexistent/token"), std::runtime_error);
}

TEST(ServeRules, SqlstateToHttp) {
  EXPECT_EQ(http_error_for_sqlstate("42501").status, 403);
  EXPECT_EQ(http_error_for_sqlstate("42704").status, 404);
  EXPECT_EQ(http_error_for_sqlstate("P0002").status, 404);
  EXPECT_EQ(http_error_for_sqlstate("22023").status, 400);
  EXPECT_EQ(http_error_for_sqlstate("22001").status, 400);
  EXPECT_EQ(http_error_for_sqlstate("23514").status, 422);
  EXPECT_EQ(http_error_for_sqlstate("23505").status, 409);
  EXPECT_EQ(http_error_for_sqlstate("55000").status, 409);
  EXPECT_EQ(http_error_for_sqlstate("21000").status, 409);
  EXPECT_TRUE(http_error_for_sqlstate("42501").show_message);
  // Not the user's business: a generic message, never the server's text.
  for (const char* code : {"XX000", "42601", "42883", "3F000", "", "08006", "57P01", "53300"}) {
    auto e = http_error_for_sqlstate(code);
    EXPECT_GE(e.status, 500) << code;
    EXPECT_FALSE(e.show_message) << code;
  }
  EXPECT_EQ(http_error_for_sqlstate("57P01").status, 503);
  EXPECT_EQ(http_error_for_sqlstate("").status, 503);
}

ApiRequest req(std::string method, std::string path, std::map<std::string, std::string> q = {},
               std::string body = "") {
  ApiRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = [q](const char* name) -> std::optional<std::string> {
    auto it = q.find(name);
    if (it == q.end()) return std::nullopt;
    return it->second;
  };
  r.body = std::move(body);
  return r;
}

TEST(ServeApi, OneCallPerEndpoint) {
  auto list = api_call(req("GET", "sessions", {{"q", "cart"}, {"limit", "20"}}));
  EXPECT_NE(list.sql.find("aidis.list_sessions("), std::string::npos);
  ASSERT_EQ(list.params.size(), 5u);
  EXPECT_EQ(list.params[0], "cart");
  EXPECT_EQ(list.params[1], std::nullopt);
  EXPECT_EQ(list.params[3], "20");

  auto details = api_call(req("GET", "sessions/SES-2026-0001"));
  EXPECT_NE(details.sql.find("aidis.session_details($1::text)"), std::string::npos);
  EXPECT_EQ(details.params[0], "SES-2026-0001");

  for (const char* what : {"contexts", "tasks", "decisions"})
    EXPECT_NE(api_call(req("GET", std::string("sessions/x/") + what))
                  .sql.find(std::string("aidis.session_") + what),
              std::string::npos);
  EXPECT_NE(api_call(req("GET", "sessions/x/timeline", {{"after", "7"}})).sql.find("aidis.session_timeline"),
            std::string::npos);
  EXPECT_NE(api_call(req("GET", "projects")).sql.find("aidis.list_projects()"), std::string::npos);
  EXPECT_NE(api_call(req("GET", "stats", {{"period", "week"}})).sql.find("aidis.session_stats"),
            std::string::npos);
  EXPECT_NE(api_call(req("GET", "stats/daily")).sql.find("aidis.session_stats_daily"), std::string::npos);
  EXPECT_NE(api_call(req("GET", "compare", {{"a", "1"}, {"b", "2"}})).sql.find("aidis.compare_sessions"),
            std::string::npos);

  auto edit = api_call(req("POST", "sessions/x/edit", {}, R"({"title":"T","tags":["a","b c"],"goal":null})"));
  EXPECT_NE(edit.sql.find("aidis.update_session("), std::string::npos);
  EXPECT_EQ(edit.params[1], "T");
  EXPECT_EQ(edit.params[3], std::nullopt);
  EXPECT_EQ(edit.params[4], R"({"a","b c"})");

  auto move = api_call(req("POST", "sessions/x/project", {}, R"({"project":"blog"})"));
  EXPECT_NE(move.sql.find("aidis.reassign_project("), std::string::npos);
  EXPECT_EQ(move.params[2], std::nullopt);  // the first click: no token, nothing moves
  auto confirm = api_call(req("POST", "sessions/x/project", {}, R"({"project":"blog","confirm":"1.ab"})"));
  EXPECT_EQ(confirm.params[2], "1.ab");

  auto rate = api_call(req("POST", "sessions/x/rating", {}, R"({"stars":4,"note":"ok"})"));
  EXPECT_EQ(rate.params[1], "4");
  EXPECT_NE(api_call(req("POST", "sessions/x/end")).sql.find("aidis.end_session($1::text)"),
            std::string::npos);

  auto one = api_call(req("GET", "sessions/SES-2026-0001/export"));
  EXPECT_NE(one.sql.find("aidis.session_export($1::text)"), std::string::npos);
  EXPECT_EQ(one.params[0], "SES-2026-0001");
  auto many = api_call(req("GET", "export", {{"status", "inactive"}, {"since", "2026-01-01"}}));
  EXPECT_NE(many.sql.find("aidis.export_sessions("), std::string::npos);
  ASSERT_EQ(many.params.size(), 4u);
  EXPECT_EQ(many.params[0], std::nullopt);
  EXPECT_EQ(many.params[1], "inactive");
  EXPECT_EQ(many.params[3], "2026-01-01");
}

TEST(ServeApi, Refusals) {
  auto status = [](const ApiRequest& r) {
    try {
      api_call(r);
    } catch (const ApiRefusal& e) {
      return e.status;
    }
    return 0;
  };
  EXPECT_EQ(status(req("GET", "nope")), 404);
  EXPECT_EQ(status(req("GET", "")), 404);
  EXPECT_EQ(status(req("GET", "sessions/x/nope")), 404);
  EXPECT_EQ(status(req("GET", "sessions/x/edit")), 405);
  EXPECT_EQ(status(req("POST", "sessions")), 405);
  EXPECT_EQ(status(req("POST", "export")), 405);
  EXPECT_EQ(status(req("POST", "sessions/x/export")), 405);
  EXPECT_EQ(status(req("GET", "sessions", {{"limit", "ten"}})), 400);
  EXPECT_EQ(status(req("POST", "sessions/x/edit", {}, "not json")), 400);
  EXPECT_EQ(status(req("POST", "sessions/x/edit", {}, "[1]")), 400);
  EXPECT_EQ(status(req("POST", "sessions/x/edit", {}, R"({"title":5})")), 400);
  EXPECT_EQ(status(req("POST", "sessions/x/edit", {}, R"({"tags":"a"})")), 400);
  EXPECT_EQ(status(req("POST", "sessions/x/project", {}, "{}")), 400);
  EXPECT_EQ(status(req("POST", "sessions/x/rating", {}, R"({"stars":"4"})")), 400);
  EXPECT_EQ(status(req("GET", "compare", {{"a", "1"}})), 400);
}

}  // namespace
}  // namespace aidis
