// Long loops over user data must stay cancellable (docs/security.md, "Hostile
// column types and huge inputs"). The core knows nothing of PostgreSQL: the
// server layer installs a hook that raises a pending cancel or timeout as a C++
// exception, and the loops call poll_interrupts() once per chunk of work.
#pragma once

#include <cstddef>

namespace aidis::core {

using InterruptHook = void (*)();

// Set once by the server layer (_PG_init); unit tests may set their own.
inline InterruptHook interrupt_hook = nullptr;

// Bytes of text a loop handles between two polls: small enough for a cancel
// to act within a millisecond, large enough to cost nothing measurable.
inline constexpr std::size_t kPollBytes = std::size_t{64} * 1024;

// May throw (whatever the hook throws); the loops calling it are exception-safe.
inline void poll_interrupts() {
  if (interrupt_hook != nullptr) interrupt_hook();
}

}  // namespace aidis::core
