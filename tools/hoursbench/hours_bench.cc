// hours_bench: the credit-hour ledger at the province's size (issue 16), against a running
// catalog and enrollment service, ending with one JSON line (tools/bench hours starts them):
//   1. import: --teachers generated teachers over the counties of deploy/demo/regions.csv;
//   2. load: every teacher's school-based research of five school years (2020 to 2024) and one
//      workshop session through RegisterHours, 1,000 rows a call, --concurrency calls in flight
//      (entries a second over the whole load);
//   3. GetCycleProgress of --progress_calls random teachers, one at a time (p50, p99);
//   4. the largest county's whole at-risk list (ListAtRiskTeachers, every page), --list_calls
//      times (p50, p99 of the whole list);
//   5. enrollment's peak RSS.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "tools/benchsupport/bench_support.h"
#include "tools/benchsupport/generated_teachers.h"

ABSL_FLAG(std::string, catalog_target, "127.0.0.1:50051", "catalog address");
ABSL_FLAG(std::string, enrollment_target, "127.0.0.1:50052", "enrollment address");
ABSL_FLAG(int, enrollment_pid, 0, "enrollment's process id, for its peak RSS");
ABSL_FLAG(std::string, regions_csv, "deploy/demo/regions.csv", "regions to create");
ABSL_FLAG(int, teachers, 1000000, "teachers to generate and import");
ABSL_FLAG(int, concurrency, 4, "RegisterHours calls in flight");
ABSL_FLAG(int, progress_calls, 2000, "GetCycleProgress calls measured");
ABSL_FLAG(int, list_calls, 20, "whole at-risk lists measured");

namespace cat = ::peixun::catalog::v1;
namespace v1 = ::peixun::enrollment::v1;
using peixun::auth::Role;
using peixun::bench::Context;
using peixun::bench::Date;
using peixun::bench::Die;
using peixun::bench::Env;
using peixun::bench::PeakRssKb;
using peixun::bench::Percentile;
using peixun::bench::Token;

namespace {

constexpr int kRowsPerCall = 1000;
constexpr int kRowsPerTeacher = 6;  // five school years of research, one workshop session

class Bench {
 public:
  Bench()
      : key_(Env("PEIXUN_TOKEN_KEY")),
        catalog_(cat::CatalogService::NewStub(grpc::CreateChannel(
            absl::GetFlag(FLAGS_catalog_target), grpc::InsecureChannelCredentials()))) {
    if (key_.empty()) Die("PEIXUN_TOKEN_KEY is not set");
    for (int i = 0; i < 4; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("bench.channel", i);  // distinct arguments: distinct connections
      enrollment_.push_back(v1::EnrollmentService::NewStub(grpc::CreateCustomChannel(
          absl::GetFlag(FLAGS_enrollment_target), grpc::InsecureChannelCredentials(), args)));
    }
  }

  void ImportRegions() {
    std::ifstream file(absl::GetFlag(FLAGS_regions_csv));
    std::stringstream csv;
    csv << file.rdbuf();
    for (const auto& [city, counties] : peixun::bench::CountiesByCity(csv.str()))
      counties_.insert(counties_.end(), counties.begin(), counties.end());
    if (counties_.empty()) Die("no counties in " + absl::GetFlag(FLAGS_regions_csv));
    cat::ImportRegionsRequest request;
    request.set_csv(csv.str());
    cat::ImportRegionsResponse response;
    grpc::Status status = catalog_->ImportRegions(Context(Token(key_, Role::kProvinceAdmin)).get(),
                                                  request, &response);
    if (!status.ok()) Die("catalog ImportRegions: " + status.error_message());
  }

  double Import(int64_t* created) {
    return peixun::bench::ImportGeneratedTeachers(*enrollment_[0],
                                                  Token(key_, Role::kProvinceAdmin), counties_,
                                                  absl::GetFlag(FLAGS_teachers), &names_, created);
  }

  // Every teacher's rows, by county, 1,000 a call; returns entries registered a second.
  double Load(int64_t* registered) {
    // Teacher k is in county k mod the number of counties.
    std::vector<std::vector<int>> by_county(counties_.size());
    for (size_t k = 0; k < names_.size(); ++k)
      by_county[k % counties_.size()].push_back(static_cast<int>(k));
    struct Call {
      size_t county;
      size_t begin;  // into by_county[county]
    };
    std::vector<Call> calls;
    const size_t per_call = kRowsPerCall / kRowsPerTeacher;
    for (size_t c = 0; c < by_county.size(); ++c) {
      for (size_t b = 0; b < by_county[c].size(); b += per_call) calls.push_back({c, b});
    }
    std::atomic<size_t> next{0};
    std::atomic<int64_t> done{0};
    const absl::Time start = absl::Now();
    std::vector<std::thread> workers;
    workers.reserve(static_cast<size_t>(absl::GetFlag(FLAGS_concurrency)));
    for (int w = 0; w < absl::GetFlag(FLAGS_concurrency); ++w) {
      workers.emplace_back([&, w] {
        std::map<size_t, std::string> tokens;
        for (size_t i = next++; i < calls.size(); i = next++) {
          const Call& call = calls[i];
          const std::string& county = counties_[call.county];
          auto token = tokens.find(call.county);
          if (token == tokens.end())
            token = tokens.emplace(call.county, Token(key_, Role::kCountyAdmin, county)).first;
          v1::RegisterHoursRequest request;
          request.set_county("regions/" + county);
          const auto& teachers = by_county[call.county];
          for (size_t t = call.begin; t < std::min(teachers.size(), call.begin + per_call); ++t) {
            const std::string& teacher = names_[static_cast<size_t>(teachers[t])];
            for (int year = 2020; year <= 2024; ++year) {
              auto* row = request.add_reports();
              row->set_teacher(teacher);
              row->set_source_kind(v1::HourEntry::SCHOOL_RESEARCH);
              row->set_credit_hours(24);
              *row->mutable_date() = Date(year + 1, 6, 30);
              row->set_description(absl::StrCat(year, "学年校本研修"));
            }
            auto* row = request.add_reports();
            row->set_teacher(teacher);
            row->set_source_kind(v1::HourEntry::WORKSHOP);
            row->set_days(2);
            row->set_session(absl::StrCat("bench-", county));
            row->set_plan_level(peixun::common::v1::COUNTY);
            *row->mutable_date() = Date(2024, 5, 10);
          }
          v1::RegisterHoursResponse response;
          grpc::Status status =
              enrollment_[static_cast<size_t>(w) % enrollment_.size()]->RegisterHours(
                  Context(token->second, 120).get(), request, &response);
          if (!status.ok()) Die("RegisterHours: " + status.error_message());
          for (const auto& r : response.results()) {
            if (r.outcome() != v1::HoursReportResult::REGISTERED &&
                r.outcome() != v1::HoursReportResult::ALREADY_REGISTERED)
              Die("RegisterHours row: " + r.reason());
          }
          done += response.results_size();
        }
      });
    }
    for (auto& w : workers) w.join();
    *registered = done;
    return static_cast<double>(done) / absl::ToDoubleSeconds(absl::Now() - start);
  }

  void Progress(double* p50, double* p99) {
    std::mt19937 random(7);
    std::vector<double> ms;
    const std::string admin = Token(key_, Role::kProvinceAdmin);
    for (int i = 0; i < absl::GetFlag(FLAGS_progress_calls); ++i) {
      v1::GetCycleProgressRequest request;
      request.set_teacher(names_[random() % names_.size()]);
      v1::CycleProgress answer;
      const absl::Time start = absl::Now();
      grpc::Status status =
          enrollment_[0]->GetCycleProgress(Context(admin).get(), request, &answer);
      ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      if (!status.ok()) Die("GetCycleProgress: " + status.error_message());
      if (answer.credit_hours() != 5 * 24 + 12) Die("GetCycleProgress: unexpected hours");
    }
    *p50 = Percentile(ms, 0.5);
    *p99 = Percentile(ms, 0.99);
  }

  // The first county (the largest: teachers are dealt round the counties in order).
  void AtRiskList(double* p50, double* p99, int* teachers) {
    const std::string& county = counties_.front();
    const std::string clerk = Token(key_, Role::kCountyAdmin, county);
    std::vector<double> ms;
    for (int i = 0; i < absl::GetFlag(FLAGS_list_calls); ++i) {
      const absl::Time start = absl::Now();
      std::string page_token;
      int listed = 0;
      do {
        v1::ListAtRiskTeachersRequest request;
        request.set_county("regions/" + county);
        request.set_page_size(1000);
        request.set_page_token(page_token);
        v1::ListAtRiskTeachersResponse page;
        grpc::Status status =
            enrollment_[0]->ListAtRiskTeachers(Context(clerk).get(), request, &page);
        if (!status.ok()) Die("ListAtRiskTeachers: " + status.error_message());
        listed += page.teachers_size();
        page_token = page.next_page_token();
      } while (!page_token.empty());
      ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      *teachers = listed;
    }
    *p50 = Percentile(ms, 0.5);
    *p99 = Percentile(ms, 0.99);
  }

 private:
  std::string key_;
  std::unique_ptr<cat::CatalogService::Stub> catalog_;
  std::vector<std::unique_ptr<v1::EnrollmentService::Stub>> enrollment_;
  std::vector<std::string> counties_;
  std::vector<std::string> names_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  Bench bench;
  auto phase = [](const char* name) { std::cerr << "hours_bench: " << name << "\n"; };
  phase("regions");
  bench.ImportRegions();
  phase("import teachers");
  int64_t created = 0;
  const double import_rate = bench.Import(&created);
  phase("load the ledger through RegisterHours");
  int64_t registered = 0;
  const double load_rate = bench.Load(&registered);
  phase("cycle progress");
  double progress_p50 = 0, progress_p99 = 0;
  bench.Progress(&progress_p50, &progress_p99);
  phase("at-risk lists");
  double list_p50 = 0, list_p99 = 0;
  int listed = 0;
  bench.AtRiskList(&list_p50, &list_p99, &listed);
  const int pid = absl::GetFlag(FLAGS_enrollment_pid);
  std::cout << absl::StrFormat(
                   "{\"scenario\": \"hours\", \"teachers\": %d, \"created\": %d, "
                   "\"import_rows_per_s\": %.0f, \"entries\": %d, \"concurrency\": %d, "
                   "\"entries_per_s\": %.0f, \"progress_p50_ms\": %.2f, \"progress_p99_ms\": %.2f, "
                   "\"at_risk_county_teachers\": %d, \"at_risk_list_p50_ms\": %.1f, "
                   "\"at_risk_list_p99_ms\": %.1f, \"peak_rss_mb\": %.1f}",
                   absl::GetFlag(FLAGS_teachers), created, import_rate, registered,
                   absl::GetFlag(FLAGS_concurrency), load_rate, progress_p50, progress_p99, listed,
                   list_p50, list_p99, pid > 0 ? PeakRssKb(pid) / 1024.0 : 0)
            << std::endl;
  return 0;
}
