#include "services/evaluation/funding_status.h"

#include "absl/strings/str_cat.h"
#include "common/util/names.h"
#include "common/server/dependency.h"
#include "grpcpp/create_channel.h"

namespace peixun::evaluation {

namespace fv = ::peixun::funding::v1;

FundingStatus::FundingStatus(const std::string& target, std::string token_key, const Clock& clock)
    : target_(target),
      stub_(fv::FundingService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
      token_key_(std::move(token_key)),
      clock_(clock) {}

std::unique_ptr<grpc::ClientContext> FundingStatus::NewContext() const {
  return server::ServiceCallContext("evaluation", token_key_, clock_);
}

absl::StatusOr<std::set<std::string>> FundingStatus::ActiveCounties(int year) const {
  std::set<std::string> out;
  std::string token;
  do {
    fv::ListProjectCountiesRequest request;
    request.set_filter(absl::StrCat("active_in_year = \"", year, "\""));
    request.set_page_size(1000);
    request.set_page_token(token);
    fv::ListProjectCountiesResponse page;
    grpc::Status status = stub_->ListProjectCounties(NewContext().get(), request, &page);
    if (!status.ok()) {
      return server::DependencyError(status, absl::StrCat("funding (", target_, ") did not say which counties are "
                                                          "project counties in ", year, " (R-27)"));
    }
    for (const auto& county : page.project_counties()) out.insert(county.county());
    token = page.next_page_token();
  } while (!token.empty());
  return out;
}

std::string FundingStatus::WhyInactive(const std::string& county, int year) const {
  fv::GetProjectCountyRequest request;
  request.set_name("projectCounties/" + LastSegment(county));
  request.set_year(year);
  fv::ProjectCounty status;
  grpc::Status answer = stub_->GetProjectCounty(NewContext().get(), request, &status);
  if (answer.error_code() == grpc::StatusCode::NOT_FOUND) return county + " has never been a project county";
  for (const auto& p : status.periods()) {
    if (p.kind() == fv::ProjectCounty::Period::REVOKED && p.from_year() <= year &&
        (p.to_year() == 0 || year <= p.to_year())) {
      return absl::StrCat(county, " is revoked for ", p.from_year(), "-", p.to_year(), " by ", p.decision());
    }
  }
  return absl::StrCat(county, " is not an active project county in ", year);
}

}  // namespace peixun::evaluation
