// Conversions between PostgreSQL uuids and core::Uuid.
#pragma once

#include "core/uuid.hpp"
#include "pg/postgres.hpp"

namespace aidis::pg {

core::Uuid to_uuid(Datum datum);
Datum uuid_datum(const core::Uuid& id);  // palloc'd in the current context
Datum uuid_value(const core::Uuid& id);  // the same unguarded, for use inside pg::call()

}  // namespace aidis::pg
