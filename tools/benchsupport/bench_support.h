// What the benchmark drivers share: settings from the environment, tokens and call contexts,
// percentiles, a process's peak memory and its CPU time.
#pragma once

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/identity.h"
#include "grpcpp/client_context.h"
#include "peixun/common/v1/common.pb.h"

namespace peixun::bench {

inline std::string Env(const char* name, const std::string& fallback = "") {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// Prints "{program}: {what}" and exits 1.
[[noreturn]] inline void Die(const std::string& what) {
  std::cerr << program_invocation_short_name << ": " << what << "\n";
  std::exit(1);
}

// A token valid for 4 hours, signed by `signer` (ES256 with a key of `peixunctl keys init`, or
// HS256 in development).
inline std::string Token(const auth::TokenSigner& signer, auth::Role role,
                         const std::string& region = "", const std::string& host = "",
                         const std::string& subject = "bench") {
  auth::TokenClaims claims;
  claims.caller.subject = subject;
  claims.caller.role = role;
  claims.caller.region_code = region;
  claims.caller.host = host;
  claims.expires = absl::Now() + absl::Hours(4);
  auto token = signer.Sign(claims);
  if (!token.ok()) Die(std::string(token.status().message()));
  return *token;
}

// The same with the development HS256 key.
inline std::string Token(const std::string& key, auth::Role role, const std::string& region = "",
                         const std::string& host = "", const std::string& subject = "bench") {
  auth::TokenSigner signer;
  signer.hs256_key = key;
  return Token(signer, role, region, host, subject);
}

// A call context with the token and a generous deadline.
inline std::unique_ptr<grpc::ClientContext> Context(const std::string& token,
                                                    int deadline_seconds = 60) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_seconds));
  return context;
}

inline common::v1::Date Date(int y, int m, int d) {
  common::v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

// The value below which a fraction p of `values` lies.
inline double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

// VmHWM of a process, in kB (0 when unknown).
inline int64_t PeakRssKb(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return 0;
}

// CPU time a process has used so far (user and system), in seconds (0 when unknown).
inline double CpuSeconds(int pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return 0;
  // The fields after the command, which is in parentheses and may contain spaces.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  double ticks = 0;
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command.
  for (int i = 1; i <= 13 && fields >> field; ++i) {
    if (i >= 12) ticks += std::atof(field.c_str());
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace peixun::bench
