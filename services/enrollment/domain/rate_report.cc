#include "services/enrollment/domain/rate_report.h"

#include <map>

#include "common/util/names.h"

namespace peixun::enrollment::domain {

v1::RateReport BuildRateReport(const RateFacts& facts, const RateQuery& query) {
  std::map<std::string, const catalog_v1::Region*> region_by_name;
  for (const auto& r : facts.regions) region_by_name[r.name()] = &r;
  std::map<std::string, std::string> host_of;
  std::set<std::string> counted;  // projects of the levels asked for
  for (const auto& p : facts.projects) {
    host_of[LastSegment(p.name())] = p.host();
    if (query.plan_levels.empty() || query.plan_levels.count(p.plan_level()))
      counted.insert(LastSegment(p.name()));
  }
  auto city_of = [&](const std::string& county) {
    auto it = region_by_name.find(county);
    return it == region_by_name.end() ? std::string() : "regions/" + CityCodeOf(*it->second);
  };
  // The row a (project, county) pair adds to; empty when the query leaves it out.
  auto row_key = [&](const std::string& project, const std::string& county_code) -> std::string {
    if (!query.plan_levels.empty() && counted.count(project) == 0) return "";
    std::string county = "regions/" + county_code;
    const std::string city = city_of(county);
    if (!query.region.empty() && county != query.region && city != query.region) return "";
    switch (query.scope) {
      case v1::GetRateReportRequest::COUNTY:
        return county;
      case v1::GetRateReportRequest::CITY:
        return city.empty() ? county : city;
      default: {
        auto host = host_of.find(project);
        return host != host_of.end() ? host->second : "hosts/unknown";
      }
    }
  };
  std::map<std::string, SeatCounts> rows;
  for (const auto& o : facts.outcomes) {
    const std::string key = row_key(o.project_id, o.county_code);
    if (!key.empty()) AddOutcome(rows[key], o.state, o.rural, o.count);
  }
  auto add = [&](const std::vector<SeatRow>& figures, int64_t SeatCounts::*field) {
    for (const auto& f : figures) {
      const std::string key = row_key(f.project_id, f.county_code);
      if (!key.empty()) rows[key].*field += f.value;
    }
  };
  add(facts.quotas, &SeatCounts::quota);
  add(facts.ineligible, &SeatCounts::ineligible);
  add(facts.found_ineligible, &SeatCounts::found_ineligible);
  v1::RateReport report;
  report.set_scope(query.scope);
  for (const auto& [key, counts] : rows) {
    auto region = region_by_name.find(key);
    const std::string display =
        region != region_by_name.end() ? region->second->display_name() : key;
    *report.add_rows() = ToRateRow(key, display, counts);
  }
  return report;
}

}  // namespace peixun::enrollment::domain
