// Funding's pure rules, one group per rule id (DOMAIN.md §6).
#include "services/funding/domain/funding_rules.h"

#include "gtest/gtest.h"

namespace peixun::funding::domain {
namespace {

DecisionInput Input(const std::string& grade, int revision = 1) {
  return {"regions/410225", "years/2022/rounds/county-2022/results/410225", revision, grade};
}

TEST(R25Tiers, GradesEarnTheirTierAndAmount) {
  v1::TierPolicy policy = DefaultTierPolicy();
  policy.set_name("tierPolicies/0");
  v1::Decision d;
  ASSERT_TRUE(DecideTier(Input("EXCELLENT"), policy, &d).ok());
  EXPECT_EQ(d.tier(), v1::HIGH);
  EXPECT_EQ(d.amount_fen(), 300000000);  // 3,000,000 yuan
  ASSERT_TRUE(DecideTier(Input("QUALIFIED"), policy, &d).ok());
  EXPECT_EQ(d.tier(), v1::STANDARD);
  EXPECT_EQ(d.amount_fen(), 200000000);
  ASSERT_TRUE(DecideTier(Input("UNQUALIFIED"), policy, &d).ok());
  EXPECT_EQ(d.tier(), v1::REVOKED);
  EXPECT_EQ(d.amount_fen(), 0);
  EXPECT_EQ(d.tier_policy(), "tierPolicies/0");
  EXPECT_EQ(DecideTier(Input("GRADE_UNSPECIFIED"), policy, &d).code(), absl::StatusCode::kInvalidArgument);
}

TEST(R25Tiers, APolicyNeedsOrderedAmountsAPeriodAndAReason) {
  v1::TierPolicy policy = DefaultTierPolicy();
  EXPECT_TRUE(ValidateTierPolicy(policy).ok());
  policy.set_excellent_amount_fen(100);
  EXPECT_NE(ValidateTierPolicy(policy).message().find("tier_policy.excellent_amount_fen"), std::string::npos);
  policy = DefaultTierPolicy();
  policy.set_revocation_years(0);
  EXPECT_NE(ValidateTierPolicy(policy).message().find("tier_policy.revocation_years"), std::string::npos);
  policy = DefaultTierPolicy();
  policy.clear_reason();
  EXPECT_NE(ValidateTierPolicy(policy).message().find("tier_policy.reason"), std::string::npos);
}

TEST(R26Decisions, OnlyAnotherResultRevisionReopensADecision) {
  v1::Decision recorded;
  ASSERT_TRUE(DecideTier(Input("QUALIFIED"), DefaultTierPolicy(), &recorded).ok());
  EXPECT_TRUE(SameInputs(recorded, Input("QUALIFIED")));
  EXPECT_FALSE(SameInputs(recorded, Input("EXCELLENT", 2)));
}

TEST(R27Status, ARevocationCoversTheNextCycleThenTheDesignationResumes) {
  v1::ProjectCounty county;
  auto* active = county.add_periods();
  active->set_kind(v1::ProjectCounty::Period::ACTIVE);
  active->set_from_year(2021);
  EXPECT_FALSE(ActiveIn(county, 2020));
  EXPECT_TRUE(ActiveIn(county, 2022));
  *county.add_periods() = RevocationPeriod(2022, DefaultTierPolicy(), "years/2022/decisions/410225@1");
  EXPECT_EQ(county.periods(1).from_year(), 2023);
  EXPECT_EQ(county.periods(1).to_year(), 2024);
  EXPECT_TRUE(ActiveIn(county, 2022));
  EXPECT_FALSE(ActiveIn(county, 2023));
  EXPECT_FALSE(ActiveIn(county, 2024));
  EXPECT_TRUE(ActiveIn(county, 2025));
}

}  // namespace
}  // namespace peixun::funding::domain
