// SPI access for the C++ layer: queries run as the extension owner (the
// internal functions are not executable by PUBLIC), through prepared plans
// kept for the life of the backend.
#pragma once

#include <vector>

#include "pg/guard.hpp"

namespace aidis::pg {

// A statement prepared once per backend. `sql` must be schema-qualified.
struct Statement {
  std::string sql;
  std::vector<Oid> argtypes;
  SPIPlanPtr plan = nullptr;
};

// One SPI connection, running as the extension owner until finish().
// On an exception nothing is undone here: the error aborts the
// (sub)transaction, which restores the user and closes SPI.
class OwnerSpi {
 public:
  OwnerSpi();
  OwnerSpi(const OwnerSpi&) = delete;
  OwnerSpi& operator=(const OwnerSpi&) = delete;
  ~OwnerSpi() = default;

  // Executes a prepared statement; returns the number of rows (SPI_processed).
  std::uint64_t execute(Statement& statement, const Datum* values, const char* nulls, bool read_only);
  // Value of column `col` (1-based) of row `row` of the last result.
  Datum value(std::uint64_t row, int col, bool* isnull) const;
  // The same as text ("" when NULL).
  std::string text_at(std::uint64_t row, int col) const;
  void finish();

 private:
  Oid saved_user_ = InvalidOid;
  int saved_context_ = 0;
  bool finished_ = false;
};

// Oid of the role owning the extension, looked up once per transaction.
Oid extension_owner();

}  // namespace aidis::pg
