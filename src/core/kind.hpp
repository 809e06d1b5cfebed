// The three kinds of tracked rows and the names they show up under.
#pragma once

#include <optional>
#include <string_view>

#include "core/tx_buffer.hpp"

namespace aidis::core {

enum class Kind { Context, Task, Decision };

inline std::optional<Kind> parse_kind(std::string_view name) {
  if (name == "context") return Kind::Context;
  if (name == "task") return Kind::Task;
  if (name == "decision") return Kind::Decision;
  return std::nullopt;
}

inline Counter created_counter(Kind kind) {
  switch (kind) {
    case Kind::Context:
      return Counter::ContextsCreated;
    case Kind::Task:
      return Counter::TasksCreated;
    case Kind::Decision:
      return Counter::DecisionsCreated;
  }
  return Counter::ContextsCreated;
}

// Timeline kinds of an inserted and of a deleted row.
inline const char* created_event(Kind kind) {
  switch (kind) {
    case Kind::Context:
      return "context_added";
    case Kind::Task:
      return "task_created";
    case Kind::Decision:
      return "decision_made";
  }
  return "";
}

inline const char* deleted_event(Kind kind) {
  switch (kind) {
    case Kind::Context:
      return "context_deleted";
    case Kind::Task:
      return "task_deleted";
    case Kind::Decision:
      return "decision_deleted";
  }
  return "";
}

// The column whose text summarizes a row on the timeline.
inline const char* summary_column(Kind kind) { return kind == Kind::Context ? "content" : "title"; }

// What a task status change means for the counters (rule 5).
enum class TaskTransition { None, Completed, Reopened, Changed };

inline TaskTransition task_transition(std::string_view from, std::string_view to) {
  if (from == to) return TaskTransition::None;
  if (to == "completed") return TaskTransition::Completed;
  if (from == "completed") return TaskTransition::Reopened;
  return TaskTransition::Changed;
}

}  // namespace aidis::core
