// Caller identity: HS256 bearer tokens naming a role and, where it applies, a region or host.
// Tokens are verified on every call; they are never logged.
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/util/clock.h"
#include "grpcpp/server_context.h"

namespace peixun::auth {

enum class Role {
  kProvinceAdmin,  // 省教育厅: manages everything
  kCityAdmin,      // 市教育局: its own city and that city's counties
  kCountyAdmin,    // 县教育局: its own county
  kHost,           // 承训单位: its own projects' trainees
  kExpert,         // 评估专家: scores assigned counties
  kViewer,         // read-only dashboards and portals
  kService,        // another peixun service
};

absl::string_view RoleName(Role role);
absl::StatusOr<Role> ParseRole(absl::string_view name);

// Who is calling.
struct Caller {
  std::string subject;      // "sub": who the token was issued to
  Role role = Role::kViewer;
  std::string region_code;  // GB/T 2260 code for city and county admins and experts
  std::string host;         // "hosts/{id}" for host institutions
};

struct TokenClaims {
  Caller caller;
  absl::Time expires;
};

// Signs claims as a compact HS256 JWT.
std::string SignToken(const TokenClaims& claims, absl::string_view key);

class TokenVerifier {
 public:
  TokenVerifier(std::string key, const Clock& clock) : key_(std::move(key)), clock_(clock) {}
  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;

  // UNAUTHENTICATED for a malformed, forged or expired token, with the reason.
  absl::StatusOr<Caller> Verify(absl::string_view token) const;

  // Reads "authorization: Bearer <token>" from the call's metadata and verifies it.
  absl::StatusOr<Caller> Authenticate(const grpc::ServerContext& context) const;

 private:
  struct Verified {
    Caller caller;
    absl::Time expires;
  };
  absl::StatusOr<Verified> VerifyUncached(absl::string_view token) const;

  std::string key_;
  const Clock& clock_;
  // Tokens already verified, so a client reusing its token costs one lookup, not an HMAC and
  // two JSON parses. Bounded: cleared when full. Expiry is still checked on every use.
  static constexpr size_t kCacheCapacity = 10000;
  mutable absl::Mutex cache_mu_;
  mutable absl::flat_hash_map<std::string, Verified> cache_ ABSL_GUARDED_BY(cache_mu_);
};

// The signing key: from the file named by `key_file` if set, else from the environment
// variable PEIXUN_TOKEN_KEY. At least 32 bytes.
absl::StatusOr<std::string> LoadTokenKey(const std::string& key_file);

}  // namespace peixun::auth
