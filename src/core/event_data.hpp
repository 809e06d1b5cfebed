// JSON for timeline entries (nlohmann-json), and short summaries of text.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace aidis::core {

// {"key": "value", ...}; pairs with an empty value are left out.
std::string json_object(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

// Whitespace runs collapsed to one space, trimmed; cut at max_bytes on a UTF-8
// character boundary, with "…" appended when cut.
std::string summarize(std::string_view text, std::size_t max_bytes);

}  // namespace aidis::core
