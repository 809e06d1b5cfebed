// The stdio transport of `aidis mcp`: one JSON-RPC message per line
// ("\n"-delimited, no embedded newlines). Bytes arrive in arbitrary chunks;
// the framer cuts them into lines and bounds the memory a client can make
// the server hold. Pure, unit-tested (docs/mcp.md).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace aidis::mcp {

struct Frame {
  enum class Kind {
    Line,     // a complete line, without "\n" and a trailing "\r"
    TooLong,  // a line longer than the limit; its bytes were dropped
  };
  Kind kind = Kind::Line;
  std::string text;  // empty for TooLong
};

class LineFramer {
 public:
  explicit LineFramer(std::size_t max_line_bytes) : max_(max_line_bytes) {}

  // Takes the next bytes of the stream; returns the frames they complete.
  // Blank lines are skipped. A line over the limit is reported once, as
  // soon as it passes the limit; the rest of it is dropped as it arrives.
  std::vector<Frame> feed(std::string_view bytes);

  // End of the stream: the last line, if it had no "\n".
  std::vector<Frame> finish();

 private:
  void emit(std::vector<Frame>& out);

  std::size_t max_;
  std::string buf_;
  bool skipping_ = false;  // inside a line already reported as TooLong
};

}  // namespace aidis::mcp
