#include "common/util/names.h"
#include "common/util/status.h"
#include "services/catalog/catalog_store.h"
#include "services/catalog/claim_lookups.h"

namespace peixun::catalog {

server::ClaimLookups StoreClaimLookups(db::ConnectionPool& pool) {
  server::ClaimLookups lookups;
  lookups.region_level = [&pool](const std::string& code) -> absl::StatusOr<server::RegionLevel> {
    absl::StatusOr<v1::Region> region = absl::UnknownError("not read");
    PEIXUN_RETURN_IF_ERROR(pool.RunRead([&](db::Connection& c) -> absl::Status {
      region = CatalogStore::GetRegion(c, code);
      return absl::OkStatus();
    }));
    if (!region.ok()) return region.status();
    return LevelOf(*region);
  };
  lookups.host_registered = [&pool](const std::string& host) -> absl::Status {
    absl::Status found = absl::UnknownError("not read");
    PEIXUN_RETURN_IF_ERROR(pool.RunRead([&](db::Connection& c) -> absl::Status {
      found = CatalogStore::GetHost(c, LastSegment(host)).status();
      return absl::OkStatus();
    }));
    return found;
  };
  return lookups;
}

}  // namespace peixun::catalog
