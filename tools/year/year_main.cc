// peixun_year: runs the demonstration year through the four running services and prints the
// per-county table and the province summary, then one JSON line of figures (tools/quickstart,
// tools/bench year). See tools/year/year_driver.h for what each phase does.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/auth/identity.h"
#include "tools/year/year_driver.h"

ABSL_FLAG(std::string, catalog_target, "127.0.0.1:50051", "catalog's address");
ABSL_FLAG(std::string, enrollment_target, "127.0.0.1:50052", "enrollment's address");
ABSL_FLAG(std::string, evaluation_target, "127.0.0.1:50053", "evaluation's address");
ABSL_FLAG(std::string, funding_target, "127.0.0.1:50054", "funding's address");
ABSL_FLAG(std::string, token_key_file, "",
          "HS256 key file (or env PEIXUN_TOKEN_KEY_FILE / PEIXUN_TOKEN_KEY)");
ABSL_FLAG(
    std::string, signing_key_file, "",
    "ES256 key made by peixunctl keys init (or env PEIXUN_SIGNING_KEY_FILE); preferred over HS256");
ABSL_FLAG(
    int, year, 2022,
    "the plan year (its catalog must be loaded and its deadline ahead of the services' clock)");
ABSL_FLAG(int, generate_teachers_per_county, 0, "teachers to generate and import per county first");
ABSL_FLAG(int, experts, 3, "experts scoring each county");
ABSL_FLAG(int64_t, subsidy_fen, 0,
          "per-participant subsidy (fen) to set in a new tier policy version before deciding (0: "
          "keep the policy)");
ABSL_FLAG(int, threads, 8, "calls in flight");
ABSL_FLAG(std::string, clock_file, "",
          "the suite's demonstration clock file (or env PEIXUN_CLOCK_FILE): moved to the year's "
          "last day before hosts record arrivals and completions (R-11)");
ABSL_FLAG(bool, table, true, "print the per-county table and the province summary");
ABSL_FLAG(bool, next_year, true,
          "check the next year: a barred teacher refused (R-12), revoked counties left out (R-27)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "peixun_year [--year 2022] [--generate_teachers_per_county N]: the demonstration year");
  absl::ParseCommandLine(argc, argv);
  peixun::year::YearOptions options;
  std::string signing_key_file = absl::GetFlag(FLAGS_signing_key_file);
  if (signing_key_file.empty() && std::getenv("PEIXUN_SIGNING_KEY_FILE") != nullptr)
    signing_key_file = std::getenv("PEIXUN_SIGNING_KEY_FILE");
  if (!signing_key_file.empty()) {
    auto key = peixun::auth::SigningKey::FromFile(signing_key_file);
    if (!key.ok()) {
      std::cerr << "peixun_year: " << key.status().message() << "\n";
      return 2;
    }
    options.signer.key = std::make_shared<const peixun::auth::SigningKey>(*std::move(key));
  } else {
    std::string key_file = absl::GetFlag(FLAGS_token_key_file);
    if (key_file.empty() && std::getenv("PEIXUN_TOKEN_KEY_FILE") != nullptr)
      key_file = std::getenv("PEIXUN_TOKEN_KEY_FILE");
    auto key = peixun::auth::LoadTokenKey(key_file);
    if (!key.ok()) {
      std::cerr << "peixun_year: " << key.status().message() << "\n";
      return 2;
    }
    options.signer.hs256_key = *key;
  }
  options.catalog_target = absl::GetFlag(FLAGS_catalog_target);
  options.enrollment_target = absl::GetFlag(FLAGS_enrollment_target);
  options.evaluation_target = absl::GetFlag(FLAGS_evaluation_target);
  options.funding_target = absl::GetFlag(FLAGS_funding_target);
  options.year = absl::GetFlag(FLAGS_year);
  options.generate_teachers_per_county = absl::GetFlag(FLAGS_generate_teachers_per_county);
  options.experts_per_county = absl::GetFlag(FLAGS_experts);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.subsidy_per_participant_fen = absl::GetFlag(FLAGS_subsidy_fen);
  options.next_year = absl::GetFlag(FLAGS_next_year);
  options.clock_file = absl::GetFlag(FLAGS_clock_file);
  if (options.clock_file.empty() && std::getenv("PEIXUN_CLOCK_FILE") != nullptr)
    options.clock_file = std::getenv("PEIXUN_CLOCK_FILE");
  options.progress = [](const std::string& line) { std::cerr << "  " << line << std::endl; };
  peixun::year::YearDriver driver(options);
  absl::Status status = driver.Run();
  if (!status.ok()) {
    std::cerr << "peixun_year: " << status.message() << "\n";
    return 1;
  }
  if (absl::GetFlag(FLAGS_table)) std::cout << driver.Table() << "\n";
  std::cout << driver.Json() << std::endl;
  return 0;
}
