// Shared by the command files (commands.cpp, transfer.cpp): the command
// line's own refusals, and one SQL call.
#pragma once

#include <stdexcept>
#include <string>

#include "calls.hpp"
#include "cli.hpp"
#include "connection.hpp"

namespace aidis {

// A refusal of the command line itself (not from the server), with its exit code.
struct CliError : std::runtime_error {
  CliError(const std::string& message, int code) : std::runtime_error(message), code(code) {}
  int code;
};

// Runs the call; throws PgError unless it succeeded.
inline Result exec(Connection& conn, const SqlCall& call) { return conn.exec_params(call.sql, call.params); }

// `aidis sessions export` and `aidis sessions import` (transfer.cpp).
int sessions_export(Connection& conn, const Options& opts);
int sessions_import(Connection& conn, const Options& opts);

}  // namespace aidis
