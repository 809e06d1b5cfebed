// AFTER ROW trigger of tracked tables, touch() and record_usage(): all feed
// the per-transaction buffer, which flush_buffer() writes just before commit
// as one upsert per session into this backend's delta slot plus the
// timeline events (docs/counters.md).
#include "pg/counters.hpp"

#include "core/event_data.hpp"
#include "core/text_signals.hpp"
#include "pg/guard.hpp"
#include "pg/session_cache.hpp"
#include "pg/spi.hpp"
#include "pg/tuple.hpp"

#include <vector>

extern "C" {
PG_FUNCTION_INFO_V1(aidis_track_after);
PG_FUNCTION_INFO_V1(aidis_buffer_touch);
PG_FUNCTION_INFO_V1(aidis_buffer_usage);
PG_FUNCTION_INFO_V1(aidis_buffer_file);
PG_FUNCTION_INFO_V1(aidis_flush_pending);
Datum aidis_flush_pending(PG_FUNCTION_ARGS);
Datum aidis_buffer_file(PG_FUNCTION_ARGS);
Datum aidis_track_after(PG_FUNCTION_ARGS);
Datum aidis_buffer_touch(PG_FUNCTION_ARGS);
Datum aidis_buffer_usage(PG_FUNCTION_ARGS);
}

namespace aidis::pg {

using core::Counter;

namespace {

constexpr std::size_t kSummaryBytes = 160;

int nest_level() { return GetCurrentTransactionNestLevel(); }

void count(const core::Uuid& session, const core::Uuid& project, Counter counter, std::int64_t delta) {
  tx_state().buffer.add(nest_level(), session, project, counter, delta);
}

void record(const core::Uuid& session, const core::Uuid& project, std::string kind,
            std::string entity, std::string summary, std::string data) {
  core::Event event;
  event.session = session;
  event.project = project;
  event.kind = std::move(kind);
  event.entity_id = std::move(entity);
  event.summary = std::move(summary);
  event.data_json = std::move(data);
  event.occurred_at = GetCurrentStatementStartTimestamp();
  tx_state().buffer.add_event(nest_level(), std::move(event));
}

// The session a task status change is credited to: the current one
// ("completions that happened while the session was current").
SessionRef crediting_session() {
  auto current = current_session(true);
  if (!current) throw Error(ERRCODE_INTERNAL_ERROR, "no session could be started");
  return *current;
}

void track_task_status(const std::string& from, const std::string& to, const std::string& entity,
                       const std::string& title, const std::string& table) {
  auto transition = core::task_transition(from, to);
  if (transition == core::TaskTransition::None) return;
  SessionRef credit = crediting_session();
  std::string data = core::json_object({{"table", table}, {"from", from}, {"to", to}});
  const char* kind = "task_status_changed";
  if (transition == core::TaskTransition::Completed) {
    count(credit.session, credit.project, Counter::TasksCompleted, 1);
    kind = "task_completed";
  } else if (transition == core::TaskTransition::Reopened) {
    count(credit.session, credit.project, Counter::TasksReopened, 1);
    kind = "task_reopened";
  }
  count(credit.session, credit.project, Counter::ActivityCount, 1);
  record(credit.session, credit.project, kind, entity, title, std::move(data));
}

Datum track_after(FunctionCallInfo fcinfo) {
  TriggerData* data = trigger_data(fcinfo, false);
  core::Kind kind = trigger_kind(data);
  TupleDesc desc = RelationGetDescr(data->tg_relation);
  Columns cols = Columns::of(desc, kind);
  std::string table = table_name(data);
  Counter created = core::created_counter(kind);

  if (TRIGGER_FIRED_BY_INSERT(data->tg_event)) {
    HeapTuple row = data->tg_trigtuple;
    auto session = get_uuid(row, desc, cols.session_id);
    if (!session) return PointerGetDatum(nullptr);  // a host row attached to no session
    core::Uuid project = session_project(*session);
    std::string entity = get_text(row, desc, cols.id);
    std::string text = get_text(row, desc, cols.summary);
    std::string summary = core::summarize(text, kSummaryBytes);
    count(*session, project, created, 1);
    count(*session, project, Counter::ActivityCount, 1);
    count(*session, project, Counter::EstimatedTokens,
          core::estimate_tokens(text) + core::estimate_tokens(get_text(row, desc, cols.detail)));
    if (kind == core::Kind::Context)
      for (auto& path : core::extract_mentions(text)) {
        core::FileTouch touch;
        touch.session = *session;
        touch.project = project;
        touch.path = std::move(path);
        touch.mentions = 1;
        touch.at = GetCurrentStatementStartTimestamp();
        tx_state().buffer.add_file(nest_level(), std::move(touch));
      }
    std::string status = kind == core::Kind::Task ? get_text(row, desc, cols.status) : "";
    record(*session, project, core::created_event(kind), entity, summary,
           core::json_object({{"table", table},
                              {"context_type", get_text(row, desc, cols.context_type)},
                              {"status", status}}));
    if (kind == core::Kind::Task && status == "completed")
      track_task_status("", status, entity, summary, table);
  } else if (TRIGGER_FIRED_BY_DELETE(data->tg_event)) {
    HeapTuple row = data->tg_trigtuple;
    auto session = get_uuid(row, desc, cols.session_id);
    if (!session) return PointerGetDatum(nullptr);
    auto project = find_session_project(*session);
    if (!project) return PointerGetDatum(nullptr);  // its session is gone: nothing to count
    count(*session, *project, created, -1);
    count(*session, *project, Counter::ActivityCount, 1);
    record(*session, *project, core::deleted_event(kind), get_text(row, desc, cols.id),
           core::summarize(get_text(row, desc, cols.summary), kSummaryBytes),
           core::json_object({{"table", table}}));
  } else {
    HeapTuple old_row = data->tg_trigtuple;
    HeapTuple new_row = data->tg_newtuple;
    auto old_session = get_uuid(old_row, desc, cols.session_id);
    auto new_session = get_uuid(new_row, desc, cols.session_id);
    if (old_session != new_session) {  // moved between sessions
      if (old_session)
        if (auto project = find_session_project(*old_session)) count(*old_session, *project, created, -1);
      if (new_session) count(*new_session, session_project(*new_session), created, 1);
    }
    if (new_session) count(*new_session, session_project(*new_session), Counter::ActivityCount, 1);
    if (kind == core::Kind::Task && cols.status != 0) {
      std::string from = get_text(old_row, desc, cols.status);
      std::string to = get_text(new_row, desc, cols.status);
      if (from != to)
        track_task_status(from, to, get_text(new_row, desc, cols.id),
                          core::summarize(get_text(new_row, desc, cols.summary), kSummaryBytes), table);
    }
  }
  return PointerGetDatum(nullptr);
}

// Builds a 1-D array of `type` from datums (nulls where `nulls[i]`).
Datum make_array(const std::vector<Datum>& values, const std::vector<bool>& nulls, Oid type) {
  return call([&]() -> Datum {
    int16 typlen;
    bool typbyval;
    char typalign;
    get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
    int dims[1] = {static_cast<int>(values.size())};
    int lbs[1] = {1};
    bool* null_flags = static_cast<bool*>(palloc0(sizeof(bool) * (values.size() + 1)));
    for (std::size_t i = 0; i < nulls.size(); ++i) null_flags[i] = nulls[i];
    ArrayType* array = construct_md_array(const_cast<Datum*>(values.data()), null_flags, 1, dims,
                                          lbs, type, typlen, typbyval, typalign);
    return PointerGetDatum(array);
  });
}

Datum text_datum(const std::string& value) {
  return call([&]() -> Datum {
    return PointerGetDatum(cstring_to_text_with_len(value.data(), static_cast<int>(value.size())));
  });
}

Datum text_array(const std::vector<std::string>& values, bool empty_is_null) {
  std::vector<Datum> datums;
  std::vector<bool> nulls;
  datums.reserve(values.size());
  nulls.reserve(values.size());
  for (const auto& v : values) {
    bool null = empty_is_null && v.empty();
    datums.push_back(null ? Datum(0) : text_datum(v));
    nulls.push_back(null);
  }
  return make_array(datums, nulls, TEXTOID);
}

template <typename T, typename Get>
Datum array_of(const std::vector<T>& items, Oid type, Get get) {
  std::vector<Datum> datums;
  datums.reserve(items.size());
  for (const auto& item : items) datums.push_back(get(item));
  return make_array(datums, std::vector<bool>(items.size(), false), type);
}

// The counters as a 2-D bigint array, one row per session.
Datum counters_matrix(const std::vector<core::SessionDelta>& deltas) {
  std::vector<Datum> values;
  values.reserve(deltas.size() * core::kCounterCount);
  for (const auto& d : deltas)
    for (auto v : d.counters.values) values.push_back(Int64GetDatum(v));
  return call([&]() -> Datum {
    int dims[2] = {static_cast<int>(deltas.size()), static_cast<int>(core::kCounterCount)};
    int lbs[2] = {1, 1};
    ArrayType* array = construct_md_array(const_cast<Datum*>(values.data()), nullptr, 2, dims, lbs,
                                          INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
    return PointerGetDatum(array);
  });
}

Statement apply_statement{
    "SELECT aidis._apply_buffer($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
    "$16, $17, $18, $19, $20)",
    {INT4OID, TIMESTAMPTZOID, UUIDARRAYOID, UUIDARRAYOID, INT8ARRAYOID,
     UUIDARRAYOID, UUIDARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
     TIMESTAMPTZARRAYOID,
     UUIDARRAYOID, UUIDARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
     INT8ARRAYOID, TIMESTAMPTZARRAYOID}};

// Writes one drained buffer: deltas, events, files.
void write_drained(core::Drained out) {
  if (out.deltas.empty() && out.events.empty() && out.files.empty()) return;
  auto& state = tx_state();

  using core::Event;
  using core::FileTouch;
  using core::SessionDelta;
  auto uuid_of = [](const core::Uuid& id) { return uuid_datum(id); };
  std::vector<std::string> kinds, entities, summaries, datas, paths;
  for (const auto& e : out.events) {
    kinds.push_back(e.kind);
    entities.push_back(e.entity_id);
    summaries.push_back(e.summary);
    datas.push_back(e.data_json.empty() ? "{}" : e.data_json);
  }
  for (const auto& f : out.files) paths.push_back(f.path);

  Datum args[20] = {
      Int32GetDatum(MyBackendId),
      TimestampTzGetDatum(GetCurrentTimestamp()),
      array_of(out.deltas, UUIDOID, [&](const SessionDelta& d) { return uuid_of(d.session); }),
      array_of(out.deltas, UUIDOID, [&](const SessionDelta& d) { return uuid_of(d.project); }),
      counters_matrix(out.deltas),
      array_of(out.events, UUIDOID, [&](const Event& e) { return uuid_of(e.session); }),
      array_of(out.events, UUIDOID, [&](const Event& e) { return uuid_of(e.project); }),
      text_array(kinds, false),
      text_array(entities, true),
      text_array(summaries, true),
      text_array(datas, false),
      array_of(out.events, TIMESTAMPTZOID, [](const Event& e) { return TimestampTzGetDatum(e.occurred_at); }),
      array_of(out.files, UUIDOID, [&](const FileTouch& f) { return uuid_of(f.session); }),
      array_of(out.files, UUIDOID, [&](const FileTouch& f) { return uuid_of(f.project); }),
      text_array(paths, false),
      array_of(out.files, INT8OID, [](const FileTouch& f) { return Int64GetDatum(f.mentions); }),
      array_of(out.files, INT8OID, [](const FileTouch& f) { return Int64GetDatum(f.modifications); }),
      array_of(out.files, INT8OID, [](const FileTouch& f) { return Int64GetDatum(f.loc_added); }),
      array_of(out.files, INT8OID, [](const FileTouch& f) { return Int64GetDatum(f.loc_removed); }),
      array_of(out.files, TIMESTAMPTZOID, [](const FileTouch& f) { return TimestampTzGetDatum(f.at); }),
  };
  // At pre-commit no portal holds a snapshot any more: run under a fresh one.
  call([] { PushActiveSnapshot(GetTransactionSnapshot()); });
  state.flushing = true;  // reset with the transaction state if this fails
  OwnerSpi spi;
  spi.execute(apply_statement, args, nullptr, false);
  spi.finish();
  state.flushing = false;
  call([] { PopActiveSnapshot(); });
}

}  // namespace

void flush_buffer() {
  auto& state = tx_state();
  if (state.buffer_lost)
    throw Error(ERRCODE_OUT_OF_MEMORY, "session tracking lost this transaction's counters",
                "A savepoint callback ran out of memory; the transaction is rolled back so "
                "that counters stay exact.");
  write_drained(state.buffer.drain());
}

void flush_now() {
  auto& state = tx_state();
  if (state.buffer_lost)
    throw Error(ERRCODE_OUT_OF_MEMORY, "session tracking lost this transaction's counters");
  if (state.buffer.empty()) return;
  write_drained(state.buffer.drain_at(nest_level()));
}

}  // namespace aidis::pg

using namespace aidis::pg;
namespace core = aidis::core;

Datum aidis_track_after(PG_FUNCTION_ARGS) {
  return shim("aidis._track_after", [&] { return track_after(fcinfo); });
}

// aidis._buffer_touch(session uuid, project uuid): activity without an event.
Datum aidis_buffer_touch(PG_FUNCTION_ARGS) {
  return shim("aidis._buffer_touch", [&] {
    auto session = to_uuid(PG_GETARG_DATUM(0));
    auto project = to_uuid(PG_GETARG_DATUM(1));
    count(session, project, Counter::ActivityCount, 1);
    PG_RETURN_VOID();
  });
}

// aidis._buffer_usage(session, project, input, output, cache_read, cache_creation, model):
// reported token usage, with a tokens_recorded event. Arguments are validated by the SQL caller.
Datum aidis_buffer_usage(PG_FUNCTION_ARGS) {
  return shim("aidis._buffer_usage", [&] {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) ||
        PG_ARGISNULL(4) || PG_ARGISNULL(5))
      throw Error(ERRCODE_NULL_VALUE_NOT_ALLOWED, "usage arguments must not be NULL");
    auto session = to_uuid(PG_GETARG_DATUM(0));
    auto project = to_uuid(PG_GETARG_DATUM(1));
    std::int64_t tokens[4] = {PG_GETARG_INT64(2), PG_GETARG_INT64(3), PG_GETARG_INT64(4),
                              PG_GETARG_INT64(5)};
    std::string model;
    if (!PG_ARGISNULL(6))
      model = call([&]() -> const char* { return text_to_cstring(PG_GETARG_TEXT_PP(6)); });
    count(session, project, Counter::InputTokens, tokens[0]);
    count(session, project, Counter::OutputTokens, tokens[1]);
    count(session, project, Counter::CacheReadTokens, tokens[2]);
    count(session, project, Counter::CacheCreationTokens, tokens[3]);
    count(session, project, Counter::ActivityCount, 1);
    std::string numbers[4] = {std::to_string(tokens[0]), std::to_string(tokens[1]),
                              std::to_string(tokens[2]), std::to_string(tokens[3])};
    record(session, project, "tokens_recorded", "",
           numbers[0] + " in / " + numbers[1] + " out",
           core::json_object({{"input_tokens", numbers[0]}, {"output_tokens", numbers[1]},
                              {"cache_read_tokens", numbers[2]},
                              {"cache_creation_tokens", numbers[3]}, {"model", model}}));
    PG_RETURN_VOID();
  });
}

// aidis._buffer_file(session, project, path, lines_added, lines_removed): a file
// the client reports as modified. Arguments are validated by the SQL caller.
Datum aidis_buffer_file(PG_FUNCTION_ARGS) {
  return shim("aidis._buffer_file", [&] {
    core::FileTouch touch;
    touch.session = to_uuid(PG_GETARG_DATUM(0));
    touch.project = to_uuid(PG_GETARG_DATUM(1));
    touch.path = call([&]() -> const char* { return text_to_cstring(PG_GETARG_TEXT_PP(2)); });
    touch.modifications = 1;
    touch.loc_added = PG_GETARG_INT64(3);
    touch.loc_removed = PG_GETARG_INT64(4);
    touch.at = GetCurrentStatementStartTimestamp();
    count(touch.session, touch.project, Counter::LocAdded, touch.loc_added);
    count(touch.session, touch.project, Counter::LocRemoved, touch.loc_removed);
    count(touch.session, touch.project, Counter::ActivityCount, 1);
    std::string added = std::to_string(touch.loc_added), removed = std::to_string(touch.loc_removed);
    record(touch.session, touch.project, "file_touched", touch.path,
           touch.path + " +" + added + " -" + removed,
           core::json_object({{"path", touch.path}, {"lines_added", added}, {"lines_removed", removed}}));
    tx_state().buffer.add_file(nest_level(), std::move(touch));
    PG_RETURN_VOID();
  });
}

// aidis._flush_pending(): writes what this transaction has buffered so far,
// so that the reads that follow in it see its own work.
Datum aidis_flush_pending(PG_FUNCTION_ARGS) {
  return shim("aidis._flush_pending", [&] {
    (void)fcinfo;
    flush_now();
    PG_RETURN_VOID();
  });
}
