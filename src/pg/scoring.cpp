// The derived score (docs/scoring.md) for SQL: the formula and the
// near-duplicate detector live in core/scoring, aidis._score_signals()
// gathers their inputs.
#include <vector>

#include "core/scoring.hpp"
#include "pg/args.hpp"
#include "pg/guard.hpp"

using namespace aidis;

// aidis._score(tasks_created, tasks_completed, tasks_reopened, completed_tasks,
//              first_time_right, items_compared, repeated_items, contexts,
//              error_contexts, goal_set, activity) -> jsonb. STRICT.
AIDIS_PG_FUNCTION(aidis_score) {
  core::ScoreInputs in;
  in.tasks_created = PG_GETARG_INT64(0);
  in.tasks_completed = PG_GETARG_INT64(1);
  in.tasks_reopened = PG_GETARG_INT64(2);
  in.completed_tasks = PG_GETARG_INT64(3);
  in.first_time_right = PG_GETARG_INT64(4);
  in.items_compared = PG_GETARG_INT64(5);
  in.repeated_items = PG_GETARG_INT64(6);
  in.contexts = PG_GETARG_INT64(7);
  in.error_contexts = PG_GETARG_INT64(8);
  in.goal_set = PG_GETARG_BOOL(9);
  in.activity = PG_GETARG_INT64(10);
  std::string json = core::score_json(core::compute_score(in));
  return pg::jsonb_datum(json);
}

// aidis._near_duplicates(items text[], threshold float8) -> bigint. STRICT.
AIDIS_PG_FUNCTION(aidis_near_duplicates) {
  double threshold = PG_GETARG_FLOAT8(1);
  if (!(threshold > 0 && threshold <= 1))
    throw pg::Error(ERRCODE_INVALID_PARAMETER_VALUE, "threshold must be greater than 0 and at most 1");
  std::vector<std::string> items = pg::text_array_arg(fcinfo, 0);
  // The most recent items only (docs/scoring.md): the SQL caller passes them oldest first.
  if (items.size() > core::kMaxComparedItems)
    items.erase(items.begin(), items.end() - static_cast<std::ptrdiff_t>(core::kMaxComparedItems));
  PG_RETURN_INT64(core::count_near_duplicates(items, threshold));
}

// aidis._trigram_similarity(a text, b text) -> float8: pg_trgm's measure, as the
// detector computes it. Created only by the scripts of 0.1.0 to 0.3.0 (0.4.0
// drops it): installing one of those releases, to update it, needs the symbol.
AIDIS_PG_FUNCTION(aidis_trigram_similarity) {
  std::string a = pg::text_arg(fcinfo, 0);
  std::string b = pg::text_arg(fcinfo, 1);
  PG_RETURN_FLOAT8(core::similarity(a, b));
}

// aidis._score_version() -> text: the version of the formula compute_score implements.
AIDIS_PG_FUNCTION(aidis_score_version) { return pg::text_datum(core::kScoreVersion); }
