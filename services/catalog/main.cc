// catalog: plans, categories, hosts, projects, quotas and cost policy (see DOMAIN.md §3).
#include "absl/flags/parse.h"
#include "common/server/platform.h"
#include "services/catalog/catalog_migrations.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/claim_lookups.h"

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
  if (auto status = platform.Start(&service); !status.ok()) {
    peixun::server::Log("catalog", std::string(status.message()));
    return 1;
  }
  return peixun::server::RunUntilTerminated(platform);
}
