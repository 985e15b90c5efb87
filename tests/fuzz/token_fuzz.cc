// Bearer tokens: raw text, and correctly signed tokens around fuzzed claims, are verified or
// refused as UNAUTHENTICATED; nothing unsigned is ever accepted.
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/auth/identity.h"
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
  HMAC(EVP_sha256(), kKey.data(), static_cast<int>(kKey.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &length);
  return Base64Url(absl::string_view(reinterpret_cast<const char*>(mac), length));
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
  const std::string signing_input = absl::StrCat(Base64Url(R"({"alg":"HS256","typ":"JWT"})"), ".", Base64Url(input));
  auto signed_claims = verifier.Verify(absl::StrCat(signing_input, ".", Sign(signing_input)));
  if (!signed_claims.ok() && signed_claims.status().code() != absl::StatusCode::kUnauthenticated) std::abort();
  return 0;
}
