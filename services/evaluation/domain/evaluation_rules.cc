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
  if (node.automatic_deductions() && node.children_size() > 0) {
    problems.push_back(
        absl::StrCat(label, " takes automatic deductions but is not a leaf indicator"));
  }
  if (node.deducted_plan_levels_size() > 0 && !node.automatic_deductions()) {
    problems.push_back(
        absl::StrCat(label, " names deducted plan levels but takes no automatic deductions"));
  }
  std::set<int> levels;
  for (int level : node.deducted_plan_levels()) {
    if (level == common::v1::PLAN_LEVEL_UNSPECIFIED || !common::v1::PlanLevel_IsValid(level)) {
      problems.push_back(absl::StrCat(label, " names an unknown deducted plan level ", level));
    } else if (!levels.insert(level).second) {
      problems.push_back(absl::StrCat(label, " names the deducted plan level ",
                                      common::v1::PlanLevel_Name(level), " twice"));
    }
  }
  if (node.deducted_plan_levels_size() > 4) {
    problems.push_back(absl::StrCat(label, " names more than 4 deducted plan levels"));
  }
  for (const auto& child : node.children()) CheckNode(child, label, codes, problems);
}

int CountAutomatic(const v1::Indicator& node) {
  int n = node.automatic_deductions() ? 1 : 0;
  for (const auto& child : node.children()) n += CountAutomatic(child);
  return n;
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
  if (rubric.indicators_size() == 0)
    return FieldError("rubric_version.indicators", "must not be empty");
  std::vector<std::string> problems;
  std::set<std::string> codes;
  int top = 0;
  for (const auto& node : rubric.indicators()) {
    CheckNode(node, "rubric", codes, problems);
    top += node.max_score_tenths();
  }
  int automatic = 0;
  for (const auto& node : rubric.indicators()) automatic += CountAutomatic(node);
  if (automatic > 1) {
    problems.push_back(
        absl::StrCat(automatic, " indicators take automatic deductions; at most one may"));
  }
  if (rubric.total_score_tenths() != 0 && rubric.total_score_tenths() != top) {
    problems.push_back(absl::StrCat("the rubric is worth ", PointsText(rubric.total_score_tenths()),
                                    " but its first-level indicators sum to ", PointsText(top)));
  }
  if (!problems.empty()) {
    // The rubric alone breaks the rule, whatever is stored: the input is wrong (INVALID_ARGUMENT).
    return RuleError(absl::StatusCode::kInvalidArgument, "R-18",
                     absl::StrCat("the rubric does not add up: ", absl::StrJoin(problems, "; ")));
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
  add(Node(
      "4", "保障措施", 12,
      {Node("4.1", "制度保障", 4), Node("4.2", "经费保障", 5), Node("4.3", "经验总结推广", 3)}));
  add(Node("5", "实施效果", 20,
           {Node("5.1", "参训教师", 8), Node("5.2", "教师发展基地", 6),
            Node("5.3", "县级教师培训生态", 6)}));
  rubric.set_total_score_tenths(1000);
  return rubric;
}

v1::RubricVersion DemonstrationSchoolRubricAsPrinted() {
  v1::RubricVersion rubric;
  rubric.set_display_name("校本研修示范校评价标准");
  auto section = [&](const std::string& code, const std::string& name, int points,
                     const std::string& unscored, std::vector<std::pair<std::string, int>> items) {
    v1::Indicator node = Node(code, name, points);
    if (!unscored.empty()) node.set_description("另见（原表未赋分）：" + unscored);
    for (size_t i = 0; i < items.size(); ++i) {
      v1::Indicator item = Node(absl::StrCat(code, ".", i + 1), items[i].first, items[i].second);
      *node.add_children() = std::move(item);
    }
    *rubric.add_indicators() = std::move(node);
  };
  section("1", "制度建设", 15, "",
          {{"三年教师发展规划", 5}, {"校本研修实施方案", 5}, {"研修团队与实施计划", 5}});
  section("2", "日常研修", 40, "学校领导主持或积极参与研修活动",
          {{"师德专题教育与读书交流", 5},
           {"团队主题研修活动", 10},
           {"依托工作坊与名师工作室的研修", 20}});
  section("3", "成果呈现", 20, "建立有完善的教师个人发展档案",
          {{"引领辐射与帮扶薄弱学校", 5}, {"每学期实践案例 1-2 个", 10}});
  section("4", "保障落实", 20, "",
          {{"教师专业评比成绩与社会满意度", 15},
           {"教师培训经费足额安排与使用", 5},
           {"外出学习返岗汇报制度", 5},
           {"基本素养训练与骨干青年教师培养", 5}});
  section("5", "总体评价", 5, "", {{"研修场地与设施", 5}});
  rubric.set_total_score_tenths(1000);
  return rubric;
}

v1::RubricVersion DemonstrationSchoolRubric() {
  v1::RubricVersion rubric = DemonstrationSchoolRubricAsPrinted();
  for (auto& section : *rubric.mutable_indicators()) {
    int sum = 0;
    for (const auto& item : section.children()) sum += item.max_score_tenths();
    section.set_max_score_tenths(sum);
  }
  rubric.set_change_note(
      "seed 003 as printed does not add up; each section is worth the sum of its items (R-18)");
  return rubric;
}

std::map<std::string, const v1::Indicator*> Leaves(const v1::RubricVersion& rubric) {
  std::map<std::string, const v1::Indicator*> out;
  for (const auto& node : rubric.indicators()) CollectLeaves(node, out);
  return out;
}

std::vector<common::v1::PlanLevel> DeductedPlanLevels(const v1::RubricVersion& rubric) {
  for (const auto& [code, leaf] : Leaves(rubric)) {
    if (!leaf->automatic_deductions()) continue;
    std::vector<common::v1::PlanLevel> levels;
    for (int level : leaf->deducted_plan_levels())
      levels.push_back(static_cast<common::v1::PlanLevel>(level));
    if (!levels.empty()) return levels;
  }
  return {common::v1::NATIONAL};
}

absl::StatusOr<int> PanelScore(const std::vector<int>& expert_scores_tenths,
                               v1::Aggregation aggregation) {
  std::vector<int> scores = expert_scores_tenths;
  if (scores.empty()) return RuleError("R-22", "no expert has scored this indicator");
  if (aggregation == v1::TRIMMED_MEAN) {
    if (scores.size() < 3) {
      return RuleError("R-22",
                       absl::StrCat("a trimmed mean needs at least 3 experts' scores, there are ",
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

namespace {

// Adds the lines of `node` and its descendants (parents first) and returns its panel and final
// scores (a parent's are its children's sums).
struct Explainer {
  const PanelInput& input;
  const RoundRules& rules;
  v1::ResultExplanation& out;
  std::vector<std::string> missing;
  std::vector<std::string> problems;

  struct Sums {
    int panel = 0;
    int final_score = 0;
  };

  Sums Line(const v1::Indicator& node) {
    const int index = out.lines_size();
    auto* line = out.add_lines();
    line->set_indicator(node.code());
    line->set_display_name(node.display_name());
    line->set_max_score_tenths(node.max_score_tenths());
    if (node.children_size() > 0) {
      Sums sums;
      for (const auto& child : node.children()) {
        const Sums child_sums = Line(child);
        sums.panel += child_sums.panel;
        sums.final_score += child_sums.final_score;
      }
      out.mutable_lines(index)->set_panel_score_tenths(sums.panel);
      out.mutable_lines(index)->set_final_score_tenths(sums.final_score);
      return sums;
    }
    std::vector<int> scores;
    bool reconciled = false;
    for (const auto& sheet : input.sheets) {
      for (const auto& score : sheet.scores()) {
        if (score.indicator() != node.code()) continue;
        v1::ScoreSheet* one = line->add_expert_scores();
        one->set_name(sheet.name());
        one->set_county(sheet.county());
        one->set_expert(sheet.expert());
        *one->add_scores() = score;
        *one->mutable_update_time() = sheet.update_time();
        scores.push_back(score.score_tenths());
        reconciled = reconciled || input.reconcilers.count(sheet.expert()) > 0;
      }
    }
    if (scores.empty()) {
      missing.push_back(absl::StrCat(node.code(), " ", node.display_name()));
      return {};
    }
    auto panel = PanelScore(scores, rules.aggregation);
    if (!panel.ok()) {
      problems.push_back(
          absl::StrCat(node.code(), " ", node.display_name(), ": ", panel.status().message()));
      return {};
    }
    line->set_panel_score_tenths(*panel);
    line->set_flagged(!reconciled &&
                      NeedsReconciliation(scores, rules.disagreement_threshold_tenths));
    int final_score = *panel;
    if (node.automatic_deductions() && input.figures.has_value()) {
      for (const auto& d : Deductions(input.figures->facts, *panel)) {
        auto* deduction = line->add_deductions();
        deduction->set_county(input.county);
        deduction->set_indicator(node.code());
        deduction->set_kind(d.kind);
        deduction->set_count(d.count);
        deduction->set_points_tenths(d.points_tenths);
        deduction->set_source(input.figures->source);
        *deduction->mutable_computed_time() = input.figures->computed_time;
        final_score -= d.points_tenths;
      }
    }
    line->set_final_score_tenths(final_score);
    return {*panel, final_score};
  }
};

}  // namespace

absl::StatusOr<v1::ResultExplanation> ExplainCounty(const v1::RubricVersion& rubric,
                                                    const PanelInput& input,
                                                    const RoundRules& rules) {
  v1::ResultExplanation out;
  Explainer explainer{input, rules, out, {}, {}};
  int total = 0;
  for (const auto& node : rubric.indicators()) total += explainer.Line(node).final_score;
  if (!explainer.missing.empty()) {
    const size_t shown = std::min<size_t>(explainer.missing.size(), 5);
    return absl::FailedPreconditionError(absl::StrCat(
        input.county, " has ", explainer.missing.size(), " indicator(s) no expert has scored: ",
        absl::StrJoin(explainer.missing.begin(),
                      explainer.missing.begin() + static_cast<long>(shown), ", "),
        shown < explainer.missing.size() ? ", ..." : ""));
  }
  if (!explainer.problems.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(input.county, ": ", absl::StrJoin(explainer.problems, "; ")));
  }
  auto* result = out.mutable_result();
  result->set_name(input.county);
  result->set_county(input.county);
  result->set_total_tenths(total);
  result->set_grade(GradeOf(total, rules.grade_policy));
  for (const auto& line : out.lines()) {
    if (line.flagged()) result->add_flagged_indicators(line.indicator());
  }
  *out.mutable_grade_policy() = rules.grade_policy;
  out.set_aggregation(rules.aggregation);
  return out;
}

v1::GradePolicy DefaultGradePolicy() {
  v1::GradePolicy policy;
  policy.set_excellent_from_tenths(900);
  policy.set_qualified_from_tenths(750);
  policy.set_reason("built-in defaults (R-21)");
  return policy;
}

absl::Status ValidateGradePolicy(const v1::GradePolicy& policy) {
  if (policy.qualified_from_tenths() <= 0 ||
      policy.qualified_from_tenths() >= policy.excellent_from_tenths()) {
    return FieldError(
        "grade_policy.qualified_from_tenths",
        absl::StrCat("must be above 0 and below excellent_from_tenths (",
                     policy.excellent_from_tenths(), "), is ", policy.qualified_from_tenths()));
  }
  if (policy.excellent_from_tenths() > 1000) {
    return FieldError(
        "grade_policy.excellent_from_tenths",
        absl::StrCat("must be at most 1000 (100 points), is ", policy.excellent_from_tenths()));
  }
  if (policy.reason().empty())
    return FieldError("grade_policy.reason", "must say why this version is made");
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
