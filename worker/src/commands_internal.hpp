// Shared by the command files (commands.cpp, transfer.cpp): server errors
// as exceptions, and one SQL call.
#pragma once

#include <stdexcept>
#include <string>

#include "calls.hpp"
#include "cli.hpp"
#include "connection.hpp"

namespace aidis {

// An error the server reported, with its fields kept apart.
struct ApiError : std::runtime_error {
  ApiError(const std::string& message, std::string sqlstate, std::string detail, std::string hint)
      : std::runtime_error(message),
        sqlstate(std::move(sqlstate)),
        detail(std::move(detail)),
        hint(std::move(hint)) {}
  std::string sqlstate, detail, hint;
};

// A refusal of the command line itself (not from the server), with its exit code.
struct CliError : std::runtime_error {
  CliError(const std::string& message, int code) : std::runtime_error(message), code(code) {}
  int code;
};

// The error of a failed result (raw may be NULL: the connection's message).
ApiError api_error(PGconn* conn, const PGresult* raw);

// Runs the call; throws ApiError unless it succeeded.
Result exec(Connection& conn, const SqlCall& call);

// `aidis sessions export` and `aidis sessions import` (transfer.cpp).
int sessions_export(Connection& conn, const Options& opts);
int sessions_import(Connection& conn, const Options& opts);

}  // namespace aidis
