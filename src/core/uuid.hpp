// A 16-byte session identifier, usable as a hash-map key without PostgreSQL.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aidis::core {

struct Uuid {
  std::array<std::uint8_t, 16> bytes{};

  bool operator==(const Uuid& other) const { return bytes == other.bytes; }
  bool operator!=(const Uuid& other) const { return bytes != other.bytes; }
  bool operator<(const Uuid& other) const { return bytes < other.bytes; }

  // Canonical lowercase 8-4-4-4-12 form.
  std::string str() const;
  // Accepts the canonical form (any case); nullopt otherwise.
  static std::optional<Uuid> parse(std::string_view text);
};

struct UuidHash {
  std::size_t operator()(const Uuid& id) const noexcept;
};

}  // namespace aidis::core
