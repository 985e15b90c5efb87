// funding: tier policy, decisions from published grades, project-county status, budgets and
// subsidies (DOMAIN.md §6).
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/server/platform.h"
#include "services/catalog/claim_lookups.h"
#include "services/funding/funding_migrations.h"
#include "services/funding/funding_service.h"

ABSL_FLAG(std::string, evaluation_target, "",
          "evaluation's gRPC address, asked for published results when funding is decided "
          "(env PEIXUN_EVALUATION_TARGET; default 127.0.0.1:50053)");

ABSL_FLAG(std::string, catalog_target, "",
          "catalog's gRPC address, asked for regions and project budgets by budget summaries "
          "(env PEIXUN_CATALOG_TARGET; default 127.0.0.1:50051)");
ABSL_FLAG(std::string, enrollment_target, "",
          "enrollment's gRPC address, asked for completions by budget summaries "
          "(env PEIXUN_ENROLLMENT_TARGET; default 127.0.0.1:50052)");

int main(int argc, char** argv) {
  peixun::server::BlockTerminationSignals();
  absl::ParseCommandLine(argc, argv);
  auto options = peixun::server::OptionsFromFlags("funding", "peixun.funding.v1.FundingService", 3);
  if (!options.ok()) {
    peixun::server::Log("funding", std::string(options.status().message()));
    return 2;
  }
  options->migrations = peixun::funding::Migrations();
  const std::string evaluation_target = peixun::server::DependencyTarget(
      absl::GetFlag(FLAGS_evaluation_target), "PEIXUN_EVALUATION_TARGET", "127.0.0.1:50053");
  const std::string catalog_target = peixun::server::DependencyTarget(
      absl::GetFlag(FLAGS_catalog_target), "PEIXUN_CATALOG_TARGET", "127.0.0.1:50051");
  const std::string enrollment_target = peixun::server::DependencyTarget(
      absl::GetFlag(FLAGS_enrollment_target), "PEIXUN_ENROLLMENT_TARGET", "127.0.0.1:50052");
  peixun::server::Platform platform(*std::move(options));
  const peixun::auth::TokenSigner key = platform.signer();
  const auto credentials = peixun::server::DependencyCredentials(platform.options());
  peixun::funding::EvaluationResults evaluation(evaluation_target, key, platform.clock(),
                                                credentials);
  peixun::funding::CatalogBudgets catalog(catalog_target, key, platform.clock(), credentials);
  peixun::funding::EnrollmentCompletions enrollment(enrollment_target, key, platform.clock(),
                                                    credentials);
  // Tokens' region and host claims must name regions and hosts catalog knows.
  platform.SetClaimLookups(peixun::catalog::CatalogClaimLookups("funding", catalog_target, key,
                                                                platform.clock(), credentials));
  const peixun::catalog::RegionDirectory regions("funding", catalog_target, key, platform.clock(),
                                                 credentials);
  peixun::funding::FundingService service(platform, {&evaluation, &catalog, &enrollment, &regions});
  if (auto status = platform.Start(&service); !status.ok()) {
    peixun::server::Log("funding", std::string(status.message()));
    return 1;
  }
  return peixun::server::RunUntilTerminated(platform);
}
