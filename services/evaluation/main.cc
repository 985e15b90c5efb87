// evaluation: rubrics, rounds, panels, deductions, grades and publication (DOMAIN.md §5).
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/server/platform.h"
#include "services/catalog/claim_lookups.h"
#include "services/evaluation/evaluation_migrations.h"
#include "services/evaluation/evaluation_service.h"

ABSL_FLAG(std::string, enrollment_target, "",
          "enrollment's gRPC address, asked for county rates when deductions are computed "
          "(env PEIXUN_ENROLLMENT_TARGET; default 127.0.0.1:50052)");

ABSL_FLAG(std::string, funding_target, "",
          "funding's gRPC address, asked which counties are active project counties when a round "
          "opens (R-27) (env PEIXUN_FUNDING_TARGET; default 127.0.0.1:50054)");

ABSL_FLAG(std::string, catalog_target, "",
          "catalog's gRPC address, asked which city a county is in when a city admin reads expert "
          "scores (env PEIXUN_CATALOG_TARGET; default 127.0.0.1:50051)");

int main(int argc, char** argv) {
  peixun::server::BlockTerminationSignals();
  absl::ParseCommandLine(argc, argv);
  auto options =
      peixun::server::OptionsFromFlags("evaluation", "peixun.evaluation.v1.EvaluationService", 2);
  if (!options.ok()) {
    peixun::server::Log("evaluation", std::string(options.status().message()));
    return 2;
  }
  options->migrations = peixun::evaluation::Migrations();
  options->seed = peixun::evaluation::SeedRubrics;
  peixun::server::Platform platform(*std::move(options));
  peixun::evaluation::EnrollmentRates rates(
      peixun::server::DependencyTarget(absl::GetFlag(FLAGS_enrollment_target),
                                       "PEIXUN_ENROLLMENT_TARGET", "127.0.0.1:50052"),
      platform.signer(), platform.clock(),
      peixun::server::DependencyCredentials(platform.options()));
  peixun::evaluation::FundingStatus funding(
      peixun::server::DependencyTarget(absl::GetFlag(FLAGS_funding_target), "PEIXUN_FUNDING_TARGET",
                                       "127.0.0.1:50054"),
      platform.signer(), platform.clock(),
      peixun::server::DependencyCredentials(platform.options()));
  const std::string catalog_target = peixun::server::DependencyTarget(
      absl::GetFlag(FLAGS_catalog_target), "PEIXUN_CATALOG_TARGET", "127.0.0.1:50051");
  peixun::catalog::RegionDirectory regions(
      "evaluation", catalog_target, platform.signer(), platform.clock(),
      peixun::server::DependencyCredentials(platform.options()));
  // Tokens' region and host claims must name regions and hosts catalog knows.
  platform.SetClaimLookups(peixun::catalog::CatalogClaimLookups(
      "evaluation", catalog_target, platform.signer(), platform.clock(),
      peixun::server::DependencyCredentials(platform.options())));
  peixun::evaluation::EvaluationService service(platform, &rates, &funding, &regions);
  if (auto status = platform.Start(&service); !status.ok()) {
    peixun::server::Log("evaluation", std::string(status.message()));
    return 1;
  }
  return peixun::server::RunUntilTerminated(platform);
}
