#include "services/evaluation/funding_status.h"

#include "absl/strings/str_cat.h"
#include "common/server/dependency.h"
#include "common/util/names.h"
#include "common/util/status.h"

namespace peixun::evaluation {

namespace fv = ::peixun::funding::v1;

FundingStatus::FundingStatus(const std::string& target, auth::TokenSigner signer,
                             const Clock& clock,
                             std::shared_ptr<grpc::ChannelCredentials> credentials)
    : funding_("evaluation", "funding", target, std::move(signer), clock, std::move(credentials)) {}

absl::StatusOr<std::set<std::string>> FundingStatus::ActiveCounties(int year) const {
  std::set<std::string> out;
  fv::ListProjectCountiesRequest request;
  request.set_filter(absl::StrCat("active_in_year = \"", year, "\""));
  PEIXUN_RETURN_IF_ERROR(funding_.ListAll(
      &fv::FundingService::Stub::ListProjectCounties, request,
      absl::StrCat("did not say which counties are project counties in ", year, " (R-27)"),
      [&](const fv::ListProjectCountiesResponse& page) {
        for (const auto& county : page.project_counties()) out.insert(county.county());
        return absl::OkStatus();
      }));
  return out;
}

std::string FundingStatus::WhyInactive(const std::string& county, int year) const {
  fv::GetProjectCountyRequest request;
  request.set_name("projectCounties/" + LastSegment(county));
  request.set_year(year);
  fv::ProjectCounty status;
  grpc::Status answer =
      funding_.stub().GetProjectCounty(funding_.Context().get(), request, &status);
  if (answer.error_code() == grpc::StatusCode::NOT_FOUND)
    return county + " has never been a project county";
  if (!answer.ok() || status.inactive_reason().empty())
    return absl::StrCat(county, " is not an active project county in ", year);
  return status.inactive_reason();
}

}  // namespace peixun::evaluation
