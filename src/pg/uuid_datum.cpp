#include "pg/uuid_datum.hpp"

#include <cstring>

#include "pg/guard.hpp"

namespace aidis::pg {

core::Uuid to_uuid(Datum datum) {
  core::Uuid id;
  std::memcpy(id.bytes.data(), DatumGetUUIDP(datum)->data, UUID_LEN);
  return id;
}

Datum uuid_value(const core::Uuid& id) {
  auto* value = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t)));
  std::memcpy(value->data, id.bytes.data(), UUID_LEN);
  return UUIDPGetDatum(value);
}

Datum uuid_datum(const core::Uuid& id) {
  return call([&] { return uuid_value(id); });
}

}  // namespace aidis::pg
