// The disconnected-project guard (rule 8), shared by the tracking trigger and
// the guard trigger of the session tables.
#pragma once

#include "pg/tuple.hpp"

namespace aidis::pg {

// Refuses a row that touches a disconnected project: its own project_id
// (attribute `project_col`) and the project of the session it names
// (`session_col`; 0 = none). A new row must name an existing session; an old
// one may name a session that is gone.
void check_row_writable(HeapTuple row, TupleDesc desc, int project_col, int session_col, bool new_row);

}  // namespace aidis::pg
