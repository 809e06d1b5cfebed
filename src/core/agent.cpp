#include "core/agent.hpp"

#include <algorithm>

#include "core/interrupts.hpp"

namespace aidis::core {

std::string normalize_agent(std::string_view raw) {
  std::string out;
  out.reserve(std::min(raw.size(), kMaxAgentLength + 2));
  bool pending_hyphen = false;
  // Characters past the limit cannot change the result: stop there.
  for (std::size_t start = 0; start < raw.size() && out.size() <= kMaxAgentLength; start += kPollBytes) {
    if (start > 0) poll_interrupts();
    for (char c : raw.substr(start, kPollBytes)) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!keep) {
        pending_hyphen = !out.empty();
        continue;
      }
      if (pending_hyphen) out.push_back('-');
      pending_hyphen = false;
      out.push_back(c);
      if (out.size() > kMaxAgentLength) break;
    }
  }
  if (out.size() > kMaxAgentLength) {
    out.resize(kMaxAgentLength);
    while (!out.empty() && out.back() == '-') out.pop_back();
  }
  return out.empty() ? std::string("unknown") : out;
}

}  // namespace aidis::core
