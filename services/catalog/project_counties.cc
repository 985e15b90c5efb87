#include "services/catalog/project_counties.h"

#include "absl/strings/str_cat.h"
#include "common/util/status.h"

namespace peixun::catalog {

FundingProjectCounties::FundingProjectCounties(
    const std::string& target, auth::TokenSigner signer, const Clock& clock,
    std::shared_ptr<grpc::ChannelCredentials> credentials)
    : funding_("catalog", "funding", target, std::move(signer), clock, std::move(credentials)) {}

absl::Status FundingProjectCounties::CheckActive(int year, const std::string& county_code) const {
  funding::v1::GetProjectCountyRequest request;
  request.set_name("projectCounties/" + county_code);
  request.set_year(year);
  funding::v1::ProjectCounty status;
  auto context = funding_.Context();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::Status answer = funding_.stub().GetProjectCounty(context.get(), request, &status);
  const std::string refused = absl::StrCat(
      "seats of a 项目县 category go only to active project "
      "counties of ",
      year, ": ");
  if (answer.error_code() == grpc::StatusCode::NOT_FOUND) {
    return RuleError("R-27",
                     absl::StrCat(refused, "regions/", county_code, " has never been designated"));
  }
  if (!answer.ok()) {
    return funding_.Failed(answer, absl::StrCat("did not say whether regions/", county_code,
                                                " is a project county in ", year));
  }
  if (status.active()) return absl::OkStatus();
  return RuleError("R-27", absl::StrCat(refused, status.inactive_reason()));
}

}  // namespace peixun::catalog
