// Unit tests of catalog's rules, named for their DOMAIN.md ids.
#include "services/catalog/domain/catalog_rules.h"

#include <map>
#include <optional>

#include "gtest/gtest.h"

namespace peixun::catalog::domain {
namespace {

common_v1::Date D(int y, int m, int d) { return FromCivilDay(absl::CivilDay(y, m, d)); }

v1::PlanYear Year2022() {
  v1::PlanYear year;
  year.set_year(2022);
  *year.mutable_nomination_deadline() = D(2022, 8, 31);
  EXPECT_TRUE(PrepareYear(year).ok());
  return year;
}

v1::Project ValidProject() {
  v1::Project p;
  p.set_display_name("乡村骨干教师素质提升");
  p.set_seats(100);
  p.set_credit_hours(120);
  p.mutable_format()->set_centralized_days(15);
  p.mutable_format()->set_online_hours(30);
  *p.mutable_start_date() = D(2022, 10, 10);
  *p.mutable_end_date() = D(2022, 10, 24);
  return p;
}

TEST(R1RegionCsv, ParsesAndOrdersParentsFirst) {
  auto rows = ParseRegionCsv(
      "code,name,parent_code,level\n410225,兰考县,4102,county\n4102,开封市,41,city\n41,河南省,,"
      "province\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].code, "41");
  EXPECT_EQ((*rows)[1].code, "4102");
  EXPECT_EQ((*rows)[2].display_name, "兰考县");
  EXPECT_EQ((*rows)[2].line, 2);
}

TEST(R1aR1bRegionCsv, DirectlyAdministeredIsAColumnOfDataAndAbsentMeansUnchanged) {
  auto rows = ParseRegionCsv(
      "code,name,parent_code,level,directly_administered\n410225,兰考县,4102,county,TRUE\n"
      "410223,尉氏县,4102,county,\n419001,济源示范区,41,city,true\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::map<std::string, std::optional<bool>> flag;
  for (const auto& row : *rows) flag[row.code] = row.directly_administered;
  EXPECT_EQ(flag["410225"], std::optional<bool>(true));
  EXPECT_EQ(flag["410223"], std::optional<bool>(false));
  EXPECT_EQ(flag["419001"], std::optional<bool>(true));
  auto four = ParseRegionCsv("code,name,parent_code,level\n410225,兰考县,4102,county\n");
  ASSERT_TRUE(four.ok());
  EXPECT_FALSE((*four)[0].directly_administered.has_value());
  auto short_row = ParseRegionCsv(
      "code,name,parent_code,level,directly_administered\n410225,兰考县,4102,county\n");
  EXPECT_NE(short_row.status().message().find("line 2: expected 5 columns, found 4"),
            std::string::npos)
      << short_row.status();

  v1::Region lankao;
  lankao.set_level(v1::COUNTY);
  EXPECT_FALSE(TakesQuotaFromProvince(lankao));
  lankao.set_directly_administered(true);
  EXPECT_TRUE(TakesQuotaFromProvince(lankao));
  v1::Region jiyuan;
  jiyuan.set_level(v1::CITY);
  jiyuan.set_directly_administered(true);
  EXPECT_TRUE(TakesQuotaFromProvince(jiyuan));
  jiyuan.set_level(v1::PROVINCE);
  EXPECT_FALSE(TakesQuotaFromProvince(jiyuan));
}

TEST(R1RegionCsv, NamesTheLineOfABadRow) {
  auto rows =
      ParseRegionCsv("code,name,parent_code,level\n4102,开封市,41,city\n41x,坏,4102,county\n");
  ASSERT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(rows.status().message().find("line 3"), std::string::npos);
  EXPECT_FALSE(ParseRegionCsv("code,name\n").ok());
  EXPECT_FALSE(ParseRegionCsv("code,name,parent_code,level\n4102,开封市,41,town\n").ok());
  EXPECT_FALSE(
      ParseRegionCsv("code,name,parent_code,level\n4102,a,41,city\n4102,b,41,city\n").ok());
}

TEST(R2Project, ValidProjectPassesAndGetsDefaultClassSize) {
  v1::Project p = ValidProject();
  ASSERT_TRUE(ValidateProject(p, Year2022()).ok());
  EXPECT_EQ(p.class_size(), 50);
}

TEST(R2Project, RefusesNegativeSeatsNamingTheField) {
  v1::Project p = ValidProject();
  p.set_seats(-5);
  auto status = ValidateProject(p, Year2022());
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().rfind("project.seats:", 0), 0u);
}

TEST(R2Project, RefusesEndBeforeStart) {
  v1::Project p = ValidProject();
  *p.mutable_end_date() = D(2022, 10, 1);
  auto status = ValidateProject(p, Year2022());
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().rfind("project.end_date:", 0), 0u);
}

TEST(R2Project, RefusesAFormatWithNoTraining) {
  v1::Project p = ValidProject();
  p.clear_format();
  EXPECT_EQ(ValidateProject(p, Year2022()).code(), absl::StatusCode::kInvalidArgument);
}

TEST(R2Project, RefusesInvalidDates) {
  v1::Project p = ValidProject();
  *p.mutable_start_date() = D(2022, 1, 1);
  p.mutable_start_date()->set_day(30);
  p.mutable_start_date()->set_month(2);
  auto status = ValidateProject(p, Year2022());
  EXPECT_EQ(status.message().rfind("project.start_date:", 0), 0u) << status;
}

TEST(R5Timeline, ProjectsEndByDecember31) {
  v1::PlanYear year = Year2022();
  EXPECT_EQ(year.projects_end_by().month(), 12);
  EXPECT_EQ(year.projects_end_by().day(), 31);
  EXPECT_EQ(year.check_in_notice_days(), 15);
  EXPECT_EQ(year.timetable_days(), 5);
  v1::Project p = ValidProject();
  *p.mutable_end_date() = D(2023, 1, 5);
  auto status = ValidateProject(p, year);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("R-5"), std::string::npos);
}

TEST(R5Timeline, YearNeedsADeadlineInItself) {
  v1::PlanYear year;
  year.set_year(2022);
  EXPECT_EQ(PrepareYear(year).code(), absl::StatusCode::kInvalidArgument);
  *year.mutable_nomination_deadline() = D(2021, 8, 31);
  EXPECT_EQ(PrepareYear(year).code(), absl::StatusCode::kInvalidArgument);
}

TEST(R3Quota, ChildrenNeverSumAboveTheParent) {
  QuotaParent project{"project p", 100, 80};
  EXPECT_TRUE(CheckAllocation(project, 0, 20, 0).ok());
  auto over = CheckAllocation(project, 0, 21, 0);
  ASSERT_EQ(over.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(over.message().rfind("R-3", 0), 0u);
  EXPECT_NE(over.message().find("at most 20"), std::string::npos);
  // Raising an existing child counts only the difference.
  EXPECT_TRUE(CheckAllocation(project, 30, 50, 0).ok());
  EXPECT_FALSE(CheckAllocation(project, 30, 51, 0).ok());
}

TEST(R3Quota, ChildCannotDropBelowWhatItPassedOn) {
  QuotaParent project{"project p", 100, 40};
  auto status = CheckAllocation(project, 40, 10, 25);
  ASSERT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("25"), std::string::npos);
  EXPECT_TRUE(CheckAllocation(project, 40, 25, 25).ok());
  EXPECT_EQ(CheckAllocation(project, 0, -1, 0).code(), absl::StatusCode::kInvalidArgument);
}

TEST(R3Quota, ProjectSeatsMustCoverAllocation) {
  EXPECT_TRUE(CheckSeatsCoverAllocation("project p", 50, 50).ok());
  EXPECT_EQ(CheckSeatsCoverAllocation("project p", 49, 50).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(R4Budget, SeatsTimesDaysTimesRatePlusOnlineHours) {
  v1::Project p = ValidProject();  // 100 seats, 15 centralized days, 30 online hours
  p.mutable_format()->set_shadowing_days(5);
  v1::CostPolicy policy;
  policy.set_fen_per_person_day(kDefaultFenPerPersonDay);
  policy.set_fen_per_online_hour(kDefaultFenPerOnlineHour);
  auto budget = ComputeBudget(p, policy);
  ASSERT_TRUE(budget.ok());
  // 100 x (15 + 5) x 400 yuan = 800,000 yuan; 100 x 30 x 3 yuan = 9,000 yuan.
  EXPECT_EQ(budget->on_site_fen(), 80000000);
  EXPECT_EQ(budget->online_fen(), 900000);
  EXPECT_EQ(budget->total_fen(), 80900000);
}

TEST(R4Budget, OverflowIsAnErrorNotAWrongNumber) {
  v1::Project p = ValidProject();
  p.set_seats(2000000000);
  p.mutable_format()->set_centralized_days(2000000000);
  v1::CostPolicy policy;
  policy.set_fen_per_person_day(100000000);
  EXPECT_EQ(ComputeBudget(p, policy).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(R4Budget, PolicyNeedsAReasonAndSaneRates) {
  v1::CostPolicy policy;
  policy.set_fen_per_person_day(40000);
  EXPECT_EQ(ValidateCostPolicy(policy).code(), absl::StatusCode::kInvalidArgument);
  policy.set_reason("2023 标准");
  EXPECT_TRUE(ValidateCostPolicy(policy).ok());
  policy.set_fen_per_online_hour(-1);
  EXPECT_EQ(ValidateCostPolicy(policy).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace peixun::catalog::domain
