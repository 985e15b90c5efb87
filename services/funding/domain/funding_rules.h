// Funding's rules as pure functions (DOMAIN.md §6, R-25 to R-27): tiers from grades, decisions
// reproducible from their inputs, and project-county status over the years.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "peixun/funding/v1/funding.pb.h"

namespace peixun::funding::domain {

namespace v1 = ::peixun::funding::v1;

// ---- Tier policy (R-25) ---------------------------------------------------------------------

// The defaults: 3,000,000 yuan for EXCELLENT, 2,000,000 for QUALIFIED, revocation for 2 years,
// and no per-participant subsidy (the source documents give no amount; a policy sets it).
v1::TierPolicy DefaultTierPolicy();
// Amounts >= 0 with excellent >= qualified, 1 to 10 revocation years, a subsidy >= 0, a reason.
absl::Status ValidateTierPolicy(const v1::TierPolicy& policy);

// ---- Decisions (R-25, R-26) -----------------------------------------------------------------

// What a decision follows from: a published evaluation result.
struct DecisionInput {
  std::string county;  // "regions/{code}"
  std::string result;  // "years/{y}/rounds/{r}/results/{code}"
  int result_revision = 0;
  std::string grade;  // "EXCELLENT", "QUALIFIED" or "UNQUALIFIED"
};

// The tier and amount a grade earns under the policy (REVOKED and 0 for UNQUALIFIED).
// INVALID_ARGUMENT for a grade that is none of the three.
absl::Status DecideTier(const DecisionInput& input, const v1::TierPolicy& policy,
                        v1::Decision* decision);

// Whether a recorded decision already follows from this result (so deciding again changes
// nothing): the same result and revision. A newer tier policy alone never reopens a decision
// only a corrected evaluation revision supersedes one).
bool SameInputs(const v1::Decision& recorded, const DecisionInput& input);

// Deciding a county's year again: what recording a decision from `input` does, given
// the county's current decision of the year.
struct Redecision {
  // The current decision already follows from these inputs: nothing is recorded.
  bool unchanged = false;
  // The tier policy to decide under: a year's decisions keep the one the county's first
  // decision was made under (its version, 0 for the built-in defaults even when versions were
  // made since); a county's first decision takes the newest (kNewestPolicy).
  int policy_version = 0;
  int seq = 1;             // the new decision's number
  std::string supersedes;  // "years/{y}/decisions/{code}@{n}" it replaces; "" for a first
};
inline constexpr int kNewestPolicy = -1;

// 3 for "tierPolicies/3"; 0 (the built-in defaults) for "tierPolicies/0".
int PolicyVersionOf(const std::string& policy_name);

struct CurrentDecision {
  v1::Decision decision;
  int seq = 0;
};
Redecision PlanRedecision(int year, const std::string& county_code,
                          const std::optional<CurrentDecision>& current,
                          const DecisionInput& input);

// ---- Project-county status (R-27) -----------------------------------------------------------

// The period a REVOKED decision on evaluated year `year` opens: from the next year for the
// policy's revocation years.
v1::ProjectCounty::Period RevocationPeriod(int year, const v1::TierPolicy& policy,
                                           const std::string& decision);

// Whether the county is an active project county in `year`: an ACTIVE period covers the year
// and no REVOKED period does.
bool ActiveIn(const v1::ProjectCounty& county, int year);

// Sets `active` for `year`, and `inactive_reason` when it is false.
void SetStatusIn(v1::ProjectCounty& county, int year);

// The ACTIVE period a designation from `from_year` opens: the policy's designation_years
// a term that ends unless renewed).
v1::ProjectCounty::Period DesignationTerm(int from_year, const v1::TierPolicy& policy);

// Whether `term` may be added to the county's periods: ALREADY_EXISTS when it overlaps an ACTIVE
// period (the message says where a renewal starts), FAILED_PRECONDITION when it overlaps
// a revocation.
absl::Status CheckDesignation(const v1::ProjectCounty& county,
                              const v1::ProjectCounty::Period& term);

// a HIGH or STANDARD decision on `year` supports the county with next year's
// projects, so a county active in `year` whose term ends then stays a project county in
// `year + 1` (an ACTIVE period carrying the decision; superseding the decision removes it).
// Nothing when the tier gives no support or the county is already active next year.
std::optional<v1::ProjectCounty::Period> SupportPeriod(const v1::ProjectCounty& county, int year,
                                                       v1::Tier tier, const std::string& decision);

// The period a decision recorded as `decision_name` on `year` opens on its county: the
// revocation (REVOKED, R-26), or next year's support (SupportPeriod) when the county is a
// designated project county; none otherwise.
std::optional<v1::ProjectCounty::Period> PeriodOpenedBy(
    const v1::Decision& decision, int year, const v1::TierPolicy& policy,
    const std::optional<v1::ProjectCounty>& county, const std::string& decision_name);

// ---- Budgets and subsidies (R-4, R-28) -----------------------------------------------------

// A region as the summary groups it.
struct RegionInfo {
  std::string display_name;
  std::string parent_code;  // "" for the province
  enum class Level { kProvince, kCity, kCounty } level = Level::kCounty;
};

// What the other services report for a year, by region code.
struct YearFigures {
  std::map<std::string, RegionInfo> regions;
  // Project budgets priced by seats allocated to each city and county (catalog, R-4).
  std::map<std::string, int64_t> allocated_budget_fen;
  // Of those, county-level quotas the province gave straight from a project (R-1a, R-1b): a
  // directly administered county's seats also count on its city's line; 济源's are its own.
  std::map<std::string, int64_t> direct_budget_fen;
  // Sum of every project's budget (all its seats, allocated or not).
  int64_t project_budget_total_fen = 0;
  // Completed participants per county and per city (enrollment, R-28).
  std::map<std::string, int32_t> completed_by_county;
  std::map<std::string, int32_t> completed_by_city;
  // Current decided next-year amount per county.
  std::map<std::string, int64_t> decided_fen;
};

// The region a budget summary is narrowed to (`region`, as the request named it): one catalog
// knows (NOT_FOUND otherwise); a city-level unit narrows CITY and COUNTY summaries (济源 too,
// R-1a: its level is the region data's, not its code's length), a county COUNTY ones; a
// PROVINCE summary is not narrowed (INVALID_ARGUMENT naming `region`).
// The part of that check the request alone decides: a PROVINCE summary is not narrowed.
absl::Status CheckSummaryScope(v1::GetBudgetSummaryRequest::Scope scope, const std::string& region);
absl::Status CheckSummaryRegion(const YearFigures& figures,
                                v1::GetBudgetSummaryRequest::Scope scope,
                                const std::string& region_code, const std::string& region);

// One line per county, city or the province (in code order), optionally narrowed to a region
// (a city narrows county lines to its counties), with subsidies at `subsidy_per_participant_fen`
// and the totals. A county line exists when any of its figures does.
v1::BudgetSummary SummarizeBudget(const YearFigures& figures,
                                  v1::GetBudgetSummaryRequest::Scope scope,
                                  const std::string& region_code,
                                  int64_t subsidy_per_participant_fen);

}  // namespace peixun::funding::domain
