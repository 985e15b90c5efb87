// Unit tests of the decisions of a state change, named for their rules.
#include "services/enrollment/domain/transitions.h"

#include "gtest/gtest.h"

namespace peixun::enrollment::domain {
namespace {

// A training from 2022-07-11 to 2022-07-15 giving 40 credit hours; a bar of three years.
TransitionFacts Facts(v1::EnrollmentState from, v1::EnrollmentState to, absl::CivilDay today) {
  TransitionFacts facts;
  facts.from = from;
  facts.to = to;
  facts.today = today;
  facts.training = {absl::CivilDay(2022, 7, 11), absl::CivilDay(2022, 7, 15)};
  facts.project_credit_hours = 40;
  facts.reason = "by the host's register";
  facts.bar_policy.years = 3;
  return facts;
}

TEST(R15, CompletionRegistersTheProjectsHoursAndNothingElseDoes) {
  auto completed =
      DecideTransition(Facts(v1::CHECKED_IN, v1::COMPLETED, absl::CivilDay(2022, 7, 15)));
  ASSERT_TRUE(completed.ok()) << completed.status();
  EXPECT_EQ(completed->credit_hours, 40);
  EXPECT_FALSE(completed->bar.has_value());
  EXPECT_EQ(completed->history_reason, "by the host's register");

  auto arrived =
      DecideTransition(Facts(v1::NOMINATED, v1::CHECKED_IN, absl::CivilDay(2022, 7, 11)));
  ASSERT_TRUE(arrived.ok()) << arrived.status();
  EXPECT_EQ(arrived->credit_hours, 0);
}

TEST(R11, StepsAndDaysAreCheckedBeforeAnythingIsDecided) {
  auto early = DecideTransition(Facts(v1::CHECKED_IN, v1::COMPLETED, absl::CivilDay(2022, 7, 14)));
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(early.status().message().find("2022-07-15"), std::string::npos)
      << early.status().message();
  auto skipped = DecideTransition(Facts(v1::NOMINATED, v1::COMPLETED, absl::CivilDay(2022, 7, 20)));
  EXPECT_EQ(skipped.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(skipped.status().message().find("R-11"), std::string::npos);
}

TEST(R11, AWithdrawalClosesWithTheDeadlineAndNeedsTheYearInTheCopy) {
  TransitionFacts facts = Facts(v1::NOMINATED, v1::WITHDRAWN, absl::CivilDay(2022, 6, 1));
  EXPECT_EQ(DecideTransition(facts).status().code(), absl::StatusCode::kUnavailable);
  facts.deadline = absl::CivilDay(2022, 6, 1);
  EXPECT_TRUE(DecideTransition(facts).ok());
  facts.today = absl::CivilDay(2022, 6, 2);
  auto late = DecideTransition(facts);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("R-7"), std::string::npos) << late.status().message();
}

TEST(R12, OutcomesBarForThePolicysYearsFromTheTrainingsLastDay) {
  auto dismissed =
      DecideTransition(Facts(v1::CHECKED_IN, v1::DISMISSED, absl::CivilDay(2022, 7, 12)));
  ASSERT_TRUE(dismissed.ok()) << dismissed.status();
  ASSERT_TRUE(dismissed->bar.has_value());
  EXPECT_EQ(dismissed->bar->cause, v1::DISMISSED);
  EXPECT_EQ(dismissed->bar->start, absl::CivilDay(2022, 7, 15));
  EXPECT_EQ(dismissed->bar->end, absl::CivilDay(2025, 7, 15));

  TransitionFacts two_years = Facts(v1::NOMINATED, v1::NO_SHOW, absl::CivilDay(2022, 7, 11));
  two_years.bar_policy.years = 2;
  auto no_show = DecideTransition(two_years);
  ASSERT_TRUE(no_show.ok()) << no_show.status();
  ASSERT_TRUE(no_show->bar.has_value());
  EXPECT_EQ(no_show->bar->end, absl::CivilDay(2024, 7, 15));
}

TEST(R12, ASpecialReasonWaitsForTheProvinceAndARefusalBars) {
  TransitionFacts facts = Facts(v1::NOMINATED, v1::NO_SHOW, absl::CivilDay(2022, 7, 11));
  facts.special_reason = "住院治疗";
  auto pending = DecideTransition(facts);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(pending->review, v1::Enrollment::PENDING);
  EXPECT_EQ(pending->history_reason, "住院治疗");
  EXPECT_FALSE(pending->bar.has_value());

  v1::Enrollment enrollment;
  enrollment.set_name("enrollments/e1");
  enrollment.set_state(v1::NO_SHOW);
  enrollment.set_no_show_review(v1::Enrollment::PENDING);
  BlacklistPolicy policy;
  auto approved = DecideNoShowReview(enrollment, true, "", absl::CivilDay(2022, 7, 15), policy);
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->review, v1::Enrollment::APPROVED);
  EXPECT_EQ(approved->history_reason, "special reason approved");
  EXPECT_FALSE(approved->bar.has_value());
  auto refused =
      DecideNoShowReview(enrollment, false, "证明不全", absl::CivilDay(2022, 7, 15), policy);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->history_reason, "special reason refused: 证明不全");
  ASSERT_TRUE(refused->bar.has_value());
  EXPECT_EQ(refused->bar->end, absl::CivilDay(2025, 7, 15));

  enrollment.set_no_show_review(v1::Enrollment::REFUSED);
  auto again = DecideNoShowReview(enrollment, true, "", absl::CivilDay(2022, 7, 15), policy);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("enrollments/e1"), std::string::npos);
}

TEST(R9, OnlyATraineeWhoCameOnATrainingDayIsFoundIneligibleOnce) {
  const TrainingDays training{absl::CivilDay(2022, 7, 11), absl::CivilDay(2022, 7, 15)};
  v1::Enrollment enrollment;
  enrollment.set_name("enrollments/e2");
  enrollment.set_state(v1::CHECKED_IN);
  EXPECT_TRUE(CheckFoundIneligible(enrollment, absl::CivilDay(2022, 7, 11), training).ok());
  EXPECT_EQ(CheckFoundIneligible(enrollment, absl::CivilDay(2022, 7, 10), training).code(),
            absl::StatusCode::kFailedPrecondition);
  enrollment.set_found_ineligible("任教学段不符");
  auto twice = CheckFoundIneligible(enrollment, absl::CivilDay(2022, 7, 12), training);
  EXPECT_NE(twice.message().find("already reported"), std::string::npos) << twice.message();
  enrollment.clear_found_ineligible();
  enrollment.set_state(v1::WITHDRAWN);
  auto withdrawn = CheckFoundIneligible(enrollment, absl::CivilDay(2022, 7, 12), training);
  EXPECT_NE(withdrawn.message().find("R-9"), std::string::npos) << withdrawn.message();
}

}  // namespace
}  // namespace peixun::enrollment::domain
