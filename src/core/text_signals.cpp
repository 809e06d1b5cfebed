#include "core/text_signals.hpp"

#include <algorithm>

namespace aidis::core {

namespace {
bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_path_char(unsigned char c) {
  return is_alnum(c) || c == '_' || c == '-' || c == '.' || c == '/' || c == '~' || c == '+';
}
bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
}  // namespace

std::vector<std::string> extract_mentions(std::string_view text) {
  std::vector<std::string> found;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '@') continue;
    if (i > 0 && is_path_char(static_cast<unsigned char>(text[i - 1]))) continue;
    std::size_t end = i + 1;
    while (end < text.size() && is_path_char(static_cast<unsigned char>(text[end]))) ++end;
    std::string path(text.substr(i + 1, end - i - 1));
    while (!path.empty() && (path.back() == '.' || path.back() == '/' || path.back() == '-')) path.pop_back();
    i = end - 1;
    if (path.empty() || path.find_first_of("./") == std::string::npos) continue;
    if (path.find_first_not_of("./") == std::string::npos) continue;  // "." or "../"
    if (std::find(found.begin(), found.end(), path) == found.end()) found.push_back(std::move(path));
  }
  return found;
}

std::int64_t estimate_tokens(std::string_view text) {
  // Counted in quarter tokens so that a symbol can cost 3/4.
  std::int64_t quarters = 0;
  std::size_t run = 0;
  auto close_run = [&] {
    quarters += 4 * static_cast<std::int64_t>((run + 5) / 6);
    run = 0;
  };
  for (unsigned char c : text) {
    if (is_alnum(c)) {
      ++run;
      continue;
    }
    close_run();
    if (is_space(c)) continue;
    if (c < 0x80) {
      quarters += 3;  // punctuation, operators
    } else if ((c & 0xC0) != 0x80) {
      quarters += 4;  // first byte of a non-ASCII character
    }
  }
  close_run();
  return (quarters + 3) / 4;
}

}  // namespace aidis::core
