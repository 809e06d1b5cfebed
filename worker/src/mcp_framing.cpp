#include "mcp_framing.hpp"

namespace aidis::mcp {

void LineFramer::emit(std::vector<Frame>& out) {
  if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();
  bool blank = buf_.find_first_not_of(" \t\r") == std::string::npos;
  if (!blank) out.push_back({Frame::Kind::Line, std::move(buf_)});
  buf_.clear();
}

std::vector<Frame> LineFramer::feed(std::string_view bytes) {
  std::vector<Frame> out;
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    std::string_view part = bytes.substr(0, nl);
    if (!skipping_) {
      if (buf_.size() + part.size() > max_) {
        buf_.clear();
        buf_.shrink_to_fit();
        skipping_ = true;
        out.push_back({Frame::Kind::TooLong, {}});
      } else {
        buf_.append(part);
      }
    }
    if (nl == std::string_view::npos) break;
    if (skipping_)
      skipping_ = false;
    else
      emit(out);
    bytes.remove_prefix(nl + 1);
  }
  return out;
}

std::vector<Frame> LineFramer::finish() {
  std::vector<Frame> out;
  if (!skipping_) emit(out);
  skipping_ = false;
  buf_.clear();
  return out;
}

}  // namespace aidis::mcp
