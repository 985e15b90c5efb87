// Projects that cities and counties run themselves (R-32: 市培 and 县培, "with their own seats,
// without the province"), pure: which region may own a project of a level, where its seats go
// at creation, and which regions its seats may reach afterwards.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "peixun/common/v1/common.pb.h"

namespace peixun::catalog::domain {

// Whether a project of this level is run by a city or county rather than the province.
bool OwnedLevel(common::v1::PlanLevel level);

// R-1a: a 市培 (CITY) project has a city-level owner, a 县培 (COUNTY) project a
// county-level unit (济源 is both); other levels have none. `owner` is null when the request
// names none. An owned project takes no 项目县 category (R-27 gives those seats to project
// counties by the province's decision). Errors name project.owner or project.category.
absl::Status CheckOwner(common::v1::PlanLevel level, const v1::Region* owner,
                        bool project_county_category);

// One allocation a new owned project makes: `region` receives all the seats from the project
// (`from_city` empty) or from that city's quota.
struct OwnerStep {
  std::string from_city;
  std::string region;
};
// R-1b: the steps that give an owned project's seats to its owner: straight from the
// project to a city or a directly administered unit, or project → city → county.
std::vector<OwnerStep> OwnerSteps(const v1::Region& owner);

// an owned project's seats stay inside its owner's region: the owner, a city owner's
// counties, and a county owner's city as the quota that carries the county's seats (from the
// project only). INVALID_ARGUMENT naming `region` otherwise.
absl::Status CheckInsideOwner(const v1::Region& owner, const v1::Region& region,
                              const std::string& from_city);

}  // namespace peixun::catalog::domain
