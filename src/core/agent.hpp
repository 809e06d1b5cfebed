// Agent names (rule 9 of docs/design.md): one spelling per agent, whatever the client sent.
#pragma once

#include <string>
#include <string_view>

namespace aidis::core {

inline constexpr std::size_t kMaxAgentLength = 100;

// Lowercase ASCII letters and digits; every other run of characters becomes one
// hyphen; no leading or trailing hyphen; at most kMaxAgentLength characters.
// "Claude Code" -> "claude-code", "claude_code" -> "claude-code",
// "  Cursor " -> "cursor". Returns "unknown" when nothing is left.
std::string normalize_agent(std::string_view raw);

}  // namespace aidis::core
