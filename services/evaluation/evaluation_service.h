// Evaluation's gRPC handlers: authenticate, translate, run store and domain rules in one
// transaction (idempotent for mutations), map the status. Rubrics, grade policies
// and rounds are in evaluation_service.cc; panels, scores, deductions and results
// in evaluation_panels.cc.
#pragma once

#include "common/server/handlers.h"
#include "common/server/platform.h"
#include "peixun/evaluation/v1/evaluation.grpc.pb.h"
#include "prometheus/counter.h"
#include "services/catalog/region_directory.h"
#include "services/evaluation/enrollment_rates.h"
#include "services/evaluation/funding_status.h"

namespace peixun::evaluation {

// The rubrics evaluation ships with: "rubrics/project-county" (seed 001/003's
// project-county table) and "rubrics/demonstration-school" (seed 003's demonstration-school
// table, fixed on import), each stored as version 1 unless the rubric exists. For
// PlatformOptions::seed.
absl::Status SeedRubrics(db::ConnectionPool& pool);

class EvaluationService final : public v1::EvaluationService::Service {
 public:
  // `rates` answers for enrollment when deductions are computed; without it ComputeDeductions
  // is UNAVAILABLE. `funding` says which counties are active project counties; without
  // it a round takes the explicit county list it is given.
  // `regions` is catalog's region data: a county's city for city admins' scope and a city's
  // counties for the `city` filter; without it those are UNAVAILABLE.
  explicit EvaluationService(server::Platform& platform, const EnrollmentRates* rates = nullptr,
                             const FundingStatus* funding = nullptr,
                             const catalog::RegionDirectory* regions = nullptr)
      : platform_(platform),
        handlers_(platform),
        rates_(rates),
        funding_(funding),
        regions_(regions),
        scores_(Counter(platform, "peixun_evaluation_scores_total",
                        "Indicator scores submitted by experts.")),
        results_computed_(Counter(platform, "peixun_evaluation_results_computed_total",
                                  "County results computed (drafts, each computation).")),
        rounds_published_(Counter(platform, "peixun_evaluation_rounds_published_total",
                                  "Rounds published (通报).")) {}

  grpc::Status CreateRubricVersion(grpc::ServerContext* context,
                                   const v1::CreateRubricVersionRequest* request,
                                   v1::RubricVersion* response) override;
  grpc::Status GetRubricVersion(grpc::ServerContext* context,
                                const v1::GetRubricVersionRequest* request,
                                v1::RubricVersion* response) override;
  grpc::Status ListRubricVersions(grpc::ServerContext* context,
                                  const v1::ListRubricVersionsRequest* request,
                                  v1::ListRubricVersionsResponse* response) override;
  grpc::Status CreateGradePolicy(grpc::ServerContext* context,
                                 const v1::CreateGradePolicyRequest* request,
                                 v1::GradePolicy* response) override;
  grpc::Status GetGradePolicy(grpc::ServerContext* context,
                              const v1::GetGradePolicyRequest* request,
                              v1::GradePolicy* response) override;
  grpc::Status CreateRound(grpc::ServerContext* context, const v1::CreateRoundRequest* request,
                           v1::Round* response) override;
  grpc::Status GetRound(grpc::ServerContext* context, const v1::GetRoundRequest* request,
                        v1::Round* response) override;
  grpc::Status ListRounds(grpc::ServerContext* context, const v1::ListRoundsRequest* request,
                          v1::ListRoundsResponse* response) override;
  grpc::Status AssignExpert(grpc::ServerContext* context, const v1::AssignExpertRequest* request,
                            v1::Assignment* response) override;
  grpc::Status ListAssignments(grpc::ServerContext* context,
                               const v1::ListAssignmentsRequest* request,
                               v1::ListAssignmentsResponse* response) override;
  grpc::Status SubmitScores(grpc::ServerContext* context, const v1::SubmitScoresRequest* request,
                            v1::ScoreSheet* response) override;
  grpc::Status ComputeDeductions(grpc::ServerContext* context,
                                 const v1::ComputeDeductionsRequest* request,
                                 v1::ComputeDeductionsResponse* response) override;
  grpc::Status ComputeResults(grpc::ServerContext* context,
                              const v1::ComputeResultsRequest* request,
                              v1::ComputeResultsResponse* response) override;
  grpc::Status PublishRound(grpc::ServerContext* context, const v1::PublishRoundRequest* request,
                            v1::Round* response) override;
  grpc::Status ReviseResult(grpc::ServerContext* context, const v1::ReviseResultRequest* request,
                            v1::Result* response) override;
  grpc::Status GetResult(grpc::ServerContext* context, const v1::GetResultRequest* request,
                         v1::Result* response) override;
  grpc::Status ListResults(grpc::ServerContext* context, const v1::ListResultsRequest* request,
                           v1::ListResultsResponse* response) override;
  grpc::Status ExplainResult(grpc::ServerContext* context, const v1::ExplainResultRequest* request,
                             v1::ResultExplanation* response) override;
  grpc::Status ListAuditEntries(grpc::ServerContext* context,
                                const common::v1::ListAuditEntriesRequest* request,
                                common::v1::ListAuditEntriesResponse* response) override;
  grpc::Status WatchEvents(grpc::ServerContext* context,
                           const common::v1::WatchEventsRequest* request,
                           grpc::ServerWriter<common::v1::Event>* writer) override;

 private:
  // The region data, or UNAVAILABLE when evaluation runs without catalog.
  absl::StatusOr<const catalog::RegionDirectory*> Regions() const;
  static prometheus::Counter& Counter(server::Platform& platform, const char* name,
                                      const char* help) {
    return prometheus::BuildCounter()
        .Name(name)
        .Help(help)
        .Register(platform.metrics().registry())
        .Add({});
  }

  server::Platform& platform_;
  server::Handlers handlers_;
  const EnrollmentRates* rates_;
  const FundingStatus* funding_;
  const catalog::RegionDirectory* regions_;
  // Evaluation progress for the dashboards.
  prometheus::Counter& scores_;
  prometheus::Counter& results_computed_;
  prometheus::Counter& rounds_published_;
};

}  // namespace peixun::evaluation
