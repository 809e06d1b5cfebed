#include "pg/args.hpp"

#include "pg/guard.hpp"

namespace aidis::pg {

std::string text_arg(FunctionCallInfo fcinfo, int n) {
  auto* value = static_cast<text*>(call([&]() -> void* { return PG_GETARG_TEXT_PP(n); }));
  return std::string(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

std::vector<std::string> text_array_arg(FunctionCallInfo fcinfo, int n) {
  Datum* values = nullptr;
  bool* nulls = nullptr;
  int count = 0;
  // Only read after a normal return: the error path throws.
  call([&] {
    ArrayType* array = PG_GETARG_ARRAYTYPE_P(n);
    if (ARR_ELEMTYPE(array) != TEXTOID) elog(ERROR, "expected a text[] argument");
    deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &values, &nulls, &count);
  });
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    check_for_interrupts();  // arrays of any size: each element may need detoasting
    if (nulls[i]) continue;
    Datum d = values[i];
    auto* value = static_cast<text*>(call(
        [&]() -> void* { return pg_detoast_datum_packed(reinterpret_cast<varlena*>(DatumGetPointer(d))); }));
    out.emplace_back(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
  }
  return out;
}

Datum text_datum(std::string_view value) {
  return call([&]() -> Datum {
    return PointerGetDatum(cstring_to_text_with_len(value.data(), static_cast<int>(value.size())));
  });
}

Datum jsonb_datum(const std::string& json) {
  const char* cstring = json.c_str();
  return call([&]() -> Datum { return DirectFunctionCall1(jsonb_in, CStringGetDatum(cstring)); });
}

}  // namespace aidis::pg
