// The extension's settings (GUCs): the session timeout, the retention of old
// timelines, the connection's or transaction's bound session, and the
// internal importing switch.
#pragma once

#include "pg/postgres.hpp"

namespace aidis::pg {

// aidis.session_timeout, in seconds.
extern int session_timeout_seconds;
// aidis.session_retention: an interval, or 'infinity' (docs/retention.md),
// as its check hook read it.
struct Retention {
  bool infinite = false;
  Interval interval{};
};
extern Retention session_retention;
// aidis.importing: aidis.adopt() is writing rows it has checked as a whole.
extern bool importing;

// True when aidis.session_id was last set for this transaction only (SET
// LOCAL, use_session(scope => 'transaction')).
bool binding_is_transaction_scoped();

// Defines the settings (from _PG_init).
void define_settings();

}  // namespace aidis::pg
