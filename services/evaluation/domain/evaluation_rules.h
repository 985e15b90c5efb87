// Evaluation's rules as pure functions (DOMAIN.md §5, R-17 to R-24): rubric trees that must
// sum, the project-county rubric, panel scores, automatic deductions, grades and ranks.
// Scores are integers in tenths of a point throughout (12 points = 120).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "peixun/evaluation/v1/evaluation.pb.h"

namespace peixun::evaluation::domain {

namespace v1 = ::peixun::evaluation::v1;

// ---- Rubrics (R-18, R-19) -------------------------------------------------------------------

// Checks a rubric tree: every indicator has a code (unique in the tree), a name and a positive
// maximum; every node's children sum exactly to its maximum; the top level sums to
// total_score_tenths when that is given; automatic deductions go on at most one indicator, a
// leaf. Every node that does not sum is named, with both sums.
absl::Status ValidateRubric(const v1::RubricVersion& rubric);

// The project-county rubric of R-19 (seed 003's table): 100 points, five first-level and
// sixteen second-level indicators; 组织实施 (2.2) takes the automatic deductions of R-20.
v1::RubricVersion ProjectCountyRubric();

// Seed 003's 校本研修示范校评价标准 (school-based research demonstration schools) as printed:
// its section totals do not match its items (日常研修 40 vs 35, 成果呈现 20 vs 15, 保障落实 20
// vs 30), so ValidateRubric refuses it. Items printed without points are kept in the section's
// description, not as indicators.
v1::RubricVersion DemonstrationSchoolRubricAsPrinted();
// The same table fixed on import: the items are what experts score, so each section is worth
// the sum of its items; with 总体评价 (5) that gives exactly 100 points, as the table's total says.
v1::RubricVersion DemonstrationSchoolRubric();

// The leaf indicators of a rubric, by code.
std::map<std::string, const v1::Indicator*> Leaves(const v1::RubricVersion& rubric);

// R-20 (policy): the plan levels whose projects' enrollment facts the automatic indicator
// deducts: its deducted_plan_levels, or NATIONAL only when it names none (seed 003 附件4,
// 项目县“国培计划”项目组织实施).
std::vector<common::v1::PlanLevel> DeductedPlanLevels(const v1::RubricVersion& rubric);

// ---- Panel scores (R-22) --------------------------------------------------------------------

// The panel's score on one indicator from its experts' scores: the mean, or without the highest
// and lowest score (needs 3 or more), rounded half up to a tenth.
absl::StatusOr<int> PanelScore(const std::vector<int>& expert_scores_tenths,
                               v1::Aggregation aggregation);

// Whether the experts differ on an indicator by more than `threshold_tenths` (highest minus
// lowest), so that it is flagged for reconciliation. A threshold of 0 flags nothing.
bool NeedsReconciliation(const std::vector<int>& expert_scores_tenths, int threshold_tenths);

// ---- Automatic deductions (R-20) ------------------------------------------------------------

// What enrollment reports for a county and year: the figures deductions come from.
struct EnrollmentFacts {
  int under_reported = 0;  // 少报: seats of the quota not filled
  int no_shows = 0;        // 缺培
  int not_completed = 0;   // 未结业 (dismissed or not completed)
  int ineligible = 0;      // 学员不符合遴选条件
};

struct DeductionLine {
  std::string kind;  // 少报, 缺培, 未结业, 学员不符合遴选条件
  int count = 0;
  int points_tenths = 0;  // after the cap
};

// The deductions from an automatic indicator the panel scored `panel_score_tenths`: one point
// per person counted, line by line in the order above, each capped so that the indicator never
// goes below 0 (the indicator's score is the panel's minus the lines' points).
std::vector<DeductionLine> Deductions(const EnrollmentFacts& facts, int panel_score_tenths,
                                      int points_per_person_tenths = 10);

// ---- A county's result (R-20 to R-23) ------------------------------------------------------

// The enrollment figures of a county as fetched, with where and when they came from.
struct FetchedFacts {
  EnrollmentFacts facts;
  std::string source;
  google::protobuf::Timestamp computed_time;
};

// Everything a county's result follows from.
struct PanelInput {
  std::string county;                   // "regions/{code}"
  std::vector<v1::ScoreSheet> sheets;   // each expert's scores on the county
  std::set<std::string> reconcilers;    // experts assigned as third experts
  std::optional<FetchedFacts> figures;  // for the automatic indicator; none means no deductions
};

struct RoundRules {
  v1::Aggregation aggregation = v1::MEAN;
  int disagreement_threshold_tenths = 0;
  v1::GradePolicy grade_policy;
};

// The county's account: every indicator in rubric order with each expert's score, the panel
// score, the deductions on the automatic indicator, the final score; then total
// and grade in `result` (rank and revision are the caller's). An indicator is flagged when
// its experts differ beyond the threshold and no reconciler has scored it. FAILED_PRECONDITION
// naming every leaf no expert has scored.
absl::StatusOr<v1::ResultExplanation> ExplainCounty(const v1::RubricVersion& rubric,
                                                    const PanelInput& input,
                                                    const RoundRules& rules);

// ---- Grades and ranks (R-21, R-23) ----------------------------------------------------------

// The default thresholds: excellent from 90.0, qualified from 75.0.
v1::GradePolicy DefaultGradePolicy();
// Checks thresholds: 0 < qualified < excellent <= 1000, and a reason.
absl::Status ValidateGradePolicy(const v1::GradePolicy& policy);
v1::Grade GradeOf(int total_tenths, const v1::GradePolicy& policy);

// Ranks totals, 1 for the best; equal totals share a rank and the next rank skips ("1, 2, 2, 4").
std::vector<int> Ranks(const std::vector<int>& totals_tenths);

// "12.5" for 125 tenths.
std::string PointsText(int tenths);

}  // namespace peixun::evaluation::domain
