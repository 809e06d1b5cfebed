// Reading tracked rows: the columns tracking uses, found by name, and typed
// accessors that go through the guard.
#pragma once

#include "core/kind.hpp"
#include "pg/guard.hpp"
#include "pg/tx_state.hpp"

namespace aidis::pg {

// Attribute number of column `name` (0 = the table has no such column).
int column(TupleDesc desc, const char* name);

// Attribute numbers (0 = the table has no such column).
struct Columns {
  int id = 0;
  int session_id = 0;
  int project_id = 0;
  int status = 0;
  int completed_at = 0;
  int updated_at = 0;
  int summary = 0;       // content (contexts) or title
  int detail = 0;        // description (tasks) or rationale (decisions)
  int context_type = 0;

  static Columns of(TupleDesc desc, core::Kind kind);
};

// The trigger's context, checked: called by the trigger manager, for rows,
// at the expected time.
TriggerData* trigger_data(FunctionCallInfo fcinfo, bool before);

// What a tracking trigger needs about its table. Worked out once per trigger
// and backend, and forgotten when the table's relcache entry is invalidated
// (ALTER TABLE, a new or dropped trigger): every row of every statement reads it.
struct TrackedTable {
  core::Kind kind;
  Columns cols;
  std::string name;  // schema-qualified, for timeline data
  Oid relid;
};
// A copy: an invalidation may arrive while the trigger runs.
TrackedTable tracked_table(const TriggerData* data);
// Relcache invalidation callback's part (InvalidOid: everything).
void forget_tracked_table(Oid relid);

std::optional<core::Uuid> get_uuid(HeapTuple row, TupleDesc desc, int attnum);
// Text form of a column ("" when NULL or absent).
std::string get_text(HeapTuple row, TupleDesc desc, int attnum);
// The same without a copy for text columns; valid for the current row.
std::string_view get_text_view(HeapTuple row, TupleDesc desc, int attnum, std::string& storage);
bool is_null(HeapTuple row, TupleDesc desc, int attnum);


}  // namespace aidis::pg
