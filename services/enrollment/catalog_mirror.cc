#include "services/enrollment/catalog_mirror.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/identity.h"
#include "common/events/outbox.h"
#include "common/server/platform.h"
#include "common/util/status.h"
#include "grpcpp/create_channel.h"
#include "services/enrollment/enrollment_store.h"

namespace peixun::enrollment {
namespace {

constexpr absl::Duration kCurrentWindow = absl::Seconds(10);

bool ParseProjectName(const std::string& name, int* year, std::string* id) {
  std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() < 4 || parts[0] != "years" || parts[2] != "projects") return false;
  *id = parts[3];
  return absl::SimpleAtoi(parts[1], year);
}

}  // namespace

CatalogMirror::CatalogMirror(db::ConnectionPool& pool, const std::string& catalog_target,
                             auth::TokenSigner signer, const Clock& clock,
                             prometheus::Registry& registry, absl::Duration reconcile_period,
                             const std::shared_ptr<grpc::ChannelCredentials>& credentials)
    : pool_(pool),
      stub_(catalog::v1::CatalogService::NewStub(grpc::CreateChannel(
          catalog_target,
          credentials != nullptr ? credentials : grpc::InsecureChannelCredentials()))),
      signer_(std::move(signer)),
      clock_(clock),
      reconcile_period_(reconcile_period),
      lag_seconds_(prometheus::BuildGauge()
                       .Name("peixun_enrollment_catalog_lag_seconds")
                       .Help("Seconds since the copy of catalog facts was last known current.")
                       .Register(registry)
                       .Add({})),
      sequence_gauge_(prometheus::BuildGauge()
                          .Name("peixun_enrollment_catalog_sequence")
                          .Help("Last catalog event sequence applied to the local copy.")
                          .Register(registry)
                          .Add({})) {}

CatalogMirror::~CatalogMirror() { Stop(); }

void CatalogMirror::Start() {
  runner_ = std::thread([this] { Run(); });
  ticker_ = std::thread([this] {
    absl::MutexLock lock(&mu_);
    while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1))) {
      if (following_) current_at_ = clock_.Now();
      lag_seconds_.Set(current_at_ == absl::InfinitePast()
                           ? -1
                           : absl::ToDoubleSeconds(clock_.Now() - current_at_));
    }
  });
}

void CatalogMirror::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (watch_context_ != nullptr) watch_context_->TryCancel();
  }
  if (runner_.joinable()) runner_.join();
  if (ticker_.joinable()) ticker_.join();
}

bool CatalogMirror::Current() const {
  absl::MutexLock lock(&mu_);
  return following_ || clock_.Now() - current_at_ < kCurrentWindow;
}

void CatalogMirror::MarkCurrent(bool following) {
  absl::MutexLock lock(&mu_);
  following_ = following;
  current_at_ = clock_.Now();
}

std::unique_ptr<grpc::ClientContext> CatalogMirror::NewContext(absl::Duration deadline) {
  auth::TokenClaims claims;
  claims.caller.subject = "services/enrollment";
  claims.caller.role = auth::Role::kService;
  // Real time, not the (demonstration) business clock: tokens are checked on the real clock.
  claims.expires = absl::Now() + absl::Hours(1);
  auto context = std::make_unique<grpc::ClientContext>();
  if (auto token = signer_.Sign(claims); token.ok())
    context->AddMetadata("authorization", "Bearer " + *token);
  if (deadline != absl::InfiniteDuration()) {
    context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  }
  return context;
}

absl::Status CatalogMirror::PullRegions() {
  std::string token;
  do {
    catalog::v1::ListRegionsRequest request;
    request.set_page_size(1000);
    request.set_page_token(token);
    catalog::v1::ListRegionsResponse response;
    grpc::Status status =
        stub_->ListRegions(NewContext(absl::Seconds(10)).get(), request, &response);
    if (!status.ok())
      return absl::UnavailableError("catalog ListRegions: " + status.error_message());
    PEIXUN_RETURN_IF_ERROR(pool_.RunInTransaction([&](db::Connection& c) {
      for (const auto& region : response.regions()) EnrollmentStore::UpsertRegion(c, region);
      return absl::OkStatus();
    }));
    token = response.next_page_token();
  } while (!token.empty());
  return absl::OkStatus();
}

absl::Status CatalogMirror::Reconcile() {
  PEIXUN_RETURN_IF_ERROR(PullRegions());
  std::vector<int> years;
  PEIXUN_RETURN_IF_ERROR(pool_.RunRead([&](db::Connection& c) {
    years = EnrollmentStore::KnownYears(c);
    return absl::OkStatus();
  }));
  for (int year : years) {
    catalog::v1::GetYearRequest get_year;
    get_year.set_name(absl::StrCat("years/", year));
    catalog::v1::PlanYear plan_year;
    grpc::Status status = stub_->GetYear(NewContext(absl::Seconds(10)).get(), get_year, &plan_year);
    if (!status.ok()) return absl::UnavailableError("catalog GetYear: " + status.error_message());
    std::string token;
    std::vector<catalog::v1::Project> projects;
    do {
      catalog::v1::ListProjectsRequest request;
      request.set_parent(absl::StrCat("years/", year));
      request.set_page_size(1000);
      request.set_page_token(token);
      catalog::v1::ListProjectsResponse response;
      status = stub_->ListProjects(NewContext(absl::Seconds(10)).get(), request, &response);
      if (!status.ok())
        return absl::UnavailableError("catalog ListProjects: " + status.error_message());
      projects.insert(projects.end(), response.projects().begin(), response.projects().end());
      token = response.next_page_token();
    } while (!token.empty());
    std::vector<catalog::v1::QuotaAllocation> quotas;
    PEIXUN_RETURN_IF_ERROR(
        PullQuotas(absl::StrCat("years/", year, "/projects/-"), absl::Seconds(10), &quotas));
    PEIXUN_RETURN_IF_ERROR(pool_.RunInTransaction([&](db::Connection& c) {
      EnrollmentStore::UpsertYear(c, plan_year);
      for (const auto& project : projects) EnrollmentStore::UpsertProject(c, project);
      for (const auto& quota : quotas) {
        int quota_year = 0;
        std::string project_id;
        if (!ParseProjectName(quota.name(), &quota_year, &project_id)) continue;
        EnrollmentStore::UpsertQuota(c, quota_year, project_id, quota.region().substr(8),
                                     quota.seats());
      }
      return absl::OkStatus();
    }));
  }
  return absl::OkStatus();
}

absl::Status CatalogMirror::PullQuotas(const std::string& parent, absl::Duration deadline,
                                       std::vector<catalog::v1::QuotaAllocation>* quotas) {
  std::string token;
  do {
    catalog::v1::ListQuotasRequest request;
    request.set_parent(parent);
    request.set_filter(R"(level = "COUNTY")");
    request.set_page_size(1000);
    request.set_page_token(token);
    catalog::v1::ListQuotasResponse response;
    grpc::Status status = stub_->ListQuotas(NewContext(deadline).get(), request, &response);
    if (!status.ok())
      return absl::UnavailableError("catalog ListQuotas: " + status.error_message());
    quotas->insert(quotas->end(), response.quotas().begin(), response.quotas().end());
    token = response.next_page_token();
  } while (!token.empty());
  return absl::OkStatus();
}

absl::StatusOr<CatalogMirror::ProjectInCatalog> CatalogMirror::Refresh(
    int year, const std::string& project_id) {
  const std::pair<int, std::string> key{year, project_id};
  {
    absl::MutexLock lock(&refresh_mu_);
    auto it = refreshed_.find(key);
    if (it != refreshed_.end() && absl::Now() - it->second.at < absl::Seconds(1))
      return it->second.answer;
  }
  const std::string name = absl::StrCat("years/", year, "/projects/", project_id);
  auto ask = [&]() -> absl::StatusOr<ProjectInCatalog> {
    catalog::v1::GetYearRequest get_year;
    get_year.set_name(absl::StrCat("years/", year));
    catalog::v1::PlanYear plan_year;
    grpc::Status status = stub_->GetYear(NewContext(absl::Seconds(2)).get(), get_year, &plan_year);
    catalog::v1::GetProjectRequest get_project;
    get_project.set_name(name);
    catalog::v1::Project project;
    if (status.ok())
      status = stub_->GetProject(NewContext(absl::Seconds(2)).get(), get_project, &project);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND)
      return absl::NotFoundError(name + " does not exist in the catalog");
    if (!status.ok()) {
      return absl::UnavailableError(
          absl::StrCat("catalog cannot be reached: ", status.error_message()));
    }
    std::vector<catalog::v1::QuotaAllocation> quotas;
    // A nomination waits on this answer: each page as short a wait as the project's.
    PEIXUN_RETURN_IF_ERROR(PullQuotas(name, absl::Seconds(2), &quotas));
    ProjectInCatalog answer;
    PEIXUN_RETURN_IF_ERROR(pool_.RunInTransaction([&](db::Connection& c) {
      answer.county_seats.clear();
      EnrollmentStore::UpsertYear(c, plan_year);
      EnrollmentStore::UpsertProject(c, project);
      for (const auto& quota : quotas) {
        const std::string county = quota.region().substr(quota.region().rfind('/') + 1);
        EnrollmentStore::UpsertQuota(c, year, project_id, county, quota.seats());
        answer.county_seats[county] = quota.seats();
      }
      return absl::OkStatus();
    }));
    return answer;
  };
  absl::StatusOr<ProjectInCatalog> answer = ask();
  absl::MutexLock lock(&refresh_mu_);
  if (refreshed_.size() >= 1024) refreshed_.clear();  // bounded: a second's answers at most
  refreshed_[key] = {absl::Now(), answer};
  return answer;
}

absl::Status CatalogMirror::RefreshRegions() {
  absl::MutexLock lock(&regions_mu_);  // one pull at a time; the others take its answer
  if (absl::Now() - regions_refreshed_at_ < absl::Seconds(1)) return regions_refreshed_;
  regions_refreshed_ = PullRegions();
  if (!regions_refreshed_.ok()) {
    regions_refreshed_ = absl::UnavailableError(
        absl::StrCat("catalog cannot be reached: ", regions_refreshed_.message()));
  }
  regions_refreshed_at_ = absl::Now();
  return regions_refreshed_;
}

absl::Status CatalogMirror::Apply(const common::v1::Event& event) {
  const std::string& type = event.type();
  if (type == "catalog.regions.imported") PEIXUN_RETURN_IF_ERROR(PullRegions());
  return pool_.RunInTransaction([&](db::Connection& c) -> absl::Status {
    if (absl::StartsWith(type, "catalog.year.")) {
      catalog::v1::PlanYear year;
      if (event.payload().UnpackTo(&year)) EnrollmentStore::UpsertYear(c, year);
    } else if (absl::StartsWith(type, "catalog.project.")) {
      catalog::v1::Project project;
      if (event.payload().UnpackTo(&project)) EnrollmentStore::UpsertProject(c, project);
    } else if (type == "catalog.quota.allocated") {
      catalog::v1::QuotaAllocation quota;
      int year = 0;
      std::string project_id;
      if (event.payload().UnpackTo(&quota) && quota.level() == catalog::v1::COUNTY &&
          ParseProjectName(quota.name(), &year, &project_id)) {
        EnrollmentStore::UpsertQuota(c, year, project_id, quota.region().substr(8), quota.seats());
      }
    }
    EnrollmentStore::SetSyncPosition(c, event.sequence());
    return absl::OkStatus();
  });
}

absl::Status CatalogMirror::Follow() {
  int64_t after = 0;
  PEIXUN_RETURN_IF_ERROR(pool_.RunRead([&](db::Connection& c) {
    after = EnrollmentStore::SyncPosition(c);
    return absl::OkStatus();
  }));
  applied_sequence_ = after;
  auto context = NewContext(absl::InfiniteDuration());
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::OkStatus();
    watch_context_ = context.get();
  }
  common::v1::WatchEventsRequest request;
  request.set_after_sequence(after);
  auto reader = stub_->WatchEvents(context.get(), request);
  // Current only once catalog's feed says it is open (a failed connection never does).
  reader->WaitForInitialMetadata();
  const auto& metadata = context->GetServerInitialMetadata();
  if (metadata.find(grpc::string_ref(events::kFeedOpenKey.data(), events::kFeedOpenKey.size())) !=
      metadata.end()) {
    MarkCurrent(true);
  }
  common::v1::Event event;
  absl::Status applied = absl::OkStatus();
  while (reader->Read(&event)) {
    applied = Apply(event);
    if (!applied.ok()) {
      context->TryCancel();
      break;
    }
    applied_sequence_ = event.sequence();
    sequence_gauge_.Set(static_cast<double>(event.sequence()));
  }
  grpc::Status finished = reader->Finish();
  {
    absl::MutexLock lock(&mu_);
    following_ = false;  // current_at_ keeps the last moment it was known current
  }
  {
    absl::MutexLock lock(&mu_);
    watch_context_ = nullptr;
  }
  if (!applied.ok()) return applied;
  return absl::UnavailableError("catalog WatchEvents ended: " + finished.error_message());
}

void CatalogMirror::Run() {
  absl::Time next_reconcile = absl::InfinitePast();
  absl::Duration backoff = absl::Milliseconds(100);
  std::string last_problem;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::Status status = absl::OkStatus();
    if (clock_.Now() >= next_reconcile) {
      status = Reconcile();
      if (status.ok()) {
        next_reconcile = clock_.Now() + reconcile_period_;
        MarkCurrent(false);  // a full pull just succeeded: current as of now
      }
    }
    if (status.ok()) status = Follow();
    if (!status.ok() && std::string(status.message()) != last_problem) {
      last_problem = std::string(status.message());
      server::Log("enrollment", "catalog copy: " + last_problem);
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff)) return;
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace peixun::enrollment
