// Enrollment through real servers on loopback: a catalog server, and enrollment servers that
// copy its facts through WatchEvents, each on its own fresh MariaDB database.
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/support/sync_stream.h"
#include "gtest/gtest.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "services/catalog/catalog_migrations.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/enrollment_seats.h"
#include "services/enrollment/catalog_mirror.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "services/enrollment/enrollment_migrations.h"
#include "services/enrollment/enrollment_service.h"
#include "tests/support/harness.h"

namespace peixun::enrollment {

namespace {

using auth::Role;
using peixun::testing::ContextAs;
namespace cat = ::peixun::catalog::v1;

// The detail of type `Detail` a refusal carries in its google.rpc.Status (empty if none).
template <typename Detail>
Detail DetailOf(const grpc::Status& status) {
  google::rpc::Status details;
  Detail detail;
  if (!details.ParseFromString(status.error_details())) return detail;
  for (const auto& any : details.details()) {
    if (any.UnpackTo(&detail)) return detail;
  }
  return detail;
}

// The rule id a refusal names in its google.rpc.ErrorInfo ("R-11"), empty if none.
std::string RuleIn(const grpc::Status& status) {
  auto info = DetailOf<google::rpc::ErrorInfo>(status);
  auto rule = info.metadata().find("rule");
  return rule == info.metadata().end() ? "" : rule->second;
}

// Test data: a valid ID number for a serial (GB 11643 check character computed here).
std::string IdNumber(const std::string& county, int serial) {
  std::string first17 = absl::StrFormat("%s1985%02d%02d%03d", county, 1 + serial % 12,
                                        1 + serial % 28, serial % 1000);
  return first17 + domain::IdCheckCharacter(first17);
}

v1::Teacher TeacherIn(const std::string& county, int serial) {
  v1::Teacher t;
  t.set_id_number(IdNumber(county, serial));
  t.set_display_name(absl::StrCat("教师", serial));
  t.set_school("第一小学");
  t.set_county("regions/" + county);
  t.set_stage(common::v1::PRIMARY);
  t.add_subjects("语文");
  t.set_rural(true);
  t.set_teaching_since_year(2010);
  return t;
}

class Server {
 public:
  Server(const std::string& name, const std::string& service, const peixun::db::DbConfig& db,
         std::vector<peixun::db::Migration> migrations, const Clock& clock)
      : platform_(peixun::testing::TestPlatformOptions(name, service, db, std::move(migrations)),
                  clock) {}
  server::Platform& platform() { return platform_; }

 private:
  server::Platform platform_;
};

class EnrollmentTest : public ::testing::Test {
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
    enrollment_ = StartEnrollment();
    stub_ = v1::EnrollmentService::NewStub(
        peixun::testing::LoopbackChannel(enrollment_->platform->port()));
    // Catalog asks this enrollment server before it cuts a county quota (R-7).
    nominated_seats_ = std::make_unique<catalog::EnrollmentSeats>(
        absl::StrCat("127.0.0.1:", enrollment_->platform->port()), peixun::testing::TestSigner(),
        SystemClock::Instance());
    catalog_service_->UseNominatedSeats(nominated_seats_.get());
    WaitForQuota(*enrollment_, "lankao-seats", 10);
  }

  void TearDown() override {
    for (auto* e : {enrollment_.get(), second_.get()}) {
      if (e == nullptr) continue;
      e->mirror->Stop();
      e->platform->Shutdown();
    }
    if (catalog_) catalog_->Shutdown();
  }

  int year_ = 2022;
  std::unique_ptr<catalog::EnrollmentSeats> nominated_seats_;

  struct Instance {
    std::unique_ptr<server::Platform> platform;
    std::unique_ptr<CatalogMirror> mirror;
    std::unique_ptr<EnrollmentService> service;
  };

  std::unique_ptr<Instance> StartEnrollment() {
    auto instance = std::make_unique<Instance>();
    instance->platform = std::make_unique<server::Platform>(
        peixun::testing::TestPlatformOptions("enrollment", "peixun.enrollment.v1.EnrollmentService",
                                             enrollment_db_.config(), enrollment::Migrations()),
        clock_);
    instance->mirror = std::make_unique<CatalogMirror>(
        instance->platform->pool(), absl::StrCat("127.0.0.1:", catalog_->port()),
        peixun::testing::TestSigner(), SystemClock::Instance(),
        instance->platform->metrics().registry());
    instance->service = std::make_unique<EnrollmentService>(*instance->platform, *instance->mirror);
    EXPECT_TRUE(instance->platform->Start(instance->service.get()).ok());
    EXPECT_TRUE(peixun::testing::WaitServing(*instance->platform));
    instance->mirror->Start();
    return instance;
  }

  void WaitForQuota(Instance&, const std::string& project, int seats,
                    const std::string& county = "410225") {
    for (int i = 0; i < 300; ++i) {
      std::string value;
      try {
        value = enrollment_db_.QueryValue(
            absl::StrCat("SELECT seats FROM catalog_quotas WHERE project_id = '", project,
                         "' AND county_code = '", county, "'"));
      } catch (const std::exception&) {
      }
      if (value == std::to_string(seats)) return;
      absl::SleepFor(absl::Milliseconds(20));
    }
    FAIL() << "the catalog copy never showed " << seats << " seats of " << project;
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

  // A plan year with the categories "rural" and "it"; projects created next go into it.
  void CreateYear(int y) {
    year_ = y;
    cat::CreateYearRequest year;
    year.mutable_plan_year()->set_year(y);
    *year.mutable_plan_year()->mutable_nomination_deadline() = Date(y, 8, 31);
    CatalogCall(&cat::CatalogService::Stub::CreateYear, year);
    for (const char* category : {"rural", "it", "provincial"}) {
      cat::CreateCategoryRequest c;
      c.set_parent(absl::StrCat("years/", y));
      c.set_category_id(category);
      c.mutable_category()->set_display_name(category);
      c.mutable_category()->set_plan_level(
          std::string(category) == "provincial" ? common::v1::PROVINCIAL : common::v1::NATIONAL);
      CatalogCall(&cat::CatalogService::Stub::CreateCategory, c);
    }
  }

  void CreateProject(const std::string& id, const std::string& category, int month, int day,
                     int days, const std::function<void(cat::Project&)>& adjust = nullptr) {
    cat::CreateProjectRequest project;
    project.set_parent(absl::StrCat("years/", year_));
    project.set_project_id(id);
    auto* p = project.mutable_project();
    p->set_display_name(absl::StrCat("项目 ", id));
    p->set_category(absl::StrCat("years/", year_, "/categories/", category));
    p->set_host("hosts/henu");
    p->set_seats(100);
    p->set_credit_hours(80);
    p->mutable_format()->set_centralized_days(days);
    *p->mutable_start_date() = Date(year_, month, day);
    *p->mutable_end_date() = Date(year_, month, day + days - 1);
    if (adjust) adjust(*p);
    CatalogCall(&cat::CatalogService::Stub::CreateProject, project);
    cat::AllocateQuotaRequest city;
    city.set_parent(absl::StrCat("years/", year_, "/projects/", id));
    city.set_region("regions/4102");
    city.set_seats(10);
    CatalogCall(&cat::CatalogService::Stub::AllocateQuota, city);
    SetCountySeats(id, 10);
  }

  // 兰考县's seats in `project`, as 开封's city admin sets them.
  void SetCountySeats(const std::string& project, int seats) {
    cat::AllocateQuotaRequest county;
    county.set_parent(absl::StrCat("years/", year_, "/projects/", project, "/quotas/4102"));
    county.set_region("regions/410225");
    county.set_seats(seats);
    CatalogCall(&cat::CatalogService::Stub::AllocateQuota, county, Role::kCityAdmin, "4102");
  }

  static common::v1::Date Date(int y, int m, int d) {
    common::v1::Date date;
    date.set_year(y);
    date.set_month(m);
    date.set_day(d);
    return date;
  }

  void SeedCatalog() {
    cat::ImportRegionsRequest regions;
    regions.set_csv(
        "code,name,parent_code,level,directly_administered\n41,河南省,,province,\n"
        "4102,开封市,41,city,\n410225,兰考县,4102,county,true\n410223,尉氏县,4102,county,\n"
        "419001,济源示范区,41,city,true\n");
    CatalogCall(&cat::CatalogService::Stub::ImportRegions, regions);
    CreateYear(2022);
    cat::CreateHostRequest host;
    host.set_host_id("henu");
    host.mutable_host()->set_display_name("河南大学");
    CatalogCall(&cat::CatalogService::Stub::CreateHost, host);
    CreateProject("lankao-seats", "rural", 10, 10, 10);
  }

  // Imports teachers through the stream; returns the results in order.
  std::vector<v1::ImportTeacherResult> Import(const std::vector<v1::Teacher>& teachers,
                                              Role role = Role::kCountyAdmin,
                                              const std::string& region = "410225") {
    auto context = ContextAs(role, region);
    auto stream = stub_->ImportTeachers(context.get());
    for (size_t i = 0; i < teachers.size(); ++i) {
      v1::ImportTeachersRequest row;
      *row.mutable_teacher() = teachers[i];
      row.set_row_id(std::to_string(i + 1));
      EXPECT_TRUE(stream->Write(row));
    }
    stream->WritesDone();
    std::vector<v1::ImportTeacherResult> results;
    v1::ImportTeacherResult result;
    while (stream->Read(&result)) results.push_back(result);
    EXPECT_TRUE(stream->Finish().ok());
    return results;
  }

  // 64 county clerks nominate 64 distinct teachers into `project` at once, alternating between
  // two servers; counts accepted and refused-by-quota (anything else fails the test).
  std::pair<int, int> RaceForSeats(v1::EnrollmentService::Stub& a, v1::EnrollmentService::Stub& b,
                                   const std::string& project, int first_serial) {
    std::vector<v1::Teacher> teachers;
    teachers.reserve(64);
    for (int i = 0; i < 64; ++i) teachers.push_back(TeacherIn("410225", first_serial + i));
    auto imported = Import(teachers);
    EXPECT_EQ(imported.size(), 64u);
    std::atomic<int> accepted{0};
    std::atomic<int> refused_r7{0};
    std::vector<std::thread> threads;
    for (size_t i = 0; i < imported.size(); ++i) {
      threads.emplace_back([&, i] {
        v1::Enrollment out;
        grpc::Status status = Nominate(i % 2 == 0 ? a : b, imported[i].teacher(), project, &out);
        if (status.ok()) {
          accepted++;
        } else if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                   status.error_message().rfind("R-7 quota exhausted", 0) == 0) {
          refused_r7++;
        } else {
          ADD_FAILURE() << status.error_message();
        }
      });
    }
    for (auto& t : threads) t.join();
    return {accepted.load(), refused_r7.load()};
  }

  grpc::Status Nominate(v1::EnrollmentService::Stub& stub, const std::string& teacher,
                        const std::string& project, v1::Enrollment* out,
                        const std::string& county = "410225") {
    v1::NominateTeacherRequest request;
    request.set_project(absl::StrCat("years/", year_, "/projects/", project));
    request.set_teacher(teacher);
    return stub.NominateTeacher(ContextAs(Role::kCountyAdmin, county).get(), request, out);
  }

  // R-1, R-32: registers 兰考县's schools (id, name), as the province.
  void RegisterLankaoSchools(const std::vector<std::pair<std::string, std::string>>& schools) {
    v1::ImportSchoolsRequest request;
    request.set_county("regions/410225");
    for (const auto& [id, name] : schools) {
      auto* school = request.add_schools();
      school->set_name(id);
      school->set_display_name(name);
    }
    v1::ImportSchoolsResponse imported;
    ASSERT_TRUE(
        stub_->ImportSchools(ContextAs(Role::kProvinceAdmin).get(), request, &imported).ok());
  }
  // A county's teacher training school (教师进修学校, R-32).
  static std::unique_ptr<grpc::ClientContext> TrainingSchool(const std::string& county) {
    return ContextAs(Role::kTrainingSchool, county, "", "training-school-" + county);
  }

  // The business day the services see; nominations of 2022 close on Aug 31, and lankao-seats
  // runs from Oct 10 to Oct 19, so arrival is recorded from Oct 10 and completion from Oct 19
  // (R-5, R-11).
  void Today(int month, int day) {
    clock_.Set(absl::FromCivil(absl::CivilSecond(2022, month, day, 9, 0, 0), ChinaTimeZone()));
  }

  FixedClock clock_{absl::FromCivil(absl::CivilSecond(2022, 8, 1, 9, 0, 0), ChinaTimeZone())};
  peixun::testing::ScratchDatabase catalog_db_;
  peixun::testing::ScratchDatabase enrollment_db_;
  std::unique_ptr<server::Platform> catalog_;
  std::unique_ptr<catalog::CatalogService> catalog_service_;
  std::unique_ptr<cat::CatalogService::Stub> catalog_stub_;
  std::unique_ptr<Instance> enrollment_;
  std::unique_ptr<Instance> second_;
  std::unique_ptr<v1::EnrollmentService::Stub> stub_;
};

TEST_F(EnrollmentTest, ImportReportsEachRowAndResendingChangesNothing) {
  v1::Teacher good = TeacherIn("410225", 1);
  v1::Teacher bad_checksum = TeacherIn("410225", 2);
  bad_checksum.mutable_id_number()->back() = bad_checksum.id_number().back() == '1' ? '2' : '1';
  v1::Teacher unknown_county = TeacherIn("410299", 3);
  v1::Teacher no_name = TeacherIn("410225", 4);
  no_name.clear_display_name();
  std::vector<v1::Teacher> file = {good,           bad_checksum, good,
                                   unknown_county, no_name,      TeacherIn("410225", 5)};
  auto results = Import(file);
  ASSERT_EQ(results.size(), 6u);
  EXPECT_EQ(results[0].outcome(), v1::ImportTeacherResult::CREATED);
  EXPECT_EQ(results[1].outcome(), v1::ImportTeacherResult::REJECTED);
  EXPECT_EQ(results[1].reason().rfind("teacher.id_number:", 0), 0u) << results[1].reason();
  EXPECT_EQ(results[2].outcome(), v1::ImportTeacherResult::UNCHANGED);
  EXPECT_EQ(results[2].teacher(), results[0].teacher());
  EXPECT_EQ(results[3].outcome(), v1::ImportTeacherResult::REJECTED);
  EXPECT_NE(results[3].reason().find("teacher.county"), std::string::npos);
  EXPECT_EQ(results[4].outcome(), v1::ImportTeacherResult::REJECTED);
  EXPECT_EQ(results[5].outcome(), v1::ImportTeacherResult::CREATED);
  EXPECT_EQ(results[5].row_id(), "6");
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM teachers"), "2");

  auto again = Import(file);
  EXPECT_EQ(again[0].outcome(), v1::ImportTeacherResult::UNCHANGED);
  EXPECT_EQ(again[5].outcome(), v1::ImportTeacherResult::UNCHANGED);
  good.set_school("兰考县第二小学");
  auto changed = Import({good});
  EXPECT_EQ(changed[0].outcome(), v1::ImportTeacherResult::UPDATED);
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM teachers"), "2");
  // The same number twice in one file: applied in file order, the last row wins.
  v1::Teacher moved = TeacherIn("410225", 7);
  v1::Teacher moved_again = moved;
  moved_again.set_school("兰考县第三小学");
  auto twice = Import({moved, moved_again});
  EXPECT_EQ(twice[0].outcome(), v1::ImportTeacherResult::CREATED);
  EXPECT_EQ(twice[1].outcome(), v1::ImportTeacherResult::UPDATED);
  EXPECT_EQ(twice[1].teacher(), twice[0].teacher());
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT school FROM teachers WHERE id_number = '" +
                                      moved.id_number() + "'"),
            "兰考县第三小学");
  // Every change is in the outbox, once: three teachers created, two updates.
  EXPECT_EQ(enrollment_db_.QueryValue(
                "SELECT COUNT(*) FROM outbox WHERE type = 'enrollment.teacher.created'"),
            "3");
  EXPECT_EQ(enrollment_db_.QueryValue(
                "SELECT COUNT(*) FROM outbox WHERE type = 'enrollment.teacher.updated'"),
            "2");
  // Another county's admin cannot import into 兰考县.
  auto foreign = Import({TeacherIn("410225", 9)}, Role::kCountyAdmin, "410223");
  EXPECT_EQ(foreign[0].outcome(), v1::ImportTeacherResult::REJECTED);
}

TEST_F(EnrollmentTest, ImportAnswersARowSentAloneWithoutWaitingForMore) {
  auto context = ContextAs(Role::kCountyAdmin, "410225");
  auto stream = stub_->ImportTeachers(context.get());
  for (int i = 1; i <= 3; ++i) {
    v1::ImportTeachersRequest row;
    *row.mutable_teacher() = TeacherIn("410225", i);
    row.set_row_id(std::to_string(i));
    ASSERT_TRUE(stream->Write(row));
    v1::ImportTeacherResult result;
    ASSERT_TRUE(stream->Read(&result));  // answered before the next row is sent
    EXPECT_EQ(result.row_id(), std::to_string(i));
    EXPECT_EQ(result.outcome(), v1::ImportTeacherResult::CREATED);
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(EnrollmentTest, AnImportRowThatCannotBeReadEndsTheCallWithAnErrorNamingIt) {
  // Rows as bytes, as a client in any language may send them: the third holds a row_id that
  // is not UTF-8, which no proto3 reader accepts.
  auto bytes_of = [](const v1::ImportTeachersRequest& row) {
    std::string wire = row.SerializeAsString();
    grpc::Slice slice(wire);
    return grpc::ByteBuffer(&slice, 1);
  };
  std::vector<grpc::ByteBuffer> rows;
  for (int i = 1; i <= 4; ++i) {
    v1::ImportTeachersRequest row;
    *row.mutable_teacher() = TeacherIn("410225", i);
    row.set_row_id(std::to_string(i));
    if (i == 3) {
      std::string wire = row.SerializeAsString() + std::string("\x12\x02\xff\xfe", 4);
      grpc::Slice slice(wire);
      rows.emplace_back(&slice, 1);
    } else {
      rows.push_back(bytes_of(row));
    }
  }
  auto context = ContextAs(Role::kCountyAdmin, "410225");
  auto channel = peixun::testing::LoopbackChannel(enrollment_->platform->port());
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel.get(),
          grpc::internal::RpcMethod("/peixun.enrollment.v1.EnrollmentService/ImportTeachers",
                                    grpc::internal::RpcMethod::BIDI_STREAMING),
          context.get()));
  for (auto& row : rows) stream->Write(row);
  stream->WritesDone();
  std::vector<std::string> answered;
  grpc::ByteBuffer answer;
  while (stream->Read(&answer)) {
    v1::ImportTeacherResult result;
    ASSERT_TRUE(
        grpc::SerializationTraits<v1::ImportTeacherResult>::Deserialize(&answer, &result).ok());
    EXPECT_EQ(result.outcome(), v1::ImportTeacherResult::CREATED);
    answered.push_back(result.row_id());
  }
  grpc::Status status = stream->Finish();
  EXPECT_EQ(answered, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("row 3 of the stream"), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("the last with row_id \"2\""), std::string::npos)
      << status.error_message();
  // Nothing after the unreadable row was stored.
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM teachers"), "2");
}

TEST_F(EnrollmentTest, R35R36TeachersAreReadOnlyInScopeAndTheMaskedIdCannotBeRebuilt) {
  auto results = Import({TeacherIn("410225", 1)});
  v1::GetTeacherRequest get;
  get.set_name(results[0].teacher());
  const std::string full = IdNumber("410225", 1);
  for (auto [role, region, masked] :
       std::vector<std::tuple<Role, std::string, bool>>{{Role::kProvinceAdmin, "", false},
                                                        {Role::kCountyAdmin, "410225", false},
                                                        {Role::kCityAdmin, "4102", true}}) {
    v1::Teacher teacher;
    ASSERT_TRUE(stub_->GetTeacher(ContextAs(role, region).get(), get, &teacher).ok());
    EXPECT_EQ(teacher.id_number() == full, !masked) << auth::RoleName(role) << " " << region;
    if (masked) {
      EXPECT_EQ(teacher.id_number(), full.substr(0, 4) + "**********" + full.substr(14));
      // R-36: the birth date (digits 7-14 of the ID) is not shown beside the masked number.
      EXPECT_FALSE(teacher.has_birth_date()) << auth::RoleName(role);
    } else {
      EXPECT_TRUE(teacher.has_birth_date()) << auth::RoleName(role);
    }
  }
  // R-35: another county, another city, a host without this trainee, an expert and a viewer
  // read nothing of the teacher.
  for (auto [role, region, host] :
       std::vector<std::tuple<Role, std::string, std::string>>{{Role::kCountyAdmin, "410223", ""},
                                                               {Role::kCityAdmin, "4101", ""},
                                                               {Role::kHost, "", "hosts/henu"},
                                                               {Role::kExpert, "410223", ""},
                                                               {Role::kViewer, "", ""}}) {
    v1::Teacher teacher;
    grpc::Status status = stub_->GetTeacher(ContextAs(role, region, host).get(), get, &teacher);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << auth::RoleName(role) << " " << region;
    EXPECT_TRUE(teacher.display_name().empty());
  }
  // A region claim that is a prefix of every county's code is no city: the token is refused.
  v1::Teacher prefixed;
  EXPECT_EQ(stub_->GetTeacher(ContextAs(Role::kCityAdmin, "41").get(), get, &prefixed).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // The teacher reads their own record.
  v1::Teacher self;
  ASSERT_TRUE(
      stub_->GetTeacher(ContextAs(Role::kTeacher, "", "", results[0].teacher()).get(), get, &self)
          .ok());
  EXPECT_EQ(self.name(), results[0].teacher());
  EXPECT_NE(self.id_number(), full);

  v1::ListTeachersRequest list;
  list.set_filter(R"(county = "regions/410225")");
  v1::ListTeachersResponse page;
  ASSERT_TRUE(stub_->ListTeachers(ContextAs(Role::kCityAdmin, "4102").get(), list, &page).ok());
  ASSERT_EQ(page.teachers_size(), 1);
  EXPECT_NE(page.teachers(0).id_number(), full);
  // A city admin without a filter lists its own city's teachers; another city's county and a
  // county admin naming another county are refused.
  v1::ListTeachersResponse whole_city;
  ASSERT_TRUE(stub_
                  ->ListTeachers(ContextAs(Role::kCityAdmin, "4102").get(),
                                 v1::ListTeachersRequest(), &whole_city)
                  .ok());
  EXPECT_EQ(whole_city.teachers_size(), 1);
  v1::ListTeachersResponse none;
  ASSERT_TRUE(stub_
                  ->ListTeachers(ContextAs(Role::kCityAdmin, "4101").get(),
                                 v1::ListTeachersRequest(), &none)
                  .ok());
  EXPECT_EQ(none.teachers_size(), 0);
  EXPECT_EQ(
      stub_->ListTeachers(ContextAs(Role::kCityAdmin, "4101").get(), list, &none).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      stub_->ListTeachers(ContextAs(Role::kCountyAdmin, "410223").get(), list, &none).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  for (Role role : {Role::kViewer, Role::kExpert, Role::kHost, Role::kService}) {
    EXPECT_EQ(
        stub_->ListTeachers(ContextAs(role, "", "hosts/henu").get(), list, &none).error_code(),
        grpc::StatusCode::PERMISSION_DENIED)
        << auth::RoleName(role);
  }
  EXPECT_EQ(none.teachers_size(), 0);
}

TEST_F(EnrollmentTest, NominationRulesRefuseWithTheRuleAndReason) {
  CreateProject("it-online", "it", 10, 15, 5,
                [](cat::Project& p) { p.mutable_audience()->set_min_teaching_years(20); });
  CreateProject("rural-two", "rural", 11, 20, 5);
  CreateProject("overlapping", "it", 10, 12, 3);
  WaitForQuota(*enrollment_, "overlapping", 10);
  auto imported = Import({TeacherIn("410225", 1)});
  const std::string teacher = imported[0].teacher();
  v1::Enrollment enrollment;
  ASSERT_TRUE(Nominate(*stub_, teacher, "lankao-seats", &enrollment).ok());
  EXPECT_EQ(enrollment.state(), v1::NOMINATED);
  EXPECT_EQ(enrollment.county(), "regions/410225");
  ASSERT_EQ(enrollment.history_size(), 1);

  auto expect_refusal = [&](const std::string& project, grpc::StatusCode code,
                            const std::string& words, const std::string& rule) {
    v1::Enrollment out;
    grpc::Status status = Nominate(*stub_, teacher, project, &out);
    EXPECT_EQ(status.error_code(), code) << project << ": " << status.error_message();
    EXPECT_NE(status.error_message().find(words), std::string::npos) << status.error_message();
    google::rpc::ErrorInfo info = DetailOf<google::rpc::ErrorInfo>(status);
    EXPECT_EQ(info.metadata().count("rule") ? info.metadata().at("rule") : "", rule) << project;
  };
  expect_refusal("lankao-seats", grpc::StatusCode::ALREADY_EXISTS, "R-13", "R-13");
  expect_refusal("it-online", grpc::StatusCode::FAILED_PRECONDITION, "R-9 not eligible", "R-9");
  expect_refusal("rural-two", grpc::StatusCode::FAILED_PRECONDITION, "category", "R-13");
  expect_refusal("overlapping", grpc::StatusCode::FAILED_PRECONDITION, "overlap", "R-13");
  expect_refusal("missing", grpc::StatusCode::NOT_FOUND, "does not exist", "");
  // Another county cannot nominate 兰考县's teacher.
  v1::Enrollment out;
  EXPECT_EQ(Nominate(*stub_, teacher, "rural-two", &out, "410223").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // After the deadline nothing is accepted.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2022, 9, 1, 8, 0, 0), ChinaTimeZone()));
  auto second = Import({TeacherIn("410225", 2)});
  grpc::Status late = Nominate(*stub_, second[0].teacher(), "lankao-seats", &out);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(late.error_message().find("R-7 nominations closed on 2022-08-31"), std::string::npos);
  // Clients read the rule from the status details (AIP-193), not from the words.
  google::rpc::ErrorInfo rule = DetailOf<google::rpc::ErrorInfo>(late);
  EXPECT_EQ(rule.reason(), "R_7");
  EXPECT_EQ(rule.domain(), "peixun");
  EXPECT_EQ(rule.metadata().at("rule"), "R-7");
  // A refusal that is not R-7 names its own rule, with its own code.
  v1::NominateTeacherRequest misnamed;
  misnamed.set_project("years/2022/projects/lankao-seats");
  misnamed.set_teacher("teacher/" + second[0].teacher());
  grpc::Status bad =
      stub_->NominateTeacher(ContextAs(Role::kCountyAdmin, "410225").get(), misnamed, &out);
  ASSERT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad.error_message();
  google::rpc::BadRequest field = DetailOf<google::rpc::BadRequest>(bad);
  ASSERT_EQ(field.field_violations_size(), 1) << bad.error_message();
  EXPECT_EQ(field.field_violations(0).field(), "teacher");
}

TEST_F(EnrollmentTest, R7SixtyFourNominatorsOnTwoServersFillExactlyTenSeats) {
  second_ = StartEnrollment();
  auto second_stub =
      v1::EnrollmentService::NewStub(peixun::testing::LoopbackChannel(second_->platform->port()));
  auto [accepted, refused_r7] = RaceForSeats(*stub_, *second_stub, "lankao-seats", 100);
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(refused_r7, 54);
  EXPECT_EQ(enrollment_db_.QueryValue(
                "SELECT COUNT(*) FROM enrollments WHERE project_id = 'lankao-seats'"),
            "10");
}

TEST_F(EnrollmentTest, R7ASeatTakenElsewhereWhileABatchWaitsForItsQuotaIsSeen) {
  // One seat in each of 尉氏县 (410223) and 兰考县 (410225). A batch carries a nomination for
  // each; another process holds 兰考县's quota while it takes that county's seat. The batch locks
  // 尉氏县's quota, waits for 兰考县's, and must then count the seat taken meanwhile: its
  // nomination for 兰考县 is refused (R-7), and 尉氏县's is accepted.
  CreateProject("two-counties", "rural", 11, 1, 3);
  SetCountySeats("two-counties", 1);
  cat::AllocateQuotaRequest weishi;
  weishi.set_parent(absl::StrCat("years/", year_, "/projects/two-counties/quotas/4102"));
  weishi.set_region("regions/410223");
  weishi.set_seats(1);
  CatalogCall(&cat::CatalogService::Stub::AllocateQuota, weishi, Role::kCityAdmin, "4102");
  WaitForQuota(*enrollment_, "two-counties", 1);
  WaitForQuota(*enrollment_, "two-counties", 1, "410223");
  auto lankao = Import({TeacherIn("410225", 700), TeacherIn("410225", 701)});
  auto weishi_teachers = Import({TeacherIn("410223", 702)}, Role::kCountyAdmin, "410223");
  ASSERT_EQ(lankao.size(), 2u);
  ASSERT_EQ(weishi_teachers.size(), 1u);

  // Held open by "another process": the lock of the first nominee (so the next nominations
  // queue into one batch behind it), and 兰考县's quota with its seat taken.
  db::ConnectionPool other(enrollment_db_.config(), nullptr);
  absl::Notification teacher_locked, seat_taken, release_teacher, release_seat;
  std::thread hold_teacher([&] {
    EXPECT_TRUE(other
                    .RunInTransaction([&](db::Connection& c) {
                      auto& lock = c.Prepare(
                          "SELECT teacher_id FROM teachers WHERE teacher_id = ? FOR UPDATE");
                      lock.setString(1, lankao[0].teacher().substr(9));
                      std::unique_ptr<sql::ResultSet>(lock.executeQuery());
                      teacher_locked.Notify();
                      release_teacher.WaitForNotification();
                      return absl::OkStatus();
                    })
                    .ok());
  });
  std::thread take_seat([&] {
    EXPECT_TRUE(
        other
            .RunInTransaction([&](db::Connection& c) {
              std::unique_ptr<sql::ResultSet>(
                  c.Prepare(absl::StrCat("SELECT seats FROM catalog_quotas WHERE year = ", year_,
                                         " AND project_id = 'two-counties' AND "
                                         "county_code = '410225' FOR UPDATE"))
                      .executeQuery());
              c.Execute(absl::StrCat(
                  "INSERT INTO enrollment_outcomes (year, project_id, county_code, state, "
                  "rural, total) VALUES (",
                  year_, ", 'two-counties', '410225', ", static_cast<int>(v1::NOMINATED),
                  ", 1, 1) ON DUPLICATE KEY UPDATE total = total + 1"));
              seat_taken.Notify();
              release_seat.WaitForNotification();
              return absl::OkStatus();
            })
            .ok());
  });
  if (!teacher_locked.WaitForNotificationWithTimeout(absl::Seconds(30)) ||
      !seat_taken.WaitForNotificationWithTimeout(absl::Seconds(30))) {
    release_teacher.Notify();
    release_seat.Notify();
    hold_teacher.join();
    take_seat.join();
    FAIL() << "the other process's locks were not taken";
  }

  grpc::Status first, for_weishi, for_lankao;
  v1::Enrollment out_first, out_weishi, out_lankao;
  std::thread nominate_first(
      [&] { first = Nominate(*stub_, lankao[0].teacher(), "lankao-seats", &out_first); });
  absl::SleepFor(absl::Milliseconds(300));  // its batch now waits for the teacher
  std::thread nominate_weishi([&] {
    for_weishi =
        Nominate(*stub_, weishi_teachers[0].teacher(), "two-counties", &out_weishi, "410223");
  });
  std::thread nominate_lankao(
      [&] { for_lankao = Nominate(*stub_, lankao[1].teacher(), "two-counties", &out_lankao); });
  absl::SleepFor(absl::Milliseconds(300));  // both queued behind it
  release_teacher.Notify();
  hold_teacher.join();
  absl::SleepFor(absl::Milliseconds(500));  // their batch holds 尉氏县's quota, waits for 兰考县's
  release_seat.Notify();
  take_seat.join();
  nominate_first.join();
  nominate_weishi.join();
  nominate_lankao.join();

  EXPECT_TRUE(first.ok()) << first.error_message();
  EXPECT_TRUE(for_weishi.ok()) << for_weishi.error_message();
  EXPECT_EQ(for_lankao.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "兰考县's one seat was taken while the batch waited, yet: " << for_lankao.error_message();
  EXPECT_EQ(RuleIn(for_lankao), "R-7") << for_lankao.error_message();
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM enrollments WHERE project_id = "
                                      "'two-counties' AND county_code = '410225'"),
            "0");
}

TEST_F(EnrollmentTest, R7SixtyFourNominatorsOnTwoServerProcessesFillExactlyTenSeats) {
  // Two enrollment processes (the real binary) on the same database; 64 county clerks race
  // for 10 seats through both.
  const auto db = enrollment_db_.config();
  const std::vector<std::pair<std::string, std::string>> env = {
      {"PEIXUN_DB_HOST", db.host},         {"PEIXUN_DB_PORT", std::to_string(db.port)},
      {"PEIXUN_DB_NAME", db.database},     {"PEIXUN_DB_USER", db.user},
      {"PEIXUN_DB_PASSWORD", db.password}, {"PEIXUN_TOKEN_KEY", peixun::testing::kTestTokenKey}};
  const std::vector<std::string> args = {
      "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
      absl::StrCat("--catalog_target=127.0.0.1:", catalog_->port())};
  const std::string logs = ::testing::TempDir();
  peixun::testing::ServiceProcess first(PEIXUN_ENROLLMENT_BINARY, args, env,
                                        logs + "/enrollment-a.log");
  peixun::testing::ServiceProcess second(PEIXUN_ENROLLMENT_BINARY, args, env,
                                         logs + "/enrollment-b.log");
  const int first_port = first.WaitServing();
  const int second_port = second.WaitServing();
  ASSERT_GT(first_port, 0);
  ASSERT_GT(second_port, 0);
  ASSERT_NE(first.pid(), second.pid());
  // The processes run on the real clock: the seats are in a year whose deadline is ahead.
  const int next_year =
      static_cast<int>(absl::ToCivilYear(absl::Now(), ChinaTimeZone()).year()) + 1;
  CreateYear(next_year);
  CreateProject("future-seats", "rural", 9, 1, 3);
  WaitForQuota(*enrollment_, "future-seats", 10);
  auto a = v1::EnrollmentService::NewStub(peixun::testing::LoopbackChannel(first_port));
  auto b = v1::EnrollmentService::NewStub(peixun::testing::LoopbackChannel(second_port));
  auto [accepted, refused_r7] = RaceForSeats(*a, *b, "future-seats", 300);
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(refused_r7, 54);
  EXPECT_EQ(enrollment_db_.QueryValue(
                "SELECT COUNT(*) FROM enrollments WHERE project_id = 'future-seats'"),
            "10");
  EXPECT_EQ(enrollment_db_.QueryValue(
                "SELECT SUM(total) FROM enrollment_outcomes WHERE project_id = 'future-seats'"),
            "10");
}

TEST_F(EnrollmentTest, ConcurrentNominationsShareTransactionsButEachIsJudgedAlone) {
  // Nominations arriving together are checked and written in shared transactions. Each must
  // still be judged as if alone: quotas hold, a teacher's two overlapping nominations in one
  // batch cannot both pass (R-13), a repeated request id answers once, a bad request fails
  // alone, and every answer is exactly what a later read returns.
  CreateProject("same-week", "it", 10, 12, 3);
  WaitForQuota(*enrollment_, "same-week", 10);
  std::vector<v1::Teacher> teachers;
  teachers.reserve(24);
  for (int i = 0; i < 24; ++i) teachers.push_back(TeacherIn("410225", 500 + i));
  auto imported = Import(teachers);
  ASSERT_EQ(imported.size(), 24u);
  struct Call {
    std::string teacher, project, request_id;
    grpc::Status status;
    v1::Enrollment out;
  };
  std::vector<Call> calls;
  for (const auto& teacher : imported) {
    calls.push_back({teacher.teacher(), "lankao-seats", "", {}, {}});
    calls.push_back({teacher.teacher(), "same-week", "", {}, {}});  // overlaps lankao-seats
  }
  for (int i = 0; i < 4; ++i)
    calls.push_back({imported[0].teacher(), "lankao-seats", "same-id", {}, {}});
  calls.push_back({"teachers/t-nobody", "lankao-seats", "", {}, {}});
  std::vector<std::thread> threads;
  threads.reserve(calls.size());
  for (auto& call : calls) {
    threads.emplace_back([&] {
      v1::NominateTeacherRequest request;
      request.set_project(absl::StrCat("years/", year_, "/projects/", call.project));
      request.set_teacher(call.teacher);
      request.set_request_id(call.request_id);
      call.status =
          stub_->NominateTeacher(ContextAs(Role::kCountyAdmin, "410225").get(), request, &call.out);
    });
  }
  for (auto& t : threads) t.join();

  std::map<std::string, int> accepted_per_project, accepted_per_teacher;
  std::set<std::string> same_id_answers;
  for (const auto& call : calls) {
    if (call.teacher == "teachers/t-nobody") {
      EXPECT_EQ(call.status.error_code(), grpc::StatusCode::NOT_FOUND)
          << call.status.error_message();
      continue;
    }
    if (!call.request_id.empty()) {
      // The first attempt may be refused by the quota (then no response is stored and a retry
      // is judged again), or accepted, and then every retry gets the same enrollment back.
      if (call.status.ok()) same_id_answers.insert(call.out.name());
      continue;
    }
    if (!call.status.ok()) {
      EXPECT_TRUE(call.status.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
                  call.status.error_code() == grpc::StatusCode::ALREADY_EXISTS)
          << call.status.error_message();
      const std::string& why = call.status.error_message();
      EXPECT_TRUE(why.rfind("R-7 quota exhausted", 0) == 0 || why.find("R-13") != std::string::npos)
          << why;
      continue;
    }
    ++accepted_per_project[call.project];
    ++accepted_per_teacher[call.teacher];
    // The answer is the stored enrollment, history and times included.
    v1::GetEnrollmentRequest get;
    get.set_name(call.out.name());
    v1::Enrollment stored;
    ASSERT_TRUE(
        stub_->GetEnrollment(ContextAs(Role::kCountyAdmin, "410225").get(), get, &stored).ok());
    EXPECT_EQ(stored.SerializeAsString(), call.out.SerializeAsString())
        << stored.DebugString() << " vs " << call.out.DebugString();
  }
  EXPECT_LE(same_id_answers.size(), 1u);
  const int same_id_rows =
      std::stoi(enrollment_db_.QueryValue("SELECT COUNT(*) FROM idempotency_keys WHERE method = "
                                          "'NominateTeacher' AND request_id = 'same-id'"));
  EXPECT_EQ(same_id_rows, static_cast<int>(same_id_answers.size()));
  EXPECT_EQ(accepted_per_project["lankao-seats"] + static_cast<int>(same_id_answers.size()), 10);
  EXPECT_EQ(accepted_per_project["same-week"], 10);
  for (const auto& [teacher, n] : accepted_per_teacher)
    EXPECT_EQ(n, 1) << teacher << " holds overlapping seats";
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM enrollments"), "20");
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT SUM(total) FROM enrollment_outcomes"), "20");
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM enrollment_history"), "20");
}

TEST_F(EnrollmentTest, R11LifecycleFollowsTheTrainingDaysWithdrawFreesTheSeatCompletionGivesHours) {
  auto imported = Import({TeacherIn("410225", 1), TeacherIn("410225", 2)});
  v1::Enrollment enrollment;
  ASSERT_TRUE(Nominate(*stub_, imported[0].teacher(), "lankao-seats", &enrollment).ok());
  v1::TransitionRequest request;
  request.set_name(enrollment.name());
  v1::Enrollment out;
  // Only the project's host records check-in.
  EXPECT_EQ(
      stub_->CheckIn(ContextAs(Role::kHost, "", "hosts/other").get(), request, &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // Completion before check-in is not a transition there is.
  grpc::Status early =
      stub_->Complete(ContextAs(Role::kHost, "", "hosts/henu").get(), request, &out);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(early.error_message().find("R-11"), std::string::npos);
  EXPECT_NE(early.error_message().find("NOMINATED"), std::string::npos);
  // Arrival (报到) is recorded from the training's first day, completion from its last.
  grpc::Status before_start =
      stub_->CheckIn(ContextAs(Role::kHost, "", "hosts/henu").get(), request, &out);
  EXPECT_EQ(before_start.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(RuleIn(before_start), "R-11");
  EXPECT_NE(before_start.error_message().find("starts on 2022-10-10"), std::string::npos)
      << before_start.error_message();
  Today(10, 10);
  ASSERT_TRUE(stub_->CheckIn(ContextAs(Role::kHost, "", "hosts/henu").get(), request, &out).ok());
  EXPECT_EQ(out.state(), v1::CHECKED_IN);
  grpc::Status before_end =
      stub_->Complete(ContextAs(Role::kHost, "", "hosts/henu").get(), request, &out);
  EXPECT_EQ(RuleIn(before_end), "R-11");
  EXPECT_NE(before_end.error_message().find("ends on 2022-10-19"), std::string::npos)
      << before_end.error_message();
  Today(10, 19);
  ASSERT_TRUE(stub_->Complete(ContextAs(Role::kHost, "", "hosts/henu").get(), request, &out).ok());
  EXPECT_EQ(out.state(), v1::COMPLETED);
  EXPECT_EQ(out.credit_hours(), 80);
  ASSERT_EQ(out.history_size(), 3);
  EXPECT_EQ(out.history(2).from_state(), v1::CHECKED_IN);
  EXPECT_EQ(out.history(2).actor(), "test");
  // A completed enrollment cannot be withdrawn.
  EXPECT_EQ(stub_->WithdrawEnrollment(ContextAs(Role::kCountyAdmin, "410225").get(), request, &out)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Nominations closed on the deadline (R-7; when the training starts first, R-5 closes them:
  // nomination_ledger_test).
  v1::Enrollment second;
  EXPECT_EQ(RuleIn(Nominate(*stub_, imported[1].teacher(), "lankao-seats", &second)), "R-7");

  Today(8, 1);
  ASSERT_TRUE(Nominate(*stub_, imported[1].teacher(), "lankao-seats", &second).ok());
  request.set_name(second.name());
  ASSERT_TRUE(
      stub_->WithdrawEnrollment(ContextAs(Role::kCountyAdmin, "410225").get(), request, &out).ok());
  EXPECT_EQ(out.state(), v1::WITHDRAWN);
  EXPECT_EQ(
      enrollment_db_.QueryValue(
          "SELECT COUNT(*) FROM enrollments WHERE project_id = 'lankao-seats' AND state <> 7"),
      "1");
  // The freed seat can be taken again, by the same teacher.
  ASSERT_TRUE(Nominate(*stub_, imported[1].teacher(), "lankao-seats", &second).ok());
}

TEST_F(EnrollmentTest, R35HostsTeachersAndCountiesReadOnlyTheirOwnEnrollments) {
  auto imported = Import({TeacherIn("410225", 1), TeacherIn("410225", 2)});
  v1::Enrollment enrollment;
  ASSERT_TRUE(Nominate(*stub_, imported[0].teacher(), "lankao-seats", &enrollment).ok());
  v1::GetEnrollmentRequest get;
  get.set_name(enrollment.name());
  v1::Enrollment out;
  // The project's host (河南大学), the county, its city and the teacher read the enrollment.
  for (auto [role, region, host, subject] :
       std::vector<std::tuple<Role, std::string, std::string, std::string>>{
           {Role::kHost, "", "hosts/henu", "h"},
           {Role::kCountyAdmin, "410225", "", "c"},
           {Role::kCityAdmin, "4102", "", "c"},
           {Role::kTeacher, "", "", imported[0].teacher()}}) {
    EXPECT_TRUE(stub_->GetEnrollment(ContextAs(role, region, host, subject).get(), get, &out).ok())
        << auth::RoleName(role);
  }
  // Another host, another teacher, another county, an expert and a viewer do not.
  for (auto [role, region, host, subject] :
       std::vector<std::tuple<Role, std::string, std::string, std::string>>{
           {Role::kHost, "", "hosts/zzu", "h"},
           {Role::kTeacher, "", "", imported[1].teacher()},
           {Role::kCountyAdmin, "410223", "", "c"},
           {Role::kExpert, "410223", "", "e"},
           {Role::kViewer, "", "", "v"}}) {
    EXPECT_EQ(
        stub_->GetEnrollment(ContextAs(role, region, host, subject).get(), get, &out).error_code(),
        grpc::StatusCode::PERMISSION_DENIED)
        << auth::RoleName(role) << " " << host << subject;
  }
  // The host reads its trainee's teacher record (masked, no birth date), not the other teacher's.
  v1::GetTeacherRequest trainee;
  trainee.set_name(imported[0].teacher());
  v1::Teacher teacher;
  auto henu = [] { return ContextAs(Role::kHost, "", "hosts/henu"); };
  ASSERT_TRUE(stub_->GetTeacher(henu().get(), trainee, &teacher).ok());
  EXPECT_FALSE(teacher.has_birth_date());
  EXPECT_NE(teacher.id_number(), IdNumber("410225", 1));
  trainee.set_name(imported[1].teacher());
  EXPECT_EQ(stub_->GetTeacher(henu().get(), trainee, &teacher).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Lists: a host names one of its projects; a teacher sees only their own enrollments, even
  // when the filter names another teacher.
  v1::ListEnrollmentsRequest list;
  v1::ListEnrollmentsResponse page;
  EXPECT_EQ(stub_->ListEnrollments(henu().get(), list, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  list.set_filter(absl::StrCat(R"(project = "years/)", year_, R"(/projects/lankao-seats")"));
  ASSERT_TRUE(stub_->ListEnrollments(henu().get(), list, &page).ok());
  EXPECT_EQ(page.enrollments_size(), 1);
  EXPECT_EQ(stub_->ListEnrollments(ContextAs(Role::kHost, "", "hosts/zzu").get(), list, &page)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListEnrollmentsResponse own;
  ASSERT_TRUE(stub_
                  ->ListEnrollments(ContextAs(Role::kTeacher, "", "", imported[1].teacher()).get(),
                                    v1::ListEnrollmentsRequest(), &own)
                  .ok());
  EXPECT_EQ(own.enrollments_size(), 0);
  list.set_filter(absl::StrCat(R"(teacher = ")", imported[0].teacher(), R"(")"));
  EXPECT_EQ(stub_
                ->ListEnrollments(ContextAs(Role::kTeacher, "", "", imported[1].teacher()).get(),
                                  list, &own)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->ListEnrollments(ContextAs(Role::kViewer).get(), list, &own).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(own.enrollments_size(), 0);
}

TEST_F(EnrollmentTest, TokensExpireOnTheRealClockWhateverTheBusinessClockSays) {
  // The service's business clock stands at 2022-08-01; a token that expired a few minutes
  // ago in real time is refused all the same, and so is one meant to live for years.
  auto call_with = [&](absl::Time issued, absl::Time expires) {
    auth::TokenClaims claims;
    claims.caller.subject = "clerk";
    claims.caller.role = Role::kProvinceAdmin;
    claims.issued = issued;
    claims.expires = expires;
    grpc::ClientContext context;
    context.AddMetadata("authorization",
                        "Bearer " + auth::SignToken(claims, peixun::testing::kTestTokenKey));
    v1::ListTeachersResponse page;
    return stub_->ListTeachers(&context, v1::ListTeachersRequest(), &page);
  };
  const absl::Time now = absl::Now();
  EXPECT_TRUE(call_with(now, now + absl::Hours(1)).ok());
  grpc::Status expired = call_with(now - absl::Hours(1), now - absl::Minutes(5));
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(expired.error_message().find("expired"), std::string::npos) << expired.error_message();
  EXPECT_EQ(
      call_with(now, absl::FromCivil(absl::CivilDay(9999, 1, 1), absl::UTCTimeZone())).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(EnrollmentTest, AnUnreadableRequestIsInvalidArgumentWithAMessage) {
  // GetTeacher's name as bytes that are not UTF-8 (field 1, length 2): the request cannot be
  // parsed, and the answer says so instead of an empty INTERNAL.
  const std::string wire("\x0a\x02\xff\xfe", 4);
  grpc::Slice slice(wire);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  auto context = ContextAs(Role::kProvinceAdmin, "");
  auto channel = peixun::testing::LoopbackChannel(enrollment_->platform->port());
  grpc::Status status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel.get(),
      grpc::internal::RpcMethod("/peixun.enrollment.v1.EnrollmentService/GetTeacher",
                                grpc::internal::RpcMethod::NORMAL_RPC),
      context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("not a readable message"), std::string::npos)
      << status.error_message();
}

TEST_F(EnrollmentTest, BadInputIsRefusedNamingTheFieldAndChangesNothing) {
  // An import row with an enum value its contract does not define, or a control character in
  // a name, is rejected with the field named; the rows beside it are imported.
  v1::Teacher unknown_gender = TeacherIn("410225", 1);
  unknown_gender.set_gender(static_cast<v1::Gender>(9));
  v1::Teacher control = TeacherIn("410225", 2);
  control.set_display_name("张\x07伟");
  auto results = Import({unknown_gender, control, TeacherIn("410225", 3)});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].outcome(), v1::ImportTeacherResult::REJECTED);
  EXPECT_EQ(results[0].reason().rfind("teacher.gender: 9 is not a value of Gender", 0), 0u)
      << results[0].reason();
  EXPECT_EQ(results[1].outcome(), v1::ImportTeacherResult::REJECTED);
  EXPECT_EQ(results[1].reason().rfind("teacher.display_name: holds the control character 0x07", 0),
            0u)
      << results[1].reason();
  EXPECT_EQ(results[2].outcome(), v1::ImportTeacherResult::CREATED);
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM teachers"), "1");
  // A unary call: a reason longer than any field may hold.
  v1::TransitionRequest dismiss;
  dismiss.set_name("enrollments/e1");
  dismiss.set_reason(std::string(20000, 'x'));
  v1::Enrollment out;
  grpc::Status status = stub_->Dismiss(ContextAs(Role::kProvinceAdmin).get(), dismiss, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("reason: is 20000 bytes", 0), 0u)
      << status.error_message();
}

TEST_F(EnrollmentTest, R37ChangesAndPersonalDataReadsAreRecordedForProvinceAdmins) {
  auto imported = Import({TeacherIn("410225", 1)});
  const std::string teacher = imported[0].teacher();
  v1::GetTeacherRequest get;
  get.set_name(teacher);
  v1::Teacher out;
  ASSERT_TRUE(
      stub_
          ->GetTeacher(ContextAs(Role::kCountyAdmin, "410225", "", "clerk-410225").get(), get, &out)
          .ok());
  EXPECT_FALSE(
      stub_->GetTeacher(ContextAs(Role::kViewer, "", "", "curious-viewer").get(), get, &out).ok());
  v1::UpdateTeacherRequest update;
  update.mutable_teacher()->set_name(teacher);
  update.mutable_teacher()->set_school("兰考县第二高级中学");
  update.mutable_update_mask()->add_paths("school");
  update.set_request_id("audit-update-1");
  ASSERT_TRUE(stub_
                  ->UpdateTeacher(ContextAs(Role::kCountyAdmin, "410225", "", "clerk-410225").get(),
                                  update, &out)
                  .ok());
  v1::Enrollment enrollment;
  ASSERT_TRUE(Nominate(*stub_, teacher, "lankao-seats", &enrollment).ok());
  // The change's entry was written with the change; the reads are written within moments.
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM audit_log WHERE method = "
                                      "'UpdateTeacher' AND request_id = 'audit-update-1'"),
            "1");
  ASSERT_TRUE(enrollment_->platform->audit().Flush().ok());

  auto list = [&](const std::string& filter, common::v1::ListAuditEntriesResponse* page,
                  Role role = Role::kProvinceAdmin) {
    common::v1::ListAuditEntriesRequest request;
    request.set_filter(filter);
    return stub_->ListAuditEntries(
        ContextAs(role, role == Role::kCountyAdmin ? "410225" : "").get(), request, page);
  };
  common::v1::ListAuditEntriesResponse page;
  ASSERT_TRUE(list(absl::StrCat(R"(resource = ")", teacher, R"(")"), &page).ok());
  std::map<std::string, common::v1::AuditEntry> by_method_subject;
  for (const auto& e : page.entries()) by_method_subject[e.method() + " " + e.subject()] = e;
  ASSERT_EQ(by_method_subject.count("GetTeacher clerk-410225"), 1u) << page.DebugString();
  const auto& read = by_method_subject["GetTeacher clerk-410225"];
  EXPECT_EQ(read.kind(), common::v1::AuditEntry::PERSONAL_DATA_READ);
  EXPECT_EQ(read.role(), "county_admin");
  EXPECT_EQ(read.outcome(), "OK");
  EXPECT_EQ(read.client().rfind("ipv4:127.0.0.1:", 0), 0u) << read.client();
  ASSERT_EQ(by_method_subject.count("GetTeacher curious-viewer"), 1u);
  EXPECT_EQ(by_method_subject["GetTeacher curious-viewer"].outcome(), "PERMISSION_DENIED");
  ASSERT_EQ(by_method_subject.count("UpdateTeacher clerk-410225"), 1u);
  EXPECT_EQ(by_method_subject["UpdateTeacher clerk-410225"].kind(), common::v1::AuditEntry::CHANGE);
  EXPECT_EQ(by_method_subject["UpdateTeacher clerk-410225"].request_id(), "audit-update-1");
  ASSERT_EQ(by_method_subject.count("NominateTeacher test"), 1u) << page.DebugString();
  // The import's row that created the teacher has its own entry, written with the row.
  ASSERT_EQ(by_method_subject.count("ImportTeachers test"), 1u) << page.DebugString();
  EXPECT_EQ(by_method_subject["ImportTeachers test"].kind(), common::v1::AuditEntry::CHANGE);
  EXPECT_EQ(by_method_subject["ImportTeachers test"].role(), "county_admin");
  EXPECT_EQ(by_method_subject["ImportTeachers test"].outcome(), "OK");
  // Newest first, and filtered by subject.
  common::v1::ListAuditEntriesResponse viewer;
  ASSERT_TRUE(list(R"(subject = "curious-viewer")", &viewer).ok());
  ASSERT_EQ(viewer.entries_size(), 1);
  for (int i = 1; i < page.entries_size(); ++i)
    EXPECT_GT(page.entries(i - 1).id(), page.entries(i).id());
  // Only province admins read the record.
  common::v1::ListAuditEntriesResponse refused;
  EXPECT_EQ(list("", &refused, Role::kCountyAdmin).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(refused.entries_size(), 0);
  // Retention: an entry older than 180 days is pruned, a younger one kept.
  enrollment_db_.Execute(
      "INSERT INTO audit_log (time, kind, subject, role, client, request_id, method, resource, "
      "outcome) VALUES "
      "(NOW() - INTERVAL 181 DAY, 2, 'old', 'viewer', '', '', 'GetTeacher', 'teachers/x', 'OK'), "
      "(NOW() - INTERVAL 179 DAY, 2, 'recent', 'viewer', '', '', 'GetTeacher', 'teachers/x', "
      "'OK')");
  auto pruned = enrollment_->platform->audit().Prune(absl::Now());
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 1);
  EXPECT_EQ(enrollment_db_.QueryValue(
                "SELECT COUNT(*) FROM audit_log WHERE subject IN ('old', 'recent')"),
            "1");
}

TEST_F(EnrollmentTest, StoredAnswersBelongToTheCallerThatMadeThem) {
  auto imported = Import({TeacherIn("410225", 1)});
  v1::UpdateTeacherRequest update;
  update.mutable_teacher()->set_name(imported[0].teacher());
  update.mutable_teacher()->set_school("兰考县第一高级中学");
  update.mutable_update_mask()->add_paths("school");
  update.set_request_id("update-school-1");
  v1::Teacher by_province;
  ASSERT_TRUE(
      stub_->UpdateTeacher(ContextAs(Role::kProvinceAdmin).get(), update, &by_province).ok());
  EXPECT_EQ(by_province.id_number(), IdNumber("410225", 1));
  // Another county's admin replaying the province admin's request id is judged as a new call
  // (refused: not its county), and never receives the stored, unmasked answer.
  v1::Teacher replayed;
  grpc::Status status =
      stub_->UpdateTeacher(ContextAs(Role::kCountyAdmin, "410223").get(), update, &replayed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_TRUE(replayed.id_number().empty());
  // A viewer is refused before anything is looked up.
  EXPECT_EQ(stub_->UpdateTeacher(ContextAs(Role::kViewer).get(), update, &replayed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The same caller replays its own answer.
  v1::Teacher again;
  ASSERT_TRUE(stub_->UpdateTeacher(ContextAs(Role::kProvinceAdmin).get(), update, &again).ok());
  EXPECT_EQ(again.etag(), by_province.etag());
  // Two counties using one request id for their own nominations do not collide.
  auto other = Import({TeacherIn("410223", 7)});
  v1::NominateTeacherRequest lankao;
  lankao.set_project(absl::StrCat("years/", year_, "/projects/lankao-seats"));
  lankao.set_teacher(imported[0].teacher());
  lankao.set_request_id("nominate-1");
  v1::Enrollment first;
  ASSERT_TRUE(
      stub_->NominateTeacher(ContextAs(Role::kCountyAdmin, "410225").get(), lankao, &first).ok());
  v1::NominateTeacherRequest elsewhere = lankao;
  elsewhere.set_teacher(other[0].teacher());
  v1::Enrollment second;
  grpc::Status theirs =
      stub_->NominateTeacher(ContextAs(Role::kCountyAdmin, "410223").get(), elsewhere, &second);
  EXPECT_NE(theirs.error_message(), "request_id: was already used for a different request");
  EXPECT_NE(second.name(), first.name());
}

TEST_F(EnrollmentTest, R35WatchEventsSendsTeachersEventsOnlyToProvinceAdminsAndBoundsThePrefix) {
  auto imported = Import({TeacherIn("410225", 1)});
  auto read_all = [&](std::unique_ptr<grpc::ClientContext> context, const std::string& prefix) {
    common::v1::WatchEventsRequest request;
    request.set_type_prefix(prefix);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    auto reader = stub_->WatchEvents(context.get(), request);
    std::vector<common::v1::Event> events;
    common::v1::Event event;
    while (reader->Read(&event)) events.push_back(event);
    return std::make_pair(events, reader->Finish());
  };
  auto [province, province_status] = read_all(ContextAs(Role::kProvinceAdmin), "enrollment.");
  bool saw_teacher = false;
  for (const auto& e : province) saw_teacher |= e.type() == "enrollment.teacher.created";
  EXPECT_TRUE(saw_teacher);
  for (Role role : {Role::kViewer, Role::kExpert, Role::kCityAdmin}) {
    auto [events, status] =
        read_all(ContextAs(role, role == Role::kCityAdmin ? "4102" : ""), "enrollment.");
    for (const auto& e : events) {
      EXPECT_EQ(e.type().rfind("enrollment.policy.", 0), 0u)
          << auth::RoleName(role) << " got " << e.type();
    }
  }
  auto [none, too_long] = read_all(ContextAs(Role::kProvinceAdmin), std::string(65, 'a'));
  EXPECT_EQ(too_long.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(too_long.error_message().find("type_prefix"), std::string::npos);
  auto [wild, wildcard] = read_all(ContextAs(Role::kProvinceAdmin), "enrollment%");
  EXPECT_EQ(wildcard.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // '_' is a character of event types, matched literally (not LIKE's any-character).
  auto [literal, literal_status] = read_all(ContextAs(Role::kProvinceAdmin), "enrollment_teacher");
  EXPECT_TRUE(literal.empty());
  // R-37: each stream of this feed is a personal-data read in the audit record, with how it
  // ended (recorded when the server sees the stream end, within a poll period of the client).
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(enrollment_->platform->audit().Flush().ok());
    if (enrollment_db_.QueryValue("SELECT COUNT(*) FROM audit_log WHERE method = 'WatchEvents'") ==
        "7")
      break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(enrollment_db_.QueryValue(
                "SELECT COUNT(*) FROM audit_log WHERE method = 'WatchEvents' AND kind = 2 "
                "AND resource = 'events/enrollment.' AND role = 'province_admin'"),
            "1");
  EXPECT_EQ(
      enrollment_db_.QueryValue("SELECT COUNT(*) FROM audit_log WHERE method = 'WatchEvents'"),
      "7");
  EXPECT_EQ(
      enrollment_db_.QueryValue("SELECT COUNT(*) FROM audit_log WHERE method = 'WatchEvents' AND "
                                "outcome = 'INVALID_ARGUMENT'"),
      "2");
}

TEST_F(EnrollmentTest, R12DismissalBarsForThreeYearsUntilAProvinceAdminLiftsIt) {
  CreateProject("it-later", "it", 11, 1, 3);
  WaitForQuota(*enrollment_, "it-later", 10);
  auto imported = Import({TeacherIn("410225", 1)});
  const std::string teacher = imported[0].teacher();
  v1::Enrollment enrollment;
  ASSERT_TRUE(Nominate(*stub_, teacher, "lankao-seats", &enrollment).ok());
  v1::TransitionRequest request;
  request.set_name(enrollment.name());
  request.set_reason("多次旷课");
  v1::Enrollment out;
  auto host = [] { return ContextAs(Role::kHost, "", "hosts/henu"); };
  Today(10, 12);
  ASSERT_TRUE(stub_->CheckIn(host().get(), request, &out).ok());
  ASSERT_TRUE(stub_->Dismiss(host().get(), request, &out).ok());
  EXPECT_EQ(out.state(), v1::DISMISSED);
  Today(8, 1);  // back before the deadline, to nominate again
  EXPECT_EQ(out.history(2).reason(), "多次旷课");

  v1::ListBlacklistEntriesRequest list;
  list.set_filter(absl::StrCat(R"(teacher = ")", teacher, R"(" AND active = "true")"));
  v1::ListBlacklistEntriesResponse entries;
  ASSERT_TRUE(
      stub_->ListBlacklistEntries(ContextAs(Role::kCountyAdmin, "410225").get(), list, &entries)
          .ok());
  ASSERT_EQ(entries.entries_size(), 1);
  const v1::BlacklistEntry& bar = entries.entries(0);
  EXPECT_EQ(bar.cause(), v1::DISMISSED);
  EXPECT_EQ(bar.enrollment(), enrollment.name());
  // Project lankao-seats ends 2022-10-19: barred until 2025-10-19.
  EXPECT_EQ(bar.end_date().year(), 2025);
  EXPECT_EQ(bar.end_date().month(), 10);
  EXPECT_EQ(bar.end_date().day(), 19);

  grpc::Status barred = Nominate(*stub_, teacher, "it-later", &out);
  EXPECT_EQ(barred.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(
      barred.error_message().find("R-12 the teacher is blacklisted (黑名单) until 2025-10-19"),
      std::string::npos)
      << barred.error_message();

  v1::LiftBlacklistEntryRequest lift;
  lift.set_name(bar.name());
  v1::BlacklistEntry lifted;
  grpc::Status no_reason =
      stub_->LiftBlacklistEntry(ContextAs(Role::kProvinceAdmin).get(), lift, &lifted);
  EXPECT_EQ(no_reason.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(no_reason.error_message().rfind("reason:", 0), 0u);
  lift.set_reason("经复核，劝退原因不成立");
  EXPECT_EQ(stub_->LiftBlacklistEntry(ContextAs(Role::kCountyAdmin, "410225").get(), lift, &lifted)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->LiftBlacklistEntry(ContextAs(Role::kProvinceAdmin).get(), lift, &lifted).ok());
  EXPECT_TRUE(lifted.lifted());
  EXPECT_EQ(lifted.lift_reason(), "经复核，劝退原因不成立");
  EXPECT_EQ(
      stub_->LiftBlacklistEntry(ContextAs(Role::kProvinceAdmin).get(), lift, &lifted).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(Nominate(*stub_, teacher, "it-later", &out).ok());
}

TEST_F(EnrollmentTest, R12R14PolicyVersionsSetTheBarAndTheCycleFigures) {
  auto get = [&](const std::string& name, v1::EnrollmentPolicy* out) {
    v1::GetEnrollmentPolicyRequest request;
    request.set_name(name);
    return stub_->GetEnrollmentPolicy(ContextAs(Role::kViewer).get(), request, out);
  };
  v1::EnrollmentPolicy policy;
  ASSERT_TRUE(get("years/2022/enrollmentPolicies/latest", &policy).ok());
  EXPECT_EQ(policy.version(), 0);  // none made: the built-in defaults
  EXPECT_EQ(policy.blacklist_years(), 3);
  EXPECT_EQ(policy.required_credit_hours(), 360);

  v1::CreateEnrollmentPolicyRequest create;
  create.set_parent("years/2022");
  create.set_request_id("policy-2022-1");
  v1::EnrollmentPolicy& figures = *create.mutable_enrollment_policy();
  figures = policy;
  figures.set_blacklist_years(2);
  figures.set_required_credit_hours(300);
  figures.set_reason("省教育厅 2022 年文件");
  EXPECT_EQ(
      stub_->CreateEnrollmentPolicy(ContextAs(Role::kCountyAdmin, "410225").get(), create, &policy)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  v1::CreateEnrollmentPolicyRequest bad = create;
  bad.mutable_enrollment_policy()->set_cycle_years(0);
  grpc::Status refused =
      stub_->CreateEnrollmentPolicy(ContextAs(Role::kProvinceAdmin).get(), bad, &policy);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("enrollment_policy.cycle_years"), std::string::npos)
      << refused.error_message();
  ASSERT_TRUE(
      stub_->CreateEnrollmentPolicy(ContextAs(Role::kProvinceAdmin).get(), create, &policy).ok());
  EXPECT_EQ(policy.name(), "years/2022/enrollmentPolicies/1");
  EXPECT_EQ(policy.creator(), "test");
  // A retry with the same request id makes no second version.
  v1::EnrollmentPolicy again;
  ASSERT_TRUE(
      stub_->CreateEnrollmentPolicy(ContextAs(Role::kProvinceAdmin).get(), create, &again).ok());
  EXPECT_EQ(again.name(), policy.name());
  // In force in later years until a newer version.
  ASSERT_TRUE(get("years/2023/enrollmentPolicies/latest", &again).ok());
  EXPECT_EQ(again.name(), "years/2022/enrollmentPolicies/1");
  EXPECT_EQ(get("years/2022/enrollmentPolicies/2", &again).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A dismissal in 2022 now bars for two years from the project's end (2022-10-19).
  auto imported = Import({TeacherIn("410225", 1)});
  v1::Enrollment enrollment;
  ASSERT_TRUE(Nominate(*stub_, imported[0].teacher(), "lankao-seats", &enrollment).ok());
  v1::TransitionRequest step;
  step.set_name(enrollment.name());
  auto host = [] { return ContextAs(Role::kHost, "", "hosts/henu"); };
  Today(10, 12);
  ASSERT_TRUE(stub_->CheckIn(host().get(), step, &enrollment).ok());
  ASSERT_TRUE(stub_->Dismiss(host().get(), step, &enrollment).ok());
  v1::ListBlacklistEntriesRequest list;
  list.set_filter(absl::StrCat(R"(teacher = ")", imported[0].teacher(), R"(")"));
  v1::ListBlacklistEntriesResponse entries;
  ASSERT_TRUE(
      stub_->ListBlacklistEntries(ContextAs(Role::kCountyAdmin, "410225").get(), list, &entries)
          .ok());
  ASSERT_EQ(entries.entries_size(), 1);
  EXPECT_EQ(entries.entries(0).end_date().year(), 2024);
  // The cycle asks for the policy's hours.
  v1::GetCycleProgressRequest progress_request;
  progress_request.set_teacher(imported[0].teacher());
  v1::CycleProgress progress;
  ASSERT_TRUE(
      stub_->GetCycleProgress(ContextAs(Role::kProvinceAdmin).get(), progress_request, &progress)
          .ok());
  EXPECT_EQ(progress.required_credit_hours(), 300);
  EXPECT_EQ(progress.missing_credit_hours(), 300);
}

TEST_F(EnrollmentTest, R12NoShowWithASpecialReasonWaitsForTheProvince) {
  auto imported = Import({TeacherIn("410225", 1), TeacherIn("410225", 2), TeacherIn("410225", 3)});
  std::vector<v1::Enrollment> enrollments(3);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(Nominate(*stub_, imported[i].teacher(), "lankao-seats", &enrollments[i]).ok());
  auto host = [] { return ContextAs(Role::kHost, "", "hosts/henu"); };
  v1::Enrollment out;
  // 1: no reason -> barred at once. 2: reason approved -> never barred. 3: reason refused ->
  // barred. A no-show is known from the training's first day (R-11).
  Today(10, 10);
  v1::MarkNoShowRequest plain;
  plain.set_name(enrollments[0].name());
  ASSERT_TRUE(stub_->MarkNoShow(host().get(), plain, &out).ok());
  for (int i : {1, 2}) {
    v1::MarkNoShowRequest with_reason;
    with_reason.set_name(enrollments[i].name());
    with_reason.set_special_reason("住院治疗");
    ASSERT_TRUE(stub_->MarkNoShow(host().get(), with_reason, &out).ok());
    EXPECT_EQ(out.no_show_review(), v1::Enrollment::PENDING);
  }
  auto bars = [&] { return enrollment_db_.QueryValue("SELECT COUNT(*) FROM blacklist_entries"); };
  EXPECT_EQ(bars(), "1");
  v1::ReviewNoShowReasonRequest review;
  review.set_name(enrollments[1].name());
  review.set_approve(true);
  EXPECT_EQ(stub_->ReviewNoShowReason(ContextAs(Role::kCityAdmin, "4102").get(), review, &out)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->ReviewNoShowReason(ContextAs(Role::kProvinceAdmin).get(), review, &out).ok());
  EXPECT_EQ(out.no_show_review(), v1::Enrollment::APPROVED);
  review.set_name(enrollments[2].name());
  review.set_approve(false);
  review.set_comment("无证明材料");
  ASSERT_TRUE(stub_->ReviewNoShowReason(ContextAs(Role::kProvinceAdmin).get(), review, &out).ok());
  EXPECT_EQ(out.no_show_review(), v1::Enrollment::REFUSED);
  EXPECT_EQ(bars(), "2");
  // A decided reason cannot be reviewed again.
  EXPECT_EQ(
      stub_->ReviewNoShowReason(ContextAs(Role::kProvinceAdmin).get(), review, &out).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  v1::ListBlacklistEntriesRequest list;
  list.set_filter(R"(county = "regions/410225" AND active = "true")");
  v1::ListBlacklistEntriesResponse entries;
  ASSERT_TRUE(
      stub_->ListBlacklistEntries(ContextAs(Role::kCountyAdmin, "410225").get(), list, &entries)
          .ok());
  EXPECT_EQ(entries.entries_size(), 2);
}

TEST_F(EnrollmentTest, R16RateReportFollowsOutcomesPerCountyCityAndHost) {
  CreateProject("rural-only", "it", 11, 1, 3,
                [](cat::Project& p) { p.mutable_audience()->set_rural_only(true); });
  WaitForQuota(*enrollment_, "rural-only", 10);
  std::vector<v1::Teacher> teachers;
  for (int i = 1; i <= 4; ++i) teachers.push_back(TeacherIn("410225", i));
  teachers[3].set_rural(false);
  auto imported = Import(teachers);
  std::vector<v1::Enrollment> e(4);
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(Nominate(*stub_, imported[i].teacher(), "lankao-seats", &e[i]).ok());
  auto host = [] { return ContextAs(Role::kHost, "", "hosts/henu"); };
  auto move = [&](int i, auto method) {
    v1::TransitionRequest request;
    request.set_name(e[i].name());
    v1::Enrollment out;
    ASSERT_TRUE(((*stub_).*method)(host().get(), request, &out).ok());
  };
  Today(10, 19);  // the training's last day: arrival, outcomes and completion can all be recorded
  move(0, &v1::EnrollmentService::Stub::CheckIn);
  move(0, &v1::EnrollmentService::Stub::Complete);
  move(1, &v1::EnrollmentService::Stub::CheckIn);
  move(1, &v1::EnrollmentService::Stub::Dismiss);
  move(3, &v1::EnrollmentService::Stub::CheckIn);
  v1::MarkNoShowRequest no_show;
  no_show.set_name(e[2].name());
  v1::Enrollment out;
  ASSERT_TRUE(stub_->MarkNoShow(host().get(), no_show, &out).ok());
  // The urban teacher is refused by the rural-only project twice, before the deadline; it
  // counts once (R-9).
  Today(8, 1);
  for (int attempt = 0; attempt < 2; ++attempt) {
    EXPECT_EQ(Nominate(*stub_, imported[3].teacher(), "rural-only", &out).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }

  v1::GetRateReportRequest request;
  request.set_year("years/2022");
  request.set_project("years/2022/projects/lankao-seats");
  request.set_scope(v1::GetRateReportRequest::COUNTY);
  v1::RateReport report;
  ASSERT_TRUE(stub_->GetRateReport(ContextAs(Role::kViewer).get(), request, &report).ok());
  ASSERT_EQ(report.rows_size(), 1);
  const v1::RateRow& row = report.rows(0);
  EXPECT_EQ(row.key(), "regions/410225");
  EXPECT_EQ(row.display_name(), "兰考县");
  EXPECT_EQ(row.quota(), 10);
  EXPECT_EQ(row.nominated(), 4);
  EXPECT_EQ(row.checked_in(), 3);
  EXPECT_EQ(row.completed(), 1);
  EXPECT_EQ(row.dismissed(), 1);
  EXPECT_EQ(row.no_show(), 1);
  EXPECT_EQ(row.under_reported(), 6);
  EXPECT_EQ(row.nomination_rate_bp(), 4000);
  EXPECT_EQ(row.check_in_rate_bp(), 7500);
  EXPECT_EQ(row.completion_rate_bp(), 3333);
  EXPECT_EQ(row.rural_share_bp(), 7500);

  request.set_project("years/2022/projects/rural-only");
  ASSERT_TRUE(stub_->GetRateReport(ContextAs(Role::kViewer).get(), request, &report).ok());
  ASSERT_EQ(report.rows_size(), 1);
  EXPECT_EQ(report.rows(0).ineligible(), 1);
  EXPECT_EQ(report.rows(0).under_reported(), 10);

  // The whole year per city and per host adds both projects up.
  request.clear_project();
  request.set_scope(v1::GetRateReportRequest::CITY);
  ASSERT_TRUE(stub_->GetRateReport(ContextAs(Role::kViewer).get(), request, &report).ok());
  ASSERT_EQ(report.rows_size(), 1);
  EXPECT_EQ(report.rows(0).key(), "regions/4102");
  EXPECT_EQ(report.rows(0).quota(), 20);
  EXPECT_EQ(report.rows(0).ineligible(), 1);
  request.set_scope(v1::GetRateReportRequest::HOST);
  ASSERT_TRUE(stub_->GetRateReport(ContextAs(Role::kViewer).get(), request, &report).ok());
  ASSERT_EQ(report.rows_size(), 1);
  EXPECT_EQ(report.rows(0).key(), "hosts/henu");
  EXPECT_EQ(report.rows(0).completed(), 1);
  request.set_scope(v1::GetRateReportRequest::SCOPE_UNSPECIFIED);
  grpc::Status no_scope = stub_->GetRateReport(ContextAs(Role::kViewer).get(), request, &report);
  EXPECT_EQ(no_scope.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(no_scope.error_message().rfind("scope:", 0), 0u);
  // The counters the report reads agree with the enrollments, state by state.
  EXPECT_EQ(
      enrollment_db_.QueryValue(
          "SELECT COUNT(*) FROM (SELECT year, project_id, county_code, state, rural, COUNT(*) AS n "
          "FROM enrollments GROUP BY 1, 2, 3, 4, 5) e LEFT JOIN enrollment_outcomes o USING "
          "(year, project_id, county_code, state, rural) WHERE o.total IS NULL OR o.total <> e.n"),
      "0");
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT SUM(total) FROM enrollment_outcomes"),
            enrollment_db_.QueryValue("SELECT COUNT(*) FROM enrollments"));

  // The dashboards' quota fill per city: 4 of 开封's 20 seats of 2022 are held.
  enrollment_->service->rates().RefreshCityFill();
  std::map<std::string, double> fill;
  for (const auto& family : enrollment_->platform->metrics().registry().Collect()) {
    if (family.name.rfind("peixun_enrollment_city_", 0) != 0) continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& label : metric.label) labels[label.name] = label.value;
      if (labels["city"] == "4102" && labels["year"] == "2022")
        fill[family.name] = metric.gauge.value;
    }
  }
  EXPECT_EQ(fill["peixun_enrollment_city_quota_seats"], 20);
  EXPECT_EQ(fill["peixun_enrollment_city_nominated_seats"], 4);
}

TEST_F(EnrollmentTest, R9R20TheHostReportsATraineeFoundIneligibleAtCheckInOnceAndReportsCountIt) {
  CreateProject("sp-lankao", "provincial", 11, 1, 3);
  WaitForQuota(*enrollment_, "sp-lankao", 10);
  auto imported = Import({TeacherIn("410225", 1), TeacherIn("410225", 2), TeacherIn("410225", 3)});
  std::vector<v1::Enrollment> e(3);
  ASSERT_TRUE(Nominate(*stub_, imported[0].teacher(), "lankao-seats", &e[0]).ok());
  ASSERT_TRUE(Nominate(*stub_, imported[1].teacher(), "lankao-seats", &e[1]).ok());
  ASSERT_TRUE(Nominate(*stub_, imported[2].teacher(), "sp-lankao", &e[2]).ok());
  auto host = [](const std::string& h = "hosts/henu") { return ContextAs(Role::kHost, "", h); };
  v1::ReportIneligibleTraineeRequest report;
  report.set_name(e[0].name());
  report.set_condition("任教学段为初中，项目要求小学");
  report.set_request_id("found-1");
  v1::Enrollment out;
  // Found at 报到: not before the training starts.
  grpc::Status early = stub_->ReportIneligibleTrainee(host().get(), report, &out);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << early.error_message();
  EXPECT_EQ(RuleIn(early), "R-11");

  Today(10, 19);
  v1::ReportIneligibleTraineeRequest blank = report;
  blank.clear_condition();
  grpc::Status no_condition = stub_->ReportIneligibleTrainee(host().get(), blank, &out);
  EXPECT_EQ(no_condition.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(no_condition.error_message().rfind("condition:", 0), 0u)
      << no_condition.error_message();
  EXPECT_EQ(stub_->ReportIneligibleTrainee(host("hosts/other").get(), report, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      stub_->ReportIneligibleTrainee(ContextAs(Role::kCountyAdmin, "410225").get(), report, &out)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  ASSERT_TRUE(stub_->ReportIneligibleTrainee(host().get(), report, &out).ok());
  EXPECT_EQ(out.found_ineligible(), "任教学段为初中，项目要求小学");
  EXPECT_EQ(out.state(), v1::NOMINATED);  // the report changes no state (R-11)
  EXPECT_NE(out.etag(), e[0].etag());
  ASSERT_GE(out.history_size(), 2);
  EXPECT_NE(out.history(out.history_size() - 1).reason().find("任教学段为初中"), std::string::npos);
  EXPECT_EQ(out.history(out.history_size() - 1).actor(), "test");
  // A retry answers the first report; another report of the same trainee is refused.
  v1::Enrollment again;
  ASSERT_TRUE(stub_->ReportIneligibleTrainee(host().get(), report, &again).ok());
  EXPECT_EQ(again.etag(), out.etag());
  report.set_request_id("found-2");
  grpc::Status twice = stub_->ReportIneligibleTrainee(host().get(), report, &again);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(RuleIn(twice), "R-9");
  EXPECT_NE(twice.error_message().find("already reported"), std::string::npos);
  // Checked in, the trainee is trained all the same and completes.
  v1::TransitionRequest step;
  step.set_name(e[0].name());
  ASSERT_TRUE(stub_->CheckIn(host().get(), step, &out).ok());
  ASSERT_TRUE(stub_->Complete(host().get(), step, &out).ok());
  EXPECT_EQ(out.found_ineligible(), "任教学段为初中，项目要求小学");
  // A dismissed trainee's report comes too late.
  step.set_name(e[1].name());
  ASSERT_TRUE(stub_->CheckIn(host().get(), step, &out).ok());
  ASSERT_TRUE(stub_->Dismiss(host().get(), step, &out).ok());
  report.set_name(e[1].name());
  report.set_request_id("found-3");
  grpc::Status late = stub_->ReportIneligibleTrainee(host().get(), report, &out);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(RuleIn(late), "R-9");

  // The county sees it on the enrollment; the report counts it apart from refusals.
  v1::GetEnrollmentRequest get;
  get.set_name(e[0].name());
  ASSERT_TRUE(stub_->GetEnrollment(ContextAs(Role::kCountyAdmin, "410225").get(), get, &out).ok());
  EXPECT_EQ(out.found_ineligible(), "任教学段为初中，项目要求小学");
  v1::GetRateReportRequest rates;
  rates.set_year("years/2022");
  rates.set_scope(v1::GetRateReportRequest::COUNTY);
  v1::RateReport all;
  ASSERT_TRUE(stub_->GetRateReport(ContextAs(Role::kViewer).get(), rates, &all).ok());
  ASSERT_EQ(all.rows_size(), 1);
  EXPECT_EQ(all.rows(0).found_ineligible(), 1);
  EXPECT_EQ(all.rows(0).ineligible(), 0);
  EXPECT_EQ(all.rows(0).quota(), 20);
  EXPECT_EQ(all.rows(0).nominated(), 3);
  // R-20 counts the national plan's projects only: the provincial one's seats drop out.
  rates.add_plan_levels(common::v1::NATIONAL);
  v1::RateReport national;
  ASSERT_TRUE(stub_->GetRateReport(ContextAs(Role::kViewer).get(), rates, &national).ok());
  ASSERT_EQ(national.rows_size(), 1);
  EXPECT_EQ(national.rows(0).quota(), 10);
  EXPECT_EQ(national.rows(0).nominated(), 2);
  EXPECT_EQ(national.rows(0).found_ineligible(), 1);
  rates.clear_plan_levels();
  rates.add_plan_levels(common::v1::PROVINCIAL);
  v1::RateReport provincial;
  ASSERT_TRUE(stub_->GetRateReport(ContextAs(Role::kViewer).get(), rates, &provincial).ok());
  ASSERT_EQ(provincial.rows_size(), 1);
  EXPECT_EQ(provincial.rows(0).quota(), 10);
  EXPECT_EQ(provincial.rows(0).nominated(), 1);
  EXPECT_EQ(provincial.rows(0).found_ineligible(), 0);
  rates.add_plan_levels(common::v1::PLAN_LEVEL_UNSPECIFIED);
  grpc::Status unknown = stub_->GetRateReport(ContextAs(Role::kViewer).get(), rates, &all);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(unknown.error_message().rfind("plan_levels:", 0), 0u) << unknown.error_message();
}

TEST_F(EnrollmentTest, R1aJiyuanHoldsTeachersQuotasAndNominationsAsItsOwnCountyLevelUnit) {
  // The province gives 济源 its seats straight from the project (R-1a, R-1b).
  cat::AllocateQuotaRequest jiyuan;
  jiyuan.set_parent("years/2022/projects/lankao-seats");
  jiyuan.set_region("regions/419001");
  jiyuan.set_seats(2);
  CatalogCall(&cat::CatalogService::Stub::AllocateQuota, jiyuan);
  WaitForQuota(*enrollment_, "lankao-seats", 2, "419001");
  auto imported = Import({TeacherIn("419001", 1), TeacherIn("419001", 2), TeacherIn("419001", 3)},
                         Role::kCountyAdmin, "419001");
  ASSERT_EQ(imported.size(), 3u);
  for (const auto& r : imported)
    ASSERT_EQ(r.outcome(), v1::ImportTeacherResult::CREATED) << r.reason();
  v1::Enrollment out;
  ASSERT_TRUE(Nominate(*stub_, imported[0].teacher(), "lankao-seats", &out, "419001").ok());
  EXPECT_EQ(out.county(), "regions/419001");
  ASSERT_TRUE(Nominate(*stub_, imported[1].teacher(), "lankao-seats", &out, "419001").ok());
  EXPECT_EQ(RuleIn(Nominate(*stub_, imported[2].teacher(), "lankao-seats", &out, "419001")),
            "R-7");  // two seats
  // 兰考县's admin cannot nominate 济源's teachers; 济源's city-level admin reads them.
  EXPECT_EQ(Nominate(*stub_, imported[2].teacher(), "lankao-seats", &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetTeacherRequest get;
  get.set_name(imported[0].teacher());
  v1::Teacher teacher;
  EXPECT_TRUE(stub_->GetTeacher(ContextAs(Role::kCityAdmin, "419001").get(), get, &teacher).ok());
  EXPECT_EQ(
      stub_->GetTeacher(ContextAs(Role::kCityAdmin, "4102").get(), get, &teacher).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // Reported as its own city, beside 开封 (where 兰考县 reports though its seats are direct).
  v1::GetRateReportRequest rates;
  rates.set_year("years/2022");
  rates.set_scope(v1::GetRateReportRequest::CITY);
  v1::RateReport report;
  ASSERT_TRUE(stub_->GetRateReport(ContextAs(Role::kViewer).get(), rates, &report).ok());
  std::map<std::string, std::pair<int, int>> cities;
  for (const auto& row : report.rows()) cities[row.key()] = {row.quota(), row.nominated()};
  EXPECT_EQ(cities["regions/419001"], std::make_pair(2, 2));
  EXPECT_EQ(cities["regions/4102"], std::make_pair(10, 0));
  EXPECT_EQ(cities.count("regions/41"), 0u);
}

TEST_F(EnrollmentTest, R7ACountyQuotaIsNeverCutBelowTheSeatsItsNominationsHold) {
  auto imported = Import({TeacherIn("410225", 1), TeacherIn("410225", 2), TeacherIn("410225", 3)});
  std::vector<v1::Enrollment> e(3);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(Nominate(*stub_, imported[i].teacher(), "lankao-seats", &e[i]).ok());
  v1::TransitionRequest withdraw;
  withdraw.set_name(e[2].name());
  v1::Enrollment out;
  ASSERT_TRUE(
      stub_->WithdrawEnrollment(ContextAs(Role::kCountyAdmin, "410225").get(), withdraw, &out)
          .ok());  // frees its seat (R-11)
  auto cut = [&](int seats) {
    cat::AllocateQuotaRequest county;
    county.set_parent("years/2022/projects/lankao-seats/quotas/4102");
    county.set_region("regions/410225");
    county.set_seats(seats);
    cat::QuotaAllocation quota;
    return catalog_stub_->AllocateQuota(ContextAs(Role::kCityAdmin, "4102").get(), county, &quota);
  };
  grpc::Status below = cut(1);
  ASSERT_EQ(below.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << below.error_message();
  EXPECT_EQ(RuleIn(below), "R-7");
  EXPECT_NE(below.error_message().find("holds 2 nominations in lankao-seats; its quota cannot "
                                       "drop from 10 to 1 seats"),
            std::string::npos)
      << below.error_message();
  ASSERT_TRUE(cut(2).ok());  // exactly the seats held
  WaitForQuota(*enrollment_, "lankao-seats", 2);
  EXPECT_EQ(RuleIn(Nominate(*stub_, imported[2].teacher(), "lankao-seats", &out)), "R-7");
  // With enrollment away a cut is not made blind; a raise needs no answer from it.
  enrollment_->mirror->Stop();
  enrollment_->platform->Shutdown();
  grpc::Status blind = cut(1);
  EXPECT_EQ(blind.error_code(), grpc::StatusCode::UNAVAILABLE) << blind.error_message();
  EXPECT_NE(blind.error_message().find("enrollment"), std::string::npos) << blind.error_message();
  EXPECT_TRUE(cut(5).ok());
  EXPECT_EQ(catalog_db_.QueryValue("SELECT seats FROM quotas WHERE project_id = 'lankao-seats' "
                                   "AND region_code = '410225'"),
            "5");
  enrollment_.reset();
}

TEST_F(EnrollmentTest, R14R15ArchiveCycleProgressAndTeachersAtRisk) {
  auto imported = Import({TeacherIn("410225", 1), TeacherIn("410225", 2)});
  const std::string done = imported[0].teacher();
  v1::Enrollment e;
  ASSERT_TRUE(Nominate(*stub_, done, "lankao-seats", &e).ok());
  v1::TransitionRequest step;
  step.set_name(e.name());
  v1::Enrollment out;
  Today(10, 19);
  ASSERT_TRUE(stub_->CheckIn(ContextAs(Role::kHost, "", "hosts/henu").get(), step, &out).ok());
  ASSERT_TRUE(stub_->Complete(ContextAs(Role::kHost, "", "hosts/henu").get(), step, &out).ok());

  v1::GetTrainingArchiveRequest archive_request;
  archive_request.set_teacher(done);
  v1::TrainingArchive archive;
  ASSERT_TRUE(stub_
                  ->GetTrainingArchive(ContextAs(Role::kCountyAdmin, "410225").get(),
                                       archive_request, &archive)
                  .ok());
  ASSERT_EQ(archive.entries_size(), 1);
  EXPECT_EQ(archive.entries(0).outcome(), v1::COMPLETED);
  EXPECT_EQ(archive.entries(0).credit_hours(), 80);
  EXPECT_EQ(archive.entries(0).project_display_name(), "项目 lankao-seats");
  EXPECT_EQ(archive.entries(0).year(), 2022);
  EXPECT_EQ(stub_
                ->GetTrainingArchive(ContextAs(Role::kCountyAdmin, "410223").get(), archive_request,
                                     &archive)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->GetTrainingArchive(ContextAs(Role::kViewer).get(), archive_request, &archive)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(
      stub_
          ->GetTrainingArchive(ContextAs(Role::kCityAdmin, "4102").get(), archive_request, &archive)
          .ok());

  v1::GetCycleProgressRequest progress_request;
  progress_request.set_teacher(done);
  v1::CycleProgress progress;
  ASSERT_TRUE(
      stub_->GetCycleProgress(ContextAs(Role::kProvinceAdmin).get(), progress_request, &progress)
          .ok());
  EXPECT_EQ(progress.cycle_start_year(), 2021);
  EXPECT_EQ(progress.cycle_end_year(), 2025);
  EXPECT_EQ(progress.credit_hours(), 80);
  EXPECT_EQ(progress.off_site_days(), 10);
  EXPECT_EQ(progress.missing_credit_hours(), 280);
  EXPECT_EQ(progress.missing_off_site_days(), 0);

  std::vector<std::string> at_risk;
  std::string token;
  do {
    v1::ListAtRiskTeachersRequest request;
    request.set_county("regions/410225");
    request.set_page_size(1);
    request.set_page_token(token);
    v1::ListAtRiskTeachersResponse page;
    ASSERT_TRUE(
        stub_->ListAtRiskTeachers(ContextAs(Role::kCountyAdmin, "410225").get(), request, &page)
            .ok());
    for (const auto& t : page.teachers()) at_risk.push_back(t.teacher());
    token = page.next_page_token();
  } while (!token.empty() && at_risk.size() < 5);
  EXPECT_EQ(at_risk.size(), 2u);

  v1::ListEnrollmentsRequest list;
  list.set_filter(R"(county = "regions/410225" AND state = "COMPLETED")");
  v1::ListEnrollmentsResponse enrollments;
  ASSERT_TRUE(
      stub_->ListEnrollments(ContextAs(Role::kCountyAdmin, "410225").get(), list, &enrollments)
          .ok());
  ASSERT_EQ(enrollments.enrollments_size(), 1);
  EXPECT_EQ(enrollments.enrollments(0).name(), e.name());
  list.set_filter(R"(state = "FINISHED")");
  EXPECT_EQ(
      stub_->ListEnrollments(ContextAs(Role::kCountyAdmin, "410225").get(), list, &enrollments)
          .error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(EnrollmentTest, R31ACompletionRegistersOneLedgerEntryAndEarlierCompletionsAreFilledIn) {
  auto host = [] { return ContextAs(Role::kHost, "", "hosts/henu"); };
  auto imported = Import({TeacherIn("410225", 1)});
  const std::string teacher = imported[0].teacher();
  const std::string teacher_id = teacher.substr(teacher.rfind('/') + 1);
  v1::Enrollment e;
  ASSERT_TRUE(Nominate(*stub_, teacher, "lankao-seats", &e).ok());
  v1::TransitionRequest step;
  step.set_name(e.name());
  step.set_request_id("complete-1");
  v1::Enrollment out;
  Today(10, 19);
  ASSERT_TRUE(stub_->CheckIn(host().get(), step, &out).ok());
  ASSERT_TRUE(stub_->Complete(host().get(), step, &out).ok());
  // A retry of the completion answers the same and registers nothing more.
  ASSERT_TRUE(stub_->Complete(host().get(), step, &out).ok());
  const std::string entry_sql = absl::StrCat(
      "SELECT CONCAT_WS('|', hours, off_site_days, level, source_kind, year, school_year, "
      "approved_by) FROM hour_entries WHERE teacher_id = '",
      teacher_id, "'");
  // 80 hours, 10 days, 国培 (NATIONAL = 1), a completion, 2022; the training ended in October,
  // so in the school year that began in September 2022; approved by the host that completed it.
  const std::string expected = "80|10|1|1|2022|2022|test";
  EXPECT_EQ(enrollment_db_.QueryValue(entry_sql), expected);
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM hour_entries"), "1");

  auto progress = [&] {
    v1::GetCycleProgressRequest request;
    request.set_teacher(teacher);
    v1::CycleProgress answer;
    EXPECT_TRUE(
        stub_->GetCycleProgress(ContextAs(Role::kProvinceAdmin).get(), request, &answer).ok());
    return answer.credit_hours();
  };
  EXPECT_EQ(progress(), 80);

  // The ledger as its teacher and the county read it (R-31, R-35); others may not.
  v1::ListHourEntriesRequest list;
  list.set_parent(teacher);
  v1::ListHourEntriesResponse ledger;
  ASSERT_TRUE(
      stub_->ListHourEntries(ContextAs(Role::kTeacher, "", "", teacher).get(), list, &ledger).ok());
  ASSERT_EQ(ledger.hour_entries_size(), 1);
  const v1::HourEntry& entry = ledger.hour_entries(0);
  EXPECT_EQ(entry.name().rfind(teacher + "/hourEntries/", 0), 0u) << entry.name();
  EXPECT_EQ(entry.credit_hours(), 80);
  EXPECT_EQ(entry.off_site_days(), 10);
  EXPECT_EQ(entry.plan_level(), common::v1::NATIONAL);
  EXPECT_EQ(entry.source_kind(), v1::HourEntry::COMPLETION);
  EXPECT_EQ(entry.source(), e.name());
  EXPECT_EQ(entry.school_year(), 2022);
  EXPECT_GT(entry.approve_time().seconds(), 0);
  EXPECT_TRUE(
      stub_->ListHourEntries(ContextAs(Role::kCountyAdmin, "410225").get(), list, &ledger).ok());
  EXPECT_EQ(stub_->ListHourEntries(ContextAs(Role::kCountyAdmin, "410223").get(), list, &ledger)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->ListHourEntries(ContextAs(Role::kViewer).get(), list, &ledger).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  list.set_parent("teachers/none");
  EXPECT_EQ(
      stub_->ListHourEntries(ContextAs(Role::kProvinceAdmin).get(), list, &ledger).error_code(),
      grpc::StatusCode::NOT_FOUND);

  // The cycle reads the ledger, not the enrollments: without the entry the hours are gone.
  enrollment_db_.Execute("DELETE FROM hour_entries");
  EXPECT_EQ(progress(), 0);

  // A completion made before the ledger existed (no entry, the fill not yet recorded) is
  // registered by the next start of the service, once, with the completing host as approver.
  enrollment_db_.Execute("DELETE FROM ledger_fills");
  auto fill_recorded = [&] {
    for (int i = 0; i < 250; ++i) {
      if (enrollment_db_.QueryValue("SELECT COUNT(*) FROM ledger_fills") == "1") return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  };
  auto restarted = StartEnrollment();
  ASSERT_TRUE(fill_recorded());
  EXPECT_EQ(enrollment_db_.QueryValue(entry_sql), expected);
  EXPECT_EQ(progress(), 80);
  // A fill that runs again over registered completions registers nothing twice.
  restarted->mirror->Stop();
  restarted->platform->Shutdown();
  enrollment_db_.Execute("DELETE FROM ledger_fills");
  restarted = StartEnrollment();
  ASSERT_TRUE(fill_recorded());
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM hour_entries"), "1");
  restarted->mirror->Stop();
  restarted->platform->Shutdown();
}

TEST_F(EnrollmentTest, R33R31AClaimIsReviewedByItsCountyAndOnlyApprovedHoursEnterTheLedgerOnce) {
  auto imported = Import({TeacherIn("410225", 1), TeacherIn("410225", 2)});
  const std::string teacher = imported[0].teacher();
  const std::string neighbour = imported[1].teacher();  // same county
  const std::string teacher_id = teacher.substr(teacher.rfind('/') + 1);
  Today(10, 19);
  auto as_teacher = [&] { return ContextAs(Role::kTeacher, "", "", teacher); };
  auto lankao = [] { return ContextAs(Role::kCountyAdmin, "410225", "", "clerk-410225"); };
  auto weishi = [] { return ContextAs(Role::kCountyAdmin, "410223", "", "clerk-410223"); };
  auto claim_of = [](const std::string& title, int month, int first, int last) {
    v1::HourClaim claim;
    claim.set_title(title);
    claim.set_provider("浙江师范大学");
    claim.set_plan_level(common::v1::PROVINCIAL);
    claim.mutable_start_date()->set_year(2022);
    claim.mutable_start_date()->set_month(month);
    claim.mutable_start_date()->set_day(first);
    claim.mutable_end_date()->set_year(2022);
    claim.mutable_end_date()->set_month(month);
    claim.mutable_end_date()->set_day(last);
    claim.set_credit_hours(60);
    claim.set_off_site_days(last - first + 1);
    claim.set_evidence("浙教培证 2022-0457");
    return claim;
  };
  auto file = [&](std::unique_ptr<grpc::ClientContext> context, const std::string& parent,
                  const v1::HourClaim& claim, const std::string& request_id, v1::HourClaim* out) {
    v1::CreateHourClaimRequest request;
    request.set_parent(parent);
    *request.mutable_hour_claim() = claim;
    request.set_request_id(request_id);
    return stub_->CreateHourClaim(context.get(), request, out);
  };
  auto progress = [&] {
    v1::GetCycleProgressRequest request;
    request.set_teacher(teacher);
    v1::CycleProgress answer;
    EXPECT_TRUE(stub_->GetCycleProgress(as_teacher().get(), request, &answer).ok());
    return std::pair{answer.credit_hours(), answer.off_site_days()};
  };

  // The teacher files a claim; it waits for the county and counts nothing yet.
  v1::HourClaim claim;
  const v1::HourClaim zhejiang = claim_of("2022年浙江省乡村教师能力提升培训", 7, 10, 19);
  ASSERT_TRUE(file(as_teacher(), teacher, zhejiang, "claim-1", &claim).ok());
  EXPECT_EQ(claim.name().rfind(teacher + "/hourClaims/", 0), 0u) << claim.name();
  EXPECT_EQ(claim.state(), v1::HourClaim::PENDING);
  EXPECT_EQ(claim.county(), "regions/410225");
  EXPECT_EQ(claim.creator(), teacher);
  EXPECT_EQ(claim.credit_hours(), 60);
  EXPECT_EQ(claim.off_site_days(), 10);
  EXPECT_TRUE(claim.hour_entry().empty());
  v1::HourClaim again;
  ASSERT_TRUE(file(as_teacher(), teacher, zhejiang, "claim-1", &again).ok());  // a retry
  EXPECT_EQ(again.name(), claim.name());
  EXPECT_EQ(progress(), (std::pair{0, 0}));

  // The same training claimed again is refused, naming the claim that holds it.
  grpc::Status status = file(lankao(), teacher, zhejiang, "claim-2", &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();
  EXPECT_NE(status.error_message().find(claim.name()), std::string::npos);
  // Hours not yet earned, and callers outside the teacher's county or self, are refused.
  status = file(as_teacher(), teacher, claim_of("十一月的培训", 11, 1, 3), "claim-3", &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("hour_claim.end_date", 0), 0u) << status.error_message();
  EXPECT_EQ(file(weishi(), teacher, claim_of("其他", 8, 1, 2), "claim-4", &again).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      file(as_teacher(), neighbour, claim_of("其他", 8, 1, 2), "claim-5", &again).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(file(ContextAs(Role::kViewer), teacher, claim_of("其他", 8, 1, 2), "claim-6", &again)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The county files a second claim for the neighbour; the review queue of 兰考 holds both,
  // 尉氏's holds neither, and the teacher sees only its own.
  v1::HourClaim online;
  ASSERT_TRUE(
      file(lankao(), neighbour, claim_of("国家智慧教育平台研修", 8, 1, 20), "claim-7", &online)
          .ok());
  auto queue = [&](std::unique_ptr<grpc::ClientContext> context, const std::string& filter) {
    v1::ListHourClaimsRequest request;
    request.set_parent("teachers/-");
    request.set_filter(filter);
    v1::ListHourClaimsResponse response;
    grpc::Status listed = stub_->ListHourClaims(context.get(), request, &response);
    std::vector<std::string> names;
    for (const auto& c : response.hour_claims()) names.push_back(c.name());
    return std::pair{listed.error_code(), names};
  };
  EXPECT_EQ(queue(lankao(), "state = \"PENDING\""),
            (std::pair{grpc::StatusCode::OK, std::vector{claim.name(), online.name()}}));
  EXPECT_EQ(queue(ContextAs(Role::kCityAdmin, "4102"), ""),
            (std::pair{grpc::StatusCode::OK, std::vector{claim.name(), online.name()}}));
  EXPECT_EQ(queue(weishi(), ""), (std::pair{grpc::StatusCode::OK, std::vector<std::string>{}}));
  EXPECT_EQ(queue(weishi(), "county = \"regions/410225\"").first,
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(queue(as_teacher(), ""), (std::pair{grpc::StatusCode::OK, std::vector{claim.name()}}));
  EXPECT_EQ(queue(lankao(), "state = \"SOMETIMES\"").first, grpc::StatusCode::INVALID_ARGUMENT);

  // Review: the teacher and another county may not; the county grants at most what was
  // claimed, and says why when it grants less.
  auto approve = [&](std::unique_ptr<grpc::ClientContext> context, const std::string& name,
                     int hours, int days, const std::string& reason, const std::string& request_id,
                     v1::HourClaim* out, const std::string& etag = "") {
    v1::ApproveHourClaimRequest request;
    request.set_name(name);
    request.set_credit_hours(hours);
    request.set_off_site_days(days);
    request.set_reason(reason);
    request.set_request_id(request_id);
    request.set_etag(etag);
    return stub_->ApproveHourClaim(context.get(), request, out);
  };
  v1::HourClaim reviewed;
  EXPECT_EQ(approve(as_teacher(), claim.name(), 60, 10, "", "a-1", &reviewed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(approve(weishi(), claim.name(), 60, 10, "", "a-2", &reviewed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  status = approve(lankao(), claim.name(), 61, 10, "", "a-3", &reviewed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("credit_hours", 0), 0u) << status.error_message();
  status = approve(lankao(), claim.name(), 40, 10, "", "a-4", &reviewed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("reason", 0), 0u) << status.error_message();
  EXPECT_EQ(
      approve(lankao(), claim.name(), 40, 10, "证书载明40学时", "a-5", &reviewed, "7").error_code(),
      grpc::StatusCode::ABORTED);  // a stale etag

  // Eight reviewers approve at once: one approval, one entry; the others are told who did it.
  std::vector<grpc::Status> answers(8);
  std::vector<v1::HourClaim> outs(8);
  {
    std::vector<std::thread> reviewers;
    reviewers.reserve(8);
    for (int i = 0; i < 8; ++i) {
      reviewers.emplace_back([&, i] {
        answers[i] =
            approve(ContextAs(Role::kCountyAdmin, "410225", "", "clerk-410225"), claim.name(), 40,
                    10, "证书载明40学时", absl::StrCat("race-", i), &outs[i]);
      });
    }
    for (auto& t : reviewers) t.join();
  }
  int approved = 0;
  for (int i = 0; i < 8; ++i) {
    if (answers[i].ok()) {
      ++approved;
      reviewed = outs[i];
    } else {
      EXPECT_EQ(answers[i].error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << answers[i].error_message();
      EXPECT_EQ(answers[i].error_message().rfind("R-33", 0), 0u) << answers[i].error_message();
      EXPECT_NE(answers[i].error_message().find("approved by clerk-410225"), std::string::npos);
    }
  }
  ASSERT_EQ(approved, 1);
  EXPECT_EQ(reviewed.state(), v1::HourClaim::APPROVED);
  EXPECT_EQ(reviewed.approved_credit_hours(), 40);
  EXPECT_EQ(reviewed.approved_off_site_days(), 10);
  EXPECT_EQ(reviewed.review_reason(), "证书载明40学时");
  EXPECT_EQ(reviewed.reviewer(), "clerk-410225");
  EXPECT_GT(reviewed.review_time().seconds(), 0);
  EXPECT_NE(reviewed.etag(), claim.etag());
  EXPECT_EQ(enrollment_db_.QueryValue(absl::StrCat(
                "SELECT CONCAT_WS('|', COUNT(*), SUM(hours), SUM(off_site_days), MIN(level), "
                "MIN(year), MIN(school_year)) FROM hour_entries WHERE teacher_id = '",
                teacher_id, "'")),
            "1|40|10|2|2022|2021");            // July 2022 is in the school year begun in 2021
  EXPECT_EQ(progress(), (std::pair{40, 10}));  // R-14 counts the granted hours and days

  // The ledger names the claim as the entry's source, and the claim names its entry.
  v1::ListHourEntriesRequest list;
  list.set_parent(teacher);
  v1::ListHourEntriesResponse ledger;
  ASSERT_TRUE(stub_->ListHourEntries(as_teacher().get(), list, &ledger).ok());
  ASSERT_EQ(ledger.hour_entries_size(), 1);
  EXPECT_EQ(ledger.hour_entries(0).source_kind(), v1::HourEntry::CLAIM);
  EXPECT_EQ(ledger.hour_entries(0).source(), claim.name());
  EXPECT_EQ(ledger.hour_entries(0).name(), reviewed.hour_entry());
  EXPECT_EQ(ledger.hour_entries(0).approved_by(), "clerk-410225");

  // A refusal needs a reason, closes the claim and enters nothing.
  v1::RefuseHourClaimRequest refuse;
  refuse.set_name(online.name());
  EXPECT_EQ(stub_->RefuseHourClaim(lankao().get(), refuse, &reviewed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  refuse.set_reason("平台学时证明无法核实");
  ASSERT_TRUE(stub_->RefuseHourClaim(lankao().get(), refuse, &reviewed).ok());
  EXPECT_EQ(reviewed.state(), v1::HourClaim::REFUSED);
  EXPECT_EQ(reviewed.review_reason(), "平台学时证明无法核实");
  EXPECT_EQ(approve(lankao(), online.name(), 60, 20, "", "a-6", &reviewed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM hour_entries"), "1");
  // A refused training may be claimed again (with better evidence).
  EXPECT_TRUE(
      file(lankao(), neighbour, claim_of("国家智慧教育平台研修", 8, 1, 20), "claim-8", &again)
          .ok());

  // Reading one: the teacher and its county, not another county nor a viewer.
  v1::GetHourClaimRequest get;
  get.set_name(claim.name());
  EXPECT_TRUE(stub_->GetHourClaim(as_teacher().get(), get, &reviewed).ok());
  EXPECT_EQ(reviewed.state(), v1::HourClaim::APPROVED);
  EXPECT_EQ(stub_->GetHourClaim(weishi().get(), get, &reviewed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->GetHourClaim(ContextAs(Role::kViewer).get(), get, &reviewed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  get.set_name(teacher + "/hourClaims/none");
  EXPECT_EQ(stub_->GetHourClaim(lankao().get(), get, &reviewed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Every change is in the audit record with its outcome (R-37).
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM audit_log WHERE method = "
                                      "'ApproveHourClaim' AND outcome = 'OK'"),
            "1");
}

TEST_F(EnrollmentTest, R32R14R31ReportedHoursRegisterOnceWithinTheirCapsForTheCountysTeachers) {
  auto imported = Import({TeacherIn("410225", 1), TeacherIn("410225", 2), TeacherIn("410223", 3)},
                         Role::kProvinceAdmin, "");
  const std::string a = imported[0].teacher();
  const std::string b = imported[1].teacher();
  const std::string other = imported[2].teacher();  // 尉氏县
  ASSERT_FALSE(other.empty());
  Today(10, 19);
  auto lankao = [] { return ContextAs(Role::kCountyAdmin, "410225", "", "clerk-410225"); };
  auto row = [](const std::string& teacher, v1::HourEntry::Source kind, int month, int day) {
    v1::HoursReport report;
    report.set_teacher(teacher);
    report.set_source_kind(kind);
    report.mutable_date()->set_year(2022);
    report.mutable_date()->set_month(month);
    report.mutable_date()->set_day(day);
    return report;
  };
  auto research = [&](const std::string& teacher, int hours) {
    v1::HoursReport report = row(teacher, v1::HourEntry::SCHOOL_RESEARCH, 6, 30);
    report.set_credit_hours(hours);
    report.set_description("兰考县第一小学 2021学年校本研修");
    return report;
  };
  auto workshop = [&](const std::string& teacher, const std::string& session, int days) {
    v1::HoursReport report = row(teacher, v1::HourEntry::WORKSHOP, 5, 10);
    report.set_session(session);
    report.set_days(days);
    report.set_plan_level(common::v1::COUNTY);
    return report;
  };
  v1::RegisterHoursRequest request;
  request.set_county("regions/410225");
  request.set_request_id("hours-1");
  *request.add_reports() = research(a, 30);                          // 0: capped at 24
  *request.add_reports() = workshop(a, "math-1", 4);                 // 1: 24 hours
  *request.add_reports() = workshop(a, "math-2", 4);                 // 2: 16 of 24 (40 a year)
  *request.add_reports() = workshop(a, "math-3", 1);                 // 3: the year is full
  *request.add_reports() = row(b, v1::HourEntry::MENTORING, 7, 1);   // 4: 50
  *request.add_reports() = row(b, v1::HourEntry::MENTORING, 8, 1);   // 5: the same cycle's
  *request.add_reports() = research(other, 10);                      // 6: another county's teacher
  *request.add_reports() = row(b, v1::HourEntry::MENTORING, 11, 1);  // 7: after today
  v1::RegisterHoursResponse response;
  ASSERT_TRUE(stub_->RegisterHours(lankao().get(), request, &response).ok());
  ASSERT_EQ(response.results_size(), 8);
  using R = v1::HoursReportResult;
  auto outcome = [&](int i) {
    const R& r = response.results(i);
    EXPECT_EQ(r.index(), i);
    return std::pair{r.outcome(), r.credit_hours()};
  };
  EXPECT_EQ(outcome(0), (std::pair{R::CAPPED, 24}));
  EXPECT_EQ(response.results(0).reason().rfind("R-32", 0), 0u) << response.results(0).reason();
  EXPECT_EQ(outcome(1), (std::pair{R::REGISTERED, 24}));
  EXPECT_EQ(outcome(2), (std::pair{R::CAPPED, 16}));
  EXPECT_NE(response.results(2).reason().find("R-14"), std::string::npos);
  EXPECT_EQ(outcome(3).first, R::REFUSED);
  EXPECT_EQ(outcome(4), (std::pair{R::REGISTERED, 50}));
  EXPECT_EQ(outcome(5), (std::pair{R::ALREADY_REGISTERED, 50}));
  EXPECT_EQ(outcome(6).first, R::REFUSED);
  EXPECT_NE(response.results(6).reason().find("regions/410223"), std::string::npos)
      << response.results(6).reason();
  EXPECT_EQ(outcome(7).first, R::REFUSED);
  EXPECT_EQ(response.results(7).reason().rfind("reports[7].date", 0), 0u);
  for (int i : {0, 1, 2, 4}) {
    EXPECT_EQ(response.results(i).hour_entry().rfind((i == 4 ? b : a) + "/hourEntries/", 0), 0u)
        << response.results(i).DebugString();
  }
  EXPECT_EQ(response.results(5).hour_entry(), response.results(4).hour_entry());
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM hour_entries"), "4");
  // The cycle counts them (R-14): 24 + 24 + 16 for a, 50 for b.
  auto hours_of = [&](const std::string& teacher) {
    v1::GetCycleProgressRequest progress;
    progress.set_teacher(teacher);
    v1::CycleProgress answer;
    EXPECT_TRUE(stub_->GetCycleProgress(lankao().get(), progress, &answer).ok());
    return answer.credit_hours();
  };
  EXPECT_EQ(hours_of(a), 64);
  EXPECT_EQ(hours_of(b), 50);

  // The same call again answers the same; the same rows under a new request id, and the same
  // rows sent by four clerks at once, register nothing more.
  v1::RegisterHoursResponse again;
  ASSERT_TRUE(stub_->RegisterHours(lankao().get(), request, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), response.SerializeAsString());
  {
    std::vector<std::thread> clerks;
    clerks.reserve(4);
    std::vector<grpc::Status> statuses(4);
    for (int k = 0; k < 4; ++k) {
      clerks.emplace_back([&, k] {
        v1::RegisterHoursRequest resend = request;
        resend.set_request_id(absl::StrCat("hours-race-", k));
        v1::RegisterHoursResponse answer;
        statuses[k] = stub_->RegisterHours(
            ContextAs(Role::kCountyAdmin, "410225", "", "clerk-410225").get(), resend, &answer);
      });
    }
    for (auto& clerk : clerks) clerk.join();
    for (const auto& status : statuses) EXPECT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT COUNT(*) FROM hour_entries"), "4");
  EXPECT_EQ(hours_of(a), 64);
  // Four workshops report b's sessions at once, 24 hours each: the year still counts 40.
  {
    std::vector<std::thread> workshops;
    workshops.reserve(4);
    for (int k = 0; k < 4; ++k) {
      workshops.emplace_back([&, k] {
        v1::RegisterHoursRequest sessions;
        sessions.set_county("regions/410225");
        *sessions.add_reports() = workshop(b, absl::StrCat("art-", k), 4);
        v1::RegisterHoursResponse answer;
        EXPECT_TRUE(
            stub_
                ->RegisterHours(ContextAs(Role::kCountyAdmin, "410225", "", "clerk-410225").get(),
                                sessions, &answer)
                .ok());
      });
    }
    for (auto& w : workshops) w.join();
  }
  EXPECT_EQ(enrollment_db_.QueryValue(absl::StrCat(
                "SELECT SUM(hours) FROM hour_entries WHERE source_kind = 4 AND teacher_id = '",
                b.substr(b.rfind('/') + 1), "'")),
            "40");

  // Scope and bounds: another county may not report for 兰考; a call holds 1 to 1,000 rows.
  EXPECT_EQ(stub_->RegisterHours(ContextAs(Role::kCountyAdmin, "410223").get(), request, &again)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->RegisterHours(ContextAs(Role::kTeacher, "", "", a).get(), request, &again)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::RegisterHoursRequest empty;
  empty.set_county("regions/410225");
  const grpc::Status none = stub_->RegisterHours(lankao().get(), empty, &again);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(none.error_message().rfind("reports", 0), 0u) << none.error_message();
  // The research shows on the ledger with what it was (R-31).
  v1::ListHourEntriesRequest list;
  list.set_parent(a);
  v1::ListHourEntriesResponse ledger;
  ASSERT_TRUE(stub_->ListHourEntries(lankao().get(), list, &ledger).ok());
  ASSERT_EQ(ledger.hour_entries_size(), 3);
  EXPECT_EQ(ledger.hour_entries(0).source_kind(), v1::HourEntry::SCHOOL_RESEARCH);
  EXPECT_EQ(ledger.hour_entries(0).plan_level(), common::v1::SCHOOL);
  EXPECT_EQ(ledger.hour_entries(0).school_year(), 2021);
  EXPECT_EQ(ledger.hour_entries(0).source(), "research/2021");
  EXPECT_EQ(ledger.hour_entries(0).description(), "兰考县第一小学 2021学年校本研修");
  EXPECT_EQ(ledger.hour_entries(1).source_kind(), v1::HourEntry::WORKSHOP);
  EXPECT_EQ(ledger.hour_entries(1).source(), "workshop/math-1");
}

TEST_F(EnrollmentTest, R14TheAtRiskListPagesThroughALargeCountyOnceInOrder) {
  std::vector<v1::Teacher> rows;
  rows.reserve(1100);
  for (int i = 0; i < 1100; ++i) rows.push_back(TeacherIn("410225", 100 + i));
  auto imported = Import(rows);
  ASSERT_EQ(imported.size(), 1100u);
  // Every fourth teacher has met the cycle (registered straight into the ledger here).
  std::set<std::string> met;
  for (size_t i = 0; i < imported.size(); i += 4) {
    const std::string& name = imported[i].teacher();
    met.insert(name);
    enrollment_db_.Execute(absl::StrCat(
        "INSERT INTO hour_entries (teacher_id, hours, off_site_days, level, source_kind, "
        "source_key, year, school_year, approved_by) VALUES ('",
        name.substr(name.rfind('/') + 1), "', 400, 10, 1, 2, 'met-", i, "', 2022, 2021, 'test')"));
  }
  std::vector<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    v1::ListAtRiskTeachersRequest request;
    request.set_county("regions/410225");
    request.set_page_size(100);
    request.set_page_token(token);
    v1::ListAtRiskTeachersResponse page;
    ASSERT_TRUE(
        stub_->ListAtRiskTeachers(ContextAs(Role::kCountyAdmin, "410225").get(), request, &page)
            .ok());
    EXPECT_LE(page.teachers_size(), 100);
    for (const auto& t : page.teachers()) listed.push_back(t.teacher());
    token = page.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 20);
  EXPECT_EQ(listed.size(), 1100u - met.size());  // 825, over 9 pages
  EXPECT_EQ(pages, 9);
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()).size(), listed.size());
  for (const auto& name : listed) EXPECT_EQ(met.count(name), 0u) << name;
}

// What a command printed (stdout and stderr).
std::string Output(const std::string& command) {
  return peixun::testing::RunCommand(command).first;
}

TEST_F(EnrollmentTest, R34ACertificateListsTheCyclesLedgerInChineseAndItsCodeVerifies) {
  v1::Teacher in = TeacherIn("410225", 1);
  in.set_display_name("张明远");
  auto imported = Import({in});
  const std::string teacher = imported[0].teacher();
  auto as_teacher = [&] { return ContextAs(Role::kTeacher, "", "", teacher); };
  auto lankao = [] { return ContextAs(Role::kCountyAdmin, "410225", "", "clerk-410225"); };
  // A completion (80 hours, 10 off-site days) and an approved claim (40 hours) in 2022.
  v1::Enrollment e;
  ASSERT_TRUE(Nominate(*stub_, teacher, "lankao-seats", &e).ok());
  Today(10, 19);
  v1::TransitionRequest step;
  step.set_name(e.name());
  v1::Enrollment out;
  auto host = ContextAs(Role::kHost, "", "hosts/henu");
  ASSERT_TRUE(stub_->CheckIn(host.get(), step, &out).ok());
  host = ContextAs(Role::kHost, "", "hosts/henu");
  ASSERT_TRUE(stub_->Complete(host.get(), step, &out).ok());
  auto claim_hours = [&](const std::string& title, int month, int hours) {
    v1::CreateHourClaimRequest file;
    file.set_parent(teacher);
    auto* c = file.mutable_hour_claim();
    c->set_title(title);
    c->set_provider("国家智慧教育平台");
    c->mutable_start_date()->set_year(2022);
    c->mutable_start_date()->set_month(month);
    c->mutable_start_date()->set_day(1);
    c->mutable_end_date()->set_year(2022);
    c->mutable_end_date()->set_month(month);
    c->mutable_end_date()->set_day(20);
    c->set_credit_hours(hours);
    c->set_evidence("平台学时证明 2022-88");
    v1::HourClaim filed;
    ASSERT_TRUE(stub_->CreateHourClaim(as_teacher().get(), file, &filed).ok());
    v1::ApproveHourClaimRequest approve;
    approve.set_name(filed.name());
    approve.set_credit_hours(hours);
    ASSERT_TRUE(stub_->ApproveHourClaim(lankao().get(), approve, &filed).ok());
  };
  claim_hours("信息技术应用能力提升工程2.0", 7, 40);

  v1::GetHoursCertificateRequest get;
  get.set_teacher(teacher);
  v1::HoursCertificate certificate;
  ASSERT_TRUE(stub_->GetHoursCertificate(as_teacher().get(), get, &certificate).ok());
  const std::string code = certificate.code();
  EXPECT_TRUE(
      std::regex_match(code, std::regex("[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")))
      << code;
  EXPECT_EQ(certificate.name(), "hoursCertificates/" + code);
  EXPECT_EQ(certificate.cycle_start_year(), 2021);
  EXPECT_EQ(certificate.cycle_end_year(), 2025);
  EXPECT_EQ(certificate.credit_hours(), 120);
  EXPECT_EQ(certificate.required_credit_hours(), 360);
  EXPECT_EQ(certificate.off_site_days(), 10);
  EXPECT_EQ(certificate.entry_count(), 2);
  ASSERT_EQ(certificate.pdf().rfind("%PDF-", 0), 0u);

  // What a person reads on it, and what it looks like.
  const std::string pdf_file = ::testing::TempDir() + "/hours-certificate.pdf";
  {
    std::ofstream file(pdf_file, std::ios::binary);
    file << certificate.pdf();
  }
  const std::string text = Output("pdftotext -layout " + pdf_file + " -");
  for (const std::string& shown :
       {std::string("河南省中小学教师继续教育学时证明"), std::string("张明远"),
        std::string("2021—2025"), std::string("兰考县"), std::string("项目 lankao-seats"),
        std::string("信息技术应用能力提升工程2.0"), std::string("国培"), std::string("其他"),
        std::string("合计：120 学时（周期要求 360）"), std::string("外出参加集中培训 10 天"),
        std::string("验证码：") + code, std::string("第 1 页，共 1 页")}) {
    EXPECT_NE(text.find(shown), std::string::npos) << shown << " is not on it:\n" << text;
  }
  // Drawn in a CJK font embedded in the file (not a fallback without Chinese glyphs).
  const std::string fonts = Output("pdffonts " + pdf_file);
  EXPECT_NE(fonts.find("WenQuanYiMicroHei"), std::string::npos) << fonts;
  EXPECT_EQ(fonts.find(" no "), std::string::npos) << "every font embedded:\n" << fonts;
  // R-36: a certificate is shown to others; the ID number is masked and the birth date absent.
  EXPECT_EQ(text.find(in.id_number()), std::string::npos) << text;
  EXPECT_EQ(text.find(in.id_number().substr(6, 8)), std::string::npos) << text;
  EXPECT_NE(text.find(domain::MaskIdNumber(in.id_number())), std::string::npos) << text;
  const std::string png = ::testing::TempDir() + "/hours-certificate";
  Output("pdftoppm -png -r 60 -singlefile " + pdf_file + " " + png);
  std::ifstream image(png + ".png", std::ios::binary | std::ios::ate);
  ASSERT_TRUE(image.good()) << "pdftoppm drew no page";
  EXPECT_GT(static_cast<int64_t>(image.tellg()), 10000) << "a page with text on it";
  std::cerr << "certificate page: " << png << ".png\n";

  // The same ledger gives the same code, whoever asks; another county and a viewer may not.
  v1::HoursCertificate again;
  ASSERT_TRUE(stub_->GetHoursCertificate(lankao().get(), get, &again).ok());
  EXPECT_EQ(again.code(), code);
  EXPECT_EQ(again.issue_time().seconds(), certificate.issue_time().seconds());
  EXPECT_EQ(stub_->GetHoursCertificate(ContextAs(Role::kCountyAdmin, "410223").get(), get, &again)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->GetHoursCertificate(ContextAs(Role::kViewer).get(), get, &again).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Anyone holding the code verifies it, typed as people type, and sees the name masked.
  auto verify = [&](const std::string& name, v1::HoursCertificateVerification* answer) {
    v1::VerifyHoursCertificateRequest request;
    request.set_name(name);
    return stub_->VerifyHoursCertificate(ContextAs(Role::kViewer).get(), request, answer);
  };
  std::string typed = code;
  typed.erase(std::remove(typed.begin(), typed.end(), '-'), typed.end());
  for (char& c : typed) c = static_cast<char>(std::tolower(c));
  v1::HoursCertificateVerification verified;
  ASSERT_TRUE(verify("hoursCertificates/" + typed, &verified).ok());
  EXPECT_EQ(verified.name(), "hoursCertificates/" + code);
  EXPECT_EQ(verified.holder(), "张*远");
  EXPECT_EQ(verified.county(), "regions/410225");
  EXPECT_EQ(verified.credit_hours(), 120);
  EXPECT_EQ(verified.off_site_days(), 10);
  EXPECT_EQ(verified.entry_count(), 2);
  EXPECT_TRUE(verified.current());
  EXPECT_EQ(verified.DebugString().find("张明远"), std::string::npos);
  EXPECT_EQ(verified.DebugString().find(in.id_number().substr(6, 8)), std::string::npos);

  // Hours registered since: the old code still verifies what it certified, no longer current;
  // the next certificate has a new code with the new total.
  claim_hours("心理健康教育专题培训", 8, 40);
  ASSERT_TRUE(verify("hoursCertificates/" + code, &verified).ok());
  EXPECT_EQ(verified.credit_hours(), 120);
  EXPECT_FALSE(verified.current());
  ASSERT_TRUE(stub_->GetHoursCertificate(as_teacher().get(), get, &again).ok());
  EXPECT_NE(again.code(), code);
  EXPECT_EQ(again.credit_hours(), 160);

  // A forged or mistyped code is refused; a cycle must be named by its first year.
  EXPECT_EQ(verify("hoursCertificates/0000-0000-0000-0000", &verified).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(verify("hoursCertificates/not-a-code", &verified).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  get.set_cycle_start_year(2022);
  const grpc::Status not_a_cycle = stub_->GetHoursCertificate(as_teacher().get(), get, &again);
  EXPECT_EQ(not_a_cycle.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(not_a_cycle.error_message().rfind("cycle_start_year", 0), 0u);
  get.set_cycle_start_year(2026);  // the next cycle: nothing registered in it yet
  ASSERT_TRUE(stub_->GetHoursCertificate(as_teacher().get(), get, &again).ok());
  EXPECT_EQ(again.entry_count(), 0);
  EXPECT_EQ(again.cycle_end_year(), 2030);

  // Sixty entries run to pages of their own, each numbered, with the totals after the last row.
  const std::string teacher_id = teacher.substr(teacher.rfind('/') + 1);
  for (int i = 0; i < 60; ++i) {
    enrollment_db_.Execute(absl::StrCat(
        "INSERT INTO hour_entries (teacher_id, hours, off_site_days, level, source_kind, "
        "source_key, year, school_year, approved_by) VALUES ('",
        teacher_id, "', 6, 0, 5, 2, 'paged-", i, "', 2027, 2026, 'test')"));
  }
  ASSERT_TRUE(stub_->GetHoursCertificate(as_teacher().get(), get, &again).ok());
  EXPECT_EQ(again.entry_count(), 60);
  EXPECT_EQ(again.credit_hours(), 360);
  {
    std::ofstream file(pdf_file, std::ios::binary | std::ios::trunc);
    file << again.pdf();
  }
  const std::string pages = Output("pdftotext -layout " + pdf_file + " -");
  EXPECT_NE(pages.find("第 3 页，共 3 页"), std::string::npos) << pages;
  EXPECT_EQ(pages.find("第 4 页"), std::string::npos) << pages;
  EXPECT_NE(pages.find("合计：360 学时"), std::string::npos) << pages;
  EXPECT_NE(pages.find("校本研修"), std::string::npos) << pages;
  EXPECT_EQ(pages.find("合计："), pages.rfind("合计：")) << "the totals once, on the last page";
}

TEST_F(EnrollmentTest, R1R32ACountyRegistersItsSchoolsAndTeachersReferenceThemByName) {
  auto imported = Import({TeacherIn("410225", 1), TeacherIn("410225", 2), TeacherIn("410223", 3)},
                         Role::kProvinceAdmin, "");
  ASSERT_FALSE(imported[2].teacher().empty()) << imported[2].reason();
  auto lankao = [] { return ContextAs(Role::kCountyAdmin, "410225", "", "clerk-410225"); };
  auto school = [](const std::string& id, const std::string& name) {
    v1::School s;
    s.set_name(id);
    s.set_display_name(name);
    return s;
  };
  v1::ImportSchoolsRequest request;
  request.set_county("regions/410225");
  *request.add_schools() = school("lk-diyi", "第一小学");
  *request.add_schools() = school("regions/410225/schools/lk-shiyan", "兰考县实验小学");
  *request.add_schools() = school("Bad_Id", "某小学");
  *request.add_schools() = school("lk-copy", "第一小学");
  *request.add_schools() = school("regions/410223/schools/ws-yixiao", "尉氏县第一小学");
  *request.add_schools() = school("lk-blank", "");
  v1::ImportSchoolsResponse response;
  grpc::Status status = stub_->ImportSchools(lankao().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.results_size(), 6);
  using Result = v1::ImportSchoolResult;
  EXPECT_EQ(response.results(0).outcome(), Result::CREATED);
  EXPECT_EQ(response.results(0).school().name(), "regions/410225/schools/lk-diyi");
  // Both of 兰考's teachers write "第一小学": they reference it; 尉氏县's teacher does not.
  EXPECT_EQ(response.results(0).school().teacher_count(), 2);
  EXPECT_EQ(response.results(1).outcome(), Result::CREATED);
  EXPECT_EQ(response.results(1).school().teacher_count(), 0);
  for (int refused : {2, 3, 4, 5}) {
    EXPECT_EQ(response.results(refused).outcome(), Result::REFUSED) << refused;
    EXPECT_NE(response.results(refused).reason().find(absl::StrCat("schools[", refused, "]")),
              std::string::npos)
        << response.results(refused).reason();
  }
  EXPECT_NE(response.results(3).reason().find("given twice"), std::string::npos)
      << response.results(3).reason();
  EXPECT_NE(response.results(4).reason().find("not a school of regions/410225"), std::string::npos)
      << response.results(4).reason();

  v1::GetTeacherRequest get;
  get.set_name(imported[0].teacher());
  v1::Teacher teacher;
  ASSERT_TRUE(stub_->GetTeacher(lankao().get(), get, &teacher).ok());
  EXPECT_EQ(teacher.registered_school(), "regions/410225/schools/lk-diyi");
  get.set_name(imported[2].teacher());
  ASSERT_TRUE(stub_->GetTeacher(ContextAs(Role::kProvinceAdmin).get(), get, &teacher).ok());
  EXPECT_EQ(teacher.registered_school(), "");

  // Sent again: nothing changes. A new name for a known id renames it; a name another school
  // of the county has is refused, and nothing of that row is written.
  v1::ImportSchoolsRequest again;
  again.set_county("regions/410225");
  *again.add_schools() = school("lk-diyi", "第一小学");
  *again.add_schools() = school("lk-shiyan", "兰考县第二实验小学");
  ASSERT_TRUE(stub_->ImportSchools(lankao().get(), again, &response).ok());
  EXPECT_EQ(response.results(0).outcome(), Result::UNCHANGED);
  EXPECT_EQ(response.results(1).outcome(), Result::RENAMED);
  EXPECT_EQ(response.results(1).school().display_name(), "兰考县第二实验小学");
  v1::ImportSchoolsRequest clash;
  clash.set_county("regions/410225");
  *clash.add_schools() = school("lk-other", "第一小学");
  ASSERT_TRUE(stub_->ImportSchools(lankao().get(), clash, &response).ok());
  EXPECT_EQ(response.results(0).outcome(), Result::REFUSED);
  EXPECT_NE(response.results(0).reason().find("regions/410225/schools/lk-diyi"), std::string::npos)
      << response.results(0).reason();

  // A teacher who moves to the renamed school references it once the record says so.
  v1::UpdateTeacherRequest move;
  get.set_name(imported[1].teacher());
  ASSERT_TRUE(stub_->GetTeacher(lankao().get(), get, move.mutable_teacher()).ok());
  move.mutable_teacher()->set_school("兰考县第二实验小学");
  move.mutable_update_mask()->add_paths("school");
  ASSERT_TRUE(stub_->UpdateTeacher(lankao().get(), move, &teacher).ok());
  EXPECT_EQ(teacher.registered_school(), "regions/410225/schools/lk-shiyan");

  // Anyone lists and reads schools (no personal data); only the county or the province
  // registers them.
  v1::ListSchoolsRequest list;
  list.set_parent("regions/410225");
  list.set_page_size(1);
  v1::ListSchoolsResponse page;
  ASSERT_TRUE(stub_->ListSchools(ContextAs(Role::kViewer).get(), list, &page).ok());
  ASSERT_EQ(page.schools_size(), 1);
  EXPECT_EQ(page.schools(0).name(), "regions/410225/schools/lk-diyi");
  EXPECT_EQ(page.schools(0).teacher_count(), 1);
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(stub_->ListSchools(ContextAs(Role::kViewer).get(), list, &page).ok());
  ASSERT_EQ(page.schools_size(), 1);
  EXPECT_EQ(page.schools(0).name(), "regions/410225/schools/lk-shiyan");
  EXPECT_EQ(page.schools(0).teacher_count(), 1);
  EXPECT_TRUE(page.next_page_token().empty());
  v1::GetSchoolRequest get_school;
  get_school.set_name("regions/410225/schools/lk-nowhere");
  v1::School found;
  EXPECT_EQ(stub_->GetSchool(ContextAs(Role::kHost, "", "hosts/henu").get(), get_school, &found)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->ImportSchools(ContextAs(Role::kCountyAdmin, "410223").get(), request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ImportSchoolsRequest empty;
  empty.set_county("regions/410225");
  status = stub_->ImportSchools(lankao().get(), empty, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("schools"), std::string::npos) << status.error_message();
}

TEST_F(EnrollmentTest, R32ASchoolsPlanIsDueByTheSecondWeekReviewedByItsCountysTrainingSchool) {
  auto imported = Import({TeacherIn("410225", 1), TeacherIn("410225", 2)});
  v1::Teacher unmatched = TeacherIn("410225", 3);
  unmatched.set_school("兰考县未登记小学");
  const std::string teacher = imported[0].teacher();
  const std::string unregistered = Import({unmatched})[0].teacher();
  RegisterLankaoSchools({{"lk-diyi", "第一小学"}});
  const std::string school = "regions/410225/schools/lk-diyi";
  auto school_admin = [&] { return ContextAs(Role::kSchoolAdmin, "", "", school); };
  auto training_school = &EnrollmentTest::TrainingSchool;
  auto submit = [&](std::unique_ptr<grpc::ClientContext> as, int school_year,
                    v1::ResearchPlan* out) {
    v1::SubmitResearchPlanRequest request;
    request.set_parent(school);
    request.mutable_research_plan()->set_school_year(school_year);
    request.mutable_research_plan()->set_title(
        absl::StrCat(school_year, "学年第一小学校本研修方案"));
    request.mutable_research_plan()->set_content("集体备课、课例研究、专业阅读，每月两次");
    return stub_->SubmitResearchPlan(as.get(), request, out);
  };

  // The 2022 school year's plan, in its first week; not another school's, not twice.
  Today(9, 5);
  v1::ResearchPlan plan;
  grpc::Status status = submit(school_admin(), 2022, &plan);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(plan.name(), school + "/researchPlans/2022");
  EXPECT_EQ(plan.state(), v1::ResearchPlan::SUBMITTED);
  EXPECT_EQ(plan.submitter(), school);
  EXPECT_EQ(plan.deadline().month(), 9);
  EXPECT_EQ(plan.deadline().day(), 7);
  v1::ResearchPlan refused;
  EXPECT_EQ(submit(ContextAs(Role::kSchoolAdmin, "", "", "regions/410225/schools/lk-dier"), 2022,
                   &refused)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(submit(school_admin(), 2022, &refused).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // The 2021 school year's plan was due by 2021-09-07.
  status = submit(school_admin(), 2021, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("R-32"), std::string::npos) << status.error_message();

  // Only 兰考's training school reviews it; a return says why; the school sends it again.
  v1::ReviewResearchPlanRequest review;
  review.set_name(plan.name());
  EXPECT_EQ(
      stub_->ApproveResearchPlan(training_school("410223").get(), review, &refused).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->ApproveResearchPlan(school_admin().get(), review, &refused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  status = stub_->ReturnResearchPlan(training_school("410225").get(), review, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("reason"), std::string::npos) << status.error_message();
  review.set_reason("研修主题不够明确，请细化每月安排");
  v1::ResearchPlan returned;
  ASSERT_TRUE(stub_->ReturnResearchPlan(training_school("410225").get(), review, &returned).ok());
  EXPECT_EQ(returned.state(), v1::ResearchPlan::RETURNED);
  EXPECT_EQ(returned.review_reason(), "研修主题不够明确，请细化每月安排");
  Today(9, 20);
  ASSERT_TRUE(submit(school_admin(), 2022, &plan).ok());
  EXPECT_EQ(plan.state(), v1::ResearchPlan::SUBMITTED);
  review.set_reason("");
  review.set_etag(returned.etag());  // read before the school sent it again
  EXPECT_EQ(
      stub_->ApproveResearchPlan(training_school("410225").get(), review, &refused).error_code(),
      grpc::StatusCode::ABORTED);
  review.set_etag(plan.etag());
  v1::ResearchPlan approved;
  ASSERT_TRUE(stub_->ApproveResearchPlan(training_school("410225").get(), review, &approved).ok());
  EXPECT_EQ(approved.state(), v1::ResearchPlan::APPROVED);
  EXPECT_EQ(approved.reviewer(), "training-school-410225");
  review.clear_etag();
  EXPECT_EQ(
      stub_->ApproveResearchPlan(training_school("410225").get(), review, &refused).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);

  // The training school's queue is its county's; a school sees its own plans only.
  v1::ListResearchPlansRequest list;
  list.set_parent("regions/410225/schools/-");
  list.set_filter("state = \"APPROVED\" AND school_year = 2022");
  v1::ListResearchPlansResponse listed;
  ASSERT_TRUE(stub_->ListResearchPlans(training_school("410225").get(), list, &listed).ok());
  ASSERT_EQ(listed.research_plans_size(), 1);
  EXPECT_EQ(listed.research_plans(0).name(), plan.name());
  EXPECT_EQ(stub_->ListResearchPlans(school_admin().get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->ListResearchPlans(training_school("410223").get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // At the year's end the training school verifies the hours: those of a school year with an
  // approved plan register; a registered school without one waits; a teacher whose record
  // names no registered school is registered on the county's word, as before.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2023, 7, 3, 9, 0, 0), ChinaTimeZone()));
  auto research = [](const std::string& who, int year) {
    v1::HoursReport report;
    report.set_teacher(who);
    report.set_source_kind(v1::HourEntry::SCHOOL_RESEARCH);
    report.set_credit_hours(24);
    report.mutable_date()->set_year(year);
    report.mutable_date()->set_month(6);
    report.mutable_date()->set_day(30);
    return report;
  };
  v1::RegisterHoursRequest hours;
  hours.set_county("regions/410225");
  *hours.add_reports() = research(teacher, 2023);       // school year 2022: approved
  *hours.add_reports() = research(teacher, 2022);       // school year 2021: no plan
  *hours.add_reports() = research(unregistered, 2022);  // no registered school
  v1::RegisterHoursResponse registered;
  status = stub_->RegisterHours(training_school("410225").get(), hours, &registered);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(registered.results_size(), 3);
  EXPECT_EQ(registered.results(0).outcome(), v1::HoursReportResult::REGISTERED)
      << registered.results(0).reason();
  EXPECT_EQ(registered.results(1).outcome(), v1::HoursReportResult::REFUSED);
  EXPECT_NE(registered.results(1).reason().find("R-32"), std::string::npos)
      << registered.results(1).reason();
  EXPECT_NE(registered.results(1).reason().find("school year 2021"), std::string::npos)
      << registered.results(1).reason();
  EXPECT_EQ(registered.results(2).outcome(), v1::HoursReportResult::REGISTERED)
      << registered.results(2).reason();
  EXPECT_EQ(stub_->RegisterHours(training_school("410223").get(), hours, &registered).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(EnrollmentTest, R32ASchoolReportsItsTeachersHoursAndItsTrainingSchoolVerifiesThemOnce) {
  auto imported = Import({TeacherIn("410225", 1), TeacherIn("410225", 2)});
  v1::Teacher elsewhere = TeacherIn("410225", 3);
  elsewhere.set_school("第二小学");
  const std::string a = imported[0].teacher();
  const std::string b = imported[1].teacher();
  const std::string c = Import({elsewhere})[0].teacher();
  RegisterLankaoSchools({{"lk-diyi", "第一小学"}, {"lk-dier", "第二小学"}});
  const std::string school = "regions/410225/schools/lk-diyi";
  auto school_admin = [&] { return ContextAs(Role::kSchoolAdmin, "", "", school); };
  auto training_school = &EnrollmentTest::TrainingSchool;
  auto row = [](const std::string& teacher, int hours) {
    v1::SchoolHoursReport::Row r;
    r.set_teacher(teacher);
    r.set_credit_hours(hours);
    r.set_note("集体备课、课例研究");
    return r;
  };
  auto submit = [&](std::unique_ptr<grpc::ClientContext> as,
                    const std::vector<v1::SchoolHoursReport::Row>& rows, v1::SchoolHoursReport* out,
                    const std::string& request_id = "") {
    v1::SubmitSchoolHoursReportRequest request;
    request.set_parent(school);
    request.mutable_hours_report()->set_school_year(2022);
    for (const auto& r : rows) *request.mutable_hours_report()->add_rows() = r;
    request.set_request_id(request_id);
    return stub_->SubmitSchoolHoursReport(as.get(), request, out);
  };
  const std::vector<v1::SchoolHoursReport::Row> rows = {row(a, 30), row(b, 20), row(c, 24),
                                                        row(a, 10)};

  // Under no approved plan, the school reports nothing.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2022, 9, 5, 9, 0, 0), ChinaTimeZone()));
  v1::SchoolHoursReport report;
  grpc::Status status = submit(school_admin(), rows, &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("R-32"), std::string::npos) << status.error_message();
  v1::SubmitResearchPlanRequest plan;
  plan.set_parent(school);
  plan.mutable_research_plan()->set_school_year(2022);
  plan.mutable_research_plan()->set_title("2022学年第一小学校本研修方案");
  plan.mutable_research_plan()->set_content("集体备课、课例研究、专业阅读");
  v1::ResearchPlan submitted;
  ASSERT_TRUE(stub_->SubmitResearchPlan(school_admin().get(), plan, &submitted).ok());
  v1::ReviewResearchPlanRequest approve;
  approve.set_name(submitted.name());
  ASSERT_TRUE(
      stub_->ApproveResearchPlan(training_school("410225").get(), approve, &submitted).ok());

  // At the year's end: each row answered at once; another school cannot send it.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2023, 7, 3, 9, 0, 0), ChinaTimeZone()));
  EXPECT_EQ(
      submit(ContextAs(Role::kSchoolAdmin, "", "", "regions/410225/schools/lk-dier"), rows, &report)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  status = submit(school_admin(), rows, &report);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(report.name(), school + "/hoursReports/2022");
  EXPECT_EQ(report.state(), v1::SchoolHoursReport::SUBMITTED);
  EXPECT_EQ(report.row_count(), 4);
  EXPECT_EQ(report.accepted_rows(), 2);
  ASSERT_EQ(report.rows_size(), 4);
  EXPECT_FALSE(report.rows(0).has_result());
  EXPECT_FALSE(report.rows(1).has_result());
  EXPECT_EQ(report.rows(2).result().outcome(), v1::HoursReportResult::REFUSED);
  EXPECT_NE(report.rows(2).result().reason().find("rows[2].teacher"), std::string::npos)
      << report.rows(2).result().reason();
  EXPECT_EQ(report.rows(3).result().outcome(), v1::HoursReportResult::REFUSED);
  EXPECT_NE(report.rows(3).result().reason().find("earlier row"), std::string::npos);

  // 兰考's training school only: it returns the report with a reason; the school sends it again.
  v1::ReturnSchoolHoursReportRequest give_back;
  give_back.set_name(report.name());
  give_back.set_reason("请补充第二学期的活动记录");
  v1::SchoolHoursReport reviewed;
  EXPECT_EQ(stub_->ReturnSchoolHoursReport(training_school("410223").get(), give_back, &reviewed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->ReturnSchoolHoursReport(school_admin().get(), give_back, &reviewed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      stub_->ReturnSchoolHoursReport(training_school("410225").get(), give_back, &reviewed).ok());
  EXPECT_EQ(reviewed.state(), v1::SchoolHoursReport::RETURNED);
  EXPECT_EQ(reviewed.review_reason(), "请补充第二学期的活动记录");
  ASSERT_TRUE(submit(school_admin(), {row(a, 30), row(b, 20)}, &report).ok());
  EXPECT_EQ(report.state(), v1::SchoolHoursReport::SUBMITTED);
  EXPECT_EQ(report.row_count(), 2);

  // The training school's queue; a school reads its own reports only.
  v1::ListSchoolHoursReportsRequest list;
  list.set_parent("regions/410225/schools/-");
  list.set_filter("state = \"SUBMITTED\"");
  v1::ListSchoolHoursReportsResponse listed;
  ASSERT_TRUE(stub_->ListSchoolHoursReports(training_school("410225").get(), list, &listed).ok());
  ASSERT_EQ(listed.hours_reports_size(), 1);
  EXPECT_EQ(listed.hours_reports(0).name(), report.name());
  EXPECT_EQ(listed.hours_reports(0).rows_size(), 0);  // counts, not rows
  EXPECT_EQ(listed.hours_reports(0).row_count(), 2);
  EXPECT_EQ(stub_->ListSchoolHoursReports(school_admin().get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetSchoolHoursReportRequest get;
  get.set_name(report.name());
  EXPECT_EQ(stub_
                ->GetSchoolHoursReport(
                    ContextAs(Role::kSchoolAdmin, "", "", "regions/410225/schools/lk-dier").get(),
                    get, &reviewed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // A refusal must name a waiting row.
  v1::VerifySchoolHoursReportRequest verify;
  verify.set_name(report.name());
  verify.set_etag(report.etag());
  auto* refusal = verify.add_refusals();
  refusal->set_teacher(c);
  refusal->set_reason("不是本校教师");
  status = stub_->VerifySchoolHoursReport(training_school("410225").get(), verify, &reviewed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("refusals[0].teacher"), std::string::npos)
      << status.error_message();
  refusal->set_teacher(b);
  refusal->set_reason("过程性材料缺少课例记录");

  // Eight verifications at once: one verifies, one entry a teacher; the others find it verified.
  std::vector<grpc::Status> answers(8);
  std::vector<v1::SchoolHoursReport> outs(8);
  {
    std::vector<std::thread> reviewers;
    reviewers.reserve(8);
    for (int i = 0; i < 8; ++i) {
      reviewers.emplace_back([&, i] {
        v1::VerifySchoolHoursReportRequest mine = verify;
        mine.clear_etag();
        mine.set_request_id(absl::StrCat("verify-", i));
        answers[i] =
            stub_->VerifySchoolHoursReport(training_school("410225").get(), mine, &outs[i]);
      });
    }
    for (auto& t : reviewers) t.join();
  }
  int verified = 0;
  for (int i = 0; i < 8; ++i) {
    if (answers[i].ok()) {
      ++verified;
      reviewed = outs[i];
    } else {
      EXPECT_EQ(answers[i].error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << answers[i].error_message();
    }
  }
  ASSERT_EQ(verified, 1);
  EXPECT_EQ(reviewed.state(), v1::SchoolHoursReport::VERIFIED);
  EXPECT_EQ(reviewed.reviewer(), "training-school-410225");
  EXPECT_EQ(reviewed.registered_hours(), 24);
  ASSERT_EQ(reviewed.rows_size(), 2);
  const v1::HoursReportResult& capped = reviewed.rows(0).result();
  EXPECT_EQ(capped.outcome(), v1::HoursReportResult::CAPPED) << capped.reason();
  EXPECT_EQ(capped.credit_hours(), 24);
  EXPECT_EQ(capped.index(), 0);
  EXPECT_EQ(capped.hour_entry().rfind(a + "/hourEntries/", 0), 0u) << capped.hour_entry();
  EXPECT_EQ(reviewed.rows(1).result().outcome(), v1::HoursReportResult::REFUSED);
  EXPECT_NE(reviewed.rows(1).result().reason().find("过程性材料缺少课例记录"), std::string::npos);
  EXPECT_EQ(enrollment_db_.QueryValue(absl::StrCat(
                "SELECT CONCAT_WS('|', COUNT(*), SUM(hours), MIN(level), MIN(school_year), "
                "MIN(description)) FROM hour_entries WHERE teacher_id IN ('",
                a.substr(9), "', '", b.substr(9), "')")),
            absl::StrCat("1|24|", common::v1::SCHOOL,
                         "|2022|第一小学 2022学年校本研修：集体备课、课例研究"));

  // Verified is final: not sent again; the same hours through RegisterHours change nothing.
  EXPECT_EQ(submit(school_admin(), {row(a, 30)}, &report).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::RegisterHoursRequest again;
  again.set_county("regions/410225");
  v1::HoursReport research;
  research.set_teacher(a);
  research.set_source_kind(v1::HourEntry::SCHOOL_RESEARCH);
  research.set_credit_hours(24);
  research.mutable_date()->set_year(2023);
  research.mutable_date()->set_month(6);
  research.mutable_date()->set_day(30);
  *again.add_reports() = research;
  v1::RegisterHoursResponse registered;
  ASSERT_TRUE(stub_->RegisterHours(training_school("410225").get(), again, &registered).ok());
  EXPECT_EQ(registered.results(0).outcome(), v1::HoursReportResult::ALREADY_REGISTERED);
  EXPECT_EQ(registered.results(0).hour_entry(), capped.hour_entry());
  // The county and its city read the verified report; 尉氏县 does not.
  ASSERT_TRUE(
      stub_->GetSchoolHoursReport(ContextAs(Role::kCityAdmin, "4102").get(), get, &report).ok());
  EXPECT_EQ(report.rows(0).result().hour_entry(), capped.hour_entry());
  EXPECT_EQ(stub_->GetSchoolHoursReport(ContextAs(Role::kCountyAdmin, "410223").get(), get, &report)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(EnrollmentTest, R14R32APolicyVersionSetsTheResearchCapAndThePlansDeadline) {
  v1::Teacher unmatched = TeacherIn("410225", 2);
  unmatched.set_school("兰考县未登记小学");
  const std::string teacher = Import({unmatched})[0].teacher();
  RegisterLankaoSchools({{"lk-diyi", "第一小学"}});
  // 2022's version gives research 30 hours a school year and schools two weeks for their plans;
  // what it leaves unset (workshops, mentoring) stays as in force.
  v1::CreateEnrollmentPolicyRequest create;
  create.set_parent("years/2022");
  v1::EnrollmentPolicy& figures = *create.mutable_enrollment_policy();
  figures.set_blacklist_years(3);
  figures.set_cycle_anchor_year(2021);
  figures.set_cycle_years(5);
  figures.set_required_credit_hours(360);
  figures.set_required_off_site_days(7);
  figures.set_research_hours_per_school_year(30);
  figures.set_plan_submission_days(14);
  figures.set_reason("省教育厅 2022 年校本研修通知");
  v1::EnrollmentPolicy policy;
  grpc::Status status =
      stub_->CreateEnrollmentPolicy(ContextAs(Role::kProvinceAdmin).get(), create, &policy);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(policy.research_hours_per_school_year(), 30);
  EXPECT_EQ(policy.plan_submission_days(), 14);
  EXPECT_EQ(policy.workshop_hours_per_year(), 40);
  EXPECT_EQ(policy.mentoring_hours(), 50);
  figures.set_workshop_hours_per_day(25);
  status = stub_->CreateEnrollmentPolicy(ContextAs(Role::kProvinceAdmin).get(), create, &policy);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("enrollment_policy.workshop_hours_per_day"),
            std::string::npos)
      << status.error_message();

  // The plan of the 2022 school year is due by September 14 now.
  Today(9, 12);
  v1::SubmitResearchPlanRequest plan;
  plan.set_parent("regions/410225/schools/lk-diyi");
  plan.mutable_research_plan()->set_school_year(2022);
  plan.mutable_research_plan()->set_title("2022学年第一小学校本研修方案");
  plan.mutable_research_plan()->set_content("集体备课、课例研究");
  v1::ResearchPlan submitted;
  status = stub_->SubmitResearchPlan(
      ContextAs(Role::kSchoolAdmin, "", "", "regions/410225/schools/lk-diyi").get(), plan,
      &submitted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(submitted.deadline().month(), 9);
  EXPECT_EQ(submitted.deadline().day(), 14);

  // Research of that school year registers up to 30 hours.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2023, 7, 3, 9, 0, 0), ChinaTimeZone()));
  v1::RegisterHoursRequest hours;
  hours.set_county("regions/410225");
  v1::HoursReport& row = *hours.add_reports();
  row.set_teacher(teacher);
  row.set_source_kind(v1::HourEntry::SCHOOL_RESEARCH);
  row.set_credit_hours(32);
  row.mutable_date()->set_year(2023);
  row.mutable_date()->set_month(6);
  row.mutable_date()->set_day(30);
  v1::RegisterHoursResponse registered;
  status = stub_->RegisterHours(TrainingSchool("410225").get(), hours, &registered);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(registered.results_size(), 1);
  EXPECT_EQ(registered.results(0).outcome(), v1::HoursReportResult::CAPPED);
  EXPECT_EQ(registered.results(0).credit_hours(), 30);
  EXPECT_NE(registered.results(0).reason().find("at most 30 hours"), std::string::npos)
      << registered.results(0).reason();
}

TEST_F(EnrollmentTest, UpdateTeacherChangesOnlyMaskedFieldsAndChecksEtagAndScope) {
  auto imported = Import({TeacherIn("410225", 1)});
  v1::GetTeacherRequest get;
  get.set_name(imported[0].teacher());
  v1::Teacher teacher;
  ASSERT_TRUE(stub_->GetTeacher(ContextAs(Role::kCountyAdmin, "410225").get(), get, &teacher).ok());
  v1::UpdateTeacherRequest update;
  *update.mutable_teacher() = teacher;
  update.mutable_teacher()->set_school("兰考县实验小学");
  update.mutable_teacher()->set_display_name("不应改变");
  update.mutable_update_mask()->add_paths("school");
  v1::Teacher updated;
  ASSERT_TRUE(
      stub_->UpdateTeacher(ContextAs(Role::kCountyAdmin, "410225").get(), update, &updated).ok());
  EXPECT_EQ(updated.school(), "兰考县实验小学");
  EXPECT_EQ(updated.display_name(), teacher.display_name());
  EXPECT_EQ(updated.id_number(), teacher.id_number());
  // The old etag is stale now.
  EXPECT_EQ(stub_->UpdateTeacher(ContextAs(Role::kCountyAdmin, "410225").get(), update, &updated)
                .error_code(),
            grpc::StatusCode::ABORTED);
  update.mutable_teacher()->set_etag(updated.etag());
  update.mutable_update_mask()->Clear();
  update.mutable_update_mask()->add_paths("id_number");
  grpc::Status id_change =
      stub_->UpdateTeacher(ContextAs(Role::kCountyAdmin, "410225").get(), update, &updated);
  EXPECT_EQ(id_change.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(id_change.error_message().find("never changes"), std::string::npos);
  // Moving the teacher to 尉氏县 is beyond a county admin, within the city's.
  update.mutable_update_mask()->Clear();
  update.mutable_update_mask()->add_paths("county");
  update.mutable_teacher()->set_county("regions/410223");
  EXPECT_EQ(stub_->UpdateTeacher(ContextAs(Role::kCountyAdmin, "410225").get(), update, &updated)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      stub_->UpdateTeacher(ContextAs(Role::kCityAdmin, "4102").get(), update, &updated).ok());
  EXPECT_EQ(updated.county(), "regions/410223");
  update.mutable_teacher()->set_etag(updated.etag());
  update.mutable_teacher()->set_county("regions/419999");
  EXPECT_EQ(
      stub_->UpdateTeacher(ContextAs(Role::kProvinceAdmin).get(), update, &updated).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(EnrollmentTest, CatalogDownKnownQuotasStillWorkUnknownProjectsAreUnavailable) {
  auto imported = Import({TeacherIn("410225", 1)});
  catalog_->Shutdown();
  // Wait until the copy no longer counts as current (the stream ended, 10 s window passes).
  for (int i = 0; i < 300 && enrollment_->mirror->Current(); ++i)
    absl::SleepFor(absl::Milliseconds(50));
  v1::Enrollment out;
  EXPECT_TRUE(Nominate(*stub_, imported[0].teacher(), "lankao-seats", &out).ok());
  grpc::Status unknown = Nominate(*stub_, imported[0].teacher(), "not-yet-synced", &out);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAVAILABLE) << unknown.error_message();
}

// The copy of the catalog follows catalog with a lag. A nomination the copy alone would refuse
// (no such project or quota in it yet, or every seat held) is confirmed with catalog first: it
// is never refused with R-7 for seats catalog has; with catalog down it is UNAVAILABLE.
TEST_F(EnrollmentTest, CatalogCopyBehindIsConfirmedWithCatalogNeverRefusedByR7) {
  auto imported = Import({TeacherIn("410225", 1), TeacherIn("410225", 2), TeacherIn("410225", 3),
                          TeacherIn("410225", 4)});
  ASSERT_EQ(imported.size(), 4u);
  CreateProject("one-seat", "rural", 11, 1, 3);
  SetCountySeats("one-seat", 1);
  WaitForQuota(*enrollment_, "one-seat", 1);
  enrollment_->mirror->Stop();  // from here the copy no longer follows catalog
  v1::Enrollment out;
  ASSERT_TRUE(Nominate(*stub_, imported[0].teacher(), "one-seat", &out).ok());

  // Catalog raises the county's seats; the copy still says 1 of 1 held.
  SetCountySeats("one-seat", 2);
  grpc::Status second = Nominate(*stub_, imported[1].teacher(), "one-seat", &out);
  EXPECT_TRUE(second.ok()) << second.error_message();
  EXPECT_EQ(enrollment_db_.QueryValue("SELECT seats FROM catalog_quotas WHERE project_id = "
                                      "'one-seat' AND county_code = '410225'"),
            "2");
  // Now both seats are held, in catalog too: R-7 as before.
  grpc::Status third = Nominate(*stub_, imported[2].teacher(), "one-seat", &out);
  EXPECT_EQ(third.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << third.error_message();
  EXPECT_EQ(RuleIn(third), "R-7");

  // A project created after the copy stopped: catalog is asked, the nomination is accepted.
  CreateProject("created-later", "rural", 11, 10, 3);
  grpc::Status later = Nominate(*stub_, imported[2].teacher(), "created-later", &out);
  EXPECT_TRUE(later.ok()) << later.error_message();
  EXPECT_EQ(out.project(), absl::StrCat("years/", year_, "/projects/created-later"));
  grpc::Status unknown = Nominate(*stub_, imported[3].teacher(), "never-created", &out);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND) << unknown.error_message();

  // Catalog down and a quota the copy has not seen: UNAVAILABLE, saying the copy may be behind.
  CreateProject("unseen", "rural", 11, 20, 3);
  catalog_->Shutdown();
  grpc::Status behind = Nominate(*stub_, imported[3].teacher(), "unseen", &out);
  EXPECT_EQ(behind.error_code(), grpc::StatusCode::UNAVAILABLE) << behind.error_message();
  EXPECT_NE(behind.error_message().find("local copy of the catalog"), std::string::npos)
      << behind.error_message();
  EXPECT_EQ(RuleIn(behind), "");
  // Known seats still work without catalog.
  EXPECT_TRUE(Nominate(*stub_, imported[3].teacher(), "lankao-seats", &out).ok());
}

// Imports likewise: a county catalog has but the copy has not seen is pulled and accepted; with
// catalog down, an unseen county is a copy that may be behind, not an unknown county.
TEST_F(EnrollmentTest, R1ImportsConfirmACountyTheCopyHasNotSeenWithCatalog) {
  enrollment_->mirror->Stop();
  cat::ImportRegionsRequest regions;
  regions.set_csv("code,name,parent_code,level\n410221,杞县,4102,county\n");
  CatalogCall(&cat::CatalogService::Stub::ImportRegions, regions);
  auto created = Import({TeacherIn("410221", 1)}, Role::kProvinceAdmin, "");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].outcome(), v1::ImportTeacherResult::CREATED) << created[0].reason();
  EXPECT_TRUE(created[0].reason().empty()) << created[0].reason();

  // A county catalog does not have either is an input error naming the field.
  auto typo = Import({TeacherIn("410298", 2)}, Role::kProvinceAdmin, "");
  ASSERT_EQ(typo.size(), 1u);
  EXPECT_EQ(typo[0].outcome(), v1::ImportTeacherResult::REJECTED);
  EXPECT_NE(typo[0].reason().find("teacher.county: regions/410298 is not a known county"),
            std::string::npos)
      << typo[0].reason();

  catalog_->Shutdown();
  absl::SleepFor(absl::Milliseconds(1100));  // past the last answer's second
  auto behind = Import({TeacherIn("410299", 3), TeacherIn("410225", 4)}, Role::kProvinceAdmin, "");
  ASSERT_EQ(behind.size(), 2u);
  EXPECT_EQ(behind[0].outcome(), v1::ImportTeacherResult::REJECTED);
  EXPECT_NE(behind[0].reason().find("local copy of the catalog"), std::string::npos)
      << behind[0].reason();
  EXPECT_EQ(behind[1].outcome(), v1::ImportTeacherResult::CREATED) << behind[1].reason();
}

}  // namespace
}  // namespace peixun::enrollment
