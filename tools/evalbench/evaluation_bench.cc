// evaluation_bench: the figures of issue 4 against running catalog, enrollment and evaluation
// services, ending with one JSON line (tools/bench evaluation starts everything):
//   1. setting up (not timed): a plan year with one project and a quota in every county;
//      teachers imported, nominated, checked in, completed, dismissed or absent, so that each
//      county's rates differ; a round over --counties counties on the shipped project-county
//      rubric, --experts experts assigned to each and every leaf scored by each;
//   2. timed: ComputeDeductions (the county rates fetched from enrollment), ComputeResults and
//      PublishRound: the time to compute and publish all results;
//   3. ExplainResult for random counties, one call at a time: p50 and p99.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/auth/identity.h"
#include "grpcpp/create_channel.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "peixun/evaluation/v1/evaluation.grpc.pb.h"
#include "peixun/funding/v1/funding.grpc.pb.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "services/evaluation/domain/evaluation_rules.h"
#include "tools/benchsupport/bench_support.h"

ABSL_FLAG(std::string, catalog_target, "127.0.0.1:50051", "catalog address");
ABSL_FLAG(std::string, enrollment_target, "127.0.0.1:50052", "enrollment address");
ABSL_FLAG(std::string, funding_target, "127.0.0.1:50054", "funding address");
ABSL_FLAG(std::string, evaluation_target, "127.0.0.1:50053", "evaluation address");
ABSL_FLAG(int, evaluation_pid, 0, "evaluation's process id, for its peak RSS");
ABSL_FLAG(std::string, regions_csv, "deploy/demo/regions.csv",
          "regions to create (more counties are made up)");
ABSL_FLAG(int, counties, 158, "counties in the round");
ABSL_FLAG(int, experts, 5, "experts scoring each county");
ABSL_FLAG(int, year, 2027, "the bench's plan year (its nomination deadline must be ahead)");
ABSL_FLAG(int, explain_calls, 2000, "ExplainResult calls measured");
ABSL_FLAG(int, threads, 8, "calls in flight while setting up");

namespace {

namespace cat = ::peixun::catalog::v1;
namespace enr = ::peixun::enrollment::v1;
namespace v1 = ::peixun::evaluation::v1;
namespace fnd = ::peixun::funding::v1;
using peixun::auth::Role;
using peixun::bench::Context;
using peixun::bench::Date;
using peixun::bench::Die;
using peixun::bench::Env;
using peixun::bench::PeakRssKb;
using peixun::bench::Percentile;
using peixun::bench::Token;

void Check(const grpc::Status& status, const std::string& what) {
  if (!status.ok() && status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
    Die(absl::StrCat(what, ": ", status.error_message()));
  }
}

// Runs f(i) for i in [0, n) on `threads` threads.
void Parallel(int n, int threads, const std::function<void(int)>& f) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) f(i);
    });
  }
  for (auto& t : pool) t.join();
}

struct County {
  std::string code;
  std::string city;
};

class Bench {
 public:
  Bench()
      : key_(Env("PEIXUN_TOKEN_KEY")),
        year_(absl::GetFlag(FLAGS_year)),
        threads_(absl::GetFlag(FLAGS_threads)),
        catalog_(cat::CatalogService::NewStub(grpc::CreateChannel(
            absl::GetFlag(FLAGS_catalog_target), grpc::InsecureChannelCredentials()))),
        enrollment_(enr::EnrollmentService::NewStub(grpc::CreateChannel(
            absl::GetFlag(FLAGS_enrollment_target), grpc::InsecureChannelCredentials()))),
        funding_(fnd::FundingService::NewStub(grpc::CreateChannel(
            absl::GetFlag(FLAGS_funding_target), grpc::InsecureChannelCredentials()))),
        evaluation_(v1::EvaluationService::NewStub(grpc::CreateChannel(
            absl::GetFlag(FLAGS_evaluation_target), grpc::InsecureChannelCredentials()))),
        admin_(Token(key_, Role::kProvinceAdmin)) {
    if (key_.empty()) Die("PEIXUN_TOKEN_KEY is not set");
  }

  // Regions from the CSV, with made-up counties added until there are --counties.
  void SetUpCatalog() {
    std::ifstream file(absl::GetFlag(FLAGS_regions_csv));
    std::stringstream read;
    read << file.rdbuf();
    std::string csv = read.str();
    std::vector<std::string> cities;
    std::istringstream lines(csv);
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) {
      std::vector<std::string> f = absl::StrSplit(line, ',');
      if (f.size() < 4) continue;
      if (f[3] == "city") cities.push_back(f[0]);
      if (f[3] == "county" && static_cast<int>(counties_.size()) < absl::GetFlag(FLAGS_counties)) {
        counties_.push_back({f[0], f[2]});
      }
    }
    if (cities.empty()) Die("no cities in " + absl::GetFlag(FLAGS_regions_csv));
    for (int extra = 0; static_cast<int>(counties_.size()) < absl::GetFlag(FLAGS_counties);
         ++extra) {
      const std::string& city = cities[static_cast<size_t>(extra) % cities.size()];
      County county{absl::StrFormat("%s%02d", city, 90 + extra / static_cast<int>(cities.size())),
                    city};
      // As many columns as the file's header has (directly_administered: R-1a, R-1b).
      absl::StrAppend(&csv, county.code, ",评估县", extra + 1, ",", city, ",county",
                      absl::StrContains(csv.substr(0, csv.find('\n')), "directly_administered")
                          ? ",false\n"
                          : "\n");
      counties_.push_back(county);
    }
    cat::ImportRegionsRequest regions;
    regions.set_csv(csv);
    cat::ImportRegionsResponse imported;
    Check(catalog_->ImportRegions(Context(admin_).get(), regions, &imported), "ImportRegions");

    cat::CreateYearRequest year;
    year.mutable_plan_year()->set_year(year_);
    *year.mutable_plan_year()->mutable_nomination_deadline() = Date(year_, 8, 31);
    cat::PlanYear plan_year;
    Check(catalog_->CreateYear(Context(admin_).get(), year, &plan_year), "CreateYear");
    cat::CreateCategoryRequest category;
    category.set_parent(absl::StrCat("years/", year_));
    category.set_category_id("county-backbone");
    category.mutable_category()->set_display_name("项目县骨干教师培训");
    category.mutable_category()->set_plan_level(peixun::common::v1::NATIONAL);
    cat::ProjectCategory made_category;
    Check(catalog_->CreateCategory(Context(admin_).get(), category, &made_category),
          "CreateCategory");
    cat::CreateHostRequest host;
    host.set_host_id("henu");
    host.mutable_host()->set_display_name("河南大学");
    cat::HostInstitution made_host;
    Check(catalog_->CreateHost(Context(admin_).get(), host, &made_host), "CreateHost");
    cat::CreateProjectRequest project;
    project.set_parent(absl::StrCat("years/", year_));
    project.set_project_id("county-backbone");
    auto* p = project.mutable_project();
    p->set_display_name("项目县骨干教师培训");
    p->set_category(absl::StrCat("years/", year_, "/categories/county-backbone"));
    p->set_host("hosts/henu");
    p->set_seats(kSeats * static_cast<int>(counties_.size()));
    p->set_credit_hours(80);
    p->mutable_format()->set_centralized_days(10);
    *p->mutable_start_date() = Date(year_, 9, 1);
    *p->mutable_end_date() = Date(year_, 9, 10);
    cat::Project made_project;
    Check(catalog_->CreateProject(Context(admin_).get(), project, &made_project), "CreateProject");
    project_ = absl::StrCat("years/", year_, "/projects/county-backbone");
    std::map<std::string, int> per_city;
    for (const auto& c : counties_) per_city[c.city] += kSeats;
    for (const auto& [city, seats] : per_city) {
      cat::AllocateQuotaRequest quota;
      quota.set_parent(project_);
      quota.set_region("regions/" + city);
      quota.set_seats(seats);
      cat::QuotaAllocation made;
      Check(catalog_->AllocateQuota(Context(admin_).get(), quota, &made), "AllocateQuota city");
    }
    Parallel(static_cast<int>(counties_.size()), threads_, [&](int i) {
      cat::AllocateQuotaRequest quota;
      quota.set_parent(absl::StrCat(project_, "/quotas/", counties_[i].city));
      quota.set_region("regions/" + counties_[i].code);
      quota.set_seats(kSeats);
      cat::QuotaAllocation made;
      Check(catalog_->AllocateQuota(Context(admin_).get(), quota, &made), "AllocateQuota county");
    });
  }

  // County i nominates 5 + i % 4 of its 10 seats; one in three counties has a no-show, one in
  // five a dismissal; everyone else completes.
  void RunEnrollment() {
    for (int attempt = 0;; ++attempt) {  // enrollment follows catalog's events
      enr::GetRateReportRequest request;
      request.set_year(absl::StrCat("years/", year_));
      request.set_scope(enr::GetRateReportRequest::COUNTY);
      enr::RateReport report;
      grpc::Status status = enrollment_->GetRateReport(Context(admin_).get(), request, &report);
      int with_quota = 0;
      for (const auto& row : report.rows()) with_quota += row.quota() > 0 ? 1 : 0;
      if (status.ok() && with_quota >= static_cast<int>(counties_.size())) break;
      if (attempt > 600) Die("enrollment's copy of the catalog never caught up");
      absl::SleepFor(absl::Milliseconds(100));
    }
    const std::string host = Token(key_, Role::kHost, "", "hosts/henu");
    Parallel(static_cast<int>(counties_.size()), threads_, [&](int i) {
      const std::string& county = counties_[i].code;
      const std::string clerk = Token(key_, Role::kCountyAdmin, county);
      const int nominated = 5 + i % 4;
      auto context = Context(clerk);
      auto stream = enrollment_->ImportTeachers(context.get());
      for (int k = 0; k < nominated; ++k) {
        enr::ImportTeachersRequest row;
        auto* t = row.mutable_teacher();
        const std::string first17 = absl::StrFormat("%s1980%02d%02d%03d", county, 1 + k, 1 + k, k);
        t->set_id_number(first17 + peixun::enrollment::domain::IdCheckCharacter(first17));
        t->set_display_name(absl::StrCat("教师", county, "-", k));
        t->set_school("第一中学");
        t->set_county("regions/" + county);
        t->set_stage(peixun::common::v1::JUNIOR_SECONDARY);
        t->add_subjects("数学");
        t->set_rural(true);
        t->set_teaching_since_year(2005);
        row.set_row_id(std::to_string(k));
        stream->Write(row);
      }
      stream->WritesDone();
      std::vector<std::string> teachers;
      enr::ImportTeacherResult result;
      while (stream->Read(&result)) teachers.push_back(result.teacher());
      Check(stream->Finish(), "ImportTeachers");
      for (size_t k = 0; k < teachers.size(); ++k) {
        enr::NominateTeacherRequest nominate;
        nominate.set_project(project_);
        nominate.set_teacher(teachers[k]);
        nominate.set_request_id(absl::StrCat("bench-", county, "-", k));
        enr::Enrollment e;
        Check(enrollment_->NominateTeacher(Context(clerk).get(), nominate, &e), "NominateTeacher");
        enr::TransitionRequest move;
        move.set_name(e.name());
        move.set_reason("评估基准");
        if (k == 0 && i % 3 == 0) {
          enr::MarkNoShowRequest no_show;
          no_show.set_name(e.name());
          Check(enrollment_->MarkNoShow(Context(host).get(), no_show, &e), "MarkNoShow");
          continue;
        }
        Check(enrollment_->CheckIn(Context(host).get(), move, &e), "CheckIn");
        if (k == 1 && i % 5 == 0) {
          Check(enrollment_->Dismiss(Context(host).get(), move, &e), "Dismiss");
        } else {
          Check(enrollment_->Complete(Context(host).get(), move, &e), "Complete");
        }
      }
    });
  }

  // A round over every county on the shipped rubric; experts from other counties; scores by
  // county quality (70% to 99.7% of each maximum) with experts at most 2.0 points apart.
  void ScoreRound() {
    // Every county is a project county (funding owns that status; the round asks, R-27).
    Parallel(static_cast<int>(counties_.size()), threads_, [&](int i) {
      fnd::DesignateProjectCountyRequest designate;
      designate.set_county("regions/" + counties_[i].code);
      designate.set_from_year(year_ - 1);
      fnd::ProjectCounty designated;
      Check(funding_->DesignateProjectCounty(Context(admin_).get(), designate, &designated),
            "DesignateProjectCounty");
    });
    v1::GetRubricVersionRequest get;
    get.set_name("rubrics/project-county/versions/latest");
    Check(evaluation_->GetRubricVersion(Context(admin_).get(), get, &rubric_), "GetRubricVersion");
    v1::CreateRoundRequest create;
    create.set_parent(absl::StrCat("years/", year_));
    create.set_round_id("county-bench");
    create.set_request_id("county-bench");
    create.mutable_round()->set_display_name(absl::StrCat(year_, " 年项目县绩效评价（基准）"));
    create.mutable_round()->set_rubric_version(rubric_.name());
    create.mutable_round()->set_disagreement_threshold_tenths(30);
    for (const auto& c : counties_) create.mutable_round()->add_counties("regions/" + c.code);
    v1::Round round;
    Check(evaluation_->CreateRound(Context(admin_).get(), create, &round), "CreateRound");
    round_ = round.name();
    const int experts = absl::GetFlag(FLAGS_experts);
    const int n = static_cast<int>(counties_.size());
    const auto leaves = peixun::evaluation::domain::Leaves(rubric_);
    Parallel(n, threads_, [&](int i) {
      const double quality = 0.70 + 0.297 * ((i * 37) % 100) / 100.0;
      for (int j = 0; j < experts; ++j) {
        // Expert j of county i works in the county (i + 1 + j) places on (never county i).
        const County& home = counties_[static_cast<size_t>((i + 1 + j) % n)];
        const std::string expert = absl::StrCat("expert-", i, "-", j);
        v1::AssignExpertRequest assign;
        assign.set_round(round_);
        assign.set_request_id(absl::StrCat("assign-", i, "-", j));
        assign.mutable_assignment()->set_county("regions/" + counties_[i].code);
        assign.mutable_assignment()->set_expert(expert);
        assign.mutable_assignment()->set_expert_region("regions/" + home.code);
        v1::Assignment made;
        Check(evaluation_->AssignExpert(Context(admin_).get(), assign, &made), "AssignExpert");
        v1::SubmitScoresRequest submit;
        submit.set_round(round_);
        submit.set_county("regions/" + counties_[i].code);
        submit.set_request_id(absl::StrCat("scores-", i, "-", j));
        for (const auto& [code, leaf] : leaves) {
          auto* score = submit.add_scores();
          score->set_indicator(code);
          const int value = static_cast<int>(std::lround(leaf->max_score_tenths() * quality)) +
                            (j - experts / 2) * 5;
          score->set_score_tenths(std::clamp(value, 0, leaf->max_score_tenths()));
          score->set_comment("材料齐全，现场核实");
          score->set_evidence(j % 2 == 0 ? v1::MATERIAL_REVIEW : v1::ON_SITE);
        }
        v1::ScoreSheet sheet;
        Check(evaluation_->SubmitScores(
                  Context(Token(key_, Role::kExpert, home.code, "", expert)).get(), submit, &sheet),
              "SubmitScores");
        scores_ += sheet.scores_size();
      }
    });
  }

  struct Timings {
    double deductions_ms = 0, compute_ms = 0, publish_ms = 0;
    int deductions = 0;
    std::map<v1::Grade, int> grades;
  };

  Timings ComputeAndPublish() {
    Timings t;
    absl::Time start = absl::Now();
    v1::ComputeDeductionsRequest deduct;
    deduct.set_round(round_);
    v1::ComputeDeductionsResponse deductions;
    Check(evaluation_->ComputeDeductions(Context(admin_).get(), deduct, &deductions),
          "ComputeDeductions");
    t.deductions = deductions.deductions_size();
    absl::Time computed_deductions = absl::Now();
    v1::ComputeResultsRequest compute;
    compute.set_round(round_);
    v1::ComputeResultsResponse results;
    Check(evaluation_->ComputeResults(Context(admin_).get(), compute, &results), "ComputeResults");
    absl::Time computed = absl::Now();
    v1::PublishRoundRequest publish;
    publish.set_round(round_);
    v1::Round round;
    Check(evaluation_->PublishRound(Context(admin_).get(), publish, &round), "PublishRound");
    absl::Time published = absl::Now();
    t.deductions_ms = absl::ToDoubleMilliseconds(computed_deductions - start);
    t.compute_ms = absl::ToDoubleMilliseconds(computed - computed_deductions);
    t.publish_ms = absl::ToDoubleMilliseconds(published - computed);
    for (const auto& r : results.results()) t.grades[r.grade()]++;
    if (results.results_size() != static_cast<int>(counties_.size())) Die("results are missing");
    return t;
  }

  std::vector<double> Explain() {
    std::mt19937 random(42);
    std::vector<double> latencies;
    const int calls = absl::GetFlag(FLAGS_explain_calls);
    for (int k = 0; k < calls; ++k) {
      v1::ExplainResultRequest request;
      request.set_name(
          absl::StrCat(round_, "/results/", counties_[random() % counties_.size()].code));
      v1::ResultExplanation explanation;
      absl::Time start = absl::Now();
      Check(evaluation_->ExplainResult(Context(admin_).get(), request, &explanation),
            "ExplainResult");
      latencies.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      if (explanation.lines_size() != 21) Die("an explanation is missing lines");
    }
    return latencies;
  }

  int counties() const { return static_cast<int>(counties_.size()); }
  int indicators() const {
    return static_cast<int>(peixun::evaluation::domain::Leaves(rubric_).size());
  }
  int scores() const { return scores_.load(); }

 private:
  static constexpr int kSeats = 10;
  std::string key_;
  int year_;
  int threads_;
  std::unique_ptr<cat::CatalogService::Stub> catalog_;
  std::unique_ptr<enr::EnrollmentService::Stub> enrollment_;
  std::unique_ptr<fnd::FundingService::Stub> funding_;
  std::unique_ptr<v1::EvaluationService::Stub> evaluation_;
  std::string admin_;
  std::vector<County> counties_;
  std::string project_;
  v1::RubricVersion rubric_;
  std::string round_;
  std::atomic<int> scores_{0};
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  Bench bench;
  absl::Time start = absl::Now();
  bench.SetUpCatalog();
  bench.RunEnrollment();
  std::cerr << "evaluation_bench: catalog and enrollment ready in "
            << absl::ToDoubleSeconds(absl::Now() - start) << " s\n";
  start = absl::Now();
  bench.ScoreRound();
  std::cerr << "evaluation_bench: " << bench.scores() << " scores in "
            << absl::ToDoubleSeconds(absl::Now() - start) << " s\n";
  const Bench::Timings t = bench.ComputeAndPublish();
  const std::vector<double> explain = bench.Explain();
  const int pid = absl::GetFlag(FLAGS_evaluation_pid);
  std::cout
      << absl::StrFormat(
             "{\"scenario\": \"evaluation\", \"counties\": %d, \"indicators\": %d, "
             "\"experts_per_county\": %d, "
             "\"scores\": %d, \"deductions\": %d, \"deductions_ms\": %.1f, \"compute_ms\": %.1f, "
             "\"publish_ms\": %.1f, \"compute_and_publish_ms\": %.1f, \"explain_calls\": %d, "
             "\"explain_p50_ms\": %.2f, \"explain_p99_ms\": %.2f, \"excellent\": %d, "
             "\"qualified\": %d, "
             "\"unqualified\": %d, \"evaluation_peak_rss_mb\": %.1f}",
             bench.counties(), bench.indicators(), absl::GetFlag(FLAGS_experts), bench.scores(),
             t.deductions, t.deductions_ms, t.compute_ms, t.publish_ms,
             t.deductions_ms + t.compute_ms + t.publish_ms, static_cast<int>(explain.size()),
             Percentile(explain, 0.5), Percentile(explain, 0.99),
             t.grades.count(v1::EXCELLENT) ? t.grades.at(v1::EXCELLENT) : 0,
             t.grades.count(v1::QUALIFIED) ? t.grades.at(v1::QUALIFIED) : 0,
             t.grades.count(v1::UNQUALIFIED) ? t.grades.at(v1::UNQUALIFIED) : 0,
             pid > 0 ? PeakRssKb(pid) / 1024.0 : 0.0)
      << std::endl;
  return 0;
}
