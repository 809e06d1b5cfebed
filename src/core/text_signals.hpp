// Signals read from stored text: @path file mentions and a token estimate.
// Both are one pass over the text, polling for interrupts (core/interrupts.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aidis::core {

// At most this many distinct mentions of one row are recorded; the scan stops
// there (docs/security.md, "Hostile column types and huge inputs").
inline constexpr std::size_t kMaxMentionsPerRow = 1000;
// A longer "path" is not recorded: it must fit the key of aidis.session_files
// (a btree entry holds at most 2704 bytes; random text does not compress).
inline constexpr std::size_t kMaxMentionBytes = 1024;

// "@src/main.cpp" style mentions, each path once, in order of appearance, the
// first `max_mentions` distinct ones. An @ must start a word (so e-mail
// addresses are not paths) and the path must contain a '/' or a '.'; trailing
// sentence punctuation is dropped; paths over kMaxMentionBytes are ignored.
std::vector<std::string> extract_mentions(std::string_view text,
                                          std::size_t max_mentions = kMaxMentionsPerRow);

// Token estimate for text the model read or wrote (docs/tokens.md): a run of
// ASCII letters/digits costs one token per 6 characters (rounded up), each
// other visible ASCII character 3/4 of a token, each non-ASCII character one
// token; whitespace is free; the total is rounded up.
std::int64_t estimate_tokens(std::string_view text);

}  // namespace aidis::core
