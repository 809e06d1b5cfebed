#include "pg/guard.hpp"

namespace aidis::pg {

const char* PgError::what() const noexcept {
  return data_ != nullptr && data_->message != nullptr ? data_->message : "PostgreSQL error";
}

ErrorData* capture_error(MemoryContext caller_context) {
  MemoryContextSwitchTo(caller_context);
  ErrorData* copy = CopyErrorData();
  FlushErrorState();
  return copy;
}

void raise_error(ErrorData* pg_error, int sqlstate, const char* message, const char* detail,
                 const char* hint) {
  if (pg_error != nullptr) ReThrowError(pg_error);
  ereport(ERROR, (errcode(sqlstate), errmsg("%s", message), detail[0] != '\0' ? errdetail("%s", detail) : 0,
                  hint[0] != '\0' ? errhint("%s", hint) : 0));
  pg_unreachable();
}

}  // namespace aidis::pg
