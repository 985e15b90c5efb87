// Evaluation's rules as pure functions (DOMAIN.md §5, R-17 to R-24): rubric trees that must
// sum, the project-county rubric, panel scores, automatic deductions, grades and ranks.
// Scores are integers in tenths of a point throughout (12 points = 120).
#pragma once

#include <map>
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
// total_score_tenths when that is given. Every node that does not sum is named, with both sums.
absl::Status ValidateRubric(const v1::RubricVersion& rubric);

// The project-county rubric of R-19 (seed 003's table): 100 points, five first-level and
// sixteen second-level indicators; 组织实施 (2.2) takes the automatic deductions of R-20.
v1::RubricVersion ProjectCountyRubric();

// The leaf indicators of a rubric, by code.
std::map<std::string, const v1::Indicator*> Leaves(const v1::RubricVersion& rubric);

// ---- Panel scores (R-22) --------------------------------------------------------------------

// The panel's score on one indicator from its experts' scores: the mean, or without the highest
// and lowest score (needs 3 or more), rounded half up to a tenth.
absl::StatusOr<int> PanelScore(const std::vector<int>& expert_scores_tenths, v1::Aggregation aggregation);

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
