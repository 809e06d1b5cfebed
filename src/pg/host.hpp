// Work over a tracked table runs as the table's owner, in a security-restricted
// operation (docs/security.md, "Host tables"). aidis._host_rows() and
// aidis._host_move() are the only SQL the extension runs over a tracked table.
#pragma once

#include "pg/tuple.hpp"

namespace aidis::pg {

// True when the trigger's row is one that aidis._host_move() is moving to
// another project (same session, project from -> to; a move across partitions
// arrives as a DELETE and an INSERT): the tracking triggers let it through
// uncounted, because moving a row is not activity.
bool is_host_move(const TriggerData* data, const Columns& cols);

}  // namespace aidis::pg
