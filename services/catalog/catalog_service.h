// Catalog's gRPC handlers: authenticate, translate the request, run the store inside a
// transaction (idempotent for mutations), apply the domain rules, and map the status.
#pragma once

#include <atomic>

#include "common/server/handlers.h"
#include "common/server/platform.h"
#include "common/util/names.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "prometheus/counter.h"
#include "services/catalog/domain/quota_allocation.h"
#include "services/catalog/enrollment_seats.h"
#include "services/catalog/project_cache.h"
#include "services/catalog/project_counties.h"

namespace peixun::catalog {

class CatalogService final : public v1::CatalogService::Service {
 public:
  explicit CatalogService(server::Platform& platform);
  ~CatalogService() override;

  // Where cuts of county quotas learn the seats nominations hold; set before traffic, or
  // (tests) once enrollment is up. Without it, county quotas cannot be cut: UNAVAILABLE.
  void UseNominatedSeats(const NominatedSeats* seats) { nominated_seats_.store(seats); }
  // Where a county's seats of a 项目县 category learn its project-county status. Without
  // it, such seats cannot be given: UNAVAILABLE.
  void UseProjectCounties(const ProjectCounties* counties) { project_counties_.store(counties); }

  grpc::Status ImportRegions(grpc::ServerContext* context, const v1::ImportRegionsRequest* request,
                             v1::ImportRegionsResponse* response) override;
  grpc::Status GetRegion(grpc::ServerContext* context, const v1::GetRegionRequest* request,
                         v1::Region* response) override;
  grpc::Status ListRegions(grpc::ServerContext* context, const v1::ListRegionsRequest* request,
                           v1::ListRegionsResponse* response) override;
  grpc::Status CreateYear(grpc::ServerContext* context, const v1::CreateYearRequest* request,
                          v1::PlanYear* response) override;
  grpc::Status GetYear(grpc::ServerContext* context, const v1::GetYearRequest* request,
                       v1::PlanYear* response) override;
  grpc::Status UpdateYear(grpc::ServerContext* context, const v1::UpdateYearRequest* request,
                          v1::PlanYear* response) override;
  grpc::Status CreateCategory(grpc::ServerContext* context,
                              const v1::CreateCategoryRequest* request,
                              v1::ProjectCategory* response) override;
  grpc::Status ListCategories(grpc::ServerContext* context,
                              const v1::ListCategoriesRequest* request,
                              v1::ListCategoriesResponse* response) override;
  grpc::Status CreateHost(grpc::ServerContext* context, const v1::CreateHostRequest* request,
                          v1::HostInstitution* response) override;
  grpc::Status GetHost(grpc::ServerContext* context, const v1::GetHostRequest* request,
                       v1::HostInstitution* response) override;
  grpc::Status ListHosts(grpc::ServerContext* context, const v1::ListHostsRequest* request,
                         v1::ListHostsResponse* response) override;
  grpc::Status CreateProject(grpc::ServerContext* context, const v1::CreateProjectRequest* request,
                             v1::Project* response) override;
  grpc::Status GetProject(grpc::ServerContext* context, const v1::GetProjectRequest* request,
                          v1::Project* response) override;
  grpc::Status ListProjects(grpc::ServerContext* context, const v1::ListProjectsRequest* request,
                            v1::ListProjectsResponse* response) override;
  grpc::Status UpdateProject(grpc::ServerContext* context, const v1::UpdateProjectRequest* request,
                             v1::Project* response) override;
  grpc::Status AllocateQuota(grpc::ServerContext* context, const v1::AllocateQuotaRequest* request,
                             v1::QuotaAllocation* response) override;
  grpc::Status GetQuota(grpc::ServerContext* context, const v1::GetQuotaRequest* request,
                        v1::QuotaAllocation* response) override;
  grpc::Status ListQuotas(grpc::ServerContext* context, const v1::ListQuotasRequest* request,
                          v1::ListQuotasResponse* response) override;
  grpc::Status CreateCostPolicy(grpc::ServerContext* context,
                                const v1::CreateCostPolicyRequest* request,
                                v1::CostPolicy* response) override;
  grpc::Status GetCostPolicy(grpc::ServerContext* context, const v1::GetCostPolicyRequest* request,
                             v1::CostPolicy* response) override;
  grpc::Status GetProjectBudget(grpc::ServerContext* context,
                                const v1::GetProjectBudgetRequest* request,
                                v1::ProjectBudget* response) override;
  grpc::Status ListAuditEntries(grpc::ServerContext* context,
                                const common::v1::ListAuditEntriesRequest* request,
                                common::v1::ListAuditEntriesResponse* response) override;
  grpc::Status WatchEvents(grpc::ServerContext* context,
                           const common::v1::WatchEventsRequest* request,
                           grpc::ServerWriter<common::v1::Event>* writer) override;

 private:
  grpc::Status Handle(grpc::ServerContext* context, absl::string_view method,
                      const google::protobuf::Message& request,
                      const std::function<absl::Status(const auth::Access&)>& handler) {
    return handlers_.Handle(context, method, request, handler);
  }
  absl::Status Read(const std::function<absl::Status(db::Connection&)>& read) {
    return handlers_.Read(read);
  }
  // A change under the request's idempotency key, counted by kind; after it commits the
  // project cache catches up (read-your-writes) and event followers wake.
  absl::Status Mutate(const auth::Caller& caller, absl::string_view method,
                      const google::protobuf::Message& request, const std::string& request_id,
                      google::protobuf::Message* response, absl::string_view kind,
                      const std::function<absl::Status(db::Connection&)>& change);

  // Asks the service that owns the fact an allocation needs (R-7 enrollment, R-27 funding) and
  // keeps the answer; UNAVAILABLE when that service cannot answer.
  absl::Status AskOwner(domain::AllocationQuestion question, const QuotaName& key,
                        std::optional<int32_t>& held,
                        std::optional<absl::Status>& project_county) const;

  server::Handlers handlers_;
  std::atomic<const NominatedSeats*> nominated_seats_{nullptr};
  std::atomic<const ProjectCounties*> project_counties_{nullptr};
  prometheus::Family<prometheus::Counter>& changes_;
  prometheus::Counter& cache_hits_;
  prometheus::Counter& cache_misses_;
  ProjectCache project_cache_;
  server::Background::Registration project_cache_task_;  // after the cache: stops it first
};

}  // namespace peixun::catalog
