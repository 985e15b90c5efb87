// Unit tests of the rate report (services/enrollment/domain/rate_report), R-16 with the
// region rules R-1a and R-1b.
#include "services/enrollment/domain/rate_report.h"

#include "gtest/gtest.h"

namespace peixun::enrollment::domain {
namespace {

catalog_v1::Region Region(const std::string& code, const std::string& name,
                          catalog_v1::RegionLevel level, const std::string& parent) {
  catalog_v1::Region region;
  region.set_name("regions/" + code);
  region.set_code(code);
  region.set_display_name(name);
  region.set_level(level);
  region.set_parent("regions/" + parent);
  return region;
}

catalog_v1::Project Project(const std::string& id, const std::string& host,
                            common::v1::PlanLevel level) {
  catalog_v1::Project project;
  project.set_name("years/2022/projects/" + id);
  project.set_host(host);
  project.set_plan_level(level);
  return project;
}

// 兰考县 and 杞县 of 开封市, and 济源示范区 (county-level, run as a city); a national project
// of 河南大学 and a provincial one of 河南师范大学.
RateFacts Facts() {
  RateFacts facts;
  facts.regions = {Region("4102", "开封市", catalog_v1::CITY, "41"),
                   Region("410225", "兰考县", catalog_v1::COUNTY, "4102"),
                   Region("410221", "杞县", catalog_v1::COUNTY, "4102"),
                   Region("419001", "济源示范区", catalog_v1::CITY, "41")};
  facts.projects = {Project("national", "hosts/henu", common::v1::NATIONAL),
                    Project("provincial", "hosts/htu", common::v1::PROVINCIAL)};
  facts.quotas = {{"national", "410225", 10},
                  {"national", "410221", 6},
                  {"national", "419001", 4},
                  {"provincial", "410225", 5}};
  facts.outcomes = {{"national", "410225", v1::COMPLETED, true, 7},
                    {"national", "410225", v1::NO_SHOW, false, 1},
                    {"national", "410221", v1::CHECKED_IN, false, 6},
                    {"national", "419001", v1::NOMINATED, false, 2},
                    {"provincial", "410225", v1::NOMINATED, false, 5}};
  facts.found_ineligible = {{"national", "410225", 1}};
  return facts;
}

TEST(R16RateReport, CountyRowsCountTheirOwnSeatsAndRates) {
  RateQuery query;
  query.scope = v1::GetRateReportRequest::COUNTY;
  query.plan_levels = {common::v1::NATIONAL};
  const v1::RateReport report = BuildRateReport(Facts(), query);
  ASSERT_EQ(report.rows_size(), 3);
  const v1::RateRow& lankao = report.rows(1);  // keys in order: 410221, 410225, 419001
  EXPECT_EQ(lankao.key(), "regions/410225");
  EXPECT_EQ(lankao.display_name(), "兰考县");
  EXPECT_EQ(lankao.quota(), 10);  // the provincial project is not counted
  EXPECT_EQ(lankao.nominated(), 8);
  EXPECT_EQ(lankao.completed(), 7);
  EXPECT_EQ(lankao.under_reported(), 2);
  EXPECT_EQ(lankao.found_ineligible(), 1);
  EXPECT_EQ(lankao.nomination_rate_bp(), 8000);
}

TEST(R16RateReport, CitiesSumTheirCountiesAndJiyuanIsItsOwnCity) {
  RateQuery query;
  query.scope = v1::GetRateReportRequest::CITY;
  const v1::RateReport report = BuildRateReport(Facts(), query);
  ASSERT_EQ(report.rows_size(), 2);
  EXPECT_EQ(report.rows(0).key(), "regions/4102");
  EXPECT_EQ(report.rows(0).display_name(), "开封市");
  EXPECT_EQ(report.rows(0).quota(), 10 + 6 + 5);
  EXPECT_EQ(report.rows(0).nominated(), 8 + 6 + 5);
  EXPECT_EQ(report.rows(1).key(), "regions/419001");
  EXPECT_EQ(report.rows(1).quota(), 4);
}

TEST(R16RateReport, ARegionNarrowsToItsCountiesAndHostsGetRowsOfTheirProjects) {
  RateQuery query;
  query.scope = v1::GetRateReportRequest::HOST;
  query.region = "regions/4102";
  const v1::RateReport report = BuildRateReport(Facts(), query);
  ASSERT_EQ(report.rows_size(), 2);
  EXPECT_EQ(report.rows(0).key(), "hosts/henu");
  EXPECT_EQ(report.rows(0).quota(), 16);  // 济源's 4 seats are outside 开封市
  EXPECT_EQ(report.rows(1).key(), "hosts/htu");
  EXPECT_EQ(report.rows(1).nominated(), 5);
}

}  // namespace
}  // namespace peixun::enrollment::domain
