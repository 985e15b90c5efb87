// Unit tests of enrollment's rules, named for their DOMAIN.md ids.
#include "services/enrollment/domain/enrollment_rules.h"

#include "common/util/status.h"
#include "gtest/gtest.h"

namespace peixun::enrollment::domain {
namespace {

// Check characters computed independently (ISO 7064 MOD 11-2); the first is GB 11643's own example.
constexpr char kStandardExample[] = "11010519491231002X";
constexpr char kLankao[] = "410225198507150018";     // 兰考县, 1985-07-15
constexpr char kGuangshan[] = "411522199003020044";  // 光山县, 1990-03-02

v1::Teacher RuralTeacher() {
  v1::Teacher t;
  t.set_id_number(kLankao);
  t.set_display_name("张老师");
  t.set_school("兰考县第一小学");
  t.set_county("regions/410225");
  t.set_stage(common::v1::PRIMARY);
  t.add_subjects("语文");
  t.set_rural(true);
  t.set_teaching_since_year(2012);
  t.add_roles(common::v1::BACKBONE_TEACHER);
  return t;
}

TEST(GB11643, AcceptsValidNumbersAndMasksThem) {
  EXPECT_TRUE(ValidateIdNumber(kStandardExample, "id").ok());
  EXPECT_TRUE(ValidateIdNumber(kLankao, "id").ok());
  EXPECT_EQ(IdCheckCharacter(absl::string_view(kStandardExample, 17)), 'X');
  EXPECT_EQ(IdCheckCharacter(absl::string_view(kLankao, 17)), kLankao[17]);
  EXPECT_TRUE(ValidateIdNumber("11010519491231002x", "id").ok());
  EXPECT_EQ(MaskIdNumber(kLankao), "4102**********0018");
  EXPECT_EQ(BirthDateOf(kGuangshan), absl::CivilDay(1990, 3, 2));
}

TEST(GB11643, RefusesWrongChecksumLengthAndDateNamingTheField) {
  auto status = ValidateIdNumber("410225198507150019", "teacher.id_number");
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().rfind("teacher.id_number:", 0), 0u);
  EXPECT_NE(status.message().find("check character"), std::string::npos);
  EXPECT_FALSE(ValidateIdNumber("41022519850715001", "id").ok());
  EXPECT_FALSE(ValidateIdNumber("4102251985071500A8", "id").ok());
  // 1985-02-30 with a correct check character is still refused.
  auto bad_date = ValidateIdNumber("410225198502300013", "id");
  ASSERT_EQ(bad_date.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_date.message().find("birth date"), std::string::npos);
}

TEST(Teacher, ValidatesFieldsAgainstTheIdNumber) {
  v1::Teacher t = RuralTeacher();
  EXPECT_TRUE(ValidateTeacher(t, 2022).ok());
  t.mutable_birth_date()->set_year(1986);
  t.mutable_birth_date()->set_month(7);
  t.mutable_birth_date()->set_day(15);
  auto status = ValidateTeacher(t, 2022);
  EXPECT_EQ(status.message().rfind("teacher.birth_date:", 0), 0u) << status;
  t = RuralTeacher();
  t.set_teaching_since_year(2030);
  EXPECT_EQ(ValidateTeacher(t, 2022).message().rfind("teacher.teaching_since_year:", 0), 0u);
  t = RuralTeacher();
  t.set_stage(common::v1::STAGE_UNSPECIFIED);
  EXPECT_EQ(ValidateTeacher(t, 2022).message().rfind("teacher.stage:", 0), 0u);
}

TEST(R11Lifecycle, AllowsExactlyTheDocumentedTransitions) {
  const v1::EnrollmentState all[] = {v1::NOMINATED, v1::CHECKED_IN,    v1::COMPLETED,
                                     v1::DISMISSED, v1::NOT_COMPLETED, v1::NO_SHOW,
                                     v1::WITHDRAWN};
  int allowed = 0;
  for (auto from : all) {
    for (auto to : all) {
      if (CheckTransition(from, to).ok()) ++allowed;
    }
  }
  EXPECT_EQ(allowed, 6);
  EXPECT_TRUE(CheckTransition(v1::NOMINATED, v1::WITHDRAWN).ok());
  EXPECT_TRUE(CheckTransition(v1::CHECKED_IN, v1::NOT_COMPLETED).ok());
  auto refused = CheckTransition(v1::CHECKED_IN, v1::WITHDRAWN);
  ASSERT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message().rfind("R-11", 0), 0u);
  EXPECT_NE(refused.message().find("CHECKED_IN"), std::string::npos);
  EXPECT_FALSE(CheckTransition(v1::COMPLETED, v1::DISMISSED).ok());
  EXPECT_FALSE(CheckTransition(v1::NOMINATED, v1::COMPLETED).ok());
}

TEST(R11Lifecycle, ArrivalFromTheFirstTrainingDayAndCompletionFromTheLast) {
  const TrainingDays training{absl::CivilDay(2022, 10, 10), absl::CivilDay(2022, 10, 19)};
  auto early = CheckTransitionDay(v1::CHECKED_IN, absl::CivilDay(2022, 10, 9), training);
  ASSERT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RuleOf(early), "R-11");
  EXPECT_NE(early.message().find("starts on 2022-10-10"), std::string::npos) << early;
  EXPECT_TRUE(CheckTransitionDay(v1::CHECKED_IN, training.start, training).ok());
  EXPECT_FALSE(CheckTransitionDay(v1::NO_SHOW, absl::CivilDay(2022, 10, 9), training).ok());
  EXPECT_TRUE(CheckTransitionDay(v1::NO_SHOW, training.start, training).ok());
  EXPECT_TRUE(CheckTransitionDay(v1::DISMISSED, absl::CivilDay(2022, 10, 12), training).ok());
  for (auto outcome : {v1::COMPLETED, v1::NOT_COMPLETED}) {
    auto before_end = CheckTransitionDay(outcome, absl::CivilDay(2022, 10, 18), training);
    EXPECT_EQ(RuleOf(before_end), "R-11");
    EXPECT_NE(before_end.message().find("ends on 2022-10-19"), std::string::npos) << before_end;
    EXPECT_TRUE(CheckTransitionDay(outcome, training.end, training).ok());
  }
  // A withdrawal is dated by the nomination deadline, not by the training.
  EXPECT_TRUE(CheckTransitionDay(v1::WITHDRAWN, absl::CivilDay(2022, 12, 1), training).ok());
}

TEST(R5Nomination, ClosesAtTheDeadlineOrTheTrainingsStartWhicheverIsFirst) {
  const absl::CivilDay deadline(2022, 8, 31);
  EXPECT_TRUE(
      CheckNominationOpen(absl::CivilDay(2022, 8, 20), deadline, absl::CivilDay(2022, 8, 21)).ok());
  auto started =
      CheckNominationOpen(absl::CivilDay(2022, 8, 21), deadline, absl::CivilDay(2022, 8, 21));
  EXPECT_EQ(RuleOf(started), "R-5");
  EXPECT_NE(started.message().find("started on 2022-08-21"), std::string::npos) << started;
  auto late =
      CheckNominationOpen(absl::CivilDay(2022, 9, 1), deadline, absl::CivilDay(2022, 10, 1));
  EXPECT_EQ(RuleOf(late), "R-7");
}

TEST(R7Nomination, DeadlineDayIsStillOpen) {
  absl::CivilDay deadline(2022, 8, 31);
  EXPECT_TRUE(CheckBeforeDeadline(deadline, deadline).ok());
  auto late = CheckBeforeDeadline(absl::CivilDay(2022, 9, 1), deadline);
  ASSERT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(late.message().rfind("R-7", 0), 0u);
  EXPECT_NE(late.message().find("2022-08-31"), std::string::npos);
}

TEST(R7Nomination, LastSeatThenExhausted) {
  EXPECT_TRUE(CheckSeatFree(10, 9, "兰考县").ok());
  auto full = CheckSeatFree(10, 10, "兰考县");
  ASSERT_EQ(full.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(full.message().find("quota exhausted"), std::string::npos);
  EXPECT_FALSE(CheckSeatFree(0, 0, "兰考县").ok());
}

TEST(R9Eligibility, EachAudienceRuleIsNamedWhenUnmet) {
  TeacherProfile profile{RuralTeacher(), "4102"};
  catalog_v1::AudienceRules audience;
  EXPECT_TRUE(CheckEligibility(audience, profile, 2022).ok());

  audience.set_rural_only(true);
  audience.set_min_teaching_years(5);
  audience.add_roles(common::v1::BACKBONE_TEACHER);
  audience.add_stages(common::v1::PRIMARY);
  audience.add_subjects("语文");
  audience.add_regions("regions/4102");
  EXPECT_TRUE(CheckEligibility(audience, profile, 2022).ok());

  auto expect_refused = [&](const TeacherProfile& p, const std::string& words) {
    auto status = CheckEligibility(audience, p, 2022);
    ASSERT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << words;
    EXPECT_EQ(status.message().rfind("R-9", 0), 0u);
    EXPECT_NE(status.message().find(words), std::string::npos) << status.message();
  };
  TeacherProfile urban = profile;
  urban.teacher.set_rural(false);
  expect_refused(urban, "rural teachers");
  TeacherProfile novice = profile;
  novice.teacher.set_teaching_since_year(2019);
  expect_refused(novice, "at least 5 years");
  TeacherProfile senior = profile;
  senior.teacher.set_stage(common::v1::SENIOR_SECONDARY);
  expect_refused(senior, "高中");
  TeacherProfile maths = profile;
  maths.teacher.clear_subjects();
  maths.teacher.add_subjects("数学");
  expect_refused(maths, "语文");
  TeacherProfile no_role = profile;
  no_role.teacher.clear_roles();
  expect_refused(no_role, "骨干教师");
  TeacherProfile elsewhere = profile;
  elsewhere.teacher.set_county("regions/411522");
  elsewhere.city_code = "4115";
  expect_refused(elsewhere, "regions/4102");
}

TEST(R9Eligibility, TeachingYearsBoundaryIsInclusive) {
  TeacherProfile profile{RuralTeacher(), "4102"};
  profile.teacher.set_teaching_since_year(2017);
  catalog_v1::AudienceRules audience;
  audience.set_min_teaching_years(5);
  EXPECT_TRUE(CheckEligibility(audience, profile, 2022).ok());
  EXPECT_FALSE(CheckEligibility(audience, profile, 2021).ok());
}

EnrollmentSpan Span(const std::string& project, const std::string& category, absl::CivilDay start,
                    absl::CivilDay end) {
  return {"enrollments/e-" + project,
          "years/2022/projects/" + project,
          project,
          "years/2022/categories/" + category,
          start.year() == 2022 ? 2022 : static_cast<int>(start.year()),
          start,
          end};
}

TEST(R13NoRepetition, RefusesOverlapSameCategoryAndSameProject) {
  std::vector<EnrollmentSpan> existing = {
      Span("a", "rural", absl::CivilDay(2022, 10, 10), absl::CivilDay(2022, 10, 24))};
  EXPECT_TRUE(CheckNoRepetition(existing, Span("b", "it", absl::CivilDay(2022, 10, 25),
                                               absl::CivilDay(2022, 11, 5)))
                  .ok());
  auto overlap = CheckNoRepetition(
      existing, Span("b", "it", absl::CivilDay(2022, 10, 24), absl::CivilDay(2022, 11, 5)));
  ASSERT_EQ(overlap.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(overlap.message().find("overlap"), std::string::npos);
  auto same_category = CheckNoRepetition(
      existing, Span("c", "rural", absl::CivilDay(2022, 12, 1), absl::CivilDay(2022, 12, 5)));
  ASSERT_EQ(same_category.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(same_category.message().find("category"), std::string::npos);
  EXPECT_EQ(CheckNoRepetition(existing, existing[0]).code(), absl::StatusCode::kAlreadyExists);
}

TEST(R12Blacklist, OutcomesThatBarAndForHowLong) {
  EXPECT_TRUE(CausesBlacklist(v1::DISMISSED, v1::Enrollment::REASON_REVIEW_UNSPECIFIED));
  EXPECT_TRUE(CausesBlacklist(v1::NOT_COMPLETED, v1::Enrollment::REASON_REVIEW_UNSPECIFIED));
  EXPECT_TRUE(CausesBlacklist(v1::NO_SHOW, v1::Enrollment::REASON_REVIEW_UNSPECIFIED));
  EXPECT_TRUE(CausesBlacklist(v1::NO_SHOW, v1::Enrollment::REFUSED));
  EXPECT_FALSE(CausesBlacklist(v1::NO_SHOW, v1::Enrollment::PENDING));
  EXPECT_FALSE(CausesBlacklist(v1::NO_SHOW, v1::Enrollment::APPROVED));
  EXPECT_FALSE(CausesBlacklist(v1::COMPLETED, v1::Enrollment::REASON_REVIEW_UNSPECIFIED));
  EXPECT_FALSE(CausesBlacklist(v1::WITHDRAWN, v1::Enrollment::REASON_REVIEW_UNSPECIFIED));
  BlacklistPolicy policy;
  EXPECT_EQ(BlacklistEnd(absl::CivilDay(2022, 10, 24), policy), absl::CivilDay(2025, 10, 24));
  EXPECT_EQ(BlacklistEnd(absl::CivilDay(2024, 2, 29), policy), absl::CivilDay(2027, 2, 28));
  // Judged against the training's first day: one that starts on the bar's last day is barred.
  auto barred =
      CheckNotBlacklisted(absl::CivilDay(2025, 10, 24), absl::CivilDay(2025, 10, 24), false);
  ASSERT_EQ(barred.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(barred.message().find("until 2025-10-24"), std::string::npos);
  EXPECT_NE(barred.message().find("starts on 2025-10-24"), std::string::npos);
  EXPECT_TRUE(
      CheckNotBlacklisted(absl::CivilDay(2025, 10, 25), absl::CivilDay(2025, 10, 24), false).ok());
  EXPECT_TRUE(
      CheckNotBlacklisted(absl::CivilDay(2023, 1, 1), absl::CivilDay(2025, 10, 24), true).ok());
}

TEST(R14Cycle, FiveYearCyclesFromTheAnchor) {
  CyclePolicy policy;
  EXPECT_EQ(CycleOf(2021, policy), std::make_pair(2021, 2025));
  EXPECT_EQ(CycleOf(2025, policy), std::make_pair(2021, 2025));
  EXPECT_EQ(CycleOf(2026, policy), std::make_pair(2026, 2030));
  EXPECT_EQ(CycleOf(2020, policy), std::make_pair(2016, 2020));
  EXPECT_EQ(policy.required_credit_hours, 360);
  EXPECT_EQ(policy.required_off_site_days, 7);
}

TEST(R12R14Policy, DefaultsValidationNamesTheFieldAndFiguresReachTheRules) {
  v1::EnrollmentPolicy policy = DefaultEnrollmentPolicy();
  EXPECT_EQ(policy.version(), 0);
  EXPECT_EQ(policy.blacklist_years(), 3);
  EXPECT_EQ(policy.cycle_anchor_year(), 2021);
  EXPECT_EQ(policy.cycle_years(), 5);
  EXPECT_EQ(policy.required_credit_hours(), 360);
  EXPECT_EQ(policy.required_off_site_days(), 7);
  EXPECT_TRUE(ValidateEnrollmentPolicy(policy).ok());
  v1::EnrollmentPolicy bad = policy;
  bad.set_blacklist_years(11);
  absl::Status status = ValidateEnrollmentPolicy(bad);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(
      status.message().find("enrollment_policy.blacklist_years: must be between 1 and 10, is 11"),
      std::string::npos)
      << status;
  bad = policy;
  bad.set_reason("");
  EXPECT_NE(ValidateEnrollmentPolicy(bad).message().find("enrollment_policy.reason"),
            std::string::npos);

  policy.set_blacklist_years(2);
  policy.set_cycle_anchor_year(2020);
  policy.set_cycle_years(3);
  EXPECT_EQ(BlacklistEnd(absl::CivilDay(2022, 10, 19), BlacklistPolicyOf(policy)),
            absl::CivilDay(2024, 10, 19));
  EXPECT_EQ(CycleOf(2022, CyclePolicyOf(policy)), std::make_pair(2020, 2022));
  EXPECT_EQ(CycleOf(2023, CyclePolicyOf(policy)), std::make_pair(2023, 2025));
}

TEST(R14R32Policy, WhatReportedHoursCountIsPartOfAVersionAndKeptWhenLeftUnset) {
  const v1::EnrollmentPolicy defaults = DefaultEnrollmentPolicy();
  EXPECT_EQ(defaults.research_hours_per_school_year(), 24);
  EXPECT_EQ(defaults.workshop_hours_per_day(), 6);
  EXPECT_EQ(defaults.workshop_hours_per_year(), 40);
  EXPECT_EQ(defaults.mentoring_hours(), 50);
  EXPECT_EQ(defaults.plan_submission_days(), 7);
  // A version that sets only the cycle's figures keeps what the version in force counts.
  v1::EnrollmentPolicy in_force = defaults;
  in_force.set_research_hours_per_school_year(30);
  v1::EnrollmentPolicy sent;
  sent.set_required_credit_hours(300);
  sent.set_plan_submission_days(14);
  const v1::EnrollmentPolicy made = WithHoursOfPolicyInForce(sent, in_force);
  EXPECT_EQ(made.required_credit_hours(), 300);
  EXPECT_EQ(made.research_hours_per_school_year(), 30);
  EXPECT_EQ(made.plan_submission_days(), 14);
  EXPECT_EQ(made.workshop_hours_per_year(), 40);
  const CyclePolicy cycle = CyclePolicyOf(made);
  EXPECT_EQ(cycle.research_hours_per_school_year, 30);
  EXPECT_EQ(cycle.plan_submission_days, 14);
  EXPECT_EQ(cycle.mentoring_hours, 50);
  v1::EnrollmentPolicy bad = defaults;
  bad.set_workshop_hours_per_day(25);
  EXPECT_NE(ValidateEnrollmentPolicy(bad).message().find(
                "enrollment_policy.workshop_hours_per_day: must be between 1 and 24, is 25"),
            std::string::npos);
  bad = defaults;
  bad.set_plan_submission_days(61);
  EXPECT_NE(ValidateEnrollmentPolicy(bad).message().find("enrollment_policy.plan_submission_days"),
            std::string::npos);
}

TEST(R16Rates, BasisPointsRoundHalfUpAndZeroDenominator) {
  EXPECT_EQ(RateBp(9, 10), 9000);
  EXPECT_EQ(RateBp(10, 10), 10000);
  EXPECT_EQ(RateBp(1, 3), 3333);
  EXPECT_EQ(RateBp(2, 3), 6667);
  EXPECT_EQ(RateBp(0, 0), 0);
}

}  // namespace
}  // namespace peixun::enrollment::domain

namespace peixun::enrollment::domain {
namespace {

TEST(R16RateRow, CountsOutcomesUnderReportsAndRates) {
  SeatCounts counts;
  counts.quota = 10;
  AddOutcome(counts, v1::COMPLETED, true, 1);
  AddOutcome(counts, v1::DISMISSED, true, 1);
  AddOutcome(counts, v1::CHECKED_IN, false, 1);
  AddOutcome(counts, v1::NO_SHOW, true, 1);
  AddOutcome(counts, v1::WITHDRAWN, true, 2);
  v1::RateRow row = ToRateRow("regions/410225", "兰考县", counts);
  EXPECT_EQ(row.nominated(), 4);
  EXPECT_EQ(row.withdrawn(), 2);
  EXPECT_EQ(row.checked_in(), 3);
  EXPECT_EQ(row.under_reported(), 6);         // 10 seats, 4 filled
  EXPECT_EQ(row.nomination_rate_bp(), 4000);  // 4 / 10
  EXPECT_EQ(row.check_in_rate_bp(), 7500);    // 3 / 4
  EXPECT_EQ(row.completion_rate_bp(), 3333);  // 1 / 3
  EXPECT_EQ(row.rural_share_bp(), 7500);      // 3 of 4 nominated are rural
  SeatCounts over;
  over.quota = 1;
  AddOutcome(over, v1::NOMINATED, false, 2);
  EXPECT_EQ(ToRateRow("k", "k", over).under_reported(), 0);
  Merge(counts, over);
  EXPECT_EQ(counts.quota, 11);
  EXPECT_EQ(counts.nominated, 6);
}

}  // namespace
}  // namespace peixun::enrollment::domain

namespace peixun::enrollment::domain {
namespace {

TEST(R14CycleProgress, CountsOnlyTheCurrentCycle) {
  std::vector<CompletedTraining> done = {
      {2020, 200, 15},  // previous cycle (2016-2020): not counted
      {2021, 120, 10},
      {2022, 240, 0},
  };
  v1::CycleProgress progress = ComputeCycleProgress("teachers/t1", done, 2022, CyclePolicy{});
  EXPECT_EQ(progress.cycle_start_year(), 2021);
  EXPECT_EQ(progress.cycle_end_year(), 2025);
  EXPECT_EQ(progress.credit_hours(), 360);
  EXPECT_EQ(progress.off_site_days(), 10);
  EXPECT_EQ(progress.missing_credit_hours(), 0);
  EXPECT_EQ(progress.missing_off_site_days(), 0);
  EXPECT_FALSE(AtRisk(progress));
  done.pop_back();
  progress = ComputeCycleProgress("teachers/t1", done, 2022, CyclePolicy{});
  EXPECT_EQ(progress.missing_credit_hours(), 240);
  EXPECT_TRUE(AtRisk(progress));
  progress = ComputeCycleProgress("teachers/t1", {{2022, 400, 6}}, 2022, CyclePolicy{});
  EXPECT_EQ(progress.missing_off_site_days(), 1);
  EXPECT_TRUE(AtRisk(progress));
}

}  // namespace
}  // namespace peixun::enrollment::domain
