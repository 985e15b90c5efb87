// Evaluation's pure rules, one group per rule id (DOMAIN.md §5).
#include "services/evaluation/domain/evaluation_rules.h"

#include <algorithm>

#include "common/util/status.h"
#include "gtest/gtest.h"

namespace peixun::evaluation::domain {
namespace {

v1::Indicator Item(const std::string& code, const std::string& name, int tenths) {
  v1::Indicator node;
  node.set_code(code);
  node.set_display_name(name);
  node.set_max_score_tenths(tenths);
  return node;
}

TEST(R18Rubric, TheWorkshopTableOfSeed003IsRefusedNamingEveryNodeThatDoesNotSum) {
  // 教师工作坊 evaluation table (seed 003): 日常研修 claims 40 with items 10+15+5+5, and
  // 保障落实 claims 30 with items 15+5+5.
  v1::RubricVersion workshop;
  auto section = [&](const std::string& code, const std::string& name, int points,
                     std::vector<int> items) {
    v1::Indicator node = Item(code, name, points * 10);
    for (size_t i = 0; i < items.size(); ++i) {
      *node.add_children() = Item(code + "." + std::to_string(i + 1), name + "细则", items[i] * 10);
    }
    *workshop.add_indicators() = node;
  };
  section("1", "制度建设", 10, {5, 5});
  section("2", "日常研修", 40, {10, 15, 5, 5});
  section("3", "成果呈现", 20, {10, 10});
  section("4", "保障落实", 30, {15, 5, 5});
  workshop.set_total_score_tenths(1000);
  absl::Status status = ValidateRubric(workshop);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << "the input alone breaks R-18";
  EXPECT_EQ(RuleOf(status), "R-18");
  const std::string message(status.message());
  EXPECT_NE(message.find("R-18"), std::string::npos) << message;
  EXPECT_NE(message.find("日常研修 (2) is worth 40.0 but its items sum to 35.0"), std::string::npos)
      << message;
  EXPECT_NE(message.find("保障落实 (4) is worth 30.0 but its items sum to 25.0"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("制度建设 (1) is worth"), std::string::npos) << message;

  // Fixed as the seed's totals say (items scaled to their section), it passes.
  workshop.mutable_indicators(1)->mutable_children(0)->set_max_score_tenths(150);
  workshop.mutable_indicators(3)->mutable_children(0)->set_max_score_tenths(200);
  EXPECT_TRUE(ValidateRubric(workshop).ok()) << ValidateRubric(workshop);
}

TEST(R18Rubric, CodesAreUniqueMaximaPositiveAndTheTotalMatches) {
  v1::RubricVersion rubric;
  *rubric.add_indicators() = Item("1", "甲", 500);
  *rubric.add_indicators() = Item("1", "乙", 500);
  EXPECT_NE(ValidateRubric(rubric).message().find("code 1 is used twice"), std::string::npos);
  rubric.mutable_indicators(1)->set_code("2");
  rubric.mutable_indicators(1)->set_max_score_tenths(0);
  EXPECT_NE(ValidateRubric(rubric).message().find("乙 (2) has maximum 0.0"), std::string::npos);
  rubric.mutable_indicators(1)->set_max_score_tenths(400);
  rubric.set_total_score_tenths(1000);
  EXPECT_NE(ValidateRubric(rubric).message().find(
                "worth 100.0 but its first-level indicators sum to 90.0"),
            std::string::npos);
  EXPECT_EQ(ValidateRubric(v1::RubricVersion()).code(), absl::StatusCode::kInvalidArgument);
}

TEST(R19Rubric, ProjectCountyRubricHasFiveAndSixteenIndicatorsWorth100) {
  v1::RubricVersion rubric = ProjectCountyRubric();
  EXPECT_TRUE(ValidateRubric(rubric).ok()) << ValidateRubric(rubric);
  EXPECT_EQ(rubric.indicators_size(), 5);
  EXPECT_EQ(rubric.total_score_tenths(), 1000);
  auto leaves = Leaves(rubric);
  // Seed 003's table (and DOMAIN.md's) has 2+3+5+3+3 = 16 second-level indicators; issue 4
  // says seventeen, the source documents do not.
  EXPECT_EQ(leaves.size(), 16u);
  ASSERT_EQ(leaves.count("2.2"), 1u);
  EXPECT_EQ(leaves["2.2"]->display_name(), "组织实施");
  EXPECT_EQ(leaves["2.2"]->max_score_tenths(), 120);
  int automatic = 0;
  for (const auto& [code, leaf] : leaves) automatic += leaf->automatic_deductions() ? 1 : 0;
  EXPECT_EQ(automatic, 1);
  EXPECT_EQ(rubric.indicators(2).display_name(), "教师发展支持服务体系建设");
  EXPECT_EQ(rubric.indicators(2).max_score_tenths(), 400);
}

TEST(R20Deductions, OnePointPerPersonLineByLineNeverBelowZero) {
  EnrollmentFacts facts;
  facts.under_reported = 2;
  facts.no_shows = 1;
  facts.ineligible = 1;
  auto lines = Deductions(facts, 120);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].kind, "少报");
  EXPECT_EQ(lines[0].points_tenths, 20);
  EXPECT_EQ(lines[1].kind, "缺培");
  EXPECT_EQ(lines[1].points_tenths, 10);
  EXPECT_EQ(lines[2].kind, "学员不符合遴选条件");
  EXPECT_EQ(lines[2].points_tenths, 10);

  // 15 persons against a panel score of 12.0: the lines stop at 12.0 in all.
  facts = EnrollmentFacts{};
  facts.under_reported = 9;
  facts.not_completed = 6;
  lines = Deductions(facts, 120);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].points_tenths, 90);
  EXPECT_EQ(lines[1].count, 6);
  EXPECT_EQ(lines[1].points_tenths, 30);  // capped: 6 persons, 3.0 points left
  EXPECT_TRUE(Deductions(EnrollmentFacts{}, 120).empty());
}

TEST(R21Grades, BoundariesAreInclusiveAndThePolicyDecides) {
  const v1::GradePolicy policy = DefaultGradePolicy();
  EXPECT_TRUE(ValidateGradePolicy(policy).ok());
  EXPECT_EQ(GradeOf(1000, policy), v1::EXCELLENT);
  EXPECT_EQ(GradeOf(900, policy), v1::EXCELLENT);
  EXPECT_EQ(GradeOf(899, policy), v1::QUALIFIED);
  EXPECT_EQ(GradeOf(750, policy), v1::QUALIFIED);
  EXPECT_EQ(GradeOf(749, policy), v1::UNQUALIFIED);
  EXPECT_EQ(GradeOf(0, policy), v1::UNQUALIFIED);
  v1::GradePolicy stricter = policy;
  stricter.set_excellent_from_tenths(920);
  EXPECT_EQ(GradeOf(910, stricter), v1::QUALIFIED);
  stricter.set_qualified_from_tenths(950);
  EXPECT_NE(ValidateGradePolicy(stricter).message().find("grade_policy.qualified_from_tenths"),
            std::string::npos);
}

TEST(R22PanelScore, MeanAndTrimmedMeanRoundHalfUpToATenth) {
  EXPECT_EQ(*PanelScore({100, 101}, v1::MEAN), 101);                    // 100.5 -> 101
  EXPECT_EQ(*PanelScore({100, 100, 101}, v1::MEAN), 100);               // 100.33 -> 100
  EXPECT_EQ(*PanelScore({100, 101, 101}, v1::MEAN), 101);               // 100.67 -> 101
  EXPECT_EQ(*PanelScore({0, 80, 90, 100, 120}, v1::TRIMMED_MEAN), 90);  // drops 0 and 120
  EXPECT_EQ(*PanelScore({0, 80, 90, 100, 120}, v1::MEAN), 78);
  EXPECT_EQ(PanelScore({80, 90}, v1::TRIMMED_MEAN).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(PanelScore({}, v1::MEAN).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(R22PanelScore, ExpertsFarApartFlagTheIndicator) {
  EXPECT_TRUE(NeedsReconciliation({40, 80, 60}, 30));
  EXPECT_FALSE(NeedsReconciliation({40, 70, 60}, 30));  // exactly the threshold is fine
  EXPECT_FALSE(NeedsReconciliation({0, 120}, 0));       // no threshold, no flag
  EXPECT_FALSE(NeedsReconciliation({50}, 10));
}

TEST(R23Ranks, EqualTotalsShareARankAndTheNextSkips) {
  EXPECT_EQ(Ranks({850, 920, 850, 700}), (std::vector<int>{2, 1, 2, 4}));
  EXPECT_EQ(Ranks({}), std::vector<int>{});
  EXPECT_EQ(PointsText(125), "12.5");
  EXPECT_EQ(PointsText(-5), "-0.5");
}

TEST(R18Rubric, TheDemonstrationSchoolTableIsRefusedAsPrintedAndAddsUpOnceFixed) {
  absl::Status printed = ValidateRubric(DemonstrationSchoolRubricAsPrinted());
  EXPECT_EQ(printed.code(), absl::StatusCode::kInvalidArgument);
  for (const char* node : {"日常研修 (2) is worth 40.0 but its items sum to 35.0",
                           "成果呈现 (3) is worth 20.0 but its items sum to 15.0",
                           "保障落实 (4) is worth 20.0 but its items sum to 30.0"}) {
    EXPECT_NE(printed.message().find(node), std::string::npos) << printed.message();
  }
  EXPECT_EQ(printed.message().find("制度建设"), std::string::npos) << printed.message();
  const v1::RubricVersion fixed = DemonstrationSchoolRubric();
  EXPECT_TRUE(ValidateRubric(fixed).ok()) << ValidateRubric(fixed);
  EXPECT_EQ(fixed.indicators(1).max_score_tenths(), 350);
  EXPECT_EQ(Leaves(fixed).size(), 13u);
}

TEST(R20Rubric, AutomaticDeductionsGoOnOneLeafOnly) {
  v1::RubricVersion rubric = ProjectCountyRubric();
  rubric.mutable_indicators(1)->set_automatic_deductions(true);  // a parent
  absl::Status status = ValidateRubric(rubric);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(
                "项目县国培项目组织实施 (2) takes automatic deductions but is not a leaf"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("2 indicators take automatic deductions"), std::string::npos)
      << status.message();
}

TEST(R20Rubric, DeductionsCountNationalProjectsUnlessTheAutomaticIndicatorNamesLevels) {
  v1::RubricVersion rubric = ProjectCountyRubric();
  EXPECT_EQ(DeductedPlanLevels(rubric), std::vector<common::v1::PlanLevel>{common::v1::NATIONAL});
  v1::Indicator* automatic = rubric.mutable_indicators(1)->mutable_children(1);
  ASSERT_TRUE(automatic->automatic_deductions());
  automatic->add_deducted_plan_levels(common::v1::NATIONAL);
  automatic->add_deducted_plan_levels(common::v1::PROVINCIAL);
  EXPECT_TRUE(ValidateRubric(rubric).ok()) << ValidateRubric(rubric);
  EXPECT_EQ(DeductedPlanLevels(rubric),
            (std::vector<common::v1::PlanLevel>{common::v1::NATIONAL, common::v1::PROVINCIAL}));
  automatic->add_deducted_plan_levels(common::v1::PROVINCIAL);
  absl::Status twice = ValidateRubric(rubric);
  EXPECT_NE(twice.message().find("names the deducted plan level PROVINCIAL twice"),
            std::string::npos)
      << twice.message();
  rubric = ProjectCountyRubric();
  rubric.mutable_indicators(0)->mutable_children(0)->add_deducted_plan_levels(common::v1::NATIONAL);
  absl::Status misplaced = ValidateRubric(rubric);
  EXPECT_EQ(misplaced.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(misplaced.message().find("names deducted plan levels but takes no automatic"),
            std::string::npos)
      << misplaced.message();
}

// Every leaf of the project-county rubric scored `tenths_below_max` under its maximum by `expert`.
v1::ScoreSheet SheetBelowMax(const std::string& expert, int tenths_below_max) {
  v1::ScoreSheet sheet;
  sheet.set_expert(expert);
  static const v1::RubricVersion rubric = ProjectCountyRubric();
  for (const auto& [code, leaf] : Leaves(rubric)) {
    auto* score = sheet.add_scores();
    score->set_indicator(code);
    score->set_score_tenths(std::max(0, leaf->max_score_tenths() - tenths_below_max));
    score->set_evidence(v1::MATERIAL_REVIEW);
  }
  return sheet;
}

const v1::ResultExplanation::IndicatorLine& LineOf(const v1::ResultExplanation& e,
                                                   const std::string& code) {
  for (const auto& line : e.lines()) {
    if (line.indicator() == code) return line;
  }
  static v1::ResultExplanation::IndicatorLine none;
  ADD_FAILURE() << "no line " << code;
  return none;
}

TEST(R20R22ExplainCounty, PanelMeanLessDeductionsGivesTotalAndGrade) {
  PanelInput input;
  input.county = "regions/410225";
  input.sheets = {SheetBelowMax("expert-a", 0),
                  SheetBelowMax("expert-b", 5)};  // 16 leaves, 0.5 apart
  input.figures = FetchedFacts{{6, 1, 1, 0}, "enrollment rate report", {}};
  RoundRules rules;
  rules.disagreement_threshold_tenths = 30;
  rules.grade_policy = DefaultGradePolicy();
  auto explained = ExplainCounty(ProjectCountyRubric(), input, rules);
  ASSERT_TRUE(explained.ok()) << explained.status();
  // 21 lines: 5 first-level and 16 second-level, parents before their items.
  ASSERT_EQ(explained->lines_size(), 21);
  EXPECT_EQ(explained->lines(0).indicator(), "1");
  EXPECT_EQ(explained->lines(1).indicator(), "1.1");
  // 2.2 组织实施: mean of 120 and 115 is 117.5 -> 118 (half up); 8 persons cost 80 tenths.
  const auto& organised = LineOf(*explained, "2.2");
  EXPECT_EQ(organised.panel_score_tenths(), 118);
  ASSERT_EQ(organised.deductions_size(), 3);
  EXPECT_EQ(organised.deductions(0).kind(), "少报");
  EXPECT_EQ(organised.deductions(0).points_tenths(), 60);
  EXPECT_EQ(organised.final_score_tenths(), 38);
  EXPECT_EQ(organised.expert_scores_size(), 2);
  EXPECT_FALSE(organised.flagged());
  // The parent sums its items: 2.1 (4.0 and 3.5 -> 3.8), 2.2 final 3.8, 2.3 3.8.
  EXPECT_EQ(LineOf(*explained, "2").final_score_tenths(), 38 + 38 + 38);
  // Every leaf's mean of M and M - 0.5 rounds half up to M - 0.2, so the panel gives
  // 100 - 16 * 0.2 = 96.8; less 8 points that is 88.8, qualified.
  EXPECT_EQ(explained->result().total_tenths(), 1000 - 16 * 2 - 80);
  EXPECT_EQ(explained->result().grade(), v1::QUALIFIED);
  EXPECT_EQ(explained->grade_policy().excellent_from_tenths(), 900);
}

TEST(R20R22ExplainCounty, DeductionsStopAtZeroAndDisagreementFlagsUntilAReconcilerScores) {
  PanelInput input;
  input.county = "regions/410225";
  input.sheets = {SheetBelowMax("expert-a", 0), SheetBelowMax("expert-b", 40)};
  input.figures = FetchedFacts{{20, 0, 0, 3}, "enrollment rate report", {}};
  RoundRules rules;
  rules.disagreement_threshold_tenths = 30;
  rules.grade_policy = DefaultGradePolicy();
  auto explained = ExplainCounty(ProjectCountyRubric(), input, rules);
  ASSERT_TRUE(explained.ok()) << explained.status();
  const auto& organised = LineOf(*explained, "2.2");
  EXPECT_EQ(organised.final_score_tenths(), 0);
  ASSERT_EQ(organised.deductions_size(), 2);
  EXPECT_EQ(organised.deductions(0).points_tenths(), organised.panel_score_tenths());
  EXPECT_EQ(organised.deductions(1).kind(), "学员不符合遴选条件");
  EXPECT_EQ(organised.deductions(1).points_tenths(), 0);
  // 4.0 apart on leaves worth more than 3.0: flagged (1.1 is worth 3.0, so 3.0 apart only).
  EXPECT_TRUE(organised.flagged());
  EXPECT_FALSE(LineOf(*explained, "1.1").flagged());
  EXPECT_EQ(explained->result().flagged_indicators_size(), 14);
  // A reconciler's score on an indicator clears its flag.
  v1::ScoreSheet third = SheetBelowMax("expert-c", 20);
  input.sheets.push_back(third);
  input.reconcilers = {"expert-c"};
  explained = ExplainCounty(ProjectCountyRubric(), input, rules);
  ASSERT_TRUE(explained.ok());
  EXPECT_EQ(explained->result().flagged_indicators_size(), 0);
}

TEST(R22ExplainCounty, AnUnscoredIndicatorIsNamedAndTrimmedMeanNeedsThree) {
  PanelInput input;
  input.county = "regions/410225";
  input.sheets = {SheetBelowMax("expert-a", 0)};
  input.sheets[0].mutable_scores()->RemoveLast();
  RoundRules rules;
  rules.grade_policy = DefaultGradePolicy();
  auto missing = ExplainCounty(ProjectCountyRubric(), input, rules);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find(
                "regions/410225 has 1 indicator(s) no expert has scored: 5.3 县级教师培训生态"),
            std::string::npos)
      << missing.status();
  input.sheets = {SheetBelowMax("expert-a", 0), SheetBelowMax("expert-b", 0)};
  rules.aggregation = v1::TRIMMED_MEAN;
  auto trimmed = ExplainCounty(ProjectCountyRubric(), input, rules);
  EXPECT_EQ(trimmed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(trimmed.status().message().find("at least 3"), std::string::npos) << trimmed.status();
}

}  // namespace
}  // namespace peixun::evaluation::domain
