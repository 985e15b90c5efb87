#include "services/evaluation/domain/evaluation_rules.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/status.h"

namespace peixun::evaluation::domain {
namespace {

void CheckNode(const v1::Indicator& node, const std::string& path, std::set<std::string>& codes,
               std::vector<std::string>& problems) {
  const std::string label = absl::StrCat(node.display_name(), " (", node.code(), ")");
  if (node.code().empty()) problems.push_back(absl::StrCat(path, ": an indicator has no code"));
  if (!node.code().empty() && !codes.insert(node.code()).second) {
    problems.push_back(absl::StrCat("code ", node.code(), " is used twice"));
  }
  if (node.display_name().empty()) problems.push_back(absl::StrCat(label, " has no name"));
  if (node.max_score_tenths() <= 0) {
    problems.push_back(absl::StrCat(label, " has maximum ", PointsText(node.max_score_tenths()),
                                    "; it must be above 0"));
  }
  if (node.children_size() > 0) {
    int sum = 0;
    for (const auto& child : node.children()) sum += child.max_score_tenths();
    if (sum != node.max_score_tenths()) {
      problems.push_back(absl::StrCat(label, " is worth ", PointsText(node.max_score_tenths()),
                                      " but its items sum to ", PointsText(sum)));
    }
  }
  for (const auto& child : node.children()) CheckNode(child, label, codes, problems);
}

void CollectLeaves(const v1::Indicator& node, std::map<std::string, const v1::Indicator*>& out) {
  if (node.children_size() == 0) {
    out[node.code()] = &node;
    return;
  }
  for (const auto& child : node.children()) CollectLeaves(child, out);
}

v1::Indicator Node(const std::string& code, const std::string& name, int points,
                   std::vector<v1::Indicator> children = {}) {
  v1::Indicator node;
  node.set_code(code);
  node.set_display_name(name);
  node.set_max_score_tenths(points * 10);
  for (auto& child : children) *node.add_children() = std::move(child);
  return node;
}

}  // namespace

std::string PointsText(int tenths) {
  const int whole = std::abs(tenths) / 10;
  return absl::StrCat(tenths < 0 ? "-" : "", whole, ".", std::abs(tenths) % 10);
}

absl::Status ValidateRubric(const v1::RubricVersion& rubric) {
  if (rubric.indicators_size() == 0) return FieldError("rubric_version.indicators", "must not be empty");
  std::vector<std::string> problems;
  std::set<std::string> codes;
  int top = 0;
  for (const auto& node : rubric.indicators()) {
    CheckNode(node, "rubric", codes, problems);
    top += node.max_score_tenths();
  }
  if (rubric.total_score_tenths() != 0 && rubric.total_score_tenths() != top) {
    problems.push_back(absl::StrCat("the rubric is worth ", PointsText(rubric.total_score_tenths()),
                                    " but its first-level indicators sum to ", PointsText(top)));
  }
  if (!problems.empty()) {
    return RuleError("R-18", absl::StrCat("the rubric does not add up: ", absl::StrJoin(problems, "; ")));
  }
  return absl::OkStatus();
}

v1::RubricVersion ProjectCountyRubric() {
  v1::RubricVersion rubric;
  rubric.set_display_name("项目县绩效评价指标体系");
  auto add = [&](v1::Indicator node) { *rubric.add_indicators() = std::move(node); };
  add(Node("1", "组织领导", 8, {Node("1.1", "市级工作", 3), Node("1.2", "县级分工", 5)}));
  v1::Indicator implementation =
      Node("2", "项目县国培项目组织实施", 20,
           {Node("2.1", "统筹谋划", 4), Node("2.2", "组织实施", 12), Node("2.3", "协同机制", 4)});
  implementation.mutable_children(1)->set_automatic_deductions(true);
  add(std::move(implementation));
  add(Node("3", "教师发展支持服务体系建设", 40,
           {Node("3.1", "教师发展资源整合", 10), Node("3.2", "县域教师发展五年规划方案", 8),
            Node("3.3", "县级教师培训师队伍建设", 5), Node("3.4", "教师发展基地建设", 12),
            Node("3.5", "选育用评模式", 5)}));
  add(Node("4", "保障措施", 12, {Node("4.1", "制度保障", 4), Node("4.2", "经费保障", 5), Node("4.3", "经验总结推广", 3)}));
  add(Node("5", "实施效果", 20,
           {Node("5.1", "参训教师", 8), Node("5.2", "教师发展基地", 6), Node("5.3", "县级教师培训生态", 6)}));
  rubric.set_total_score_tenths(1000);
  return rubric;
}

std::map<std::string, const v1::Indicator*> Leaves(const v1::RubricVersion& rubric) {
  std::map<std::string, const v1::Indicator*> out;
  for (const auto& node : rubric.indicators()) CollectLeaves(node, out);
  return out;
}

absl::StatusOr<int> PanelScore(const std::vector<int>& expert_scores_tenths, v1::Aggregation aggregation) {
  std::vector<int> scores = expert_scores_tenths;
  if (scores.empty()) return absl::FailedPreconditionError("R-22 no expert has scored this indicator");
  if (aggregation == v1::TRIMMED_MEAN) {
    if (scores.size() < 3) {
      return RuleError("R-22", absl::StrCat("a trimmed mean needs at least 3 experts' scores, there are ",
                                            scores.size()));
    }
    std::sort(scores.begin(), scores.end());
    scores = std::vector<int>(scores.begin() + 1, scores.end() - 1);
  }
  const int64_t sum = std::accumulate(scores.begin(), scores.end(), int64_t{0});
  const int64_t n = static_cast<int64_t>(scores.size());
  return static_cast<int>((2 * sum + n) / (2 * n));  // half up; scores are never negative
}

bool NeedsReconciliation(const std::vector<int>& expert_scores_tenths, int threshold_tenths) {
  if (threshold_tenths <= 0 || expert_scores_tenths.size() < 2) return false;
  auto [low, high] = std::minmax_element(expert_scores_tenths.begin(), expert_scores_tenths.end());
  return *high - *low > threshold_tenths;
}

std::vector<DeductionLine> Deductions(const EnrollmentFacts& facts, int panel_score_tenths,
                                      int points_per_person_tenths) {
  const std::pair<const char*, int> counted[] = {{"少报", facts.under_reported},
                                                 {"缺培", facts.no_shows},
                                                 {"未结业", facts.not_completed},
                                                 {"学员不符合遴选条件", facts.ineligible}};
  std::vector<DeductionLine> lines;
  int left = std::max(0, panel_score_tenths);
  for (const auto& [kind, count] : counted) {
    if (count <= 0) continue;
    const int64_t wanted = static_cast<int64_t>(count) * points_per_person_tenths;
    const int taken = static_cast<int>(std::min<int64_t>(wanted, left));
    left -= taken;
    lines.push_back({kind, count, taken});
  }
  return lines;
}

v1::GradePolicy DefaultGradePolicy() {
  v1::GradePolicy policy;
  policy.set_excellent_from_tenths(900);
  policy.set_qualified_from_tenths(750);
  policy.set_reason("built-in defaults (R-21)");
  return policy;
}

absl::Status ValidateGradePolicy(const v1::GradePolicy& policy) {
  if (policy.qualified_from_tenths() <= 0 || policy.qualified_from_tenths() >= policy.excellent_from_tenths()) {
    return FieldError("grade_policy.qualified_from_tenths",
                      absl::StrCat("must be above 0 and below excellent_from_tenths (",
                                   policy.excellent_from_tenths(), "), is ", policy.qualified_from_tenths()));
  }
  if (policy.excellent_from_tenths() > 1000) {
    return FieldError("grade_policy.excellent_from_tenths",
                      absl::StrCat("must be at most 1000 (100 points), is ", policy.excellent_from_tenths()));
  }
  if (policy.reason().empty()) return FieldError("grade_policy.reason", "must say why this version is made");
  return absl::OkStatus();
}

v1::Grade GradeOf(int total_tenths, const v1::GradePolicy& policy) {
  if (total_tenths >= policy.excellent_from_tenths()) return v1::EXCELLENT;
  if (total_tenths >= policy.qualified_from_tenths()) return v1::QUALIFIED;
  return v1::UNQUALIFIED;
}

std::vector<int> Ranks(const std::vector<int>& totals_tenths) {
  std::vector<int> ranks(totals_tenths.size());
  for (size_t i = 0; i < totals_tenths.size(); ++i) {
    int better = 0;
    for (int other : totals_tenths) better += other > totals_tenths[i] ? 1 : 0;
    ranks[i] = better + 1;
  }
  return ranks;
}

}  // namespace peixun::evaluation::domain
