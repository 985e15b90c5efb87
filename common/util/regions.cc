#include "common/util/regions.h"

namespace peixun {

std::string CityOfCountyUnit(const RegionFacts& unit) {
  return unit.city_level ? unit.code : unit.parent_code;
}

bool InCity(const RegionFacts& unit, std::string_view city_code) {
  return unit.county_unit && !city_code.empty() && CityOfCountyUnit(unit) == city_code;
}

std::vector<std::string> CountyUnitsOfCity(const std::vector<RegionFacts>& regions,
                                           std::string_view city_code) {
  std::vector<std::string> out;
  for (const RegionFacts& region : regions)
    if (InCity(region, city_code)) out.push_back(region.code);
  return out;
}

}  // namespace peixun
