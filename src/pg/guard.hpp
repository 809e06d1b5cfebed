// The C++ <-> PostgreSQL boundary (docs/design.md, "The C++ boundary").
//
// * pg::call(fn) runs PostgreSQL code; an ereport(ERROR) inside it becomes a
//   C++ exception (PgError) instead of a longjmp through C++ frames.
// * pg::shim(where, body) is the body of every extern "C" entry point: no C++
//   exception escapes it, and the error is raised with ereport only after
//   every C++ frame has unwound.
// * AIDIS_PG_FUNCTION(name) { ... } defines a SQL-callable C function whose
//   body runs inside pg::shim.
#pragma once

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include "pg/postgres.hpp"

namespace aidis::pg {

// A PostgreSQL error caught by call(), copied into the caller's memory context.
class PgError final : public std::exception {
 public:
  explicit PgError(ErrorData* data) noexcept : data_(data) {}
  ErrorData* data() const noexcept { return data_; }
  const char* what() const noexcept override;

 private:
  ErrorData* data_;
};

// An error of our own, with the SQLSTATE documented in the README.
class Error final : public std::exception {
 public:
  Error(int sqlstate, std::string message, std::string detail = {}, std::string hint = {})
      : sqlstate_(sqlstate),
        message_(std::move(message)),
        detail_(std::move(detail)),
        hint_(std::move(hint)) {}
  int sqlstate() const noexcept { return sqlstate_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& detail() const noexcept { return detail_; }
  const std::string& hint() const noexcept { return hint_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  int sqlstate_;
  std::string message_, detail_, hint_;
};

// Called in PG_CATCH: leaves the error state clean and returns a copy.
ErrorData* capture_error(MemoryContext caller_context);

// Runs fn, which calls PostgreSQL. fn itself must own no C++ resources (a
// longjmp out of it skips destructors); its result must be trivially copyable.
template <typename F>
auto call(F&& fn) -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  MemoryContext caller_context = CurrentMemoryContext;
  ErrorData* volatile error = nullptr;
  if constexpr (std::is_void_v<R>) {
    PG_TRY();
    { fn(); }
    PG_CATCH();
    { error = capture_error(caller_context); }
    PG_END_TRY();
    if (error != nullptr) throw PgError(error);
  } else {
    static_assert(std::is_trivially_copyable_v<R>, "pg::call results cross a setjmp");
    volatile R result{};
    PG_TRY();
    { result = fn(); }
    PG_CATCH();
    { error = capture_error(caller_context); }
    PG_END_TRY();
    if (error != nullptr) throw PgError(error);
    return result;
  }
}

// CHECK_FOR_INTERRUPTS for C++ frames: a pending cancel or timeout becomes a
// PgError. Enters PG_TRY only when something is pending. Inside a pg::call
// lambda use CHECK_FOR_INTERRUPTS() itself (no exception may leave a PG_TRY).
inline void check_for_interrupts() {
  if (INTERRUPTS_PENDING_CONDITION()) call([] { CHECK_FOR_INTERRUPTS(); });
}

// Raises the error described by the arguments; never returns.
[[noreturn]] void raise_error(ErrorData* pg_error, int sqlstate, const char* message, const char* detail,
                              const char* hint);

template <typename F>
auto shim(const char* where, F&& body) -> std::invoke_result_t<F&> {
  ErrorData* pg_error = nullptr;
  int sqlstate = ERRCODE_INTERNAL_ERROR;
  // Plain buffers: nothing here may need a destructor once we ereport.
  char message[1024] = "";
  char detail[1024] = "";
  char hint[512] = "";
  try {
    return body();
  } catch (const PgError& e) {
    pg_error = e.data();
  } catch (const Error& e) {
    sqlstate = e.sqlstate();
    strlcpy(message, e.message().c_str(), sizeof message);
    strlcpy(detail, e.detail().c_str(), sizeof detail);
    strlcpy(hint, e.hint().c_str(), sizeof hint);
  } catch (const std::bad_alloc&) {
    sqlstate = ERRCODE_OUT_OF_MEMORY;
    strlcpy(message, "out of memory", sizeof message);
    strlcpy(detail, where, sizeof detail);
  } catch (const std::exception& e) {
    strlcpy(message, e.what(), sizeof message);
    strlcpy(detail, where, sizeof detail);
  } catch (...) {
    strlcpy(message, "unexpected C++ exception", sizeof message);
    strlcpy(detail, where, sizeof detail);
  }
  raise_error(pg_error, sqlstate, message, detail, hint);
}

}  // namespace aidis::pg

// Defines the SQL-callable C function `name` (LANGUAGE c, AS 'MODULE_PATHNAME',
// 'name'): the braces that follow are its body, a C++ function of `fcinfo`
// that runs inside pg::shim.
#define AIDIS_PG_FUNCTION(name)                                                \
  extern "C" {                                                                 \
  PG_FUNCTION_INFO_V1(name);                                                   \
  }                                                                            \
  static Datum name##_body([[maybe_unused]] FunctionCallInfo fcinfo);          \
  Datum name(PG_FUNCTION_ARGS) {                                               \
    return ::aidis::pg::shim(#name, [fcinfo] { return name##_body(fcinfo); }); \
  }                                                                            \
  static Datum name##_body([[maybe_unused]] FunctionCallInfo fcinfo)
