// catalog: plans, categories, hosts, projects, quotas and cost policy (see DOMAIN.md §3).
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/server/dependency.h"
#include "common/server/platform.h"
#include "services/catalog/catalog_migrations.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/claim_lookups.h"

ABSL_FLAG(std::string, enrollment_target, "",
          "enrollment's gRPC address, asked how many seats nominations hold before a county quota "
          "is cut (R-7; env PEIXUN_ENROLLMENT_TARGET; default 127.0.0.1:50052)");

ABSL_FLAG(std::string, funding_target, "",
          "funding's gRPC address, asked whether a county is an active project county before it "
          "gets seats of a 项目县 category (R-27; env PEIXUN_FUNDING_TARGET; default "
          "127.0.0.1:50054)");

int main(int argc, char** argv) {
  peixun::server::BlockTerminationSignals();
  absl::ParseCommandLine(argc, argv);
  auto options = peixun::server::OptionsFromFlags("catalog", "peixun.catalog.v1.CatalogService", 0);
  if (!options.ok()) {
    peixun::server::Log("catalog", std::string(options.status().message()));
    return 2;
  }
  options->migrations = peixun::catalog::Migrations();
  peixun::server::Platform platform(*std::move(options));
  // Tokens' region and host claims must name regions and hosts of catalog's own tables.
  platform.SetClaimLookups(peixun::catalog::StoreClaimLookups(platform.pool()));
  peixun::catalog::CatalogService service(platform);
  peixun::catalog::EnrollmentSeats nominated(
      peixun::server::DependencyTarget(absl::GetFlag(FLAGS_enrollment_target),
                                       "PEIXUN_ENROLLMENT_TARGET", "127.0.0.1:50052"),
      platform.signer(), platform.clock(),
      peixun::server::DependencyCredentials(platform.options()));
  service.UseNominatedSeats(&nominated);
  peixun::catalog::FundingProjectCounties project_counties(
      peixun::server::DependencyTarget(absl::GetFlag(FLAGS_funding_target), "PEIXUN_FUNDING_TARGET",
                                       "127.0.0.1:50054"),
      platform.signer(), platform.clock(),
      peixun::server::DependencyCredentials(platform.options()));
  service.UseProjectCounties(&project_counties);
  if (auto status = platform.Start(&service); !status.ok()) {
    peixun::server::Log("catalog", std::string(status.message()));
    return 1;
  }
  return peixun::server::RunUntilTerminated(platform);
}
