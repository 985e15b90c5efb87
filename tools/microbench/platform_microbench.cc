// Per-call costs of the pure code on every request path (Google Benchmark).
//   build-release/tools/platform_microbench
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "common/auth/identity.h"
#include "common/util/filter.h"
#include "common/util/paging.h"
#include "services/catalog/domain/catalog_rules.h"

namespace peixun {
namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";

std::string Token() {
  auth::TokenClaims claims;
  claims.caller = {"clerk", auth::Role::kCityAdmin, "4101", ""};
  claims.expires = absl::Now() + absl::Hours(1);
  return auth::SignToken(claims, kKey);
}

void BM_VerifyTokenFirstSight(benchmark::State& state) {
  const std::string token = Token();
  for (auto _ : state) {
    auth::TokenVerifier verifier(kKey, SystemClock::Instance());  // empty cache
    benchmark::DoNotOptimize(verifier.Verify(token));
  }
}
BENCHMARK(BM_VerifyTokenFirstSight);

void BM_VerifyTokenCached(benchmark::State& state) {
  const std::string token = Token();
  auth::TokenVerifier verifier(kKey, SystemClock::Instance());
  (void)verifier.Verify(token);
  for (auto _ : state) benchmark::DoNotOptimize(verifier.Verify(token));
}
BENCHMARK(BM_VerifyTokenCached);

void BM_ParseFilter(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ParseFilter(R"(host = "hosts/henu" AND plan_level = "NATIONAL")",
                                         {"category", "host", "plan_level"}));
  }
}
BENCHMARK(BM_ParseFilter);

void BM_PageTokenRoundTrip(benchmark::State& state) {
  for (auto _ : state) {
    std::string token = EncodePageToken("rural-chief", "years/2022|plan_level = NATIONAL");
    benchmark::DoNotOptimize(DecodePageToken(token, "years/2022|plan_level = NATIONAL"));
  }
}
BENCHMARK(BM_PageTokenRoundTrip);

void BM_ComputeBudget(benchmark::State& state) {
  catalog::v1::Project project;
  project.set_seats(500);
  project.mutable_format()->set_centralized_days(10);
  project.mutable_format()->set_shadowing_days(5);
  project.mutable_format()->set_online_hours(30);
  catalog::v1::CostPolicy policy;
  policy.set_fen_per_person_day(40000);
  policy.set_fen_per_online_hour(300);
  for (auto _ : state) benchmark::DoNotOptimize(catalog::domain::ComputeBudget(project, policy));
}
BENCHMARK(BM_ComputeBudget);

}  // namespace
}  // namespace peixun

BENCHMARK_MAIN();
