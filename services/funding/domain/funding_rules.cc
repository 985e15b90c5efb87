#include "services/funding/domain/funding_rules.h"

#include "absl/strings/str_cat.h"
#include "common/util/status.h"

namespace peixun::funding::domain {

v1::TierPolicy DefaultTierPolicy() {
  v1::TierPolicy policy;
  policy.set_excellent_amount_fen(300000000);
  policy.set_qualified_amount_fen(200000000);
  policy.set_revocation_years(2);
  policy.set_subsidy_per_participant_fen(0);
  policy.set_reason("built-in defaults (R-25)");
  return policy;
}

absl::Status ValidateTierPolicy(const v1::TierPolicy& policy) {
  if (policy.qualified_amount_fen() < 0) {
    return FieldError("tier_policy.qualified_amount_fen", absl::StrCat("must be >= 0, is ", policy.qualified_amount_fen()));
  }
  if (policy.excellent_amount_fen() < policy.qualified_amount_fen()) {
    return FieldError("tier_policy.excellent_amount_fen",
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
  if (policy.subsidy_per_participant_fen() < 0 || policy.subsidy_per_participant_fen() > 100000000) {
    return FieldError("tier_policy.subsidy_per_participant_fen", "must be between 0 and 1,000,000 yuan");
  }
  if (policy.reason().empty()) return FieldError("tier_policy.reason", "must say why this version is made");
  return absl::OkStatus();
}

absl::Status DecideTier(const DecisionInput& input, const v1::TierPolicy& policy, v1::Decision* decision) {
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
    return absl::InvalidArgumentError(
        absl::StrCat(input.result, " has grade '", input.grade, "', which is no grade R-25 decides on"));
  }
  return absl::OkStatus();
}

bool SameInputs(const v1::Decision& recorded, const DecisionInput& input) {
  return recorded.result() == input.result && recorded.result_revision() == input.result_revision;
}

v1::ProjectCounty::Period RevocationPeriod(int year, const v1::TierPolicy& policy, const std::string& decision) {
  v1::ProjectCounty::Period period;
  period.set_kind(v1::ProjectCounty::Period::REVOKED);
  period.set_from_year(year + 1);
  period.set_to_year(year + policy.revocation_years());
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

}  // namespace peixun::funding::domain
