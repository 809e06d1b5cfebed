#include "serve_api.hpp"

#include <charconv>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace aidis {

namespace {

using Param = std::optional<std::string>;
using Json = nlohmann::json;

std::string table(std::string_view call) {
  return fmt::format(
      "SELECT COALESCE(jsonb_agg(to_jsonb(r) - 'ordinality' ORDER BY r.ordinality), '[]')::text "
      "FROM {} WITH ORDINALITY r",
      call);
}

std::string row(std::string_view call) { return fmt::format("SELECT to_jsonb(s)::text FROM {} s", call); }

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    if (slash != 0) parts.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// An integer query parameter, passed on as text: the server checks its range.
Param int_param(const ApiRequest& req, const char* name) {
  Param v = req.query(name);
  if (!v || v->empty()) return std::nullopt;
  long long n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size())
    throw ApiRefusal(400, fmt::format("{} must be an integer", name));
  return std::to_string(n);
}

Json body_object(const ApiRequest& req) {
  Json j = Json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw ApiRefusal(400, "the body must be a JSON object");
  return j;
}

// A string member; absent or null = NULL (unchanged).
Param text_member(const Json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_string()) throw ApiRefusal(400, fmt::format("{} must be a string", key));
  return j[key].get<std::string>();
}

void want(const ApiRequest& req, const char* method) {
  if (req.method != method) throw ApiRefusal(405, fmt::format("use {} here", method));
}

SqlCall session_call(const ApiRequest& req, const std::string& id, const std::string& what) {
  if (what == "contexts" || what == "tasks" || what == "decisions") {
    want(req, "GET");
    return {table(fmt::format(
                "aidis.session_{}($1::text, COALESCE($2::integer, 50), COALESCE($3::integer, 0))", what)),
            {id, int_param(req, "limit"), int_param(req, "offset")}};
  }
  if (what == "timeline") {
    want(req, "GET");
    return {table("aidis.session_timeline($1::text, COALESCE($2::integer, 500), COALESCE($3::bigint, 0))"),
            {id, int_param(req, "limit"), int_param(req, "after")}};
  }
  if (what == "edit") {
    want(req, "POST");
    Json j = body_object(req);
    Param tags;
    if (j.contains("tags") && !j["tags"].is_null()) {
      if (!j["tags"].is_array()) throw ApiRefusal(400, "tags must be an array of strings");
      std::vector<std::string> list;
      for (const auto& t : j["tags"]) {
        if (!t.is_string()) throw ApiRefusal(400, "tags must be an array of strings");
        list.push_back(t.get<std::string>());
      }
      tags = pg_text_array(list);
    }
    return {row("aidis.update_session(s => $1::text, title => $2::text, description => $3::text, "
                "goal => $4::text, tags => $5::text[], notes => $6::text)"),
            {id, text_member(j, "title"), text_member(j, "description"), text_member(j, "goal"), tags,
             text_member(j, "notes")}};
  }
  if (what == "project") {
    want(req, "POST");
    Json j = body_object(req);
    Param project = text_member(j, "project");
    if (!project) throw ApiRefusal(400, "project is required");
    return reassign_call(id, *project, text_member(j, "confirm"));
  }
  if (what == "rating") {
    want(req, "POST");
    Json j = body_object(req);
    if (!j.contains("stars") || !j["stars"].is_number_integer())
      throw ApiRefusal(400, "stars must be an integer");
    return {row("aidis.rate_session($1::text, $2::integer, $3::text)"),
            {id, std::to_string(j["stars"].get<long long>()), text_member(j, "note")}};
  }
  if (what == "end") {
    want(req, "POST");
    return {row("aidis.end_session($1::text)"), {id}};
  }
  if (what == "export") {
    want(req, "GET");
    return {"SELECT aidis.session_export($1::text)::text", {id}};
  }
  throw ApiRefusal(404, "no such endpoint");
}

}  // namespace

SqlCall api_call(const ApiRequest& req) {
  auto parts = split_path(req.path);
  if (parts.empty()) throw ApiRefusal(404, "no such endpoint");
  const std::string& top = parts[0];
  if (top == "sessions" && parts.size() == 1) {
    want(req, "GET");
    return {table("aidis.list_sessions(q => $1::text, status => $2::text, project => $3::text, "
                  "lim => COALESCE($4::integer, 50), off => COALESCE($5::integer, 0))"),
            {req.query("q"), req.query("status"), req.query("project"), int_param(req, "limit"),
             int_param(req, "offset")}};
  }
  if (top == "sessions" && parts.size() == 2) {
    want(req, "GET");
    return {"SELECT aidis.session_details($1::text)::text", {parts[1]}};
  }
  if (top == "sessions" && parts.size() == 3) return session_call(req, parts[1], parts[2]);
  if (parts.size() == 1 && top == "export") {  // the documents of the filtered list, oldest first
    want(req, "GET");
    return {
        "SELECT COALESCE(jsonb_agg(r.d ORDER BY r.n), '[]')::text "
        "FROM aidis.export_sessions(q => $1::text, status => $2::text, project => $3::text, "
        "since => $4::timestamptz) WITH ORDINALITY r(d, n)",
        {req.query("q"), req.query("status"), req.query("project"), req.query("since")}};
  }
  if (parts.size() == 1 && top == "projects") {
    want(req, "GET");
    return {table("aidis.list_projects()"), {}};
  }
  if (parts.size() == 1 && top == "stats") {
    want(req, "GET");
    Param period = req.query("period");
    return {"SELECT aidis.session_stats(COALESCE($1::text, 'month'), $2::text)::text",
            {period, req.query("project")}};
  }
  if (parts.size() == 2 && top == "stats" && parts[1] == "daily") {
    want(req, "GET");
    return {table("aidis.session_stats_daily(COALESCE($1::text, 'month'), $2::text)"),
            {req.query("period"), req.query("project")}};
  }
  if (parts.size() == 1 && top == "compare") {
    want(req, "GET");
    Param a = req.query("a"), b = req.query("b");
    if (!a || !b) throw ApiRefusal(400, "compare needs a and b");
    return {"SELECT aidis.compare_sessions($1::text, $2::text)::text", {a, b}};
  }
  throw ApiRefusal(404, "no such endpoint");
}

}  // namespace aidis
