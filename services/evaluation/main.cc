// evaluation: rubrics, rounds, panels, deductions, grades and publication (DOMAIN.md §5).
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/server/platform.h"
#include "services/evaluation/evaluation_migrations.h"
#include "services/evaluation/evaluation_service.h"

ABSL_FLAG(std::string, enrollment_target, "",
          "enrollment's gRPC address, asked for county rates when deductions are computed "
          "(env PEIXUN_ENROLLMENT_TARGET; default 127.0.0.1:50052)");

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
  std::string enrollment_target = absl::GetFlag(FLAGS_enrollment_target);
  if (enrollment_target.empty()) {
    const char* env = std::getenv("PEIXUN_ENROLLMENT_TARGET");
    enrollment_target = env != nullptr && *env != '\0' ? env : "127.0.0.1:50052";
  }
  peixun::server::Platform platform(*std::move(options));
  peixun::evaluation::EnrollmentRates rates(enrollment_target, platform.options().token_key, platform.clock());
  peixun::evaluation::EvaluationService service(platform, &rates);
  if (auto status = platform.Start(&service); !status.ok()) {
    peixun::server::Log("evaluation", std::string(status.message()));
    return 1;
  }
  return peixun::server::RunUntilTerminated(platform);
}
