#include "core/search_text.hpp"

namespace aidis::core {

std::string search_text(std::string_view display_id, const std::vector<std::string>& fields) {
  std::string out;
  auto append = [&](std::string_view field) {
    if (field.empty()) return;
    if (!out.empty()) out.push_back('\n');
    out += field;
  };
  std::size_t dash = display_id.rfind('-');
  bool standard = display_id.rfind("SES-", 0) == 0 && dash == 8;
  append(standard ? display_id.substr(dash + 1) : display_id);
  for (const auto& field : fields) append(field);
  return out;
}

}  // namespace aidis::core
