// Giving a region seats of a project (R-3, R-1, R-1a, R-1b, R-7, R-27), pure: the store reads
// the facts inside the allocation's transaction, other services answer the facts they own only
// when the decision asks for them, and the handler persists what is decided.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "services/catalog/domain/catalog_rules.h"

namespace peixun::catalog::domain {

struct AllocationFacts {
  std::string project;    // the project's id
  v1::Region region;      // the region given seats
  std::string from_city;  // the code of the city whose quota the seats come from; "": the project
  QuotaParent parent;     // the project, or that city's quota
  std::string parent_name;
  std::optional<v1::QuotaAllocation> existing;  // the region's quota in this project now
  bool project_county_category = false;         // the project's category is for 项目县
  int32_t seats = 0;                            // the seats asked for
  // Facts other services own, unset until the decision has asked for them.
  std::optional<int32_t> held;  // seats the region's nominations hold (enrollment; R-7)
  // OK when the region is an active project county in the project's year, else why not
  // (funding; R-27).
  std::optional<absl::Status> project_county;
};

// A fact the decision needs and the facts do not hold yet: ask its owner, then decide again.
enum class AllocationQuestion { kNone, kHeldSeats, kProjectCountyStatus };

struct Allocation {
  AllocationQuestion ask = AllocationQuestion::kNone;    // when set, nothing else is decided
  v1::RegionLevel level = v1::REGION_LEVEL_UNSPECIFIED;  // of the quota: CITY or COUNTY
  int32_t parent_allocated = 0;  // the parent's seats passed on after the change
};

// In order: the region is a child the parent may give seats to (R-1, R-3; R-1a/R-1b: a
// directly administered county-level unit takes them from the project); its seats of the project
// come from one parent (R-1b); a county quota is not cut below the seats its nominations hold
// a county-level unit gets more seats of a 项目县 category only as an active project
// county; the parent has the seats and the region keeps what it has passed on.
absl::StatusOr<Allocation> DecideAllocation(const AllocationFacts& facts);

}  // namespace peixun::catalog::domain
