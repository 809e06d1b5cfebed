// BEFORE ROW trigger of tracked tables: stamping (rule 4) and the
// disconnected-project check (rule 8) for rows being written.
#include "pg/guard.hpp"
#include "pg/host.hpp"
#include "pg/writable.hpp"
#include "pg/session_cache.hpp"
#include "pg/tuple.hpp"

namespace aidis::pg {
namespace {

// Columns to overwrite in the new row.
class Replacements {
 public:
  void set(int attnum, Datum value, bool isnull = false) {
    attnums_[count_] = attnum;
    values_[count_] = value;
    nulls_[count_] = isnull;
    ++count_;
  }
  HeapTuple apply(HeapTuple row, TupleDesc desc) {
    if (count_ == 0) return row;
    return call([&]() -> HeapTuple {
      return heap_modify_tuple_by_cols(row, desc, count_, attnums_, values_, nulls_);
    });
  }

 private:
  int count_ = 0;
  int attnums_[4] = {};
  Datum values_[4] = {};
  bool nulls_[4] = {};
};

// One pass over the row: read its ids once, resolve the session once, check
// each project it touches once, write the replacements once.
Datum track_before(FunctionCallInfo fcinfo) {
  TriggerData* data = trigger_data(fcinfo, true);
  const TrackedTable table = tracked_table(data);
  const Columns& cols = table.cols;
  TupleDesc desc = RelationGetDescr(data->tg_relation);
  const bool inserting = TRIGGER_FIRED_BY_INSERT(data->tg_event);
  HeapTuple old_row = inserting ? nullptr : data->tg_trigtuple;
  HeapTuple new_row = inserting                                 ? data->tg_trigtuple
                      : TRIGGER_FIRED_BY_UPDATE(data->tg_event) ? data->tg_newtuple
                                                                : nullptr;
  HeapTuple unchanged = new_row != nullptr ? new_row : old_row;
  if (is_host_move(data, cols))
    return PointerGetDatum(unchanged);  // aidis._host_move(): not a write to check

  // The row as it was (UPDATE, DELETE) may name a session that is gone since.
  if (old_row != nullptr) check_row_writable(old_row, desc, cols.project_id, cols.session_id, false);
  if (new_row == nullptr) return PointerGetDatum(old_row);

  Replacements replace;
  auto session = get_uuid(new_row, desc, cols.session_id);
  auto project = get_uuid(new_row, desc, cols.project_id);
  std::optional<core::Uuid> checked;  // the project checked already
  std::optional<core::Uuid> session_project_id;
  if (!session && inserting && cols.session_id != 0) {
    // A disconnected project must be refused before a session can be started on it.
    if (project) {
      check_project_writable(*project);
      checked = project;
    }
    auto current = current_session(true, project);
    if (!current) throw Error(ERRCODE_INTERNAL_ERROR, "no session could be started");
    session = current->session;
    session_project_id = current->project;
    replace.set(cols.session_id, uuid_datum(current->session));
  } else if (session) {
    session_project_id = session_project(*session);
  }
  if (!project && session && cols.project_id != 0) {
    project = session_project_id;
    replace.set(cols.project_id, uuid_datum(*project));
  }
  if (project && project != checked) check_project_writable(*project);
  if (session_project_id && session_project_id != project) check_project_writable(*session_project_id);

  TimestampTz now = GetCurrentTransactionStartTimestamp();
  if (table.kind == core::Kind::Task && cols.status != 0 && cols.completed_at != 0) {
    bool completed_now = get_text(new_row, desc, cols.status) == "completed";
    bool completed_before = old_row != nullptr && get_text(old_row, desc, cols.status) == "completed";
    bool has_completed_at = !is_null(new_row, desc, cols.completed_at);
    if (completed_now && !completed_before && !has_completed_at)
      replace.set(cols.completed_at, TimestampTzGetDatum(now));
    else if (!completed_now && completed_before && has_completed_at)
      replace.set(cols.completed_at, Datum(0), true);
  }
  if (old_row != nullptr && cols.updated_at != 0) replace.set(cols.updated_at, TimestampTzGetDatum(now));

  return PointerGetDatum(replace.apply(new_row, desc));
}

}  // namespace
}  // namespace aidis::pg

AIDIS_PG_FUNCTION(aidis_track_before) { return aidis::pg::track_before(fcinfo); }
