// Funding's gRPC handlers: authenticate, translate, run store and domain rules in one
// transaction (idempotent for mutations), map the status. Tier policies, decisions from
// published evaluation results and simulations on drafts, project-county status,
// and budget summaries from catalog's budgets and enrollment's completions.
#pragma once

#include "common/server/handlers.h"
#include "common/server/platform.h"
#include "peixun/funding/v1/funding.grpc.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "services/catalog/region_directory.h"
#include "services/funding/catalog_budgets.h"
#include "services/funding/enrollment_completions.h"
#include "services/funding/evaluation_results.h"

namespace peixun::funding {

// The services funding asks; a call that needs a missing one is UNAVAILABLE.
struct FundingDependencies {
  const EvaluationResults* evaluation = nullptr;      // results, for decisions and simulations
  const CatalogBudgets* catalog = nullptr;            // regions and project budgets
  const EnrollmentCompletions* enrollment = nullptr;  // completions, for subsidies
  const catalog::RegionDirectory* regions = nullptr;  // a city's counties, for `city` filters
};

class FundingService final : public v1::FundingService::Service {
 public:
  FundingService(server::Platform& platform, FundingDependencies dependencies)
      : platform_(platform),
        handlers_(platform),
        deps_(dependencies),
        decisions_(prometheus::BuildCounter()
                       .Name("peixun_funding_decisions_total")
                       .Help("Funding decisions recorded, by tier (new and superseding).")
                       .Register(platform.metrics().registry())) {}

  grpc::Status CreateTierPolicy(grpc::ServerContext* context,
                                const v1::CreateTierPolicyRequest* request,
                                v1::TierPolicy* response) override;
  grpc::Status GetTierPolicy(grpc::ServerContext* context, const v1::GetTierPolicyRequest* request,
                             v1::TierPolicy* response) override;
  grpc::Status DecideFunding(grpc::ServerContext* context, const v1::DecideFundingRequest* request,
                             v1::DecideFundingResponse* response) override;
  grpc::Status SimulateFunding(grpc::ServerContext* context,
                               const v1::SimulateFundingRequest* request,
                               v1::SimulateFundingResponse* response) override;
  grpc::Status GetDecision(grpc::ServerContext* context, const v1::GetDecisionRequest* request,
                           v1::Decision* response) override;
  grpc::Status ListDecisions(grpc::ServerContext* context, const v1::ListDecisionsRequest* request,
                             v1::ListDecisionsResponse* response) override;
  grpc::Status DesignateProjectCounty(grpc::ServerContext* context,
                                      const v1::DesignateProjectCountyRequest* request,
                                      v1::ProjectCounty* response) override;
  grpc::Status GetProjectCounty(grpc::ServerContext* context,
                                const v1::GetProjectCountyRequest* request,
                                v1::ProjectCounty* response) override;
  grpc::Status ListProjectCounties(grpc::ServerContext* context,
                                   const v1::ListProjectCountiesRequest* request,
                                   v1::ListProjectCountiesResponse* response) override;
  grpc::Status GetBudgetSummary(grpc::ServerContext* context,
                                const v1::GetBudgetSummaryRequest* request,
                                v1::BudgetSummary* response) override;
  grpc::Status ListAuditEntries(grpc::ServerContext* context,
                                const common::v1::ListAuditEntriesRequest* request,
                                common::v1::ListAuditEntriesResponse* response) override;
  grpc::Status WatchEvents(grpc::ServerContext* context,
                           const common::v1::WatchEventsRequest* request,
                           grpc::ServerWriter<common::v1::Event>* writer) override;

 private:
  // A `city` filter's county-level units by catalog's region data, UNAVAILABLE without it.
  absl::StatusOr<std::vector<std::string>> CountyUnitsOfCity(const std::string& filter_value) const;
  int CurrentYear() const;

  server::Platform& platform_;
  server::Handlers handlers_;
  const FundingDependencies deps_;
  prometheus::Family<prometheus::Counter>& decisions_;
};

}  // namespace peixun::funding
