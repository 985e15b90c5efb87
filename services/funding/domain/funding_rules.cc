#include "services/funding/domain/funding_rules.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/util/names.h"
#include "common/util/status.h"

namespace peixun::funding::domain {

v1::TierPolicy DefaultTierPolicy() {
  v1::TierPolicy policy;
  policy.set_excellent_amount_fen(300000000);
  policy.set_qualified_amount_fen(200000000);
  policy.set_revocation_years(2);
  policy.set_designation_years(2);
  policy.set_subsidy_per_participant_fen(0);
  policy.set_reason("built-in defaults (R-25)");
  return policy;
}

absl::Status ValidateTierPolicy(const v1::TierPolicy& policy) {
  if (policy.qualified_amount_fen() < 0) {
    return FieldError("tier_policy.qualified_amount_fen",
                      absl::StrCat("must be >= 0, is ", policy.qualified_amount_fen()));
  }
  if (policy.excellent_amount_fen() < policy.qualified_amount_fen()) {
    return FieldError(
        "tier_policy.excellent_amount_fen",
        absl::StrCat("must be at least qualified_amount_fen (", policy.qualified_amount_fen(),
                     "), is ", policy.excellent_amount_fen()));
  }
  if (policy.excellent_amount_fen() > 100000000000) {
    return FieldError("tier_policy.excellent_amount_fen", "must be at most 1,000,000,000 yuan");
  }
  if (policy.revocation_years() < 1 || policy.revocation_years() > 10) {
    return FieldError("tier_policy.revocation_years",
                      absl::StrCat("must be between 1 and 10, is ", policy.revocation_years()));
  }
  if (policy.designation_years() < 1 || policy.designation_years() > 10) {
    return FieldError("tier_policy.designation_years",
                      absl::StrCat("must be between 1 and 10, is ", policy.designation_years()));
  }
  if (policy.subsidy_per_participant_fen() < 0 ||
      policy.subsidy_per_participant_fen() > 100000000) {
    return FieldError("tier_policy.subsidy_per_participant_fen",
                      "must be between 0 and 1,000,000 yuan");
  }
  if (policy.reason().empty())
    return FieldError("tier_policy.reason", "must say why this version is made");
  return absl::OkStatus();
}

absl::Status DecideTier(const DecisionInput& input, const v1::TierPolicy& policy,
                        v1::Decision* decision) {
  decision->set_county(input.county);
  decision->set_result(input.result);
  decision->set_result_revision(input.result_revision);
  decision->set_grade(input.grade);
  decision->set_tier_policy(policy.name());
  if (input.grade == "EXCELLENT") {
    decision->set_tier(v1::HIGH);
    decision->set_amount_fen(policy.excellent_amount_fen());
  } else if (input.grade == "QUALIFIED") {
    decision->set_tier(v1::STANDARD);
    decision->set_amount_fen(policy.qualified_amount_fen());
  } else if (input.grade == "UNQUALIFIED") {
    decision->set_tier(v1::REVOKED);
    decision->set_amount_fen(0);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(input.result, " has grade '", input.grade,
                                                   "', which is no grade R-25 decides on"));
  }
  return absl::OkStatus();
}

bool SameInputs(const v1::Decision& recorded, const DecisionInput& input) {
  return recorded.result() == input.result && recorded.result_revision() == input.result_revision;
}

v1::ProjectCounty::Period RevocationPeriod(int year, const v1::TierPolicy& policy,
                                           const std::string& decision) {
  v1::ProjectCounty::Period period;
  period.set_kind(v1::ProjectCounty::Period::REVOKED);
  period.set_from_year(year + 1);
  period.set_to_year(year + policy.revocation_years());
  period.set_decision(decision);
  return period;
}

v1::ProjectCounty::Period DesignationTerm(int from_year, const v1::TierPolicy& policy) {
  v1::ProjectCounty::Period period;
  period.set_kind(v1::ProjectCounty::Period::ACTIVE);
  period.set_from_year(from_year);
  period.set_to_year(from_year + policy.designation_years() - 1);
  return period;
}

namespace {

bool Overlap(const v1::ProjectCounty::Period& p, int from, int to) {
  return p.from_year() <= to && (p.to_year() == 0 || from <= p.to_year());
}

std::string Span(const v1::ProjectCounty::Period& p) {
  return p.to_year() == 0 ? absl::StrCat(p.from_year(), " on")
                          : absl::StrCat(p.from_year(), " to ", p.to_year());
}

}  // namespace

absl::Status CheckDesignation(const v1::ProjectCounty& county,
                              const v1::ProjectCounty::Period& term) {
  for (const auto& p : county.periods()) {
    if (!Overlap(p, term.from_year(), term.to_year())) continue;
    if (p.kind() == v1::ProjectCounty::Period::REVOKED) {
      return RuleError(
          "R-27", absl::StrCat(county.county(), " lost its project-county status from ", Span(p),
                               " (", p.decision(), "); a term from ", term.from_year(), " to ",
                               term.to_year(), " would overlap it"));
    }
    if (p.kind() == v1::ProjectCounty::Period::ACTIVE) {
      return absl::AlreadyExistsError(absl::StrCat(
          county.county(), " is a project county from ", Span(p), "; a term from ",
          term.from_year(), " to ", term.to_year(), " would overlap it",
          p.to_year() == 0 ? "" : absl::StrCat(" (a renewal starts in ", p.to_year() + 1, ")")));
    }
  }
  return absl::OkStatus();
}

std::optional<v1::ProjectCounty::Period> SupportPeriod(const v1::ProjectCounty& county, int year,
                                                       v1::Tier tier, const std::string& decision) {
  if (tier != v1::HIGH && tier != v1::STANDARD) return std::nullopt;
  if (!ActiveIn(county, year) || ActiveIn(county, year + 1)) return std::nullopt;
  v1::ProjectCounty::Period period;
  period.set_kind(v1::ProjectCounty::Period::ACTIVE);
  period.set_from_year(year + 1);
  period.set_to_year(year + 1);
  period.set_decision(decision);
  return period;
}

bool ActiveIn(const v1::ProjectCounty& county, int year) {
  bool active = false;
  for (const auto& p : county.periods()) {
    const bool covers = p.from_year() <= year && (p.to_year() == 0 || year <= p.to_year());
    if (!covers) continue;
    if (p.kind() == v1::ProjectCounty::Period::REVOKED) return false;
    if (p.kind() == v1::ProjectCounty::Period::ACTIVE) active = true;
  }
  return active;
}

void SetStatusIn(v1::ProjectCounty& county, int year) {
  county.set_active(ActiveIn(county, year));
  county.clear_inactive_reason();
  if (county.active()) return;
  const v1::ProjectCounty::Period* ended = nullptr;
  const v1::ProjectCounty::Period* later = nullptr;
  for (const auto& p : county.periods()) {
    if (p.kind() == v1::ProjectCounty::Period::REVOKED && Overlap(p, year, year)) {
      county.set_inactive_reason(absl::StrCat(county.county(), " is revoked for ", p.from_year(),
                                              "-", p.to_year(), " by ", p.decision()));
      return;
    }
    if (p.kind() != v1::ProjectCounty::Period::ACTIVE) continue;
    if (p.to_year() != 0 && p.to_year() < year && (!ended || ended->to_year() < p.to_year()))
      ended = &p;
    if (p.from_year() > year && (!later || p.from_year() < later->from_year())) later = &p;
  }
  if (later) {
    county.set_inactive_reason(absl::StrCat(county.county(), " is a project county from ",
                                            later->from_year(), ", not in ", year));
  } else if (ended) {
    county.set_inactive_reason(absl::StrCat(county.county(), "'s designation ended in ",
                                            ended->to_year(), " and was not renewed"));
  } else {
    county.set_inactive_reason(
        absl::StrCat(county.county(), " is not an active project county in ", year));
  }
}

namespace {

using Level = RegionInfo::Level;

Level LevelOf(const YearFigures& figures, const std::string& code) {
  auto it = figures.regions.find(code);
  if (it != figures.regions.end()) return it->second.level;
  return code.size() == 2 ? Level::kProvince : code.size() == 4 ? Level::kCity : Level::kCounty;
}

std::string ParentOf(const YearFigures& figures, const std::string& code) {
  auto it = figures.regions.find(code);
  if (it != figures.regions.end()) return it->second.parent_code;
  return code.size() > 4 ? code.substr(0, 4) : code.substr(0, 2);
}

// The city a county's figures add up to; a county-level city (济源示范区) is its own.
std::string CityOf(const YearFigures& figures, const std::string& code) {
  return LevelOf(figures, code) == Level::kCity ? code : ParentOf(figures, code);
}

}  // namespace

namespace {

absl::Status CannotNarrow(v1::GetBudgetSummaryRequest::Scope scope, const std::string& region) {
  return FieldError("region", absl::StrCat("'", region, "' cannot narrow a ",
                                           v1::GetBudgetSummaryRequest::Scope_Name(scope),
                                           " summary; a city narrows CITY and COUNTY lines, a "
                                           "county COUNTY lines"));
}

}  // namespace

absl::Status CheckSummaryScope(v1::GetBudgetSummaryRequest::Scope scope,
                               const std::string& region) {
  if (scope == v1::GetBudgetSummaryRequest::PROVINCE && !region.empty())
    return CannotNarrow(scope, region);
  return absl::OkStatus();
}

absl::Status CheckSummaryRegion(const YearFigures& figures,
                                v1::GetBudgetSummaryRequest::Scope scope,
                                const std::string& region_code, const std::string& region) {
  PEIXUN_RETURN_IF_ERROR(CheckSummaryScope(scope, region));
  auto it = figures.regions.find(region_code);
  if (it == figures.regions.end())
    return absl::NotFoundError(absl::StrCat("region: catalog has no ", region));
  if (scope == v1::GetBudgetSummaryRequest::CITY && it->second.level == Level::kCounty)
    return CannotNarrow(scope, region);
  return absl::OkStatus();
}

v1::BudgetSummary SummarizeBudget(const YearFigures& figures,
                                  v1::GetBudgetSummaryRequest::Scope scope,
                                  const std::string& region_code,
                                  int64_t subsidy_per_participant_fen) {
  std::map<std::string, v1::BudgetLine> lines;
  auto line = [&](const std::string& code) -> v1::BudgetLine& {
    v1::BudgetLine& l = lines[code];
    if (l.region().empty()) {
      l.set_region("regions/" + code);
      auto it = figures.regions.find(code);
      if (it != figures.regions.end()) l.set_display_name(it->second.display_name);
    }
    return l;
  };
  const Level narrowed = region_code.empty() ? Level::kProvince : LevelOf(figures, region_code);
  switch (scope) {
    case v1::GetBudgetSummaryRequest::COUNTY: {
      // Counties, and any region a decision was made for.
      auto wanted = [&](const std::string& code, bool decided) {
        if (!decided && LevelOf(figures, code) != Level::kCounty &&
            figures.direct_budget_fen.count(code) == 0)
          return false;
        if (narrowed == Level::kProvince) return true;
        return narrowed == Level::kCity ? CityOf(figures, code) == region_code
                                        : code == region_code;
      };
      for (const auto& [code, fen] : figures.allocated_budget_fen) {
        if (wanted(code, false)) line(code).set_project_budget_fen(fen);
      }
      for (const auto& [code, n] : figures.completed_by_county) {
        if (wanted(code, false)) line(code).set_completed_participants(n);
      }
      for (const auto& [code, fen] : figures.decided_fen) {
        if (wanted(code, true)) line(code).set_decided_amount_fen(fen);
      }
      break;
    }
    case v1::GetBudgetSummaryRequest::CITY: {
      auto wanted = [&](const std::string& city) {
        return narrowed == Level::kProvince || city == region_code;
      };
      for (const auto& [code, fen] : figures.allocated_budget_fen) {
        if (LevelOf(figures, code) == Level::kCity && wanted(code))
          line(code).set_project_budget_fen(fen);
      }
      // R-1b: a directly administered county's seats are not in its city's quota, but the
      // county reports under its city.
      for (const auto& [code, fen] : figures.direct_budget_fen) {
        if (LevelOf(figures, code) == Level::kCity) continue;  // 济源: already its own line
        const std::string city = CityOf(figures, code);
        if (!wanted(city)) continue;
        v1::BudgetLine& l = line(city);
        l.set_project_budget_fen(l.project_budget_fen() + fen);
      }
      for (const auto& [code, n] : figures.completed_by_city) {
        if (wanted(code)) line(code).set_completed_participants(n);
      }
      for (const auto& [code, fen] : figures.decided_fen) {
        const std::string city = CityOf(figures, code);
        if (!wanted(city)) continue;
        v1::BudgetLine& l = line(city);
        l.set_decided_amount_fen(l.decided_amount_fen() + fen);
      }
      break;
    }
    default: {  // PROVINCE
      std::string province = "41";
      for (const auto& [code, info] : figures.regions) {
        if (info.level == Level::kProvince) province = code;
      }
      v1::BudgetLine& l = line(province);
      l.set_project_budget_fen(figures.project_budget_total_fen);
      int32_t completed = 0;
      for (const auto& [code, n] : figures.completed_by_city) completed += n;
      l.set_completed_participants(completed);
      int64_t decided = 0;
      for (const auto& [code, fen] : figures.decided_fen) decided += fen;
      l.set_decided_amount_fen(decided);
      break;
    }
  }
  v1::BudgetSummary summary;
  summary.set_scope(scope == v1::GetBudgetSummaryRequest::SCOPE_UNSPECIFIED
                        ? v1::GetBudgetSummaryRequest::PROVINCE
                        : scope);
  for (auto& [code, l] : lines) {
    l.set_subsidy_fen(static_cast<int64_t>(l.completed_participants()) *
                      subsidy_per_participant_fen);
    summary.set_total_project_budget_fen(summary.total_project_budget_fen() +
                                         l.project_budget_fen());
    summary.set_total_subsidy_fen(summary.total_subsidy_fen() + l.subsidy_fen());
    summary.set_total_decided_fen(summary.total_decided_fen() + l.decided_amount_fen());
    *summary.add_lines() = std::move(l);
  }
  return summary;
}

int PolicyVersionOf(const std::string& policy_name) {
  int version = 0;
  return absl::SimpleAtoi(LastSegment(policy_name), &version) ? version : 0;
}

Redecision PlanRedecision(int year, const std::string& county_code,
                          const std::optional<CurrentDecision>& current,
                          const DecisionInput& input) {
  Redecision plan;
  if (!current) {
    plan.policy_version = kNewestPolicy;
    return plan;
  }
  plan.unchanged = SameInputs(current->decision, input);
  plan.policy_version = PolicyVersionOf(current->decision.tier_policy());
  plan.seq = current->seq + 1;
  plan.supersedes = absl::StrCat("years/", year, "/decisions/", county_code, "@", current->seq);
  return plan;
}

std::optional<v1::ProjectCounty::Period> PeriodOpenedBy(
    const v1::Decision& decision, int year, const v1::TierPolicy& policy,
    const std::optional<v1::ProjectCounty>& county, const std::string& decision_name) {
  if (decision.tier() == v1::REVOKED) return RevocationPeriod(year, policy, decision_name);
  if (!county) return std::nullopt;
  return SupportPeriod(*county, year, decision.tier(), decision_name);
}

}  // namespace peixun::funding::domain
