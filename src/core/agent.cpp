#include "core/agent.hpp"

namespace aidis::core {

std::string normalize_agent(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  bool pending_hyphen = false;
  for (char c : raw) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!keep) {
      pending_hyphen = !out.empty();
      continue;
    }
    if (pending_hyphen) out.push_back('-');
    pending_hyphen = false;
    out.push_back(c);
  }
  if (out.size() > kMaxAgentLength) {
    out.resize(kMaxAgentLength);
    while (!out.empty() && out.back() == '-') out.pop_back();
  }
  return out.empty() ? std::string("unknown") : out;
}

}  // namespace aidis::core
