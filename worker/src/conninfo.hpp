// Connection parameters for libpq, built without libpq so they can be
// unit-tested. Semantics follow psql: -d/--dbname may be a database name, a
// key=value conninfo string or a postgresql:// URI; everything it does not
// say comes from libpq itself (PG* environment, service file, .pgpass).
// The binary never takes a password on its command line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aidis {

// Ordered keyword/value pairs for PQconnectStartParams(..., expand_dbname=1).
// Order matters: libpq lets later entries override earlier ones, including the
// fields expanded from a conninfo dbname. Our defaults therefore come first
// and the user's dbname last, so anything the user writes wins.
using ConnParams = std::vector<std::pair<std::string, std::string>>;

ConnParams connection_params(const std::optional<std::string>& dbname,
                             std::string_view fallback_application_name);

}  // namespace aidis
