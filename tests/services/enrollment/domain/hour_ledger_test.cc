// Unit tests of the credit-hour ledger's pure part, named for their rules.
#include "services/enrollment/domain/hour_ledger.h"

#include "gtest/gtest.h"

namespace peixun::enrollment::domain {
namespace {

TEST(R31, ASchoolYearStartsOnTheFirstOfSeptember) {
  EXPECT_EQ(SchoolYearOf(absl::CivilDay(2022, 7, 15)), 2021);
  EXPECT_EQ(SchoolYearOf(absl::CivilDay(2022, 8, 31)), 2021);
  EXPECT_EQ(SchoolYearOf(absl::CivilDay(2022, 9, 1)), 2022);
  EXPECT_EQ(SchoolYearOf(absl::CivilDay(2023, 1, 10)), 2022);
}

TEST(R31R15, ACompletionsEntryIsKeyedByItsEnrollmentAndCarriesTheProjectsFigures) {
  catalog_v1::Project project;
  project.set_plan_level(common::v1::PROVINCIAL);
  project.mutable_format()->set_centralized_days(5);
  project.mutable_format()->set_shadowing_days(3);
  project.mutable_end_date()->set_year(2023);
  project.mutable_end_date()->set_month(3);
  project.mutable_end_date()->set_day(20);
  const HourEntry entry = CompletionEntry("e1", "t1", 2023, 48, project, "hosts/henu");
  EXPECT_EQ(entry.source, HourSource::kCompletion);
  EXPECT_EQ(entry.source_key, "e1");
  EXPECT_EQ(entry.teacher_id, "t1");
  EXPECT_EQ(entry.hours, 48);
  EXPECT_EQ(entry.off_site_days, 5);  // centralized days; shadowing is not 集中培训
  EXPECT_EQ(entry.level, common::v1::PROVINCIAL);
  EXPECT_EQ(entry.year, 2023);
  EXPECT_EQ(entry.school_year, 2022);  // March 2023 is in the school year begun in 2022
  EXPECT_EQ(entry.approved_by, "hosts/henu");

  // 送教下乡 holds the centralized days in the teacher's county: not off-site.
  project.mutable_format()->set_delivered_in_county(true);
  EXPECT_EQ(CompletionEntry("e2", "t1", 2023, 48, project, "hosts/henu").off_site_days, 0);
}

}  // namespace
}  // namespace peixun::enrollment::domain
