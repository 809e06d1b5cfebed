#include "pg/spi.hpp"

#include "pg/backend_cache.hpp"

namespace aidis::pg {

namespace {

Oid lookup_extension_owner() {
  // Read as the calling user: pg_extension is readable by everyone.
  static Statement query{
      "SELECT e.extowner FROM pg_catalog.pg_extension e "
      "WHERE e.extname OPERATOR(pg_catalog.=) 'aidis_sessions'",
      {}};
  return call([&]() -> Oid {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    if (query.plan == nullptr) {
      SPIPlanPtr plan = SPI_prepare(query.sql.c_str(), 0, nullptr);
      if (plan == nullptr) elog(ERROR, "SPI_prepare failed: %s", query.sql.c_str());
      SPI_keepplan(plan);
      query.plan = plan;
    }
    Oid owner = InvalidOid;
    if (SPI_execute_plan(query.plan, nullptr, nullptr, true, 1) == SPI_OK_SELECT && SPI_processed == 1) {
      bool isnull = true;
      Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
      if (!isnull) owner = DatumGetObjectId(d);
    }
    SPI_finish();
    if (!OidIsValid(owner)) elog(ERROR, "extension aidis_sessions is not installed");
    return owner;
  });
}

}  // namespace

Oid extension_owner() {
  auto& cache = backend_cache();
  if (!cache.owner) {
    Oid owner = lookup_extension_owner();
    backend_cache_for_filling().owner = owner;
  }
  return *cache.owner;
}

OwnerSpi::OwnerSpi() {
  Oid owner = extension_owner();
  call([] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  });
  GetUserIdAndSecContext(&saved_user_, &saved_context_);
  SetUserIdAndSecContext(owner, saved_context_ | SECURITY_LOCAL_USERID_CHANGE);
}

std::uint64_t OwnerSpi::execute(Statement& statement, const Datum* values, const char* nulls,
                                bool read_only) {
  return call([&]() -> std::uint64_t {
    if (statement.plan == nullptr) {
      SPIPlanPtr plan = SPI_prepare(statement.sql.c_str(), static_cast<int>(statement.argtypes.size()),
                                    statement.argtypes.data());
      if (plan == nullptr) elog(ERROR, "SPI_prepare failed for: %s", statement.sql.c_str());
      SPI_keepplan(plan);
      statement.plan = plan;
    }
    int rc = SPI_execute_plan(statement.plan, const_cast<Datum*>(values), nulls, read_only, 0);
    if (rc < 0) elog(ERROR, "SPI_execute_plan failed (%d) for: %s", rc, statement.sql.c_str());
    return SPI_processed;
  });
}

Datum OwnerSpi::value(std::uint64_t row, int col, bool* isnull) const {
  return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

std::string OwnerSpi::text_at(std::uint64_t row, int col) const {
  bool isnull = true;
  Datum d = value(row, col, &isnull);
  if (isnull) return {};
  return call([&]() -> const char* { return TextDatumGetCString(d); });
}

void OwnerSpi::finish() {
  if (finished_) return;
  finished_ = true;
  SetUserIdAndSecContext(saved_user_, saved_context_);
  call([] { SPI_finish(); });
}

}  // namespace aidis::pg
