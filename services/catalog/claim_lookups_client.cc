#include <memory>

#include "absl/strings/match.h"
#include "common/server/dependency.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "services/catalog/claim_lookups.h"

namespace peixun::catalog {

server::RegionLevel LevelOf(const v1::Region& region) {
  switch (region.level()) {
    case v1::CITY:
      return region.directly_administered() ? server::RegionLevel::kCountyLevelCity
                                            : server::RegionLevel::kCity;
    case v1::COUNTY:
      return server::RegionLevel::kCounty;
    default:
      return server::RegionLevel::kProvince;
  }
}

server::ClaimLookups CatalogClaimLookups(const std::string& caller, const std::string& target,
                                         auth::TokenSigner signer, const Clock& clock,
                                         std::shared_ptr<grpc::ChannelCredentials> credentials) {
  auto catalog = std::make_shared<server::Dependency<v1::CatalogService>>(
      caller, "catalog", target, std::move(signer), clock, std::move(credentials));
  server::ClaimLookups lookups;
  lookups.region_level = [catalog](const std::string& code) -> absl::StatusOr<server::RegionLevel> {
    v1::GetRegionRequest request;
    request.set_name("regions/" + code);
    v1::Region region;
    grpc::Status status = catalog->stub().GetRegion(catalog->Context().get(), request, &region);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND)
      return absl::NotFoundError(status.error_message());
    if (!status.ok())
      return catalog->Failed(status, "did not say whether regions/" + code + " exists");
    return LevelOf(region);
  };
  lookups.host_registered = [catalog](const std::string& host) -> absl::Status {
    v1::GetHostRequest request;
    request.set_name(host);
    v1::HostInstitution found;
    grpc::Status status = catalog->stub().GetHost(catalog->Context().get(), request, &found);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND)
      return absl::NotFoundError(status.error_message());
    // A malformed host name names no host.
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT)
      return absl::NotFoundError(status.error_message());
    if (!status.ok())
      return catalog->Failed(status, "did not say whether " + host + " is registered");
    return absl::OkStatus();
  };
  return lookups;
}

}  // namespace peixun::catalog
