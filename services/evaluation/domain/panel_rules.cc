#include "services/evaluation/domain/panel_rules.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/names.h"
#include "common/util/status.h"

namespace peixun::evaluation::domain {

absl::Status CheckScoreShapes(const IndicatorScores& scores, absl::string_view field) {
  if (scores.empty()) return FieldError(field, "must hold at least one indicator's score");
  std::set<std::string> seen;
  for (int i = 0; i < scores.size(); ++i) {
    const auto& score = scores.Get(i);
    const std::string at = absl::StrCat(field, "[", i, "]");
    if (score.indicator().empty()) return FieldError(at + ".indicator", "is required");
    if (!seen.insert(score.indicator()).second) {
      return FieldError(at + ".indicator",
                        absl::StrCat(score.indicator(), " is scored twice in one request"));
    }
    if (score.evidence() == v1::EVIDENCE_KIND_UNSPECIFIED) {
      return FieldError(at + ".evidence",
                        "must say what the score rests on: MATERIAL_REVIEW or ON_SITE");
    }
    if (score.comment().size() > 1000)
      return FieldError(at + ".comment", "must be at most 1000 bytes");
  }
  return absl::OkStatus();
}

absl::Status CheckScoresAgainstRubric(const IndicatorScores& scores,
                                      const v1::RubricVersion& rubric, absl::string_view field) {
  const auto leaves = Leaves(rubric);
  for (int i = 0; i < scores.size(); ++i) {
    const auto& score = scores.Get(i);
    const std::string at = absl::StrCat(field, "[", i, "]");
    auto leaf = leaves.find(score.indicator());
    if (leaf == leaves.end()) {
      std::vector<std::string> codes;
      codes.reserve(leaves.size());
      for (const auto& [code, node] : leaves) codes.push_back(code);
      return FieldError(at + ".indicator",
                        absl::StrCat("'", score.indicator(), "' is not a leaf indicator of ",
                                     rubric.name(), " (", absl::StrJoin(codes, ", "), ")"));
    }
    if (score.score_tenths() < 0 || score.score_tenths() > leaf->second->max_score_tenths()) {
      return FieldError(
          at + ".score_tenths",
          absl::StrCat(leaf->first, " ", leaf->second->display_name(), " is scored 0 to ",
                       leaf->second->max_score_tenths(), " tenths, not ", score.score_tenths()));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> DisagreedIndicators(const std::vector<v1::ScoreSheet>& sheets,
                                             int threshold_tenths) {
  std::map<std::string, std::vector<int>> by_indicator;
  for (const auto& sheet : sheets) {
    for (const auto& score : sheet.scores())
      by_indicator[score.indicator()].push_back(score.score_tenths());
  }
  std::vector<std::string> out;
  for (const auto& [code, scores] : by_indicator) {
    if (NeedsReconciliation(scores, threshold_tenths)) out.push_back(code);
  }
  return out;
}

const v1::Indicator* AutomaticIndicator(const v1::RubricVersion& rubric) {
  for (const auto& [code, leaf] : Leaves(rubric)) {
    if (leaf->automatic_deductions()) return leaf;
  }
  return nullptr;
}

absl::Status RequireScoring(const v1::Round& round) {
  if (round.state() == v1::Round::SCORING) return absl::OkStatus();
  return RuleError("R-23", absl::StrCat(round.name(),
                                        " is published and its results are frozen; a correction "
                                        "is a new revision (ReviseResult)"));
}

absl::Status RequireCountyOfRound(const v1::Round& round, absl::string_view county,
                                  absl::string_view field) {
  const auto& counties = round.counties();
  if (std::find(counties.begin(), counties.end(), county) == counties.end()) {
    return FieldError(field, absl::StrCat(county, " is not evaluated in ", round.name()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::ResultExplanation>> ComputeRoundResults(
    const v1::Round& round, const v1::RubricVersion& rubric, const std::vector<PanelInput>& inputs,
    const RoundRules& rules) {
  std::vector<v1::ResultExplanation> explanations;
  std::vector<std::string> problems;
  for (const PanelInput& input : inputs) {
    absl::StatusOr<v1::ResultExplanation> explanation = ExplainCounty(rubric, input, rules);
    if (!explanation.ok()) {
      problems.emplace_back(explanation.status().message());
      continue;
    }
    explanations.push_back(*std::move(explanation));
  }
  if (!problems.empty()) {
    const size_t shown = std::min<size_t>(problems.size(), 3);
    return absl::FailedPreconditionError(absl::StrCat(
        problems.size(), " of ", round.counties_size(), " counties cannot be computed yet: ",
        absl::StrJoin(problems.begin(), problems.begin() + static_cast<long>(shown), "; "),
        shown < problems.size() ? "; ..." : ""));
  }
  std::vector<int> totals;
  totals.reserve(explanations.size());
  for (const auto& e : explanations) totals.push_back(e.result().total_tenths());
  const std::vector<int> ranks = Ranks(totals);
  for (size_t i = 0; i < explanations.size(); ++i) {
    v1::Result* result = explanations[i].mutable_result();
    result->set_name(absl::StrCat(round.name(), "/results/", LastSegment(result->county())));
    result->set_revision(1);
    result->set_rank(ranks[i]);
  }
  return explanations;
}

absl::Status CheckRevisionRequest(const v1::ReviseResultRequest& request) {
  if (request.reason().empty())
    return FieldError("reason", "is required: say why the result is corrected (R-23)");
  if (request.reason().size() > 255) return FieldError("reason", "must be at most 255 bytes");
  const bool rescored = request.corrected_scores_size() > 0;
  if (rescored) {
    PEIXUN_RETURN_IF_ERROR(CheckScoreShapes(request.corrected_scores(), "corrected_scores"));
    if (request.expert().empty())
      return FieldError("expert", "is required: whose scores are corrected");
  } else if (!request.refetch_deductions()) {
    return FieldError("corrected_scores",
                      "or refetch_deductions is required: a revision corrects something");
  }
  return absl::OkStatus();
}

absl::Status RequirePublished(const v1::Round& round) {
  if (round.state() == v1::Round::PUBLISHED) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(round.name(), " is not published; drafts change by scoring and ComputeResults"));
}

int RankAmong(std::map<std::string, int> totals_tenths, const std::string& county_code,
              int total_tenths) {
  totals_tenths[county_code] = total_tenths;
  int better = 0;
  for (const auto& [code, total] : totals_tenths) better += total > total_tenths ? 1 : 0;
  return better + 1;
}

absl::Status CheckPublishable(const v1::Round& round, std::optional<int> results_version,
                              int version, const std::vector<v1::Result>& results) {
  PEIXUN_RETURN_IF_ERROR(RequireScoring(round));
  if (!results_version.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat(round.name(), " has no results yet; run ComputeResults first"));
  }
  if (*results_version != version) {
    return absl::FailedPreconditionError(
        absl::StrCat("the results of ", round.name(),
                     " are older than its latest scores, assignments or deductions; run "
                     "ComputeResults again"));
  }
  std::vector<std::string> flagged;
  for (const v1::Result& result : results) {
    if (result.flagged_indicators_size() > 0) {
      flagged.push_back(absl::StrCat(result.county(), " (",
                                     absl::StrJoin(result.flagged_indicators(), ", "), ")"));
    }
  }
  if (!flagged.empty()) {
    return RuleError("R-22", absl::StrCat("experts disagree beyond the threshold on ",
                                          absl::StrJoin(flagged, ", "),
                                          "; assign a reconciler or correct the scores first"));
  }
  return absl::OkStatus();
}

}  // namespace peixun::evaluation::domain
