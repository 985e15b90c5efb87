// enrollment_bench: the figures of issue 3 against a running catalog and enrollment service and
// their MariaDB, ending with one JSON line (tools/bench enrollment starts everything):
//   1. raw: single-row durable insert transactions into the same MariaDB, N in flight;
//   2. import: N generated teachers streamed through ImportTeachers (rows/s, server peak RSS);
//   3. nominate: every imported teacher nominated through NominateTeacher, N in flight, each by
//      its own county's admin into a seat of its county (nominations/s against raw: ratio);
//   4. report: GetRateReport per county over all those enrollments, one call at a time (p99).
// With --database_pid, the database's CPU time per raw insert and per nomination too (and the
// service's per nomination): costs per unit, which move less than rates on a shared machine.
// The catalog year it uses is created here: one category, one host, --projects projects with
// seats for every generated teacher in every county of deploy/demo/regions.csv.
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/auth/identity.h"
#include "common/db/pool.h"
#include "common/util/ids.h"
#include "grpcpp/create_channel.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "tools/benchsupport/bench_support.h"
#include "tools/benchsupport/generated_teachers.h"

ABSL_FLAG(std::string, catalog_target, "127.0.0.1:50051", "catalog address");
ABSL_FLAG(std::string, enrollment_target, "127.0.0.1:50052", "enrollment address");
ABSL_FLAG(int, enrollment_pid, 0, "enrollment's process id, for its peak RSS and CPU time");
ABSL_FLAG(int, database_pid, 0,
          "the database server's process id, for its CPU time per raw insert and per nomination");
ABSL_FLAG(std::string, regions_csv, "deploy/demo/regions.csv", "regions to create");
ABSL_FLAG(int, teachers, 1000000, "teachers to generate and import");
ABSL_FLAG(int, nominations, 50000, "teachers nominated through the API (-1: all imported)");
ABSL_FLAG(int, report_enrollments, 1000000,
          "enrollments of the year for the report; those beyond the API's nominations are written "
          "by SQL (the report reads counters, so how rows arrived does not change its cost)");
ABSL_FLAG(int, projects, 16, "projects of the bench year");
ABSL_FLAG(int, year, 2027, "the bench's plan year (its deadline must be ahead)");
ABSL_FLAG(int, concurrency, 32, "calls or transactions in flight");
ABSL_FLAG(double, raw_seconds, 10, "how long to measure raw inserts");
ABSL_FLAG(int, report_calls, 200, "rate report calls measured");

namespace {

namespace cat = ::peixun::catalog::v1;
namespace v1 = ::peixun::enrollment::v1;
using peixun::auth::Role;
using peixun::bench::Context;
using peixun::bench::CountiesByCity;
using peixun::bench::CpuSeconds;
using peixun::bench::Date;
using peixun::bench::Die;
using peixun::bench::Env;
using peixun::bench::PeakRssKb;
using peixun::bench::Percentile;
using peixun::bench::Token;

class Bench {
 public:
  Bench()
      : key_(Env("PEIXUN_TOKEN_KEY")),
        catalog_(cat::CatalogService::NewStub(grpc::CreateChannel(
            absl::GetFlag(FLAGS_catalog_target), grpc::InsecureChannelCredentials()))),
        year_(absl::GetFlag(FLAGS_year)),
        concurrency_(absl::GetFlag(FLAGS_concurrency)) {
    if (key_.empty()) Die("PEIXUN_TOKEN_KEY is not set");
    for (int i = 0; i < 4; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("bench.channel", i);  // distinct arguments: distinct connections
      enrollment_.push_back(v1::EnrollmentService::NewStub(grpc::CreateCustomChannel(
          absl::GetFlag(FLAGS_enrollment_target), grpc::InsecureChannelCredentials(), args)));
    }
    peixun::db::DbConfig db;
    db.host = Env("PEIXUN_DB_HOST", "127.0.0.1");
    db.port = std::stoi(Env("PEIXUN_DB_PORT", "3306"));
    db.user = Env("PEIXUN_TEST_DB_USER", "peixun_admin");
    db.password = Env("PEIXUN_TEST_DB_PASSWORD");
    db.database = "peixun_enrollment";
    db.pool_size = concurrency_ + 2;
    db.io_timeout = absl::Minutes(10);  // the seeding statement writes up to a million rows
    db_ = std::make_unique<peixun::db::ConnectionPool>(db, nullptr);
  }

  void SetUpCatalog() {
    std::ifstream file(absl::GetFlag(FLAGS_regions_csv));
    std::stringstream csv;
    csv << file.rdbuf();
    counties_by_city_ = CountiesByCity(csv.str());
    for (const auto& [city, counties] : counties_by_city_) {
      counties_.insert(counties_.end(), counties.begin(), counties.end());
    }
    if (counties_.empty()) Die("no counties in " + absl::GetFlag(FLAGS_regions_csv));
    const std::string admin = Token(key_, Role::kProvinceAdmin);
    auto call = [&](auto method, const auto& request, const std::string& token, auto* response) {
      grpc::Status status = ((*catalog_).*method)(Context(token).get(), request, response);
      if (!status.ok() && status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
        Die("catalog: " + status.error_message());
      }
    };
    cat::ImportRegionsRequest regions;
    regions.set_csv(csv.str());
    cat::ImportRegionsResponse imported;
    call(&cat::CatalogService::Stub::ImportRegions, regions, admin, &imported);
    cat::CreateYearRequest year;
    year.mutable_plan_year()->set_year(year_);
    *year.mutable_plan_year()->mutable_nomination_deadline() = Date(year_, 8, 31);
    cat::PlanYear plan_year;
    call(&cat::CatalogService::Stub::CreateYear, year, admin, &plan_year);
    cat::CreateCategoryRequest category;
    category.set_parent(absl::StrCat("years/", year_));
    category.set_category_id("bench");
    category.mutable_category()->set_display_name("基准测试培训");
    category.mutable_category()->set_plan_level(peixun::common::v1::PROVINCIAL);
    cat::ProjectCategory made_category;
    call(&cat::CatalogService::Stub::CreateCategory, category, admin, &made_category);
    cat::CreateHostRequest host;
    host.set_host_id("bench-host");
    host.mutable_host()->set_display_name("基准测试学院");
    cat::HostInstitution made_host;
    call(&cat::CatalogService::Stub::CreateHost, host, admin, &made_host);

    const int teachers = absl::GetFlag(FLAGS_teachers);
    const int projects = absl::GetFlag(FLAGS_projects);
    const int per_county =
        (teachers + static_cast<int>(counties_.size()) - 1) / static_cast<int>(counties_.size());
    seats_per_county_ = (per_county + projects - 1) / projects;
    for (int p = 0; p < projects; ++p) {
      const std::string id = absl::StrCat("bench-", p);
      cat::CreateProjectRequest project;
      project.set_parent(absl::StrCat("years/", year_));
      project.set_project_id(id);
      cat::Project& spec = *project.mutable_project();
      spec.set_display_name(absl::StrCat("基准测试项目 ", p + 1));
      spec.set_category(absl::StrCat("years/", year_, "/categories/bench"));
      spec.set_host("hosts/bench-host");
      spec.set_seats(seats_per_county_ * static_cast<int>(counties_.size()));
      spec.set_credit_hours(24);
      spec.mutable_format()->set_centralized_days(3);
      *spec.mutable_start_date() = Date(year_, 9, 1 + p);
      *spec.mutable_end_date() = Date(year_, 9, 3 + p);
      cat::Project made;
      call(&cat::CatalogService::Stub::CreateProject, project, admin, &made);
      project_names_.push_back(absl::StrCat("years/", year_, "/projects/", id));
      for (const auto& [city, counties] : counties_by_city_) {
        cat::AllocateQuotaRequest quota;
        quota.set_parent(project_names_.back());
        quota.set_region("regions/" + city);
        quota.set_seats(seats_per_county_ * static_cast<int>(counties.size()));
        cat::QuotaAllocation made_quota;
        call(&cat::CatalogService::Stub::AllocateQuota, quota, admin, &made_quota);
        for (const auto& county : counties) {
          cat::AllocateQuotaRequest county_quota;
          county_quota.set_parent(absl::StrCat(project_names_.back(), "/quotas/", city));
          county_quota.set_region("regions/" + county);
          county_quota.set_seats(seats_per_county_);
          call(&cat::CatalogService::Stub::AllocateQuota, county_quota, admin, &made_quota);
        }
      }
    }
    // Enrollment follows catalog's events; wait until its copy holds every county quota.
    const int64_t expected =
        static_cast<int64_t>(projects) * static_cast<int64_t>(counties_.size());
    for (int i = 0;; ++i) {
      int64_t copied = 0;
      (void)db_->RunRead([&](peixun::db::Connection& c) -> absl::Status {
        auto& select =
            c.Prepare("SELECT COUNT(*) FROM catalog_quotas WHERE year = ? AND seats > 0");
        select.setInt(1, year_);
        std::unique_ptr<sql::ResultSet> rows(select.executeQuery());
        rows->next();
        copied = rows->getInt64(1);
        return absl::OkStatus();
      });
      if (copied >= expected) break;
      if (i > 1200) Die("enrollment's copy of the catalog never caught up");
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  // Single-row durable insert transactions into a table shaped like enrollments.
  double RawInserts(int64_t* inserted) {
    (void)db_->RunRead([](peixun::db::Connection& c) -> absl::Status {
      c.Execute("CREATE DATABASE IF NOT EXISTS peixun_bench");
      c.Execute("DROP TABLE IF EXISTS peixun_bench.raw_inserts");
      c.Execute(
          "CREATE TABLE peixun_bench.raw_inserts (id VARCHAR(32) NOT NULL PRIMARY KEY, "
          "teacher_id VARCHAR(32) NOT NULL, year INT NOT NULL, project_id VARCHAR(63) NOT NULL, "
          "county_code VARCHAR(12) NOT NULL, state TINYINT NOT NULL) ENGINE=InnoDB");
      return absl::OkStatus();
    });
    std::atomic<bool> stop{false};
    std::atomic<int64_t> done{0};
    std::vector<std::thread> threads;
    const absl::Time start = absl::Now();
    threads.reserve(concurrency_);
    for (int t = 0; t < concurrency_; ++t) {
      threads.emplace_back([&, t] {
        while (!stop.load()) {
          absl::Status status =
              db_->RunInTransaction([&](peixun::db::Connection& c) -> absl::Status {
                auto& insert = c.Prepare(
                    "INSERT INTO peixun_bench.raw_inserts (id, teacher_id, year, project_id, "
                    "county_code, state) "
                    "VALUES (?, ?, ?, ?, ?, 1)");
                insert.setString(1, peixun::NewOrderedId("r"));
                insert.setString(2, peixun::NewOrderedId("t"));
                insert.setInt(3, year_);
                insert.setString(4, "bench-0");
                insert.setString(5, counties_[static_cast<size_t>(t) % counties_.size()]);
                insert.executeUpdate();
                return absl::OkStatus();
              });
          if (!status.ok()) Die("raw insert: " + std::string(status.message()));
          done.fetch_add(1);
        }
      });
    }
    absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_raw_seconds)));
    stop = true;
    for (auto& thread : threads) thread.join();
    *inserted = done.load();
    return static_cast<double>(done.load()) / absl::ToDoubleSeconds(absl::Now() - start);
  }

  // Streams the generated teachers; keeps each one's name for the nominations.
  void Import(double* rows_per_second, int64_t* created) {
    *rows_per_second = peixun::bench::ImportGeneratedTeachers(
        *enrollment_[0], Token(key_, Role::kProvinceAdmin), counties_,
        absl::GetFlag(FLAGS_teachers), &names_, created);
  }

  struct Nominations {
    double per_second = 0, p50_ms = 0, p99_ms = 0;
    int64_t accepted = 0, refused = 0;
  };
  Nominations Nominate() {
    int n = absl::GetFlag(FLAGS_nominations);
    if (n < 0 || n > static_cast<int>(names_.size())) n = static_cast<int>(names_.size());
    std::map<std::string, std::string> tokens;
    for (const auto& county : counties_) tokens[county] = Token(key_, Role::kCountyAdmin, county);
    std::atomic<int> next{0};
    std::atomic<int64_t> accepted{0}, refused{0};
    std::mutex mu;
    std::vector<double> latencies;
    std::vector<std::thread> threads;
    const absl::Time start = absl::Now();
    threads.reserve(concurrency_);
    for (int t = 0; t < concurrency_; ++t) {
      threads.emplace_back([&, t] {
        std::vector<double> mine;
        auto& stub = *enrollment_[static_cast<size_t>(t) % enrollment_.size()];
        for (int k = next.fetch_add(1); k < n; k = next.fetch_add(1)) {
          const size_t county = static_cast<size_t>(k) % counties_.size();
          const int serial = k / static_cast<int>(counties_.size());
          v1::NominateTeacherRequest request;
          request.set_project(project_names_[static_cast<size_t>(serial / seats_per_county_)]);
          request.set_teacher(names_[static_cast<size_t>(k)]);
          request.set_request_id(absl::StrCat("bench-nominate-", k));
          v1::Enrollment enrollment;
          const absl::Time sent = absl::Now();
          grpc::Status status =
              stub.NominateTeacher(Context(tokens[counties_[county]]).get(), request, &enrollment);
          mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - sent));
          if (status.ok()) {
            accepted.fetch_add(1);
          } else if (refused.fetch_add(1) < 5) {
            std::cerr << "nomination " << k << " refused: " << status.error_message() << "\n";
          }
        }
        std::lock_guard<std::mutex> lock(mu);
        latencies.insert(latencies.end(), mine.begin(), mine.end());
      });
    }
    for (auto& thread : threads) thread.join();
    Nominations out;
    out.per_second = n / absl::ToDoubleSeconds(absl::Now() - start);
    out.p50_ms = Percentile(latencies, 0.5);
    out.p99_ms = Percentile(latencies, 0.99);
    out.accepted = accepted;
    out.refused = refused;
    return out;
  }

  // Writes enrollments for teachers without one, by SQL, up to `total` in the bench year, in
  // assorted states, and recounts the year's counters with the migration's statement.
  void SeedEnrollments(int64_t total) {
    absl::Status status = db_->RunRead([&](peixun::db::Connection& c) -> absl::Status {
      std::unique_ptr<sql::ResultSet> count(
          c.Prepare("SELECT COUNT(*) FROM enrollments WHERE year = " + std::to_string(year_))
              .executeQuery());
      count->next();
      const int64_t missing = total - count->getInt64(1);
      if (missing <= 0) return absl::OkStatus();
      c.Execute(absl::StrFormat(
          "INSERT INTO enrollments (enrollment_id, teacher_id, year, project_id, county_code, "
          "state, rural) "
          "SELECT CONCAT('s', SUBSTR(t.teacher_id, 2)), t.teacher_id, %d, "
          "CONCAT('bench-', CONV(RIGHT(t.teacher_id, 2), 16, 10) %% %d), t.county_code, "
          "ELT(1 + CONV(RIGHT(t.teacher_id, 3), 16, 10) %% 5, %d, %d, %d, %d, %d), t.rural "
          "FROM teachers t WHERE NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.teacher_id = "
          "t.teacher_id) "
          "LIMIT %d",
          year_, absl::GetFlag(FLAGS_projects), v1::COMPLETED, v1::COMPLETED, v1::CHECKED_IN,
          v1::NO_SHOW, v1::NOT_COMPLETED, missing));
      c.Execute("DELETE FROM enrollment_outcomes WHERE year = " + std::to_string(year_));
      c.Execute(absl::StrCat(
          "INSERT INTO enrollment_outcomes (year, project_id, county_code, state, rural, total) "
          "SELECT year, project_id, county_code, state, rural, COUNT(*) FROM enrollments WHERE "
          "year = ",
          year_, " GROUP BY year, project_id, county_code, state, rural"));
      return absl::OkStatus();
    });
    if (!status.ok()) Die("seeding enrollments: " + std::string(status.message()));
  }

  // The county report of the bench year, one call at a time; checks it adds up.
  void Report(double* p50_ms, double* p99_ms, int64_t* nominated_in_report, int* rows) {
    const std::string viewer = Token(key_, Role::kViewer);
    v1::GetRateReportRequest request;
    request.set_year(absl::StrCat("years/", year_));
    request.set_scope(v1::GetRateReportRequest::COUNTY);
    std::vector<double> latencies;
    const int calls = absl::GetFlag(FLAGS_report_calls);
    for (int i = 0; i < calls + 5; ++i) {
      v1::RateReport report;
      const absl::Time sent = absl::Now();
      grpc::Status status = enrollment_[0]->GetRateReport(Context(viewer).get(), request, &report);
      const double ms = absl::ToDoubleMilliseconds(absl::Now() - sent);
      if (!status.ok()) Die("rate report: " + status.error_message());
      if (i >= 5) latencies.push_back(ms);  // the first calls warm connections and caches
      *nominated_in_report = 0;
      for (const auto& row : report.rows()) *nominated_in_report += row.nominated();
      *rows = report.rows_size();
    }
    *p50_ms = Percentile(latencies, 0.5);
    *p99_ms = Percentile(latencies, 0.99);
  }

 private:
  std::string key_;
  std::unique_ptr<cat::CatalogService::Stub> catalog_;
  std::vector<std::unique_ptr<v1::EnrollmentService::Stub>> enrollment_;
  std::unique_ptr<peixun::db::ConnectionPool> db_;
  const int year_;
  const int concurrency_;
  std::map<std::string, std::vector<std::string>> counties_by_city_;
  std::vector<std::string> counties_;
  std::vector<std::string> project_names_;
  int seats_per_county_ = 0;
  std::vector<std::string> names_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  Bench bench;
  auto phase = [](const char* name) { std::cerr << "enrollment_bench: " << name << "\n"; };
  phase("catalog year, projects and quotas");
  bench.SetUpCatalog();
  // The database's CPU time per row the raw inserts and the nominations write: a cost per unit
  // that moves less with the machine's other tenants than the rates do.
  const int db_pid = absl::GetFlag(FLAGS_database_pid);
  auto db_cpu = [db_pid] { return db_pid > 0 ? CpuSeconds(db_pid) : 0.0; };
  phase("raw inserts");
  const double raw_db_start = db_cpu();
  int64_t raw_count = 0;
  const double raw = bench.RawInserts(&raw_count);
  const double raw_db_us = raw_count > 0 ? (db_cpu() - raw_db_start) * 1e6 / raw_count : 0;
  phase("import");
  double import_rate = 0;
  int64_t created = 0;
  bench.Import(&import_rate, &created);
  const int pid = absl::GetFlag(FLAGS_enrollment_pid);
  const double import_peak_mb = pid > 0 ? PeakRssKb(pid) / 1024.0 : 0;
  phase("nominations");
  const double nominate_db_start = db_cpu();
  const double nominate_service_start = pid > 0 ? CpuSeconds(pid) : 0;
  auto nominations = bench.Nominate();
  const int64_t nominated_count = nominations.accepted + nominations.refused;
  const double nominate_db_us =
      nominated_count > 0 ? (db_cpu() - nominate_db_start) * 1e6 / nominated_count : 0;
  const double nominate_service_us =
      nominated_count > 0 && pid > 0
          ? (CpuSeconds(pid) - nominate_service_start) * 1e6 / nominated_count
          : 0;
  phase("enrollments for the report");
  const absl::Time seed_start = absl::Now();
  bench.SeedEnrollments(absl::GetFlag(FLAGS_report_enrollments));
  std::cerr << "enrollment_bench: seeded in " << absl::ToDoubleSeconds(absl::Now() - seed_start)
            << " s\n";
  phase("rate reports");
  double report_p50 = 0, report_p99 = 0;
  int64_t nominated = 0;
  int rows = 0;
  bench.Report(&report_p50, &report_p99, &nominated, &rows);
  std::cout
      << absl::StrFormat(
             "{\"scenario\": \"enrollment\", \"concurrency\": %d, \"raw_inserts_per_s\": %.0f, "
             "\"nominations_per_s\": %.0f, \"ratio\": %.3f, \"nominate_p50_ms\": %.2f, "
             "\"nominate_p99_ms\": %.2f, \"accepted\": %d, \"refused\": %d, "
             "\"teachers\": %d, \"created\": %d, \"import_rows_per_s\": %.0f, "
             "\"import_peak_rss_mb\": %.1f, \"enrollments_in_report\": %d, \"report_rows\": %d, "
             "\"report_p50_ms\": %.2f, \"report_p99_ms\": %.2f, \"peak_rss_mb\": %.1f, "
             "\"db_cpu_us_per_raw_insert\": %.0f, \"db_cpu_us_per_nomination\": %.0f, "
             "\"db_cpu_ratio\": %.3f, \"service_cpu_us_per_nomination\": %.0f}",
             absl::GetFlag(FLAGS_concurrency), raw, nominations.per_second,
             raw > 0 ? nominations.per_second / raw : 0, nominations.p50_ms, nominations.p99_ms,
             nominations.accepted, nominations.refused, absl::GetFlag(FLAGS_teachers), created,
             import_rate, import_peak_mb, nominated, rows, report_p50, report_p99,
             pid > 0 ? PeakRssKb(pid) / 1024.0 : 0, raw_db_us, nominate_db_us,
             nominate_db_us > 0 ? raw_db_us / nominate_db_us : 0, nominate_service_us)
      << std::endl;
  return nominations.refused == 0 ? 0 : 1;
}
