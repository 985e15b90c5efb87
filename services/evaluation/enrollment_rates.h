// Evaluation's one question to enrollment: every county's counts for a year, from which
// the automatic deductions are computed. Asked at the moment of computation, never
// copied ahead of time, so the figures stored with a deduction are the ones enrollment reported.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/server/dependency.h"
#include "common/util/clock.h"
#include "grpcpp/security/credentials.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"

namespace peixun::evaluation {

class EnrollmentRates {
 public:
  // `target` is enrollment's gRPC address; calls carry a service token signed by `signer`.
  // `credentials`: TLS ones when the suite runs with certificates (plaintext when null).
  EnrollmentRates(const std::string& target, auth::TokenSigner signer, const Clock& clock,
                  std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

  // Enrollment's county rate report for `year`, counting the projects of `plan_levels` (every
  // level when empty). UNAVAILABLE (or enrollment's own error) with what failed; nothing is
  // guessed when enrollment cannot answer.
  absl::StatusOr<enrollment::v1::RateReport> CountyRates(
      int year, const std::vector<common::v1::PlanLevel>& plan_levels = {}) const;

  const std::string& target() const { return enrollment_.target(); }

 private:
  server::Dependency<enrollment::v1::EnrollmentService> enrollment_;
};

}  // namespace peixun::evaluation
