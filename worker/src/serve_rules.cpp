#include "serve_rules.hpp"
#include "sqlstate.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

namespace aidis {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The Host form of an address: IPv6 in brackets.
std::string host_form(std::string_view host, int port) {
  if (host.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

}  // namespace

ListenAddress parse_listen(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) throw std::invalid_argument("expected ADDR:PORT");
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string_view::npos)
    throw std::invalid_argument("an IPv6 address goes in brackets: [::1]:8787");
  int p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535)
    throw std::invalid_argument("the port must be 1..65535");
  return {host.empty() ? "127.0.0.1" : std::string(host), p};
}

bool is_loopback(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  // 127.x.y.z, digits and dots only.
  if (host.substr(0, 4) != "127.") return false;
  return std::all_of(host.begin(), host.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
}

std::vector<std::string> allowed_hosts(const ListenAddress& listen, const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  for (const char* h : {"localhost", "127.0.0.1", "::1"}) out.push_back(host_form(h, listen.port));
  if (listen.host != "0.0.0.0" && listen.host != "::")
    out.push_back(lower(host_form(listen.host, listen.port)));
  for (const auto& e : extra)
    out.push_back(lower(e.find(':') == std::string::npos ? host_form(e, listen.port) : e));
  return out;
}

bool host_allowed(std::string_view host, const std::vector<std::string>& allowed) {
  if (host.empty()) return false;
  return std::find(allowed.begin(), allowed.end(), lower(host)) != allowed.end();
}

bool origin_allowed(std::string_view origin, std::string_view host) {
  return !origin.empty() && !host.empty() && lower(origin) == "http://" + lower(host);
}

bool token_equal(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i)
    diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

std::string read_token_file(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line))
    throw std::runtime_error(fmt::format("cannot read the token file {}", path));
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  if (line.size() < 16)
    throw std::runtime_error(fmt::format("the token in {} is shorter than 16 characters", path));
  return line;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

HttpError http_error_for_sqlstate(std::string_view sqlstate) {
  switch (classify_sqlstate(sqlstate)) {
    case SqlOutcomeClass::Unavailable:
      return {503, false, "database unavailable"};
    case SqlOutcomeClass::NotSetUp:
      return {503, false, "the database is not set up for aidis (extension missing or too old)"};
    case SqlOutcomeClass::Forbidden:  // the role may not do this
      return {403, true, ""};
    case SqlOutcomeClass::NotFound:
      return {404, true, ""};
    case SqlOutcomeClass::Ambiguous:
    case SqlOutcomeClass::Duplicate:
    case SqlOutcomeClass::WrongState:
    case SqlOutcomeClass::Retry:
      return {409, true, ""};
    case SqlOutcomeClass::Refused:
      return {422, true, ""};
    case SqlOutcomeClass::BadValue:
      return {400, true, ""};
    case SqlOutcomeClass::Failure:
      break;
  }
  return {500, false, "internal error"};
}

}  // namespace aidis
