// What list_sessions' q is matched against (docs/search.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aidis::core {

// The fields one per line, empty ones left out. A display id comes first;
// of a standard one (SES-YYYY-NNNN) only NNNN: "SES" and the year, shared by
// every session, would match everything, and display ids have their own
// prefix index.
std::string search_text(std::string_view display_id, const std::vector<std::string>& fields);

}  // namespace aidis::core
