// Reading tracked rows: the columns tracking uses, found by name, and typed
// accessors that go through the guard.
#pragma once

#include "core/kind.hpp"
#include "pg/guard.hpp"
#include "pg/tx_state.hpp"

namespace aidis::pg {

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
// at the expected time, with a valid kind argument when `with_kind`.
TriggerData* trigger_data(FunctionCallInfo fcinfo, bool before);
core::Kind trigger_kind(const TriggerData* data);

std::optional<core::Uuid> get_uuid(HeapTuple row, TupleDesc desc, int attnum);
// Text form of a column ("" when NULL or absent).
std::string get_text(HeapTuple row, TupleDesc desc, int attnum);
bool is_null(HeapTuple row, TupleDesc desc, int attnum);

// Qualified name of the trigger's table, for timeline data.
std::string table_name(const TriggerData* data);

}  // namespace aidis::pg
