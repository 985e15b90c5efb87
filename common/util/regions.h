// The one region-scope rule (DOMAIN.md R-1, R-1a, R-1b): which city-level unit a county-level
// unit reports under, and which county-level units a city's scope covers, by the region data
// (each region's parent), never by a code's prefix. Every service asks it: enrollment on its
// copy of catalog's regions, evaluation and funding on catalog's answers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace peixun {

// What the rule needs of a region.
struct RegionFacts {
  std::string code;         // GB/T 2260, e.g. "410225"
  std::string parent_code;  // "" for the province
  bool city_level = false;  // a city-level unit (市, or 济源示范区)
  // A county-level unit: a county, or a city-level unit that is its own (济源示范区, R-1a;
  // catalog marks it directly administered).
  bool county_unit = false;
};

// The city-level unit `unit` reports under: a county's parent; a city-level unit that is its own
// county-level unit (R-1a), itself. A directly administered county (R-1b) still reports under its
// parent city.
std::string CityOfCountyUnit(const RegionFacts& unit);

// Whether city scope `city_code` reaches the county-level unit `unit`.
bool InCity(const RegionFacts& unit, std::string_view city_code);

// The county-level units of `regions` that city scope `city_code` reaches, in the order given.
std::vector<std::string> CountyUnitsOfCity(const std::vector<RegionFacts>& regions,
                                           std::string_view city_code);

}  // namespace peixun
