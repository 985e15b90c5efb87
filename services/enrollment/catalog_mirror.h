// Keeps enrollment's copy of catalog facts (regions, years, projects, county quotas) current,
// so that R-7 holds inside one local transaction even while catalog is down. It follows
// catalog's WatchEvents from the last applied sequence; each event is applied in one local
// transaction together with the new position, so every event is applied exactly once across
// restarts. A reconciliation from catalog's List calls runs at start and periodically as a
// backstop. Lag is exported as peixun_enrollment_catalog_lag_seconds.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/identity.h"
#include "common/db/pool.h"
#include "common/util/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace peixun::enrollment {

class CatalogMirror {
 public:
  // `credentials`: TLS ones when the suite runs with certificates (plaintext when null).
  CatalogMirror(db::ConnectionPool& pool, const std::string& catalog_target,
                auth::TokenSigner signer, const Clock& clock, prometheus::Registry& registry,
                absl::Duration reconcile_period = absl::Minutes(5),
                const std::shared_ptr<grpc::ChannelCredentials>& credentials = nullptr);
  ~CatalogMirror();

  void Start();
  void Stop();

  // Pulls regions, and the years, projects and county quotas of every known year.
  absl::Status Reconcile();
  // True while the copy is known to be current (following catalog, or caught up recently).
  bool Current() const;

  // One project as catalog has it now, written into the copy: for a nomination the copy alone
  // would refuse (the project or the county's quota not in it yet, or every seat held), which
  // must not be refused for the copy being behind. NOT_FOUND: catalog has no such project;
  // UNAVAILABLE: catalog cannot be reached. Answers from the last second are reused, so a run
  // of refusals asks catalog once per project and second.
  struct ProjectInCatalog {
    std::map<std::string, int32_t> county_seats;  // county code -> seats
  };
  absl::StatusOr<ProjectInCatalog> Refresh(int year, const std::string& project_id);
  // Every region as catalog has it now, into the copy (a county new in catalog, R-1); at most
  // once a second, the last answer reused in between.
  absl::Status RefreshRegions();
  int64_t applied_sequence() const { return applied_sequence_.load(); }

 private:
  void Run();
  absl::Status Follow();
  absl::Status Apply(const common::v1::Event& event);
  absl::Status PullRegions();
  std::unique_ptr<grpc::ClientContext> NewContext(absl::Duration deadline);
  void MarkCurrent(bool current);
  // Every county quota under `parent`, each page with its own deadline.
  absl::Status PullQuotas(const std::string& parent, absl::Duration deadline,
                          std::vector<catalog::v1::QuotaAllocation>* quotas);

  struct Refreshed {
    absl::Time at;  // real time: the cache is about seconds elapsed, not the business date
    absl::StatusOr<ProjectInCatalog> answer;
  };

  db::ConnectionPool& pool_;
  std::unique_ptr<catalog::v1::CatalogService::Stub> stub_;
  const auth::TokenSigner signer_;
  const Clock& clock_;
  const absl::Duration reconcile_period_;
  prometheus::Gauge& lag_seconds_;
  prometheus::Gauge& sequence_gauge_;
  std::atomic<int64_t> applied_sequence_{0};
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool following_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time current_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  grpc::ClientContext* watch_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Mutex refresh_mu_;
  std::map<std::pair<int, std::string>, Refreshed> refreshed_ ABSL_GUARDED_BY(refresh_mu_);
  absl::Mutex regions_mu_;  // held while the regions are pulled: one pull at a time
  absl::Time regions_refreshed_at_ ABSL_GUARDED_BY(regions_mu_) = absl::InfinitePast();
  absl::Status regions_refreshed_ ABSL_GUARDED_BY(regions_mu_);
  std::thread runner_;
  std::thread ticker_;
};

}  // namespace peixun::enrollment
