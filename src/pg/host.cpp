// aidis._host_rows() and aidis._host_move(): the extension's only queries over
// a tracked table; aidis._host_insert_project(): its only write to an adopted
// projects table. They run as the table's owner inside a security-restricted
// operation, as PostgreSQL runs ANALYZE and index expressions (vacuum.c,
// matview.c): whatever the owner attached to the table (a cast or operator on
// a column type, a trigger, a policy, an index expression) runs with the
// owner's rights, never with those of the role that called the extension.
// The owner may have no rights on the aidis tables, so these functions only
// read or move host rows; the SQL callers update the aidis tables afterwards,
// as the extension owner, from the uuids and counts returned.
#include "pg/host.hpp"

#include <memory>
#include <optional>
#include <vector>

#include "pg/guard.hpp"

namespace aidis::pg {
namespace {

// The row move in progress (aidis._host_move), if any.
// A move the triggers let through: rows of `session` filed under project
// `from` go to (`to_session`, project `to`). A session move (to_session set)
// keeps each row's project: from and to are then not compared.
struct Move {
  Oid relid;
  core::Uuid session, from, to;
  std::optional<core::Uuid> to_session;
};
std::optional<Move> active_move;

class MoveScope {
 public:
  explicit MoveScope(const Move& move) : saved_(active_move) { active_move = move; }
  ~MoveScope() { active_move = saved_; }
  MoveScope(const MoveScope&) = delete;
  MoveScope& operator=(const MoveScope&) = delete;

 private:
  std::optional<Move> saved_;
};

// What the query needs about the table, read under the lock it keeps.
struct HostTable {
  Oid owner = InvalidOid;
  std::string name;     // schema-qualified, quoted; "ONLY ..." for a plain table
  bool has_id = false;  // an "id" column (whatever its type)
};

Oid column_type(TupleDesc desc, const char* column) {
  int attnum = SPI_fnumber(desc, column);
  return attnum > 0 ? TupleDescAttr(desc, attnum - 1)->atttypid : InvalidOid;
}

// The columns the query reads must be exactly uuid, so that their operators
// are the built-in ones (aidis.track and the DDL event triggers keep them so;
// this is the last line).
void require_uuid(Oid type, const char* column, const std::string& table) {
  if (type == UUIDOID) return;
  std::string name = "column \"" + std::string(column) + "\" of " + table;
  const char* hint = "An aidis_admin can untrack the table, which does not read it.";
  if (type == InvalidOid) throw Error(ERRCODE_UNDEFINED_COLUMN, name + " does not exist", "", hint);
  throw Error(ERRCODE_DATATYPE_MISMATCH, name + " is not of type uuid", "", hint);
}

// Nothing when the table is gone and missing_ok: a registry entry of a table
// dropped while the event triggers did not fire (replica mode) has no rows.
std::optional<HostTable> open_host_table(Oid relid, LOCKMODE lock, bool missing_ok = false) {
  Relation rel = call([&]() -> Relation { return try_relation_open(relid, lock); });
  if (rel == nullptr) {
    if (missing_ok) return std::nullopt;
    throw Error(ERRCODE_UNDEFINED_TABLE, "relation with OID " + std::to_string(relid) + " does not exist");
  }
  char kind = rel->rd_rel->relkind;
  Oid session_type = column_type(RelationGetDescr(rel), "session_id");
  Oid project_type = column_type(RelationGetDescr(rel), "project_id");
  HostTable table;
  table.owner = rel->rd_rel->relowner;
  table.has_id = column_type(RelationGetDescr(rel), "id") != InvalidOid;
  table.name = call([&]() -> const char* {
    return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
                                      RelationGetRelationName(rel));
  });
  call([&] { relation_close(rel, NoLock); });  // the lock stays until the end of the transaction
  if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE)
    throw Error(ERRCODE_WRONG_OBJECT_TYPE, table.name + " is not a table");
  require_uuid(session_type, "session_id", table.name);
  require_uuid(project_type, "project_id", table.name);
  // Row triggers are not inherited: the children of a plain table are not tracked.
  if (kind == RELKIND_RELATION) table.name = "ONLY " + table.name;
  return table;
}

// As the table's owner, in a security-restricted operation, with a GUC nest
// level that takes back whatever the owner's code sets and a pinned
// search_path. finish() restores the caller; on an error nothing is undone
// here: the (sub)transaction abort restores the user, the security context
// and the settings.
class AsTableOwner {
 public:
  explicit AsTableOwner(Oid owner) {
    GetUserIdAndSecContext(&saved_user_, &saved_context_);
    SetUserIdAndSecContext(owner, saved_context_ | SECURITY_RESTRICTED_OPERATION);
    nest_level_ = call([] {
      int level = NewGUCNestLevel();
      set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
                        true, 0, false);
      return level;
    });
  }
  AsTableOwner(const AsTableOwner&) = delete;
  AsTableOwner& operator=(const AsTableOwner&) = delete;

  void finish() {
    call([&] { AtEOXact_GUC(false, nest_level_); });
    SetUserIdAndSecContext(saved_user_, saved_context_);
  }

 private:
  Oid saved_user_ = InvalidOid;
  int saved_context_ = 0;
  int nest_level_ = 0;
};

// Runs `sql` (a SELECT with uuid parameters `values`) on a host table as its
// owner and returns its rows, of the column types `columns`, as the result set
// of the calling set-returning function.
Datum owner_query_rows(FunctionCallInfo fcinfo, const HostTable& table, const std::string& sql,
                       std::vector<Datum> values, const std::vector<Oid>& columns) {
  std::vector<Oid> types(values.size(), UUIDOID);
  // Owned here, not in the guarded lambda: an error longjmps out of that frame.
  std::vector<Datum> out(columns.size());
  std::unique_ptr<bool[]> nulls(new bool[columns.size()]);
  auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  call([] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  });
  AsTableOwner as_owner(table.owner);
  call([&] {
    if (SPI_execute_with_args(sql.c_str(), static_cast<int>(values.size()), types.data(), values.data(),
                              nullptr, true, 0) != SPI_OK_SELECT)
      elog(ERROR, "SPI_execute_with_args failed for: %s", sql.c_str());
    TupleDesc desc = SPI_tuptable->tupdesc;
    bool typed = desc->natts == static_cast<int>(columns.size());
    for (int col = 0; typed && col < desc->natts; ++col)
      typed = TupleDescAttr(desc, col)->atttypid == columns[col];
    if (!typed) elog(ERROR, "unexpected result type of: %s", sql.c_str());
    for (uint64 row = 0; row < SPI_processed; ++row) {
      CHECK_FOR_INTERRUPTS();
      for (int col = 0; col < desc->natts; ++col)
        out[col] = SPI_getbinval(SPI_tuptable->vals[row], desc, col + 1, &nulls[col]);
      tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out.data(), nulls.get());
    }
  });
  as_owner.finish();
  call([] { SPI_finish(); });
  return Datum(0);
}

// aidis._host_rows(tbl, sid, pid): (session_id, project_id, n) for the rows
// of tbl, grouped, optionally only those of session sid and project pid.
Datum host_rows(FunctionCallInfo fcinfo) {
  if (PG_ARGISNULL(0)) throw Error(ERRCODE_INVALID_PARAMETER_VALUE, "table must not be NULL");
  call([&] { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
  std::optional<HostTable> found = open_host_table(PG_GETARG_OID(0), AccessShareLock, true);
  if (!found) return Datum(0);
  std::string sql = "SELECT t.session_id, t.project_id, pg_catalog.count(*) FROM " + found->name + " t";
  std::vector<Datum> values;
  for (int arg = 1; arg <= 2; ++arg) {
    if (PG_ARGISNULL(arg)) continue;
    values.push_back(PG_GETARG_DATUM(arg));
    sql += (values.size() == 1 ? " WHERE t." : " AND t.") +
           std::string(arg == 1 ? "session_id" : "project_id") + " OPERATOR(pg_catalog.=) $" +
           std::to_string(values.size());
  }
  sql += " GROUP BY 1, 2";
  return owner_query_rows(fcinfo, *found, sql, std::move(values), {UUIDOID, UUIDOID, INT8OID});
}

// aidis._host_ids(tbl, sid): (id as text, project_id) of the rows of session
// sid in tbl; none when tbl has no id column (session_export orders them).
Datum host_ids(FunctionCallInfo fcinfo) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
    throw Error(ERRCODE_INVALID_PARAMETER_VALUE, "table and session must not be NULL");
  call([&] { InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC); });
  std::optional<HostTable> found = open_host_table(PG_GETARG_OID(0), AccessShareLock, true);
  if (!found || !found->has_id) return Datum(0);
  std::string sql = "SELECT t.id::pg_catalog.text, t.project_id FROM " + found->name +
                    " t WHERE t.session_id OPERATOR(pg_catalog.=) $1";
  return owner_query_rows(fcinfo, *found, sql, {PG_GETARG_DATUM(1)}, {TEXTOID, UUIDOID});
}

// Runs `sql` (an UPDATE with `nargs` uuid parameters) on a host table as its
// owner, with `move` let through by the triggers; returns the rows updated.
uint64 run_move(const HostTable& table, const std::string& sql, const Move& move, Datum* values, int nargs) {
  Oid types[3] = {UUIDOID, UUIDOID, UUIDOID};
  call([] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  });
  MoveScope scope(move);
  AsTableOwner as_owner(table.owner);
  auto moved = call([&]() -> uint64 {
    if (SPI_execute_with_args(sql.c_str(), nargs, types, values, nullptr, false, 0) != SPI_OK_UPDATE)
      elog(ERROR, "SPI_execute_with_args failed for: %s", sql.c_str());
    return SPI_processed;
  });
  as_owner.finish();
  call([] { SPI_finish(); });
  return moved;
}

// aidis._host_move(tbl, sid, source, target): moves the rows of session sid
// filed under project source to project target; returns how many.
Datum host_move(FunctionCallInfo fcinfo) {
  Oid relid = PG_GETARG_OID(0);
  Move move{relid, to_uuid(PG_GETARG_DATUM(1)), to_uuid(PG_GETARG_DATUM(2)), to_uuid(PG_GETARG_DATUM(3)),
            std::nullopt};
  HostTable table = *open_host_table(relid, RowExclusiveLock);
  std::string sql = "UPDATE " + table.name +
                    " t SET project_id = $3 WHERE t.session_id OPERATOR(pg_catalog.=) $1"
                    " AND t.project_id OPERATOR(pg_catalog.=) $2";
  Datum values[3] = {PG_GETARG_DATUM(1), PG_GETARG_DATUM(2), PG_GETARG_DATUM(3)};
  PG_RETURN_INT64(static_cast<int64>(run_move(table, sql, move, values, 3)));
}

// aidis._host_move_session(tbl, sid, target): moves every row of session sid
// to session target, each keeping its project (aidis.delete_session);
// returns how many. The caller moves the counters.
Datum host_move_session(FunctionCallInfo fcinfo) {
  Oid relid = PG_GETARG_OID(0);
  core::Uuid sid = to_uuid(PG_GETARG_DATUM(1));
  Move move{relid, sid, sid, sid, to_uuid(PG_GETARG_DATUM(2))};
  HostTable table = *open_host_table(relid, RowExclusiveLock);
  std::string sql =
      "UPDATE " + table.name + " t SET session_id = $2 WHERE t.session_id OPERATOR(pg_catalog.=) $1";
  Datum values[2] = {PG_GETARG_DATUM(1), PG_GETARG_DATUM(2)};
  PG_RETURN_INT64(static_cast<int64>(run_move(table, sql, move, values, 2)));
}

// aidis._host_insert_project(host, id, name, root_directory): a project the
// extension creates, inserted into an adopted projects table (docs/adopting.md)
// as that table's owner: the host's own triggers, defaults and domain checks
// run with the owner's rights, not the extension owner's. The mirror trigger
// then adds the project to aidis.projects.
bool text_like(Oid type) {
  Oid base = call([&] { return getBaseType(type); });
  return base == TEXTOID || base == VARCHAROID;
}

Datum host_insert_project(FunctionCallInfo fcinfo) {
  for (int arg = 0; arg < 3; ++arg)
    if (PG_ARGISNULL(arg))
      throw Error(ERRCODE_INVALID_PARAMETER_VALUE, "table, id and name must not be NULL");
  Relation rel = call([&]() -> Relation { return try_relation_open(PG_GETARG_OID(0), RowExclusiveLock); });
  if (rel == nullptr) throw Error(ERRCODE_UNDEFINED_TABLE, "the adopted projects table does not exist");
  TupleDesc desc = RelationGetDescr(rel);
  Oid id_type = column_type(desc, "id"), name_type = column_type(desc, "name");
  Oid root_type = column_type(desc, "root_directory");
  Oid owner = rel->rd_rel->relowner;
  std::string name = call([&]() -> const char* {
    return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
                                      RelationGetRelationName(rel));
  });
  call([&] { relation_close(rel, NoLock); });
  // The exact types adopt() read them with: no cast the owner chose.
  if (id_type != UUIDOID || !text_like(name_type))
    throw Error(ERRCODE_DATATYPE_MISMATCH, name + " needs columns id uuid and name text or varchar", "",
                "Its columns changed after aidis.adopt().");
  bool with_root = root_type != InvalidOid && text_like(root_type) && !PG_ARGISNULL(3);
  std::string sql =
      "INSERT INTO " + name +
      (with_root ? " (id, name, root_directory) VALUES ($1, $2, $3)" : " (id, name) VALUES ($1, $2)");
  Datum values[3] = {PG_GETARG_DATUM(1), PG_GETARG_DATUM(2), with_root ? PG_GETARG_DATUM(3) : Datum(0)};
  Oid types[3] = {UUIDOID, TEXTOID, TEXTOID};

  call([] {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  });
  AsTableOwner as_owner(owner);
  call([&] {
    if (SPI_execute_with_args(sql.c_str(), with_root ? 3 : 2, types, values, nullptr, false, 0) !=
        SPI_OK_INSERT)
      elog(ERROR, "SPI_execute_with_args failed for: %s", sql.c_str());
  });
  as_owner.finish();
  call([] { SPI_finish(); });
  PG_RETURN_VOID();
}

}  // namespace

bool is_host_move(const TriggerData* data, const Columns& cols) {
  if (!active_move) return false;
  const Move& move = *active_move;
  // Only rows of the moved table (or of its partitions): code the owner runs
  // meanwhile writes other tables tracked as usual.
  Relation rel = data->tg_relation;
  if (RelationGetRelid(rel) != move.relid &&
      !(rel->rd_rel->relispartition && call([&]() -> bool {
          return list_member_oid(get_partition_ancestors(RelationGetRelid(rel)), move.relid);
        })))
    return false;
  TupleDesc desc = RelationGetDescr(rel);
  HeapTuple old_row = TRIGGER_FIRED_BY_INSERT(data->tg_event) ? nullptr : data->tg_trigtuple;
  HeapTuple new_row = TRIGGER_FIRED_BY_INSERT(data->tg_event)   ? data->tg_trigtuple
                      : TRIGGER_FIRED_BY_UPDATE(data->tg_event) ? data->tg_newtuple
                                                                : nullptr;
  if (move.to_session) {  // a session move: only UPDATEs, each row keeping its project
    if (old_row == nullptr || new_row == nullptr ||
        get_uuid(old_row, desc, cols.session_id) != move.session ||
        get_uuid(new_row, desc, cols.session_id) != move.to_session ||
        get_uuid(old_row, desc, cols.project_id) != get_uuid(new_row, desc, cols.project_id))
      return false;
  } else {
    if (old_row != nullptr && (get_uuid(old_row, desc, cols.session_id) != move.session ||
                               get_uuid(old_row, desc, cols.project_id) != move.from))
      return false;
    if (new_row != nullptr && (get_uuid(new_row, desc, cols.session_id) != move.session ||
                               get_uuid(new_row, desc, cols.project_id) != move.to))
      return false;
  }
  return old_row == nullptr || new_row == nullptr ||
         get_text(old_row, desc, cols.status) == get_text(new_row, desc, cols.status);
}

}  // namespace aidis::pg

AIDIS_PG_FUNCTION(aidis_host_rows) { return aidis::pg::host_rows(fcinfo); }

AIDIS_PG_FUNCTION(aidis_host_ids) { return aidis::pg::host_ids(fcinfo); }

AIDIS_PG_FUNCTION(aidis_host_move) { return aidis::pg::host_move(fcinfo); }

AIDIS_PG_FUNCTION(aidis_host_move_session) { return aidis::pg::host_move_session(fcinfo); }

AIDIS_PG_FUNCTION(aidis_host_insert_project) { return aidis::pg::host_insert_project(fcinfo); }
