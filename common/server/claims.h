// Whether a signed token's region and host claims name what peixun knows (ARCHITECTURE.md
// "Identity and access"): a city admin's region is a city-level unit of the region data, a
// county admin's (and an expert's) a county-level unit (济源示范区 419001, a city-level unit
// that is its own county-level unit, counts as both, R-1a), and a host's host is registered.
// A token naming a region or host that does not exist is refused UNAUTHENTICATED: its claims
// would otherwise scope nothing real, or something the identity provider did not mean.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/identity.h"

namespace peixun::server {

// The level of a region in the region data.
// kCountyLevelCity: a directly administered city-level unit that is its own county-level unit
// (济源示范区, R-1a: the region's directly_administered flag), which both city and county claims
// may name.
enum class RegionLevel { kProvince, kCity, kCounty, kCountyLevelCity };

// Where the facts come from: catalog's own tables in catalog, catalog's RPCs elsewhere.
struct ClaimLookups {
  // The region's level; NOT_FOUND when it is not in the region data, UNAVAILABLE when the
  // source cannot answer now.
  std::function<absl::StatusOr<RegionLevel>(const std::string& code)> region_level;
  // OK when the host ("hosts/{host}") is registered; NOT_FOUND when not.
  std::function<absl::Status(const std::string& host)> host_registered;
};

class ClaimRegister {
 public:
  explicit ClaimRegister(ClaimLookups lookups) : lookups_(std::move(lookups)) {}

  // OK when the caller's region and host claims (where its role has them) name a region of the
  // role's level and a registered host; UNAUTHENTICATED naming the claim when not; UNAVAILABLE
  // when the source cannot answer and the claim was never seen before.
  absl::Status Check(const auth::Caller& caller) const;

  // Known answers are kept ten minutes (and used past that while the source cannot answer);
  // unknown ones five seconds, so a region imported a moment ago counts at once.
  static constexpr absl::Duration kKeepKnown = absl::Minutes(10);
  static constexpr absl::Duration kKeepUnknown = absl::Seconds(5);
  static constexpr size_t kMaxKept = 10000;

 private:
  struct Kept {
    absl::Status status;  // OK, or NOT_FOUND
    RegionLevel level = RegionLevel::kProvince;
    absl::Time until;
  };
  // The kept answer for `key`, asking `lookup` when there is none or it is old.
  absl::StatusOr<Kept> Look(const std::string& key,
                            const std::function<absl::StatusOr<Kept>()>& lookup) const;

  const ClaimLookups lookups_;
  mutable absl::Mutex mu_;
  mutable std::map<std::string, Kept> kept_ ABSL_GUARDED_BY(mu_);
};

}  // namespace peixun::server
