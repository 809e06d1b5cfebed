#include "connection.hpp"

#include <cerrno>
#include <charconv>
#include <poll.h>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "log.hpp"

namespace aidis {

std::optional<std::string> Result::opt_text(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return std::string(text(row, col));
}

std::optional<double> Result::opt_double(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  std::string_view s = text(row, col);
  double v = 0;
  // from_chars is locale-independent and reads "Infinity" and "NaN" too.
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size())
    throw std::runtime_error(fmt::format("unexpected number from the server: '{}'", s));
  return v;
}

std::optional<Connection> Connection::open(const ConnParams& params, int interrupt_fd,
                                           std::chrono::milliseconds timeout) {
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);

  Connection conn(PQconnectStartParams(keys.data(), values.data(), /*expand_dbname=*/1));
  if (!conn.raw()) throw PgError("out of memory", "");
  if (PQstatus(conn.raw()) == CONNECTION_BAD) throw PgError(one_line(PQerrorMessage(conn.raw())), "");

  // The PQconnectPoll protocol: start as if it had asked to write.
  auto until = std::chrono::steady_clock::now() + timeout;
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK) {
    if (st == PGRES_POLLING_FAILED) throw PgError(one_line(PQerrorMessage(conn.raw())), "");
    auto left = std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw PgError(fmt::format("connection attempt timed out after {} ms", timeout.count()), "");
    // The socket may change between calls (multiple hosts, SSL retry).
    pollfd fds[2] = {{conn.socket(), static_cast<short>(st == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0},
                     {interrupt_fd, POLLIN, 0}};
    int n = ::poll(fds, interrupt_fd >= 0 ? 2 : 1, static_cast<int>(left.count()));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if (interrupt_fd >= 0 && fds[1].revents) return std::nullopt;
    if (n > 0) st = PQconnectPoll(conn.raw());
  }
  return conn;
}

PgError PgError::from_result(PGconn* conn, const PGresult* raw) {
  auto field = [&](int code) {
    const char* v = raw ? PQresultErrorField(raw, code) : nullptr;
    return std::string(v ? v : "");
  };
  // Errors made up by libpq itself (a broken connection) have no fields.
  std::string msg = field(PG_DIAG_MESSAGE_PRIMARY);
  if (msg.empty() && raw) msg = one_line(PQresultErrorMessage(raw));
  if (msg.empty()) msg = one_line(PQerrorMessage(conn));
  return PgError(msg, field(PG_DIAG_SQLSTATE), field(PG_DIAG_MESSAGE_DETAIL), field(PG_DIAG_MESSAGE_HINT));
}

namespace {

Result checked(PGconn* conn, PGresult* raw) {
  Result r(raw);
  auto st = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
  throw PgError::from_result(conn, raw);
}

}  // namespace

Result Connection::exec(const char* sql) { return checked(raw(), PQexec(raw(), sql)); }

Result Connection::exec_params(const std::string& sql,
                               const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return checked(raw(), PQexecParams(raw(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                                     values.data(), nullptr, nullptr, 0));
}

std::string Connection::describe() const {
  auto s = [](const char* v) { return v ? v : ""; };
  return fmt::format("host={} port={} dbname={} user={}", s(PQhost(raw())), s(PQport(raw())), s(PQdb(raw())),
                     s(PQuser(raw())));
}

}  // namespace aidis
