// Thin RAII layer over libpq: a connection, its results, and SQL errors as
// exceptions carrying the SQLSTATE. Shared by every subcommand.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <libpq-fe.h>

#include "conninfo.hpp"

namespace aidis {

// A failed connection attempt or SQL call: the one error type of the binary's
// database work. sqlstate() is empty when the failure did not come from the
// server (e.g. the connection broke); detail() and hint() are the server's.
class PgError : public std::runtime_error {
 public:
  PgError(const std::string& message, std::string sqlstate, std::string detail = {}, std::string hint = {})
      : std::runtime_error(message),
        sqlstate_(std::move(sqlstate)),
        detail_(std::move(detail)),
        hint_(std::move(hint)) {}
  // The error of a failed result (raw may be NULL: the connection's own message).
  static PgError from_result(PGconn* conn, const PGresult* raw);
  const std::string& sqlstate() const { return sqlstate_; }
  const std::string& detail() const { return detail_; }
  const std::string& hint() const { return hint_; }

 private:
  std::string sqlstate_, detail_, hint_;
};

class Result {
 public:
  explicit Result(PGresult* r) : r_(r, &PQclear) {}
  int rows() const { return PQntuples(r_.get()); }
  int columns() const { return PQnfields(r_.get()); }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view text(int row, int col) const { return PQgetvalue(r_.get(), row, col); }
  std::optional<std::string> opt_text(int row, int col) const;
  // A float8 column in text format; NULL → nullopt. Throws on garbage.
  std::optional<double> opt_double(int row, int col) const;
  PGresult* raw() const { return r_.get(); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> r_;
};

class Connection {
 public:
  // Opens a connection without blocking signal handling: waits on the
  // socket and on `interrupt_fd` (ignored when < 0). Returns nullopt if
  // interrupt_fd became readable first; throws PgError on failure or when
  // `timeout` passes.
  static std::optional<Connection> open(const ConnParams& params, int interrupt_fd,
                                        std::chrono::milliseconds timeout);

  // Runs one statement (blocking). Throws PgError unless it succeeded.
  Result exec(const char* sql);
  // Runs one statement with text parameters (nullopt is NULL), the way every
  // API call is made. Throws PgError unless it succeeded.
  Result exec_params(const std::string& sql, const std::vector<std::optional<std::string>>& params);

  PGconn* raw() const { return c_.get(); }
  int socket() const { return PQsocket(c_.get()); }
  int backend_pid() const { return PQbackendPID(c_.get()); }
  // "host=/tmp port=5432 dbname=aidis user=me", for logs.
  std::string describe() const;

 private:
  explicit Connection(PGconn* c) : c_(c, &PQfinish) {}
  std::unique_ptr<PGconn, decltype(&PQfinish)> c_;
};

}  // namespace aidis
