// Arguments and results of SQL-callable functions, converted through the
// guard (src/pg/guard.hpp): detoasting and allocation may raise errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pg/postgres.hpp"

namespace aidis::pg {

// Text argument `n` (not NULL: the caller checks or the function is STRICT).
std::string text_arg(FunctionCallInfo fcinfo, int n);
// The non-NULL elements of text[] argument `n`, in order.
std::vector<std::string> text_array_arg(FunctionCallInfo fcinfo, int n);

Datum text_datum(std::string_view value);
Datum jsonb_datum(const std::string& json);

}  // namespace aidis::pg
