// Funding's pure rules, one group per rule id (DOMAIN.md §6).
#include "services/funding/domain/funding_rules.h"

#include <map>

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
  EXPECT_EQ(DecideTier(Input("GRADE_UNSPECIFIED"), policy, &d).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(R25Tiers, APolicyNeedsOrderedAmountsAPeriodAndAReason) {
  v1::TierPolicy policy = DefaultTierPolicy();
  EXPECT_TRUE(ValidateTierPolicy(policy).ok());
  policy.set_excellent_amount_fen(100);
  EXPECT_NE(ValidateTierPolicy(policy).message().find("tier_policy.excellent_amount_fen"),
            std::string::npos);
  policy = DefaultTierPolicy();
  policy.set_revocation_years(0);
  EXPECT_NE(ValidateTierPolicy(policy).message().find("tier_policy.revocation_years"),
            std::string::npos);
  policy = DefaultTierPolicy();
  policy.set_designation_years(11);
  EXPECT_NE(ValidateTierPolicy(policy).message().find("tier_policy.designation_years"),
            std::string::npos);
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

TEST(R27Status, ARevocationCoversTheNextCycleAndTheTermDoesNotResumeAfterIt) {
  v1::ProjectCounty county;
  county.set_county("regions/410225");
  *county.add_periods() = DesignationTerm(2021, DefaultTierPolicy());
  EXPECT_EQ(county.periods(0).to_year(), 2022);  // two years (001 "连续2年")
  EXPECT_FALSE(ActiveIn(county, 2020));
  EXPECT_TRUE(ActiveIn(county, 2022));
  *county.add_periods() =
      RevocationPeriod(2022, DefaultTierPolicy(), "years/2022/decisions/410225@1");
  EXPECT_EQ(county.periods(1).from_year(), 2023);
  EXPECT_EQ(county.periods(1).to_year(), 2024);
  EXPECT_TRUE(ActiveIn(county, 2022));
  EXPECT_FALSE(ActiveIn(county, 2023));
  EXPECT_FALSE(ActiveIn(county, 2024));
  EXPECT_FALSE(ActiveIn(county, 2025));  // the term ended in 2022; nothing renewed it
  // The status says why a county is not active, as refusals quote it.
  SetStatusIn(county, 2023);
  EXPECT_EQ(county.inactive_reason(),
            "regions/410225 is revoked for 2023-2024 by years/2022/decisions/410225@1");
  SetStatusIn(county, 2025);
  EXPECT_EQ(county.inactive_reason(),
            "regions/410225's designation ended in 2022 and was not renewed");
  SetStatusIn(county, 2020);
  EXPECT_EQ(county.inactive_reason(), "regions/410225 is a project county from 2021, not in 2020");
  SetStatusIn(county, 2022);
  EXPECT_TRUE(county.active());
  EXPECT_EQ(county.inactive_reason(), "");
  // A designation inside the revocation is refused naming it; after the cycle it is a renewal.
  absl::Status inside = CheckDesignation(county, DesignationTerm(2024, DefaultTierPolicy()));
  EXPECT_EQ(inside.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(inside.message().find("R-27"), std::string::npos) << inside.message();
  EXPECT_NE(inside.message().find("years/2022/decisions/410225@1"), std::string::npos);
  EXPECT_TRUE(CheckDesignation(county, DesignationTerm(2025, DefaultTierPolicy())).ok());
}

TEST(R27Status, ATermEndsUnlessRenewedAndARenewalStartsAfterIt) {
  v1::TierPolicy three_years = DefaultTierPolicy();
  three_years.set_designation_years(3);
  v1::ProjectCounty county;
  county.set_county("regions/410225");
  *county.add_periods() = DesignationTerm(2021, three_years);
  EXPECT_TRUE(ActiveIn(county, 2023));
  EXPECT_FALSE(ActiveIn(county, 2024));
  absl::Status overlapping = CheckDesignation(county, DesignationTerm(2023, three_years));
  EXPECT_EQ(overlapping.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(overlapping.message().find("a renewal starts in 2024"), std::string::npos)
      << overlapping.message();
  ASSERT_TRUE(CheckDesignation(county, DesignationTerm(2024, three_years)).ok());
  *county.add_periods() = DesignationTerm(2024, three_years);
  EXPECT_TRUE(ActiveIn(county, 2026));
  EXPECT_FALSE(ActiveIn(county, 2027));
}

TEST(R27Status, AQualifyingGradeKeepsTheCountyActiveForTheYearItsSupportIsFor) {
  v1::ProjectCounty county;
  county.set_county("regions/410225");
  *county.add_periods() = DesignationTerm(2021, DefaultTierPolicy());
  // Evaluated in 2022, the last year of the term: 3,000,000 yuan of 2023 projects.
  auto support = SupportPeriod(county, 2022, v1::HIGH, "years/2022/decisions/410225@1");
  ASSERT_TRUE(support.has_value());
  EXPECT_EQ(support->from_year(), 2023);
  EXPECT_EQ(support->to_year(), 2023);
  EXPECT_EQ(support->decision(), "years/2022/decisions/410225@1");
  EXPECT_FALSE(SupportPeriod(county, 2022, v1::REVOKED, "d").has_value());
  // Evaluated in 2021, with 2022 inside the term: nothing to add.
  EXPECT_FALSE(SupportPeriod(county, 2021, v1::STANDARD, "d").has_value());
  // A county not active in the evaluated year gets no status from a grade.
  EXPECT_FALSE(SupportPeriod(county, 2024, v1::STANDARD, "d").has_value());
  *county.add_periods() = *support;
  EXPECT_TRUE(ActiveIn(county, 2023));
  EXPECT_FALSE(ActiveIn(county, 2024));
}

TEST(R26Decisions, ACorrectedRevisionSupersedesUnderThePolicyTheYearWasFirstDecidedUnder) {
  const Redecision first = PlanRedecision(2022, "410225", std::nullopt, Input("QUALIFIED"));
  EXPECT_FALSE(first.unchanged);
  EXPECT_EQ(first.policy_version, kNewestPolicy);
  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(first.supersedes, "");

  CurrentDecision current;
  ASSERT_TRUE(DecideTier(Input("QUALIFIED"), DefaultTierPolicy(), &current.decision).ok());
  current.decision.set_tier_policy("tierPolicies/3");
  current.seq = 1;
  EXPECT_TRUE(PlanRedecision(2022, "410225", current, Input("QUALIFIED")).unchanged);
  const Redecision again = PlanRedecision(2022, "410225", current, Input("EXCELLENT", 2));
  EXPECT_FALSE(again.unchanged);
  EXPECT_EQ(again.policy_version, 3);  // not a newer policy made since
  EXPECT_EQ(again.seq, 2);
  EXPECT_EQ(again.supersedes, "years/2022/decisions/410225@1");
  current.decision.set_tier_policy("tierPolicies/0");
  EXPECT_EQ(PlanRedecision(2022, "410225", current, Input("EXCELLENT", 2)).policy_version, 0);
}

TEST(R26R27Decisions, ARevocationOrNextYearsSupportIsWhatADecisionOpens) {
  const v1::TierPolicy policy = DefaultTierPolicy();
  v1::Decision revoked;
  ASSERT_TRUE(DecideTier(Input("UNQUALIFIED"), policy, &revoked).ok());
  auto period = PeriodOpenedBy(revoked, 2022, policy, std::nullopt, "years/2022/decisions/x@1");
  ASSERT_TRUE(period.has_value());
  EXPECT_EQ(period->kind(), v1::ProjectCounty::Period::REVOKED);
  EXPECT_EQ(period->from_year(), 2023);

  v1::Decision high;
  ASSERT_TRUE(DecideTier(Input("EXCELLENT"), policy, &high).ok());
  EXPECT_FALSE(PeriodOpenedBy(high, 2022, policy, std::nullopt, "d").has_value());
  v1::ProjectCounty county;
  *county.add_periods() = DesignationTerm(2021, policy);
  period = PeriodOpenedBy(high, 2022, policy, county, "years/2022/decisions/410225@1");
  ASSERT_TRUE(period.has_value());
  EXPECT_EQ(period->kind(), v1::ProjectCounty::Period::ACTIVE);
  EXPECT_EQ(period->from_year(), 2023);
}

// Two cities of Henan, 济源示范区 (a county-level region run as a city), and the figures the
// other services would report for them.
YearFigures Figures() {
  YearFigures f;
  using L = RegionInfo::Level;
  f.regions["41"] = {"河南省", "", L::kProvince};
  f.regions["4102"] = {"开封市", "41", L::kCity};
  f.regions["410225"] = {"兰考县", "4102", L::kCounty};
  f.regions["410223"] = {"尉氏县", "4102", L::kCounty};
  f.regions["4101"] = {"郑州市", "41", L::kCity};
  f.regions["410122"] = {"中牟县", "4101", L::kCounty};
  f.regions["419001"] = {"济源示范区", "41", L::kCity};
  f.allocated_budget_fen = {{"4102", 900}, {"410225", 500}, {"410223", 300},
                            {"4101", 400}, {"410122", 400}, {"419001", 100}};
  f.project_budget_total_fen = 2000;  // 600 not yet allocated to any city
  f.completed_by_county = {{"410225", 4}, {"410122", 2}};
  f.completed_by_city = {{"4102", 4}, {"4101", 2}, {"419001", 1}};
  f.decided_fen = {{"410225", 300}, {"410223", 200}, {"410122", 0}, {"419001", 200}};
  return f;
}

TEST(R28Budgets, CountyLinesAddUpWithSubsidiesPerCompletedParticipant) {
  v1::BudgetSummary s = SummarizeBudget(Figures(), v1::GetBudgetSummaryRequest::COUNTY, "", 50);
  // Counties in code order, and 济源示范区 because a decision was made for it.
  ASSERT_EQ(s.lines_size(), 4);
  EXPECT_EQ(s.lines(0).region(), "regions/410122");
  EXPECT_EQ(s.lines(0).display_name(), "中牟县");
  EXPECT_EQ(s.lines(1).region(), "regions/410223");
  EXPECT_EQ(s.lines(1).completed_participants(), 0);
  EXPECT_EQ(s.lines(2).region(), "regions/410225");
  EXPECT_EQ(s.lines(2).project_budget_fen(), 500);
  EXPECT_EQ(s.lines(2).subsidy_fen(), 200);
  EXPECT_EQ(s.lines(2).decided_amount_fen(), 300);
  EXPECT_EQ(s.lines(3).region(), "regions/419001");
  EXPECT_EQ(s.lines(3).project_budget_fen(), 0);  // its quota is a city quota
  EXPECT_EQ(s.total_project_budget_fen(), 1200);
  EXPECT_EQ(s.total_subsidy_fen(), 300);
  EXPECT_EQ(s.total_decided_fen(), 700);

  v1::BudgetSummary kaifeng =
      SummarizeBudget(Figures(), v1::GetBudgetSummaryRequest::COUNTY, "4102", 50);
  ASSERT_EQ(kaifeng.lines_size(), 2);
  EXPECT_EQ(kaifeng.total_decided_fen(), 500);
  v1::BudgetSummary lankao =
      SummarizeBudget(Figures(), v1::GetBudgetSummaryRequest::COUNTY, "410225", 50);
  ASSERT_EQ(lankao.lines_size(), 1);
  EXPECT_EQ(lankao.lines(0).region(), "regions/410225");
}

TEST(R1aR1bR28Budgets, SeatsStraightFromTheProvinceCountForTheCountyAndItsCity) {
  YearFigures f = Figures();
  f.allocated_budget_fen["410225"] += 300;  // 兰考县 also takes 300 straight from a project
  f.direct_budget_fen = {{"410225", 300}, {"419001", 100}};  // 济源's quota is a county quota
  v1::BudgetSummary counties = SummarizeBudget(f, v1::GetBudgetSummaryRequest::COUNTY, "", 50);
  std::map<std::string, int64_t> county_fen;
  for (const auto& l : counties.lines()) county_fen[l.region()] = l.project_budget_fen();
  EXPECT_EQ(county_fen["regions/410225"], 800);
  EXPECT_EQ(county_fen["regions/419001"], 100);  // its own county-level unit (R-1a)
  v1::BudgetSummary cities = SummarizeBudget(f, v1::GetBudgetSummaryRequest::CITY, "", 50);
  std::map<std::string, int64_t> city_fen;
  for (const auto& l : cities.lines()) city_fen[l.region()] = l.project_budget_fen();
  EXPECT_EQ(city_fen["regions/4102"], 900 + 300);  // reported under 开封 (R-1b)
  EXPECT_EQ(city_fen["regions/419001"], 100);      // once, as its own city
  EXPECT_EQ(city_fen["regions/4101"], 400);
  v1::BudgetSummary kaifeng = SummarizeBudget(f, v1::GetBudgetSummaryRequest::CITY, "4102", 50);
  ASSERT_EQ(kaifeng.lines_size(), 1);
  EXPECT_EQ(kaifeng.lines(0).project_budget_fen(), 1200);
}

TEST(R1aR28Budgets, ASummaryIsNarrowedByTheRegionsLevelInTheRegionData) {
  const YearFigures f = Figures();
  using Scope = v1::GetBudgetSummaryRequest;
  // 济源示范区 is city-level in the region data although its code has six digits (R-1a).
  EXPECT_TRUE(CheckSummaryRegion(f, Scope::CITY, "419001", "regions/419001").ok());
  EXPECT_TRUE(CheckSummaryRegion(f, Scope::CITY, "4102", "regions/4102").ok());
  EXPECT_TRUE(CheckSummaryRegion(f, Scope::COUNTY, "410225", "regions/410225").ok());
  absl::Status county = CheckSummaryRegion(f, Scope::CITY, "410225", "regions/410225");
  EXPECT_EQ(county.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(county.message().find("region"), std::string::npos) << county.message();
  EXPECT_EQ(CheckSummaryRegion(f, Scope::PROVINCE, "4102", "regions/4102").code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status unknown = CheckSummaryRegion(f, Scope::COUNTY, "410299", "regions/410299");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.message().find("regions/410299"), std::string::npos) << unknown.message();
}

TEST(R28Budgets, CityAndProvinceLinesUseTheirOwnFigures) {
  v1::BudgetSummary cities = SummarizeBudget(Figures(), v1::GetBudgetSummaryRequest::CITY, "", 50);
  ASSERT_EQ(cities.lines_size(), 3);
  EXPECT_EQ(cities.lines(0).region(), "regions/4101");
  EXPECT_EQ(cities.lines(1).region(), "regions/4102");
  EXPECT_EQ(cities.lines(1).project_budget_fen(), 900);  // the city quota, not its counties' sum
  EXPECT_EQ(cities.lines(1).decided_amount_fen(), 500);
  EXPECT_EQ(cities.lines(1).subsidy_fen(), 200);
  EXPECT_EQ(cities.lines(2).region(), "regions/419001");
  EXPECT_EQ(cities.lines(2).decided_amount_fen(), 200);
  EXPECT_EQ(cities.total_subsidy_fen(), 350);

  v1::BudgetSummary province =
      SummarizeBudget(Figures(), v1::GetBudgetSummaryRequest::PROVINCE, "", 50);
  ASSERT_EQ(province.lines_size(), 1);
  EXPECT_EQ(province.lines(0).region(), "regions/41");
  EXPECT_EQ(province.lines(0).display_name(), "河南省");
  EXPECT_EQ(province.total_project_budget_fen(), 2000);  // every seat, allocated or not
  EXPECT_EQ(province.lines(0).completed_participants(), 7);
  EXPECT_EQ(province.total_decided_fen(), 700);
}

}  // namespace
}  // namespace peixun::funding::domain
