#include "services/catalog/domain/quota_allocation.h"

#include "absl/strings/str_cat.h"
#include "common/util/status.h"

namespace peixun::catalog::domain {
namespace {

std::string Named(const v1::Region& region) {
  return absl::StrCat(region.name(), " (", region.display_name(), ")");
}

}  // namespace

absl::StatusOr<Allocation> DecideAllocation(const AllocationFacts& facts) {
  const v1::Region& region = facts.region;
  const bool from_project = facts.from_city.empty();
  Allocation allocation;
  if (from_project) {
    // R-1a, R-1b: a directly administered county-level unit takes its seats straight from the
    // project; its quota is a county quota with no city quota above it.
    const bool straight = TakesQuotaFromProvince(region);
    if (region.level() != v1::CITY && !straight) {
      return FieldError("region", absl::StrCat(Named(region),
                                               " is not a city; a project's seats go to cities "
                                               "and directly administered counties, a city's to "
                                               "its counties (R-3, R-1b)"));
    }
    allocation.level = straight ? v1::COUNTY : v1::CITY;
  } else {
    if (region.level() != v1::COUNTY || region.parent() != "regions/" + facts.from_city) {
      return FieldError("region", absl::StrCat(Named(region), " is not a county of city ",
                                               facts.from_city, " (R-1)"));
    }
    allocation.level = v1::COUNTY;
  }
  const std::optional<v1::QuotaAllocation>& existing = facts.existing;
  if (existing && existing->parent() != facts.parent_name) {
    return RuleError("R-1b", absl::StrCat(Named(region), " holds ", existing->seats(),
                                          " seats of this project from ", existing->parent(),
                                          "; its seats come from one parent"));
  }
  const int32_t old_seats = existing ? existing->seats() : 0;
  if (existing && existing->level() == v1::COUNTY && facts.seats < old_seats) {
    if (!facts.held) {
      allocation.ask = AllocationQuestion::kHeldSeats;
      return allocation;
    }
    if (facts.seats < *facts.held) {
      return RuleError(
          "R-7",
          absl::StrCat(Named(region), " holds ", *facts.held, " nominations in ", facts.project,
                       "; its quota cannot drop from ", old_seats, " to ", facts.seats, " seats"));
    }
  }
  if (allocation.level == v1::COUNTY && facts.project_county_category && facts.seats > old_seats) {
    if (!facts.project_county) {
      allocation.ask = AllocationQuestion::kProjectCountyStatus;
      return allocation;
    }
    PEIXUN_RETURN_IF_ERROR(*facts.project_county);
  }
  PEIXUN_RETURN_IF_ERROR(CheckAllocation(facts.parent, old_seats, facts.seats,
                                         existing ? existing->allocated_seats() : 0));
  allocation.parent_allocated = facts.parent.allocated - old_seats + facts.seats;
  return allocation;
}

}  // namespace peixun::catalog::domain
