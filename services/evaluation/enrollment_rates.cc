#include "services/evaluation/enrollment_rates.h"

#include "absl/strings/str_cat.h"
#include "common/server/dependency.h"
#include "grpcpp/create_channel.h"

namespace peixun::evaluation {

EnrollmentRates::EnrollmentRates(const std::string& target, std::string token_key, const Clock& clock)
    : target_(target),
      stub_(enrollment::v1::EnrollmentService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
      token_key_(std::move(token_key)),
      clock_(clock) {}

absl::StatusOr<enrollment::v1::RateReport> EnrollmentRates::CountyRates(int year) const {
  enrollment::v1::GetRateReportRequest request;
  request.set_year(absl::StrCat("years/", year));
  request.set_scope(enrollment::v1::GetRateReportRequest::COUNTY);
  enrollment::v1::RateReport report;
  grpc::Status status =
      stub_->GetRateReport(server::ServiceCallContext("evaluation", token_key_, clock_).get(), request, &report);
  if (!status.ok()) {
    return server::DependencyError(
        status, absl::StrCat("enrollment (", target_, ") did not report the county rates of ", year));
  }
  return report;
}

}  // namespace peixun::evaluation
