// Evaluation's gRPC handlers: authenticate, translate, run store and domain rules in one
// transaction (idempotent for mutations), map the status. This slice serves rubrics (R-18,
// R-19), grade policies and rounds; panels, scores, deductions and results
// follow (issue 4).
#pragma once

#include "common/server/handlers.h"
#include "common/server/platform.h"
#include "peixun/evaluation/v1/evaluation.grpc.pb.h"

namespace peixun::evaluation {

namespace v1 = ::peixun::evaluation::v1;

class EvaluationService final : public v1::EvaluationService::Service {
 public:
  explicit EvaluationService(server::Platform& platform) : platform_(platform), handlers_(platform) {}

  grpc::Status CreateRubricVersion(grpc::ServerContext* context, const v1::CreateRubricVersionRequest* request,
                                   v1::RubricVersion* response) override;
  grpc::Status GetRubricVersion(grpc::ServerContext* context, const v1::GetRubricVersionRequest* request,
                                v1::RubricVersion* response) override;
  grpc::Status ListRubricVersions(grpc::ServerContext* context, const v1::ListRubricVersionsRequest* request,
                                  v1::ListRubricVersionsResponse* response) override;
  grpc::Status CreateGradePolicy(grpc::ServerContext* context, const v1::CreateGradePolicyRequest* request,
                                 v1::GradePolicy* response) override;
  grpc::Status GetGradePolicy(grpc::ServerContext* context, const v1::GetGradePolicyRequest* request,
                              v1::GradePolicy* response) override;
  grpc::Status CreateRound(grpc::ServerContext* context, const v1::CreateRoundRequest* request,
                           v1::Round* response) override;
  grpc::Status GetRound(grpc::ServerContext* context, const v1::GetRoundRequest* request,
                        v1::Round* response) override;
  grpc::Status ListRounds(grpc::ServerContext* context, const v1::ListRoundsRequest* request,
                          v1::ListRoundsResponse* response) override;
  grpc::Status WatchEvents(grpc::ServerContext* context, const common::v1::WatchEventsRequest* request,
                           grpc::ServerWriter<common::v1::Event>* writer) override;

 private:
  server::Platform& platform_;
  server::Handlers handlers_;
};

}  // namespace peixun::evaluation
