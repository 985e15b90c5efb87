// Evaluation through a real server on loopback against a fresh MariaDB database: rubric
// versions and grade policies.
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/evaluation/domain/evaluation_rules.h"
#include "services/evaluation/evaluation_migrations.h"
#include "services/evaluation/evaluation_service.h"
#include "tests/support/harness.h"

namespace peixun::evaluation {
namespace {

using auth::Role;
using peixun::testing::ContextAs;

class EvaluationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    platform_ = std::make_unique<server::Platform>(peixun::testing::TestPlatformOptions(
        "evaluation", "peixun.evaluation.v1.EvaluationService", db_.config(), evaluation::Migrations()));
    service_ = std::make_unique<EvaluationService>(*platform_);
    ASSERT_TRUE(platform_->Start(service_.get()).ok());
    ASSERT_TRUE(peixun::testing::WaitServing(*platform_));
    stub_ = v1::EvaluationService::NewStub(peixun::testing::LoopbackChannel(platform_->port()));
  }
  void TearDown() override { platform_->Shutdown(); }

  grpc::Status CreateRubric(const v1::RubricVersion& rubric, v1::RubricVersion* out, Role role = Role::kProvinceAdmin,
                            const std::string& request_id = "") {
    v1::CreateRubricVersionRequest request;
    request.set_parent("rubrics/project-county");
    *request.mutable_rubric_version() = rubric;
    request.set_request_id(request_id);
    return stub_->CreateRubricVersion(ContextAs(role).get(), request, out);
  }

  peixun::testing::ScratchDatabase db_;
  std::unique_ptr<server::Platform> platform_;
  std::unique_ptr<EvaluationService> service_;
  std::unique_ptr<v1::EvaluationService::Stub> stub_;
};

TEST_F(EvaluationTest, R18R19RubricVersionsAreCheckedStoredAndNeverChange) {
  v1::RubricVersion rubric = domain::ProjectCountyRubric();
  rubric.set_change_note("2022 年项目县绩效评价 (seed 003)");
  v1::RubricVersion first;
  EXPECT_EQ(CreateRubric(rubric, &first, Role::kExpert).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(CreateRubric(rubric, &first, Role::kProvinceAdmin, "rubric-1").ok());
  EXPECT_EQ(first.name(), "rubrics/project-county/versions/1");
  EXPECT_EQ(first.total_score_tenths(), 1000);
  EXPECT_EQ(first.indicators_size(), 5);
  // A retry answers the same version; nothing new is made.
  v1::RubricVersion again;
  ASSERT_TRUE(CreateRubric(rubric, &again, Role::kProvinceAdmin, "rubric-1").ok());
  EXPECT_EQ(again.name(), first.name());

  // A tree that does not add up is refused, naming the node and both sums.
  v1::RubricVersion broken = rubric;
  broken.mutable_indicators(1)->mutable_children(1)->set_max_score_tenths(100);  // 组织实施 12 -> 10
  v1::RubricVersion refused;
  grpc::Status status = CreateRubric(broken, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("项目县国培项目组织实施 (2) is worth 20.0 but its items sum to 18.0"),
            std::string::npos) << status.error_message();

  // A change is a new version; the first stays readable as it was.
  rubric.mutable_indicators(0)->set_display_name("组织领导（修订）");
  v1::RubricVersion second;
  ASSERT_TRUE(CreateRubric(rubric, &second).ok());
  EXPECT_EQ(second.version(), 2);
  v1::GetRubricVersionRequest get;
  get.set_name("rubrics/project-county/versions/1");
  v1::RubricVersion read;
  ASSERT_TRUE(stub_->GetRubricVersion(ContextAs(Role::kViewer).get(), get, &read).ok());
  EXPECT_EQ(read.indicators(0).display_name(), "组织领导");
  EXPECT_EQ(read.SerializeAsString(), first.SerializeAsString());
  get.set_name("rubrics/project-county/versions/latest");
  ASSERT_TRUE(stub_->GetRubricVersion(ContextAs(Role::kViewer).get(), get, &read).ok());
  EXPECT_EQ(read.version(), 2);
  get.set_name("rubrics/project-county/versions/0");
  EXPECT_EQ(stub_->GetRubricVersion(ContextAs(Role::kViewer).get(), get, &read).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  get.set_name("rubrics/other/versions/latest");
  EXPECT_EQ(stub_->GetRubricVersion(ContextAs(Role::kViewer).get(), get, &read).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Listed oldest first, a page at a time.
  v1::ListRubricVersionsRequest list;
  list.set_parent("rubrics/project-county");
  list.set_page_size(1);
  v1::ListRubricVersionsResponse page;
  ASSERT_TRUE(stub_->ListRubricVersions(ContextAs(Role::kViewer).get(), list, &page).ok());
  ASSERT_EQ(page.rubric_versions_size(), 1);
  EXPECT_EQ(page.rubric_versions(0).version(), 1);
  ASSERT_FALSE(page.next_page_token().empty());
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(stub_->ListRubricVersions(ContextAs(Role::kViewer).get(), list, &page).ok());
  ASSERT_EQ(page.rubric_versions_size(), 1);
  EXPECT_EQ(page.rubric_versions(0).version(), 2);
  EXPECT_TRUE(page.next_page_token().empty());
  EXPECT_EQ(db_.QueryValue("SELECT COUNT(*) FROM outbox WHERE type = 'evaluation.rubric_version.created'"), "2");
}

TEST_F(EvaluationTest, R21GradePolicyVersionsWithBuiltInDefaults) {
  v1::GetGradePolicyRequest get;
  get.set_name("gradePolicies/latest");
  v1::GradePolicy policy;
  ASSERT_TRUE(stub_->GetGradePolicy(ContextAs(Role::kViewer).get(), get, &policy).ok());
  EXPECT_EQ(policy.version(), 0);
  EXPECT_EQ(policy.excellent_from_tenths(), 900);
  EXPECT_EQ(policy.qualified_from_tenths(), 750);

  v1::CreateGradePolicyRequest create;
  create.mutable_grade_policy()->set_excellent_from_tenths(920);
  create.mutable_grade_policy()->set_qualified_from_tenths(950);
  create.mutable_grade_policy()->set_reason("提高优秀门槛");
  grpc::Status refused = stub_->CreateGradePolicy(ContextAs(Role::kProvinceAdmin).get(), create, &policy);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("grade_policy.qualified_from_tenths"), std::string::npos);
  create.mutable_grade_policy()->set_qualified_from_tenths(760);
  EXPECT_EQ(stub_->CreateGradePolicy(ContextAs(Role::kCountyAdmin, "410225").get(), create, &policy).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->CreateGradePolicy(ContextAs(Role::kProvinceAdmin).get(), create, &policy).ok());
  EXPECT_EQ(policy.name(), "gradePolicies/1");
  ASSERT_TRUE(stub_->GetGradePolicy(ContextAs(Role::kViewer).get(), get, &policy).ok());
  EXPECT_EQ(policy.version(), 1);
  EXPECT_EQ(policy.excellent_from_tenths(), 920);
  EXPECT_EQ(domain::GradeOf(910, policy), v1::QUALIFIED);
  get.set_name("gradePolicies/2");
  EXPECT_EQ(stub_->GetGradePolicy(ContextAs(Role::kViewer).get(), get, &policy).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(EvaluationTest, R17RoundsFreezeTheirRubricVersionAndPolicy) {
  v1::RubricVersion rubric;
  ASSERT_TRUE(CreateRubric(domain::ProjectCountyRubric(), &rubric).ok());
  v1::CreateRoundRequest create;
  create.set_parent("years/2022");
  create.set_round_id("county-2022");
  create.set_request_id("round-1");
  v1::Round& round = *create.mutable_round();
  round.set_display_name("2022 年项目县绩效评价");
  round.set_rubric_version("rubrics/project-county/versions/latest");
  round.set_disagreement_threshold_tenths(30);
  round.add_counties("regions/410225");
  round.add_counties("regions/410223");
  v1::Round created;

  v1::CreateRoundRequest bad = create;
  bad.mutable_round()->add_counties("regions/410225");
  grpc::Status refused = stub_->CreateRound(ContextAs(Role::kProvinceAdmin).get(), bad, &created);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("round.counties: regions/410225 is listed twice"), std::string::npos)
      << refused.error_message();
  bad = create;
  bad.mutable_round()->set_rubric_version("rubrics/none/versions/1");
  refused = stub_->CreateRound(ContextAs(Role::kProvinceAdmin).get(), bad, &created);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("round.rubric_version"), std::string::npos) << refused.error_message();
  EXPECT_EQ(stub_->CreateRound(ContextAs(Role::kExpert).get(), create, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  ASSERT_TRUE(stub_->CreateRound(ContextAs(Role::kProvinceAdmin).get(), create, &created).ok());
  EXPECT_EQ(created.name(), "years/2022/rounds/county-2022");
  EXPECT_EQ(created.rubric_version(), "rubrics/project-county/versions/1");  // "latest" resolved
  EXPECT_EQ(created.grade_policy(), "gradePolicies/0");                      // the defaults
  EXPECT_EQ(created.aggregation(), v1::MEAN);
  EXPECT_EQ(created.state(), v1::Round::SCORING);
  EXPECT_EQ(created.counties_size(), 2);
  v1::Round again;
  ASSERT_TRUE(stub_->CreateRound(ContextAs(Role::kProvinceAdmin).get(), create, &again).ok());  // retry
  EXPECT_EQ(again.SerializeAsString(), created.SerializeAsString());
  create.set_request_id("round-1-other");
  EXPECT_EQ(stub_->CreateRound(ContextAs(Role::kProvinceAdmin).get(), create, &again).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  // The rubric version is in use now.
  v1::GetRubricVersionRequest get_rubric;
  get_rubric.set_name(created.rubric_version());
  ASSERT_TRUE(stub_->GetRubricVersion(ContextAs(Role::kViewer).get(), get_rubric, &rubric).ok());
  EXPECT_TRUE(rubric.in_use());

  v1::GetRoundRequest get;
  get.set_name(created.name());
  v1::Round read;
  ASSERT_TRUE(stub_->GetRound(ContextAs(Role::kViewer).get(), get, &read).ok());
  EXPECT_EQ(read.SerializeAsString(), created.SerializeAsString());
  v1::ListRoundsRequest list;
  list.set_parent("years/2022");
  v1::ListRoundsResponse rounds;
  ASSERT_TRUE(stub_->ListRounds(ContextAs(Role::kViewer).get(), list, &rounds).ok());
  ASSERT_EQ(rounds.rounds_size(), 1);
  EXPECT_EQ(rounds.rounds(0).counties(0), "regions/410223");
  list.set_parent("years/2023");
  ASSERT_TRUE(stub_->ListRounds(ContextAs(Role::kViewer).get(), list, &rounds).ok());
  EXPECT_EQ(rounds.rounds_size(), 0);
}

}  // namespace
}  // namespace peixun::evaluation
