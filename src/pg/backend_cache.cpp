#include "pg/backend_cache.hpp"

#include "pg/guard.hpp"
#include "pg/tuple.hpp"

namespace aidis::pg {

BackendCache& backend_cache() {
  static BackendCache cache;
  return cache;
}

BackendCache& backend_cache_for_filling() {
  auto& cache = backend_cache();
  if (cache.projects_relid == InvalidOid || cache.latest_relid == InvalidOid)
    call([&] {
      Oid schema = get_namespace_oid("aidis", false);
      cache.projects_relid = get_relname_relid("projects", schema);
      cache.latest_relid = get_relname_relid("display_id_counters", schema);
    });
  return cache;
}

void forget_caches() { backend_cache().clear(); }

namespace {

// Relcache invalidation of aidis.projects (sent by aidis._invalidate_caches),
// of the relation that signals a new most recently active session, or of
// everything. What the binding selects is looked up on each use: SET, RESET,
// SET LOCAL and DISCARD ALL need no hook.
void on_relcache_invalidation(Datum, Oid relid) {
  auto& cache = backend_cache();
  if (relid == InvalidOid || relid == cache.projects_relid) cache.clear();
  if (relid != InvalidOid && relid == cache.latest_relid) {
    if (cache.pending_echoes > 0)
      --cache.pending_echoes;
    else
      cache.forget_latest();
  }
  if (cache.flush_targets &&
      (relid == cache.flush_targets->activities || relid == cache.flush_targets->deltas))
    cache.flush_targets.reset();
  forget_tracked_table(relid);
}

}  // namespace

void register_cache_invalidation() {
  CacheRegisterRelcacheCallback(on_relcache_invalidation, PointerGetDatum(nullptr));
}

}  // namespace aidis::pg
