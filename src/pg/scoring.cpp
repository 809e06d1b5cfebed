// SQL-callable C++ of the session API: the derived score (docs/scoring.md),
// whose formula and near-duplicate detector live in core/scoring while
// aidis._score_signals() gathers their inputs; and the text list_sessions
// searches (an immutable function, so it can be indexed).
#include "core/scoring.hpp"
#include "pg/guard.hpp"

#include <vector>

extern "C" {
PG_FUNCTION_INFO_V1(aidis_score);
PG_FUNCTION_INFO_V1(aidis_near_duplicates);
PG_FUNCTION_INFO_V1(aidis_trigram_similarity);
PG_FUNCTION_INFO_V1(aidis_score_version);
PG_FUNCTION_INFO_V1(aidis_search_text);
Datum aidis_score(PG_FUNCTION_ARGS);
Datum aidis_near_duplicates(PG_FUNCTION_ARGS);
Datum aidis_trigram_similarity(PG_FUNCTION_ARGS);
Datum aidis_score_version(PG_FUNCTION_ARGS);
Datum aidis_search_text(PG_FUNCTION_ARGS);
}

namespace aidis::pg {
namespace {

std::string text_arg(FunctionCallInfo fcinfo, int n) {
  auto* value = static_cast<text*>(call([&]() -> void* { return PG_GETARG_TEXT_PP(n); }));
  return std::string(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

// The non-NULL elements of a text[] argument, in order.
std::vector<std::string> text_array_arg(FunctionCallInfo fcinfo, int n) {
  Datum* values = nullptr;
  bool* nulls = nullptr;
  int count = 0;
  // Only read after a normal return: the error path throws.
  call([&] {
    ArrayType* array = PG_GETARG_ARRAYTYPE_P(n);
    if (ARR_ELEMTYPE(array) != TEXTOID) elog(ERROR, "expected a text[] argument");
    deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &values, &nulls, &count);
  });
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    check_for_interrupts();  // arrays of any size: each element may need detoasting
    if (nulls[i]) continue;
    Datum d = values[i];
    auto* value = static_cast<text*>(call([&]() -> void* { return pg_detoast_datum_packed(reinterpret_cast<varlena*>(DatumGetPointer(d))); }));
    out.emplace_back(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
  }
  return out;
}

Datum text_datum(const std::string& value) {
  return call([&]() -> Datum {
    return PointerGetDatum(cstring_to_text_with_len(value.data(), static_cast<int>(value.size())));
  });
}

Datum jsonb_datum(const std::string& json) {
  const char* cstring = json.c_str();
  return call([&]() -> Datum { return DirectFunctionCall1(jsonb_in, CStringGetDatum(cstring)); });
}

}  // namespace
}  // namespace aidis::pg

using namespace aidis;

// aidis._score(tasks_created, tasks_completed, tasks_reopened, completed_tasks,
//              first_time_right, items_compared, repeated_items, contexts,
//              error_contexts, goal_set, activity) -> jsonb. STRICT.
Datum aidis_score(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._score", [&] {
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
  });
}

// aidis._near_duplicates(items text[], threshold float8) -> bigint. STRICT.
Datum aidis_near_duplicates(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._near_duplicates", [&] {
    double threshold = PG_GETARG_FLOAT8(1);
    if (!(threshold > 0 && threshold <= 1))
      throw pg::Error(ERRCODE_INVALID_PARAMETER_VALUE, "threshold must be greater than 0 and at most 1");
    std::vector<std::string> items = pg::text_array_arg(fcinfo, 0);
    // The most recent items only (docs/scoring.md): the SQL caller passes them oldest first.
    if (items.size() > core::kMaxComparedItems)
      items.erase(items.begin(), items.end() - static_cast<std::ptrdiff_t>(core::kMaxComparedItems));
    PG_RETURN_INT64(core::count_near_duplicates(items, threshold));
  });
}

// aidis._trigram_similarity(a text, b text) -> float8: pg_trgm's measure, as the detector computes it.
Datum aidis_trigram_similarity(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._trigram_similarity", [&] {
    std::string a = pg::text_arg(fcinfo, 0);
    std::string b = pg::text_arg(fcinfo, 1);
    PG_RETURN_FLOAT8(core::similarity(a, b));
  });
}

// aidis._score_version() -> text: the version of the formula compute_score implements.
Datum aidis_score_version(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._score_version", [&] { return pg::text_datum(core::kScoreVersion); });
}

// aidis._search_text(display_id, title, description, goal, tags text[], agent) -> text:
// the fields list_sessions matches q against, one per line (NULLs left out);
// of a display id SES-YYYY-NNNN only NNNN.
// Immutable and cheap: the trigram index of list_sessions is built on it.
Datum aidis_search_text(PG_FUNCTION_ARGS) {
  return pg::shim("aidis._search_text", [&] {
    std::string out;
    auto append = [&](const std::string& field) {
      if (field.empty()) return;
      if (!out.empty()) out.push_back('\n');
      out += field;
    };
    if (!PG_ARGISNULL(0)) {
      // Display ids have their own (prefix) index: only the number goes here,
      // so that "SES" and the year, shared by every session, are no trigrams.
      std::string display = pg::text_arg(fcinfo, 0);
      std::size_t dash = display.rfind('-');
      bool standard = display.rfind("SES-", 0) == 0 && dash == 8;
      append(standard ? display.substr(dash + 1) : display);
    }
    for (int i : {1, 2, 3}) {
      if (!PG_ARGISNULL(i)) append(pg::text_arg(fcinfo, i));
    }
    if (!PG_ARGISNULL(4))
      for (const auto& tag : pg::text_array_arg(fcinfo, 4)) append(tag);
    if (!PG_ARGISNULL(5)) append(pg::text_arg(fcinfo, 5));
    return pg::text_datum(out);
  });
}
