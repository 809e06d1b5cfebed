// BEFORE ROW trigger of the session tables: the disconnected-project guard
// (rule 8). Tracked tables get the same check from their stamping trigger.
#include "pg/project_guard.hpp"

#include "pg/guard.hpp"
#include "pg/session_cache.hpp"
#include "pg/tuple.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(aidis_guard_row);
Datum aidis_guard_row(PG_FUNCTION_ARGS);
}

namespace aidis::pg {

extern bool importing;  // aidis.importing (src/pg/module.cpp)

void check_row_writable(HeapTuple row, TupleDesc desc, int project_col, int session_col, bool new_row) {
  if (auto project = get_uuid(row, desc, project_col)) check_project_writable(*project);
  if (auto session = get_uuid(row, desc, session_col)) {
    auto project = new_row ? std::optional(session_project(*session)) : find_session_project(*session);
    if (project) check_project_writable(*project);
  }
}

namespace {

Datum guard_row(FunctionCallInfo fcinfo) {
  TriggerData* data = trigger_data(fcinfo, true);
  HeapTuple result = TRIGGER_FIRED_BY_UPDATE(data->tg_event) ? data->tg_newtuple : data->tg_trigtuple;
  if (tx_state().flushing) return PointerGetDatum(result);  // checked when buffered
  if (importing) return PointerGetDatum(result);             // adopt checked its projects at once
  Relation rel = data->tg_relation;
  TupleDesc desc = RelationGetDescr(rel);
  int project_col = required_column(rel, "project_id", ColumnType::Uuid, TableRole::Extension);
  int session_col = column(desc, "session_id") == 0  // session_base has none
                        ? 0
                        : required_column(rel, "session_id", ColumnType::Uuid, TableRole::Extension);

  if (!TRIGGER_FIRED_BY_INSERT(data->tg_event))  // UPDATE, DELETE: the row as it is
    check_row_writable(data->tg_trigtuple, desc, project_col, session_col, false);
  if (!TRIGGER_FIRED_BY_DELETE(data->tg_event))  // INSERT, UPDATE: the row as it will be
    check_row_writable(result, desc, project_col, session_col, true);
  return PointerGetDatum(result);
}

}  // namespace
}  // namespace aidis::pg

Datum aidis_guard_row(PG_FUNCTION_ARGS) {
  return aidis::pg::shim("aidis._guard_row", [&] { return aidis::pg::guard_row(fcinfo); });
}
