// The three kinds of tracked rows and the names they show up under.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "core/tx_buffer.hpp"

namespace aidis::core {

enum class Kind { Context, Task, Decision };

// What differs between the kinds, one row each, in the order of `Kind`.
struct KindFacts {
  Kind kind;
  std::string_view name;       // the tracking trigger's argument
  Counter created;             // the session counter of inserted rows
  const char* created_event;   // the timeline kind of an inserted row
  const char* deleted_event;   // the timeline kind of a deleted row
  const char* summary_column;  // the column whose text summarizes a row on the timeline
  const char* detail_column;   // the column with its longer text, or nullptr
};

inline constexpr std::array<KindFacts, 3> kKinds{{
    {Kind::Context, "context", Counter::ContextsCreated, "context_added", "context_deleted", "content",
     nullptr},
    {Kind::Task, "task", Counter::TasksCreated, "task_created", "task_deleted", "title", "description"},
    {Kind::Decision, "decision", Counter::DecisionsCreated, "decision_made", "decision_deleted", "title",
     "rationale"},
}};

constexpr bool kinds_in_order() {
  for (std::size_t i = 0; i < kKinds.size(); ++i)
    if (static_cast<std::size_t>(kKinds[i].kind) != i) return false;
  return true;
}
static_assert(kinds_in_order(), "kKinds has one row per Kind, in the order of the enum");

inline const KindFacts& facts(Kind kind) { return kKinds[static_cast<std::size_t>(kind)]; }

inline std::optional<Kind> parse_kind(std::string_view name) {
  for (const KindFacts& k : kKinds)
    if (k.name == name) return k.kind;
  return std::nullopt;
}

inline Counter created_counter(Kind kind) { return facts(kind).created; }
inline const char* created_event(Kind kind) { return facts(kind).created_event; }
inline const char* deleted_event(Kind kind) { return facts(kind).deleted_event; }
inline const char* summary_column(Kind kind) { return facts(kind).summary_column; }

// What a task status change means for the counters (rule 5).
enum class TaskTransition { None, Completed, Reopened, Changed };

inline TaskTransition task_transition(std::string_view from, std::string_view to) {
  if (from == to) return TaskTransition::None;
  if (to == "completed") return TaskTransition::Completed;
  if (from == "completed") return TaskTransition::Reopened;
  return TaskTransition::Changed;
}

}  // namespace aidis::core
