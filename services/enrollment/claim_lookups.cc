#include "services/enrollment/claim_lookups.h"

#include <optional>

#include "common/util/status.h"
#include "services/catalog/claim_lookups.h"
#include "services/enrollment/enrollment_store.h"

namespace peixun::enrollment {

server::ClaimLookups MirrorClaimLookups(db::ConnectionPool& pool,
                                        const server::ClaimLookups& catalog) {
  server::ClaimLookups lookups;
  lookups.region_level = [&pool,
                          catalog](const std::string& code) -> absl::StatusOr<server::RegionLevel> {
    std::optional<catalog_v1::Region> region;
    PEIXUN_RETURN_IF_ERROR(pool.RunRead([&](db::Connection& c) -> absl::Status {
      region = EnrollmentStore::FindRegion(c, code);
      return absl::OkStatus();
    }));
    if (!region.has_value()) return catalog.region_level(code);
    return catalog::LevelOf(*region);
  };
  lookups.host_registered = [&pool, catalog](const std::string& host) -> absl::Status {
    absl::Status registered = catalog.host_registered(host);
    if (registered.ok() || absl::IsNotFound(registered)) return registered;
    bool has_projects = false;
    PEIXUN_RETURN_IF_ERROR(pool.RunRead([&](db::Connection& c) -> absl::Status {
      has_projects = EnrollmentStore::HostHasProjects(c, host);
      return absl::OkStatus();
    }));
    return has_projects ? absl::OkStatus() : registered;
  };
  return lookups;
}

}  // namespace peixun::enrollment
