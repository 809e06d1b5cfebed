#include "sqlstate.hpp"

#include <map>

namespace aidis {

SqlOutcomeClass classify_sqlstate(std::string_view sqlstate) {
  using C = SqlOutcomeClass;
  if (sqlstate.empty()) return C::Unavailable;  // libpq's own errors: the connection is gone
  static const std::map<std::string_view, C> exact = {
      {"3F000", C::NotSetUp},   {"42883", C::NotSetUp}, {"42P01", C::NotSetUp},  {"42501", C::Forbidden},
      {"42704", C::NotFound},   {"P0002", C::NotFound}, {"21000", C::Ambiguous}, {"23505", C::Duplicate},
      {"55000", C::WrongState}, {"40001", C::Retry},    {"P0001", C::Refused},
  };
  if (auto it = exact.find(sqlstate); it != exact.end()) return it->second;
  std::string_view cls = sqlstate.substr(0, 2);
  if (cls == "08" || cls == "57") return C::Unavailable;
  if (cls == "22") return C::BadValue;
  if (cls == "23") return C::Refused;
  return C::Failure;
}

}  // namespace aidis
