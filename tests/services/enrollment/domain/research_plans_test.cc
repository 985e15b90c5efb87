// Unit tests of schools' plans of school-based research (services/enrollment/domain/
// research_plans), named for their DOMAIN.md ids.
#include "services/enrollment/domain/research_plans.h"

#include "gtest/gtest.h"

namespace peixun::enrollment::domain {
namespace {

using State = v1::ResearchPlan::State;

TEST(ResearchPlansTest, R32TheFirstSubmissionIsDueBeforeTheSecondWeekOfTheSchoolYear) {
  EXPECT_EQ(PlanDeadline(2022, 7), absl::CivilDay(2022, 9, 7));
  // (policy) A province that gives schools two weeks: due by September 14.
  EXPECT_EQ(PlanDeadline(2022, 14), absl::CivilDay(2022, 9, 14));
  EXPECT_TRUE(DecideSubmission(std::nullopt, 2022, absl::CivilDay(2022, 9, 14), 14).ok());
  EXPECT_TRUE(DecideSubmission(std::nullopt, 2022, absl::CivilDay(2022, 6, 20), 7).ok());
  EXPECT_TRUE(DecideSubmission(std::nullopt, 2022, absl::CivilDay(2022, 9, 7), 7).ok());
  absl::Status late = DecideSubmission(std::nullopt, 2022, absl::CivilDay(2022, 9, 8), 7);
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(late.message().find("R-32"), std::string::npos) << late;
  EXPECT_NE(late.message().find("2022-09-07"), std::string::npos) << late;
  // A returned plan comes back after the deadline; a waiting or approved one is not replaced.
  EXPECT_TRUE(
      DecideSubmission(v1::ResearchPlan::RETURNED, 2022, absl::CivilDay(2022, 10, 1), 7).ok());
  EXPECT_EQ(
      DecideSubmission(v1::ResearchPlan::SUBMITTED, 2022, absl::CivilDay(2022, 9, 1), 7).code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      DecideSubmission(v1::ResearchPlan::APPROVED, 2022, absl::CivilDay(2022, 9, 1), 7).code(),
      absl::StatusCode::kFailedPrecondition);
}

TEST(ResearchPlansTest, R32APlanSaysItsYearTitleAndContentWithinTheirSizes) {
  v1::ResearchPlan plan;
  plan.set_school_year(2022);
  plan.set_title("2022学年校本研修方案");
  plan.set_content("集体备课、课例研究");
  EXPECT_TRUE(CheckPlan(plan).ok());
  for (auto [field, change] :
       std::initializer_list<std::pair<const char*, void (*)(v1::ResearchPlan&)>>{
           {"research_plan.school_year", [](v1::ResearchPlan& p) { p.set_school_year(1999); }},
           {"research_plan.title", [](v1::ResearchPlan& p) { p.clear_title(); }},
           {"research_plan.title", [](v1::ResearchPlan& p) { p.set_title(std::string(201, 'a')); }},
           {"research_plan.content", [](v1::ResearchPlan& p) { p.clear_content(); }},
           {"research_plan.content",
            [](v1::ResearchPlan& p) { p.set_content(std::string(20001, 'a')); }}}) {
    v1::ResearchPlan bad = plan;
    change(bad);
    absl::Status status = CheckPlan(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_NE(status.message().find(field), std::string::npos) << status;
  }
}

TEST(ResearchPlansTest, R32OnlyASubmittedPlanIsReviewedAndAReturnSaysWhy) {
  EXPECT_TRUE(DecideReview(v1::ResearchPlan::SUBMITTED, true, "").ok());
  EXPECT_TRUE(DecideReview(v1::ResearchPlan::SUBMITTED, false, "研修主题不明确").ok());
  absl::Status no_reason = DecideReview(v1::ResearchPlan::SUBMITTED, false, "");
  EXPECT_EQ(no_reason.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_reason.message().find("reason"), std::string::npos) << no_reason;
  EXPECT_EQ(DecideReview(v1::ResearchPlan::APPROVED, true, "").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideReview(v1::ResearchPlan::RETURNED, false, "再退").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ResearchPlansTest, R32ARegisteredSchoolsResearchHoursWaitForItsApprovedPlan) {
  const std::set<std::pair<std::string, int>> approved = {{"yigao", 2022}};
  EXPECT_TRUE(CheckResearchPlanApproved("410225", "yigao", 2022, approved).ok());
  absl::Status other_year = CheckResearchPlanApproved("410225", "yigao", 2021, approved);
  EXPECT_EQ(other_year.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other_year.message().find("regions/410225/schools/yigao"), std::string::npos)
      << other_year;
  EXPECT_FALSE(CheckResearchPlanApproved("410225", "erzhong", 2022, approved).ok());
  // A teacher whose record names no registered school yet: the county vouches, as before.
  EXPECT_TRUE(CheckResearchPlanApproved("410225", "", 2022, approved).ok());
}

}  // namespace
}  // namespace peixun::enrollment::domain
