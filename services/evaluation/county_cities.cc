#include "services/evaluation/county_cities.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/util/names.h"

namespace peixun::evaluation {

namespace cv = ::peixun::catalog::v1;

CountyCities::CountyCities(const std::string& target, auth::TokenSigner signer, const Clock& clock,
                           std::shared_ptr<grpc::ChannelCredentials> credentials)
    : catalog_("evaluation", "catalog", target, std::move(signer), clock, std::move(credentials)) {}

absl::StatusOr<std::string> CountyCities::CityOf(const std::string& county_code) const {
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = kept_.find(county_code);
    if (it != kept_.end() && it->second.until > now) return it->second.city;
  }
  cv::GetRegionRequest request;
  request.set_name("regions/" + county_code);
  cv::Region region;
  grpc::Status status = catalog_.stub().GetRegion(catalog_.Context().get(), request, &region);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return absl::NotFoundError(
        absl::StrCat("regions/", county_code, " is not a region of the catalog"));
  }
  if (!status.ok())
    return catalog_.Failed(status,
                           absl::StrCat("did not say which city regions/", county_code, " is in"));
  // 济源 (R-1a) is under the province; Access's city scope matches it as its own unit.
  const std::string city = LastSegment(region.parent());
  absl::MutexLock lock(&mu_);
  if (kept_.size() >= kMaxKept) kept_.clear();
  kept_[county_code] = Kept{city, now + kKeepFor};
  return city;
}

}  // namespace peixun::evaluation
