#include "core/text_signals.hpp"

#include <algorithm>
#include <unordered_set>

#include "core/interrupts.hpp"

namespace aidis::core {

namespace {
bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_path_char(unsigned char c) {
  return is_alnum(c) || c == '_' || c == '-' || c == '.' || c == '/' || c == '~' || c == '+';
}
bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// End of the run of path characters starting at `begin`; polls on long runs.
std::size_t path_run_end(std::string_view text, std::size_t begin) {
  std::size_t end = begin;
  for (;;) {
    std::size_t stop = std::min(text.size(), end + kPollBytes);
    while (end < stop && is_path_char(static_cast<unsigned char>(text[end]))) ++end;
    if (end < stop || end == text.size()) return end;
    poll_interrupts();
  }
}
}  // namespace

std::vector<std::string> extract_mentions(std::string_view text, std::size_t max_mentions) {
  std::vector<std::string> found;
  std::unordered_set<std::string_view> seen;  // views into `text`: linear de-duplication
  std::size_t i = 0, next_poll = kPollBytes;
  while (i < text.size() && found.size() < max_mentions) {
    if (i >= next_poll) {
      poll_interrupts();
      next_poll = i + kPollBytes;
    }
    std::size_t at = text.substr(0, std::min(text.size(), next_poll)).find('@', i);
    if (at == std::string_view::npos) {  // none in this chunk
      i = std::min(text.size(), next_poll);
      continue;
    }
    i = at + 1;
    if (at > 0 && is_path_char(static_cast<unsigned char>(text[at - 1]))) continue;
    std::size_t end = path_run_end(text, at + 1);
    i = end;
    std::string_view path = text.substr(at + 1, end - at - 1);
    while (!path.empty() && (path.back() == '.' || path.back() == '/' || path.back() == '-'))
      path.remove_suffix(1);
    if (path.empty() || path.size() > kMaxMentionBytes) continue;
    if (path.find_first_of("./") == std::string_view::npos) continue;
    if (path.find_first_not_of("./") == std::string_view::npos) continue;  // "." or "../"
    if (seen.insert(path).second) found.emplace_back(path);
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
  for (std::size_t start = 0; start < text.size(); start += kPollBytes) {
    if (start > 0) poll_interrupts();
    for (unsigned char c : text.substr(start, kPollBytes)) {
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
  }
  close_run();
  return (quarters + 3) / 4;
}

}  // namespace aidis::core
