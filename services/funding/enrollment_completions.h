// Funding's question to enrollment: completed participants per county and per city for a
// year, from enrollment's rate report at the moment the summary is asked for.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/server/dependency.h"
#include "common/util/clock.h"
#include "grpcpp/security/credentials.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "services/funding/domain/funding_rules.h"

namespace peixun::funding {

class EnrollmentCompletions {
 public:
  // `target` is enrollment's gRPC address; calls carry a service token signed by `signer`.
  // `credentials`: TLS ones when the suite runs with certificates (plaintext when null).
  EnrollmentCompletions(const std::string& target, auth::TokenSigner signer, const Clock& clock,
                        std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

  // Fills figures->completed_by_county and completed_by_city (and region names enrollment
  // knows). UNAVAILABLE (or enrollment's own error) naming the report that failed.
  absl::Status AddCompletions(int year, domain::YearFigures* figures) const;

 private:
  server::Dependency<enrollment::v1::EnrollmentService> enrollment_;
};

}  // namespace peixun::funding
