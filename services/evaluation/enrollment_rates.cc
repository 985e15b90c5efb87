#include "services/evaluation/enrollment_rates.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/auth/identity.h"
#include "grpcpp/create_channel.h"

namespace peixun::evaluation {

EnrollmentRates::EnrollmentRates(const std::string& target, std::string token_key, const Clock& clock)
    : target_(target),
      stub_(enrollment::v1::EnrollmentService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
      token_key_(std::move(token_key)),
      clock_(clock) {}

absl::StatusOr<enrollment::v1::RateReport> EnrollmentRates::CountyRates(int year) const {
  auth::TokenClaims claims;
  claims.caller.subject = "evaluation";
  claims.caller.role = auth::Role::kService;
  claims.expires = clock_.Now() + absl::Minutes(5);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + auth::SignToken(claims, token_key_));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  enrollment::v1::GetRateReportRequest request;
  request.set_year(absl::StrCat("years/", year));
  request.set_scope(enrollment::v1::GetRateReportRequest::COUNTY);
  enrollment::v1::RateReport report;
  grpc::Status status = stub_->GetRateReport(&context, request, &report);
  if (!status.ok()) {
    // Enrollment down or slow: try again later. Anything else: the round cannot be computed
    // from what enrollment holds (e.g. it does not know the year).
    const bool transient = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                           status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    return absl::Status(transient ? absl::StatusCode::kUnavailable : absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("enrollment (", target_, ") did not report the county rates of ", year, ": ",
                                     status.error_message()));
  }
  return report;
}

}  // namespace peixun::evaluation
