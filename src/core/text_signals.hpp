// Signals read from stored text: @path file mentions and a token estimate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aidis::core {

// "@src/main.cpp" style mentions, each path once, in order of appearance.
// An @ must start a word (so e-mail addresses are not paths) and the path
// must contain a '/' or a '.'; trailing sentence punctuation is dropped.
std::vector<std::string> extract_mentions(std::string_view text);

// Token estimate for text the model read or wrote (docs/tokens.md): a run of
// ASCII letters/digits costs one token per 6 characters (rounded up), each
// other visible ASCII character 3/4 of a token, each non-ASCII character one
// token; whitespace is free; the total is rounded up.
std::int64_t estimate_tokens(std::string_view text);

}  // namespace aidis::core
