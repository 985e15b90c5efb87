// A catalog region as the one region-scope rule (common/util/regions.h) reads it. Header-only:
// the services' pure domain libraries use it with nothing but the contract's messages.
#pragma once

#include <string>

#include "common/util/regions.h"
#include "peixun/catalog/v1/catalog.pb.h"

namespace peixun::catalog {

inline RegionFacts FactsOf(const v1::Region& region) {
  RegionFacts facts;
  facts.code = region.code();
  const std::string& parent = region.parent();  // "regions/{code}", or "" for the province
  facts.parent_code = parent.substr(parent.rfind('/') + 1);
  facts.city_level = region.level() == v1::CITY;
  // R-1a: a directly administered city-level unit (济源示范区) is its own county-level unit.
  facts.county_unit =
      region.level() == v1::COUNTY || (facts.city_level && region.directly_administered());
  return facts;
}

}  // namespace peixun::catalog
