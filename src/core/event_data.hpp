// JSON for timeline entries (nlohmann-json), and short summaries of text.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace aidis::core {

// {"key": "value", ...}; pairs with an empty value are left out.
std::string json_object(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

// `object` (a JSON object) with `key` set to the number `value`.
std::string json_with_number(std::string_view object, std::string_view key, std::int64_t value);

// Summary of an entry counting the rows of a statement beyond its first
// entries: "+99980 more contexts added".
std::string folded_summary(std::string_view kind, std::int64_t rows);

// Whitespace runs collapsed to one space, trimmed; cut at max_bytes on a UTF-8
// character boundary, with "…" appended when cut.
std::string summarize(std::string_view text, std::size_t max_bytes);

// How long the summary of a row's timeline entry is, at most.
constexpr std::size_t kRowSummaryBytes = 160;

}  // namespace aidis::core
