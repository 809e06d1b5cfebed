// AFTER ROW trigger of tracked tables, touch(), record_usage() and
// record_file(): all feed the per-transaction buffer, which src/pg/flush.cpp
// writes just before commit (docs/counters.md).
#include "pg/flush.hpp"

#include "core/event_data.hpp"
#include "core/text_signals.hpp"
#include "pg/guard.hpp"
#include "pg/tx_state.hpp"
#include "pg/host.hpp"
#include "pg/session_cache.hpp"
#include "pg/tuple.hpp"

namespace aidis::pg {

using core::Counter;

namespace {

int nest_level() { return GetCurrentTransactionNestLevel(); }

void count(const core::Uuid& session, const core::Uuid& project, Counter counter, std::int64_t delta) {
  tx_state().buffer.add(nest_level(), session, project, counter, delta);
}

void record(const core::Uuid& session, const core::Uuid& project, std::string kind, std::string entity,
            std::string summary, std::string data) {
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
void record_row(const core::Uuid& session, const core::Uuid& project, const char* kind, std::string entity,
                std::string summary, std::string data) {
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

// The data of a created row's timeline entry. Most rows of a workload share
// it (one table, one context type), so the last one is kept.
const std::string& row_event_data(std::string_view table, std::string_view context_type,
                                  std::string_view status) {
  static std::string last_table, last_type, last_status, last_data;
  if (last_data.empty() || table != last_table || context_type != last_type || status != last_status) {
    last_data.clear();  // if an assignment below throws, nothing stale is reused
    last_table = table;
    last_type = context_type;
    last_status = status;
    last_data = core::json_object({{"table", table}, {"context_type", context_type}, {"status", status}});
  }
  return last_data;
}

// The session a task status change is credited to: the current one
// ("completions that happened while the session was current").
SessionRef crediting_session() {
  auto current = current_session(true);
  if (!current) throw Error(ERRCODE_INTERNAL_ERROR, "no session could be started");
  return *current;
}

// `filed`: the task row's project, where its entry is filed (else the crediting session's).
void track_task_status(const std::string& from, const std::string& to, const std::string& entity,
                       const std::string& title, std::string_view table,
                       const std::optional<core::Uuid>& filed) {
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
  record(credit.session, filed.value_or(credit.project), kind, entity, title, std::move(data));
}

// The project a row is filed under (the BEFORE trigger stamped it), else
// `fallback`. A row's timeline entry carries its text, so it is filed under
// the row's project: row-level security then hides the text from readers
// once that project is disconnected, also on the timeline of a session of
// another project (docs/security.md).
core::Uuid row_project(HeapTuple row, TupleDesc desc, const Columns& cols, const core::Uuid& fallback) {
  return get_uuid(row, desc, cols.project_id).value_or(fallback);
}

Datum track_after(FunctionCallInfo fcinfo) {
  TriggerData* data = trigger_data(fcinfo, false);
  const TrackedTable tracked = tracked_table(data);
  core::Kind kind = tracked.kind;
  const Columns& cols = tracked.cols;
  std::string_view table = tracked.name;
  TupleDesc desc = RelationGetDescr(data->tg_relation);
  Counter created = core::created_counter(kind);
  if (is_host_move(data, cols)) return PointerGetDatum(nullptr);  // moving is not activity

  if (TRIGGER_FIRED_BY_INSERT(data->tg_event)) {
    HeapTuple row = data->tg_trigtuple;
    auto session = get_uuid(row, desc, cols.session_id);
    if (!session) return PointerGetDatum(nullptr);  // a host row attached to no session
    core::Uuid project = session_project(*session);
    core::Uuid filed = row_project(row, desc, cols, project);
    std::string text_copy, detail_copy;
    std::string_view text = get_text_view(row, desc, cols.summary, text_copy);
    count(*session, project, created, 1);
    count(*session, project, Counter::ActivityCount, 1);
    count(*session, project, Counter::EstimatedTokens,
          core::estimate_tokens(text) +
              core::estimate_tokens(get_text_view(row, desc, cols.detail, detail_copy)));
    // A path is relative to its project's root: mentions in a row filed
    // under another project are not this session's files.
    if (kind == core::Kind::Context && filed == project)
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
    std::string summary = described ? core::summarize(text, core::kRowSummaryBytes) : std::string();
    std::string type_copy;
    record_row(
        *session, filed, event_kind, entity, summary,
        row_event_data(table, folded ? "" : get_text_view(row, desc, cols.context_type, type_copy), status));
    if (kind == core::Kind::Task && status == "completed")
      track_task_status("", status, entity, summary, table, filed);
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
    record_row(
        *session, row_project(row, desc, cols, *project), event_kind,
        folded ? std::string() : get_text(row, desc, cols.id),
        folded ? std::string() : core::summarize(get_text(row, desc, cols.summary), core::kRowSummaryBytes),
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
                          core::summarize(get_text(new_row, desc, cols.summary), core::kRowSummaryBytes),
                          table, get_uuid(new_row, desc, cols.project_id));
    }
  }
  return PointerGetDatum(nullptr);
}

}  // namespace

}  // namespace aidis::pg

using namespace aidis::pg;
namespace core = aidis::core;

AIDIS_PG_FUNCTION(aidis_track_after) { return track_after(fcinfo); }

// aidis._buffer_touch(session uuid, project uuid): activity without an event.
AIDIS_PG_FUNCTION(aidis_buffer_touch) {
  auto session = to_uuid(PG_GETARG_DATUM(0));
  auto project = to_uuid(PG_GETARG_DATUM(1));
  count(session, project, Counter::ActivityCount, 1);
  PG_RETURN_VOID();
}

// aidis._buffer_usage(session, project, input, output, cache_read, cache_creation, model):
// reported token usage, with a tokens_recorded event. Arguments are validated by the SQL caller.
AIDIS_PG_FUNCTION(aidis_buffer_usage) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4) ||
      PG_ARGISNULL(5))
    throw Error(ERRCODE_NULL_VALUE_NOT_ALLOWED, "usage arguments must not be NULL");
  auto session = to_uuid(PG_GETARG_DATUM(0));
  auto project = to_uuid(PG_GETARG_DATUM(1));
  std::int64_t tokens[4] = {PG_GETARG_INT64(2), PG_GETARG_INT64(3), PG_GETARG_INT64(4), PG_GETARG_INT64(5)};
  std::string model;
  if (!PG_ARGISNULL(6)) model = call([&]() -> const char* { return text_to_cstring(PG_GETARG_TEXT_PP(6)); });
  count(session, project, Counter::InputTokens, tokens[0]);
  count(session, project, Counter::OutputTokens, tokens[1]);
  count(session, project, Counter::CacheReadTokens, tokens[2]);
  count(session, project, Counter::CacheCreationTokens, tokens[3]);
  count(session, project, Counter::ActivityCount, 1);
  std::string numbers[4] = {std::to_string(tokens[0]), std::to_string(tokens[1]), std::to_string(tokens[2]),
                            std::to_string(tokens[3])};
  record(session, project, "tokens_recorded", "", numbers[0] + " in / " + numbers[1] + " out",
         core::json_object({{"input_tokens", numbers[0]},
                            {"output_tokens", numbers[1]},
                            {"cache_read_tokens", numbers[2]},
                            {"cache_creation_tokens", numbers[3]},
                            {"model", model}}));
  PG_RETURN_VOID();
}

// aidis._buffer_file(session, project, path, lines_added, lines_removed): a file
// the client reports as modified. Arguments are validated by the SQL caller.
AIDIS_PG_FUNCTION(aidis_buffer_file) {
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
  record(touch.session, touch.project, "file_touched", touch.path, touch.path + " +" + added + " -" + removed,
         core::json_object({{"path", touch.path}, {"lines_added", added}, {"lines_removed", removed}}));
  tx_state().buffer.add_file(nest_level(), std::move(touch));
  PG_RETURN_VOID();
}

// aidis._flush_pending(): writes what this transaction has buffered so far,
// so that the reads that follow in it see its own work.
AIDIS_PG_FUNCTION(aidis_flush_pending) {
  flush_now();
  PG_RETURN_VOID();
}
