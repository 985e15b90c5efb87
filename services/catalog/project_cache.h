// A read-through cache of projects for GetProject, the catalog's hottest read.
// Freshness: this replica's commits empty the cache before the RPC that made them returns
// (InvalidateAll; their events are numbered only after the commit, so the outbox cannot say
// yet what they changed), other replicas' within one follow period of the outbox (100 ms)
// after their events are numbered, and when the
// outbox cannot be followed for `max_staleness` the cache clears itself and is bypassed.
// Writes never trust it: they re-read under row locks and check etags.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/db/pool.h"
#include "common/util/clock.h"
#include "peixun/catalog/v1/catalog.pb.h"

namespace peixun::catalog {

class ProjectCache {
 public:
  ProjectCache(db::ConnectionPool& pool, const Clock& clock,
               absl::Duration follow_period = absl::Milliseconds(100),
               absl::Duration max_staleness = absl::Seconds(1));
  ~ProjectCache();
  ProjectCache(const ProjectCache&) = delete;
  ProjectCache& operator=(const ProjectCache&) = delete;

  // Starts following the outbox in the background once `ready` is true (migrations applied).
  void Start(std::function<bool()> ready);
  void Stop();

  // The cached project, if fresh. `generation` is the ticket Insert needs after a miss.
  std::optional<v1::Project> Find(const std::string& name, uint64_t* generation);
  // Caches a project read from the database, unless anything was invalidated since `generation`.
  void Insert(const std::string& name, const v1::Project& project, uint64_t generation);
  // Applies every outbox event numbered so far.
  void CatchUp();
  // Forgets every cached project; call after a local commit (catalog writes are rare).
  void InvalidateAll();

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    size_t entries = 0;
  };
  Stats stats() const;

 private:
  void Follow();
  void InvalidateLocked(const std::string& resource) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  db::ConnectionPool& pool_;
  const Clock& clock_;
  const absl::Duration follow_period_;
  const absl::Duration max_staleness_;
  absl::Mutex catch_up_mu_;  // one outbox reader at a time
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, v1::Project> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t after_sequence_ ABSL_GUARDED_BY(mu_) = -1;  // -1: not yet positioned
  absl::Time synced_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<bool()> ready_;
  std::thread follower_;
};

}  // namespace peixun::catalog
