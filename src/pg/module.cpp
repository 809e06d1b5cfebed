// The module: its magic block and _PG_init, which sets up each part in its
// own file.
#include "core/interrupts.hpp"
#include "pg/backend_cache.hpp"
#include "pg/guard.hpp"
#include "pg/settings.hpp"
#include "pg/tx_state.hpp"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

void _PG_init(void) {
  using namespace aidis::pg;
  define_settings();
  // The core's long loops over user data poll through this (src/core/interrupts.hpp).
  aidis::core::interrupt_hook = check_for_interrupts;
  register_transaction_callbacks();
  register_cache_invalidation();
}
