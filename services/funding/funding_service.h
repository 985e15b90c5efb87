// Funding's gRPC handlers: authenticate, translate, run store and domain rules in one
// transaction (idempotent for mutations), map the status. This slice serves tier policies
// decisions from published evaluation results and project-county status;
// SimulateFunding and budget summaries follow (issue 5).
#pragma once

#include "common/server/handlers.h"
#include "common/server/platform.h"
#include "peixun/funding/v1/funding.grpc.pb.h"
#include "services/funding/evaluation_results.h"

namespace peixun::funding {

class FundingService final : public v1::FundingService::Service {
 public:
  // `evaluation` answers for published results; without it DecideFunding is UNAVAILABLE.
  explicit FundingService(server::Platform& platform, const EvaluationResults* evaluation = nullptr)
      : platform_(platform), handlers_(platform), evaluation_(evaluation) {}

  grpc::Status CreateTierPolicy(grpc::ServerContext* context, const v1::CreateTierPolicyRequest* request,
                                v1::TierPolicy* response) override;
  grpc::Status GetTierPolicy(grpc::ServerContext* context, const v1::GetTierPolicyRequest* request,
                             v1::TierPolicy* response) override;
  grpc::Status DecideFunding(grpc::ServerContext* context, const v1::DecideFundingRequest* request,
                             v1::DecideFundingResponse* response) override;
  grpc::Status GetDecision(grpc::ServerContext* context, const v1::GetDecisionRequest* request,
                           v1::Decision* response) override;
  grpc::Status ListDecisions(grpc::ServerContext* context, const v1::ListDecisionsRequest* request,
                             v1::ListDecisionsResponse* response) override;
  grpc::Status DesignateProjectCounty(grpc::ServerContext* context, const v1::DesignateProjectCountyRequest* request,
                                      v1::ProjectCounty* response) override;
  grpc::Status GetProjectCounty(grpc::ServerContext* context, const v1::GetProjectCountyRequest* request,
                                v1::ProjectCounty* response) override;
  grpc::Status ListProjectCounties(grpc::ServerContext* context, const v1::ListProjectCountiesRequest* request,
                                   v1::ListProjectCountiesResponse* response) override;
  grpc::Status WatchEvents(grpc::ServerContext* context, const common::v1::WatchEventsRequest* request,
                           grpc::ServerWriter<common::v1::Event>* writer) override;

 private:
  int CurrentYear() const;

  server::Platform& platform_;
  server::Handlers handlers_;
  const EvaluationResults* evaluation_;
};

}  // namespace peixun::funding
