#include "pg/session_cache.hpp"

#include "pg/spi.hpp"

namespace aidis::pg {

namespace {

Statement resolve_statement{
    "SELECT r.session_id, r.project_id FROM aidis._resolve_session($1, $2, $3, $4) r",
    {UUIDOID, BOOLOID, TEXTOID, UUIDOID}};
Statement session_info_statement{
    "SELECT i.project_id, i.project_status, i.project_name FROM aidis._session_info($1) i",
    {UUIDOID}};
Statement project_info_statement{"SELECT i.status, i.name FROM aidis._project_info($1) i",
                                 {UUIDOID}};

// The session this connection is bound to (GUC aidis.session_id), if any.
std::optional<core::Uuid> bound_session() {
  const char* value = GetConfigOption("aidis.session_id", true, false);
  if (value == nullptr) return std::nullopt;
  return core::Uuid::parse(value);
}

std::string agent_from_connection() {
  const char* name = GetConfigOption("application_name", true, false);
  return name != nullptr ? std::string(name) : std::string();
}

std::string text_value(const OwnerSpi& spi, int col) {
  bool isnull = true;
  Datum d = spi.value(0, col, &isnull);
  if (isnull) return {};
  return call([&]() -> const char* { return TextDatumGetCString(d); });
}

}  // namespace

std::optional<SessionRef> current_session(bool autostart, const std::optional<core::Uuid>& project) {
  auto bound = bound_session();
  auto& cache = backend_cache();
  if (bound && cache.bound && cache.bound->session == *bound) return cache.bound;
  if (auto& current = tx_state().current) return current;

  Datum args[4];
  char nulls[4] = {' ', ' ', ' ', ' '};
  args[0] = bound ? uuid_datum(*bound) : Datum(0);
  nulls[0] = bound ? ' ' : 'n';
  args[1] = BoolGetDatum(autostart);
  std::string agent = agent_from_connection();
  args[2] = call([&]() -> Datum { return CStringGetTextDatum(agent.c_str()); });
  args[3] = project ? uuid_datum(*project) : Datum(0);
  nulls[3] = project ? ' ' : 'n';

  OwnerSpi spi;
  std::optional<SessionRef> found;
  if (spi.execute(resolve_statement, args, nulls, false) == 1) {
    bool null_session = true, null_project = true;
    Datum s = spi.value(0, 1, &null_session);
    Datum p = spi.value(0, 2, &null_project);
    if (!null_session && !null_project) found = SessionRef{to_uuid(s), to_uuid(p)};
  }
  spi.finish();
  if (!found) return found;
  // Resolution may have started (and bound) a session, which resets the
  // caches: fill them after it. The bound session is cached until a
  // lifecycle change invalidates it; a session found by search only for this
  // transaction (another one may become more recently active).
  auto& after = backend_cache_for_filling();
  after.session_project[found->session] = found->project;
  if (auto now_bound = bound_session(); now_bound && *now_bound == found->session)
    after.bound = found;
  else
    tx_state().current = found;
  return found;
}

std::optional<core::Uuid> find_session_project(const core::Uuid& session) {
  auto& cache = backend_cache();
  if (auto it = cache.session_project.find(session); it != cache.session_project.end())
    return it->second;

  Datum args[1] = {uuid_datum(session)};
  OwnerSpi spi;
  std::optional<core::Uuid> project;
  ProjectFacts facts;
  if (spi.execute(session_info_statement, args, nullptr, true) == 1) {
    bool isnull = true;
    Datum p = spi.value(0, 1, &isnull);
    if (!isnull) project = to_uuid(p);
    facts = {text_value(spi, 2), text_value(spi, 3)};
  }
  spi.finish();
  if (project) {
    auto& filling = backend_cache_for_filling();
    filling.session_project[session] = *project;
    filling.projects[*project] = facts;
  }
  return project;
}

core::Uuid session_project(const core::Uuid& session) {
  auto project = find_session_project(session);
  if (!project)
    throw Error(ERRCODE_FOREIGN_KEY_VIOLATION, "session " + session.str() + " does not exist",
                "session_id must name a row of aidis.sessions.");
  return *project;
}

void check_project_writable(const core::Uuid& project) {
  auto& cache = backend_cache();
  auto it = cache.projects.find(project);
  if (it == cache.projects.end()) {
    Datum args[1] = {uuid_datum(project)};
    OwnerSpi spi;
    ProjectFacts facts;
    if (spi.execute(project_info_statement, args, nullptr, true) == 1)
      facts = {text_value(spi, 1), text_value(spi, 2)};
    spi.finish();
    if (facts.status.empty())  // not cached: it may be created later
      throw Error(ERRCODE_FOREIGN_KEY_VIOLATION, "project " + project.str() + " does not exist",
                  "project_id must name a row of aidis.projects.");
    it = backend_cache_for_filling().projects.emplace(project, facts).first;
  }
  if (it->second.status == "disconnected")
    throw Error(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                "project \"" + it->second.name + "\" is disconnected",
                "Nothing reads or writes the data of a disconnected project.",
                "An aidis_admin can run aidis.reconnect_project().");
}

}  // namespace aidis::pg
