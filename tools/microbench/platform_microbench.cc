// Per-call costs of the pure code on every request path (Google Benchmark).
//   build-release/tools/platform_microbench
#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "common/auth/access.h"
#include "common/auth/identity.h"
#include "common/util/bounds.h"
#include "common/util/filter.h"
#include "common/util/paging.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "services/catalog/domain/catalog_rules.h"
#include "services/enrollment/certificate_pdf.h"

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

// ES256 against a JWKS file, each token seen for the first time: a ring of more distinct
// tokens than the verifier's cache holds, so every verification is uncached.
void BM_VerifyEs256TokenFirstSight(benchmark::State& state) {
  const auto key = *auth::SigningKey::GenerateEs256("bench-1");
  const std::string jwks = "/tmp/peixun-microbench-jwks.json";
  std::ofstream(jwks) << auth::JwksDocument({key.PublicJwk()});
  auth::VerifierOptions options;
  options.jwks = jwks;
  auth::TokenVerifier verifier(options, SystemClock::Instance());
  std::vector<std::string> tokens;
  for (int i = 0; i < 12000; ++i) {
    auth::TokenClaims claims;
    claims.caller = {absl::StrCat("clerk-", i), auth::Role::kCityAdmin, "4101", ""};
    claims.expires = absl::Now() + absl::Hours(1);
    tokens.push_back(*auth::SignToken(claims, key));
  }
  size_t i = 0;
  for (auto _ : state) {
    auto caller = verifier.Verify(tokens[i++ % tokens.size()]);
    if (!caller.ok()) state.SkipWithError(std::string(caller.status().message()).c_str());
    benchmark::DoNotOptimize(caller);
  }
  std::remove(jwks.c_str());
}
BENCHMARK(BM_VerifyEs256TokenFirstSight);

// What Handlers::Handle adds before a handler: the policy's admission and the request's bounds.
void BM_AdmitAndCheckBounds(benchmark::State& state) {
  auth::Caller caller{"clerk", auth::Role::kCountyAdmin, "410225", ""};
  catalog::v1::GetProjectRequest request;
  request.set_name("years/2022/projects/rural-chief");
  for (auto _ : state) {
    auto access =
        auth::AccessPolicy::Default().Admit(caller, "peixun.catalog.v1.CatalogService.GetProject");
    benchmark::DoNotOptimize(access);
    benchmark::DoNotOptimize(CheckRequestBounds(request));
  }
}
BENCHMARK(BM_AdmitAndCheckBounds);

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

// R-34: a certificate of 30 ledger entries drawn as a one-page PDF in Chinese (cairo, the
// font's subset embedded), as GetHoursCertificate draws it on every call.
void BM_RenderHoursCertificate(benchmark::State& state) {
  enrollment::domain::CertificateContent content;
  content.teacher_id = "t1";
  content.holder = "张明远";
  content.masked_id_number = "4102**********0011";
  content.school = "兰考县第一高级中学";
  content.county_name = "兰考县";
  content.cycle_start_year = 2021;
  content.cycle_end_year = 2025;
  content.required_credit_hours = 360;
  content.required_off_site_days = 7;
  for (int i = 0; i < state.range(0); ++i) {
    enrollment::domain::CertifiedEntry& e = content.entries.emplace_back();
    e.entry_id = i + 1;
    e.school_year = 2021 + i % 4;
    e.year = 2022 + i % 4;
    e.level = static_cast<common::v1::PlanLevel>(1 + i % 5);
    e.description = "乡村教师能力提升培训（河南大学）";
    e.hours = 12;
    e.off_site_days = i % 3;
    e.registered = absl::CivilDay(2022 + i % 4, 10, 19);
  }
  size_t bytes = 0;
  for (auto _ : state) {
    auto pdf = enrollment::RenderHoursCertificatePdf(content, "K7QM-3XA9-PD2R-8WHT",
                                                     absl::FromUnixSeconds(1700000000));
    bytes = pdf.ok() ? pdf->size() : 0;
    benchmark::DoNotOptimize(pdf);
  }
  state.counters["pdf_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderHoursCertificate)->Arg(30)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace peixun

BENCHMARK_MAIN();
