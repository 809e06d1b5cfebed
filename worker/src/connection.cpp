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

Result Connection::exec(const char* sql) {
  PGresult* raw_result = PQexec(raw(), sql);
  Result r(raw_result);
  if (!raw_result) throw PgError(one_line(PQerrorMessage(raw())), "");
  auto st = PQresultStatus(raw_result);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;

  const char* code = PQresultErrorField(raw_result, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(raw_result, PG_DIAG_MESSAGE_PRIMARY);
  const char* hint = PQresultErrorField(raw_result, PG_DIAG_MESSAGE_HINT);
  // Errors made up by libpq itself (a broken connection) have no fields.
  std::string msg = primary ? primary : one_line(PQresultErrorMessage(raw_result));
  if (msg.empty()) msg = one_line(PQerrorMessage(raw()));
  if (hint) msg += fmt::format(" (hint: {})", hint);
  throw PgError(msg, code ? code : "");
}

std::string Connection::describe() const {
  auto s = [](const char* v) { return v ? v : ""; };
  return fmt::format("host={} port={} dbname={} user={}", s(PQhost(raw())), s(PQport(raw())), s(PQdb(raw())),
                     s(PQuser(raw())));
}

}  // namespace aidis
