// The access policy against the four running services (DOMAIN.md; ARCHITECTURE.md
// "Identity and access"). Every RPC of the contracts is called as every role three times: on
// resources in the role's own scope, on resources outside it, and with no resource named. Each
// answer is checked against the table: a role without an entry is refused everywhere, a role
// with "all" nowhere, a scoped role outside its scope only. Every answer (and every refusal's
// message) given to a role that may not see a teacher is scanned for that teacher's name, ID
// number and birth date, and answers to roles that never see full ID numbers for any 18-digit ID.
#include <cstdio>
#include <regex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/auth/access.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/support/sync_stream.h"
#include "gtest/gtest.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "peixun/evaluation/v1/evaluation.grpc.pb.h"
#include "peixun/funding/v1/funding.grpc.pb.h"
#include "services/catalog/catalog_migrations.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/claim_lookups.h"
#include "services/enrollment/catalog_mirror.h"
#include "services/enrollment/claim_lookups.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "services/enrollment/enrollment_migrations.h"
#include "services/enrollment/enrollment_service.h"
#include "services/evaluation/evaluation_migrations.h"
#include "services/evaluation/evaluation_service.h"
#include "services/funding/funding_migrations.h"
#include "services/funding/funding_service.h"
#include "tests/support/harness.h"
#include "tests/support/stack.h"

namespace peixun {
namespace {

using auth::Role;
using auth::Scope;
using peixun::testing::ContextAs;
namespace cat = ::peixun::catalog::v1;
namespace enr = ::peixun::enrollment::v1;
namespace ev = ::peixun::evaluation::v1;

using peixun::testing::kServiceNames;

// A teacher of the test world, with what identifies them.
struct Person {
  std::string county;
  std::string display_name;
  std::string id_number;
  std::string birth_date;  // as the ID holds it, e.g. "19850304"
  std::string name;        // "teachers/{teacher}", once imported
};

// What a request names: the resources of one side of the test, the caller's own or another's.
struct World {
  std::string county;        // county code
  std::string city;          // its city's code
  std::string other_county;  // another county of that city, without a quota yet
  std::string project;       // a project of the host
  const Person* teacher = nullptr;
  std::string enrollment;      // the teacher's enrollment in the project
  std::string expert;          // an expert subject
  std::string claim;           // a claim of hours of the teacher
  std::string city_project;    // a 市培 project the city runs
  std::string county_project;  // a 县培 project the county runs
};

enum class Side { kOwn, kOther, kUnnamed };
const char* SideName(Side side) {
  switch (side) {
    case Side::kOwn:
      return "own";
    case Side::kOther:
      return "other";
    case Side::kUnnamed:
      return "unnamed";
  }
  return "";
}

struct Answer {
  grpc::Status status;
  std::string text;           // the answers as JSON, one per message, and the status message
  bool rows_refused = false;  // an import row refused as outside the caller's scope
};

std::string IdNumber(const std::string& county, int serial) {
  std::string first17 =
      absl::StrFormat("%s1985%02d%02d%03d", county, 1 + serial % 12, 1 + serial % 28, serial);
  return first17 + enrollment::domain::IdCheckCharacter(first17);
}

common::v1::Date Date(int y, int m, int d) {
  common::v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

class AccessMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& [county, display_name] :
         {std::pair{"410225", "张明远"}, std::pair{"410223", "李秀英"},
          std::pair{"410122", "王建国"}}) {
      Person person;
      person.county = county;
      person.display_name = display_name;
      people_.push_back(person);
    }
    for (size_t i = 0; i < people_.size(); ++i) {
      people_[i].id_number = IdNumber(people_[i].county, static_cast<int>(i) + 3);
      people_[i].birth_date = people_[i].id_number.substr(6, 8);
    }
    ASSERT_TRUE(
        stack_.Start([&] { SeedCatalog(); }, [&] { SeedEnrollment(); }, [&] { SeedEvaluation(); })
            .ok());

    own_ = {"410225",
            "4102",
            "410223",
            "years/2022/projects/own-project",
            &people_[0],
            own_enrollment_,
            "expert-a",
            own_claim_,
            "years/2022/projects/own-city-project",
            "years/2022/projects/own-county-project"};
    other_ = {"410122",
              "4101",
              "410122",
              "years/2022/projects/other-project",
              &people_[2],
              other_enrollment_,
              "expert-b",
              other_claim_,
              "years/2022/projects/other-city-project",
              "years/2022/projects/other-county-project"};
  }

  void TearDown() override { stack_.Stop(); }

  server::Platform& PlatformOf(const std::string& service) { return stack_.Of(service); }

  // The token of each role, in its own world: 开封市, 兰考县, 河南大学, expert-a, 张明远.
  std::unique_ptr<grpc::ClientContext> ContextOf(Role role) const {
    switch (role) {
      case Role::kCityAdmin:
        return ContextAs(role, "4102", "", "city-clerk");
      case Role::kCountyAdmin:
        return ContextAs(role, "410225", "", "county-clerk");
      case Role::kTrainingSchool:  // 兰考县教师进修学校
        return ContextAs(role, "410225", "", "lankao-training-school");
      case Role::kSchoolAdmin:  // a school of 兰考县
        return ContextAs(role, "", "", "regions/410225/schools/own-school");
      case Role::kHost:
        return ContextAs(role, "", "hosts/henu", "host-clerk");
      case Role::kExpert:
        return ContextAs(role, "410521", "", "expert-a");
      case Role::kTeacher:
        return ContextAs(role, "", "", people_[0].name);
      case Role::kService:
        return ContextAs(role, "", "", "services/funding");
      default:
        return ContextAs(role, "", "", absl::StrCat(auth::RoleName(role), "-user"));
    }
  }

  // Whose personal data a role may read in this world, and whose full ID number.
  bool MayRead(Role role, const Person& person) const {
    switch (role) {
      case Role::kProvinceAdmin:
        return true;
      case Role::kCityAdmin:
        return person.county == "410225" || person.county == "410223";
      case Role::kCountyAdmin:  // its county
      case Role::kHost:         // its project's trainee
      case Role::kTeacher:      // itself
        return &person == &people_[0];
      default:
        return false;
    }
  }
  static bool SeesFullIdNumbers(Role role) {
    return role == Role::kProvinceAdmin || role == Role::kCountyAdmin;
  }

  template <typename Stub, typename Request, typename Response>
  void Call(Stub& stub,
            grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
            const Request& request, Response* response = nullptr, Role role = Role::kProvinceAdmin,
            const std::string& region = "") {
    Response ignored;
    grpc::Status status = (stub.*method)(ContextAs(role, region).get(), request,
                                         response != nullptr ? response : &ignored);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void SeedCatalog() {
    auto stub =
        cat::CatalogService::NewStub(peixun::testing::LoopbackChannel(stack_.catalog->port()));
    cat::ImportRegionsRequest regions;
    regions.set_csv(
        "code,name,parent_code,level\n41,河南省,,province\n4102,开封市,41,city\n"
        "410225,兰考县,4102,county\n410223,尉氏县,4102,county\n4101,郑州市,41,city\n"
        "410122,中牟县,4101,county\n4105,安阳市,41,city\n410521,林州市,4105,county\n");
    Call(*stub, &cat::CatalogService::Stub::ImportRegions, regions);
    cat::CreateYearRequest year;
    year.mutable_plan_year()->set_year(2022);
    *year.mutable_plan_year()->mutable_nomination_deadline() = Date(2022, 8, 31);
    Call(*stub, &cat::CatalogService::Stub::CreateYear, year);
    cat::CreateCategoryRequest category;
    category.set_parent("years/2022");
    category.set_category_id("rural");
    category.mutable_category()->set_display_name("乡村教师");
    category.mutable_category()->set_plan_level(common::v1::NATIONAL);
    Call(*stub, &cat::CatalogService::Stub::CreateCategory, category);
    // the levels cities and counties run themselves.
    for (const auto& [id, level] : {std::pair{"city-training", common::v1::CITY},
                                    std::pair{"county-training", common::v1::COUNTY}}) {
      cat::CreateCategoryRequest owned;
      owned.set_parent("years/2022");
      owned.set_category_id(id);
      owned.mutable_category()->set_display_name(id);
      owned.mutable_category()->set_plan_level(level);
      Call(*stub, &cat::CatalogService::Stub::CreateCategory, owned);
    }
    for (const auto& [id, display_name] :
         {std::pair{"henu", "河南大学"}, std::pair{"zzu", "郑州大学"}}) {
      cat::CreateHostRequest host;
      host.set_host_id(id);
      host.mutable_host()->set_display_name(display_name);
      Call(*stub, &cat::CatalogService::Stub::CreateHost, host);
    }
    for (const auto& [id, host] :
         {std::pair{"own-project", "hosts/henu"}, std::pair{"other-project", "hosts/zzu"}}) {
      cat::CreateProjectRequest project;
      project.set_parent("years/2022");
      project.set_project_id(id);
      auto* p = project.mutable_project();
      p->set_display_name(absl::StrCat("乡村教师培训 ", id));
      p->set_category("years/2022/categories/rural");
      p->set_host(host);
      p->set_seats(100);
      p->set_credit_hours(80);
      p->mutable_format()->set_centralized_days(10);
      *p->mutable_start_date() = Date(2022, 10, 10);
      *p->mutable_end_date() = Date(2022, 10, 19);
      Call(*stub, &cat::CatalogService::Stub::CreateProject, project);
      for (const auto& [city, county] :
           {std::pair{"4102", "410225"}, std::pair{"4101", "410122"}}) {
        cat::AllocateQuotaRequest to_city;
        to_city.set_parent(absl::StrCat("years/2022/projects/", id));
        to_city.set_region(absl::StrCat("regions/", city));
        to_city.set_seats(10);
        Call(*stub, &cat::CatalogService::Stub::AllocateQuota, to_city);
        cat::AllocateQuotaRequest to_county;
        to_county.set_parent(absl::StrCat("years/2022/projects/", id, "/quotas/", city));
        to_county.set_region(absl::StrCat("regions/", county));
        to_county.set_seats(5);
        Call(*stub, &cat::CatalogService::Stub::AllocateQuota, to_county,
             static_cast<cat::QuotaAllocation*>(nullptr), Role::kCityAdmin, city);
      }
    }
    for (const auto& [id, owner] :
         {std::pair{"own-city-project", "4102"}, std::pair{"other-city-project", "4101"},
          std::pair{"own-county-project", "410225"}, std::pair{"other-county-project", "410122"}}) {
      cat::CreateProjectRequest project;
      project.set_parent("years/2022");
      project.set_project_id(id);
      *project.mutable_project() = OwnedProject(owner);
      Call(*stub, &cat::CatalogService::Stub::CreateProject, project);
    }
  }

  // A 市培 project of a city or a 县培 project of a county.
  static cat::Project OwnedProject(const std::string& owner) {
    cat::Project p;
    const bool city = owner.size() == 4;
    p.set_display_name(absl::StrCat(city ? "市级培训 " : "县级培训 ", owner));
    p.set_category(city ? "years/2022/categories/city-training"
                        : "years/2022/categories/county-training");
    p.set_owner("regions/" + owner);
    p.set_host("hosts/henu");
    p.set_seats(30);
    p.set_credit_hours(24);
    p.mutable_format()->set_centralized_days(3);
    *p.mutable_start_date() = Date(2022, 11, 1);
    *p.mutable_end_date() = Date(2022, 11, 3);
    return p;
  }

  void SeedEnrollment() {
    // The catalog copy holds both projects' county quotas.
    for (int i = 0; i < 500; ++i) {
      std::string quotas;
      try {
        quotas = stack_.enrollment_db.QueryValue(
            "SELECT COUNT(*) FROM catalog_quotas WHERE county_code IN ('410225', '410122')");
      } catch (const std::exception&) {
      }
      if (quotas == "4") break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    auto stub = enr::EnrollmentService::NewStub(
        peixun::testing::LoopbackChannel(stack_.enrollment->port()));
    auto context = ContextAs(Role::kProvinceAdmin);
    auto stream = stub->ImportTeachers(context.get());
    for (const auto& person : people_) ASSERT_TRUE(stream->Write(RowOf(person)));
    stream->WritesDone();
    enr::ImportTeacherResult result;
    for (auto& person : people_) {
      ASSERT_TRUE(stream->Read(&result));
      ASSERT_EQ(result.outcome(), enr::ImportTeacherResult::CREATED) << result.reason();
      person.name = result.teacher();
    }
    ASSERT_TRUE(stream->Finish().ok());
    for (auto [person, project, enrollment] :
         {std::tuple{&people_[0], "own-project", &own_enrollment_},
          std::tuple{&people_[2], "other-project", &other_enrollment_}}) {
      enr::NominateTeacherRequest nominate;
      nominate.set_project(absl::StrCat("years/2022/projects/", project));
      nominate.set_teacher(person->name);
      enr::Enrollment made;
      Call(*stub, &enr::EnrollmentService::Stub::NominateTeacher, nominate, &made,
           Role::kCountyAdmin, person->county);
      *enrollment = made.name();
    }
    // a registered school on each side, with its plan of the 2022 school year.
    for (const auto& [county, school] :
         {std::pair{"410225", "own-school"}, std::pair{"410122", "other-school"}}) {
      enr::ImportSchoolsRequest schools;
      schools.set_county(absl::StrCat("regions/", county));
      auto* row = schools.add_schools();
      row->set_name(school);
      row->set_display_name(absl::StrCat(school, " 小学"));
      Call(*stub, &enr::EnrollmentService::Stub::ImportSchools, schools);
      enr::SubmitResearchPlanRequest plan;
      plan.set_parent(absl::StrCat("regions/", county, "/schools/", school));
      plan.mutable_research_plan()->set_school_year(2022);
      plan.mutable_research_plan()->set_title("2022学年校本研修方案");
      plan.mutable_research_plan()->set_content("集体备课、课例研究、专业阅读");
      Call(*stub, &enr::EnrollmentService::Stub::SubmitResearchPlan, plan);
    }
    for (auto [person, claim] :
         {std::pair{&people_[0], &own_claim_}, std::pair{&people_[2], &other_claim_}}) {
      enr::CreateHourClaimRequest file;
      file.set_parent(person->name);
      *file.mutable_hour_claim() = ClaimOf("外省骨干教师培训");
      enr::HourClaim made;
      Call(*stub, &enr::EnrollmentService::Stub::CreateHourClaim, file, &made);
      *claim = made.name();
    }
  }

  // A claim of hours earned elsewhere, in July 2022 (before the test's today).
  static enr::HourClaim ClaimOf(const std::string& title) {
    enr::HourClaim claim;
    claim.set_title(title);
    claim.set_provider("浙江师范大学");
    *claim.mutable_start_date() = Date(2022, 7, 1);
    *claim.mutable_end_date() = Date(2022, 7, 5);
    claim.set_credit_hours(30);
    claim.set_evidence("浙教培证 2022-001");
    return claim;
  }

  void SeedEvaluation() {
    auto stub =
        ev::EvaluationService::NewStub(peixun::testing::LoopbackChannel(stack_.evaluation->port()));
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
    Call(*stub, &ev::EvaluationService::Stub::CreateRubricVersion, rubric_request, &made);
    ev::CreateRoundRequest create;
    create.set_parent("years/2022");
    create.set_round_id("county-2022");
    create.mutable_round()->set_display_name("2022 年项目县绩效评价");
    create.mutable_round()->set_rubric_version(made.name());
    for (const char* county : {"regions/410225", "regions/410122"})
      create.mutable_round()->add_counties(county);
    ev::Round round;
    Call(*stub, &ev::EvaluationService::Stub::CreateRound, create, &round);
    round_ = round.name();
    ev::AssignExpertRequest assign;
    assign.set_round(round_);
    assign.mutable_assignment()->set_county("regions/410225");
    assign.mutable_assignment()->set_expert("expert-a");
    assign.mutable_assignment()->set_expert_region("regions/410521");
    Call(*stub, &ev::EvaluationService::Stub::AssignExpert, assign);
  }

  // The request a method gets on one side; methods whose requests name nothing a scope
  // decides on get the empty request on every side.
  std::string RequestFor(const std::string& method, Side side, Role role) const {
    if (side == Side::kUnnamed) return "";
    const World& w = side == Side::kOwn ? own_ : other_;
    const std::string teacher = w.teacher->name;
    auto bytes = [](const google::protobuf::Message& message) {
      return message.SerializeAsString();
    };
    const std::string county_filter = absl::StrCat("county = \"regions/", w.county, "\"");
    if (method == "CatalogService.AllocateQuota") {
      cat::AllocateQuotaRequest r;
      if (role == Role::kCountyAdmin) {  // the seats of its own 县培 project
        r.set_parent(absl::StrCat(w.county_project, "/quotas/", w.city));
        r.set_region("regions/" + w.county);
      } else {
        r.set_parent(absl::StrCat(own_.project, "/quotas/", w.city));
        r.set_region("regions/" + w.other_county);
      }
      r.set_seats(5);
      return bytes(r);
    }
    // a city creates and changes its 市培 projects, a county its 县培 ones.
    if (method == "CatalogService.CreateProject") {
      cat::CreateProjectRequest r;
      r.set_parent("years/2022");
      *r.mutable_project() = OwnedProject(role == Role::kCountyAdmin ? w.county : w.city);
      return bytes(r);
    }
    if (method == "CatalogService.UpdateProject") {
      cat::UpdateProjectRequest r;
      r.mutable_project()->set_name(role == Role::kCountyAdmin ? w.county_project : w.city_project);
      r.mutable_project()->set_display_name("改名的培训");
      r.mutable_update_mask()->add_paths("display_name");
      return bytes(r);
    }
    if (method == "EnrollmentService.GetTeacher") {
      enr::GetTeacherRequest r;
      r.set_name(teacher);
      return bytes(r);
    }
    if (method == "EnrollmentService.ListTeachers") {
      enr::ListTeachersRequest r;
      r.set_filter(county_filter);
      return bytes(r);
    }
    if (method == "EnrollmentService.UpdateTeacher") {
      enr::UpdateTeacherRequest r;
      r.mutable_teacher()->set_name(teacher);
      r.mutable_teacher()->set_school("第二小学");
      r.mutable_update_mask()->add_paths("school");
      return bytes(r);
    }
    // plans of school-based research, a school's own and its county's.
    const std::string school = absl::StrCat("regions/", w.county, "/schools/",
                                            side == Side::kOwn ? "own-school" : "other-school");
    if (method == "EnrollmentService.SubmitResearchPlan") {
      enr::SubmitResearchPlanRequest r;
      r.set_parent(school);
      r.mutable_research_plan()->set_school_year(2022);
      r.mutable_research_plan()->set_title("2022学年校本研修方案");
      r.mutable_research_plan()->set_content("集体备课、课例研究、专业阅读");
      return bytes(r);
    }
    if (method == "EnrollmentService.GetResearchPlan") {
      enr::GetResearchPlanRequest r;
      r.set_name(school + "/researchPlans/2022");
      return bytes(r);
    }
    if (method == "EnrollmentService.ListResearchPlans") {
      enr::ListResearchPlansRequest r;
      r.set_parent(school);
      return bytes(r);
    }
    if (method == "EnrollmentService.ApproveResearchPlan" ||
        method == "EnrollmentService.ReturnResearchPlan") {
      enr::ReviewResearchPlanRequest r;
      r.set_name(school + "/researchPlans/2022");
      r.set_reason("矩阵测试");
      return bytes(r);
    }
    // a school's report of research hours of the 2022 school year.
    if (method == "EnrollmentService.SubmitSchoolHoursReport") {
      enr::SubmitSchoolHoursReportRequest r;
      r.set_parent(school);
      r.mutable_hours_report()->set_school_year(2022);
      auto* row = r.mutable_hours_report()->add_rows();
      row->set_teacher(teacher);
      row->set_credit_hours(24);
      return bytes(r);
    }
    if (method == "EnrollmentService.GetSchoolHoursReport") {
      enr::GetSchoolHoursReportRequest r;
      r.set_name(school + "/hoursReports/2022");
      return bytes(r);
    }
    if (method == "EnrollmentService.ListSchoolHoursReports") {
      enr::ListSchoolHoursReportsRequest r;
      r.set_parent(school);
      return bytes(r);
    }
    if (method == "EnrollmentService.VerifySchoolHoursReport") {
      enr::VerifySchoolHoursReportRequest r;
      r.set_name(school + "/hoursReports/2022");
      return bytes(r);
    }
    if (method == "EnrollmentService.ReturnSchoolHoursReport") {
      enr::ReturnSchoolHoursReportRequest r;
      r.set_name(school + "/hoursReports/2022");
      r.set_reason("矩阵测试");
      return bytes(r);
    }
    if (method == "EnrollmentService.ImportSchools") {
      enr::ImportSchoolsRequest r;
      r.set_county("regions/" + w.county);
      auto* school = r.add_schools();
      school->set_name("matrix-school");
      school->set_display_name("第一小学");
      return bytes(r);
    }
    if (method == "EnrollmentService.NominateTeacher") {
      enr::NominateTeacherRequest r;
      r.set_project(w.project);
      r.set_teacher(teacher);
      return bytes(r);
    }
    for (const char* transition :
         {"WithdrawEnrollment", "CheckIn", "Complete", "Dismiss", "MarkNotCompleted"}) {
      if (method == absl::StrCat("EnrollmentService.", transition)) {
        enr::TransitionRequest r;
        r.set_name(w.enrollment);
        r.set_reason("矩阵测试");
        return bytes(r);
      }
    }
    if (method == "EnrollmentService.ReportIneligibleTrainee") {
      enr::ReportIneligibleTraineeRequest r;
      r.set_name(w.enrollment);
      r.set_condition("任教学段不符");
      return bytes(r);
    }
    if (method == "EnrollmentService.MarkNoShow") {
      enr::MarkNoShowRequest r;
      r.set_name(w.enrollment);
      return bytes(r);
    }
    if (method == "EnrollmentService.GetEnrollment") {
      enr::GetEnrollmentRequest r;
      r.set_name(w.enrollment);
      return bytes(r);
    }
    if (method == "EnrollmentService.ListEnrollments") {
      enr::ListEnrollmentsRequest r;
      if (role == Role::kHost) {
        r.set_filter(absl::StrCat("project = \"", w.project, "\""));
      } else if (role == Role::kTeacher) {
        r.set_filter(absl::StrCat("teacher = \"", teacher, "\""));
      } else {
        r.set_filter(county_filter);
      }
      return bytes(r);
    }
    if (method == "EnrollmentService.ListBlacklistEntries") {
      enr::ListBlacklistEntriesRequest r;
      r.set_filter(role == Role::kTeacher ? absl::StrCat("teacher = \"", teacher, "\"")
                                          : county_filter);
      return bytes(r);
    }
    if (method == "EnrollmentService.GetCycleProgress") {
      enr::GetCycleProgressRequest r;
      r.set_teacher(teacher);
      return bytes(r);
    }
    if (method == "EnrollmentService.ListHourEntries") {
      enr::ListHourEntriesRequest r;
      r.set_parent(teacher);
      return bytes(r);
    }
    if (method == "EnrollmentService.RegisterHours") {
      enr::RegisterHoursRequest r;
      r.set_county("regions/" + w.county);
      auto* report = r.add_reports();
      report->set_teacher(teacher);
      report->set_source_kind(enr::HourEntry::MENTORING);
      *report->mutable_date() = Date(2022, 7, 20);
      return bytes(r);
    }
    if (method == "EnrollmentService.CreateHourClaim") {
      enr::CreateHourClaimRequest r;
      r.set_parent(teacher);
      *r.mutable_hour_claim() = ClaimOf("矩阵测试培训");
      return bytes(r);
    }
    if (method == "EnrollmentService.GetHourClaim") {
      enr::GetHourClaimRequest r;
      r.set_name(w.claim);
      return bytes(r);
    }
    if (method == "EnrollmentService.ListHourClaims") {
      enr::ListHourClaimsRequest r;
      r.set_parent(teacher);
      return bytes(r);
    }
    if (method == "EnrollmentService.ApproveHourClaim") {
      enr::ApproveHourClaimRequest r;
      r.set_name(w.claim);
      r.set_credit_hours(30);
      return bytes(r);
    }
    if (method == "EnrollmentService.RefuseHourClaim") {
      enr::RefuseHourClaimRequest r;
      r.set_name(w.claim);
      r.set_reason("矩阵测试");
      return bytes(r);
    }
    if (method == "EnrollmentService.GetHoursCertificate") {
      enr::GetHoursCertificateRequest r;
      r.set_teacher(teacher);
      return bytes(r);
    }
    if (method == "EnrollmentService.ListAtRiskTeachers") {
      enr::ListAtRiskTeachersRequest r;
      r.set_county("regions/" + w.county);
      return bytes(r);
    }
    if (method == "EnrollmentService.GetTrainingArchive") {
      enr::GetTrainingArchiveRequest r;
      r.set_teacher(teacher);
      return bytes(r);
    }
    if (method == "EvaluationService.ListAssignments") {
      ev::ListAssignmentsRequest r;
      r.set_round(round_);
      r.set_filter(absl::StrCat("expert = \"", w.expert, "\""));
      return bytes(r);
    }
    if (method == "EvaluationService.SubmitScores") {
      ev::SubmitScoresRequest r;
      r.set_round(round_);
      r.set_county("regions/" + w.county);
      for (const char* code : {"1", "2"}) {
        auto* score = r.add_scores();
        score->set_indicator(code);
        score->set_score_tenths(400);
        score->set_evidence(ev::ON_SITE);
      }
      return bytes(r);
    }
    if (method == "EvaluationService.ExplainResult") {
      ev::ExplainResultRequest r;
      r.set_name(absl::StrCat(round_, "/results/", w.county));
      return bytes(r);
    }
    return "";
  }
  // Whether RequestFor names resources for `method` (else own and other are the same call).
  bool NamesResources(const std::string& method) const {
    return !RequestFor(method, Side::kOwn, Role::kProvinceAdmin).empty() ||
           method == "EnrollmentService.ImportTeachers";
  }

  static std::string Wire(const grpc::ByteBuffer& bytes) {
    std::vector<grpc::Slice> slices;
    (void)bytes.Dump(&slices);
    std::string wire;
    for (const auto& slice : slices)
      wire.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    return wire;
  }
  // A message of an answer as JSON.
  static std::string Json(const google::protobuf::Descriptor* type, const grpc::ByteBuffer& bytes) {
    const std::string wire = Wire(bytes);
    google::protobuf::DynamicMessageFactory factory;
    std::unique_ptr<google::protobuf::Message> message(factory.GetPrototype(type)->New());
    if (!message->ParseFromString(wire)) return "<unparseable answer>";
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    if (!google::protobuf::util::MessageToJsonString(*message, &json, options).ok()) {
      return message->DebugString();
    }
    return json;
  }

  static grpc::ByteBuffer Buffer(const std::string& wire) {
    grpc::Slice slice(wire);
    return grpc::ByteBuffer(&slice, 1);
  }

  Answer Invoke(const google::protobuf::MethodDescriptor& method, const std::string& request,
                std::unique_ptr<grpc::ClientContext> context) {
    Answer answer;
    auto channel =
        peixun::testing::LoopbackChannel(PlatformOf(method.service()->full_name()).port());
    const std::string path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
    const auto* output = method.output_type();
    if (!method.client_streaming() && !method.server_streaming()) {
      grpc::ByteBuffer response;
      answer.status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
          channel.get(),
          grpc::internal::RpcMethod(path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC),
          context.get(), Buffer(request), &response);
      if (answer.status.ok()) answer.text = Json(output, response);
    } else if (method.server_streaming() && !method.client_streaming()) {
      // WatchEvents: what the feed holds now (the test world's events), then stop.
      context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(700));
      std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
          grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
              channel.get(),
              grpc::internal::RpcMethod(path.c_str(), grpc::internal::RpcMethod::SERVER_STREAMING),
              context.get(), Buffer(request)));
      grpc::ByteBuffer event;
      while (reader->Read(&event)) absl::StrAppend(&answer.text, Json(output, event), "\n");
      answer.status = reader->Finish();
      if (answer.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        answer.status = grpc::Status::OK;
    } else {
      // ImportTeachers: the side's teacher as one row (none when unnamed).
      std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
          grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
              channel.get(),
              grpc::internal::RpcMethod(path.c_str(), grpc::internal::RpcMethod::BIDI_STREAMING),
              context.get()));
      if (!request.empty()) stream->Write(Buffer(request));
      stream->WritesDone();
      grpc::ByteBuffer result_bytes;
      while (stream->Read(&result_bytes)) {
        const std::string json = Json(output, result_bytes);
        absl::StrAppend(&answer.text, json, "\n");
        enr::ImportTeacherResult result;
        if (result.ParseFromString(Wire(result_bytes)) &&
            result.outcome() == enr::ImportTeacherResult::REJECTED &&
            result.reason().find("is outside it") != std::string::npos) {
          answer.rows_refused = true;
        }
      }
      answer.status = stream->Finish();
    }
    absl::StrAppend(&answer.text, "\nstatus: ", answer.status.error_message());
    return answer;
  }

  // The import row of a teacher of the test world.
  static enr::ImportTeachersRequest RowOf(const Person& person) {
    enr::ImportTeachersRequest row;
    auto* t = row.mutable_teacher();
    t->set_id_number(person.id_number);
    t->set_display_name(person.display_name);
    t->set_school("第一小学");
    t->set_county("regions/" + person.county);
    t->set_stage(common::v1::PRIMARY);
    t->add_subjects("语文");
    t->set_rural(true);
    t->set_teaching_since_year(2010);
    return row;
  }
  std::string ImportRow(Side side) const {
    if (side == Side::kUnnamed) return "";
    return RowOf(*(side == Side::kOwn ? own_ : other_).teacher).SerializeAsString();
  }

  FixedClock clock_{absl::FromCivil(absl::CivilSecond(2022, 8, 1, 9, 0, 0), ChinaTimeZone())};
  peixun::testing::ServiceStack stack_{clock_};
  std::vector<Person> people_;
  std::string own_enrollment_;
  std::string other_enrollment_;
  std::string own_claim_;
  std::string other_claim_;
  std::string round_;
  World own_;
  World other_;
};

TEST_F(AccessMatrixTest, R35R36EveryRpcAnswersEveryRoleAsThePolicySaysAndLeaksNoPersonalData) {
  const auth::AccessPolicy& policy = auth::AccessPolicy::Default();
  const std::regex full_id("[0-9]{17}[0-9X]");
  int calls = 0;
  int scoped_cells = 0;
  std::set<std::string> methods_seen;
  for (const char* service_name : kServiceNames) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
    ASSERT_NE(service, nullptr) << service_name;
    for (int m = 0; m < service->method_count(); ++m) {
      const auto& method = *service->method(m);
      const std::string short_name = absl::StrCat(service->name(), ".", method.name());
      methods_seen.insert(method.full_name());
      // Every RPC has an entry; a call without a token is refused as unauthenticated.
      ASSERT_NE(policy.Find(method.full_name()), nullptr)
          << method.full_name() << " has no entry in the access policy";
      {
        Answer anonymous = Invoke(method, "", std::make_unique<grpc::ClientContext>());
        EXPECT_EQ(anonymous.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << short_name;
      }
      for (Role role : auth::kAllRoles) {
        const Scope scope = policy.ScopeOf(role, method.full_name());
        const bool scoped = scope != Scope::kNone && scope != Scope::kAll;
        if (scoped) {
          ++scoped_cells;
          // A scope can only be checked on requests that name resources.
          EXPECT_TRUE(NamesResources(short_name))
              << short_name << " is scoped for " << auth::RoleName(role)
              << " but the test names no resources for it";
        }
        for (Side side : {Side::kOwn, Side::kOther, Side::kUnnamed}) {
          // A method whose requests name nothing a scope decides on is one call per role.
          if (side != Side::kUnnamed && !NamesResources(short_name)) continue;
          const std::string request =
              method.client_streaming() ? ImportRow(side) : RequestFor(short_name, side, role);
          Answer answer = Invoke(method, request, ContextOf(role));
          ++calls;
          const std::string where = absl::StrCat(
              short_name, " as ", auth::RoleName(role), " (", auth::ScopeName(scope), ") on the ",
              SideName(side), " side: ", static_cast<int>(answer.status.error_code()), " ",
              answer.status.error_message());
          const bool denied = answer.status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                              answer.rows_refused;
          EXPECT_NE(answer.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << where;
          EXPECT_NE(answer.status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << where;
          EXPECT_NE(answer.status.error_code(), grpc::StatusCode::INTERNAL) << where;
          if (scope == Scope::kNone) {
            EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << where;
          } else if (side == Side::kOwn || (scope == Scope::kAll && side == Side::kOther)) {
            EXPECT_FALSE(denied) << where;
          } else if (side == Side::kOther && NamesResources(short_name)) {
            EXPECT_TRUE(denied) << where;
          }
          // nothing of a teacher the role may not read, no full ID number where
          // it sees masked ones, and never a birth date beside a masked one.
          for (const Person& person : people_) {
            if (MayRead(role, person)) continue;
            EXPECT_EQ(answer.text.find(person.display_name), std::string::npos) << where << "\n"
                                                                                << answer.text;
            EXPECT_EQ(answer.text.find(person.id_number), std::string::npos) << where << "\n"
                                                                             << answer.text;
            EXPECT_EQ(answer.text.find(person.birth_date), std::string::npos) << where << "\n"
                                                                              << answer.text;
          }
          if (!SeesFullIdNumbers(role)) {
            EXPECT_FALSE(std::regex_search(answer.text, full_id)) << where << "\n" << answer.text;
            EXPECT_EQ(answer.text.find("birth_date"), std::string::npos) << where << "\n"
                                                                         << answer.text;
          }
        }
      }
    }
  }
  // Every RPC of the policy is one of the contracts', and was called.
  for (const auto& entry : policy.methods()) {
    EXPECT_EQ(methods_seen.count(entry.method), 1u)
        << entry.method << " is in the policy but in no contract";
  }
  EXPECT_EQ(methods_seen.size(), policy.methods().size());
  EXPECT_GE(scoped_cells, 40);
  std::printf("access matrix: %zu RPCs x %zu roles, %d scoped cells, %d calls\n",
              methods_seen.size(), std::size(auth::kAllRoles), scoped_cells, calls);
  EXPECT_GE(calls, static_cast<int>(methods_seen.size() * std::size(auth::kAllRoles)));
}

}  // namespace
}  // namespace peixun
