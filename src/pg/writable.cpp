// Writes into a disconnected project are refused (rule 8): the check, and the
// BEFORE ROW trigger of the session tables that applies it (tracked tables get
// it from their stamping trigger).
#include "pg/writable.hpp"

#include "pg/guard.hpp"
#include "pg/session_cache.hpp"
#include "pg/settings.hpp"
#include "pg/spi.hpp"
#include "pg/tx_state.hpp"
#include "pg/tuple.hpp"

namespace aidis::pg {

namespace {

Statement project_info_statement{"SELECT i.status, i.name FROM aidis._project_info($1) i", {UUIDOID}};

}  // namespace

void check_project_writable(const core::Uuid& project) {
  auto& cache = backend_cache();
  auto it = cache.projects.find(project);
  if (it == cache.projects.end()) {
    Datum args[1] = {uuid_datum(project)};
    OwnerSpi spi;
    ProjectFacts facts;
    if (spi.execute(project_info_statement, args, nullptr, true) == 1)
      facts = {spi.text_at(0, 1), spi.text_at(0, 2)};
    spi.finish();
    if (facts.status.empty())  // not cached: it may be created later
      throw Error(ERRCODE_FOREIGN_KEY_VIOLATION, "project " + project.str() + " does not exist",
                  "project_id must name a row of aidis.projects.");
    it = backend_cache_for_filling().projects.emplace(project, facts).first;
  }
  if (it->second.status == "disconnected")
    throw Error(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                "project \"" + it->second.name + "\" is disconnected",
                "Nothing reads or writes the data of a disconnected project.",
                "An aidis_admin can run aidis.reconnect_project().");
}

void check_row_writable(HeapTuple row, TupleDesc desc, int project_col, int session_col, bool new_row) {
  if (auto project = get_uuid(row, desc, project_col)) check_project_writable(*project);
  if (auto session = get_uuid(row, desc, session_col)) {
    auto project = new_row ? std::optional(session_project(*session)) : find_session_project(*session);
    if (project) check_project_writable(*project);
  }
}

namespace {

Datum writable_row(FunctionCallInfo fcinfo) {
  TriggerData* data = trigger_data(fcinfo, true);
  HeapTuple result = TRIGGER_FIRED_BY_UPDATE(data->tg_event) ? data->tg_newtuple : data->tg_trigtuple;
  if (tx_state().flushing) return PointerGetDatum(result);  // checked when buffered
  if (importing) return PointerGetDatum(result);            // adopt checked its projects at once
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

AIDIS_PG_FUNCTION(aidis_writable_row) { return aidis::pg::writable_row(fcinfo); }
// The name the release scripts of 0.1.0 to 0.3.0 bind aidis._guard_row to.
AIDIS_PG_FUNCTION(aidis_guard_row) { return aidis::pg::writable_row(fcinfo); }
