#include <unordered_map>

#include "pg/tuple.hpp"

namespace aidis::pg {

int column(TupleDesc desc, const char* name) {
  int attnum = SPI_fnumber(desc, name);
  return attnum > 0 ? attnum : 0;
}

bool is_text_like(Oid type) {
  Oid base = call([&]() -> Oid { return getBaseType(type); });
  return base == TEXTOID || base == VARCHAROID;
}

namespace {

bool has_type(Oid type, ColumnType wanted) {
  switch (wanted) {
    case ColumnType::Uuid:
      return type == UUIDOID;
    case ColumnType::TextLike:
      return is_text_like(type);
    case ColumnType::TimestampTz:
      return type == TIMESTAMPTZOID;
  }
  return false;
}

const char* type_name(ColumnType type) {
  switch (type) {
    case ColumnType::Uuid:
      return "uuid";
    case ColumnType::TextLike:
      return "text";
    case ColumnType::TimestampTz:
      return "timestamptz";
  }
  return "?";
}

std::string type_detail(const char* name, ColumnType type) {
  std::string detail = std::string("Session tracking reads \"") + name + "\" as " + type_name(type) + ".";
  if (type == ColumnType::TextLike) detail += " Text means text, varchar or a domain over either.";
  return detail;
}

std::string qualified_name(Relation rel) {
  return call([&]() -> const char* {
    return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
                                      RelationGetRelationName(rel));
  });
}

// `name` of type `type`, or 0 when the table has no such column or it has another type.
int typed_column(TupleDesc desc, const char* name, ColumnType type) {
  int attnum = column(desc, name);
  return attnum != 0 && has_type(TupleDescAttr(desc, attnum - 1)->atttypid, type) ? attnum : 0;
}

std::string repair_hint(Relation rel, const char* name, ColumnType type, TableRole role) {
  if (role == TableRole::Extension)
    return "The table belongs to the extension: give the column back the type the extension created it with.";
  std::string table = qualified_name(rel);
  std::string literal = call([&]() -> const char* { return quote_literal_cstr(table.c_str()); });
  return std::string("Make \"") + name + "\" a " + type_name(type) +
         " column again, or stop tracking the table: SELECT aidis.untrack(" + literal + ");";
}

}  // namespace

int required_column(Relation rel, const char* name, ColumnType type, TableRole role) {
  TupleDesc desc = RelationGetDescr(rel);
  int attnum = column(desc, name);  // dropped columns are not found
  if (attnum == 0)
    throw Error(ERRCODE_UNDEFINED_COLUMN,
                qualified_name(rel) + " has no column \"" + name + "\", which session tracking needs",
                type_detail(name, type), repair_hint(rel, name, type, role));
  Oid actual = TupleDescAttr(desc, attnum - 1)->atttypid;
  if (!has_type(actual, type)) {
    std::string actual_name = call([&]() -> const char* { return format_type_be(actual); });
    throw Error(ERRCODE_DATATYPE_MISMATCH,
                "column \"" + std::string(name) + "\" of " + qualified_name(rel) + " is " + actual_name +
                    ", but session tracking reads it as " + type_name(type),
                type_detail(name, type), repair_hint(rel, name, type, role));
  }
  return attnum;
}

Columns Columns::of(Relation rel, core::Kind kind) {
  TupleDesc desc = RelationGetDescr(rel);
  Columns c;
  c.id = column(desc, "id");
  c.session_id = required_column(rel, "session_id", ColumnType::Uuid, TableRole::Tracked);
  c.project_id = required_column(rel, "project_id", ColumnType::Uuid, TableRole::Tracked);
  if (kind == core::Kind::Task) {
    c.status = required_column(rel, "status", ColumnType::TextLike, TableRole::Tracked);
    c.completed_at = typed_column(desc, "completed_at", ColumnType::TimestampTz);
  }
  c.updated_at = typed_column(desc, "updated_at", ColumnType::TimestampTz);
  const core::KindFacts& facts = core::facts(kind);
  c.summary = column(desc, facts.summary_column);
  c.detail = facts.detail_column != nullptr ? column(desc, facts.detail_column) : 0;
  c.context_type = kind == core::Kind::Context ? column(desc, "context_type") : 0;
  return c;
}

TriggerData* trigger_data(FunctionCallInfo fcinfo, bool before) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    throw Error(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED, "function must be called as a trigger");
  auto* data = reinterpret_cast<TriggerData*>(fcinfo->context);
  if (!TRIGGER_FIRED_FOR_ROW(data->tg_event) ||
      (before ? !TRIGGER_FIRED_BEFORE(data->tg_event) : !TRIGGER_FIRED_AFTER(data->tg_event)))
    throw Error(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                before ? "trigger must fire BEFORE, FOR EACH ROW" : "trigger must fire AFTER, FOR EACH ROW");
  return data;
}

namespace {
std::unordered_map<Oid, TrackedTable>& tracked_tables() {  // by trigger oid
  static std::unordered_map<Oid, TrackedTable> tables;
  return tables;
}
}  // namespace

TrackedTable tracked_table(const TriggerData* data) {
  const Trigger* trigger = data->tg_trigger;
  auto& tables = tracked_tables();
  if (auto it = tables.find(trigger->tgoid); it != tables.end()) return it->second;

  std::optional<core::Kind> kind;
  if (trigger->tgnargs == 1) kind = core::parse_kind(trigger->tgargs[0]);
  if (!kind)
    throw Error(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                "tracking trigger needs one argument: context, task or decision", "",
                "Attach tracking with aidis.track(table, kind).");
  Relation rel = data->tg_relation;
  TrackedTable table;
  table.kind = *kind;
  table.cols = Columns::of(rel, *kind);  // throws on a column of the wrong type: nothing cached
  table.name = qualified_name(rel);
  table.relid = RelationGetRelid(rel);
  tables.emplace(trigger->tgoid, table);
  return table;
}

void forget_tracked_table(Oid relid) {
  auto& tables = tracked_tables();
  if (relid == InvalidOid) {
    tables.clear();
    return;
  }
  for (auto it = tables.begin(); it != tables.end();)
    it = it->second.relid == relid ? tables.erase(it) : std::next(it);
}

std::optional<core::Uuid> get_uuid(HeapTuple row, TupleDesc desc, int attnum) {
  if (attnum == 0) return std::nullopt;
  // Resolved as uuid (required_column); a cache that missed an ALTER would be a bug, not a crash.
  if (TupleDescAttr(desc, attnum - 1)->atttypid != UUIDOID)
    throw Error(ERRCODE_INTERNAL_ERROR,
                "aidis_sessions: column " + std::to_string(attnum) + " is not a uuid");
  bool isnull = true;
  Datum d = call([&]() -> Datum { return heap_getattr(row, attnum, desc, &isnull); });
  if (isnull) return std::nullopt;
  return to_uuid(d);
}

bool is_null(HeapTuple row, TupleDesc desc, int attnum) {
  return attnum == 0 || heap_attisnull(row, attnum, desc);
}

std::string_view get_text_view(HeapTuple row, TupleDesc desc, int attnum, std::string& storage) {
  if (attnum == 0) return {};
  Oid type = TupleDescAttr(desc, attnum - 1)->atttypid;
  if (type != TEXTOID && type != VARCHAROID) {
    storage = get_text(row, desc, attnum);
    return storage;
  }
  bool isnull = true;
  Datum d = call([&]() -> Datum { return heap_getattr(row, attnum, desc, &isnull); });
  if (isnull) return {};
  text* value = static_cast<text*>(call([&]() -> void* { return PG_DETOAST_DATUM_PACKED(d); }));
  return std::string_view(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

std::string get_text(HeapTuple row, TupleDesc desc, int attnum) {
  if (attnum == 0) return {};
  const char* text = call([&]() -> const char* { return SPI_getvalue(row, desc, attnum); });
  return text != nullptr ? std::string(text) : std::string();
}

}  // namespace aidis::pg
