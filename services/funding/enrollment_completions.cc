#include "services/funding/enrollment_completions.h"

#include "absl/strings/str_cat.h"
#include "common/server/dependency.h"
#include "common/util/names.h"
#include "grpcpp/create_channel.h"

namespace peixun::funding {

namespace enr = ::peixun::enrollment::v1;

EnrollmentCompletions::EnrollmentCompletions(const std::string& target, std::string token_key, const Clock& clock)
    : target_(target),
      stub_(enr::EnrollmentService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
      token_key_(std::move(token_key)),
      clock_(clock) {}

absl::Status EnrollmentCompletions::AddCompletions(int year, domain::YearFigures* figures) const {
  for (auto scope : {enr::GetRateReportRequest::COUNTY, enr::GetRateReportRequest::CITY}) {
    enr::GetRateReportRequest request;
    request.set_year(absl::StrCat("years/", year));
    request.set_scope(scope);
    enr::RateReport report;
    grpc::Status status =
        stub_->GetRateReport(server::ServiceCallContext("funding", token_key_, clock_).get(), request, &report);
    if (!status.ok()) {
      return server::DependencyError(status, absl::StrCat("enrollment (", target_, ") did not report the ",
                                                          enr::GetRateReportRequest::Scope_Name(scope),
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
