// Asymmetric token keys: JSON Web Key Sets (RFC 7517) of ES256 (P-256) and RS256 public keys
// that verify JWS signatures (RFC 7515/7518), the private keys that make them, and a key source
// that follows a JWKS file or URL so that keys rotate without a restart.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace peixun::auth {

// The public keys of a JWKS document, by "kid".
class KeySet {
 public:
  // INVALID_ARGUMENT naming the key (by position and kid) that is malformed, of an unsupported
  // type (EC P-256 for ES256, RSA of at least 2048 bits for RS256), or a repeated kid.
  static absl::StatusOr<KeySet> Parse(absl::string_view json);

  // UNAUTHENTICATED unless `signature` is `alg`'s signature of `input` by key `kid`.
  absl::Status Verify(absl::string_view kid, absl::string_view alg, absl::string_view input,
                      absl::string_view signature) const;
  bool Has(absl::string_view kid) const { return keys_.count(std::string(kid)) > 0; }
  size_t size() const { return keys_.size(); }

 private:
  struct Key {
    std::string alg;  // "ES256" or "RS256"
    std::shared_ptr<EVP_PKEY> key;
  };
  std::map<std::string, Key> keys_;
};

// A private key that signs tokens, with the kid its public key has in the JWKS.
class SigningKey {
 public:
  // A new P-256 key (ES256).
  static absl::StatusOr<SigningKey> GenerateEs256(std::string kid);
  // A PEM private key (EC P-256 → ES256, RSA → RS256).
  static absl::StatusOr<SigningKey> FromPem(absl::string_view pem, std::string kid);
  // A key file made by `peixunctl keys init`: the PEM, with the kid on a first line "kid: …".
  static absl::StatusOr<SigningKey> FromFile(const std::string& path);

  const std::string& kid() const { return kid_; }
  const std::string& alg() const { return alg_; }
  // The JWS signature of `input` (for ES256 the 64 bytes r || s).
  absl::StatusOr<std::string> Sign(absl::string_view input) const;
  // The private key as PEM (PKCS#8).
  std::string PrivatePem() const;
  // The public key as a JWK object ({"kty": …, "kid": …, "alg": …, "use": "sig", …}).
  std::string PublicJwk() const;
  // The key file FromFile reads.
  std::string KeyFile() const { return "kid: " + kid_ + "\n" + PrivatePem(); }

 private:
  SigningKey(std::shared_ptr<EVP_PKEY> key, std::string kid, std::string alg)
      : key_(std::move(key)), kid_(std::move(kid)), alg_(std::move(alg)) {}
  std::shared_ptr<EVP_PKEY> key_;
  std::string kid_;
  std::string alg_;
};

// {"keys": [jwk, …]}.
std::string JwksDocument(const std::vector<std::string>& jwks);

// The key set at a file path or an http(s) URL, read at start and again when the file's
// modification time changes (looked at no more than once a second), when a URL's copy is older
// than `max_age`, or when a token names a kid the set does not have (fetched again no more than
// every `refetch_interval`). A set that fails to load or parse keeps the last good one in force.
class KeySource {
 public:
  explicit KeySource(std::string location, absl::Duration refetch_interval = absl::Seconds(10),
                     absl::Duration max_age = absl::Minutes(5));

  // The set in force, refreshed as described above; UNAVAILABLE when none could ever be read.
  absl::StatusOr<std::shared_ptr<const KeySet>> Keys(absl::string_view wanted_kid);
  const std::string& location() const { return location_; }

 private:
  absl::Status Load();
  absl::StatusOr<std::string> Fetch() const;

  const std::string location_;
  const absl::Duration refetch_interval_;
  const absl::Duration max_age_;
  absl::Mutex mu_;
  std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  int64_t file_mtime_ns_ ABSL_GUARDED_BY(mu_) = -1;
  absl::Time checked_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time fetched_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace peixun::auth
