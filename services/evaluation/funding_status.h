// Evaluation's question to funding: which counties are active project counties in a
// year. A round is opened on those; a county whose status is revoked cannot be evaluated.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/server/dependency.h"
#include "common/util/clock.h"
#include "grpcpp/security/credentials.h"
#include "peixun/funding/v1/funding.grpc.pb.h"

namespace peixun::evaluation {

class FundingStatus {
 public:
  // `target` is funding's gRPC address; calls carry a service token signed by `signer`.
  // `credentials`: TLS ones when the suite runs with certificates (plaintext when null).
  FundingStatus(const std::string& target, auth::TokenSigner signer, const Clock& clock,
                std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

  // "regions/{code}" of every active project county in `year`. UNAVAILABLE when funding
  // cannot answer.
  absl::StatusOr<std::set<std::string>> ActiveCounties(int year) const;

  // Why `county` is not an active project county in `year`, e.g. "regions/410122 is revoked
  // for 2023-2024 by years/2022/decisions/410122@1".
  std::string WhyInactive(const std::string& county, int year) const;

 private:
  server::Dependency<funding::v1::FundingService> funding_;
};

}  // namespace peixun::evaluation
