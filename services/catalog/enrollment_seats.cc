#include "services/catalog/enrollment_seats.h"

#include "absl/strings/str_cat.h"

namespace peixun::catalog {

EnrollmentSeats::EnrollmentSeats(const std::string& target, auth::TokenSigner signer,
                                 const Clock& clock,
                                 std::shared_ptr<grpc::ChannelCredentials> credentials)
    : enrollment_("catalog", "enrollment", target, std::move(signer), clock,
                  std::move(credentials)) {}

absl::StatusOr<int> EnrollmentSeats::Held(int year, const std::string& project_id,
                                          const std::string& county_code) const {
  enrollment::v1::GetRateReportRequest request;
  request.set_year(absl::StrCat("years/", year));
  request.set_project(absl::StrCat("years/", year, "/projects/", project_id));
  request.set_scope(enrollment::v1::GetRateReportRequest::COUNTY);
  request.set_region("regions/" + county_code);
  enrollment::v1::RateReport report;
  auto context = enrollment_.Context();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::Status status = enrollment_.stub().GetRateReport(context.get(), request, &report);
  if (!status.ok()) {
    return enrollment_.Failed(
        status, absl::StrCat("did not say how many seats of regions/", county_code, " in ",
                             request.project(), " its nominations hold"));
  }
  for (const auto& row : report.rows()) {
    if (row.key() == "regions/" + county_code) return row.nominated();
  }
  return 0;
}

}  // namespace peixun::catalog
