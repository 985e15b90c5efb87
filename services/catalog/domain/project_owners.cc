#include "services/catalog/domain/project_owners.h"

#include "absl/strings/str_cat.h"
#include "common/util/status.h"
#include "services/catalog/domain/catalog_rules.h"

namespace peixun::catalog::domain {
namespace {

// R-1a: 济源 is a city-level unit that is its own county-level unit.
bool CountyLevelUnit(const v1::Region& region) {
  return region.level() == v1::COUNTY ||
         (region.level() == v1::CITY && region.directly_administered());
}

std::string Named(const v1::Region& region) {
  return absl::StrCat(region.name(), " (", region.display_name(), ")");
}

}  // namespace

bool OwnedLevel(common::v1::PlanLevel level) {
  return level == common::v1::CITY || level == common::v1::COUNTY;
}

absl::Status CheckOwner(common::v1::PlanLevel level, const v1::Region* owner,
                        bool project_county_category) {
  if (!OwnedLevel(level)) {
    if (owner != nullptr) {
      return FieldError("project.owner",
                        "only 市培 and 县培 projects have an owner; the province runs the others "
                        "(R-32)");
    }
    return absl::OkStatus();
  }
  const bool city = level == common::v1::CITY;
  if (owner == nullptr) {
    return FieldError("project.owner", city
                                           ? "a 市培 project names the city that runs it (R-32)"
                                           : "a 县培 project names the county that runs it (R-32)");
  }
  if (city ? owner->level() != v1::CITY : !CountyLevelUnit(*owner)) {
    return FieldError("project.owner",
                      absl::StrCat(Named(*owner), " is not a ", city ? "city" : "county", "; ",
                                   city ? "市培" : "县培", " projects are run by ",
                                   city ? "cities" : "county-level units", " (R-32, R-1)"));
  }
  if (project_county_category) {
    return FieldError("project.category",
                      "a 项目县 category's seats go to project counties by the province (R-27); "
                      "市培 and 县培 projects take categories of their own");
  }
  return absl::OkStatus();
}

std::vector<OwnerStep> OwnerSteps(const v1::Region& owner) {
  if (owner.level() == v1::CITY || TakesQuotaFromProvince(owner)) return {{"", owner.code()}};
  const std::string city = owner.parent().substr(owner.parent().rfind('/') + 1);
  return {{"", city}, {city, owner.code()}};
}

absl::Status CheckInsideOwner(const v1::Region& owner, const v1::Region& region,
                              const std::string& from_city) {
  if (region.code() == owner.code()) return absl::OkStatus();
  if (owner.level() == v1::CITY && region.parent() == owner.name()) return absl::OkStatus();
  if (owner.level() == v1::COUNTY && !TakesQuotaFromProvince(owner) && from_city.empty() &&
      region.name() == owner.parent()) {
    return absl::OkStatus();
  }
  return FieldError("region", absl::StrCat(Named(region), " is outside ", Named(owner),
                                           ", which runs this project; its seats stay inside "
                                           "its own region (R-32)"));
}

}  // namespace peixun::catalog::domain
