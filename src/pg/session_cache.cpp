#include "pg/session_cache.hpp"

#include "pg/settings.hpp"
#include "pg/spi.hpp"
#include "pg/tx_state.hpp"

namespace aidis::pg {

namespace {

Statement resolve_statement{"SELECT r.session_id, r.project_id FROM aidis._resolve_session($1, $2, $3, $4) r",
                            {UUIDOID, BOOLOID, TEXTOID, UUIDOID}};
Statement session_info_statement{
    "SELECT i.project_id, i.project_status, i.project_name FROM aidis._session_info($1) i", {UUIDOID}};

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

}  // namespace

namespace {

// One row of aidis._resolve_session, as the extension owner.
std::optional<SessionRef> resolve(const std::optional<core::Uuid>& bound, bool autostart,
                                  const std::optional<core::Uuid>& project) {
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
  return found;
}

// A write more than this after a backend learnt which session is the most
// recently active tells the others again: two writes to two sessions at the
// same instant can each believe their own session is the latest (neither
// sees the other's commit), and this bounds how long a cache can be wrong.
constexpr TimestampTz kLatestRefreshUsecs = USECS_PER_SEC;

}  // namespace

std::optional<SessionRef> current_session(bool autostart, const std::optional<core::Uuid>& project) {
  auto& cache = backend_cache();
  auto bound = bound_session();
  if (bound) {
    if (auto it = cache.active_sessions.find(*bound); it != cache.active_sessions.end())
      return SessionRef{*bound, it->second};
    // A transaction-scoped binding names its session like an explicit id.
    if (binding_is_transaction_scoped()) return SessionRef{*bound, session_project(*bound)};
    if (cache.inactive_binding == bound) bound.reset();  // rule 3: ended, so unbound
  }
  if (!bound) {
    if (project) {
      if (auto it = cache.latest_in_project.find(*project); it != cache.latest_in_project.end())
        return it->second;
    } else if (cache.latest) {
      return cache.latest->ref;
    }
  }

  // Learn the relations whose invalidations reach the cache before the query:
  // one processed during it may postdate its snapshot, and then the answer
  // is not stored (the generation moved).
  std::uint64_t generation = backend_cache_for_filling().generation;
  auto found = resolve(bound, autostart, project);
  if (!found) return found;
  auto& after = backend_cache_for_filling();
  after.session_project[found->session] = found->project;
  if (bound && found->session == *bound) {
    after.active_sessions[*bound] = found->project;
    return found;
  }
  if (bound) after.inactive_binding = bound;
  if (after.generation != generation) return found;  // also when it started a session
  if (project)
    after.latest_in_project[*project] = *found;
  else
    after.latest = BackendCache::Latest{*found, GetCurrentTransactionStartTimestamp()};
  return found;
}

void note_written_sessions(const std::vector<core::SessionDelta>& deltas, TimestampTz now) {
  constexpr auto activity = static_cast<std::size_t>(core::Counter::ActivityCount);
  const core::SessionDelta* written = nullptr;
  int count = 0;
  for (const auto& d : deltas)
    if (d.counters.values[activity] > 0) written = &d, ++count;
  if (count == 0) return;

  auto& cache = backend_cache_for_filling();
  bool same_as_before = count == 1 && cache.last_written == written->session;
  cache.last_written = count == 1 ? std::optional<core::Uuid>(written->session) : std::nullopt;
  if (count == 1) {
    // Not knowing the latest session: when this backend writes the session it
    // wrote last, that is probably still the latest, so ask (once) rather
    // than tell every backend, which would make them all tell each other on
    // every write. When it switches sessions, tell without asking.
    if (!cache.latest && same_as_before) {
      std::uint64_t generation = cache.generation;
      // At commit no statement has a snapshot: take one for the query (an
      // error aborts the transaction, which pops it).
      bool pushed = call([] {
        if (ActiveSnapshotSet()) return false;
        PushActiveSnapshot(GetTransactionSnapshot());
        return true;
      });
      auto latest = resolve(std::nullopt, false, std::nullopt);
      if (pushed) call([] { PopActiveSnapshot(); });
      auto& after = backend_cache_for_filling();
      if (latest && after.generation == generation) after.latest = BackendCache::Latest{*latest, now};
    }
    if (cache.latest && cache.latest->ref.session == written->session &&
        now - cache.latest->noted_at < kLatestRefreshUsecs)
      return;  // it was already the latest: nothing changes for anyone
  }
  signal_latest_changed();
  if (count == 1) {
    SessionRef ref{written->session, written->project};
    auto& after = backend_cache();
    after.latest = BackendCache::Latest{ref, now};
    after.latest_in_project[ref.project] = ref;
  }
}

void signal_latest_changed() {
  auto& cache = backend_cache_for_filling();
  if (!tx_state().signalled_latest) {
    call([&] { CacheInvalidateRelcacheByRelid(cache.latest_relid); });
    tx_state().signalled_latest = true;
    ++cache.pending_echoes;  // sent at commit, and received by this backend too
  }
  cache.forget_latest();
}

std::optional<core::Uuid> find_session_project(const core::Uuid& session) {
  auto& cache = backend_cache();
  if (auto it = cache.session_project.find(session); it != cache.session_project.end()) return it->second;

  Datum args[1] = {uuid_datum(session)};
  OwnerSpi spi;
  std::optional<core::Uuid> project;
  ProjectFacts facts;
  if (spi.execute(session_info_statement, args, nullptr, true) == 1) {
    bool isnull = true;
    Datum p = spi.value(0, 1, &isnull);
    if (!isnull) project = to_uuid(p);
    facts = {spi.text_at(0, 2), spi.text_at(0, 3)};
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

}  // namespace aidis::pg
