#include "tools/year/year_driver.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/auth/identity.h"
#include "common/metrics/metrics.h"
#include "common/util/clock.h"
#include "common/util/names.h"
#include "common/util/status.h"
#include "grpcpp/create_channel.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "services/evaluation/domain/evaluation_rules.h"
#include "tools/benchsupport/bench_support.h"

namespace peixun::year {

namespace cat = ::peixun::catalog::v1;
namespace enr = ::peixun::enrollment::v1;
namespace ev = ::peixun::evaluation::v1;
namespace fnd = ::peixun::funding::v1;
using auth::Role;

namespace {

constexpr int kPageSize = 1000;

using bench::Date;
using bench::Token;

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  return bench::Context(token, 120);
}

absl::Status Failed(const grpc::Status& status, const std::string& what) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

// OK, or ALREADY_EXISTS when a step of an earlier run made the same thing.
bool Made(const grpc::Status& status) {
  return status.ok() || status.error_code() == grpc::StatusCode::ALREADY_EXISTS;
}

absl::CivilDay Day(const common::v1::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}

// Runs f(i) for i in [0, n) on `threads` threads; the first error wins.
absl::Status Parallel(int n, int threads, const std::function<absl::Status(int)>& f) {
  std::atomic<int> next{0};
  absl::Mutex mu;
  absl::Status first;
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, threads); ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        absl::Status s = f(i);
        if (!s.ok()) {
          absl::MutexLock lock(&mu);
          if (first.ok()) first = s;
          next = n;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  return first;
}

// Columns of Chinese text take two cells.
int DisplayWidth(const std::string& s) {
  int width = 0;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    width += len >= 3 ? 2 : 1;
    i += static_cast<size_t>(len);
  }
  return width;
}

std::string Pad(const std::string& s, int width, bool right = false) {
  const std::string fill(static_cast<size_t>(std::max(0, width - DisplayWidth(s))), ' ');
  return right ? fill + s : s + fill;
}

std::string Percent(int bp) { return absl::StrFormat("%.1f%%", bp / 100.0); }
std::string Points(int tenths) { return absl::StrFormat("%.1f", tenths / 10.0); }
std::string Wan(int64_t fen) {
  return absl::StrFormat("%.1f", static_cast<double>(fen) / 1000000.0);
}  // 万元

const char* GradeLabel(ev::Grade g) {
  switch (g) {
    case ev::EXCELLENT:
      return "优秀";
    case ev::QUALIFIED:
      return "合格";
    case ev::UNQUALIFIED:
      return "不合格";
    default:
      return "-";
  }
}

const char* TierLabel(fnd::Tier t) {
  switch (t) {
    case fnd::HIGH:
      return "HIGH";
    case fnd::STANDARD:
      return "STANDARD";
    case fnd::REVOKED:
      return "REVOKED";
    default:
      return "-";
  }
}

}  // namespace

struct YearDriver::Stubs {
  std::unique_ptr<cat::CatalogService::Stub> catalog;
  std::unique_ptr<enr::EnrollmentService::Stub> enrollment;
  std::unique_ptr<ev::EvaluationService::Stub> evaluation;
  std::unique_ptr<fnd::FundingService::Stub> funding;
  std::string admin;
};

// What the year is made of, read back from the services, and the nominations planned on it.
class YearDriver::Planner {
 public:
  enum class Outcome { kComplete, kNoShow, kDismiss, kNotComplete };
  struct Nomination {
    std::string project;
    std::string host;
    std::string teacher;
    Outcome outcome = Outcome::kComplete;
    bool national = false;  // a 国培 project: its facts are deducted
    bool bars = false;  // a 国培 or 省培 project: an outcome other than completion bars
    bool found_ineligible = false;  // the host finds the trainee ineligible at 报到
    std::string enrollment;         // once nominated
  };
  struct CountyWork {
    std::vector<Nomination> nominations;
    std::optional<std::pair<std::string, std::string>> ineligible;  // project, teacher
  };

  std::map<std::string, cat::Region> regions;                              // by code
  std::map<std::string, cat::Project> projects;                            // by name
  std::map<std::string, std::vector<cat::QuotaAllocation>> county_quotas;  // by county code
  std::map<std::string, std::vector<enr::Teacher>> teachers;               // by county code
  std::map<std::string, CountyWork> work;                                  // by county code

  // Counties with quotas, in code order.
  std::vector<std::string> Counties() const {
    std::vector<std::string> out;
    for (const auto& [code, quotas] : county_quotas) out.push_back(code);
    return out;
  }

  // Every county i fills its quotas with eligible teachers who are free on the project's dates
  // in turn; every sixth leaves a tenth of each quota unfilled (少报); every fifth
  // also tries one ineligible teacher, refused and so never sent; in every fourth the host
  // finds one trainee of a 国培 project ineligible at 报到, who completes all the same.
  // About one nomination in 100 ends in a no-show, one in 100 in a dismissal and one in 100 in
  // a failed completion.
  void Plan(int year, std::vector<CountyPlan>* plans) {
    const std::vector<std::string> counties = Counties();
    for (size_t i = 0; i < counties.size(); ++i) {
      const std::string& code = counties[i];
      CountyPlan plan;
      plan.code = code;
      plan.display_name = regions.count(code) ? regions[code].display_name() : code;
      plan.city = regions.count(code) ? LastSegment(regions[code].parent()) : code.substr(0, 4);
      auto& mine = teachers[code];
      std::sort(mine.begin(), mine.end(),
                [](const auto& a, const auto& b) { return a.name() < b.name(); });
      auto quotas = county_quotas[code];
      std::sort(quotas.begin(), quotas.end(), [&](const auto& a, const auto& b) {
        const auto& pa = projects[ProjectOf(a)];
        const auto& pb = projects[ProjectOf(b)];
        return std::make_pair(Day(pa.start_date()), pa.name()) <
               std::make_pair(Day(pb.start_date()), pb.name());
      });
      std::map<std::string, std::vector<enrollment::domain::EnrollmentSpan>> spans;  // by teacher
      CountyWork& w = work[code];
      size_t cursor = 0;
      for (const auto& quota : quotas) {
        const cat::Project& project = projects[ProjectOf(quota)];
        const bool national = project.plan_level() == common::v1::NATIONAL;
        plan.quota += quota.seats();
        int wanted = quota.seats();
        if (i % 6 == 5) wanted -= std::max(1, quota.seats() / 10);
        if (national) plan.national.under_reported += quota.seats();
        enrollment::domain::EnrollmentSpan candidate;
        candidate.project = project.name();
        candidate.project_label = project.display_name();
        candidate.category = project.category();
        candidate.year = year;
        candidate.start = Day(project.start_date());
        candidate.end = Day(project.end_date());
        int taken = 0;
        for (size_t k = 0; k < mine.size() && taken < wanted; ++k) {
          const enr::Teacher& t = mine[(cursor + k) % mine.size()];
          if (!Eligible(project, t, year)) {
            if (i % 5 == 2 && !w.ineligible)
              w.ineligible = std::make_pair(project.name(), t.name());
            continue;
          }
          if (!enrollment::domain::CheckNoRepetition(spans[t.name()], candidate).ok()) continue;
          spans[t.name()].push_back(candidate);
          Nomination n;
          n.project = project.name();
          n.host = project.host();
          n.teacher = t.name();
          const size_t s = w.nominations.size();
          const size_t h = (i * 7 + s * 13) % 100;
          n.outcome = h == 0   ? Outcome::kNoShow
                      : h == 1 ? Outcome::kDismiss
                      : h == 2 ? Outcome::kNotComplete
                               : Outcome::kComplete;
          n.national = national;
          n.bars = national || project.plan_level() == common::v1::PROVINCIAL;
          if (national && i % 4 == 1 && n.outcome == Outcome::kComplete &&
              plan.national.found_ineligible == 0) {
            n.found_ineligible = true;
            plan.national.found_ineligible = 1;
          }
          if (national) --plan.national.under_reported;
          w.nominations.push_back(std::move(n));
          ++taken;
        }
        cursor = (cursor + static_cast<size_t>(taken)) % std::max<size_t>(1, mine.size());
      }
      for (const auto& n : w.nominations) {
        ++plan.nominated;
        if (n.outcome == Outcome::kNoShow) {
          ++plan.no_show;
          if (n.national) ++plan.national.no_show;
          continue;
        }
        ++plan.checked_in;
        if (n.outcome == Outcome::kComplete) {
          ++plan.completed;
        } else {
          ++plan.not_completed;
          if (n.national) ++plan.national.not_completed;
        }
      }
      plan.ineligible = w.ineligible ? 1 : 0;
      plan.quality = 0.76 + 0.24 * static_cast<double>((i * 37) % 100) / 99.0;
      plans->push_back(plan);
    }
  }

  static std::string ProjectOf(const cat::QuotaAllocation& quota) {
    // "years/{y}/projects/{p}/quotas/{code}"
    return quota.name().substr(0, quota.name().find("/quotas/"));
  }

  bool Eligible(const cat::Project& project, const enr::Teacher& t, int year) {
    enrollment::domain::TeacherProfile profile;
    profile.teacher = t;
    const std::string county = LastSegment(t.county());
    profile.city_code =
        regions.count(county) ? LastSegment(regions[county].parent()) : county.substr(0, 4);
    return enrollment::domain::CheckEligibility(project.audience(), profile, year).ok();
  }
};

YearDriver::YearDriver(YearOptions options)
    : options_(std::move(options)),
      stubs_(std::make_unique<Stubs>()),
      planner_(std::make_unique<Planner>()) {
  auto channel = [](const std::string& target) {
    return grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  };
  stubs_->catalog = cat::CatalogService::NewStub(channel(options_.catalog_target));
  stubs_->enrollment = enr::EnrollmentService::NewStub(channel(options_.enrollment_target));
  stubs_->evaluation = ev::EvaluationService::NewStub(channel(options_.evaluation_target));
  stubs_->funding = fnd::FundingService::NewStub(channel(options_.funding_target));
  stubs_->admin = Token(options_.signer, Role::kProvinceAdmin, "", "", "year-driver");
}

YearDriver::~YearDriver() = default;

void YearDriver::Progress(const std::string& line) const {
  if (options_.progress) options_.progress(line);
}

absl::Status YearDriver::Timed(const std::string& name,
                               const std::function<absl::Status()>& phase) {
  const int calls_before = calls_;
  const absl::Time start = absl::Now();
  absl::Status status = phase();
  Phase p{name, absl::ToDoubleSeconds(absl::Now() - start), calls_ - calls_before};
  phases_.push_back(p);
  if (!status.ok()) return absl::Status(status.code(), absl::StrCat(name, ": ", status.message()));
  Progress(absl::StrFormat("%-34s %8.2f s  %7d calls", name, p.seconds, p.calls));
  return absl::OkStatus();
}

absl::Status YearDriver::Run() {
  if (options_.signer.key == nullptr && options_.signer.hs256_key.empty())
    return absl::InvalidArgumentError("signer: a key is needed to sign calls");
  absl::Status s = Timed("read the catalog", [&] { return ReadCatalog(); });
  if (s.ok() && options_.generate_teachers_per_county > 0) {
    s = Timed("import teachers", [&] { return ImportTeachers(); });
  }
  if (s.ok()) s = Timed("read teachers", [&] { return ReadTeachers(); });
  if (s.ok()) s = Timed("nominate within quotas", [&] { return Nominate(); });
  if (s.ok()) s = Timed("check in and complete", [&] { return Attend(); });
  if (s.ok()) s = Timed("school research and claims", [&] { return ReportHours(); });
  if (s.ok()) s = Timed("designate, open round, score", [&] { return Evaluate(); });
  if (s.ok()) s = Timed("deduct, compute, publish", [&] { return Publish(); });
  if (s.ok()) s = Timed("decide funding, budget summary", [&] { return Decide(); });
  if (s.ok() && options_.next_year)
    s = Timed("next year: R-12 and R-27", [&] { return NextYear(); });
  return s;
}

absl::Status YearDriver::ReadCatalog() {
  auto& p = *planner_;
  std::string token;
  do {
    cat::ListRegionsRequest request;
    request.set_page_size(kPageSize);
    request.set_page_token(token);
    cat::ListRegionsResponse page;
    ++calls_;
    grpc::Status status =
        stubs_->catalog->ListRegions(Context(stubs_->admin).get(), request, &page);
    if (!status.ok()) return Failed(status, "catalog ListRegions");
    for (const auto& r : page.regions()) p.regions[r.code()] = r;
    token = page.next_page_token();
  } while (!token.empty());
  do {
    cat::ListProjectsRequest request;
    request.set_parent(absl::StrCat("years/", options_.year));
    request.set_page_size(kPageSize);
    request.set_page_token(token);
    cat::ListProjectsResponse page;
    ++calls_;
    grpc::Status status =
        stubs_->catalog->ListProjects(Context(stubs_->admin).get(), request, &page);
    if (!status.ok()) return Failed(status, "catalog ListProjects");
    for (const auto& project : page.projects()) p.projects[project.name()] = project;
    token = page.next_page_token();
  } while (!token.empty());
  if (p.projects.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("catalog has no projects in ", options_.year,
                                                      "; load a catalog first (peixunctl apply)"));
  }
  int seats = 0;
  do {
    cat::ListQuotasRequest request;
    request.set_parent(absl::StrCat("years/", options_.year, "/projects/-"));
    request.set_filter("level = \"COUNTY\"");
    request.set_page_size(kPageSize);
    request.set_page_token(token);
    cat::ListQuotasResponse page;
    ++calls_;
    grpc::Status status = stubs_->catalog->ListQuotas(Context(stubs_->admin).get(), request, &page);
    if (!status.ok()) return Failed(status, "catalog ListQuotas");
    for (const auto& q : page.quotas()) {
      if (q.seats() <= 0) continue;
      p.county_quotas[LastSegment(q.region())].push_back(q);
      seats += q.seats();
    }
    token = page.next_page_token();
  } while (!token.empty());
  // Enrollment nominates against its own copy of the catalog: wait until it holds every quota.
  for (int attempt = 0;; ++attempt) {
    enr::GetRateReportRequest request;
    request.set_year(absl::StrCat("years/", options_.year));
    request.set_scope(enr::GetRateReportRequest::COUNTY);
    enr::RateReport report;
    ++calls_;
    grpc::Status status =
        stubs_->enrollment->GetRateReport(Context(stubs_->admin).get(), request, &report);
    int copied = 0;
    for (const auto& row : report.rows()) copied += row.quota();
    if (status.ok() && copied == seats) break;
    if (attempt >= 1200) {
      return absl::DeadlineExceededError(absl::StrCat("enrollment's copy of the catalog holds ",
                                                      copied, " of ", seats,
                                                      " county seats after 2 minutes"));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  Progress(absl::StrCat("catalog of ", options_.year, ": ", p.projects.size(), " projects, ",
                        p.county_quotas.size(), " counties with quotas, ", seats, " county seats"));
  return absl::OkStatus();
}

absl::Status YearDriver::ImportTeachers() {
  static const std::pair<common::v1::Stage, const char*> kStages[] = {
      {common::v1::PRIMARY, "语文"},          {common::v1::JUNIOR_SECONDARY, "道德与法治"},
      {common::v1::SENIOR_SECONDARY, "数学"}, {common::v1::PRIMARY, "道德与法治"},
      {common::v1::JUNIOR_SECONDARY, "物理"}, {common::v1::SENIOR_SECONDARY, "信息技术"},
      {common::v1::KINDERGARTEN, "学前教育"}};
  static const common::v1::TeacherRole kRoles[] = {common::v1::BACKBONE_TEACHER,
                                                   common::v1::HEAD_TEACHER,
                                                   common::v1::TRAINER,
                                                   common::v1::PRINCIPAL,
                                                   common::v1::MENTAL_HEALTH_TEACHER,
                                                   common::v1::BOARDING_LIFE_TUTOR,
                                                   common::v1::CHIEF_RURAL_TEACHER};
  std::vector<std::string> counties;
  for (const auto& [code, region] : planner_->regions) {
    if (region.level() == cat::COUNTY) counties.push_back(code);
  }
  const int per_county = options_.generate_teachers_per_county;
  std::atomic<int> imported{0};
  std::atomic<int> calls{0};
  absl::Status status =
      Parallel(static_cast<int>(counties.size()), options_.threads, [&](int i) -> absl::Status {
        const std::string& county = counties[static_cast<size_t>(i)];
        auto context = Context(stubs_->admin);
        auto stream = stubs_->enrollment->ImportTeachers(context.get());
        std::thread writer([&] {
          for (int k = 0; k < per_county; ++k) {
            enr::ImportTeachersRequest row;
            auto* t = row.mutable_teacher();
            const std::string first17 =
                absl::StrFormat("%s%04d%02d%02d%03d", county, 1975 + k % 20, 1 + (k / 20) % 12,
                                1 + (k / 240) % 28, 500 + k / 6720);
            t->set_id_number(first17 + enrollment::domain::IdCheckCharacter(first17));
            t->set_display_name(
                absl::StrCat(planner_->regions[county].display_name(), "教师", k + 1));
            t->set_gender(k % 3 ? enr::FEMALE : enr::MALE);
            const bool rural = k % 10 < 7;
            t->set_rural(rural);
            const auto& [stage, subject] = kStages[k % 7];
            t->set_stage(stage);
            t->add_subjects(subject);
            t->set_school(absl::StrCat(planner_->regions[county].display_name(),
                                       rural ? "乡村" : "城区", "第", 1 + k % 9,
                                       stage == common::v1::PRIMARY        ? "小学"
                                       : stage == common::v1::KINDERGARTEN ? "幼儿园"
                                                                           : "中学"));
            t->set_county("regions/" + county);
            t->set_teaching_since_year(2000 + k % 16);
            t->add_roles(kRoles[k % 7]);
            if ((k / 7) % 7 != k % 7) t->add_roles(kRoles[(k / 7) % 7]);
            row.set_row_id(std::to_string(k));
            if (!stream->Write(row)) break;
          }
          stream->WritesDone();
        });
        enr::ImportTeacherResult result;
        int rejected = 0;
        std::string first_reason;
        while (stream->Read(&result)) {
          if (result.outcome() == enr::ImportTeacherResult::REJECTED) {
            if (rejected++ == 0) first_reason = result.reason();
          } else {
            ++imported;
          }
        }
        writer.join();
        ++calls;
        grpc::Status finished = stream->Finish();
        if (!finished.ok())
          return Failed(finished, absl::StrCat("enrollment ImportTeachers of ", county));
        if (rejected > 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(rejected, " teachers of ", county, " rejected: ", first_reason));
        }
        return absl::OkStatus();
      });
  calls_ += calls;
  Progress(absl::StrCat("imported ", imported.load(), " generated teachers"));
  return status;
}

absl::Status YearDriver::ReadTeachers() {
  std::string token;
  teachers_ = 0;
  do {
    enr::ListTeachersRequest request;
    request.set_page_size(kPageSize);
    request.set_page_token(token);
    enr::ListTeachersResponse page;
    ++calls_;
    grpc::Status status =
        stubs_->enrollment->ListTeachers(Context(stubs_->admin).get(), request, &page);
    if (!status.ok()) return Failed(status, "enrollment ListTeachers");
    for (auto& t : *page.mutable_teachers()) {
      teacher_names_[t.name()] = t.display_name();
      planner_->teachers[LastSegment(t.county())].push_back(std::move(t));
      ++teachers_;
    }
    token = page.next_page_token();
  } while (!token.empty());
  planner_->Plan(options_.year, &plans_);
  return absl::OkStatus();
}

absl::Status YearDriver::Nominate() {
  std::atomic<int> calls{0};
  absl::Status status =
      Parallel(static_cast<int>(plans_.size()), options_.threads, [&](int i) -> absl::Status {
        const std::string& county = plans_[static_cast<size_t>(i)].code;
        const std::string clerk = Token(options_.signer, Role::kCountyAdmin, county);
        auto& work = planner_->work[county];
        for (size_t s = 0; s < work.nominations.size(); ++s) {
          auto& n = work.nominations[s];
          enr::NominateTeacherRequest request;
          request.set_project(n.project);
          request.set_teacher(n.teacher);
          request.set_request_id(absl::StrCat("year-", options_.year, "-", county, "-", s));
          enr::Enrollment made;
          ++calls;
          grpc::Status result =
              stubs_->enrollment->NominateTeacher(Context(clerk).get(), request, &made);
          if (!result.ok())
            return Failed(
                result, absl::StrCat("enrollment NominateTeacher ", n.teacher, " to ", n.project));
          n.enrollment = made.name();
        }
        if (work.ineligible) {
          enr::NominateTeacherRequest request;
          request.set_project(work.ineligible->first);
          request.set_teacher(work.ineligible->second);
          enr::Enrollment made;
          ++calls;
          grpc::Status result =
              stubs_->enrollment->NominateTeacher(Context(clerk).get(), request, &made);
          if (result.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
            return absl::InternalError(absl::StrCat(
                "an ineligible nomination of ", work.ineligible->second, " to ",
                work.ineligible->first, " was not refused (", result.error_message(), ")"));
          }
        }
        return absl::OkStatus();
      });
  calls_ += calls;
  return status;
}

absl::Status YearDriver::Attend() {
  if (!options_.clock_file.empty()) {
    // arrival from the first training day, completion from the last; every project of
    // the year has ended by Dec 31.
    const absl::Time last_day =
        absl::FromCivil(absl::CivilSecond(options_.year, 12, 31, 9, 0, 0), ChinaTimeZone());
    PEIXUN_RETURN_IF_ERROR(MoveFileClock(options_.clock_file, last_day));
    Progress(absl::StrCat("the demonstration clock moved to ",
                          absl::FormatTime("%Y-%m-%d %H:%M", last_day, ChinaTimeZone()),
                          ": the year's training has ended"));
  }
  std::atomic<int> calls{0};
  using Outcome = Planner::Outcome;
  absl::Status status =
      Parallel(static_cast<int>(plans_.size()), options_.threads, [&](int i) -> absl::Status {
        const std::string& county = plans_[static_cast<size_t>(i)].code;
        for (const auto& n : planner_->work[county].nominations) {
          const std::string host = Token(options_.signer, Role::kHost, "", n.host);
          enr::Enrollment e;
          auto move = [&](const char* step, const std::string& reason) {
            enr::TransitionRequest request;
            request.set_name(n.enrollment);
            request.set_reason(reason);
            request.set_request_id(absl::StrCat(n.enrollment, "-", step));
            ++calls;
            auto context = Context(host);
            const std::string s = step;
            grpc::Status r =
                s == "check-in"   ? stubs_->enrollment->CheckIn(context.get(), request, &e)
                : s == "complete" ? stubs_->enrollment->Complete(context.get(), request, &e)
                : s == "dismiss"  ? stubs_->enrollment->Dismiss(context.get(), request, &e)
                                 : stubs_->enrollment->MarkNotCompleted(context.get(), request, &e);
            return r.ok() ? absl::OkStatus()
                          : Failed(r, absl::StrCat("enrollment ", step, " of ", n.enrollment));
          };
          if (n.outcome == Outcome::kNoShow) {
            enr::MarkNoShowRequest request;
            request.set_name(n.enrollment);
            request.set_request_id(absl::StrCat(n.enrollment, "-no-show"));
            ++calls;
            grpc::Status r = stubs_->enrollment->MarkNoShow(Context(host).get(), request, &e);
            if (!r.ok()) return Failed(r, absl::StrCat("enrollment MarkNoShow of ", n.enrollment));
            continue;
          }
          if (absl::Status s = move("check-in", "报到"); !s.ok()) return s;
          if (n.found_ineligible) {
            enr::ReportIneligibleTraineeRequest request;
            request.set_name(n.enrollment);
            request.set_condition("报到时核验：任教学段与项目要求不符");
            request.set_request_id(absl::StrCat(n.enrollment, "-found-ineligible"));
            ++calls;
            grpc::Status r =
                stubs_->enrollment->ReportIneligibleTrainee(Context(host).get(), request, &e);
            if (!r.ok())
              return Failed(r,
                            absl::StrCat("enrollment ReportIneligibleTrainee of ", n.enrollment));
          }
          absl::Status s = n.outcome == Outcome::kComplete ? move("complete", "考核合格，准予结业")
                           : n.outcome == Outcome::kDismiss
                               ? move("dismiss", "多次无故缺课，予以劝退")
                               : move("not-completed", "考核不合格");
          if (!s.ok()) return s;
        }
        return absl::OkStatus();
      });
  calls_ += calls;
  return status;
}

// every county registers its teachers' school-based research of the school year that
// ended in June (24 hours each, as the schools report it), and R-33: one teacher in four
// counties claims 40 hours earned elsewhere, which the county approves.
absl::Status YearDriver::ReportHours() {
  std::atomic<int> calls{0};
  std::atomic<int> registered{0};
  std::atomic<int> approved{0};
  absl::Status status =
      Parallel(static_cast<int>(plans_.size()), options_.threads, [&](int i) -> absl::Status {
        const std::string& county = plans_[static_cast<size_t>(i)].code;
        const std::string clerk = Token(options_.signer, Role::kCountyAdmin, county);
        const auto& teachers = planner_->teachers[county];
        for (size_t begin = 0; begin < teachers.size(); begin += 1000) {
          enr::RegisterHoursRequest request;
          request.set_county("regions/" + county);
          request.set_request_id(
              absl::StrCat("research-", options_.year - 1, "-", county, "-", begin));
          for (size_t k = begin; k < std::min(teachers.size(), begin + 1000); ++k) {
            auto* row = request.add_reports();
            row->set_teacher(teachers[k].name());
            row->set_source_kind(enr::HourEntry::SCHOOL_RESEARCH);
            row->set_credit_hours(24);
            row->mutable_date()->set_year(options_.year);
            row->mutable_date()->set_month(6);
            row->mutable_date()->set_day(30);
            row->set_description(
                absl::StrCat(teachers[k].school(), " ", options_.year - 1, "学年校本研修"));
          }
          enr::RegisterHoursResponse response;
          ++calls;
          grpc::Status r =
              stubs_->enrollment->RegisterHours(Context(clerk).get(), request, &response);
          if (!r.ok()) return Failed(r, absl::StrCat("enrollment RegisterHours of ", county));
          for (const auto& result : response.results()) {
            if (result.outcome() == enr::HoursReportResult::REGISTERED ||
                result.outcome() == enr::HoursReportResult::ALREADY_REGISTERED)
              ++registered;
          }
        }
        if (i % 4 != 0 || teachers.empty()) return absl::OkStatus();
        const std::string& teacher = teachers.front().name();
        enr::CreateHourClaimRequest file;
        file.set_parent(teacher);
        file.set_request_id(absl::StrCat("claim-", options_.year, "-", county));
        auto* claim = file.mutable_hour_claim();
        claim->set_title(absl::StrCat(options_.year, "年国家智慧教育平台暑期教师研修"));
        claim->set_provider("国家智慧教育公共服务平台");
        claim->mutable_start_date()->set_year(options_.year);
        claim->mutable_start_date()->set_month(7);
        claim->mutable_start_date()->set_day(10);
        claim->mutable_end_date()->set_year(options_.year);
        claim->mutable_end_date()->set_month(8);
        claim->mutable_end_date()->set_day(20);
        claim->set_credit_hours(40);
        claim->set_evidence(absl::StrCat("研修证书 ", county, "-", options_.year));
        enr::HourClaim filed;
        ++calls;
        grpc::Status r = stubs_->enrollment->CreateHourClaim(
            Context(Token(options_.signer, Role::kTeacher, "", "", teacher)).get(), file, &filed);
        if (!r.ok() && r.error_code() != grpc::StatusCode::ALREADY_EXISTS)
          return Failed(r, absl::StrCat("enrollment CreateHourClaim of ", teacher));
        if (!r.ok()) return absl::OkStatus();  // filed in an earlier run of the year
        enr::ApproveHourClaimRequest review;
        review.set_name(filed.name());
        review.set_credit_hours(40);
        review.set_request_id(absl::StrCat("approve-", filed.name()));
        ++calls;
        r = stubs_->enrollment->ApproveHourClaim(Context(clerk).get(), review, &filed);
        if (!r.ok()) return Failed(r, absl::StrCat("enrollment ApproveHourClaim of ", teacher));
        ++approved;
        return absl::OkStatus();
      });
  calls_ += calls;
  research_registered_ = registered;
  claims_approved_ = approved;
  Progress(absl::StrCat(research_registered_, " teachers' school-based research registered, ",
                        claims_approved_, " claims approved"));
  return status;
}

absl::Status YearDriver::Evaluate() {
  const int year = options_.year;
  std::atomic<int> calls{0};
  // Every county with quotas has been a project county since the year before (funding owns it).
  absl::Status designated =
      Parallel(static_cast<int>(plans_.size()), options_.threads, [&](int i) -> absl::Status {
        fnd::DesignateProjectCountyRequest request;
        request.set_county("regions/" + plans_[static_cast<size_t>(i)].code);
        request.set_from_year(year - 1);
        fnd::ProjectCounty made;
        ++calls;
        grpc::Status r =
            stubs_->funding->DesignateProjectCounty(Context(stubs_->admin).get(), request, &made);
        return Made(r) ? absl::OkStatus() : Failed(r, "funding DesignateProjectCounty");
      });
  calls_ += calls;
  if (!designated.ok()) return designated;

  ev::RubricVersion rubric;
  ev::GetRubricVersionRequest get_rubric;
  get_rubric.set_name("rubrics/project-county/versions/latest");
  ++calls_;
  grpc::Status r =
      stubs_->evaluation->GetRubricVersion(Context(stubs_->admin).get(), get_rubric, &rubric);
  if (!r.ok()) return Failed(r, "evaluation GetRubricVersion");
  const auto leaves = evaluation::domain::Leaves(rubric);
  for (const auto& [code, leaf] : leaves) {
    if (leaf->automatic_deductions()) automatic_indicator_ = code;
  }
  // The panel's score of each leaf: the half-up mean of the experts' scores, which spread
  // 0.5 points either side of the county's quality.
  const int experts = options_.experts_per_county;
  auto expert_score = [&](const CountyPlan& plan, const ev::Indicator& leaf, int j) {
    const int centre = static_cast<int>(std::lround(leaf.max_score_tenths() * plan.quality));
    return std::clamp(centre + (2 * j - (experts - 1)) * 5 / 2, 0, leaf.max_score_tenths());
  };
  for (auto& plan : plans_) {
    plan.panel_tenths = 0;
    for (const auto& [code, leaf] : leaves) {
      int sum = 0;
      for (int j = 0; j < experts; ++j) sum += expert_score(plan, *leaf, j);
      const int panel = (2 * sum + experts) / (2 * experts);  // the mean, half up
      plan.panel_tenths += panel;
      if (code == automatic_indicator_) plan.automatic_panel_tenths = panel;
    }
  }

  ev::CreateRoundRequest create;
  create.set_parent(absl::StrCat("years/", year));
  create.set_round_id(absl::StrCat("county-", year));
  create.set_request_id(absl::StrCat("year-round-", year));
  create.mutable_round()->set_display_name(absl::StrCat(year, " 年国培计划项目县绩效评价"));
  create.mutable_round()->set_rubric_version(rubric.name());
  create.mutable_round()->set_disagreement_threshold_tenths(30);
  // No counties named: the round takes funding's active project counties.
  ev::Round round;
  ++calls_;
  r = stubs_->evaluation->CreateRound(Context(stubs_->admin).get(), create, &round);
  if (r.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
    ev::GetRoundRequest get;
    get.set_name(absl::StrCat("years/", year, "/rounds/county-", year));
    ++calls_;
    r = stubs_->evaluation->GetRound(Context(stubs_->admin).get(), get, &round);
  }
  if (!r.ok()) return Failed(r, "evaluation CreateRound");
  round_ = round.name();
  if (round.state() == ev::Round::PUBLISHED) {
    Progress(absl::StrCat(round_, " is already published; its results are read back"));
    return absl::OkStatus();
  }
  std::set<std::string> in_round(round.counties().begin(), round.counties().end());
  const int n = static_cast<int>(plans_.size());
  calls = 0;
  absl::Status scored = Parallel(n, options_.threads, [&](int i) -> absl::Status {
    const CountyPlan& plan = plans_[static_cast<size_t>(i)];
    if (in_round.count("regions/" + plan.code) == 0) return absl::OkStatus();
    for (int j = 0; j < experts; ++j) {
      // Expert j of county i works in the county (i + 1 + j) places on: never their own.
      const CountyPlan& home = plans_[static_cast<size_t>((i + 1 + j) % n)];
      const std::string expert = absl::StrCat("expert-", home.code, "-", j);
      ev::AssignExpertRequest assign;
      assign.set_round(round_);
      assign.set_request_id(absl::StrCat(round_, "-assign-", plan.code, "-", j));
      assign.mutable_assignment()->set_county("regions/" + plan.code);
      assign.mutable_assignment()->set_expert(expert);
      assign.mutable_assignment()->set_expert_region("regions/" + home.code);
      ev::Assignment made;
      ++calls;
      grpc::Status a =
          stubs_->evaluation->AssignExpert(Context(stubs_->admin).get(), assign, &made);
      if (!Made(a)) return Failed(a, "evaluation AssignExpert");
      ev::SubmitScoresRequest submit;
      submit.set_round(round_);
      submit.set_county("regions/" + plan.code);
      submit.set_request_id(absl::StrCat(round_, "-scores-", plan.code, "-", j));
      for (const auto& [code, leaf] : leaves) {
        auto* score = submit.add_scores();
        score->set_indicator(code);
        score->set_score_tenths(expert_score(plan, *leaf, j));
        score->set_comment("材料齐全，现场核实");
        score->set_evidence(j % 2 == 0 ? ev::MATERIAL_REVIEW : ev::ON_SITE);
      }
      ev::ScoreSheet sheet;
      ++calls;
      grpc::Status s = stubs_->evaluation->SubmitScores(
          Context(Token(options_.signer, Role::kExpert, home.code, "", expert)).get(), submit,
          &sheet);
      if (!s.ok())
        return Failed(s, absl::StrCat("evaluation SubmitScores of ", plan.code, " by ", expert));
    }
    return absl::OkStatus();
  });
  calls_ += calls;
  return scored;
}

absl::Status YearDriver::Publish() {
  ev::GetRoundRequest get;
  get.set_name(round_);
  ev::Round round;
  ++calls_;
  grpc::Status r = stubs_->evaluation->GetRound(Context(stubs_->admin).get(), get, &round);
  if (!r.ok()) return Failed(r, "evaluation GetRound");
  if (round.state() != ev::Round::PUBLISHED) {
    ev::ComputeDeductionsRequest deduct;
    deduct.set_round(round_);
    ev::ComputeDeductionsResponse deductions;
    ++calls_;
    r = stubs_->evaluation->ComputeDeductions(Context(stubs_->admin).get(), deduct, &deductions);
    if (!r.ok()) return Failed(r, "evaluation ComputeDeductions");
    ev::ComputeResultsRequest compute;
    compute.set_round(round_);
    ev::ComputeResultsResponse computed;
    ++calls_;
    r = stubs_->evaluation->ComputeResults(Context(stubs_->admin).get(), compute, &computed);
    if (!r.ok()) return Failed(r, "evaluation ComputeResults");
    ev::PublishRoundRequest publish;
    publish.set_round(round_);
    ++calls_;
    r = stubs_->evaluation->PublishRound(Context(stubs_->admin).get(), publish, &round);
    if (!r.ok()) return Failed(r, "evaluation PublishRound");
  }
  // Read back: every published result, and each county's deductions from its explanation.
  std::string token;
  do {
    ev::ListResultsRequest request;
    request.set_round(round_);
    request.set_page_size(kPageSize);
    request.set_page_token(token);
    ev::ListResultsResponse page;
    ++calls_;
    r = stubs_->evaluation->ListResults(Context(stubs_->admin).get(), request, &page);
    if (!r.ok()) return Failed(r, "evaluation ListResults");
    for (const auto& result : page.results()) {
      CountyOutcome& o = outcomes_[LastSegment(result.county())];
      o.total_tenths = result.total_tenths();
      o.grade = result.grade();
      o.rank = result.rank();
    }
    token = page.next_page_token();
  } while (!token.empty());
  std::vector<std::string> counties;
  for (const auto& [code, outcome] : outcomes_) counties.push_back(code);
  std::atomic<int> calls{0};
  absl::Mutex mu;
  absl::Status explained =
      Parallel(static_cast<int>(counties.size()), options_.threads, [&](int i) -> absl::Status {
        ev::ExplainResultRequest request;
        request.set_name(absl::StrCat(round_, "/results/", counties[static_cast<size_t>(i)]));
        ev::ResultExplanation explanation;
        ++calls;
        grpc::Status e =
            stubs_->evaluation->ExplainResult(Context(stubs_->admin).get(), request, &explanation);
        if (!e.ok()) return Failed(e, "evaluation ExplainResult");
        int deducted = 0;
        for (const auto& line : explanation.lines()) {
          for (const auto& d : line.deductions()) deducted += d.points_tenths();
        }
        absl::MutexLock lock(&mu);
        outcomes_[counties[static_cast<size_t>(i)]].deduction_tenths = deducted;
        return absl::OkStatus();
      });
  calls_ += calls;
  return explained;
}

absl::Status YearDriver::Decide() {
  if (options_.subsidy_per_participant_fen > 0) {
    fnd::GetTierPolicyRequest get;
    get.set_name("tierPolicies/latest");
    fnd::TierPolicy policy;
    ++calls_;
    grpc::Status r = stubs_->funding->GetTierPolicy(Context(stubs_->admin).get(), get, &policy);
    if (!r.ok()) return Failed(r, "funding GetTierPolicy");
    if (policy.subsidy_per_participant_fen() != options_.subsidy_per_participant_fen) {
      fnd::CreateTierPolicyRequest create;
      *create.mutable_tier_policy() = policy;
      create.mutable_tier_policy()->set_subsidy_per_participant_fen(
          options_.subsidy_per_participant_fen);
      create.mutable_tier_policy()->set_reason(
          absl::StrCat(options_.year, " 年按实际参训人数补助"));
      create.set_request_id(
          absl::StrCat("year-subsidy-", options_.year, "-", options_.subsidy_per_participant_fen));
      ++calls_;
      r = stubs_->funding->CreateTierPolicy(Context(stubs_->admin).get(), create, &policy);
      if (!r.ok()) return Failed(r, "funding CreateTierPolicy");
    }
  }
  fnd::DecideFundingRequest decide;
  decide.set_year(absl::StrCat("years/", options_.year));
  decide.set_request_id(absl::StrCat("year-decide-", options_.year));
  fnd::DecideFundingResponse decided;
  ++calls_;
  grpc::Status r = stubs_->funding->DecideFunding(Context(stubs_->admin).get(), decide, &decided);
  if (!r.ok()) return Failed(r, "funding DecideFunding");
  for (const auto& d : decided.decisions()) {
    CountyOutcome& o = outcomes_[LastSegment(d.county())];
    o.tier = d.tier();
    o.amount_fen = d.amount_fen();
  }
  enr::GetRateReportRequest rates;
  rates.set_year(absl::StrCat("years/", options_.year));
  rates.set_scope(enr::GetRateReportRequest::COUNTY);
  enr::RateReport report;
  ++calls_;
  r = stubs_->enrollment->GetRateReport(Context(stubs_->admin).get(), rates, &report);
  if (!r.ok()) return Failed(r, "enrollment GetRateReport");
  for (const auto& row : report.rows()) outcomes_[LastSegment(row.key())].rates = row;
  fnd::GetBudgetSummaryRequest budget;
  budget.set_year(absl::StrCat("years/", options_.year));
  budget.set_scope(fnd::GetBudgetSummaryRequest::PROVINCE);
  ++calls_;
  r = stubs_->funding->GetBudgetSummary(Context(stubs_->admin).get(), budget, &province_budget_);
  if (!r.ok()) return Failed(r, "funding GetBudgetSummary");
  return absl::OkStatus();
}

absl::Status YearDriver::NextYear() {
  const int next = options_.year + 1;
  NextYearFindings& f = next_year_;
  // A teacher barred by a no-show or dismissal this year, and a colleague who completed.
  std::string county;
  std::string colleague;
  for (const auto& plan : plans_) {
    const auto& work = planner_->work[plan.code];
    std::string barred, completed;
    std::set<std::string> had_bar;
    for (const auto& n : work.nominations) {
      if (n.outcome != Planner::Outcome::kComplete) had_bar.insert(n.teacher);
    }
    for (const auto& n : work.nominations) {
      if (n.outcome != Planner::Outcome::kComplete && n.bars && barred.empty()) {
        barred = n.teacher;
      }
      if (n.outcome == Planner::Outcome::kComplete && had_bar.count(n.teacher) == 0 &&
          completed.empty()) {
        completed = n.teacher;
      }
    }
    if (!barred.empty() && !completed.empty()) {
      county = plan.code;
      f.barred_teacher = barred;
      f.barred_teacher_name = teacher_names_[barred];
      colleague = completed;
      break;
    }
  }
  if (county.empty())
    return absl::FailedPreconditionError("no county has both a barred and a completed teacher");
  const std::string city = LastSegment(planner_->regions[county].parent());
  const std::string project = absl::StrCat("years/", next, "/projects/next-year-backbone");
  {
    cat::CreateYearRequest year;
    year.mutable_plan_year()->set_year(next);
    *year.mutable_plan_year()->mutable_nomination_deadline() = Date(next, 8, 31);
    cat::PlanYear made_year;
    ++calls_;
    grpc::Status r = stubs_->catalog->CreateYear(Context(stubs_->admin).get(), year, &made_year);
    if (!Made(r)) return Failed(r, "catalog CreateYear");
    cat::CreateCategoryRequest category;
    category.set_parent(absl::StrCat("years/", next));
    category.set_category_id("next-year-backbone");
    category.mutable_category()->set_display_name("骨干教师能力提升培训");
    category.mutable_category()->set_plan_level(common::v1::PROVINCIAL);
    cat::ProjectCategory made_category;
    ++calls_;
    r = stubs_->catalog->CreateCategory(Context(stubs_->admin).get(), category, &made_category);
    if (!Made(r)) return Failed(r, "catalog CreateCategory");
    cat::CreateProjectRequest create;
    create.set_parent(absl::StrCat("years/", next));
    create.set_project_id("next-year-backbone");
    auto* p = create.mutable_project();
    p->set_display_name("骨干教师能力提升培训");
    p->set_category(absl::StrCat("years/", next, "/categories/next-year-backbone"));
    p->set_host(planner_->projects.begin()->second.host());
    p->set_seats(10);
    p->set_credit_hours(80);
    p->mutable_format()->set_centralized_days(10);
    *p->mutable_start_date() = Date(next, 9, 1);
    *p->mutable_end_date() = Date(next, 9, 10);
    cat::Project made_project;
    ++calls_;
    r = stubs_->catalog->CreateProject(Context(stubs_->admin).get(), create, &made_project);
    if (!Made(r)) return Failed(r, "catalog CreateProject");
    for (const auto& [parent, region] :
         {std::make_pair(project, city),
          std::make_pair(absl::StrCat(project, "/quotas/", city), county)}) {
      cat::AllocateQuotaRequest quota;
      quota.set_parent(parent);
      quota.set_region("regions/" + region);
      quota.set_seats(10);
      cat::QuotaAllocation made;
      ++calls_;
      r = stubs_->catalog->AllocateQuota(Context(stubs_->admin).get(), quota, &made);
      if (!r.ok()) return Failed(r, "catalog AllocateQuota");
    }
  }
  for (int attempt = 0;; ++attempt) {  // enrollment's copy of the new quota
    enr::GetRateReportRequest request;
    request.set_year(absl::StrCat("years/", next));
    request.set_scope(enr::GetRateReportRequest::COUNTY);
    request.set_region("regions/" + county);
    enr::RateReport report;
    ++calls_;
    grpc::Status r =
        stubs_->enrollment->GetRateReport(Context(stubs_->admin).get(), request, &report);
    if (r.ok() && report.rows_size() > 0 && report.rows(0).quota() == 10) break;
    if (attempt >= 600)
      return absl::DeadlineExceededError("enrollment never copied next year's quota");
    absl::SleepFor(absl::Milliseconds(100));
  }
  const std::string clerk = Token(options_.signer, Role::kCountyAdmin, county);
  enr::NominateTeacherRequest nominate;
  nominate.set_project(project);
  nominate.set_teacher(f.barred_teacher);
  enr::Enrollment made;
  ++calls_;
  grpc::Status r = stubs_->enrollment->NominateTeacher(Context(clerk).get(), nominate, &made);
  f.barred_refusal =
      r.ok() ? "accepted"
             : absl::StrCat(metrics::GrpcCodeName(r.error_code()), ": ", r.error_message());
  f.barred_refused_r12 = r.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                         r.error_message().find("R-12") != std::string::npos;
  nominate.set_teacher(colleague);
  nominate.set_request_id(absl::StrCat("year-next-", next, "-", county));
  ++calls_;
  r = stubs_->enrollment->NominateTeacher(Context(clerk).get(), nominate, &made);
  f.unbarred_accepted = r.ok();

  for (const auto& [code, outcome] : outcomes_) {
    if (outcome.tier == fnd::REVOKED) f.revoked.push_back("regions/" + code);
  }
  ev::CreateRoundRequest create;
  create.set_parent(absl::StrCat("years/", next));
  create.set_round_id(absl::StrCat("county-", next));
  create.set_request_id(absl::StrCat("year-round-", next));
  create.mutable_round()->set_display_name(absl::StrCat(next, " 年国培计划项目县绩效评价"));
  create.mutable_round()->set_rubric_version("rubrics/project-county/versions/1");
  ev::Round round;
  ++calls_;
  r = stubs_->evaluation->CreateRound(Context(stubs_->admin).get(), create, &round);
  if (!r.ok()) return Failed(r, "evaluation CreateRound of the next year");
  f.next_round_counties = round.counties_size();
  f.revoked_left_out = true;
  for (const auto& c : round.counties()) {
    if (std::find(f.revoked.begin(), f.revoked.end(), c) != f.revoked.end())
      f.revoked_left_out = false;
  }
  if (!f.revoked.empty()) {
    create.set_round_id(absl::StrCat("county-", next, "-named"));
    create.set_request_id("");
    create.mutable_round()->add_counties(f.revoked.front());
    ++calls_;
    r = stubs_->evaluation->CreateRound(Context(stubs_->admin).get(), create, &round);
    f.revoked_refusal = r.ok() ? "accepted" : r.error_message();
  }
  return absl::OkStatus();
}

std::string YearDriver::Table() const {
  std::string out;
  const std::vector<std::pair<std::string, int>> columns = {
      {"county", 12}, {"quota", 6},       {"nominated", 10}, {"checked-in", 11},  {"completed", 10},
      {"no-show", 8}, {"not-compl.", 11}, {"nominate%", 10}, {"complete%", 10},   {"deducted", 9},
      {"score", 6},   {"grade", 7},       {"tier", 9},       {"amount(万元)", 12}};
  for (size_t c = 0; c < columns.size(); ++c)
    out += Pad(columns[c].first, columns[c].second, c > 0) + " ";
  out += "\n";
  std::map<ev::Grade, int> grades;
  std::map<fnd::Tier, int> tiers;
  for (const auto& plan : plans_) {
    auto it = outcomes_.find(plan.code);
    const CountyOutcome o = it == outcomes_.end() ? CountyOutcome{} : it->second;
    ++grades[o.grade];
    ++tiers[o.tier];
    const std::vector<std::string> cells = {
        plan.display_name,
        absl::StrCat(o.rates.quota()),
        absl::StrCat(o.rates.nominated()),
        absl::StrCat(o.rates.checked_in()),
        absl::StrCat(o.rates.completed()),
        absl::StrCat(o.rates.no_show()),
        absl::StrCat(o.rates.dismissed() + o.rates.not_completed()),
        Percent(o.rates.nomination_rate_bp()),
        Percent(o.rates.completion_rate_bp()),
        Points(o.deduction_tenths),
        Points(o.total_tenths),
        GradeLabel(o.grade),
        TierLabel(o.tier),
        Wan(o.amount_fen)};
    for (size_t c = 0; c < columns.size(); ++c)
      out += Pad(cells[c], columns[c].second, c > 0) + " ";
    out += "\n";
  }
  const auto& b = province_budget_;
  const int completed = b.lines_size() > 0 ? b.lines(0).completed_participants() : 0;
  absl::StrAppend(&out, "\nprovince (", options_.year, "): ", plans_.size(), " counties, ",
                  teachers_, " teachers; ", grades[ev::EXCELLENT], " 优秀, ", grades[ev::QUALIFIED],
                  " 合格, ", grades[ev::UNQUALIFIED], " 不合格\n");
  absl::StrAppend(&out, "  next year: ", tiers[fnd::HIGH], " counties HIGH, ", tiers[fnd::STANDARD],
                  " STANDARD, ", tiers[fnd::REVOKED], " REVOKED; decided ",
                  Wan(b.total_decided_fen()), " 万元\n");
  absl::StrAppend(&out, "  project budgets ", Wan(b.total_project_budget_fen()), " 万元; ",
                  completed, " completed participants, subsidies ", Wan(b.total_subsidy_fen()),
                  " 万元 (", b.tier_policy(), ")\n");
  if (options_.next_year) {
    const auto& f = next_year_;
    absl::StrAppend(&out, "  ", options_.year + 1, ": nominating ", f.barred_teacher_name, " (",
                    f.barred_teacher, ") -> ", f.barred_refusal, "\n");
    absl::StrAppend(&out, "  ", options_.year + 1, " round: ", f.next_round_counties,
                    " active project counties, ", f.revoked.size(), " revoked left out",
                    f.revoked.empty() ? "" : "; naming one: ", f.revoked_refusal, "\n");
  }
  return out;
}

std::string YearDriver::Json() const {
  std::map<ev::Grade, int> grades;
  std::map<fnd::Tier, int> tiers;
  int nominated = 0, completed = 0, no_show = 0, not_completed = 0;
  for (const auto& [code, o] : outcomes_) {
    ++grades[o.grade];
    ++tiers[o.tier];
    nominated += o.rates.nominated();
    completed += o.rates.completed();
    no_show += o.rates.no_show();
    not_completed += o.rates.dismissed() + o.rates.not_completed();
  }
  std::vector<std::string> phases;
  double total = 0;
  for (const auto& p : phases_) {
    phases.push_back(absl::StrFormat("\"%s\": %.2f", p.name, p.seconds));
    total += p.seconds;
  }
  return absl::StrFormat(
      "{\"scenario\": \"year\", \"year\": %d, \"counties\": %d, \"teachers\": %d, \"nominated\": "
      "%d, "
      "\"completed\": %d, \"no_show\": %d, \"not_completed\": %d, \"excellent\": %d, "
      "\"qualified\": %d, "
      "\"unqualified\": %d, \"high\": %d, \"standard\": %d, \"revoked\": %d, \"decided_fen\": %d, "
      "\"project_budget_fen\": %d, \"subsidy_fen\": %d, \"total_seconds\": %.2f, "
      "\"phase_seconds\": {%s}}",
      options_.year, static_cast<int>(plans_.size()), teachers_, nominated, completed, no_show,
      not_completed, grades[ev::EXCELLENT], grades[ev::QUALIFIED], grades[ev::UNQUALIFIED],
      tiers[fnd::HIGH], tiers[fnd::STANDARD], tiers[fnd::REVOKED],
      province_budget_.total_decided_fen(), province_budget_.total_project_budget_fen(),
      province_budget_.total_subsidy_fen(), total, absl::StrJoin(phases, ", "));
}

}  // namespace peixun::year
