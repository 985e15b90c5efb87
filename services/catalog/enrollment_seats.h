// Catalog's one question to enrollment: how many seats of a county quota its nominations hold
// . Asked before a county quota is cut, so a cut never leaves more nominations than seats;
// never asked at start-up, so catalog starts without enrollment.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/server/dependency.h"
#include "common/util/clock.h"
#include "grpcpp/security/credentials.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"

namespace peixun::catalog {

class NominatedSeats {
 public:
  virtual ~NominatedSeats() = default;
  // Seats of `county_code`'s quota in the project held by nominations (every state but
  // WITHDRAWN). UNAVAILABLE when enrollment cannot answer: nothing is guessed.
  virtual absl::StatusOr<int> Held(int year, const std::string& project_id,
                                   const std::string& county_code) const = 0;
};

// NominatedSeats from enrollment's rate report, over gRPC as services/catalog.
class EnrollmentSeats final : public NominatedSeats {
 public:
  EnrollmentSeats(const std::string& target, auth::TokenSigner signer, const Clock& clock,
                  std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);
  absl::StatusOr<int> Held(int year, const std::string& project_id,
                           const std::string& county_code) const override;

 private:
  server::Dependency<enrollment::v1::EnrollmentService> enrollment_;
};

}  // namespace peixun::catalog
