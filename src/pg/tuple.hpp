// Reading tracked rows: the columns tracking uses, found by name, and typed
// accessors that go through the guard.
#pragma once

#include "core/kind.hpp"
#include "pg/guard.hpp"
#include "pg/uuid_datum.hpp"

namespace aidis::pg {

// Attribute number of column `name` (0 = the table has no such column).
int column(TupleDesc desc, const char* name);

// The one rule for what tracking reads as text (a task's status): text,
// varchar, or a domain over either (keep aidis.track() in step).
bool is_text_like(Oid type);

// How the C++ code reads a column (docs/security.md, "Hostile column types and
// huge inputs"). Checked once, when a table's columns are resolved: a column is
// never trusted to have a type because of its name.
enum class ColumnType { Uuid, TextLike, TimestampTz };

// Attribute number of column `name` of `rel`, which it must have with `type`:
// 42703 when it is missing (or dropped), 42804 when it has another type. The
// hint of a tracked table says to repair the column or untrack the table; of
// the extension's own tables, to restore them.
enum class TableRole { Tracked, Extension };
int required_column(Relation rel, const char* name, ColumnType type, TableRole role);

// Attribute numbers (0 = the table has no such column, or not of the type the
// C++ code needs).
struct Columns {
  int id = 0;
  int session_id = 0;
  int project_id = 0;
  int status = 0;
  int completed_at = 0;
  int updated_at = 0;
  int summary = 0;  // content (contexts) or title
  int detail = 0;   // description (tasks) or rationale (decisions)
  int context_type = 0;

  // session_id and project_id uuid, and status text-like for tasks, are
  // required (errors as required_column); updated_at and completed_at are
  // stamped only when they are timestamptz; the other columns are read as text
  // whatever their type.
  static Columns of(Relation rel, core::Kind kind);
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
