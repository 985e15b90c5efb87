// evaluation: rubrics, rounds, panels, deductions, grades and publication (DOMAIN.md §5).
#include "absl/flags/parse.h"
#include "common/server/platform.h"
#include "services/evaluation/evaluation_migrations.h"
#include "services/evaluation/evaluation_service.h"

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
  peixun::server::Platform platform(*std::move(options));
  peixun::evaluation::EvaluationService service(platform);
  if (auto status = platform.Start(&service); !status.ok()) {
    peixun::server::Log("evaluation", std::string(status.message()));
    return 1;
  }
  return peixun::server::RunUntilTerminated(platform);
}
