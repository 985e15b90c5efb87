#include "services/funding/enrollment_completions.h"

#include "absl/strings/str_cat.h"
#include "common/server/dependency.h"
#include "common/util/names.h"

namespace peixun::funding {

namespace enr = ::peixun::enrollment::v1;

EnrollmentCompletions::EnrollmentCompletions(const std::string& target, auth::TokenSigner signer,
                                             const Clock& clock,
                                             std::shared_ptr<grpc::ChannelCredentials> credentials)
    : enrollment_("funding", "enrollment", target, std::move(signer), clock,
                  std::move(credentials)) {}

absl::Status EnrollmentCompletions::AddCompletions(int year, domain::YearFigures* figures) const {
  for (auto scope : {enr::GetRateReportRequest::COUNTY, enr::GetRateReportRequest::CITY}) {
    enr::GetRateReportRequest request;
    request.set_year(absl::StrCat("years/", year));
    request.set_scope(scope);
    enr::RateReport report;
    grpc::Status status =
        enrollment_.stub().GetRateReport(enrollment_.Context().get(), request, &report);
    if (!status.ok()) {
      return enrollment_.Failed(
          status, absl::StrCat("did not report the ", enr::GetRateReportRequest::Scope_Name(scope),
                               " completions of ", year));
    }
    auto& completed = scope == enr::GetRateReportRequest::COUNTY ? figures->completed_by_county
                                                                 : figures->completed_by_city;
    for (const auto& row : report.rows()) {
      if (row.completed() > 0) completed[LastSegment(row.key())] = row.completed();
    }
  }
  return absl::OkStatus();
}

}  // namespace peixun::funding
