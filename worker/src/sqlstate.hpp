// What a SQLSTATE from the extension means, in one table: the command line's
// exit codes, the page's HTTP statuses, the worker's reaction and the MCP
// server's recovery all map from these classes (docs/api.md lists the codes).
#pragma once

#include <string_view>

namespace aidis {

enum class SqlOutcomeClass {
  Unavailable,  // libpq's own error, 08 connection exception, 57 operator intervention
  NotSetUp,     // 3F000 no schema aidis, 42883 function missing or too old, 42P01 table missing
  Forbidden,    // 42501: the role lacks the privilege
  NotFound,     // 42704 no such session or project, P0002 no current session
  Ambiguous,    // 21000: a session prefix matching several sessions
  Duplicate,    // 23505: a name or id taken
  WrongState,   // 55000: not active, a disconnected project, adopted already
  Retry,        // 40001: serialization failure, try again
  Refused,      // P0001 or another 23 (a CHECK, NOT NULL): the value is refused
  BadValue,     // 22: an argument out of its bounds
  Failure,      // anything else: a bug or a server failure
};

SqlOutcomeClass classify_sqlstate(std::string_view sqlstate);

}  // namespace aidis
