// aidis._search_text(display_id, title, description, goal, tags text[], agent)
// -> text: what list_sessions matches q against (src/core/search_text.hpp).
// Immutable and without a SET clause: the word index of list_sessions is built
// on it (extension/sql/61_api_search.sql).
#include "core/search_text.hpp"
#include "pg/args.hpp"
#include "pg/guard.hpp"

using namespace aidis;

AIDIS_PG_FUNCTION(aidis_search_text) {
  std::string display_id = PG_ARGISNULL(0) ? std::string() : pg::text_arg(fcinfo, 0);
  std::vector<std::string> fields;
  for (int i : {1, 2, 3})
    if (!PG_ARGISNULL(i)) fields.push_back(pg::text_arg(fcinfo, i));
  if (!PG_ARGISNULL(4))
    for (auto& tag : pg::text_array_arg(fcinfo, 4)) fields.push_back(std::move(tag));
  if (!PG_ARGISNULL(5)) fields.push_back(pg::text_arg(fcinfo, 5));
  return pg::text_datum(core::search_text(display_id, fields));
}
