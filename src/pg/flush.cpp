// Writes a transaction's tracking buffer (docs/counters.md): each session's
// deltas into this backend's row of aidis.session_deltas, the timeline
// entries into aidis.session_activities, file touches into aidis.session_files.
//
// Every tracked transaction pays for the first two, so they bypass SQL: rows
// go through the table access method and the indexes directly, as logical
// replication's apply worker writes them: no plan cache, no executor start-up,
// no ON CONFLICT machinery (docs/performance.md has what that bought). What
// SQL would have checked holds here by construction: the buffered writes
// passed the disconnected-project check when they happened, the columns are ours and
// NOT NULL is checked below, and the unique keys are checked by the index
// insert. File touches, rare (an @mention, record_file), keep a prepared SQL
// upsert.
#include <cstring>
#include <string>
#include <vector>

#include "pg/flush.hpp"

#include "core/event_data.hpp"
#include "pg/guard.hpp"
#include "pg/notices.hpp"
#include "pg/tx_state.hpp"
#include "pg/session_cache.hpp"
#include "pg/spi.hpp"
#include "pg/tuple.hpp"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "storage/bufmgr.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
}

namespace aidis::pg {

namespace {

// --- Direct writes. Everything from here to write_drained() runs inside
// pg::call(): plain data only, no C++ object that owns memory. ---

// Position (0-based) of user column `name` of `rel`, which must have it with
// type `type`: the datums written below are of that type.
int position(Relation rel, const char* name, Oid type) {
  int attnum = column(RelationGetDescr(rel), name);
  if (attnum == 0)
    elog(ERROR, "aidis_sessions: column %s of %s is missing", name, RelationGetRelationName(rel));
  if (TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid != type)
    ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                    errmsg("aidis_sessions: column %s of %s is not of type %s", name,
                           RelationGetRelationName(rel), format_type_be(type)),
                    errhint("The table belongs to the extension: give the column back the type the "
                            "extension created it with.")));
  return attnum - 1;
}

FlushTargets lookup_flush_targets() {
  FlushTargets found;
  call([&] {
    Oid ns = get_namespace_oid("aidis", false);
    found.activities = get_relname_relid("session_activities", ns);
    found.deltas = get_relname_relid("session_deltas", ns);
    if (!OidIsValid(found.activities) || !OidIsValid(found.deltas))
      elog(ERROR, "aidis_sessions: a session table is missing; reinstall the extension");

    static const char* const event_names[FlushTargets::kEventColumns] = {
        "id", "session_id", "project_id", "occurred_at", "kind", "entity_id", "summary", "data"};
    static const Oid event_types[FlushTargets::kEventColumns] = {INT8OID, UUIDOID, UUIDOID, TIMESTAMPTZOID,
                                                                 TEXTOID, TEXTOID, TEXTOID, JSONBOID};
    Relation rel = table_open(found.activities, AccessShareLock);
    for (int c = 0; c < FlushTargets::kEventColumns; ++c)
      found.event_cols[c] = position(rel, event_names[c], event_types[c]);
    table_close(rel, AccessShareLock);
    found.activities_id_seq = getIdentitySequence(
        found.activities, static_cast<AttrNumber>(found.event_cols[FlushTargets::kId] + 1), false);

    static const char* const delta_names[FlushTargets::kDeltaColumns] = {"session_id", "slot", "project_id",
                                                                         "last_activity_at"};
    static const Oid delta_types[FlushTargets::kDeltaColumns] = {UUIDOID, INT4OID, UUIDOID, TIMESTAMPTZOID};
    rel = table_open(found.deltas, AccessShareLock);
    for (int c = 0; c < FlushTargets::kDeltaColumns; ++c)
      found.delta_cols[c] = position(rel, delta_names[c], delta_types[c]);
    for (std::size_t c = 0; c < core::kCounterCount; ++c)
      found.counter_cols[c] = position(rel, core::kCounterColumns[c], INT8OID);
    found.deltas_key = RelationGetPrimaryKeyIndex(rel);  // (session_id, slot)
    table_close(rel, AccessShareLock);
    if (!OidIsValid(found.deltas_key))
      elog(ERROR, "aidis_sessions: aidis.session_deltas has no primary key; reinstall the extension");
  });
  return found;
}

// Cached per backend; an ALTER of either table invalidates it (src/pg/backend_cache.cpp).
FlushTargets flush_targets() {
  if (auto& cached = backend_cache().flush_targets) return *cached;
  FlushTargets found = lookup_flush_targets();
  backend_cache_for_filling().flush_targets = found;
  return found;
}

// A relation opened for direct writes, and a row to fill.
struct WriteTarget {
  Relation rel;
  EState* estate;
  ResultRelInfo* info;
  TupleTableSlot* row;  // virtual: values and isnull set by the caller
  bool indexes_open;
};

WriteTarget open_target(Oid relid) {
  WriteTarget t;
  t.rel = table_open(relid, RowExclusiveLock);
  t.estate = CreateExecutorState();
  t.info = makeNode(ResultRelInfo);
  // Range table index 0: in no range table, so an update's index insert
  // treats the keys as unchanged (true: we never update a key column).
  InitResultRelInfo(t.info, t.rel, 0, nullptr, 0);
  t.row = MakeSingleTupleTableSlot(RelationGetDescr(t.rel), &TTSOpsVirtual);
  t.indexes_open = false;
  return t;
}

// Indexes are opened when first needed: a HOT update of a delta row found
// through its remembered TID needs none.
void open_indexes(WriteTarget& t) {
  if (t.indexes_open) return;
  ExecOpenIndices(t.info, false);
  t.indexes_open = true;
}

void close_target(WriteTarget& t) {
  ExecDropSingleTupleTableSlot(t.row);
  if (t.indexes_open) ExecCloseIndices(t.info);
  FreeExecutorState(t.estate);
  table_close(t.rel, NoLock);  // the lock is kept until commit, as for any write
}

// Clears the row: every column NULL until set.
void start_row(WriteTarget& t) {
  ExecClearTuple(t.row);
  std::memset(t.row->tts_isnull, true, sizeof(bool) * t.row->tts_tupleDescriptor->natts);
}

void set(WriteTarget& t, int col, Datum value) {
  t.row->tts_values[col] = value;
  t.row->tts_isnull[col] = false;
}

// Ends the row; a NOT NULL column left unset (a column added to the table
// that this code does not know) is an error rather than a bad row.
void finish_row(WriteTarget& t) {
  TupleDesc desc = t.row->tts_tupleDescriptor;
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute attr = TupleDescAttr(desc, i);
    if (t.row->tts_isnull[i] && attr->attnotnull && !attr->attisdropped)
      elog(ERROR, "aidis_sessions: no value for column %s of %s", NameStr(attr->attname),
           RelationGetRelationName(t.rel));
  }
  ExecStoreVirtualTuple(t.row);
}

void insert_row(WriteTarget& t, CommandId cid) {
  finish_row(t);
  open_indexes(t);
  table_tuple_insert(t.rel, t.row, cid, 0, nullptr);
  ExecInsertIndexTuples(t.info, t.row, t.estate, false, false, nullptr, NIL);
}

// A text datum without the guard, for use inside pg::call() (a guarded call
// must not throw through an enclosing PG_TRY), like uuid_value().
Datum text_value(const std::string& s) {
  return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size())));
}

Relation index_of(WriteTarget& t, Oid index) {
  open_indexes(t);
  for (int i = 0; i < t.info->ri_NumIndices; ++i)
    if (RelationGetRelid(t.info->ri_IndexRelationDescs[i]) == index) return t.info->ri_IndexRelationDescs[i];
  elog(ERROR, "aidis_sessions: index %u of aidis.session_deltas is missing", index);
  return nullptr;
}

// This backend's delta row of `session` through the key index, into `old`.
bool find_delta_row(WriteTarget& t, Oid key_index, Datum session, Snapshot snapshot, TupleTableSlot* old) {
  ScanKeyData keys[2];
  ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_UUID_EQ, session);
  ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(MyBackendId));
  IndexScanDesc scan = index_beginscan(t.rel, index_of(t, key_index), snapshot, 2, 0);
  index_rescan(scan, keys, 2, nullptr, 0);
  bool found = index_getnext_slot(scan, ForwardScanDirection, old);
  index_endscan(scan);
  if (found) slot_getallattrs(old);
  return found;
}

// The tuple at `tid` when it is visible and is this backend's delta row of
// `session` (a TID remembered from an earlier flush: the row may have been
// folded away since, and its slot reused or truncated).
bool fetch_remembered_row(WriteTarget& t, const FlushTargets& targets, ItemPointerData tid,
                          BlockNumber nblocks, const core::Uuid& session, Snapshot snapshot,
                          TupleTableSlot* old) {
  if (!ItemPointerIsValid(&tid) || ItemPointerGetBlockNumber(&tid) >= nblocks) return false;
  if (!table_tuple_fetch_row_version(t.rel, &tid, snapshot, old)) return false;
  slot_getallattrs(old);
  int session_col = targets.delta_cols[FlushTargets::kDeltaSession];
  int slot_col = targets.delta_cols[FlushTargets::kSlot];
  return !old->tts_isnull[session_col] && !old->tts_isnull[slot_col] &&
         DatumGetInt32(old->tts_values[slot_col]) == MyBackendId &&
         std::memcmp(DatumGetUUIDP(old->tts_values[session_col])->data, session.bytes.data(), UUID_LEN) == 0;
}

// Adds each session's deltas to this backend's row (session_id, slot =
// MyBackendId), inserting it if there is none. Only this backend inserts or
// increments that row; the fold (which deletes it) and reassign_project (which
// moves it) may have changed it since we looked, so we look again: the same
// outcome as INSERT ... ON CONFLICT DO UPDATE, whose retry loop this is.
// row_at[i]: where deltas[i]'s row was last written (or invalid); receives
// where it is now. Runs inside pg::call().
void add_deltas(const FlushTargets& targets, const std::vector<core::SessionDelta>& deltas,
                std::vector<ItemPointerData>& row_at, TimestampTz now) {
  WriteTarget t = open_target(targets.deltas);
  const int* cols = targets.delta_cols;
  const int* counter_cols = targets.counter_cols;
  int last_col = cols[FlushTargets::kLastActivity];
  constexpr auto activity = static_cast<std::size_t>(core::Counter::ActivityCount);
  TupleTableSlot* old = table_slot_create(t.rel, nullptr);
  CommandId cid = GetCurrentCommandId(true);
  BlockNumber nblocks = RelationGetNumberOfBlocks(t.rel);

  for (std::size_t i = 0; i < deltas.size(); ++i) {
    CHECK_FOR_INTERRUPTS();  // one row per session: a transaction may have written many
    const core::SessionDelta& d = deltas[i];
    Datum session = uuid_value(d.session);
    Datum project = uuid_value(d.project);
    bool active = d.counters.values[activity] > 0;
    for (bool first_try = true;; first_try = false) {
      Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
      bool found =
          (first_try && fetch_remembered_row(t, targets, row_at[i], nblocks, d.session, snapshot, old)) ||
          find_delta_row(t, targets.deltas_key, session, snapshot, old);
      start_row(t);
      set(t, cols[FlushTargets::kDeltaSession], session);
      set(t, cols[FlushTargets::kSlot], Int32GetDatum(MyBackendId));
      set(t, cols[FlushTargets::kDeltaProject], project);
      if (!found) {
        for (std::size_t c = 0; c < core::kCounterCount; ++c)
          set(t, counter_cols[c], Int64GetDatum(d.counters.values[c]));
        if (active) set(t, last_col, TimestampTzGetDatum(now));
        insert_row(t, cid);
        UnregisterSnapshot(snapshot);
        break;
      }
      for (std::size_t c = 0; c < core::kCounterCount; ++c)
        set(t, counter_cols[c],
            Int64GetDatum(DatumGetInt64(old->tts_values[counter_cols[c]]) + d.counters.values[c]));
      if (!old->tts_isnull[last_col]) set(t, last_col, old->tts_values[last_col]);
      if (active && (old->tts_isnull[last_col] || DatumGetTimestampTz(old->tts_values[last_col]) < now))
        set(t, last_col, TimestampTzGetDatum(now));
      finish_row(t);
      TM_FailureData failure;
      LockTupleMode lock_mode;
      bool update_indexes = false;
      ItemPointerData tid = old->tts_tid;
      TM_Result result = table_tuple_update(t.rel, &tid, t.row, cid, snapshot, InvalidSnapshot, true,
                                            &failure, &lock_mode, &update_indexes);
      UnregisterSnapshot(snapshot);
      if (result == TM_Ok) {
        if (update_indexes) {
          open_indexes(t);
          ExecInsertIndexTuples(t.info, t.row, t.estate, true, false, nullptr, NIL);
        }
        break;
      }
      if (result != TM_Updated && result != TM_Deleted)
        elog(ERROR, "aidis_sessions: unexpected result %d updating a delta row", static_cast<int>(result));
      // Folded or moved after we looked (we waited for that transaction): look again.
    }
    row_at[i] = t.row->tts_tid;
  }
  ExecDropSingleTupleTableSlot(old);
  close_target(t);
}

// The strings of one timeline row, prepared before entering pg::call().
struct EventText {
  std::string summary;  // empty: NULL
  Datum data_jsonb;
};

// Appends the timeline entries, inside pg::call() like add_deltas().
void insert_events(const FlushTargets& targets, const std::vector<core::Event>& events,
                   const std::vector<EventText>& texts) {
  WriteTarget t = open_target(targets.activities);
  const int* cols = targets.event_cols;
  CommandId cid = GetCurrentCommandId(true);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK_FOR_INTERRUPTS();  // a long transaction buffers one entry per statement
    const core::Event& e = events[i];
    start_row(t);
    set(t, cols[FlushTargets::kId], Int64GetDatum(nextval_internal(targets.activities_id_seq, false)));
    set(t, cols[FlushTargets::kEventSession], uuid_value(e.session));
    set(t, cols[FlushTargets::kEventProject], uuid_value(e.project));
    set(t, cols[FlushTargets::kOccurredAt], TimestampTzGetDatum(e.occurred_at));
    set(t, cols[FlushTargets::kKind], text_value(e.kind));
    if (!e.entity_id.empty()) set(t, cols[FlushTargets::kEntity], text_value(e.entity_id));
    if (!texts[i].summary.empty()) set(t, cols[FlushTargets::kSummary], text_value(texts[i].summary));
    set(t, cols[FlushTargets::kData], texts[i].data_jsonb);
    insert_row(t, cid);
  }
  close_target(t);
}

// --- File touches: a prepared SQL upsert (several touches of one path in a
// transaction become one row). ---

// Builds a 1-D array of `type` from datums.
Datum make_array(const std::vector<Datum>& values, Oid type) {
  return call([&]() -> Datum {
    int16 typlen;
    bool typbyval;
    char typalign;
    get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
    return PointerGetDatum(construct_array(const_cast<Datum*>(values.data()), static_cast<int>(values.size()),
                                           type, typlen, typbyval, typalign));
  });
}

template <typename Get>
Datum array_of(const std::vector<core::FileTouch>& files, Oid type, Get get) {
  std::vector<Datum> datums;
  datums.reserve(files.size());
  for (const auto& f : files) {
    check_for_interrupts();  // up to kMaxMentionsPerRow touches per tracked row
    datums.push_back(get(f));
  }
  return make_array(datums, type);
}

// Runs as the extension owner with the caller's search_path: every name is
// schema-qualified, so no object of the caller's can stand in for ours.
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

void upsert_files(const std::vector<core::FileTouch>& files) {
  using core::FileTouch;
  Datum args[8] = {
      array_of(files, UUIDOID, [&](const FileTouch& f) { return uuid_datum(f.session); }),
      array_of(files, UUIDOID, [&](const FileTouch& f) { return uuid_datum(f.project); }),
      array_of(files, TEXTOID, [](const FileTouch& f) { return call([&] { return text_value(f.path); }); }),
      array_of(files, INT8OID, [](const FileTouch& f) { return Int64GetDatum(f.mentions); }),
      array_of(files, INT8OID, [](const FileTouch& f) { return Int64GetDatum(f.modifications); }),
      array_of(files, INT8OID, [](const FileTouch& f) { return Int64GetDatum(f.loc_added); }),
      array_of(files, INT8OID, [](const FileTouch& f) { return Int64GetDatum(f.loc_removed); }),
      array_of(files, TIMESTAMPTZOID, [](const FileTouch& f) { return TimestampTzGetDatum(f.at); })};
  // At pre-commit no portal holds a snapshot any more: run under a fresh one.
  call([] { PushActiveSnapshot(GetTransactionSnapshot()); });
  OwnerSpi spi;
  spi.execute(files_statement, args, nullptr, false);
  spi.finish();
  call([] { PopActiveSnapshot(); });
}

// An event's data as jsonb, in the current memory context. Consecutive
// transactions mostly write the same data (one table, one context type), so
// the last one parsed is kept in TopMemoryContext and copied.
Datum event_data(const std::string& json) {
  static std::string last_json;
  static Datum last_jsonb = 0;
  if (last_jsonb == 0 || json != last_json) {
    if (last_jsonb != 0) pfree(DatumGetPointer(last_jsonb));
    last_jsonb = 0;
    last_json = json;  // may throw: then last_jsonb stays unset
    last_jsonb = call([&]() -> Datum {
      Datum parsed = DirectFunctionCall1(jsonb_in, CStringGetDatum(json.c_str()));
      MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
      Datum kept = datumCopy(parsed, false, -1);
      MemoryContextSwitchTo(old);
      return kept;
    });
  }
  return call([] { return datumCopy(last_jsonb, false, -1); });
}

// Sessions whose delta row position a backend remembers, at most.
constexpr std::size_t kRememberedDeltaRows = 1024;

// Writes one drained buffer: deltas, events, files.
void write_drained(core::Drained out) {
  if (out.deltas.empty() && out.events.empty() && out.files.empty()) return;
  auto& state = tx_state();
  FlushTargets targets = flush_targets();
  std::vector<EventText> texts;
  texts.reserve(out.events.size());
  for (const auto& e : out.events) {
    check_for_interrupts();
    std::string data = e.data_json.empty() ? "{}" : e.data_json;
    if (e.folded)
      texts.push_back(
          {core::folded_summary(e.kind, e.rows), event_data(core::json_with_number(data, "rows", e.rows))});
    else
      texts.push_back({e.summary, event_data(data)});
  }
  call([] {
    // What SQL would refuse: a write in a read-only transaction or on a standby.
    PreventCommandIfReadOnly("session tracking");
    PreventCommandDuringRecovery("session tracking");
  });
  state.flushing = true;  // reset with the transaction state if this fails
  TimestampTz now = GetCurrentTimestamp();
  note_written_sessions(out.deltas, now);  // before the writes, which it must not see
  if (!out.deltas.empty()) {
    auto& rows = backend_cache().delta_rows;
    std::vector<ItemPointerData> row_at(out.deltas.size());
    for (std::size_t i = 0; i < out.deltas.size(); ++i) {
      auto it = rows.find(out.deltas[i].session);
      if (it != rows.end())
        row_at[i] = it->second;
      else
        ItemPointerSetInvalid(&row_at[i]);
    }
    call([&] { add_deltas(targets, out.deltas, row_at, now); });
    if (rows.size() > kRememberedDeltaRows) rows.clear();
    for (std::size_t i = 0; i < out.deltas.size(); ++i) rows[out.deltas[i].session] = row_at[i];
  }
  if (!out.events.empty()) call([&] { insert_events(targets, out.events, texts); });
  if (!out.files.empty()) upsert_files(out.files);
  call([] { CommandCounterIncrement(); });  // the rest of the transaction sees them
  state.flushing = false;
  note_activity(out.deltas);  // announced at pre-commit (src/pg/notices.cpp)
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
  write_drained(state.buffer.drain_at(GetCurrentTransactionNestLevel()));
}

}  // namespace aidis::pg
