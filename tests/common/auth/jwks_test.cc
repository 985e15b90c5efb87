// JWKS parsing and JWS signatures (ES256, RS256): what verifies, and what is refused with the
// key named.
#include "common/auth/jwks.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace peixun::auth {
namespace {

TEST(Jwks, Es256SignatureVerifiesWithItsPublishedKeyOnly) {
  auto key = *SigningKey::GenerateEs256("k1");
  auto other = *SigningKey::GenerateEs256("k2");
  auto set = KeySet::Parse(JwksDocument({key.PublicJwk(), other.PublicJwk()}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->size(), 2u);
  const std::string signature = *key.Sign("header.payload");
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_TRUE(set->Verify("k1", "ES256", "header.payload", signature).ok());
  EXPECT_FALSE(set->Verify("k2", "ES256", "header.payload", signature).ok());
  EXPECT_FALSE(set->Verify("k1", "ES256", "header.payloaD", signature).ok());
  EXPECT_FALSE(set->Verify("k1", "RS256", "header.payload", signature).ok());
  EXPECT_FALSE(set->Verify("k9", "ES256", "header.payload", signature).ok());
  // The key survives its file: PEM out, PEM in, same public key.
  auto again = SigningKey::FromPem(key.PrivatePem(), "k1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->PublicJwk(), key.PublicJwk());
}

TEST(Jwks, Rs256KeyFromOpensslVerifies) {
  FILE* pipe =
      popen("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null", "r");
  ASSERT_NE(pipe, nullptr);
  std::string pem;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) pem.append(buffer, n);
  pclose(pipe);
  auto key = SigningKey::FromPem(pem, "rsa-1");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->alg(), "RS256");
  auto set = KeySet::Parse(JwksDocument({key->PublicJwk()}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->Verify("rsa-1", "RS256", "a.b", *key->Sign("a.b")).ok());
  EXPECT_FALSE(set->Verify("rsa-1", "RS256", "a.c", *key->Sign("a.b")).ok());
}

TEST(Jwks, MalformedSetsAreRefusedNamingTheKey) {
  auto key = *SigningKey::GenerateEs256("k1");
  for (const auto& [json, expected] : std::vector<std::pair<std::string, std::string>>{
           {"not json", "not a JSON object"},
           {"{}", "has no \"keys\" array"},
           {R"({"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]})",
            "keys[0] (kid 's'): kty 'oct' is not supported"},
           {R"({"keys": [{"kty": "EC", "kid": "p", "crv": "P-384", "x": "AA", "y": "AA"}]})",
            "crv must be P-256"},
           {R"({"keys": [{"kty": "EC", "kid": "q", "crv": "P-256", "x": "AAAA", "y": "AAAA"}]})",
            "x and y must be 32 bytes"},
           {R"({"keys": [{"kty": "EC", "crv": "P-256"}]})", "kid must be 1 to 128 characters"},
           {JwksDocument({key.PublicJwk(), key.PublicJwk()}),
            "keys[1] (kid 'k1'): the kid is repeated"},
       }) {
    auto set = KeySet::Parse(json);
    ASSERT_FALSE(set.ok()) << json;
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(set.status().message().find(expected), std::string::npos)
        << set.status() << " for " << json;
  }
  // A point off the curve is no key.
  std::string jwk = key.PublicJwk();
  const size_t y = jwk.find("\"y\": \"") + 6;
  jwk[y] = jwk[y] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(KeySet::Parse(JwksDocument({jwk})).ok());
}

}  // namespace
}  // namespace peixun::auth
