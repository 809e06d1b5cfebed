// Internal to the render_*.cpp files: JSON field access, status words and the
// summary box the reports share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "render.hpp"

namespace aidis::render_detail {

constexpr int kBoxWidth = 64;   // columns of the ═ rules
constexpr int kTextWidth = 72;  // wrap width of free text inside boxes

// The date (2026-03-02) of a day number since 1970-01-01.
std::string civil_from_days(long long z);

// A field as text ("" when missing or null; non-strings as JSON).
std::string str(const Json& j, const char* key);
std::optional<double> num(const Json& j, const char* key);
std::int64_t count(const Json& j, const char* key);
// A number as the server wrote it (72.5, 3, 0.4093).
std::string numtext(const Json& j, const char* key, const char* missing = "—");
std::string plural(std::int64_t n, std::string_view one, std::string_view many);
std::string join_tags(const Json& j);
// The status shown in lists: active, or why the session ended.
std::string status_word(const Json& s);
std::string color_status(const std::string& word, const Style& st);
std::optional<double> seconds_between(const std::string& a, const std::string& b);

class Box {
 public:
  explicit Box(const Style& st) : st_(st) {}
  void top() { rule("╔"); }
  void sep() { rule("╠"); }
  void bottom() { rule("╚"); }
  void blank() { out_ += st_.dim("║") + "\n"; }
  void line(std::string_view text) {
    if (text.empty()) return blank();
    out_ += st_.dim("║") + " " + std::string(text) + "\n";
  }
  // "Label:    value", labels padded to `label_width`.
  void field(std::string_view label, std::string_view value, int label_width = 11) {
    line(pad(std::string(label) + ":", label_width) + std::string(value));
  }
  // A heading then the wrapped text, indented; `empty` when there is none.
  void text(std::string_view label, std::string_view text, std::string_view empty, int indent = 2) {
    auto lines = wrap_text(text, kTextWidth - indent);
    if (lines.empty()) {
      line(fmt::format("{} {}", label, st_.dim(empty)));
      return;
    }
    if (lines.size() == 1 && display_width(label) + 1 + display_width(lines[0]) <= kTextWidth) {
      line(fmt::format("{} {}", label, lines[0]));
      return;
    }
    line(label);
    for (const auto& l : lines) line(std::string(static_cast<size_t>(indent), ' ') + l);
  }
  std::string str() const { return out_; }

 private:
  void rule(const char* corner) {
    std::string r = corner;
    for (int i = 0; i < kBoxWidth; ++i) r += "═";
    out_ += st_.dim(r) + "\n";
  }
  const Style& st_;
  std::string out_;
};

std::string title_line(const Json& s, const Style& st);
void title_block(Box& b, const Json& s, const Style& st);
std::string model_text(const Json& s, const Style& st);
void work_block(Box& b, const Json& s);
std::string rating_text(const Json& s, const Style& st);
std::string score_text(const Json& s, const Style& st);

}  // namespace aidis::render_detail
