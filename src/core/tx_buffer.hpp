// Per-transaction buffer of counter deltas and timeline events.
//
// Tracking triggers never touch the shared session row. They add deltas here,
// keyed by session, at the current (sub)transaction nesting level; a savepoint
// rollback discards its level, a savepoint release merges it into the parent,
// and the top-level commit drains everything in one write per session
// (docs/counters.md explains why).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/uuid.hpp"

namespace aidis::core {

enum class Counter : std::size_t {
  ContextsCreated,
  TasksCreated,
  TasksCompleted,
  TasksReopened,
  DecisionsCreated,
  ActivityCount,
  InputTokens,
  OutputTokens,
  CacheReadTokens,
  CacheCreationTokens,
  EstimatedTokens,
  LocAdded,
  LocRemoved,
  kCount
};

inline constexpr std::size_t kCounterCount = static_cast<std::size_t>(Counter::kCount);

// The session column of each counter, in Counter order.
inline constexpr std::array<const char*, kCounterCount> kCounterColumns = {
    "contexts_created", "tasks_created", "tasks_completed", "tasks_reopened",    "decisions_created",
    "activity_count",   "input_tokens",  "output_tokens",   "cache_read_tokens", "cache_creation_tokens",
    "estimated_tokens", "loc_added",     "loc_removed"};

struct Counters {
  std::array<std::int64_t, kCounterCount> values{};

  std::int64_t& operator[](Counter c) { return values[static_cast<std::size_t>(c)]; }
  std::int64_t operator[](Counter c) const { return values[static_cast<std::size_t>(c)]; }
  void add(const Counters& other);
  bool operator==(const Counters& other) const { return values == other.values; }
};

// One timeline entry. Timestamps are PostgreSQL TimestampTz (microseconds since
// 2000-01-01), carried opaquely.
struct Event {
  Uuid session;
  Uuid project;
  std::string kind;
  std::string entity_id;  // empty: none
  std::string summary;    // empty: none
  std::string data_json;  // a JSON object
  std::int64_t occurred_at = 0;
  bool folded = false;    // the entry counting a statement's rows beyond the first ones
  std::int64_t rows = 1;  // how many rows the entry stands for
};

// A statement writing many rows of one kind to one session keeps this many
// timeline entries; the rest are counted in one more entry (docs/counters.md).
inline constexpr std::int64_t kEntriesPerStatement = 20;

// A file seen in a session: an @path mention in a context, or a reported edit.
struct FileTouch {
  Uuid session;
  Uuid project;
  std::string path;
  std::int64_t mentions = 0;
  std::int64_t modifications = 0;
  std::int64_t loc_added = 0;
  std::int64_t loc_removed = 0;
  std::int64_t at = 0;
};

struct SessionDelta {
  Uuid session;
  Uuid project;
  Counters counters;
};

// What a committing transaction writes: deltas sorted by session id (a fixed
// lock order), events and file touches in the order they happened.
struct Drained {
  std::vector<SessionDelta> deltas;
  std::vector<Event> events;
  std::vector<FileTouch> files;
};

class TxBuffer {
 public:
  // `level` is the (sub)transaction nesting level, 1 for the top level.
  void add(int level, const Uuid& session, const Uuid& project, Counter counter, std::int64_t delta);
  void add_event(int level, Event event);
  // Whether a row event of `statement` would only be counted in the
  // statement's folded entry (its text need not be computed).
  bool folds(int level, const Uuid& session, std::string_view kind, std::uint32_t statement) const;
  // A row written by `statement`: its own entry, or counted in the folded one.
  void add_row_event(int level, Event event, std::uint32_t statement);
  void add_file(int level, FileTouch touch);

  void commit_subtransaction(int level);  // RELEASE SAVEPOINT: merge into the parent
  void abort_subtransaction(int level);   // ROLLBACK TO SAVEPOINT: forget the level

  bool empty() const { return levels_.empty(); }
  Drained drain();  // top-level commit: everything, then empty
  void clear() {
    levels_.clear();
    parked_.clear();
  }

  // Everything pending, to be written now by (sub)transaction `level` so that
  // a read in this transaction sees it. What came from outer levels is kept
  // aside: if `level` rolls back, its writes vanish and that part is pending
  // again at the level it came from.
  Drained drain_at(int level);

 private:
  struct Entry {
    Uuid project;
    Counters counters;
  };
  // The run of row events the last statement is writing at this level.
  struct Run {
    Uuid session;
    std::string kind;
    std::uint32_t statement = 0;
    std::int64_t entries = 0;
    std::size_t folded_index = SIZE_MAX;  // its folded entry in `events`, once there is one
  };
  struct Level {
    int depth = 0;
    std::unordered_map<Uuid, Entry, UuidHash> deltas;
    std::vector<Event> events;
    std::vector<FileTouch> files;
    std::optional<Run> run;
  };

  Level& level_for(int depth);
  Level& level_at(int depth);  // found or inserted in depth order
  static void merge_into(Level& parent, Level&& child);
  static Drained to_drained(Level&& level);

  // Data written early by subtransaction `holder` on behalf of outer level
  // `origin` (origin < holder).
  struct Parked {
    int holder;
    Level data;  // data.depth is the origin
  };

  // Ordered by depth, innermost last. Levels are created lazily, so depths
  // may skip (a savepoint that tracked nothing has no level).
  std::vector<Level> levels_;
  std::vector<Parked> parked_;
};

}  // namespace aidis::core
