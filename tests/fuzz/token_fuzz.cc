// Bearer tokens: raw text, and correctly signed tokens (HS256 and ES256 against a JWKS) around
// fuzzed claims or a fuzzed header, are verified or refused as UNAUTHENTICATED; nothing
// unsigned is ever accepted.
#include <cstdlib>
#include <fstream>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/auth/identity.h"
#include "common/auth/jwks.h"
#include "openssl/hmac.h"

namespace {

const std::string kKey = "fuzz-key-0123456789abcdef0123456789abcdef";

std::string Base64Url(absl::string_view text) {
  std::string out;
  absl::WebSafeBase64Escape(text, &out);
  return out;
}

std::string Sign(absl::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), kKey.data(), static_cast<int>(kKey.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  return Base64Url(absl::string_view(reinterpret_cast<const char*>(mac), length));
}

// An ES256 key and a verifier of its JWKS (a file written once).
struct Es256 {
  peixun::auth::SigningKey key = *peixun::auth::SigningKey::GenerateEs256("fuzz-1");
  std::unique_ptr<peixun::auth::TokenVerifier> verifier;
  explicit Es256(const peixun::Clock& clock) {
    const std::string path = "/tmp/peixun-token-fuzz-jwks.json";
    std::ofstream(path) << peixun::auth::JwksDocument({key.PublicJwk()});
    peixun::auth::VerifierOptions options;
    options.jwks = path;
    verifier = std::make_unique<peixun::auth::TokenVerifier>(options, clock);
  }
  std::string SignedToken(absl::string_view header, absl::string_view claims) const {
    const std::string input = absl::StrCat(Base64Url(header), ".", Base64Url(claims));
    return absl::StrCat(input, ".", Base64Url(*key.Sign(input)));
  }
};

bool RefusedOrVerified(const absl::StatusOr<peixun::auth::Caller>& result) {
  return result.ok() || result.status().code() == absl::StatusCode::kUnauthenticated;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const peixun::FixedClock clock(absl::FromUnixSeconds(1700000000));
  static const peixun::auth::TokenVerifier verifier(kKey, clock);
  const std::string input(reinterpret_cast<const char*>(data), size);
  // As it came: only a token signed with the key can pass, and fuzzed text is not one.
  auto raw = verifier.Verify(input);
  if (raw.ok()) std::abort();
  if (raw.status().code() != absl::StatusCode::kUnauthenticated) std::abort();
  // Signed claims of any shape: accepted only with a known role and an expiry ahead.
  const std::string signing_input =
      absl::StrCat(Base64Url(R"({"alg":"HS256","typ":"JWT"})"), ".", Base64Url(input));
  auto signed_claims = verifier.Verify(absl::StrCat(signing_input, ".", Sign(signing_input)));
  if (!signed_claims.ok() && signed_claims.status().code() != absl::StatusCode::kUnauthenticated)
    std::abort();
  // ES256: raw text is refused; signed fuzzed claims, and a signed fuzzed header, are verified
  // or refused, never anything else.
  static const Es256 es256(clock);
  auto raw_es = es256.verifier->Verify(input);
  if (raw_es.ok() || raw_es.status().code() != absl::StatusCode::kUnauthenticated) std::abort();
  if (!RefusedOrVerified(es256.verifier->Verify(
          es256.SignedToken(R"({"alg":"ES256","kid":"fuzz-1","typ":"JWT"})", input)))) {
    std::abort();
  }
  auto fuzzed_header = es256.verifier->Verify(
      es256.SignedToken(input, R"({"sub":"f","role":"viewer","iat":1700000000,"exp":1700003600})"));
  if (!RefusedOrVerified(fuzzed_header)) std::abort();
  return 0;
}
