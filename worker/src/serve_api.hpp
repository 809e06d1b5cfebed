// The JSON API of `aidis serve` (docs/serve.md): each endpoint is one call of
// the SQL API, built here from the request. Pure, unit-tested; serve.cpp runs
// the call under the server's role.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "calls.hpp"

namespace aidis {

// A request the API refuses before any SQL: bad JSON, a non-number limit
// (400), an unknown endpoint (404) or a wrong method (405).
struct ApiRefusal : std::runtime_error {
  ApiRefusal(int status, const std::string& message) : std::runtime_error(message), status(status) {}
  int status;
};

struct ApiRequest {
  std::string method;  // GET or POST
  std::string path;    // after "/api/", e.g. "sessions/SES-2026-0001/timeline"
  std::function<std::optional<std::string>(const char*)> query;  // a query parameter
  std::string body;                                              // JSON for POST
};

// The call for `req`; throws ApiRefusal.
SqlCall api_call(const ApiRequest& req);

// Does this endpoint change anything (POST)?
inline bool api_changes_state(std::string_view method) { return method != "GET" && method != "HEAD"; }

}  // namespace aidis
