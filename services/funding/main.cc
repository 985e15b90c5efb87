// funding: tier policy, decisions from published grades, project-county status (DOMAIN.md §6).
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/server/platform.h"
#include "services/funding/funding_migrations.h"
#include "services/funding/funding_service.h"

ABSL_FLAG(std::string, evaluation_target, "",
          "evaluation's gRPC address, asked for published results when funding is decided "
          "(env PEIXUN_EVALUATION_TARGET; default 127.0.0.1:50053)");

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
  peixun::server::Platform platform(*std::move(options));
  peixun::funding::EvaluationResults evaluation(evaluation_target, platform.options().token_key, platform.clock());
  peixun::funding::FundingService service(platform, &evaluation);
  if (auto status = platform.Start(&service); !status.ok()) {
    peixun::server::Log("funding", std::string(status.message()));
    return 1;
  }
  return peixun::server::RunUntilTerminated(platform);
}
