#include "services/catalog/project_cache.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/events/outbox.h"

namespace peixun::catalog {

ProjectCache::ProjectCache(db::ConnectionPool& pool, const Clock& clock,
                           absl::Duration follow_period, absl::Duration max_staleness)
    : pool_(pool), clock_(clock), follow_period_(follow_period), max_staleness_(max_staleness) {}

ProjectCache::~ProjectCache() { Stop(); }

void ProjectCache::Start(std::function<bool()> ready) {
  ready_ = std::move(ready);
  follower_ = std::thread([this] { Follow(); });
}

void ProjectCache::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (follower_.joinable()) follower_.join();
}

std::optional<v1::Project> ProjectCache::Find(const std::string& name, uint64_t* generation) {
  absl::MutexLock lock(&mu_);
  *generation = generation_;
  if (clock_.Now() - synced_at_ > max_staleness_) {
    // Not following the outbox: nothing cached can be trusted.
    if (!entries_.empty()) {
      entries_.clear();
      ++generation_;
      *generation = generation_;
    }
    ++misses_;
    return std::nullopt;
  }
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  return it->second;
}

void ProjectCache::Insert(const std::string& name, const v1::Project& project,
                          uint64_t generation) {
  absl::MutexLock lock(&mu_);
  if (generation != generation_ || clock_.Now() - synced_at_ > max_staleness_) return;
  entries_[name] = project;
}

void ProjectCache::InvalidateLocked(const std::string& resource) {
  // Every project-scoped resource is "years/{year}/projects/{project}[/...]".
  std::vector<absl::string_view> parts = absl::StrSplit(resource, '/');
  if (parts.size() >= 4 && parts[0] == "years" && parts[2] == "projects") {
    entries_.erase(absl::StrCat(parts[0], "/", parts[1], "/", parts[2], "/", parts[3]));
    ++generation_;
  } else if (parts.size() == 2 && parts[0] == "years") {
    // A year's change moves its projects' notice dates.
    const std::string prefix = absl::StrCat(resource, "/projects/");
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (absl::StartsWith(it->first, prefix)) {
        entries_.erase(it++);
      } else {
        ++it;
      }
    }
    ++generation_;
  }
}

void ProjectCache::InvalidateAll() {
  absl::MutexLock lock(&mu_);
  entries_.clear();
  ++generation_;
}

void ProjectCache::CatchUp() {
  absl::MutexLock reader(&catch_up_mu_);
  int64_t after;
  {
    absl::MutexLock lock(&mu_);
    after = after_sequence_;
  }
  std::vector<events::ChangedResource> changes;
  absl::Status status = pool_.RunRead([&](db::Connection& c) -> absl::Status {
    changes.clear();
    if (after < 0) {
      changes.push_back({events::LatestSequence(c), ""});
      return absl::OkStatus();
    }
    changes = events::ChangedResourcesAfter(c, after, 5000);
    return absl::OkStatus();
  });
  if (!status.ok()) return;  // synced_at_ ages; Find bypasses the cache past max_staleness
  absl::MutexLock lock(&mu_);
  for (const auto& [sequence, resource] : changes) {
    if (!resource.empty()) InvalidateLocked(resource);
    after_sequence_ = std::max(after_sequence_, sequence);
  }
  if (after < 0) {
    entries_.clear();
    ++generation_;
  }
  synced_at_ = clock_.Now();
}

void ProjectCache::Follow() {
  while (true) {
    if (!ready_ || ready_()) CatchUp();
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), follow_period_)) return;
  }
}

ProjectCache::Stats ProjectCache::stats() const {
  absl::MutexLock lock(&mu_);
  return {hits_, misses_, entries_.size()};
}

}  // namespace peixun::catalog
