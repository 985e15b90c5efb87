// Funding's one question to evaluation: the published results of a year, read when a
// decision is made, with the revision each decision follows.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/server/dependency.h"
#include "common/util/clock.h"
#include "grpcpp/security/credentials.h"
#include "peixun/evaluation/v1/evaluation.grpc.pb.h"
#include "services/funding/domain/funding_rules.h"

namespace peixun::funding {

class EvaluationResults {
 public:
  // `target` is evaluation's gRPC address; calls carry a service token signed by `signer`.
  // `credentials`: TLS ones when the suite runs with certificates (plaintext when null).
  EvaluationResults(const std::string& target, auth::TokenSigner signer, const Clock& clock,
                    std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

  // The newest revision of every county's result in the year's published rounds.
  // FAILED_PRECONDITION when no round of the year is published, or when a county is in two;
  // UNAVAILABLE when evaluation cannot answer.
  absl::StatusOr<std::vector<domain::DecisionInput>> PublishedResults(int year) const;
  // The newest result of every county in any round of the year, drafts included (for
  // SimulateFunding). FAILED_PRECONDITION when no round of the year has results.
  absl::StatusOr<std::vector<domain::DecisionInput>> NewestResults(int year) const;

 private:
  absl::StatusOr<std::vector<domain::DecisionInput>> Results(int year, bool published_only) const;
  server::Dependency<evaluation::v1::EvaluationService> evaluation_;
};

}  // namespace peixun::funding
