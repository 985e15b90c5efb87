#include "tests/support/stack.h"

#include "absl/strings/str_cat.h"
#include "services/catalog/catalog_migrations.h"
#include "services/catalog/claim_lookups.h"
#include "services/enrollment/claim_lookups.h"
#include "services/enrollment/enrollment_migrations.h"
#include "services/evaluation/evaluation_migrations.h"
#include "services/funding/funding_migrations.h"

namespace peixun::testing {
namespace {

std::unique_ptr<server::Platform> NewPlatform(const std::string& name, const char* service,
                                              ScratchDatabase& db,
                                              std::vector<db::Migration> migrations,
                                              const Clock& clock = SystemClock::Instance()) {
  return std::make_unique<server::Platform>(
      TestPlatformOptions(name, service, db.config(), std::move(migrations)), clock);
}

absl::Status StartAndWait(server::Platform& platform, grpc::Service* service) {
  if (absl::Status status = platform.Start(service); !status.ok()) return status;
  if (!WaitServing(platform))
    return absl::DeadlineExceededError(absl::StrCat(platform.options().service, " is not SERVING"));
  return absl::OkStatus();
}

}  // namespace

ServiceStack::ServiceStack(const Clock& clock) : enrollment_clock(clock) {}

ServiceStack::~ServiceStack() { Stop(); }

std::string ServiceStack::Address(const server::Platform& platform) {
  return absl::StrCat("127.0.0.1:", platform.port());
}

server::ClaimLookups ServiceStack::ClaimsThroughCatalog(const std::string& service) const {
  return catalog::CatalogClaimLookups(service, Address(*catalog), TestSigner(),
                                      SystemClock::Instance());
}

absl::Status ServiceStack::Start(const std::function<void()>& after_catalog,
                                 const std::function<void()>& after_enrollment,
                                 const std::function<void()>& after_evaluation) {
  catalog = NewPlatform("catalog", kServiceNames[0], catalog_db, catalog::Migrations());
  // Every service checks tokens' region and host claims against catalog, as deployed.
  catalog->SetClaimLookups(catalog::StoreClaimLookups(catalog->pool()));
  catalog_service = std::make_unique<catalog::CatalogService>(*catalog);
  if (absl::Status status = StartAndWait(*catalog, catalog_service.get()); !status.ok())
    return status;
  if (after_catalog) after_catalog();

  enrollment = NewPlatform("enrollment", kServiceNames[1], enrollment_db, enrollment::Migrations(),
                           enrollment_clock);
  mirror = std::make_unique<enrollment::CatalogMirror>(enrollment->pool(), Address(*catalog),
                                                       TestSigner(), SystemClock::Instance(),
                                                       enrollment->metrics().registry());
  enrollment->SetClaimLookups(
      enrollment::MirrorClaimLookups(enrollment->pool(), ClaimsThroughCatalog("enrollment")));
  enrollment_service = std::make_unique<enrollment::EnrollmentService>(*enrollment, *mirror);
  if (absl::Status status = StartAndWait(*enrollment, enrollment_service.get()); !status.ok())
    return status;
  mirror->Start();
  if (after_enrollment) after_enrollment();

  evaluation = NewPlatform("evaluation", kServiceNames[2], evaluation_db, evaluation::Migrations());
  rates = std::make_unique<evaluation::EnrollmentRates>(Address(*enrollment), TestSigner(),
                                                        SystemClock::Instance());
  regions = std::make_unique<catalog::RegionDirectory>("evaluation", Address(*catalog),
                                                       TestSigner(), SystemClock::Instance());
  evaluation->SetClaimLookups(ClaimsThroughCatalog("evaluation"));
  evaluation_service = std::make_unique<evaluation::EvaluationService>(*evaluation, rates.get(),
                                                                       nullptr, regions.get());
  if (absl::Status status = StartAndWait(*evaluation, evaluation_service.get()); !status.ok())
    return status;
  if (after_evaluation) after_evaluation();

  funding = NewPlatform("funding", kServiceNames[3], funding_db, funding::Migrations());
  results = std::make_unique<funding::EvaluationResults>(Address(*evaluation), TestSigner(),
                                                         SystemClock::Instance());
  budgets = std::make_unique<funding::CatalogBudgets>(Address(*catalog), TestSigner(),
                                                      SystemClock::Instance());
  completions = std::make_unique<funding::EnrollmentCompletions>(Address(*enrollment), TestSigner(),
                                                                 SystemClock::Instance());
  funding_regions = std::make_unique<catalog::RegionDirectory>(
      "funding", Address(*catalog), TestSigner(), SystemClock::Instance());
  funding->SetClaimLookups(ClaimsThroughCatalog("funding"));
  funding_service = std::make_unique<funding::FundingService>(
      *funding, funding::FundingDependencies{results.get(), budgets.get(), completions.get(),
                                             funding_regions.get()});
  return StartAndWait(*funding, funding_service.get());
}

void ServiceStack::Stop() {
  if (funding) funding->Shutdown();
  if (evaluation) evaluation->Shutdown();
  if (mirror) mirror->Stop();
  if (enrollment) enrollment->Shutdown();
  if (catalog) catalog->Shutdown();
}

server::Platform& ServiceStack::Of(const std::string& service_name) {
  if (service_name == kServiceNames[0]) return *catalog;
  if (service_name == kServiceNames[1]) return *enrollment;
  if (service_name == kServiceNames[2]) return *evaluation;
  return *funding;
}

}  // namespace peixun::testing
