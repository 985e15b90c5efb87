// Funding through real servers on loopback, each on its own fresh MariaDB database: decisions
// from the results a running evaluation server has published, and project-county
// status with its revocations.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "peixun/evaluation/v1/evaluation.grpc.pb.h"
#include "peixun/funding/v1/funding.grpc.pb.h"
#include "services/evaluation/evaluation_migrations.h"
#include "services/evaluation/evaluation_service.h"
#include "services/funding/funding_migrations.h"
#include "services/funding/funding_service.h"
#include "tests/support/harness.h"

namespace peixun::funding {
namespace {

using auth::Role;
using peixun::testing::ContextAs;
namespace ev = ::peixun::evaluation::v1;

class FundingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    evaluation_ = std::make_unique<server::Platform>(
        peixun::testing::TestPlatformOptions("evaluation", "peixun.evaluation.v1.EvaluationService",
                                             evaluation_db_.config(), evaluation::Migrations()));
    evaluation_service_ = std::make_unique<evaluation::EvaluationService>(*evaluation_);
    ASSERT_TRUE(evaluation_->Start(evaluation_service_.get()).ok());
    ASSERT_TRUE(peixun::testing::WaitServing(*evaluation_));
    evaluation_stub_ =
        ev::EvaluationService::NewStub(peixun::testing::LoopbackChannel(evaluation_->port()));

    funding_ = std::make_unique<server::Platform>(
        peixun::testing::TestPlatformOptions("funding", "peixun.funding.v1.FundingService",
                                             funding_db_.config(), funding::Migrations()));
    results_ =
        std::make_unique<EvaluationResults>(absl::StrCat("127.0.0.1:", evaluation_->port()),
                                            peixun::testing::TestSigner(), SystemClock::Instance());
    // Catalog and enrollment are not running here: budget summaries must say so.
    catalog_ = std::make_unique<CatalogBudgets>("127.0.0.1:1", peixun::testing::TestSigner(),
                                                SystemClock::Instance());
    enrollment_ = std::make_unique<EnrollmentCompletions>(
        "127.0.0.1:1", peixun::testing::TestSigner(), SystemClock::Instance());
    service_ = std::make_unique<FundingService>(
        *funding_, FundingDependencies{results_.get(), catalog_.get(), enrollment_.get()});
    ASSERT_TRUE(funding_->Start(service_.get()).ok());
    ASSERT_TRUE(peixun::testing::WaitServing(*funding_));
    stub_ = v1::FundingService::NewStub(peixun::testing::LoopbackChannel(funding_->port()));
  }

  void TearDown() override {
    if (funding_) funding_->Shutdown();
    if (evaluation_) evaluation_->Shutdown();
  }

  // A 2022 round on a two-indicator rubric (no automatic deductions), scored by one expert:
  // 兰考县 95 (EXCELLENT), 尉氏县 80 (QUALIFIED), 中牟县 60 (UNQUALIFIED); left unpublished.
  void ScoreRound() {
    ev::CreateRubricVersionRequest rubric_request;
    rubric_request.set_parent("rubrics/simple");
    auto* rubric = rubric_request.mutable_rubric_version();
    rubric->set_display_name("简表");
    for (const char* code : {"1", "2"}) {
      auto* node = rubric->add_indicators();
      node->set_code(code);
      node->set_display_name(absl::StrCat("指标", code));
      node->set_max_score_tenths(500);
    }
    ev::RubricVersion made;
    ASSERT_TRUE(evaluation_stub_->CreateRubricVersion(Admin().get(), rubric_request, &made).ok());
    ev::CreateRoundRequest create;
    create.set_parent("years/2022");
    create.set_round_id("county-2022");
    create.mutable_round()->set_display_name("2022 年项目县绩效评价");
    create.mutable_round()->set_rubric_version(made.name());
    for (const auto& [county, total] : scores_)
      create.mutable_round()->add_counties("regions/" + county);
    ev::Round round;
    ASSERT_TRUE(evaluation_stub_->CreateRound(Admin().get(), create, &round).ok());
    for (const auto& [county, total] : scores_) {
      ev::AssignExpertRequest assign;
      assign.set_round(round_);
      assign.mutable_assignment()->set_county("regions/" + county);
      assign.mutable_assignment()->set_expert("expert-a");
      assign.mutable_assignment()->set_expert_region("regions/410521");
      ev::Assignment assignment;
      ASSERT_TRUE(evaluation_stub_->AssignExpert(Admin().get(), assign, &assignment).ok());
      Score(county, total);
    }
    Compute();
  }

  void Score(const std::string& county, int total_tenths) {
    ev::SubmitScoresRequest submit;
    submit.set_round(round_);
    submit.set_county("regions/" + county);
    for (const char* code : {"1", "2"}) {
      auto* score = submit.add_scores();
      score->set_indicator(code);
      score->set_score_tenths(total_tenths / 2);
      score->set_evidence(ev::ON_SITE);
    }
    ev::ScoreSheet sheet;
    ASSERT_TRUE(
        evaluation_stub_
            ->SubmitScores(ContextAs(Role::kExpert, "410521", "", "expert-a").get(), submit, &sheet)
            .ok());
  }

  void Compute() {
    ev::ComputeResultsRequest compute;
    compute.set_round(round_);
    ev::ComputeResultsResponse results;
    grpc::Status status = evaluation_stub_->ComputeResults(Admin().get(), compute, &results);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void Publish() {
    ev::PublishRoundRequest publish;
    publish.set_round(round_);
    ev::Round round;
    grpc::Status status = evaluation_stub_->PublishRound(Admin().get(), publish, &round);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  grpc::Status Decide(v1::DecideFundingResponse* out, const std::string& request_id = "") {
    v1::DecideFundingRequest request;
    request.set_year("years/2022");
    request.set_request_id(request_id);
    return stub_->DecideFunding(Admin().get(), request, out);
  }

  bool ActiveIn(const std::string& county, int year) {
    v1::GetProjectCountyRequest get;
    get.set_name("projectCounties/" + county);
    get.set_year(year);
    v1::ProjectCounty out;
    grpc::Status status = stub_->GetProjectCounty(ContextAs(Role::kViewer).get(), get, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out.active();
  }

  std::unique_ptr<grpc::ClientContext> Admin() { return ContextAs(Role::kProvinceAdmin); }

  std::map<std::string, int> scores_ = {{"410225", 950}, {"410223", 800}, {"410122", 600}};
  std::string round_ = "years/2022/rounds/county-2022";
  peixun::testing::ScratchDatabase evaluation_db_;
  peixun::testing::ScratchDatabase funding_db_;
  std::unique_ptr<server::Platform> evaluation_;
  std::unique_ptr<evaluation::EvaluationService> evaluation_service_;
  std::unique_ptr<ev::EvaluationService::Stub> evaluation_stub_;
  std::unique_ptr<server::Platform> funding_;
  std::unique_ptr<EvaluationResults> results_;
  std::unique_ptr<CatalogBudgets> catalog_;
  std::unique_ptr<EnrollmentCompletions> enrollment_;
  std::unique_ptr<FundingService> service_;
  std::unique_ptr<v1::FundingService::Stub> stub_;
};

TEST_F(FundingTest, R27ConcurrentDesignationsOfOneCountyOpenOneTerm) {
  // Eight administrators designate 兰考县 at the same moment, for overlapping terms: one term
  // opens, every other call is refused as overlapping it, and the county has one period.
  constexpr int kCallers = 8;
  std::atomic<int> opened{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> callers;
  callers.reserve(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      v1::DesignateProjectCountyRequest designate;
      designate.set_county("regions/410225");
      designate.set_from_year(2021 + i % 2);
      v1::ProjectCounty designated;
      grpc::Status status = stub_->DesignateProjectCounty(Admin().get(), designate, &designated);
      if (status.ok()) {
        ++opened;
      } else if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        ++refused;
      } else {
        ADD_FAILURE() << status.error_code() << " " << status.error_message();
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(opened.load(), 1);
  EXPECT_EQ(refused.load(), kCallers - 1);
  v1::GetProjectCountyRequest get;
  get.set_name("projectCounties/410225");
  get.set_year(2022);
  v1::ProjectCounty county;
  ASSERT_TRUE(stub_->GetProjectCounty(ContextAs(Role::kViewer).get(), get, &county).ok());
  EXPECT_EQ(county.periods_size(), 1);
  EXPECT_TRUE(county.active());
}

TEST_F(FundingTest, R25R26R27DecisionsFollowPublishedGradesAndACorrectionSupersedes) {
  for (const auto& [county, total] : scores_) {
    v1::DesignateProjectCountyRequest designate;
    designate.set_county("regions/" + county);
    designate.set_from_year(2021);
    v1::ProjectCounty designated;
    ASSERT_TRUE(stub_->DesignateProjectCounty(Admin().get(), designate, &designated).ok());
    EXPECT_TRUE(designated.active());
  }
  v1::DesignateProjectCountyRequest again;
  again.set_county("regions/410225");
  again.set_from_year(2022);
  v1::ProjectCounty twice;
  grpc::Status overlapping = stub_->DesignateProjectCounty(Admin().get(), again, &twice);
  EXPECT_EQ(overlapping.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  // the term is two years (2021, 2022); a renewal starts after it.
  EXPECT_NE(overlapping.error_message().find("from 2021 to 2022"), std::string::npos)
      << overlapping.error_message();
  EXPECT_NE(overlapping.error_message().find("a renewal starts in 2023"), std::string::npos)
      << overlapping.error_message();

  ScoreRound();
  // Drafts decide nothing.
  v1::DecideFundingResponse decided;
  grpc::Status early = Decide(&decided);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(early.error_message().find("no evaluation round of 2022 is published"),
            std::string::npos)
      << early.error_message();
  Publish();

  v1::DecideFundingRequest denied;
  denied.set_year("years/2022");
  EXPECT_EQ(stub_->DecideFunding(ContextAs(Role::kCountyAdmin, "410225").get(), denied, &decided)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Decide(&decided, "decide-1").ok());
  ASSERT_EQ(decided.decisions_size(), 3);
  std::map<std::string, v1::Decision> by_county;
  for (const auto& d : decided.decisions()) by_county[d.county()] = d;
  EXPECT_EQ(by_county["regions/410225"].tier(), v1::HIGH);
  EXPECT_EQ(by_county["regions/410225"].amount_fen(), 300000000);
  EXPECT_EQ(by_county["regions/410223"].tier(), v1::STANDARD);
  EXPECT_EQ(by_county["regions/410223"].amount_fen(), 200000000);
  EXPECT_EQ(by_county["regions/410122"].tier(), v1::REVOKED);
  EXPECT_EQ(by_county["regions/410122"].grade(), "UNQUALIFIED");
  EXPECT_EQ(by_county["regions/410122"].result(), round_ + "/results/410122");
  EXPECT_EQ(by_county["regions/410122"].result_revision(), 1);
  EXPECT_EQ(by_county["regions/410122"].tier_policy(), "tierPolicies/0");
  EXPECT_EQ(by_county["regions/410122"].decided_by(), "test");
  // revoked for the next cycle (2023, 2024); the term ended in 2022, so it stays ended.
  EXPECT_TRUE(ActiveIn("410122", 2022));
  EXPECT_FALSE(ActiveIn("410122", 2023));
  EXPECT_FALSE(ActiveIn("410122", 2024));
  EXPECT_FALSE(ActiveIn("410122", 2025));
  // The qualifying grades give 2023's projects, so their counties stay active in 2023 only.
  EXPECT_TRUE(ActiveIn("410225", 2023));
  EXPECT_TRUE(ActiveIn("410223", 2023));
  EXPECT_FALSE(ActiveIn("410225", 2024));
  // Designating the revoked county inside its cycle is refused naming the revocation; from
  // 2025 it is a new term.
  v1::DesignateProjectCountyRequest during;
  during.set_county("regions/410122");
  during.set_from_year(2024);
  v1::ProjectCounty renewed;
  grpc::Status refused = stub_->DesignateProjectCounty(Admin().get(), during, &renewed);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("R-27"), std::string::npos) << refused.error_message();
  EXPECT_NE(refused.error_message().find("years/2022/decisions/410122@1"), std::string::npos)
      << refused.error_message();
  v1::ListProjectCountiesRequest list;
  list.set_filter("active_in_year = \"2023\"");
  v1::ListProjectCountiesResponse active;
  ASSERT_TRUE(stub_->ListProjectCounties(ContextAs(Role::kViewer).get(), list, &active).ok());
  ASSERT_EQ(active.project_counties_size(), 2);
  EXPECT_EQ(active.project_counties(0).county(), "regions/410223");

  // an evaluation replica that asks funding opens 2023's round on the active project
  // counties only; the revoked county is refused with its revocation.
  server::Platform replica(
      peixun::testing::TestPlatformOptions("evaluation", "peixun.evaluation.v1.EvaluationService",
                                           evaluation_db_.config(), evaluation::Migrations()));
  evaluation::FundingStatus funding_status(absl::StrCat("127.0.0.1:", funding_->port()),
                                           peixun::testing::TestSigner(), SystemClock::Instance());
  evaluation::EvaluationService replica_service(replica, nullptr, &funding_status);
  ASSERT_TRUE(replica.Start(&replica_service).ok());
  ASSERT_TRUE(peixun::testing::WaitServing(replica));
  auto replica_stub =
      ev::EvaluationService::NewStub(peixun::testing::LoopbackChannel(replica.port()));
  ev::CreateRoundRequest next_year;
  next_year.set_parent("years/2023");
  next_year.set_round_id("county-2023");
  next_year.mutable_round()->set_display_name("2023 年项目县绩效评价");
  next_year.mutable_round()->set_rubric_version("rubrics/simple/versions/1");
  next_year.mutable_round()->add_counties("regions/410122");
  ev::Round next_round;
  grpc::Status revoked = replica_stub->CreateRound(Admin().get(), next_year, &next_round);
  EXPECT_EQ(revoked.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(revoked.error_message().find("R-27 only active project counties are evaluated: "
                                         "regions/410122 is revoked for 2023-2024 by "
                                         "years/2022/decisions/410122@1"),
            std::string::npos)
      << revoked.error_message();
  next_year.mutable_round()->clear_counties();
  ASSERT_TRUE(replica_stub->CreateRound(Admin().get(), next_year, &next_round).ok());
  ASSERT_EQ(next_round.counties_size(), 2);
  EXPECT_EQ(next_round.counties(0), "regions/410223");
  EXPECT_EQ(next_round.counties(1), "regions/410225");
  replica.Shutdown();

  // Deciding again changes nothing, even under a newer policy.
  v1::CreateTierPolicyRequest policy;
  policy.mutable_tier_policy()->set_excellent_amount_fen(350000000);
  policy.mutable_tier_policy()->set_qualified_amount_fen(250000000);
  policy.mutable_tier_policy()->set_revocation_years(2);
  policy.mutable_tier_policy()->set_reason("2023 年预算调整");
  v1::TierPolicy made_policy;
  ASSERT_TRUE(stub_->CreateTierPolicy(Admin().get(), policy, &made_policy).ok());
  ASSERT_TRUE(Decide(&decided, "decide-2").ok());
  EXPECT_EQ(decided.unchanged(), 3);
  EXPECT_EQ(funding_db_.QueryValue("SELECT COUNT(*) FROM decisions"), "3");

  // A corrected evaluation revision supersedes 中牟县's decision and lifts its revocation.
  ev::ReviseResultRequest revise;
  revise.set_name(round_ + "/results/410122");
  revise.set_expert("expert-a");
  revise.set_reason("复核：材料补充后重新评分");
  for (const char* code : {"1", "2"}) {
    auto* score = revise.add_corrected_scores();
    score->set_indicator(code);
    score->set_score_tenths(400);
    score->set_evidence(ev::ON_SITE);
  }
  ev::Result revised;
  ASSERT_TRUE(evaluation_stub_->ReviseResult(Admin().get(), revise, &revised).ok());
  EXPECT_EQ(revised.grade(), ev::QUALIFIED);
  ASSERT_TRUE(Decide(&decided, "decide-3").ok());
  EXPECT_EQ(decided.unchanged(), 2);
  for (const auto& d : decided.decisions()) {
    if (d.county() != "regions/410122") continue;
    EXPECT_EQ(d.name(), "years/2022/decisions/410122");
    EXPECT_EQ(d.tier(), v1::STANDARD);
    EXPECT_EQ(d.result_revision(), 2);
    EXPECT_EQ(d.supersedes(), "years/2022/decisions/410122@1");
    EXPECT_EQ(d.tier_policy(), "tierPolicies/0");  // the year's decisions keep their policy
    EXPECT_EQ(d.amount_fen(), 200000000);
  }
  EXPECT_TRUE(ActiveIn("410122", 2023));
  v1::GetDecisionRequest get;
  get.set_name("years/2022/decisions/410122@1");
  v1::Decision old;
  ASSERT_TRUE(stub_->GetDecision(ContextAs(Role::kViewer).get(), get, &old).ok());
  EXPECT_TRUE(old.superseded());
  EXPECT_EQ(old.tier(), v1::REVOKED);

  v1::ListDecisionsRequest list_decisions;
  list_decisions.set_parent("years/2022");
  list_decisions.set_filter("tier = STANDARD");
  v1::ListDecisionsResponse listed;
  ASSERT_TRUE(stub_->ListDecisions(ContextAs(Role::kViewer).get(), list_decisions, &listed).ok());
  EXPECT_EQ(listed.decisions_size(), 2);
  list_decisions.set_filter("superseded = true");
  ASSERT_TRUE(stub_->ListDecisions(ContextAs(Role::kViewer).get(), list_decisions, &listed).ok());
  ASSERT_EQ(listed.decisions_size(), 1);
  EXPECT_EQ(listed.decisions(0).name(), "years/2022/decisions/410122@1");
  list_decisions.set_filter("");
  list_decisions.set_page_size(2);
  ASSERT_TRUE(stub_->ListDecisions(ContextAs(Role::kViewer).get(), list_decisions, &listed).ok());
  ASSERT_EQ(listed.decisions_size(), 2);
  list_decisions.set_page_token(listed.next_page_token());
  ASSERT_TRUE(stub_->ListDecisions(ContextAs(Role::kViewer).get(), list_decisions, &listed).ok());
  ASSERT_EQ(listed.decisions_size(), 1);
  EXPECT_EQ(listed.decisions(0).county(), "regions/410225");
  EXPECT_EQ(
      funding_db_.QueryValue("SELECT COUNT(*) FROM outbox WHERE type LIKE 'funding.decision.%'"),
      "4");
}

TEST_F(FundingTest, R25TierPolicyVersionsAreCheckedAndDefaultsApplyUntilOne) {
  v1::GetTierPolicyRequest get;
  get.set_name("tierPolicies/latest");
  v1::TierPolicy policy;
  ASSERT_TRUE(stub_->GetTierPolicy(ContextAs(Role::kViewer).get(), get, &policy).ok());
  EXPECT_EQ(policy.version(), 0);
  EXPECT_EQ(policy.excellent_amount_fen(), 300000000);
  EXPECT_EQ(policy.revocation_years(), 2);
  v1::CreateTierPolicyRequest create;
  create.mutable_tier_policy()->set_excellent_amount_fen(100);
  create.mutable_tier_policy()->set_qualified_amount_fen(200);
  create.mutable_tier_policy()->set_revocation_years(2);
  create.mutable_tier_policy()->set_reason("测试");
  grpc::Status refused = stub_->CreateTierPolicy(Admin().get(), create, &policy);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("tier_policy.excellent_amount_fen"), std::string::npos);
  create.mutable_tier_policy()->set_excellent_amount_fen(300);
  EXPECT_EQ(stub_->CreateTierPolicy(ContextAs(Role::kViewer).get(), create, &policy).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->CreateTierPolicy(Admin().get(), create, &policy).ok());
  EXPECT_EQ(policy.name(), "tierPolicies/1");
  ASSERT_TRUE(stub_->GetTierPolicy(ContextAs(Role::kViewer).get(), get, &policy).ok());
  EXPECT_EQ(policy.excellent_amount_fen(), 300);
}

TEST_F(FundingTest, R26SimulationPricesDraftResultsAgainstAnEnvelopeAndRecordsNothing) {
  v1::SimulateFundingRequest simulate;
  simulate.set_year("years/2022");
  simulate.set_budget_envelope_fen(400000000);
  v1::SimulateFundingResponse simulated;
  grpc::Status early = stub_->SimulateFunding(Admin().get(), simulate, &simulated);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(early.error_message().find("no evaluation round of 2022 has results"),
            std::string::npos)
      << early.error_message();

  ScoreRound();  // computed, not published
  EXPECT_EQ(stub_->SimulateFunding(ContextAs(Role::kCityAdmin, "4102").get(), simulate, &simulated)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::SimulateFundingRequest negative = simulate;
  negative.set_budget_envelope_fen(-1);
  grpc::Status refused = stub_->SimulateFunding(Admin().get(), negative, &simulated);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("budget_envelope_fen"), std::string::npos);

  grpc::Status status = stub_->SimulateFunding(Admin().get(), simulate, &simulated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(simulated.decisions_size(), 3);
  std::map<std::string, v1::Tier> tiers;
  for (const auto& d : simulated.decisions()) tiers[d.county()] = d.tier();
  EXPECT_EQ(tiers["regions/410225"], v1::HIGH);
  EXPECT_EQ(tiers["regions/410223"], v1::STANDARD);
  EXPECT_EQ(tiers["regions/410122"], v1::REVOKED);
  EXPECT_EQ(simulated.total_fen(), 500000000);
  EXPECT_EQ(simulated.remaining_fen(), -100000000);  // over the envelope by 1,000,000 yuan

  // Under a cheaper policy version the same drafts fit.
  v1::CreateTierPolicyRequest create;
  create.mutable_tier_policy()->set_excellent_amount_fen(250000000);
  create.mutable_tier_policy()->set_qualified_amount_fen(150000000);
  create.mutable_tier_policy()->set_revocation_years(2);
  create.mutable_tier_policy()->set_reason("压缩预算方案");
  v1::TierPolicy policy;
  ASSERT_TRUE(stub_->CreateTierPolicy(Admin().get(), create, &policy).ok());
  simulate.set_tier_policy(policy.name());
  ASSERT_TRUE(stub_->SimulateFunding(Admin().get(), simulate, &simulated).ok());
  EXPECT_EQ(simulated.total_fen(), 400000000);
  EXPECT_EQ(simulated.remaining_fen(), 0);
  EXPECT_EQ(simulated.decisions(0).tier_policy(), "tierPolicies/1");
  simulate.set_tier_policy("tierPolicies/7");
  EXPECT_EQ(stub_->SimulateFunding(Admin().get(), simulate, &simulated).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Nothing was recorded: no decisions, and every county still a project county next year.
  v1::ListDecisionsRequest list;
  list.set_parent("years/2022");
  v1::ListDecisionsResponse decisions;
  ASSERT_TRUE(stub_->ListDecisions(ContextAs(Role::kViewer).get(), list, &decisions).ok());
  EXPECT_EQ(decisions.decisions_size(), 0);
}

TEST_F(FundingTest, R28BudgetSummaryNamesTheServiceThatCannotAnswer) {
  v1::GetBudgetSummaryRequest request;
  request.set_year("years/2022");
  request.set_scope(v1::GetBudgetSummaryRequest::COUNTY);
  v1::BudgetSummary summary;
  grpc::Status status = stub_->GetBudgetSummary(ContextAs(Role::kViewer).get(), request, &summary);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("catalog (127.0.0.1:1)"), std::string::npos)
      << status.error_message();
  request.set_scope(v1::GetBudgetSummaryRequest::PROVINCE);
  request.set_region("regions/4102");
  status = stub_->GetBudgetSummary(ContextAs(Role::kViewer).get(), request, &summary);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("region"), std::string::npos);
}

}  // namespace
}  // namespace peixun::funding
