// Unit tests of schools' reports of research hours (services/enrollment/domain/
// school_hours_reports), named for their DOMAIN.md ids.
#include "services/enrollment/domain/school_hours_reports.h"

#include "gtest/gtest.h"

namespace peixun::enrollment::domain {
namespace {

using Report = v1::SchoolHoursReport;
using Result = v1::HoursReportResult;

Report::Row Row(const std::string& teacher, int hours, const std::string& note = "") {
  Report::Row row;
  row.set_teacher("teachers/" + teacher);
  row.set_credit_hours(hours);
  row.set_note(note);
  return row;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SchoolHoursReportsTest, R32AReportNamesItsSchoolYearAndHoldsOneToAThousandRows) {
  Report report;
  report.set_school_year(2022);
  *report.add_rows() = Row("t1", 24);
  EXPECT_TRUE(CheckHoursReport(report).ok());
  report.set_school_year(1999);
  absl::Status bad = CheckHoursReport(report);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(std::string(bad.message()), "hours_report.school_year")) << bad;
  report.set_school_year(2022);
  report.clear_rows();
  bad = CheckHoursReport(report);
  EXPECT_TRUE(Contains(std::string(bad.message()), "hours_report.rows")) << bad;
  for (int i = 0; i <= kMaxHoursReportRows; ++i) *report.add_rows() = Row("t1", 1);
  bad = CheckHoursReport(report);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(std::string(bad.message()), "1001")) << bad;
}

TEST(SchoolHoursReportsTest, R32HoursAreReportedInTheirSchoolYearUnderAnApprovedPlanUntilVerified) {
  // Not before the school year begins.
  absl::Status early =
      DecideReportSubmission(std::nullopt, 2022, true, absl::CivilDay(2022, 8, 31));
  EXPECT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(std::string(early.message()), "2022-09-01")) << early;
  // Only under the school's approved plan of that year.
  absl::Status unplanned =
      DecideReportSubmission(std::nullopt, 2022, false, absl::CivilDay(2023, 6, 30));
  EXPECT_EQ(unplanned.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(std::string(unplanned.message()), "R-32")) << unplanned;
  EXPECT_TRUE(DecideReportSubmission(std::nullopt, 2022, true, absl::CivilDay(2023, 6, 30)).ok());
  // Sent again while waiting or after a return; never once verified.
  EXPECT_TRUE(
      DecideReportSubmission(Report::SUBMITTED, 2022, true, absl::CivilDay(2023, 7, 1)).ok());
  EXPECT_TRUE(
      DecideReportSubmission(Report::RETURNED, 2022, true, absl::CivilDay(2023, 7, 9)).ok());
  absl::Status verified =
      DecideReportSubmission(Report::VERIFIED, 2022, true, absl::CivilDay(2023, 7, 9));
  EXPECT_EQ(verified.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(std::string(verified.message()), "R-33")) << verified;
}

TEST(SchoolHoursReportsTest, R32ASchoolReportsItsOwnTeachersOnceEachWithinBounds) {
  const std::map<std::string, TeacherPlace> places = {
      {"mine", {"410225", "lk-diyi"}},         {"mine2", {"410225", "lk-diyi"}},
      {"other-school", {"410225", "lk-dier"}}, {"unregistered", {"410225", ""}},
      {"other-county", {"410223", "lk-diyi"}},
  };
  Report sent;
  sent.set_school_year(2022);
  *sent.add_rows() = Row("mine", 30, "集体备课 10, 课例研究 20");  // 0: waits (cut at verification)
  *sent.add_rows() = Row("other-school", 24);                      // 1
  *sent.add_rows() = Row("unregistered", 24);                      // 2
  *sent.add_rows() = Row("other-county", 24);                      // 3
  *sent.add_rows() = Row("nobody", 24);                            // 4
  *sent.add_rows() = Row("mine", 24);                              // 5: given twice
  *sent.add_rows() = Row("mine2", 0);                              // 6
  *sent.add_rows() = Row("mine2", 1001);                           // 7
  *sent.add_rows() = Row("mine2", 12, std::string(201, 'x'));      // 8
  *sent.add_rows() = Row("Bad Id!", 12);                           // 9
  *sent.add_rows() = Row("mine2", 12);                             // 10: waits
  const Report decided = DecideReportRows(sent, "410225", "lk-diyi", places);
  ASSERT_EQ(decided.rows_size(), sent.rows_size());
  EXPECT_FALSE(decided.rows(0).has_result());
  EXPECT_EQ(decided.rows(0).note(), "集体备课 10, 课例研究 20");
  EXPECT_FALSE(decided.rows(10).has_result());
  const std::vector<std::pair<int, std::string>> refused = {
      {1, "rows[1].teacher"},      {2, "rows[2].teacher"}, {3, "rows[3].teacher"},
      {4, "does not exist"},       {5, "earlier row"},     {6, "rows[6].credit_hours"},
      {7, "rows[7].credit_hours"}, {8, "rows[8].note"},    {9, "rows[9].teacher"},
  };
  for (const auto& [i, says] : refused) {
    const Result& result = decided.rows(i).result();
    EXPECT_EQ(result.outcome(), Result::REFUSED) << i;
    EXPECT_EQ(result.index(), i);
    EXPECT_TRUE(Contains(result.reason(), says)) << i << ": " << result.reason();
  }
  EXPECT_TRUE(Contains(decided.rows(1).result().reason(), "R-32"));
}

TEST(SchoolHoursReportsTest, R32TheTrainingSchoolRefusesWaitingRowsOnlyEachOnceWithAReason) {
  Report report;
  report.set_state(Report::SUBMITTED);
  *report.add_rows() = Row("a", 24);
  *report.add_rows() = Row("b", 24);
  *report.add_rows() = Row("c", 24);
  report.mutable_rows(2)->mutable_result()->set_outcome(Result::REFUSED);
  v1::VerifySchoolHoursReportRequest request;
  auto* refusal = request.add_refusals();
  refusal->set_teacher("teachers/b");
  refusal->set_reason("过程性材料缺少课例记录");
  auto refused = DecideVerification(report, request);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->size(), 1u);
  EXPECT_EQ(refused->at("teachers/b"), "过程性材料缺少课例记录");

  auto refuse = [&](const std::string& teacher, const std::string& reason) {
    v1::VerifySchoolHoursReportRequest more = request;
    auto* r = more.add_refusals();
    r->set_teacher(teacher);
    r->set_reason(reason);
    return DecideVerification(report, more).status();
  };
  absl::Status bad = refuse("teachers/c", "已拒绝的行");  // refused when sent
  EXPECT_TRUE(Contains(std::string(bad.message()), "refusals[1].teacher")) << bad;
  bad = refuse("teachers/b", "again");
  EXPECT_TRUE(Contains(std::string(bad.message()), "earlier refusal")) << bad;
  bad = refuse("teachers/a", "");
  EXPECT_TRUE(Contains(std::string(bad.message()), "refusals[1].reason")) << bad;
  bad = refuse("teachers/a", std::string(501, 'x'));
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(refuse("teachers/a", "缺少学期考核").ok());
}

TEST(SchoolHoursReportsTest, R32OnlyASubmittedReportIsReviewedAndAReturnSaysWhy) {
  EXPECT_TRUE(DecideReportReview(Report::SUBMITTED, true, "").ok());
  EXPECT_EQ(DecideReportReview(Report::SUBMITTED, false, "").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(DecideReportReview(Report::SUBMITTED, false, "请补充第二学期记录").ok());
  EXPECT_EQ(DecideReportReview(Report::VERIFIED, true, "").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideReportReview(Report::RETURNED, false, "again").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SchoolHoursReportsTest, R31VerifiedHoursStayInTheirSchoolYear) {
  EXPECT_EQ(ReportEntryDay(2022, absl::CivilDay(2023, 7, 3)), absl::CivilDay(2023, 7, 3));
  EXPECT_EQ(ReportEntryDay(2022, absl::CivilDay(2023, 8, 31)), absl::CivilDay(2023, 8, 31));
  EXPECT_EQ(ReportEntryDay(2022, absl::CivilDay(2023, 10, 8)), absl::CivilDay(2023, 8, 31));
}

TEST(SchoolHoursReportsTest, R31AVerifiedEntrySaysItsSchoolYearAndNoteWithinTwoHundredBytes) {
  EXPECT_EQ(ReportedHoursDescription("第一小学", 2022, ""), "第一小学 2022学年校本研修");
  EXPECT_EQ(ReportedHoursDescription("第一小学", 2022, "集体备课 12"),
            "第一小学 2022学年校本研修：集体备课 12");
  // A 125-byte school name and a 200-byte note: cut to 200 bytes, never inside a character.
  const std::string name(size_t{125}, 'x');
  std::string note;
  for (int i = 0; i < 66; ++i) note += "研";
  const std::string cut = ReportedHoursDescription(name, 2022, note);
  EXPECT_LE(cut.size(), kMaxReportDescriptionBytes);
  EXPECT_GE(cut.size(), kMaxReportDescriptionBytes - 2);
  EXPECT_EQ(cut.rfind(name + " 2022学年校本研修：研", 0), 0u);
  EXPECT_EQ((cut.size() - (name.size() + std::string(" 2022学年校本研修：").size())) % 3, 0u)
      << "cut inside a character";
}

}  // namespace
}  // namespace peixun::enrollment::domain
