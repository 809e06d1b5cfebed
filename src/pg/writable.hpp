// The one rule for writes into a project: nothing reads or writes the data of
// a disconnected project (docs/design.md, rule 8). Used by the tracking
// trigger (src/pg/stamping.cpp) and by the trigger of the session tables below.
#pragma once

#include "pg/tuple.hpp"

namespace aidis::pg {

// Refuses a row that touches a disconnected project: its own project_id
// (attribute `project_col`) and the project of the session it names
// (`session_col`; 0 = none). A new row must name an existing session; an old
// one may name a session that is gone.
// Throws 23503 for an unknown project, 55000 for a disconnected one.
void check_project_writable(const core::Uuid& project);

void check_row_writable(HeapTuple row, TupleDesc desc, int project_col, int session_col, bool new_row);

}  // namespace aidis::pg
