#include "conninfo.hpp"

namespace aidis {

ConnParams connection_params(const std::optional<std::string>& dbname,
                             std::string_view fallback_application_name) {
  ConnParams p = {
      // application_name / PGAPPNAME, when given, take precedence over this.
      {"fallback_application_name", std::string(fallback_application_name)},
      // A long-lived idle connection must notice a vanished server or a
      // dropped NAT entry: probe after 30 s idle, give up after ~1 min.
      // (Ignored on Unix-domain sockets, where the kernel knows.)
      {"keepalives", "1"},
      {"keepalives_idle", "30"},
      {"keepalives_interval", "10"},
      {"keepalives_count", "3"},
  };
  if (dbname && !dbname->empty()) p.emplace_back("dbname", *dbname);
  return p;
}

}  // namespace aidis
