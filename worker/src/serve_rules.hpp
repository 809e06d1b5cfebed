// The pure rules of `aidis serve` (docs/serve.md): where it may listen, which
// Host and Origin headers it accepts, how SQLSTATEs become HTTP statuses.
// No sockets, no libpq: unit-tested in worker/test/serve_test.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aidis {

struct ListenAddress {
  std::string host;  // as given, without brackets: 127.0.0.1, ::1, 0.0.0.0, localhost
  int port = 0;
};

// "ADDR:PORT", "[v6]:PORT" or ":PORT" (loopback). Throws std::invalid_argument.
ListenAddress parse_listen(std::string_view text);

// 127.0.0.0/8, ::1 and "localhost": nobody else can connect.
bool is_loopback(std::string_view host);

// The Host header values the server answers to: the loopback names with the
// port, the listen address itself (unless a wildcard) and each extra name.
std::vector<std::string> allowed_hosts(const ListenAddress& listen, const std::vector<std::string>& extra);

// Exact, case-insensitive match against allowed_hosts(); a missing Host is refused.
bool host_allowed(std::string_view host, const std::vector<std::string>& allowed);

// A state-changing request must come from the page itself: Origin must be
// "http://" + the (already checked) Host. A missing Origin is refused too.
bool origin_allowed(std::string_view origin, std::string_view host);

// Constant-time comparison of the access token.
bool token_equal(std::string_view given, std::string_view expected);

// Reads the token from a file (first line, trimmed). Throws std::runtime_error
// if it cannot be read or is shorter than 16 characters.
std::string read_token_file(const std::string& path);

// The value of cookie `name` in a Cookie header, if any.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

struct HttpError {
  int status;
  bool show_message;  // the server's own message is for the user; else `generic`
  const char* generic;
};

// The one place where SQLSTATEs become HTTP statuses; empty = not from the
// server (the connection is gone).
HttpError http_error_for_sqlstate(std::string_view sqlstate);

}  // namespace aidis
