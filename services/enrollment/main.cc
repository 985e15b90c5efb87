// enrollment: teachers, nominations, lifecycle, blacklist, credit hours, rates (DOMAIN.md §4).
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/server/platform.h"
#include "services/catalog/claim_lookups.h"
#include "services/enrollment/catalog_mirror.h"
#include "services/enrollment/claim_lookups.h"
#include "services/enrollment/enrollment_migrations.h"
#include "services/enrollment/enrollment_service.h"

ABSL_FLAG(std::string, catalog_target, "",
          "catalog's gRPC address (env PEIXUN_CATALOG_TARGET; default 127.0.0.1:50051)");

ABSL_FLAG(int, nomination_batches, 1,
          "nomination batches run at a time (1-16). One gives the largest batches and, on a "
          "database with two cores, the most nominations per second; raise it with the "
          "database's cores");

int main(int argc, char** argv) {
  peixun::server::BlockTerminationSignals();
  absl::ParseCommandLine(argc, argv);
  auto options =
      peixun::server::OptionsFromFlags("enrollment", "peixun.enrollment.v1.EnrollmentService", 1);
  if (!options.ok()) {
    peixun::server::Log("enrollment", std::string(options.status().message()));
    return 2;
  }
  const std::string catalog_target = peixun::server::DependencyTarget(
      absl::GetFlag(FLAGS_catalog_target), "PEIXUN_CATALOG_TARGET", "127.0.0.1:50051");
  options->migrations = peixun::enrollment::Migrations();
  peixun::server::Platform platform(*std::move(options));
  peixun::enrollment::CatalogMirror catalog(
      platform.pool(), catalog_target, platform.signer(), platform.clock(),
      platform.metrics().registry(), absl::Minutes(5),
      peixun::server::DependencyCredentials(platform.options()));
  // Tokens' region and host claims must name regions and hosts catalog knows: looked up in
  // enrollment's copy of catalog first, so that claims are checked while catalog is down.
  platform.SetClaimLookups(peixun::enrollment::MirrorClaimLookups(
      platform.pool(), peixun::catalog::CatalogClaimLookups(
                           "enrollment", catalog_target, platform.signer(), platform.clock(),
                           peixun::server::DependencyCredentials(platform.options()))));
  const int batches = absl::GetFlag(FLAGS_nomination_batches);
  if (batches < 1 || batches > 16) {
    peixun::server::Log("enrollment", "--nomination_batches must be between 1 and 16");
    return 2;
  }
  auto mirror = platform.background().AddComponent(
      "catalog mirror", [&catalog] { catalog.Start(); }, [&catalog] { catalog.Stop(); });
  peixun::enrollment::EnrollmentService service(platform, catalog, batches);
  if (auto status = platform.Start(&service); !status.ok()) {
    peixun::server::Log("enrollment", std::string(status.message()));
    return 1;
  }
  return peixun::server::RunUntilTerminated(platform);
}
