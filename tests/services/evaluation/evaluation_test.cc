// Evaluation through real servers on loopback, each against a fresh MariaDB database: rubric
// versions, grade policies, rounds, and a whole round
// whose deductions come from a running enrollment server that follows a running catalog.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "services/catalog/catalog_migrations.h"
#include "services/catalog/catalog_service.h"
#include "services/enrollment/catalog_mirror.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "services/enrollment/enrollment_migrations.h"
#include "services/enrollment/enrollment_service.h"
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
    platform_ = std::make_unique<server::Platform>(
        peixun::testing::TestPlatformOptions("evaluation", "peixun.evaluation.v1.EvaluationService",
                                             db_.config(), evaluation::Migrations()));
    service_ = std::make_unique<EvaluationService>(*platform_, &unreachable_enrollment_);
    ASSERT_TRUE(platform_->Start(service_.get()).ok());
    ASSERT_TRUE(peixun::testing::WaitServing(*platform_));
    stub_ = v1::EvaluationService::NewStub(peixun::testing::LoopbackChannel(platform_->port()));
  }
  void TearDown() override { platform_->Shutdown(); }

  grpc::Status CreateRubric(const v1::RubricVersion& rubric, v1::RubricVersion* out,
                            Role role = Role::kProvinceAdmin, const std::string& request_id = "") {
    v1::CreateRubricVersionRequest request;
    request.set_parent("rubrics/project-county");
    *request.mutable_rubric_version() = rubric;
    request.set_request_id(request_id);
    return stub_->CreateRubricVersion(ContextAs(role).get(), request, out);
  }

  peixun::testing::ScratchDatabase db_;
  // Nothing listens on port 1: deductions cannot be fetched.
  EnrollmentRates unreachable_enrollment_{"127.0.0.1:1", peixun::testing::TestSigner(),
                                          SystemClock::Instance()};
  std::unique_ptr<server::Platform> platform_;
  std::unique_ptr<EvaluationService> service_;
  std::unique_ptr<v1::EvaluationService::Stub> stub_;
};

TEST_F(EvaluationTest, R18R19RubricVersionsAreCheckedStoredAndNeverChange) {
  v1::RubricVersion rubric = domain::ProjectCountyRubric();
  rubric.set_change_note("2022 年项目县绩效评价 (seed 003)");
  v1::RubricVersion first;
  EXPECT_EQ(CreateRubric(rubric, &first, Role::kExpert).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
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
  broken.mutable_indicators(1)->mutable_children(1)->set_max_score_tenths(
      100);  // 组织实施 12 -> 10
  v1::RubricVersion refused;
  grpc::Status status = CreateRubric(broken, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find(
                "项目县国培项目组织实施 (2) is worth 20.0 but its items sum to 18.0"),
            std::string::npos)
      << status.error_message();

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
  EXPECT_EQ(db_.QueryValue(
                "SELECT COUNT(*) FROM outbox WHERE type = 'evaluation.rubric_version.created'"),
            "2");
}

TEST_F(EvaluationTest, R19TheShippedRubricsAreSeededOnceHoweverOftenServersStart) {
  ASSERT_TRUE(SeedRubrics(platform_->pool()).ok());
  ASSERT_TRUE(SeedRubrics(platform_->pool()).ok());  // a second replica, or a restart
  v1::GetRubricVersionRequest get;
  get.set_name("rubrics/project-county/versions/latest");
  v1::RubricVersion rubric;
  ASSERT_TRUE(stub_->GetRubricVersion(ContextAs(Role::kViewer).get(), get, &rubric).ok());
  EXPECT_EQ(rubric.version(), 1);
  EXPECT_EQ(rubric.total_score_tenths(), 1000);
  EXPECT_EQ(domain::Leaves(rubric).size(), 16u);
  get.set_name("rubrics/demonstration-school/versions/latest");
  ASSERT_TRUE(stub_->GetRubricVersion(ContextAs(Role::kViewer).get(), get, &rubric).ok());
  EXPECT_EQ(rubric.version(), 1);
  EXPECT_EQ(rubric.indicators(1).display_name(), "日常研修");
  EXPECT_EQ(rubric.indicators(1).max_score_tenths(), 350);  // fixed on import: its items sum to 35
  EXPECT_NE(rubric.change_note().find("does not add up"), std::string::npos);
  EXPECT_EQ(db_.QueryValue("SELECT COUNT(*) FROM rubric_versions"), "2");
  EXPECT_EQ(db_.QueryValue(
                "SELECT COUNT(*) FROM outbox WHERE type = 'evaluation.rubric_version.created'"),
            "2");
  // As printed, the table is refused.
  v1::CreateRubricVersionRequest create;
  create.set_parent("rubrics/demonstration-school");
  *create.mutable_rubric_version() = domain::DemonstrationSchoolRubricAsPrinted();
  grpc::Status refused =
      stub_->CreateRubricVersion(ContextAs(Role::kProvinceAdmin).get(), create, &rubric);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "the table alone breaks R-18";
  EXPECT_NE(refused.error_message().find("日常研修 (2) is worth 40.0 but its items sum to 35.0"),
            std::string::npos);
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
  grpc::Status refused =
      stub_->CreateGradePolicy(ContextAs(Role::kProvinceAdmin).get(), create, &policy);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("grade_policy.qualified_from_tenths"), std::string::npos);
  create.mutable_grade_policy()->set_qualified_from_tenths(760);
  EXPECT_EQ(stub_->CreateGradePolicy(ContextAs(Role::kCountyAdmin, "410225").get(), create, &policy)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      stub_->CreateGradePolicy(ContextAs(Role::kProvinceAdmin).get(), create, &policy).ok());
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
  EXPECT_NE(refused.error_message().find("round.counties: regions/410225 is listed twice"),
            std::string::npos)
      << refused.error_message();
  bad = create;
  bad.mutable_round()->set_rubric_version("rubrics/none/versions/1");
  refused = stub_->CreateRound(ContextAs(Role::kProvinceAdmin).get(), bad, &created);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("round.rubric_version"), std::string::npos)
      << refused.error_message();
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
  ASSERT_TRUE(
      stub_->CreateRound(ContextAs(Role::kProvinceAdmin).get(), create, &again).ok());  // retry
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

TEST_F(EvaluationTest, R20DeductionsWaitForEnrollmentAndNothingIsGuessedWhileItIsDown) {
  v1::RubricVersion rubric;
  ASSERT_TRUE(CreateRubric(domain::ProjectCountyRubric(), &rubric).ok());
  v1::CreateRoundRequest create;
  create.set_parent("years/2022");
  create.set_round_id("county-2022");
  create.mutable_round()->set_display_name("2022 年项目县绩效评价");
  create.mutable_round()->set_rubric_version(rubric.name());
  create.mutable_round()->add_counties("regions/410225");
  v1::Round round;
  ASSERT_TRUE(stub_->CreateRound(ContextAs(Role::kProvinceAdmin).get(), create, &round).ok());
  v1::ComputeDeductionsRequest deduct;
  deduct.set_round(round.name());
  v1::ComputeDeductionsResponse deductions;
  grpc::Status status =
      stub_->ComputeDeductions(ContextAs(Role::kProvinceAdmin).get(), deduct, &deductions);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("enrollment (127.0.0.1:1)"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(db_.QueryValue("SELECT COUNT(*) FROM deduction_figures"), "0");
  // Results cannot be computed without the figures (R-20 says they come from enrollment).
  v1::ComputeResultsRequest compute;
  compute.set_round(round.name());
  v1::ComputeResultsResponse results;
  status = stub_->ComputeResults(ContextAs(Role::kProvinceAdmin).get(), compute, &results);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("ComputeDeductions"), std::string::npos)
      << status.error_message();
}

// ---- A whole round against running catalog and enrollment servers ----------------------------

namespace cat = ::peixun::catalog::v1;
namespace enr = ::peixun::enrollment::v1;

common::v1::Date Day(int y, int m, int d) {
  common::v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

class EvaluationRoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = std::make_unique<server::Platform>(
        peixun::testing::TestPlatformOptions("catalog", "peixun.catalog.v1.CatalogService",
                                             catalog_db_.config(), catalog::Migrations()));
    catalog_service_ = std::make_unique<catalog::CatalogService>(*catalog_);
    ASSERT_TRUE(catalog_->Start(catalog_service_.get()).ok());
    ASSERT_TRUE(peixun::testing::WaitServing(*catalog_));
    catalog_stub_ =
        cat::CatalogService::NewStub(peixun::testing::LoopbackChannel(catalog_->port()));
    SeedCatalog();

    enrollment_ = std::make_unique<server::Platform>(
        peixun::testing::TestPlatformOptions("enrollment", "peixun.enrollment.v1.EnrollmentService",
                                             enrollment_db_.config(), enrollment::Migrations()),
        clock_);
    mirror_ = std::make_unique<enrollment::CatalogMirror>(
        enrollment_->pool(), absl::StrCat("127.0.0.1:", catalog_->port()),
        peixun::testing::TestSigner(), SystemClock::Instance(), enrollment_->metrics().registry());
    enrollment_service_ = std::make_unique<enrollment::EnrollmentService>(*enrollment_, *mirror_);
    ASSERT_TRUE(enrollment_->Start(enrollment_service_.get()).ok());
    ASSERT_TRUE(peixun::testing::WaitServing(*enrollment_));
    mirror_->Start();
    enrollment_stub_ =
        enr::EnrollmentService::NewStub(peixun::testing::LoopbackChannel(enrollment_->port()));

    evaluation_ = std::make_unique<server::Platform>(
        peixun::testing::TestPlatformOptions("evaluation", "peixun.evaluation.v1.EvaluationService",
                                             evaluation_db_.config(), evaluation::Migrations()));
    rates_ =
        std::make_unique<EnrollmentRates>(absl::StrCat("127.0.0.1:", enrollment_->port()),
                                          peixun::testing::TestSigner(), SystemClock::Instance());
    regions_ = std::make_unique<catalog::RegionDirectory>(
        "evaluation", absl::StrCat("127.0.0.1:", catalog_->port()), peixun::testing::TestSigner(),
        SystemClock::Instance());
    service_ =
        std::make_unique<EvaluationService>(*evaluation_, rates_.get(), nullptr, regions_.get());
    ASSERT_TRUE(evaluation_->Start(service_.get()).ok());
    ASSERT_TRUE(peixun::testing::WaitServing(*evaluation_));
    stub_ = v1::EvaluationService::NewStub(peixun::testing::LoopbackChannel(evaluation_->port()));
  }

  void TearDown() override {
    if (evaluation_) evaluation_->Shutdown();
    if (mirror_) mirror_->Stop();
    if (enrollment_) enrollment_->Shutdown();
    if (catalog_) catalog_->Shutdown();
  }

  template <typename Request, typename Response>
  void CatalogCall(grpc::Status (cat::CatalogService::Stub::*method)(grpc::ClientContext*,
                                                                     const Request&, Response*),
                   const Request& request, Role role = Role::kProvinceAdmin,
                   const std::string& region = "") {
    Response response;
    grpc::Status status =
        ((*catalog_stub_).*method)(ContextAs(role, region).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // 兰考县 (410225) holds 10 seats and 尉氏县 (410223) 5 of one 2022 project.
  void SeedCatalog() {
    cat::ImportRegionsRequest regions;
    regions.set_csv(
        "code,name,parent_code,level\n41,河南省,,province\n4102,开封市,41,city\n"
        "410225,兰考县,4102,county\n410223,尉氏县,4102,county\n4101,郑州市,41,city\n"
        "410122,中牟县,4101,county\n"
        // A county moved to another city keeps its code: the region data decides.
        "410299,示例县,4101,county\n");
    CatalogCall(&cat::CatalogService::Stub::ImportRegions, regions);
    cat::CreateYearRequest year;
    year.mutable_plan_year()->set_year(2022);
    *year.mutable_plan_year()->mutable_nomination_deadline() = Day(2022, 8, 31);
    CatalogCall(&cat::CatalogService::Stub::CreateYear, year);
    cat::CreateCategoryRequest category;
    category.set_parent("years/2022");
    category.set_category_id("rural");
    category.mutable_category()->set_display_name("乡村教师");
    category.mutable_category()->set_plan_level(common::v1::NATIONAL);
    CatalogCall(&cat::CatalogService::Stub::CreateCategory, category);
    cat::CreateHostRequest host;
    host.set_host_id("henu");
    host.mutable_host()->set_display_name("河南大学");
    CatalogCall(&cat::CatalogService::Stub::CreateHost, host);
    cat::CreateProjectRequest project;
    project.set_parent("years/2022");
    project.set_project_id("rural-backbone");
    auto* p = project.mutable_project();
    p->set_display_name("乡村骨干教师培训");
    p->set_category("years/2022/categories/rural");
    p->set_host("hosts/henu");
    p->set_seats(100);
    p->set_credit_hours(80);
    p->mutable_format()->set_centralized_days(10);
    *p->mutable_start_date() = Day(2022, 10, 10);
    *p->mutable_end_date() = Day(2022, 10, 19);
    CatalogCall(&cat::CatalogService::Stub::CreateProject, project);
    cat::AllocateQuotaRequest city;
    city.set_parent("years/2022/projects/rural-backbone");
    city.set_region("regions/4102");
    city.set_seats(15);
    CatalogCall(&cat::CatalogService::Stub::AllocateQuota, city);
    for (auto [county, seats] : {std::pair<const char*, int>{"410225", 10}, {"410223", 5}}) {
      cat::AllocateQuotaRequest quota;
      quota.set_parent("years/2022/projects/rural-backbone/quotas/4102");
      quota.set_region(absl::StrCat("regions/", county));
      quota.set_seats(seats);
      CatalogCall(&cat::CatalogService::Stub::AllocateQuota, quota, Role::kCityAdmin, "4102");
    }
    // A 省培 project whose 5 seats in 兰考县 stay unfilled: outside R-20's scope, never deducted.
    category.set_category_id("famous-teachers");
    category.mutable_category()->set_display_name("省级名师培育");
    category.mutable_category()->set_plan_level(common::v1::PROVINCIAL);
    CatalogCall(&cat::CatalogService::Stub::CreateCategory, category);
    project.set_project_id("famous-teachers");
    p->set_display_name("省级名师培育对象培训");
    p->set_category("years/2022/categories/famous-teachers");
    CatalogCall(&cat::CatalogService::Stub::CreateProject, project);
    city.set_parent("years/2022/projects/famous-teachers");
    city.set_seats(5);
    CatalogCall(&cat::CatalogService::Stub::AllocateQuota, city);
    cat::AllocateQuotaRequest provincial;
    provincial.set_parent("years/2022/projects/famous-teachers/quotas/4102");
    provincial.set_region("regions/410225");
    provincial.set_seats(5);
    CatalogCall(&cat::CatalogService::Stub::AllocateQuota, provincial, Role::kCityAdmin, "4102");
  }

  void WaitForEnrollmentQuotas() {
    for (int i = 0; i < 300; ++i) {
      std::string value;
      try {
        value = enrollment_db_.QueryValue(
            "SELECT COUNT(*) FROM catalog_quotas WHERE project_id IN ('rural-backbone', "
            "'famous-teachers')");
      } catch (const std::exception&) {
      }
      if (value == "3") return;
      absl::SleepFor(absl::Milliseconds(20));
    }
    FAIL() << "enrollment never copied the quotas of rural-backbone";
  }

  // In 兰考县, four teachers are nominated: two complete, one is dismissed, one does not show
  // up, and the host finds one of those who complete not to meet the selection conditions at
  // 报到. So enrollment reports 6 seats under-reported, 1 no-show, 1 not completed and 1 found
  // ineligible there, and 5 seats under-reported in 尉氏县.
  void RunEnrollment() {
    WaitForEnrollmentQuotas();
    auto context = ContextAs(Role::kCountyAdmin, "410225");
    auto stream = enrollment_stub_->ImportTeachers(context.get());
    for (int i = 1; i <= 4; ++i) {
      enr::ImportTeachersRequest row;
      enr::Teacher* t = row.mutable_teacher();
      const std::string first17 = absl::StrFormat("4102251985%02d%02d%03d", i, i, i);
      t->set_id_number(first17 + enrollment::domain::IdCheckCharacter(first17));
      t->set_display_name(absl::StrCat("教师", i));
      t->set_school("兰考县第一小学");
      t->set_county("regions/410225");
      t->set_stage(common::v1::PRIMARY);
      t->add_subjects("语文");
      t->set_rural(true);
      t->set_teaching_since_year(2010);
      row.set_row_id(std::to_string(i));
      ASSERT_TRUE(stream->Write(row));
    }
    stream->WritesDone();
    std::vector<std::string> teachers;
    enr::ImportTeacherResult imported;
    while (stream->Read(&imported)) teachers.push_back(imported.teacher());
    ASSERT_TRUE(stream->Finish().ok());
    ASSERT_EQ(teachers.size(), 4u);
    std::vector<enr::Enrollment> e(4);
    for (int i = 0; i < 4; ++i) {
      enr::NominateTeacherRequest nominate;
      nominate.set_project("years/2022/projects/rural-backbone");
      nominate.set_teacher(teachers[i]);
      grpc::Status status = enrollment_stub_->NominateTeacher(
          ContextAs(Role::kCountyAdmin, "410225").get(), nominate, &e[i]);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    auto host = [] { return ContextAs(Role::kHost, "", "hosts/henu"); };
    auto move = [&](int i, auto method) {
      enr::TransitionRequest request;
      request.set_name(e[i].name());
      request.set_reason("测试");
      enr::Enrollment out;
      grpc::Status status = ((*enrollment_stub_).*method)(host().get(), request, &out);
      ASSERT_TRUE(status.ok()) << status.error_message();
    };
    // The training's last day: arrival and outcomes can be recorded.
    const absl::Time nominated_on = clock_.Now();
    clock_.Set(absl::FromCivil(absl::CivilSecond(2022, 10, 19, 9, 0, 0), ChinaTimeZone()));
    for (int i : {0, 1, 3}) move(i, &enr::EnrollmentService::Stub::CheckIn);
    enr::ReportIneligibleTraineeRequest found;
    found.set_name(e[3].name());
    found.set_condition("任教学段为初中，项目要求小学");
    enr::Enrollment reported;
    ASSERT_TRUE(enrollment_stub_->ReportIneligibleTrainee(host().get(), found, &reported).ok());
    move(0, &enr::EnrollmentService::Stub::Complete);
    move(3, &enr::EnrollmentService::Stub::Complete);
    move(1, &enr::EnrollmentService::Stub::Dismiss);
    enr::MarkNoShowRequest no_show;
    no_show.set_name(e[2].name());
    enr::Enrollment out;
    ASSERT_TRUE(enrollment_stub_->MarkNoShow(host().get(), no_show, &out).ok());
    clock_.Set(nominated_on);
  }

  std::unique_ptr<grpc::ClientContext> Admin() { return ContextAs(Role::kProvinceAdmin); }
  std::unique_ptr<grpc::ClientContext> Expert(const std::string& subject,
                                              const std::string& region) {
    return ContextAs(Role::kExpert, region, "", subject);
  }

  grpc::Status Assign(const std::string& county, const std::string& expert,
                      const std::string& expert_region, bool reconciler = false) {
    v1::AssignExpertRequest request;
    request.set_round(round_);
    request.mutable_assignment()->set_county(county);
    request.mutable_assignment()->set_expert(expert);
    request.mutable_assignment()->set_expert_region(expert_region);
    request.mutable_assignment()->set_reconciler(reconciler);
    v1::Assignment out;
    return stub_->AssignExpert(Admin().get(), request, &out);
  }

  // Every leaf scored `below_max` tenths under its maximum.
  grpc::Status Score(const std::string& expert, const std::string& expert_region,
                     const std::string& county, int below_max) {
    v1::SubmitScoresRequest request;
    request.set_round(round_);
    request.set_county(county);
    for (const auto& [code, leaf] : domain::Leaves(rubric_)) {
      auto* score = request.add_scores();
      score->set_indicator(code);
      score->set_score_tenths(std::max(0, leaf->max_score_tenths() - below_max));
      score->set_comment("材料齐全");
      score->set_evidence(code == "2.2" ? v1::ON_SITE : v1::MATERIAL_REVIEW);
    }
    v1::ScoreSheet sheet;
    return stub_->SubmitScores(Expert(expert, expert_region).get(), request, &sheet);
  }

  grpc::Status Compute(v1::ComputeResultsResponse* out) {
    v1::ComputeResultsRequest request;
    request.set_round(round_);
    return stub_->ComputeResults(Admin().get(), request, out);
  }

  v1::Round GetRound() {
    v1::GetRoundRequest get;
    get.set_name(round_);
    v1::Round round;
    EXPECT_TRUE(stub_->GetRound(Admin().get(), get, &round).ok());
    return round;
  }

  FixedClock clock_{absl::FromCivil(absl::CivilSecond(2022, 8, 1, 9, 0, 0), ChinaTimeZone())};
  peixun::testing::ScratchDatabase catalog_db_;
  peixun::testing::ScratchDatabase enrollment_db_;
  peixun::testing::ScratchDatabase evaluation_db_;
  std::unique_ptr<server::Platform> catalog_;
  std::unique_ptr<catalog::CatalogService> catalog_service_;
  std::unique_ptr<cat::CatalogService::Stub> catalog_stub_;
  std::unique_ptr<server::Platform> enrollment_;
  std::unique_ptr<enrollment::CatalogMirror> mirror_;
  std::unique_ptr<enrollment::EnrollmentService> enrollment_service_;
  std::unique_ptr<enr::EnrollmentService::Stub> enrollment_stub_;
  std::unique_ptr<server::Platform> evaluation_;
  std::unique_ptr<EnrollmentRates> rates_;
  std::unique_ptr<catalog::RegionDirectory> regions_;
  std::unique_ptr<EvaluationService> service_;
  std::unique_ptr<v1::EvaluationService::Stub> stub_;
  v1::RubricVersion rubric_;
  std::string round_ = "years/2022/rounds/county-2022";
};

TEST_F(EvaluationRoundTest, R17R20R21R22R23AssignScoreDeductFromEnrollmentPublishAndRevise) {
  RunEnrollment();
  v1::CreateRubricVersionRequest create_rubric;
  create_rubric.set_parent("rubrics/project-county");
  *create_rubric.mutable_rubric_version() = domain::ProjectCountyRubric();
  ASSERT_TRUE(stub_->CreateRubricVersion(Admin().get(), create_rubric, &rubric_).ok());
  v1::CreateRoundRequest create;
  create.set_parent("years/2022");
  create.set_round_id("county-2022");
  create.mutable_round()->set_display_name("2022 年项目县绩效评价");
  create.mutable_round()->set_rubric_version(rubric_.name());
  create.mutable_round()->set_disagreement_threshold_tenths(30);
  create.mutable_round()->add_counties("regions/410225");
  create.mutable_round()->add_counties("regions/410223");
  v1::Round round;
  ASSERT_TRUE(stub_->CreateRound(Admin().get(), create, &round).ok());

  // panels; never an expert's own county.
  ASSERT_TRUE(Assign("regions/410225", "expert-a", "regions/410122").ok());
  ASSERT_TRUE(Assign("regions/410223", "expert-a", "regions/410122").ok());
  ASSERT_TRUE(Assign("regions/410225", "expert-c", "regions/410122").ok());
  grpc::Status own = Assign("regions/410225", "expert-b", "regions/410225");
  EXPECT_EQ(own.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(own.error_message().find("R-22"), std::string::npos) << own.error_message();
  ASSERT_TRUE(Assign("regions/410223", "expert-b", "regions/410225").ok());
  EXPECT_EQ(Assign("regions/410223", "expert-b", "regions/410225").error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Assign("regions/410101", "expert-b", "regions/410225").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::ListAssignmentsRequest list;
  list.set_round(round_);
  v1::ListAssignmentsResponse assignments;
  ASSERT_TRUE(stub_->ListAssignments(Admin().get(), list, &assignments).ok());
  EXPECT_EQ(assignments.assignments_size(), 4);
  ASSERT_TRUE(stub_->ListAssignments(Expert("expert-b", "410225").get(), list, &assignments).ok());
  ASSERT_EQ(assignments.assignments_size(), 1);  // an expert sees their own
  EXPECT_EQ(assignments.assignments(0).county(), "regions/410223");
  EXPECT_EQ(
      stub_->ListAssignments(ContextAs(Role::kCountyAdmin, "410225").get(), list, &assignments)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  // Scores: only assigned experts, never their own county, leaves only, within 0..maximum.
  EXPECT_EQ(Score("expert-b", "410225", "regions/410225", 0).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status unassigned = Score("expert-d", "410122", "regions/410223", 0);
  EXPECT_EQ(unassigned.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(
      unassigned.error_message().find("only for its assigned counties, and regions/410223 in "),
      std::string::npos)
      << unassigned.error_message();
  v1::SubmitScoresRequest bad;
  bad.set_round(round_);
  bad.set_county("regions/410225");
  auto* too_high = bad.add_scores();
  too_high->set_indicator("2.2");
  too_high->set_score_tenths(121);
  too_high->set_evidence(v1::ON_SITE);
  v1::ScoreSheet sheet;
  grpc::Status refused = stub_->SubmitScores(Expert("expert-a", "410122").get(), bad, &sheet);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find(
                "scores[0].score_tenths: 2.2 组织实施 is scored 0 to 120 tenths, not 121"),
            std::string::npos)
      << refused.error_message();
  too_high->set_indicator("2");
  too_high->set_score_tenths(10);
  refused = stub_->SubmitScores(Expert("expert-a", "410122").get(), bad, &sheet);
  EXPECT_NE(refused.error_message().find("'2' is not a leaf indicator"), std::string::npos)
      << refused.error_message();
  too_high->set_evidence(v1::EVIDENCE_KIND_UNSPECIFIED);
  refused = stub_->SubmitScores(Expert("expert-a", "410122").get(), bad, &sheet);
  EXPECT_NE(refused.error_message().find("scores[0].evidence"), std::string::npos)
      << refused.error_message();

  ASSERT_TRUE(Score("expert-a", "410122", "regions/410225", 0).ok());
  ASSERT_TRUE(Score("expert-c", "410122", "regions/410225", 5).ok());
  ASSERT_TRUE(Score("expert-a", "410122", "regions/410223", 0).ok());
  ASSERT_TRUE(Score("expert-b", "410225", "regions/410223", 40).ok());  // 4.0 apart: flagged

  // deductions from the running enrollment server, with the figures used.
  v1::ComputeDeductionsRequest deduct;
  deduct.set_round(round_);
  v1::ComputeDeductionsResponse deductions;
  ASSERT_TRUE(stub_->ComputeDeductions(Admin().get(), deduct, &deductions).ok());
  std::map<std::string, int> points;
  for (const auto& d : deductions.deductions())
    points[d.county() + " " + d.kind()] += d.points_tenths();
  EXPECT_EQ(points["regions/410225 少报"], 60);
  EXPECT_EQ(points["regions/410225 缺培"], 10);
  EXPECT_EQ(points["regions/410225 未结业"], 10);
  EXPECT_EQ(points["regions/410225 学员不符合遴选条件"], 10);  // found at 报到, not refused
  EXPECT_EQ(points["regions/410223 少报"], 50);
  // only the 国培 projects count; the 省培 project's 5 empty seats are not 少报.
  EXPECT_EQ(deductions.deductions_size(), 5);
  for (const auto& d : deductions.deductions()) {
    EXPECT_NE(d.source().find("(NATIONAL projects) as of"), std::string::npos) << d.source();
    const std::string counts =
        d.county() == "regions/410225"
            ? "quota 10, nominated 4, checked in 3, completed 2, found ineligible 1"
            : "quota 5, nominated 0";
    EXPECT_NE(d.source().find(counts), std::string::npos) << d.source();
    EXPECT_EQ(d.indicator(), "2.2");
  }

  EXPECT_EQ(
      evaluation_db_.QueryValue("SELECT COUNT(DISTINCT computed_by) FROM deduction_figures WHERE "
                                "computed_by = 'test'"),
      "1");  // who fetched them
  v1::ComputeResultsResponse results;
  ASSERT_TRUE(Compute(&results).ok());
  ASSERT_EQ(results.results_size(), 2);
  // 兰考县: panel 96.8 (every leaf's mean of M and M - 0.5 rounds to M - 0.2), less 9 points.
  EXPECT_EQ(results.results(0).county(), "regions/410225");
  EXPECT_EQ(results.results(0).total_tenths(), 878);
  EXPECT_EQ(results.results(0).grade(), v1::QUALIFIED);
  EXPECT_EQ(results.results(0).rank(), 1);
  EXPECT_FALSE(results.results(0).published());
  // 尉氏县: 14 leaves 2.0 under, two 3-point leaves at 1.5, 2.2 at 10.0 less 5 points.
  EXPECT_EQ(results.results(1).total_tenths(), 1000 - 14 * 20 - 2 * 15 - 50);
  EXPECT_EQ(results.results(1).grade(), v1::UNQUALIFIED);
  EXPECT_EQ(results.results(1).flagged_indicators_size(), 14);

  // Drafts are the province's until published.
  v1::GetResultRequest get;
  get.set_name(round_ + "/results/410225");
  v1::Result result;
  EXPECT_EQ(
      stub_->GetResult(ContextAs(Role::kCountyAdmin, "410225").get(), get, &result).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  // Flags block publication until a third expert reconciles.
  v1::PublishRoundRequest publish;
  publish.set_round(round_);
  v1::Round published;
  grpc::Status blocked = stub_->PublishRound(Admin().get(), publish, &published);
  EXPECT_EQ(blocked.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(blocked.error_message().find("regions/410223 (1.2, 2.1"), std::string::npos)
      << blocked.error_message();
  EXPECT_EQ(Assign("regions/410225", "expert-e", "regions/410122", true).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // nothing flagged there
  ASSERT_TRUE(Assign("regions/410223", "expert-e", "regions/410122", true).ok());
  ASSERT_TRUE(Score("expert-e", "410122", "regions/410223", 20).ok());
  blocked = stub_->PublishRound(Admin().get(), publish, &published);
  EXPECT_EQ(blocked.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(blocked.error_message().find("run ComputeResults again"), std::string::npos)
      << blocked.error_message();
  ASSERT_TRUE(Compute(&results).ok());
  EXPECT_EQ(results.results(1).flagged_indicators_size(), 0);
  // Means of M, M - 4.0 and M - 2.0 are M - 2.0; the 3-point leaves (3, 0, 1) give 1.3.
  EXPECT_EQ(results.results(1).total_tenths(), 1000 - 14 * 20 - 2 * 17 - 50);

  // publication with the etag read last; a stale one is refused.
  publish.set_etag("1");
  EXPECT_EQ(stub_->PublishRound(Admin().get(), publish, &published).error_code(),
            grpc::StatusCode::ABORTED);
  publish.set_etag(GetRound().etag());
  publish.set_request_id("publish-2022");
  ASSERT_TRUE(stub_->PublishRound(Admin().get(), publish, &published).ok());
  EXPECT_EQ(published.state(), v1::Round::PUBLISHED);
  EXPECT_TRUE(published.has_publish_time());
  v1::Round again;
  ASSERT_TRUE(
      stub_->PublishRound(Admin().get(), publish, &again).ok());  // a retry answers the same
  EXPECT_EQ(again.SerializeAsString(), published.SerializeAsString());
  grpc::Status frozen = Score("expert-a", "410122", "regions/410225", 10);
  EXPECT_EQ(frozen.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(frozen.error_message().find("R-23"), std::string::npos) << frozen.error_message();
  EXPECT_EQ(evaluation_db_.QueryValue(
                "SELECT COUNT(*) FROM outbox WHERE type = 'evaluation.result.published'"),
            "2");

  // Published results are read province-wide; the expert detail by the county and its city.
  ASSERT_TRUE(stub_->GetResult(ContextAs(Role::kViewer).get(), get, &result).ok());
  EXPECT_TRUE(result.published());
  EXPECT_EQ(result.revision(), 1);
  v1::ExplainResultRequest explain;
  explain.set_name(round_ + "/results/410225");
  v1::ResultExplanation explanation;
  ASSERT_TRUE(
      stub_->ExplainResult(ContextAs(Role::kCountyAdmin, "410225").get(), explain, &explanation)
          .ok());
  ASSERT_EQ(explanation.lines_size(), 21);
  EXPECT_EQ(explanation.grade_policy().excellent_from_tenths(), 900);
  for (const auto& line : explanation.lines()) {
    if (line.indicator() != "2.2") continue;
    ASSERT_EQ(line.expert_scores_size(), 2);
    EXPECT_EQ(line.expert_scores(0).expert(), "expert-a");
    EXPECT_EQ(line.expert_scores(0).scores(0).score_tenths(), 120);
    EXPECT_EQ(line.expert_scores(0).scores(0).evidence(), v1::ON_SITE);
    EXPECT_EQ(line.panel_score_tenths(), 118);
    ASSERT_EQ(line.deductions_size(), 4);
    EXPECT_EQ(line.final_score_tenths(), 28);
  }
  explain.set_name(round_ + "/results/410223");
  EXPECT_EQ(
      stub_->ExplainResult(ContextAs(Role::kCountyAdmin, "410225").get(), explain, &explanation)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(
      stub_->ExplainResult(ContextAs(Role::kCityAdmin, "4102").get(), explain, &explanation).ok());
  EXPECT_EQ(stub_->ExplainResult(ContextAs(Role::kCityAdmin, "4101").get(), explain, &explanation)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // City scope is the county's parent in the region data, not its code's prefix.
  explain.set_name(round_ + "/results/410299");
  grpc::Status moved =
      stub_->ExplainResult(ContextAs(Role::kCityAdmin, "4102").get(), explain, &explanation);
  EXPECT_EQ(moved.error_code(), grpc::StatusCode::PERMISSION_DENIED) << moved.error_message();
  EXPECT_EQ(stub_->ExplainResult(ContextAs(Role::kCityAdmin, "4101").get(), explain, &explanation)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);  // in its city, and not in the round

  v1::ListResultsRequest list_results;
  list_results.set_round(round_);
  list_results.set_filter("grade = UNQUALIFIED");
  v1::ListResultsResponse listed;
  ASSERT_TRUE(stub_->ListResults(ContextAs(Role::kViewer).get(), list_results, &listed).ok());
  ASSERT_EQ(listed.results_size(), 1);
  EXPECT_EQ(listed.results(0).county(), "regions/410223");
  list_results.set_filter("city = regions/4102");
  list_results.set_page_size(1);
  ASSERT_TRUE(stub_->ListResults(ContextAs(Role::kViewer).get(), list_results, &listed).ok());
  ASSERT_EQ(listed.results_size(), 1);
  EXPECT_EQ(listed.results(0).county(), "regions/410225");
  list_results.set_page_token(listed.next_page_token());
  ASSERT_TRUE(stub_->ListResults(ContextAs(Role::kViewer).get(), list_results, &listed).ok());
  ASSERT_EQ(listed.results_size(), 1);
  EXPECT_EQ(listed.results(0).county(), "regions/410223");
  EXPECT_TRUE(listed.next_page_token().empty());

  // A correction is a new revision with its reason; the first stays readable as it was.
  v1::ReviseResultRequest revise;
  revise.set_name(round_ + "/results/410225");
  revise.set_expert("expert-a");
  auto* corrected = revise.add_corrected_scores();
  corrected->set_indicator("2.2");
  corrected->set_score_tenths(100);
  corrected->set_comment("复核：培训档案不全");
  corrected->set_evidence(v1::ON_SITE);
  v1::Result revised;
  grpc::Status no_reason = stub_->ReviseResult(Admin().get(), revise, &revised);
  EXPECT_EQ(no_reason.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_reason.error_message().find("reason"), std::string::npos);
  revise.set_reason("复核更正 2.2 评分");
  EXPECT_EQ(
      stub_
          ->ReviseResult(ContextAs(Role::kExpert, "410122", "", "expert-a").get(), revise, &revised)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->ReviseResult(Admin().get(), revise, &revised).ok());
  EXPECT_EQ(revised.revision(), 2);
  EXPECT_EQ(revised.total_tenths(), 878 - 10);  // 2.2's mean of 10.0 and 11.5 is 10.8, not 11.8
  EXPECT_EQ(revised.revision_reason(), "复核更正 2.2 评分");
  EXPECT_TRUE(revised.published());
  get.set_revision(1);
  ASSERT_TRUE(stub_->GetResult(ContextAs(Role::kViewer).get(), get, &result).ok());
  EXPECT_EQ(result.total_tenths(), 878);
  explain.set_name(round_ + "/results/410225");
  explain.set_revision(1);
  ASSERT_TRUE(stub_->ExplainResult(Admin().get(), explain, &explanation).ok());
  for (const auto& line : explanation.lines()) {
    if (line.indicator() == "2.2") {
      EXPECT_EQ(line.expert_scores(0).scores(0).score_tenths(), 120);
    }
  }
  get.set_revision(0);
  ASSERT_TRUE(stub_->GetResult(ContextAs(Role::kViewer).get(), get, &result).ok());
  EXPECT_EQ(result.revision(), 2);
  // Every score ever given is kept with who gave it.
  EXPECT_EQ(evaluation_db_.QueryValue("SELECT submitted_by FROM score_history WHERE indicator = "
                                      "'2.2' AND county_code = '410225' "
                                      "AND expert = 'expert-a' ORDER BY id DESC LIMIT 1"),
            "test");

  // a revision can take the deduction figures from enrollment again, with its reason.
  // 尉氏县 sends one more teacher after publication: one seat fewer is under-reported.
  v1::ReviseResultRequest nothing;
  nothing.set_name(round_ + "/results/410223");
  nothing.set_reason("无更正");
  grpc::Status empty = stub_->ReviseResult(Admin().get(), nothing, &revised);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(empty.error_message().rfind("corrected_scores:", 0), 0u) << empty.error_message();
  {
    auto context = ContextAs(Role::kCountyAdmin, "410223");
    auto stream = enrollment_stub_->ImportTeachers(context.get());
    enr::ImportTeachersRequest row;
    enr::Teacher* t = row.mutable_teacher();
    const std::string first17 =
        "410223198505050"
        "05";
    t->set_id_number(first17 + enrollment::domain::IdCheckCharacter(first17));
    t->set_display_name("尉氏教师");
    t->set_school("尉氏县第一小学");
    t->set_county("regions/410223");
    t->set_stage(common::v1::PRIMARY);
    t->add_subjects("语文");
    t->set_rural(true);
    t->set_teaching_since_year(2010);
    row.set_row_id("1");
    ASSERT_TRUE(stream->Write(row));
    stream->WritesDone();
    enr::ImportTeacherResult imported;
    ASSERT_TRUE(stream->Read(&imported));
    ASSERT_TRUE(stream->Finish().ok());
    enr::NominateTeacherRequest nominate;
    nominate.set_project("years/2022/projects/rural-backbone");
    nominate.set_teacher(imported.teacher());
    enr::Enrollment e;
    grpc::Status nominated = enrollment_stub_->NominateTeacher(
        ContextAs(Role::kCountyAdmin, "410223").get(), nominate, &e);
    ASSERT_TRUE(nominated.ok()) << nominated.error_message();
  }
  v1::GetResultRequest weishi;
  weishi.set_name(round_ + "/results/410223");
  v1::Result before;
  ASSERT_TRUE(stub_->GetResult(ContextAs(Role::kViewer).get(), weishi, &before).ok());
  v1::ReviseResultRequest refetch;
  refetch.set_name(round_ + "/results/410223");
  refetch.set_reason("尉氏县补报一人，重新取数");
  refetch.set_refetch_deductions(true);
  grpc::Status refetched = stub_->ReviseResult(Admin().get(), refetch, &revised);
  ASSERT_TRUE(refetched.ok()) << refetched.error_message();
  EXPECT_EQ(revised.revision(), before.revision() + 1);
  EXPECT_EQ(revised.total_tenths(), before.total_tenths() + 10);
  EXPECT_EQ(revised.revision_reason(), "尉氏县补报一人，重新取数");
  explain.set_name(round_ + "/results/410223");
  explain.set_revision(0);
  ASSERT_TRUE(stub_->ExplainResult(Admin().get(), explain, &explanation).ok());
  int under_reported = -1;
  for (const auto& line : explanation.lines()) {
    for (const auto& d : line.deductions()) {
      if (d.kind() != "少报") continue;
      under_reported = d.count();
      EXPECT_NE(d.source().find("fetched again for revision"), std::string::npos) << d.source();
      EXPECT_NE(d.source().find("尉氏县补报一人"), std::string::npos) << d.source();
    }
  }
  EXPECT_EQ(under_reported, 4);
  explain.set_revision(before.revision());  // the earlier revision keeps its figures
  ASSERT_TRUE(stub_->ExplainResult(Admin().get(), explain, &explanation).ok());
  for (const auto& line : explanation.lines()) {
    for (const auto& d : line.deductions()) {
      if (d.kind() == "少报") {
        EXPECT_EQ(d.count(), 5);
      }
    }
  }
}

}  // namespace
}  // namespace peixun::evaluation
