#include "core/event_data.hpp"

#include <nlohmann/json.hpp>

#include "core/interrupts.hpp"

namespace aidis::core {

std::string json_object(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [key, value] : fields)
    if (!value.empty()) object[std::string(key)] = std::string(value);
  // Invalid UTF-8 is replaced rather than thrown: a summary must never fail a write.
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string json_with_number(std::string_view object, std::string_view key, std::int64_t value) {
  nlohmann::json parsed = nlohmann::json::parse(object, nullptr, false);
  if (!parsed.is_object()) parsed = nlohmann::json::object();
  parsed[std::string(key)] = value;
  return parsed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string folded_summary(std::string_view kind, std::int64_t rows) {
  // "context_added" -> "contexts added"
  std::string words(kind);
  auto underscore = words.find('_');
  if (underscore != std::string::npos)
    words = words.substr(0, underscore) + "s " + words.substr(underscore + 1);
  return "+" + std::to_string(rows) + " more " + words;
}

std::string summarize(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes + 3));
  bool space = false;
  // Stops once it knows it must cut; only whitespace makes it read on, in chunks.
  for (std::size_t start = 0; start < text.size() && out.size() <= max_bytes + 4; start += kPollBytes) {
    if (start > 0) poll_interrupts();
    for (char c : text.substr(start, kPollBytes)) {
      bool is_space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
      if (is_space) {
        space = !out.empty();
        continue;
      }
      if (space) out.push_back(' ');
      space = false;
      out.push_back(c);
      if (out.size() > max_bytes + 4) break;  // enough to know we must cut
    }
  }
  if (out.size() <= max_bytes) return out;
  std::size_t cut = max_bytes;
  // Back up to the start of a UTF-8 character (continuation bytes are 10xxxxxx).
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + "\xE2\x80\xA6";
}

}  // namespace aidis::core
