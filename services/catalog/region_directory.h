// Catalog's region data as the other services read it (evaluation and funding): which city a
// county-level unit reports under and which county-level units a city's scope covers, by the one
// rule of common/util/regions.h (the region's parent, 济源 as its own unit, R-1, R-1a), never by
// a code's prefix.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/identity.h"
#include "common/server/dependency.h"
#include "common/util/clock.h"
#include "common/util/regions.h"
#include "grpcpp/security/credentials.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"

namespace peixun::catalog {

class RegionDirectory {
 public:
  // Asks catalog at `target` as service `caller` ("evaluation"), with tokens signed by `signer`.
  RegionDirectory(const std::string& caller, const std::string& target, auth::TokenSigner signer,
                  const Clock& clock,
                  std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

  // The city-level unit the county-level unit `county_code` reports under (e.g. "4102" for
  // "410225"; "419001" for 济源). NOT_FOUND for a code that is no county-level unit of the region
  // data; UNAVAILABLE when catalog cannot answer and nothing was read before.
  absl::StatusOr<std::string> CityOf(const std::string& county_code) const;
  // The county-level units city scope `city_code` covers, in code order (济源: itself).
  // NOT_FOUND for a code that is no city-level unit.
  absl::StatusOr<std::vector<std::string>> CountyUnitsOf(const std::string& city_code) const;
  // A list filter's `city = "regions/{code}"` value as the county-level units it covers;
  // INVALID_ARGUMENT naming `field` when it names no city of the catalog.
  absl::StatusOr<std::vector<std::string>> CountyUnitsOfFilter(const std::string& value,
                                                               absl::string_view field) const;

  // The region data is read whole (a province has a few hundred regions) and kept this long;
  // a code it lacks reads it again once this much older (a region imported a moment ago). While
  // catalog cannot answer, the last reading stands.
  static constexpr absl::Duration kKeepFor = absl::Minutes(10);
  static constexpr absl::Duration kRereadUnknownAfter = absl::Seconds(5);

 private:
  struct Reading {
    std::map<std::string, RegionFacts> by_code;
    absl::Time at;
  };
  // The current reading: read again when older than `max_age` (and kept when that fails).
  absl::StatusOr<std::shared_ptr<const Reading>> Read(absl::Duration max_age) const;
  // `lookup` on the current reading, reading again once when it answers NOT_FOUND.
  template <typename T, typename Lookup>
  absl::StatusOr<T> Look(const Lookup& lookup) const;

  server::Dependency<v1::CatalogService> catalog_;
  mutable absl::Mutex mu_;
  mutable std::shared_ptr<const Reading> reading_ ABSL_GUARDED_BY(mu_);
};

}  // namespace peixun::catalog
