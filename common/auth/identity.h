// Caller identity: bearer JWTs naming a role and, where it applies, a region or host, signed
// ES256 or RS256 by the province's identity provider (verified against its JWKS, by kid) or, in
// development on loopback only, HS256 with a shared key. Tokens are verified on every call
// (cached once verified); they are never logged. The claims are listed in docs/security.md.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/jwks.h"
#include "common/util/clock.h"
#include "grpcpp/server_context.h"

namespace peixun::auth {

enum class Role {
  kProvinceAdmin,   // 省教育厅: manages everything
  kCityAdmin,       // 市教育局: its own city and that city's counties
  kCountyAdmin,     // 县教育局: its own county
  kTrainingSchool,  // 教师进修学校: its county's school-based research
  kSchoolAdmin,     // 学校: its own school (subject "regions/{county}/schools/{school}")
  kHost,            // 承训单位: its own projects' trainees
  kExpert,          // 评估专家: scores assigned counties
  kTeacher,         // 教师: their own record (subject "teachers/{id}")
  kViewer,          // read-only dashboards and portals
  kService,         // another peixun service
};

absl::string_view RoleName(Role role);
absl::StatusOr<Role> ParseRole(absl::string_view name);

// Who is calling.
struct Caller {
  std::string subject;  // "sub": who the token was issued to
  Role role = Role::kViewer;
  std::string region_code;  // GB/T 2260 code for city and county admins and experts
  std::string host;         // "hosts/{id}" for host institutions
};

// A digest (32 bytes) naming the caller: role, subject, region and host. Stored idempotent
// answers are kept under it, so that only the caller who made one can replay it.
std::string IdentityKey(const Caller& caller);

struct TokenClaims {
  Caller caller;
  absl::Time expires;
  absl::Time issued = absl::InfinitePast();  // "iat"; the real time of signing when not set
  std::string issuer;                        // "iss", when not empty
  std::string audience;                      // "aud", when not empty
};

// The longest lifetime (exp - iat) a token may have, and the clock skew allowed on exp, nbf
// and iat.
inline constexpr absl::Duration kMaxTokenLifetime = absl::Hours(12);
inline constexpr absl::Duration kTokenLeeway = absl::Seconds(60);

// Signs claims as a compact HS256 JWT (development mode).
std::string SignToken(const TokenClaims& claims, absl::string_view key);
// Signs claims as a compact ES256 or RS256 JWT whose header names the key's kid.
absl::StatusOr<std::string> SignToken(const TokenClaims& claims, const SigningKey& key);

// How a service verifies tokens.
struct VerifierOptions {
  std::string hs256_key;  // development mode: HS256 with this shared key (loopback only)
  std::string jwks;       // ES256/RS256 public keys: a JWKS file path or http(s) URL
  std::string issuer;     // when set, "iss" must be exactly this
  std::string audience;   // when set, "aud" must be (or, as an array, contain) this
  // How soon a token naming an unknown kid makes the key set be fetched again, and how old a
  // URL's copy may grow before it is.
  absl::Duration jwks_refetch_interval = absl::Seconds(10);
  absl::Duration jwks_max_age = absl::Minutes(5);
};

// How a service signs the tokens of its own calls to other services: with its own key pair
// when it has one, else (development) with the shared HS256 key.
struct TokenSigner {
  std::string hs256_key;
  std::shared_ptr<const SigningKey> key;
  std::string issuer;
  std::string audience;
  absl::StatusOr<std::string> Sign(TokenClaims claims) const;
};

class TokenVerifier {
 public:
  TokenVerifier(VerifierOptions options, const Clock& clock);
  TokenVerifier(std::string hs256_key, const Clock& clock)
      : TokenVerifier(Hs256Only(std::move(hs256_key)), clock) {}
  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;

  // UNAUTHENTICATED for a malformed, forged or expired token, with the reason. Times are read
  // on `clock`, which is the real clock in a service (never a demonstration business clock):
  // exp and nbf with kTokenLeeway, iat not in the future, exp - iat at most kMaxTokenLifetime.
  // A region claim must be a city code (4 digits, or 济源's 419001) for a city admin and a
  // county code (6 digits) for a county admin; a teacher's subject is "teachers/{id}".
  absl::StatusOr<Caller> Verify(absl::string_view token) const;

  // Reads "authorization: Bearer <token>" from the call's metadata and verifies it.
  absl::StatusOr<Caller> Authenticate(const grpc::ServerContext& context) const;

 private:
  static VerifierOptions Hs256Only(std::string key) {
    VerifierOptions options;
    options.hs256_key = std::move(key);
    return options;
  }
  struct Verified {
    Caller caller;
    absl::Time expires;
    std::string kid;  // of an asymmetric key, checked again on use (a removed key stops its tokens)
  };
  absl::StatusOr<Verified> VerifyUncached(absl::string_view token) const;

  const VerifierOptions options_;
  std::unique_ptr<KeySource> keys_;  // when options_.jwks is set
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
