#include "services/evaluation/enrollment_rates.h"

#include "absl/strings/str_cat.h"
#include "common/server/dependency.h"

namespace peixun::evaluation {

EnrollmentRates::EnrollmentRates(const std::string& target, auth::TokenSigner signer,
                                 const Clock& clock,
                                 std::shared_ptr<grpc::ChannelCredentials> credentials)
    : enrollment_("evaluation", "enrollment", target, std::move(signer), clock,
                  std::move(credentials)) {}

absl::StatusOr<enrollment::v1::RateReport> EnrollmentRates::CountyRates(
    int year, const std::vector<common::v1::PlanLevel>& plan_levels) const {
  enrollment::v1::GetRateReportRequest request;
  request.set_year(absl::StrCat("years/", year));
  request.set_scope(enrollment::v1::GetRateReportRequest::COUNTY);
  for (auto level : plan_levels) request.add_plan_levels(level);
  enrollment::v1::RateReport report;
  grpc::Status status =
      enrollment_.stub().GetRateReport(enrollment_.Context().get(), request, &report);
  if (!status.ok())
    return enrollment_.Failed(status, absl::StrCat("did not report the county rates of ", year));
  return report;
}

}  // namespace peixun::evaluation
