// JWKS documents and ES256 tokens: any text either parses into a key set or is refused with
// INVALID_ARGUMENT; a token is verified only with its published key, so fuzzed tokens and
// fuzzed claims under a header naming that key never pass unsigned.
#include <cstdlib>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/auth/identity.h"
#include "common/auth/jwks.h"

namespace {

std::string Base64Url(absl::string_view text) {
  std::string out;
  absl::WebSafeBase64Escape(text, &out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using peixun::auth::KeySet;
  static const peixun::auth::SigningKey key = *peixun::auth::SigningKey::GenerateEs256("fuzz-1");
  static const std::string jwks_path = [] {
    const std::string path = "/tmp/peixun-fuzz-jwks.json";
    std::ofstream(path) << peixun::auth::JwksDocument({key.PublicJwk()});
    return path;
  }();
  static const peixun::auth::TokenVerifier verifier(
      [] {
        peixun::auth::VerifierOptions options;
        options.jwks = jwks_path;
        return options;
      }(),
      peixun::SystemClock::Instance());
  const std::string input(reinterpret_cast<const char*>(data), size);
  // As a key set.
  auto set = KeySet::Parse(input);
  if (!set.ok() && set.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
  if (set.ok() && set->Verify("fuzz-1", "ES256", "a.b", std::string(64, '\0')).ok()) std::abort();
  // As a token, and as the claims of a token whose header names the published key but whose
  // signature is fuzzed bytes: never accepted.
  if (verifier.Verify(input).ok()) std::abort();
  const std::string forged =
      absl::StrCat(Base64Url(R"({"alg":"ES256","typ":"JWT","kid":"fuzz-1"})"), ".",
                   Base64Url(input), ".", Base64Url(input.substr(0, 64)));
  auto result = verifier.Verify(forged);
  if (result.ok()) std::abort();
  if (result.status().code() != absl::StatusCode::kUnauthenticated) std::abort();
  return 0;
}
