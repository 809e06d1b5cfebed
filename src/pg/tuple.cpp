#include <unordered_map>

#include "pg/tuple.hpp"

namespace aidis::pg {

int column(TupleDesc desc, const char* name) {
  int attnum = SPI_fnumber(desc, name);
  return attnum > 0 ? attnum : 0;
}

Columns Columns::of(TupleDesc desc, core::Kind kind) {
  Columns c;
  c.id = column(desc, "id");
  c.session_id = column(desc, "session_id");
  c.project_id = column(desc, "project_id");
  c.status = column(desc, "status");
  c.completed_at = column(desc, "completed_at");
  c.updated_at = column(desc, "updated_at");
  c.summary = column(desc, core::summary_column(kind));
  c.detail = kind == core::Kind::Task       ? column(desc, "description")
             : kind == core::Kind::Decision ? column(desc, "rationale")
                                            : 0;
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
                "tracking trigger needs one argument: context, task or decision",
                "", "Attach tracking with aidis.track(table, kind).");
  Relation rel = data->tg_relation;
  TrackedTable table;
  table.kind = *kind;
  table.cols = Columns::of(RelationGetDescr(rel), *kind);
  table.name = call([&]() -> const char* {
    return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
                                      RelationGetRelationName(rel));
  });
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
