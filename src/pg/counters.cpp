// AFTER ROW trigger of tracked tables, touch() and record_usage(): all feed
// the per-transaction buffer, which flush_buffer() writes just before commit
// as one upsert per session into this backend's delta slot plus the
// timeline events (docs/counters.md).
#include <vector>

#include "pg/counters.hpp"

#include "core/event_data.hpp"
#include "core/text_signals.hpp"
#include "pg/guard.hpp"
#include "pg/session_cache.hpp"
#include "pg/spi.hpp"
#include "pg/tuple.hpp"


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

// A row written by the current statement: its own timeline entry, or counted
// in the statement's folded entry once it has kEntriesPerStatement of them.
void record_row(const core::Uuid& session, const core::Uuid& project, const char* kind,
                std::string entity, std::string summary, std::string data) {
  core::Event event;
  event.session = session;
  event.project = project;
  event.kind = kind;
  event.entity_id = std::move(entity);
  event.summary = std::move(summary);
  event.data_json = std::move(data);
  event.occurred_at = GetCurrentStatementStartTimestamp();
  tx_state().buffer.add_row_event(nest_level(), std::move(event), GetCurrentCommandId(false));
}

bool row_is_folded(const core::Uuid& session, const char* kind) {
  return tx_state().buffer.folds(nest_level(), session, kind, GetCurrentCommandId(false));
}

// The session a task status change is credited to: the current one
// ("completions that happened while the session was current").
SessionRef crediting_session() {
  auto current = current_session(true);
  if (!current) throw Error(ERRCODE_INTERNAL_ERROR, "no session could be started");
  return *current;
}

void track_task_status(const std::string& from, const std::string& to, const std::string& entity,
                       const std::string& title, std::string_view table) {
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
  const TrackedTable& tracked = tracked_table(fcinfo, data);
  core::Kind kind = tracked.kind;
  const Columns& cols = tracked.cols;
  std::string_view table = tracked.name;
  TupleDesc desc = RelationGetDescr(data->tg_relation);
  Counter created = core::created_counter(kind);

  if (TRIGGER_FIRED_BY_INSERT(data->tg_event)) {
    HeapTuple row = data->tg_trigtuple;
    auto session = get_uuid(row, desc, cols.session_id);
    if (!session) return PointerGetDatum(nullptr);  // a host row attached to no session
    core::Uuid project = session_project(*session);
    std::string text_copy, detail_copy;
    std::string_view text = get_text_view(row, desc, cols.summary, text_copy);
    count(*session, project, created, 1);
    count(*session, project, Counter::ActivityCount, 1);
    count(*session, project, Counter::EstimatedTokens,
          core::estimate_tokens(text) +
              core::estimate_tokens(get_text_view(row, desc, cols.detail, detail_copy)));
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
    const char* event_kind = core::created_event(kind);
    // Once folded, a row is only counted: skip its text (unless a completion needs it).
    bool folded = row_is_folded(*session, event_kind);
    bool described = !folded || status == "completed";
    std::string entity = described ? get_text(row, desc, cols.id) : std::string();
    std::string summary = described ? core::summarize(text, kSummaryBytes) : std::string();
    record_row(*session, project, event_kind, entity, summary,
               core::json_object({{"table", table},
                                  {"context_type", folded ? "" : get_text(row, desc, cols.context_type)},
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
    const char* event_kind = core::deleted_event(kind);
    bool folded = row_is_folded(*session, event_kind);
    record_row(*session, *project, event_kind, folded ? std::string() : get_text(row, desc, cols.id),
               folded ? std::string() : core::summarize(get_text(row, desc, cols.summary), kSummaryBytes),
               core::json_object({{"table", table}}));
  } else {
    HeapTuple old_row = data->tg_trigtuple;
    HeapTuple new_row = data->tg_newtuple;
    auto old_session = get_uuid(old_row, desc, cols.session_id);
    auto new_session = get_uuid(new_row, desc, cols.session_id);
    std::optional<core::Uuid> new_project;
    if (new_session) new_project = session_project(*new_session);
    if (old_session != new_session) {  // moved between sessions
      if (old_session)
        if (auto project = find_session_project(*old_session)) count(*old_session, *project, created, -1);
      if (new_session) count(*new_session, *new_project, created, 1);
    }
    if (new_session) count(*new_session, *new_project, Counter::ActivityCount, 1);
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

// The flush runs these as the extension owner, with the caller's search_path:
// every table, function, type and operator is schema-qualified, so no object
// of the caller's can stand in for ours. One row per session into this
// backend's slot; nobody else writes that row, so nobody waits.
const std::string kDeltaInsert =
    "INSERT INTO aidis.session_deltas AS d (session_id, slot, project_id, contexts_created, "
    "tasks_created, tasks_completed, tasks_reopened, decisions_created, activity_count, input_tokens, "
    "output_tokens, cache_read_tokens, cache_creation_tokens, estimated_tokens, loc_added, loc_removed, "
    "last_activity_at) ";
const std::string kDeltaMerge =
    " ON CONFLICT ON CONSTRAINT session_deltas_pkey DO UPDATE SET "
    "project_id = excluded.project_id, "
    "contexts_created = d.contexts_created OPERATOR(pg_catalog.+) excluded.contexts_created, "
    "tasks_created = d.tasks_created OPERATOR(pg_catalog.+) excluded.tasks_created, "
    "tasks_completed = d.tasks_completed OPERATOR(pg_catalog.+) excluded.tasks_completed, "
    "tasks_reopened = d.tasks_reopened OPERATOR(pg_catalog.+) excluded.tasks_reopened, "
    "decisions_created = d.decisions_created OPERATOR(pg_catalog.+) excluded.decisions_created, "
    "activity_count = d.activity_count OPERATOR(pg_catalog.+) excluded.activity_count, "
    "input_tokens = d.input_tokens OPERATOR(pg_catalog.+) excluded.input_tokens, "
    "output_tokens = d.output_tokens OPERATOR(pg_catalog.+) excluded.output_tokens, "
    "cache_read_tokens = d.cache_read_tokens OPERATOR(pg_catalog.+) excluded.cache_read_tokens, "
    "cache_creation_tokens = d.cache_creation_tokens OPERATOR(pg_catalog.+) excluded.cache_creation_tokens, "
    "estimated_tokens = d.estimated_tokens OPERATOR(pg_catalog.+) excluded.estimated_tokens, "
    "loc_added = d.loc_added OPERATOR(pg_catalog.+) excluded.loc_added, "
    "loc_removed = d.loc_removed OPERATOR(pg_catalog.+) excluded.loc_removed, "
    "last_activity_at = GREATEST(d.last_activity_at, excluded.last_activity_at)";

// Arguments of both: $1 slot, $2 flush time, $3 session(s), $4 project(s),
// $5..$17 the counters in Counter order ($10: activity).
Statement deltas_statement{
    kDeltaInsert +
        "SELECT u.s, $1, u.p, u.c1, u.c2, u.c3, u.c4, u.c5, u.c6, u.c7, u.c8, u.c9, u.c10, u.c11, "
        "u.c12, u.c13, CASE WHEN u.c6 OPERATOR(pg_catalog.>) 0 THEN $2 END "
        "FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
        "pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9), "
        "pg_catalog.unnest($10), pg_catalog.unnest($11), pg_catalog.unnest($12), pg_catalog.unnest($13), "
        "pg_catalog.unnest($14), pg_catalog.unnest($15), pg_catalog.unnest($16), pg_catalog.unnest($17)) "
        "AS u(s, p, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13)" +
        kDeltaMerge,
    {INT4OID, TIMESTAMPTZOID, UUIDARRAYOID, UUIDARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
     INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
     INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID}};

// The common case, one session: plain values, no arrays to build or unnest.
Statement delta_statement{
    kDeltaInsert +
        "VALUES ($3, $1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
        "CASE WHEN $10 OPERATOR(pg_catalog.>) 0 THEN $2 END)" +
        kDeltaMerge,
    {INT4OID, TIMESTAMPTZOID, UUIDOID, UUIDOID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,
     INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID}};

Statement events_statement{
    "INSERT INTO aidis.session_activities (session_id, project_id, occurred_at, kind, entity_id, "
    "summary, data) "
    "SELECT e.s, e.p, e.t, e.k, e.ent, e.summ, CAST(e.dat AS pg_catalog.jsonb) "
    "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), "
    "pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7)) "
    "AS e(s, p, t, k, ent, summ, dat)",
    {UUIDARRAYOID, UUIDARRAYOID, TIMESTAMPTZARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
     TEXTARRAYOID}};

Statement event_statement{
    "INSERT INTO aidis.session_activities (session_id, project_id, occurred_at, kind, entity_id, "
    "summary, data) VALUES ($1, $2, $3, $4, $5, $6, CAST($7 AS pg_catalog.jsonb))",
    {UUIDOID, UUIDOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}};

// Several touches of one path in a transaction become one row.
Statement files_statement{
    "INSERT INTO aidis.session_files AS f (session_id, path, project_id, mentions, modifications, "
    "loc_added, loc_removed, first_at, last_at) "
    "SELECT t.s, t.path, (pg_catalog.array_agg(t.p))[1], pg_catalog.sum(t.m), pg_catalog.sum(t.mo), "
    "pg_catalog.sum(t.a), pg_catalog.sum(t.r), pg_catalog.min(t.at), pg_catalog.max(t.at) "
    "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), "
    "pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), "
    "pg_catalog.unnest($8)) AS t(s, p, path, m, mo, a, r, at) "
    "GROUP BY t.s, t.path "
    "ON CONFLICT ON CONSTRAINT session_files_pkey DO UPDATE SET "
    "mentions = f.mentions OPERATOR(pg_catalog.+) excluded.mentions, "
    "modifications = f.modifications OPERATOR(pg_catalog.+) excluded.modifications, "
    "loc_added = f.loc_added OPERATOR(pg_catalog.+) excluded.loc_added, "
    "loc_removed = f.loc_removed OPERATOR(pg_catalog.+) excluded.loc_removed, "
    "last_at = GREATEST(f.last_at, excluded.last_at)",
    {UUIDARRAYOID, UUIDARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
     TIMESTAMPTZARRAYOID}};

// Writes one drained buffer: deltas, events, files.
void write_drained(core::Drained out) {
  if (out.deltas.empty() && out.events.empty() && out.files.empty()) return;
  auto& state = tx_state();
  using core::Event;
  using core::FileTouch;
  using core::SessionDelta;
  auto uuid_of = [](const core::Uuid& id) { return uuid_datum(id); };

  // At pre-commit no portal holds a snapshot any more: run under a fresh one.
  call([] { PushActiveSnapshot(GetTransactionSnapshot()); });
  state.flushing = true;  // reset with the transaction state if this fails
  OwnerSpi spi;
  if (!out.deltas.empty()) {
    Datum args[4 + core::kCounterCount];
    args[0] = Int32GetDatum(MyBackendId);
    args[1] = TimestampTzGetDatum(GetCurrentTimestamp());
    if (out.deltas.size() == 1) {
      const SessionDelta& d = out.deltas.front();
      args[2] = uuid_of(d.session);
      args[3] = uuid_of(d.project);
      for (std::size_t c = 0; c < core::kCounterCount; ++c) args[4 + c] = Int64GetDatum(d.counters.values[c]);
      spi.execute(delta_statement, args, nullptr, false);
    } else {
      args[2] = array_of(out.deltas, UUIDOID, [&](const SessionDelta& d) { return uuid_of(d.session); });
      args[3] = array_of(out.deltas, UUIDOID, [&](const SessionDelta& d) { return uuid_of(d.project); });
      for (std::size_t c = 0; c < core::kCounterCount; ++c)
        args[4 + c] = array_of(out.deltas, INT8OID,
                               [c](const SessionDelta& d) { return Int64GetDatum(d.counters.values[c]); });
      spi.execute(deltas_statement, args, nullptr, false);
    }
  }
  if (!out.events.empty()) {
    std::vector<std::string> kinds, entities, summaries, datas;
    for (const auto& e : out.events) {
      std::string data = e.data_json.empty() ? "{}" : e.data_json;
      kinds.push_back(e.kind);
      entities.push_back(e.entity_id);
      summaries.push_back(e.folded ? core::folded_summary(e.kind, e.rows) : e.summary);
      datas.push_back(e.folded ? core::json_with_number(data, "rows", e.rows) : std::move(data));
    }
    if (out.events.size() == 1) {
      const Event& e = out.events.front();
      Datum args[7] = {uuid_of(e.session), uuid_of(e.project), TimestampTzGetDatum(e.occurred_at),
                       text_datum(kinds[0]), entities[0].empty() ? Datum(0) : text_datum(entities[0]),
                       summaries[0].empty() ? Datum(0) : text_datum(summaries[0]), text_datum(datas[0])};
      char nulls[] = "       ";  // one flag per argument: ' ' a value, 'n' NULL
      if (entities[0].empty()) nulls[4] = 'n';
      if (summaries[0].empty()) nulls[5] = 'n';
      spi.execute(event_statement, args, nulls, false);
    } else {
      Datum args[7] = {
          array_of(out.events, UUIDOID, [&](const Event& e) { return uuid_of(e.session); }),
          array_of(out.events, UUIDOID, [&](const Event& e) { return uuid_of(e.project); }),
          array_of(out.events, TIMESTAMPTZOID,
                   [](const Event& e) { return TimestampTzGetDatum(e.occurred_at); }),
          text_array(kinds, false),
          text_array(entities, true),
          text_array(summaries, true),
          text_array(datas, false)};
      spi.execute(events_statement, args, nullptr, false);
    }
  }
  if (!out.files.empty()) {
    std::vector<std::string> paths;
    for (const auto& f : out.files) paths.push_back(f.path);
    Datum args[8] = {
        array_of(out.files, UUIDOID, [&](const FileTouch& f) { return uuid_of(f.session); }),
        array_of(out.files, UUIDOID, [&](const FileTouch& f) { return uuid_of(f.project); }),
        text_array(paths, false),
        array_of(out.files, INT8OID, [](const FileTouch& f) { return Int64GetDatum(f.mentions); }),
        array_of(out.files, INT8OID, [](const FileTouch& f) { return Int64GetDatum(f.modifications); }),
        array_of(out.files, INT8OID, [](const FileTouch& f) { return Int64GetDatum(f.loc_added); }),
        array_of(out.files, INT8OID, [](const FileTouch& f) { return Int64GetDatum(f.loc_removed); }),
        array_of(out.files, TIMESTAMPTZOID, [](const FileTouch& f) { return TimestampTzGetDatum(f.at); })};
    spi.execute(files_statement, args, nullptr, false);
  }
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
