// Faults through real processes on loopback, each bounded in time (issue 6):
//   - enrollment killed with SIGKILL during a stream of nominations that clients send with
//     request ids and retry: every acknowledged nomination is present exactly once, no quota
//     is exceeded;
//   - MariaDB stopped under load: NOT_SERVING and UNAVAILABLE, never a wrong answer; back
//     without a restart;
//   - catalog stopped while enrollment runs, evaluation stopped while funding decides: callers
//     get UNAVAILABLE or work from their own data, and catch up after.
// Each prints what it checked and the counts.
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "peixun/funding/v1/funding.grpc.pb.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "tests/support/harness.h"

namespace peixun {
namespace {

using auth::Role;
using peixun::testing::ContextAs;
using peixun::testing::OwnMariaDb;
using peixun::testing::ScratchDatabase;
using peixun::testing::ServiceProcess;
namespace cat = ::peixun::catalog::v1;
namespace enr = ::peixun::enrollment::v1;

const std::string kCtl = PEIXUN_PEIXUNCTL_BINARY;

std::vector<std::pair<std::string, std::string>> Env(const db::DbConfig& c) {
  return {{"PEIXUN_DB_HOST", c.host},         {"PEIXUN_DB_PORT", std::to_string(c.port)},
          {"PEIXUN_DB_NAME", c.database},     {"PEIXUN_DB_USER", c.user},
          {"PEIXUN_DB_PASSWORD", c.password}, {"PEIXUN_TOKEN_KEY", peixun::testing::kTestTokenKey}};
}

std::unique_ptr<grpc::ClientContext> Within(Role role, int seconds,
                                            const std::string& region = "") {
  auto context = ContextAs(role, region);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

// A plan year ahead of the real clock with one project of `seats` seats, all for 兰考县,
// loaded through peixunctl apply.
int NextYear() {
  return static_cast<int>(absl::ToCivilYear(absl::Now(), ChinaTimeZone()).year()) + 1;
}

void LoadCatalog(int catalog_port, int seats) {
  const int y = NextYear();
  const std::string file = ::testing::TempDir() + "/fault-catalog.jsonl";
  std::ofstream out(file);
  auto line = [&](const std::string& method, const std::string& request) {
    out << "{\"service\": \"catalog\", \"method\": \"" << method << "\", \"request\": " << request
        << "}\n";
  };
  line(
      "ImportRegions",
      R"({"csv": "code,name,parent_code,level\n41,河南省,,province\n4102,开封市,41,city\n410225,兰考县,4102,county\n"})");
  line(
      "CreateYear",
      absl::StrFormat(
          R"({"plan_year": {"year": %d, "nomination_deadline": {"year": %d, "month": 8, "day": 31}}})",
          y, y));
  line(
      "CreateCategory",
      absl::StrFormat(
          R"({"parent": "years/%d", "category_id": "backbone", "category": {"display_name": "骨干教师培训", "plan_level": "PROVINCIAL"}})",
          y));
  line("CreateHost", R"({"host_id": "henu", "host": {"display_name": "河南大学"}})");
  line(
      "CreateProject",
      absl::StrFormat(
          R"({"parent": "years/%d", "project_id": "backbone", "project": {"display_name": "骨干教师培训", "category": "years/%d/categories/backbone", "host": "hosts/henu", "seats": %d, "credit_hours": 80, "format": {"centralized_days": 5}, "start_date": {"year": %d, "month": 9, "day": 1}, "end_date": {"year": %d, "month": 9, "day": 5}}})",
          y, y, seats, y, y));
  line("AllocateQuota",
       absl::StrFormat(
           R"({"parent": "years/%d/projects/backbone", "region": "regions/4102", "seats": %d})", y,
           seats));
  line(
      "AllocateQuota",
      absl::StrFormat(
          R"({"parent": "years/%d/projects/backbone/quotas/4102", "region": "regions/410225", "seats": %d})",
          y, seats));
  out.close();
  setenv("PEIXUN_TOKEN_KEY", peixun::testing::kTestTokenKey, 1);
  ASSERT_EQ(std::system(absl::StrCat(kCtl, " --target=127.0.0.1:", catalog_port, " apply --quiet ",
                                     file, " >/dev/null")
                            .c_str()),
            0);
}

// `n` teachers of 兰考县 imported through peixunctl; their resource names.
std::vector<std::string> ImportTeachers(int enrollment_port, int n) {
  const std::string file = ::testing::TempDir() + "/fault-teachers.csv";
  std::ofstream out(file);
  out << "id_number,name,gender,school,county,stage,subjects,rural,teaching_since_year,roles\n";
  for (int i = 0; i < n; ++i) {
    const std::string first17 = absl::StrFormat("410225%04d%02d%02d%03d", 1970 + i % 25,
                                                1 + i / 25 % 12, 1 + i / 300, 700 + i % 100);
    out << first17 << enrollment::domain::IdCheckCharacter(first17) << ",教师" << i
        << ",FEMALE,兰考县第一中学,410225,"
        << "PRIMARY,语文,1,2005,\n";
  }
  out.close();
  EXPECT_EQ(std::system(absl::StrCat(kCtl, " --target=127.0.0.1:", enrollment_port,
                                     " import-teachers ", file, " >/dev/null")
                            .c_str()),
            0);
  auto stub = enr::EnrollmentService::NewStub(peixun::testing::LoopbackChannel(enrollment_port));
  std::vector<std::string> names;
  enr::ListTeachersRequest request;
  request.set_page_size(1000);
  enr::ListTeachersResponse page;
  EXPECT_TRUE(stub->ListTeachers(Within(Role::kProvinceAdmin, 30).get(), request, &page).ok());
  for (const auto& t : page.teachers()) names.push_back(t.name());
  return names;
}

// Waits until enrollment's copy of the catalog holds `seats` seats for 兰考县.
bool WaitForQuota(int enrollment_port, int seats, absl::Duration timeout = absl::Seconds(60)) {
  auto stub = enr::EnrollmentService::NewStub(peixun::testing::LoopbackChannel(enrollment_port));
  const absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    enr::GetRateReportRequest request;
    request.set_year(absl::StrCat("years/", NextYear()));
    request.set_scope(enr::GetRateReportRequest::COUNTY);
    enr::RateReport report;
    if (stub->GetRateReport(Within(Role::kProvinceAdmin, 5).get(), request, &report).ok() &&
        report.rows_size() > 0 && report.rows(0).quota() == seats) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

TEST(Fault, EnrollmentKilledDuringNominationsLosesAndDuplicatesNothing) {
  ScratchDatabase catalog_db, enrollment_db;
  const std::string logs = ::testing::TempDir();
  ServiceProcess catalog(PEIXUN_CATALOG_BINARY,
                         {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0"},
                         Env(catalog_db.config()), logs + "/fault-catalog.log");
  const int catalog_port = catalog.WaitServing();
  ASSERT_GT(catalog_port, 0);
  constexpr int kSeats = 150;
  constexpr int kTeachers = 240;
  LoadCatalog(catalog_port, kSeats);
  const int port =
      peixun::testing::FreeLoopbackPort();  // the restarted process serves on the same address
  const std::vector<std::string> args = {absl::StrCat("--listen=127.0.0.1:", port),
                                         "--metrics_listen=127.0.0.1:0",
                                         absl::StrCat("--catalog_target=127.0.0.1:", catalog_port)};
  auto enrollment =
      std::make_unique<ServiceProcess>(PEIXUN_ENROLLMENT_BINARY, args, Env(enrollment_db.config()),
                                       logs + "/fault-enrollment-1.log");
  ASSERT_EQ(enrollment->WaitServing(), port);
  ASSERT_TRUE(WaitForQuota(port, kSeats));
  const std::vector<std::string> teachers = ImportTeachers(port, kTeachers);
  ASSERT_EQ(static_cast<int>(teachers.size()), kTeachers);

  // 8 clerks nominate every teacher once, each with its request id, retrying until a
  // definite answer (accepted, or refused by a rule).
  const std::string project = absl::StrCat("years/", NextYear(), "/projects/backbone");
  absl::Mutex mu;
  std::set<std::string> acknowledged;  // teacher names
  int refused = 0;
  std::atomic<int> sent{0}, retries{0}, next{0};
  std::vector<std::thread> clerks;
  clerks.reserve(8);
  for (int t = 0; t < 8; ++t) {
    clerks.emplace_back([&] {
      auto stub = enr::EnrollmentService::NewStub(grpc::CreateChannel(
          absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
      for (int i = next++; i < kTeachers; i = next++) {
        enr::NominateTeacherRequest request;
        request.set_project(project);
        request.set_teacher(teachers[static_cast<size_t>(i)]);
        request.set_request_id(absl::StrCat("fault-", i));
        const absl::Time give_up = absl::Now() + absl::Seconds(90);
        while (absl::Now() < give_up) {
          enr::Enrollment made;
          ++sent;
          grpc::Status status =
              stub->NominateTeacher(Within(Role::kCountyAdmin, 5, "410225").get(), request, &made);
          if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
              status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
            ++retries;
            absl::SleepFor(absl::Milliseconds(50));
            continue;
          }
          absl::MutexLock lock(&mu);
          if (status.ok())
            acknowledged.insert(made.teacher());
          else
            ++refused;
          break;
        }
      }
    });
  }
  // Kill -9 once a third of the seats are taken, then start a new process on the same port.
  for (int i = 0; i < 600; ++i) {
    {
      absl::MutexLock lock(&mu);
      if (acknowledged.size() >= kSeats / 3) break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(kill(enrollment->pid(), SIGKILL), 0);
  enrollment.reset();
  absl::SleepFor(absl::Milliseconds(500));
  enrollment =
      std::make_unique<ServiceProcess>(PEIXUN_ENROLLMENT_BINARY, args, Env(enrollment_db.config()),
                                       logs + "/fault-enrollment-2.log");
  ASSERT_EQ(enrollment->WaitServing(), port);
  for (auto& c : clerks) c.join();

  const int present = std::stoi(enrollment_db.QueryValue(
      absl::StrCat("SELECT COUNT(*) FROM enrollments WHERE project_id = 'backbone'")));
  const int distinct = std::stoi(enrollment_db.QueryValue(absl::StrCat(
      "SELECT COUNT(DISTINCT teacher_id) FROM enrollments WHERE project_id = 'backbone'")));
  const int acked = static_cast<int>(acknowledged.size());
  std::cout << absl::StrFormat(
      "  kill -9 during nominations: sent %d (retries %d), acknowledged %d, refused %d, present "
      "%d, duplicated %d, "
      "lost %d, seats %d\n",
      sent.load(), retries.load(), acked, refused, present, present - distinct,
      std::max(0, acked - present), kSeats);
  EXPECT_GT(retries.load(), 0) << "the kill was not seen by any client";
  EXPECT_EQ(acked, kSeats) << "every seat ends up taken by an acknowledged nomination";
  EXPECT_EQ(refused, kTeachers - kSeats);
  EXPECT_EQ(present, acked) << "acknowledged nominations are present, and nothing else";
  EXPECT_EQ(distinct, present) << "no teacher is nominated twice";
  EXPECT_LE(present, kSeats) << "R-7 the quota holds";
}

TEST(Fault, DatabaseLostUnderLoadMeansNotServingAndUnavailableNeverAWrongAnswer) {
  OwnMariaDb mariadb("fault-db");
  auto env = mariadb.Env("catalog");
  env.emplace_back("PEIXUN_TOKEN_KEY", peixun::testing::kTestTokenKey);
  ServiceProcess catalog(PEIXUN_CATALOG_BINARY,
                         {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0"}, env,
                         ::testing::TempDir() + "/fault-db-catalog.log");
  const int port = catalog.WaitServing();
  ASSERT_GT(port, 0);
  LoadCatalog(port, 10);
  const std::string region = "regions/410225";
  auto health = grpc::health::v1::Health::NewStub(peixun::testing::LoopbackChannel(port));
  auto health_of = [&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("peixun.catalog.v1.CatalogService");
    grpc::health::v1::HealthCheckResponse response;
    return health->Check(&context, request, &response).ok()
               ? response.status()
               : grpc::health::v1::HealthCheckResponse::UNKNOWN;
  };
  // Readers run all along: every answer is the right region or UNAVAILABLE.
  std::atomic<bool> stop{false};
  std::atomic<int> right{0}, unavailable{0}, wrong{0};
  std::vector<std::thread> readers;
  readers.reserve(4);
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      auto stub = cat::CatalogService::NewStub(peixun::testing::LoopbackChannel(port));
      while (!stop) {
        cat::GetRegionRequest request;
        request.set_name(region);
        cat::Region got;
        grpc::Status status = stub->GetRegion(Within(Role::kViewer, 5).get(), request, &got);
        if (status.ok() && got.display_name() == "兰考县")
          ++right;
        else if (status.error_code() == grpc::StatusCode::UNAVAILABLE)
          ++unavailable;
        else
          ++wrong;
        absl::SleepFor(absl::Milliseconds(5));
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(500));
  mariadb.Run("stop");
  bool went_not_serving = false;
  for (int i = 0; i < 100 && !went_not_serving; ++i) {
    went_not_serving = health_of() == grpc::health::v1::HealthCheckResponse::NOT_SERVING;
    absl::SleepFor(absl::Milliseconds(100));
  }
  const int unavailable_while_down = (absl::SleepFor(absl::Seconds(1)), unavailable.load());
  mariadb.Run("start");
  bool serving_again = false;
  for (int i = 0; i < 300 && !serving_again; ++i) {
    serving_again = health_of() == grpc::health::v1::HealthCheckResponse::SERVING;
    absl::SleepFor(absl::Milliseconds(100));
  }
  const int right_before = right.load();
  absl::SleepFor(absl::Seconds(1));
  stop = true;
  for (auto& r : readers) r.join();
  std::cout << absl::StrFormat(
      "  MariaDB stopped under load: right %d, unavailable %d, wrong %d; NOT_SERVING %s, "
      "SERVING again without restart %s, right answers after %d\n",
      right.load(), unavailable.load(), wrong.load(), went_not_serving ? "yes" : "no",
      serving_again ? "yes" : "no", right.load() - right_before);
  EXPECT_TRUE(went_not_serving);
  EXPECT_GT(unavailable_while_down, 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_TRUE(serving_again);
  EXPECT_GT(right.load() - right_before, 0) << "answers resume after the database returns";
}

TEST(Fault, DependenciesDownCallersGetUnavailableOrOwnDataAndCatchUp) {
  ScratchDatabase catalog_db, enrollment_db, funding_db, evaluation_db;
  const std::string logs = ::testing::TempDir();
  const int catalog_port = peixun::testing::FreeLoopbackPort();
  const std::vector<std::string> catalog_args = {absl::StrCat("--listen=127.0.0.1:", catalog_port),
                                                 "--metrics_listen=127.0.0.1:0"};
  auto catalog = std::make_unique<ServiceProcess>(
      PEIXUN_CATALOG_BINARY, catalog_args, Env(catalog_db.config()), logs + "/dep-catalog-1.log");
  ASSERT_EQ(catalog->WaitServing(), catalog_port);
  LoadCatalog(catalog_port, 10);
  ServiceProcess enrollment(PEIXUN_ENROLLMENT_BINARY,
                            {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                             absl::StrCat("--catalog_target=127.0.0.1:", catalog_port)},
                            Env(enrollment_db.config()), logs + "/dep-enrollment.log");
  const int enrollment_port = enrollment.WaitServing();
  ASSERT_GT(enrollment_port, 0);
  ASSERT_TRUE(WaitForQuota(enrollment_port, 10));
  {
    // Its loops start once its tables exist: a first start on an empty database logs no
    // database error (a loop reading too early logged "1146 … doesn't exist").
    std::ifstream log(logs + "/dep-enrollment.log");
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("SERVING"), std::string::npos) << text;
    EXPECT_EQ(text.find("database error"), std::string::npos) << text;
    EXPECT_EQ(text.find("MySQL error"), std::string::npos) << text;
    EXPECT_EQ(text.find("doesn't exist"), std::string::npos) << text;
  }
  const std::vector<std::string> teachers = ImportTeachers(enrollment_port, 3);

  // Catalog stops: enrollment nominates from its own copy of the quotas.
  catalog.reset();
  auto stub = enr::EnrollmentService::NewStub(peixun::testing::LoopbackChannel(enrollment_port));
  enr::NominateTeacherRequest nominate;
  nominate.set_project(absl::StrCat("years/", NextYear(), "/projects/backbone"));
  nominate.set_teacher(teachers[0]);
  enr::Enrollment made;
  grpc::Status status =
      stub->NominateTeacher(Within(Role::kCountyAdmin, 10, "410225").get(), nominate, &made);
  EXPECT_TRUE(status.ok()) << status.error_message();
  // Catalog returns and takes a change: enrollment catches up.
  catalog = std::make_unique<ServiceProcess>(PEIXUN_CATALOG_BINARY, catalog_args,
                                             Env(catalog_db.config()), logs + "/dep-catalog-2.log");
  ASSERT_EQ(catalog->WaitServing(), catalog_port);
  auto catalog_stub = cat::CatalogService::NewStub(peixun::testing::LoopbackChannel(catalog_port));
  for (const auto& [parent, code] :
       {std::make_pair(absl::StrCat("years/", NextYear(), "/projects/backbone"),
                       std::string("4102")),
        std::make_pair(absl::StrCat("years/", NextYear(), "/projects/backbone/quotas/4102"),
                       std::string("410225"))}) {
    if (code == "4102") {  // the project needs the seats first
      cat::GetProjectRequest get;
      get.set_name(parent);
      cat::Project p;
      ASSERT_TRUE(catalog_stub->GetProject(Within(Role::kProvinceAdmin, 10).get(), get, &p).ok());
      cat::UpdateProjectRequest update;
      *update.mutable_project() = p;
      update.mutable_project()->set_seats(12);
      update.mutable_update_mask()->add_paths("seats");
      ASSERT_TRUE(
          catalog_stub->UpdateProject(Within(Role::kProvinceAdmin, 10).get(), update, &p).ok());
    }
    cat::AllocateQuotaRequest quota;
    quota.set_parent(parent);
    quota.set_region("regions/" + code);
    quota.set_seats(12);
    cat::QuotaAllocation allocated;
    status = catalog_stub->AllocateQuota(Within(Role::kProvinceAdmin, 10).get(), quota, &allocated);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  const bool caught_up = WaitForQuota(enrollment_port, 12);
  EXPECT_TRUE(caught_up) << "enrollment follows catalog again after its restart";

  // Evaluation is down while funding decides: UNAVAILABLE naming evaluation; once it is back,
  // funding reaches it (and is told no round is published).
  const int evaluation_port = peixun::testing::FreeLoopbackPort();
  ServiceProcess funding(PEIXUN_FUNDING_BINARY,
                         {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                          absl::StrCat("--evaluation_target=127.0.0.1:", evaluation_port)},
                         Env(funding_db.config()), logs + "/dep-funding.log");
  const int funding_port = funding.WaitServing();
  ASSERT_GT(funding_port, 0);
  auto funding_stub =
      funding::v1::FundingService::NewStub(peixun::testing::LoopbackChannel(funding_port));
  funding::v1::DecideFundingRequest decide;
  decide.set_year("years/2022");
  funding::v1::DecideFundingResponse decided;
  grpc::Status down =
      funding_stub->DecideFunding(Within(Role::kProvinceAdmin, 20).get(), decide, &decided);
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(down.error_message().find(absl::StrCat("evaluation (127.0.0.1:", evaluation_port, ")")),
            std::string::npos)
      << down.error_message();
  ServiceProcess evaluation(
      PEIXUN_EVALUATION_BINARY,
      {absl::StrCat("--listen=127.0.0.1:", evaluation_port), "--metrics_listen=127.0.0.1:0",
       absl::StrCat("--enrollment_target=127.0.0.1:", enrollment_port),
       absl::StrCat("--funding_target=127.0.0.1:", funding_port)},
      Env(evaluation_db.config()), logs + "/dep-evaluation.log");
  ASSERT_EQ(evaluation.WaitServing(), evaluation_port);
  grpc::Status back;
  for (int i = 0; i < 50; ++i) {  // the channel reconnects after its backoff
    back = funding_stub->DecideFunding(Within(Role::kProvinceAdmin, 20).get(), decide, &decided);
    if (back.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(back.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << back.error_message();
  EXPECT_NE(back.error_message().find("R-26 no evaluation round of 2022 is published"),
            std::string::npos);
  std::cout << absl::StrFormat(
      "  dependencies down: nomination with catalog down %s; enrollment caught up after catalog's "
      "restart %s; "
      "DecideFunding with evaluation down %s, after its return %s\n",
      status.ok() ? "accepted" : "refused", caught_up ? "yes" : "no",
      grpc::StatusCode(down.error_code()) == grpc::StatusCode::UNAVAILABLE ? "UNAVAILABLE"
                                                                           : "other",
      back.error_code() == grpc::StatusCode::FAILED_PRECONDITION ? "answered from evaluation"
                                                                 : "not answered");
}

// SIGTERM ends the process within moments even when a client holds an idle connection and a
// WatchEvents stream open: neither may hold shutdown for the whole grace period (30 s here), and
// the /metrics listener stops at once (civetweb alone polls its socket for 2 s between looks at
// its stop flag: 1.4 s here and 5.5 s on a busy CI machine before StopHttpServer).
TEST(Fault, SigtermWithIdleConnectionAndOpenStreamExitsWithinMoments) {
  ScratchDatabase catalog_db;
  ServiceProcess catalog(
      PEIXUN_CATALOG_BINARY,
      {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0", "--shutdown_grace_seconds=30"},
      Env(catalog_db.config()), ::testing::TempDir() + "/fault-sigterm.log");
  const int port = catalog.WaitServing();
  ASSERT_GT(port, 0);
  // An idle connection: one answered call, then nothing.
  auto idle = cat::CatalogService::NewStub(peixun::testing::LoopbackChannel(port));
  cat::ListRegionsRequest list;
  cat::ListRegionsResponse regions;
  ASSERT_TRUE(idle->ListRegions(Within(Role::kViewer, 5).get(), list, &regions).ok());
  // An open stream on a connection of its own, waiting for events that never come.
  std::atomic<bool> stream_open{false}, stream_ended{false};
  grpc::Status stream_status;
  std::thread watcher([&] {
    auto stub = cat::CatalogService::NewStub(peixun::testing::LoopbackChannel(port));
    auto context = ContextAs(Role::kViewer);
    common::v1::WatchEventsRequest request;
    request.set_type_prefix("catalog.quota.");
    auto reader = stub->WatchEvents(context.get(), request);
    stream_open = true;
    common::v1::Event event;
    while (reader->Read(&event)) {
    }
    stream_status = reader->Finish();
    stream_ended = true;
  });
  while (!stream_open) absl::SleepFor(absl::Milliseconds(10));
  absl::SleepFor(absl::Milliseconds(500));  // the stream is established and waiting
  const absl::Time signalled = absl::Now();
  const int code = catalog.Terminate(absl::Seconds(40));
  const absl::Duration took = absl::Now() - signalled;
  watcher.join();
  std::cout << absl::StrFormat(
      "  SIGTERM with an idle connection and an open stream: exit %d after %.2f s (grace 30 s); "
      "stream ended with %d\n",
      code, absl::ToDoubleSeconds(took), static_cast<int>(stream_status.error_code()));
  EXPECT_EQ(code, 0);
  EXPECT_LT(took, absl::Seconds(3)) << "shutdown waited for idle clients or a listener";
  EXPECT_TRUE(stream_ended.load());
  EXPECT_NE(stream_status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

// SIGTERM while a call is in flight: the call is not cut but runs to its end within the grace
// period (an import whose client sends its last rows after the signal), and the process exits
// as soon as it is done, not at the end of the grace.
TEST(Fault, SigtermLetsACallInFlightFinishThenExits) {
  ScratchDatabase catalog_db, enrollment_db;
  const std::string logs = ::testing::TempDir();
  ServiceProcess catalog(PEIXUN_CATALOG_BINARY,
                         {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0"},
                         Env(catalog_db.config()), logs + "/fault-drain-catalog.log");
  const int catalog_port = catalog.WaitServing();
  ASSERT_GT(catalog_port, 0);
  LoadCatalog(catalog_port, 10);
  ServiceProcess enrollment(
      PEIXUN_ENROLLMENT_BINARY,
      {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0", "--shutdown_grace_seconds=30",
       absl::StrCat("--catalog_target=127.0.0.1:", catalog_port)},
      Env(enrollment_db.config()), logs + "/fault-drain-enrollment.log");
  const int port = enrollment.WaitServing();
  ASSERT_GT(port, 0);
  ASSERT_TRUE(WaitForQuota(port, 10));  // the copy of the catalog holds 兰考县

  auto stub = enr::EnrollmentService::NewStub(peixun::testing::LoopbackChannel(port));
  auto context = ContextAs(Role::kProvinceAdmin);
  auto stream = stub->ImportTeachers(context.get());
  auto row = [](int i) {
    enr::ImportTeachersRequest request;
    const std::string first17 = absl::StrFormat("41022519800101%03d", 500 + i);
    enr::Teacher* teacher = request.mutable_teacher();
    teacher->set_id_number(first17 + enrollment::domain::IdCheckCharacter(first17));
    teacher->set_display_name(absl::StrCat("在途教师", i));
    teacher->set_gender(enr::FEMALE);
    teacher->set_school("兰考县第一中学");
    teacher->set_county("regions/410225");
    teacher->set_stage(common::v1::PRIMARY);
    teacher->add_subjects("语文");
    teacher->set_teaching_since_year(2005);
    request.set_row_id(absl::StrCat("row-", i));
    return request;
  };
  ASSERT_TRUE(stream->Write(row(0)));
  absl::SleepFor(absl::Milliseconds(300));  // the call is in flight
  int code = -2;
  absl::Time exited;
  const absl::Time signalled = absl::Now();
  std::thread stopper([&] {
    code = enrollment.Terminate(absl::Seconds(40));
    exited = absl::Now();
  });
  absl::SleepFor(absl::Milliseconds(700));  // the process is draining
  const bool written = stream->Write(row(1)) && stream->Write(row(2));
  stream->WritesDone();
  std::vector<std::string> created;
  enr::ImportTeacherResult result;
  while (stream->Read(&result)) {
    if (result.outcome() == enr::ImportTeacherResult::CREATED) created.push_back(result.row_id());
  }
  const grpc::Status status = stream->Finish();
  const absl::Time call_ended = absl::Now();
  stopper.join();
  std::cout << absl::StrFormat(
      "  SIGTERM during an import: the import ended %s with %d rows created %.2f s after the "
      "signal; the process exited %d %.2f s after the import ended (grace 30 s)\n",
      status.ok() ? "OK" : "in error", static_cast<int>(created.size()),
      absl::ToDoubleSeconds(call_ended - signalled), code,
      absl::ToDoubleSeconds(exited - call_ended));
  EXPECT_TRUE(written);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created, (std::vector<std::string>{"row-0", "row-1", "row-2"}));
  EXPECT_EQ(code, 0);
  EXPECT_LT(exited - call_ended, absl::Seconds(3)) << "shutdown waited past the last call";
}

}  // namespace
}  // namespace peixun
