// Unit tests of a round's steps from scoring to publication
// (services/evaluation/domain/panel_rules), named for their DOMAIN.md ids.
#include "services/evaluation/domain/panel_rules.h"

#include <algorithm>

#include "common/util/status.h"
#include "gtest/gtest.h"

namespace peixun::evaluation::domain {
namespace {

const v1::RubricVersion& Rubric() {
  static const v1::RubricVersion rubric = ProjectCountyRubric();
  return rubric;
}

// Every leaf scored `below` tenths under its maximum by `expert`.
v1::ScoreSheet Sheet(const std::string& expert, int below) {
  v1::ScoreSheet sheet;
  sheet.set_expert(expert);
  for (const auto& [code, leaf] : Leaves(Rubric())) {
    auto* score = sheet.add_scores();
    score->set_indicator(code);
    score->set_score_tenths(std::max(0, leaf->max_score_tenths() - below));
    score->set_evidence(v1::MATERIAL_REVIEW);
  }
  return sheet;
}

v1::Round Round(const std::vector<std::string>& counties) {
  v1::Round round;
  round.set_name("years/2022/rounds/county-2022");
  round.set_state(v1::Round::SCORING);
  for (const auto& county : counties) round.add_counties(county);
  return round;
}

RoundRules Rules() {
  RoundRules rules;
  rules.disagreement_threshold_tenths = 30;
  rules.grade_policy = DefaultGradePolicy();
  return rules;
}

PanelInput Input(const std::string& county, std::vector<v1::ScoreSheet> sheets) {
  PanelInput input;
  input.county = county;
  input.sheets = std::move(sheets);
  return input;
}

TEST(R19Scores, ScoresAsSentNameTheScoreThatIsWrong) {
  IndicatorScores scores;
  auto* first = scores.Add();
  first->set_indicator("1.1");
  first->set_evidence(v1::ON_SITE);
  auto* twice = scores.Add();
  twice->set_indicator("1.1");
  twice->set_evidence(v1::ON_SITE);
  absl::Status status = CheckScoreShapes(scores, "scores");
  EXPECT_EQ(FieldOf(status), "scores[1].indicator") << status;
  twice->set_indicator("1.2");
  twice->clear_evidence();
  EXPECT_EQ(FieldOf(CheckScoreShapes(scores, "scores")), "scores[1].evidence");
  EXPECT_EQ(FieldOf(CheckScoreShapes(IndicatorScores(), "scores")), "scores");
}

TEST(R19Scores, OnlyLeavesOfTheRubricWithinTheirMaximum) {
  IndicatorScores scores;
  auto* parent = scores.Add();
  parent->set_indicator("1");
  absl::Status status = CheckScoresAgainstRubric(scores, Rubric(), "scores");
  EXPECT_EQ(FieldOf(status), "scores[0].indicator");
  EXPECT_NE(status.message().find("1.1"), std::string::npos) << status;  // lists the leaves
  parent->set_indicator("1.1");
  const int max = Leaves(Rubric()).at("1.1")->max_score_tenths();
  parent->set_score_tenths(max + 1);
  status = CheckScoresAgainstRubric(scores, Rubric(), "scores");
  EXPECT_EQ(FieldOf(status), "scores[0].score_tenths");
  parent->set_score_tenths(max);
  EXPECT_TRUE(CheckScoresAgainstRubric(scores, Rubric(), "scores").ok());
}

TEST(R22Disagreement, OnlyLeavesScoredFurtherApartThanTheThresholdAreFlagged) {
  v1::ScoreSheet far = Sheet("expert-b", 0);
  for (auto& score : *far.mutable_scores()) {
    if (score.indicator() == "2.2") score.set_score_tenths(score.score_tenths() - 40);
  }
  EXPECT_EQ(DisagreedIndicators({Sheet("expert-a", 0), far}, 30), std::vector<std::string>{"2.2"});
  EXPECT_TRUE(DisagreedIndicators({Sheet("expert-a", 0), Sheet("expert-b", 20)}, 30).empty());
}

TEST(R20Deductions, TheProjectCountyRubricHasOneAutomaticLeaf) {
  const v1::Indicator* automatic = AutomaticIndicator(Rubric());
  ASSERT_NE(automatic, nullptr);
  EXPECT_TRUE(automatic->automatic_deductions());
  v1::RubricVersion none = Rubric();
  for (auto& top : *none.mutable_indicators()) {
    for (auto& leaf : *top.mutable_children()) leaf.set_automatic_deductions(false);
  }
  EXPECT_EQ(AutomaticIndicator(none), nullptr);
}

TEST(R23Results, TheRoundsCountiesAreRankedTogetherTiesSharingARank) {
  const v1::Round round = Round({"regions/410225", "regions/410223", "regions/411723"});
  auto results = ComputeRoundResults(round, Rubric(),
                                     {Input("regions/410225", {Sheet("a", 5), Sheet("b", 5)}),
                                      Input("regions/410223", {Sheet("a", 0), Sheet("b", 0)}),
                                      Input("regions/411723", {Sheet("a", 5), Sheet("b", 5)})},
                                     Rules());
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ((*results)[0].result().name(), "years/2022/rounds/county-2022/results/410225");
  EXPECT_EQ((*results)[0].result().revision(), 1);
  EXPECT_EQ((*results)[1].result().rank(), 1);
  EXPECT_EQ((*results)[0].result().rank(), 2);
  EXPECT_EQ((*results)[2].result().rank(), 2);
}

TEST(R23Results, CountiesThatCannotBeComputedAreCountedAndNamed) {
  const v1::Round round = Round({"regions/410225", "regions/410223"});
  auto results = ComputeRoundResults(
      round, Rubric(), {Input("regions/410225", {Sheet("a", 0)}), Input("regions/410223", {})},
      Rules());
  ASSERT_EQ(results.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(results.status().message().find("1 of 2 counties cannot be computed yet"),
            std::string::npos)
      << results.status();
}

TEST(R23Revision, ARevisedCountyIsRankedAmongTheOthersNewestTotals) {
  const std::map<std::string, int> totals = {{"410225", 900}, {"410223", 850}, {"411723", 800}};
  EXPECT_EQ(RankAmong(totals, "411723", 870), 2);
  // Its own old total (900) no longer counts; 411723 at 800 ties with it.
  EXPECT_EQ(RankAmong(totals, "410225", 800), 2);
  EXPECT_EQ(RankAmong(totals, "410225", 790), 3);
  EXPECT_EQ(RankAmong(totals, "410223", 900), 1);
}

TEST(R23Publish, ARoundIsPublishedOnceItsCurrentResultsAgree) {
  v1::Round round = Round({"regions/410225"});
  v1::Result result;
  result.set_county("regions/410225");
  EXPECT_NE(CheckPublishable(round, std::nullopt, 4, {}).message().find("no results yet"),
            absl::string_view::npos);
  EXPECT_NE(CheckPublishable(round, 3, 4, {result}).message().find("ComputeResults again"),
            absl::string_view::npos);
  EXPECT_TRUE(CheckPublishable(round, 4, 4, {result}).ok());
  result.add_flagged_indicators("2.2");
  absl::Status flagged = CheckPublishable(round, 4, 4, {result});
  EXPECT_EQ(RuleOf(flagged), "R-22");
  EXPECT_NE(flagged.message().find("regions/410225 (2.2)"), std::string::npos) << flagged;
  round.set_state(v1::Round::PUBLISHED);
  EXPECT_EQ(RuleOf(CheckPublishable(round, 4, 4, {})), "R-23");
}

TEST(R23Revision, ARevisionSaysWhyAndCorrectsSomethingOfAPublishedRound) {
  v1::ReviseResultRequest request;
  request.set_refetch_deductions(true);
  absl::Status no_reason = CheckRevisionRequest(request);
  EXPECT_EQ(no_reason.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_reason.message().find("reason"), std::string::npos) << no_reason.message();
  request.set_reason("学员名单更正");
  EXPECT_TRUE(CheckRevisionRequest(request).ok());

  request.set_refetch_deductions(false);
  absl::Status nothing = CheckRevisionRequest(request);
  EXPECT_NE(nothing.message().find("corrected_scores"), std::string::npos) << nothing.message();
  v1::IndicatorScore* score = request.add_corrected_scores();
  score->set_indicator("a");
  score->set_score_tenths(80);
  score->set_evidence(v1::ON_SITE);
  absl::Status whose = CheckRevisionRequest(request);
  EXPECT_NE(whose.message().find("expert"), std::string::npos) << whose.message();
  request.set_expert("experts/e1");
  EXPECT_TRUE(CheckRevisionRequest(request).ok()) << CheckRevisionRequest(request);

  v1::Round round;
  round.set_name("years/2022/rounds/r1");
  round.set_state(v1::Round::SCORING);
  absl::Status draft = RequirePublished(round);
  EXPECT_EQ(draft.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(draft.message().find("years/2022/rounds/r1"), std::string::npos);
  round.set_state(v1::Round::PUBLISHED);
  EXPECT_TRUE(RequirePublished(round).ok());
}

}  // namespace
}  // namespace peixun::evaluation::domain
