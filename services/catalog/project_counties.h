// Catalog's question to funding, the owner of project-county status: is a county an
// active project county in a year? Asked before a county gets seats of a 项目县 category, outside
// the allocating transaction; never at start-up, so catalog starts without funding.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/server/dependency.h"
#include "common/util/clock.h"
#include "grpcpp/security/credentials.h"
#include "peixun/funding/v1/funding.grpc.pb.h"

namespace peixun::catalog {

class ProjectCounties {
 public:
  virtual ~ProjectCounties() = default;
  // OK when `county_code` is an active project county in `year`; FAILED_PRECONDITION naming
  // R-27 and funding's reason when it is not (never designated, term ended, revoked);
  // UNAVAILABLE when funding cannot answer: nothing is guessed.
  virtual absl::Status CheckActive(int year, const std::string& county_code) const = 0;
};

// ProjectCounties from funding's GetProjectCounty, over gRPC as services/catalog.
class FundingProjectCounties final : public ProjectCounties {
 public:
  FundingProjectCounties(const std::string& target, auth::TokenSigner signer, const Clock& clock,
                         std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);
  absl::Status CheckActive(int year, const std::string& county_code) const override;

 private:
  server::Dependency<funding::v1::FundingService> funding_;
};

}  // namespace peixun::catalog
