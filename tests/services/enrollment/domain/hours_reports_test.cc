// Unit tests of reported hours, pure, named for their rules.
#include "services/enrollment/domain/hours_reports.h"

#include "gtest/gtest.h"

namespace peixun::enrollment::domain {
namespace {

const absl::CivilDay kToday(2023, 9, 1);

v1::HoursReport Report(v1::HourEntry::Source kind, int y, int m, int d) {
  v1::HoursReport report;
  report.set_teacher("teachers/t1");
  report.set_source_kind(kind);
  report.mutable_date()->set_year(y);
  report.mutable_date()->set_month(m);
  report.mutable_date()->set_day(d);
  return report;
}

ReportedHours Checked(const v1::HoursReport& report) {
  auto checked = CheckReport(report, 0, kToday, CyclePolicy(), "county-clerk");
  EXPECT_TRUE(checked.ok()) << checked.status();
  return checked.ok() ? *checked : ReportedHours();
}

std::string FieldOf(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  const std::string message(status.message());
  return message.substr(0, message.find(':'));
}

TEST(R32, SchoolResearchIsOneReportATeacherAndSchoolYearAtMost24Hours) {
  v1::HoursReport report = Report(v1::HourEntry::SCHOOL_RESEARCH, 2023, 6, 30);
  report.set_credit_hours(30);
  const ReportedHours row = Checked(report);
  EXPECT_EQ(row.entry.source, HourSource::kSchoolResearch);
  EXPECT_EQ(row.entry.source_key, "t1/research/2022");  // June 2023: the school year of 2022
  EXPECT_EQ(row.entry.school_year, 2022);
  EXPECT_EQ(row.entry.year, 2023);
  EXPECT_EQ(row.entry.level, common::v1::SCHOOL);
  EXPECT_EQ(row.asked, 30);
  WorkshopCap cap;
  const auto [hours, why] = cap.Take(row);
  EXPECT_EQ(hours, 24);
  EXPECT_EQ(why.rfind("R-32", 0), 0u) << why;
  report.set_credit_hours(20);
  EXPECT_EQ(cap.Take(Checked(report)), (std::pair<int, std::string>{20, ""}));
  report.set_credit_hours(0);
  EXPECT_EQ(FieldOf(CheckReport(report, 3, kToday, CyclePolicy(), "x").status()),
            "reports[3].credit_hours");
}

TEST(R14, AWorkshopDayIsSixHoursAndAYearCountsAtMost40) {
  v1::HoursReport report = Report(v1::HourEntry::WORKSHOP, 2023, 5, 20);
  report.set_days(2);
  report.set_session("lankao-math-3");
  report.set_plan_level(common::v1::COUNTY);
  const ReportedHours row = Checked(report);
  EXPECT_EQ(row.entry.hours, 12);
  EXPECT_EQ(row.entry.source_key, "t1/workshop/lankao-math-3");
  WorkshopCap cap;
  cap.Holds("t1", 2023, 30);  // the ledger holds 30 workshop hours of 2023
  const auto [hours, why] = cap.Take(row);
  EXPECT_EQ(hours, 10);  // 40 - 30
  EXPECT_NE(why.find("R-14"), std::string::npos) << why;
  EXPECT_EQ(cap.Take(row).first, 0) << "the year is full";
  report.mutable_date()->set_year(2022);  // another year has its own 40
  EXPECT_EQ(cap.Take(Checked(report)).first, 12);

  report.clear_session();
  EXPECT_EQ(FieldOf(CheckReport(report, 0, kToday, CyclePolicy(), "x").status()),
            "reports[0].session");
  report.set_session("s1");
  report.set_plan_level(common::v1::NATIONAL);
  EXPECT_EQ(FieldOf(CheckReport(report, 0, kToday, CyclePolicy(), "x").status()),
            "reports[0].plan_level");
}

TEST(R31, MentoringIsFiftyHoursOnceACycle) {
  const ReportedHours row = Checked(Report(v1::HourEntry::MENTORING, 2023, 6, 1));
  EXPECT_EQ(row.entry.hours, 50);
  EXPECT_EQ(row.entry.level, common::v1::PROVINCIAL);  // 1+10+100 is a 省培 project's (002)
  EXPECT_EQ(row.entry.source_key, "t1/mentoring/2021");
  auto later =
      CheckReport(Report(v1::HourEntry::MENTORING, 2023, 8, 1), 0, kToday, CyclePolicy(), "x");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->entry.source_key, row.entry.source_key) << "the same cycle: the same key";
}

TEST(R31, ARowSaysWhoWhatAndWhenOnceEarned) {
  EXPECT_EQ(FieldOf(CheckReport(Report(v1::HourEntry::MENTORING, 2023, 9, 2), 1, kToday,
                                CyclePolicy(), "x")
                        .status()),
            "reports[1].date");
  EXPECT_EQ(FieldOf(CheckReport(Report(v1::HourEntry::COMPLETION, 2023, 6, 1), 0, kToday,
                                CyclePolicy(), "x")
                        .status()),
            "reports[0].source_kind");
  v1::HoursReport report = Report(v1::HourEntry::MENTORING, 2023, 6, 1);
  report.set_teacher("t1");
  EXPECT_EQ(FieldOf(CheckReport(report, 0, kToday, CyclePolicy(), "x").status()),
            "reports[0].teacher");
  report = Report(v1::HourEntry::MENTORING, 2023, 6, 1);
  report.set_description(std::string(201, 'x'));
  EXPECT_EQ(FieldOf(CheckReport(report, 0, kToday, CyclePolicy(), "x").status()),
            "reports[0].description");
}

TEST(R14R32, ThePolicyInForceSetsWhatACapCountsAndWhatADayIsWorth) {
  CyclePolicy policy;
  policy.research_hours_per_school_year = 30;
  policy.workshop_hours_per_day = 8;
  policy.workshop_hours_per_year = 20;
  policy.mentoring_hours = 60;
  v1::HoursReport research = Report(v1::HourEntry::SCHOOL_RESEARCH, 2023, 6, 30);
  research.set_credit_hours(32);
  auto checked = CheckReport(research, 0, kToday, policy, "x");
  ASSERT_TRUE(checked.ok()) << checked.status();
  WorkshopCap cap(policy);
  auto [hours, why] = cap.Take(*checked);
  EXPECT_EQ(hours, 30);
  EXPECT_NE(why.find("at most 30 hours"), std::string::npos) << why;
  v1::HoursReport workshop = Report(v1::HourEntry::WORKSHOP, 2023, 5, 20);
  workshop.set_days(3);
  workshop.set_session("s1");
  workshop.set_plan_level(common::v1::CITY);
  checked = CheckReport(workshop, 0, kToday, policy, "x");
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->asked, 24);  // 3 days of 8 hours
  std::tie(hours, why) = cap.Take(*checked);
  EXPECT_EQ(hours, 20);
  EXPECT_NE(why.find("at most 20 hours a year"), std::string::npos) << why;
  checked = CheckReport(Report(v1::HourEntry::MENTORING, 2023, 8, 1), 0, kToday, policy, "x");
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->entry.hours, 60);
}

}  // namespace
}  // namespace peixun::enrollment::domain
