#include "common/auth/identity.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/util/names.h"
#include "common/util/status.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace peixun::auth {
namespace {

constexpr absl::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

struct RoleEntry {
  Role role;
  absl::string_view name;
};
constexpr RoleEntry kRoles[] = {
    {Role::kProvinceAdmin, "province_admin"},
    {Role::kCityAdmin, "city_admin"},
    {Role::kCountyAdmin, "county_admin"},
    {Role::kTrainingSchool, "training_school"},
    {Role::kSchoolAdmin, "school_admin"},
    {Role::kHost, "host"},
    {Role::kExpert, "expert"},
    {Role::kTeacher, "teacher"},
    {Role::kViewer, "viewer"},
    {Role::kService, "service"},
};

std::string Base64Url(absl::string_view data) { return absl::WebSafeBase64Escape(data); }

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("authorization: ", why));
}

std::string StringClaim(const google::protobuf::Struct& claims, const std::string& key) {
  auto it = claims.fields().find(key);
  if (it == claims.fields().end() || !it->second.has_string_value()) return "";
  return it->second.string_value();
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

// GB/T 2260: a city-level unit has a 4-digit code here, or a county-level code where it is its
// own county-level unit (济源示范区 419001, R-1a; the region data says which, when the claim is
// checked against it).
bool IsCityCode(absl::string_view code) {
  return AllDigits(code) && (code.size() == 4 || code.size() == 6);
}
bool IsCountyCode(absl::string_view code) { return AllDigits(code) && code.size() == 6; }

// A NumericDate claim. A number JSON allows but no time can be (1e300, NaN) is refused, not
// cast (found by tests/fuzz/token_fuzz.cc).
absl::StatusOr<absl::Time> TimeClaim(const google::protobuf::Struct& claims,
                                     const std::string& key) {
  auto it = claims.fields().find(key);
  if (it == claims.fields().end() || !it->second.has_number_value()) {
    return Unauthenticated(key == "exp" ? "token has no expiry"
                                        : absl::StrCat("token claim ", key, " is not a time"));
  }
  const double seconds = it->second.number_value();
  if (!(seconds >= 0 && seconds < 253402300800.0)) {  // before year 10000
    return Unauthenticated(key == "exp" ? "token expiry is not a time"
                                        : absl::StrCat("token claim ", key, " is not a time"));
  }
  return absl::FromUnixSeconds(static_cast<int64_t>(seconds));
}

}  // namespace

absl::string_view RoleName(Role role) {
  for (const auto& entry : kRoles) {
    if (entry.role == role) return entry.name;
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (const auto& entry : kRoles) {
    if (entry.name == name) return entry.role;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("role: unknown role '", name,
                   "'; one of province_admin, city_admin, county_admin, host, expert, teacher, "
                   "viewer, service"));
}

std::string IdentityKey(const Caller& caller) {
  const std::string identity = absl::StrCat(RoleName(caller.role), "\n", caller.subject, "\n",
                                            caller.region_code, "\n", caller.host);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(identity.data()), identity.size(), digest);
  return std::string(reinterpret_cast<char*>(digest), sizeof digest);
}

namespace {

std::string ClaimsJson(const TokenClaims& claims) {
  google::protobuf::Struct body;
  auto& fields = *body.mutable_fields();
  fields["sub"].set_string_value(claims.caller.subject);
  fields["role"].set_string_value(std::string(RoleName(claims.caller.role)));
  if (!claims.caller.region_code.empty()) {
    fields["region"].set_string_value(claims.caller.region_code);
  }
  if (!claims.caller.host.empty()) fields["host"].set_string_value(claims.caller.host);
  fields["exp"].set_number_value(static_cast<double>(absl::ToUnixSeconds(claims.expires)));
  const absl::Time issued = claims.issued == absl::InfinitePast() ? absl::Now() : claims.issued;
  fields["iat"].set_number_value(static_cast<double>(absl::ToUnixSeconds(issued)));
  if (!claims.issuer.empty()) fields["iss"].set_string_value(claims.issuer);
  if (!claims.audience.empty()) fields["aud"].set_string_value(claims.audience);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(body, &json);
  return json;
}

}  // namespace

std::string SignToken(const TokenClaims& claims, absl::string_view key) {
  std::string signing_input = absl::StrCat(Base64Url(kHeader), ".", Base64Url(ClaimsJson(claims)));
  return absl::StrCat(signing_input, ".", Base64Url(HmacSha256(key, signing_input)));
}

absl::StatusOr<std::string> SignToken(const TokenClaims& claims, const SigningKey& key) {
  const std::string header =
      absl::StrCat(R"({"alg":")", key.alg(), R"(","typ":"JWT","kid":")", key.kid(), R"("})");
  std::string signing_input = absl::StrCat(Base64Url(header), ".", Base64Url(ClaimsJson(claims)));
  auto signature = key.Sign(signing_input);
  if (!signature.ok()) return signature.status();
  return absl::StrCat(signing_input, ".", Base64Url(*signature));
}

absl::StatusOr<std::string> TokenSigner::Sign(TokenClaims claims) const {
  if (claims.issuer.empty()) claims.issuer = issuer;
  if (claims.audience.empty()) claims.audience = audience;
  if (key != nullptr) return SignToken(claims, *key);
  if (hs256_key.empty()) return absl::FailedPreconditionError("no key to sign service tokens with");
  return SignToken(claims, hs256_key);
}

TokenVerifier::TokenVerifier(VerifierOptions options, const Clock& clock)
    : options_(std::move(options)),
      keys_(options_.jwks.empty()
                ? nullptr
                : std::make_unique<KeySource>(options_.jwks, options_.jwks_refetch_interval,
                                              options_.jwks_max_age)),
      clock_(clock) {}

absl::StatusOr<Caller> TokenVerifier::Verify(absl::string_view token) const {
  const absl::Time now = clock_.Now();
  std::optional<Verified> cached;
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    auto it = cache_.find(token);
    if (it != cache_.end()) cached = it->second;
  }
  if (cached) {
    if (cached->expires + kTokenLeeway <= now) return Unauthenticated("token has expired");
    // A token of an asymmetric key counts only while its key is in the key set (rotation).
    if (cached->kid.empty()) return cached->caller;
    auto keys = keys_->Keys(cached->kid);
    if (keys.ok() && (*keys)->Has(cached->kid)) return cached->caller;
  }
  auto verified = VerifyUncached(token);
  if (!verified.ok()) return verified.status();
  absl::MutexLock lock(&cache_mu_);
  if (cache_.size() >= kCacheCapacity) cache_.clear();
  cache_.emplace(std::string(token), *verified);
  return verified->caller;
}

absl::StatusOr<TokenVerifier::Verified> TokenVerifier::VerifyUncached(
    absl::string_view token) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Unauthenticated("token is not a JWT");
  std::string header;
  std::string payload;
  std::string signature;
  if (!absl::WebSafeBase64Unescape(parts[0], &header) ||
      !absl::WebSafeBase64Unescape(parts[1], &payload) ||
      !absl::WebSafeBase64Unescape(parts[2], &signature)) {
    return Unauthenticated("token is not base64url");
  }
  google::protobuf::Struct header_json;
  if (!google::protobuf::util::JsonStringToMessage(header, &header_json).ok()) {
    return Unauthenticated("token header is not JSON");
  }
  const std::string alg = StringClaim(header_json, "alg");
  const std::string kid = StringClaim(header_json, "kid");
  const absl::string_view signing_input(token.data(), parts[0].size() + 1 + parts[1].size());
  if (alg == "HS256") {
    if (options_.hs256_key.empty()) {
      return Unauthenticated(
          "HS256 tokens are accepted only in development mode; sign ES256 or RS256");
    }
    std::string expected = HmacSha256(options_.hs256_key, signing_input);
    if (expected.size() != signature.size() ||
        CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0) {
      return Unauthenticated("token signature is invalid");
    }
  } else if (alg == "ES256" || alg == "RS256") {
    if (keys_ == nullptr)
      return Unauthenticated(absl::StrCat(alg, " tokens need a key set (--jwks)"));
    if (kid.empty()) return Unauthenticated("token header names no key (kid)");
    auto keys = keys_->Keys(kid);
    if (!keys.ok()) return keys.status();
    PEIXUN_RETURN_IF_ERROR((*keys)->Verify(kid, alg, signing_input, signature));
  } else {
    return Unauthenticated("token algorithm must be ES256 or RS256 (HS256 in development)");
  }
  google::protobuf::Struct claims;
  if (!google::protobuf::util::JsonStringToMessage(payload, &claims).ok()) {
    return Unauthenticated("token claims are not JSON");
  }
  auto exp_time = TimeClaim(claims, "exp");
  if (!exp_time.ok()) return exp_time.status();
  const absl::Time expires = *exp_time;
  const absl::Time now = clock_.Now();
  if (expires + kTokenLeeway <= now) return Unauthenticated("token has expired");
  if (claims.fields().count("iat") == 0) return Unauthenticated("token has no issue time (iat)");
  auto issued = TimeClaim(claims, "iat");
  if (!issued.ok()) return issued.status();
  if (*issued > now + kTokenLeeway) return Unauthenticated("token is issued in the future (iat)");
  if (expires - *issued > kMaxTokenLifetime) {
    return Unauthenticated(absl::StrCat("token lives longer than ",
                                        absl::FormatDuration(kMaxTokenLifetime), " (exp - iat)"));
  }
  if (claims.fields().count("nbf") > 0) {
    auto not_before = TimeClaim(claims, "nbf");
    if (!not_before.ok()) return not_before.status();
    if (*not_before > now + kTokenLeeway) return Unauthenticated("token is not valid yet (nbf)");
  }
  if (!options_.issuer.empty() && StringClaim(claims, "iss") != options_.issuer) {
    return Unauthenticated(absl::StrCat("token issuer (iss) must be ", options_.issuer));
  }
  if (!options_.audience.empty()) {
    bool found = StringClaim(claims, "aud") == options_.audience;
    auto aud = claims.fields().find("aud");
    if (!found && aud != claims.fields().end() && aud->second.has_list_value()) {
      for (const auto& v : aud->second.list_value().values())
        found |= v.string_value() == options_.audience;
    }
    if (!found)
      return Unauthenticated(absl::StrCat("token audience (aud) must include ", options_.audience));
  }
  auto role = ParseRole(StringClaim(claims, "role"));
  if (!role.ok()) return Unauthenticated("token names no known role");
  Caller caller;
  caller.subject = StringClaim(claims, "sub");
  caller.role = *role;
  caller.region_code = StringClaim(claims, "region");
  caller.host = StringClaim(claims, "host");
  // R-32: a school's token is its school's; its county is the school's.
  if (caller.role == Role::kSchoolAdmin) {
    const std::vector<std::string> parts = absl::StrSplit(caller.subject, '/');
    if (parts.size() != 4 || parts[0] != "regions" || !IsCountyCode(parts[1]) ||
        parts[2] != "schools" || !ValidateId(parts[3], "school").ok()) {
      return Unauthenticated(
          "a school admin token's subject must be \"regions/{county}/schools/{school}\"");
    }
    if (!caller.region_code.empty() && caller.region_code != parts[1]) {
      return Unauthenticated("a school admin token's region must be its school's county");
    }
    caller.region_code = parts[1];
  }
  if ((caller.role == Role::kCityAdmin || caller.role == Role::kCountyAdmin ||
       caller.role == Role::kTrainingSchool) &&
      caller.region_code.empty()) {
    return Unauthenticated("a city or county admin or training school token must name its region");
  }
  // A region claim of the role's level: never a prefix such as "41" that would match every
  // county's code.
  if (caller.role == Role::kCityAdmin && !IsCityCode(caller.region_code)) {
    return Unauthenticated(
        absl::StrCat("a city admin's region must be a city-level code (4 digits, or 6 for a "
                     "county-level unit run as a city such as 419001), got '",
                     caller.region_code, "'"));
  }
  if ((caller.role == Role::kCountyAdmin || caller.role == Role::kTrainingSchool ||
       (caller.role == Role::kExpert && !caller.region_code.empty())) &&
      !IsCountyCode(caller.region_code)) {
    return Unauthenticated(absl::StrCat("a ", RoleName(caller.role),
                                        "'s region must be a county code (6 digits), got '",
                                        caller.region_code, "'"));
  }
  if (caller.role == Role::kTeacher && !absl::StartsWith(caller.subject, "teachers/")) {
    return Unauthenticated("a teacher token's subject must be \"teachers/{id}\"");
  }
  if (caller.role == Role::kHost && caller.host.empty()) {
    return Unauthenticated("a host token must name its host");
  }
  return Verified{std::move(caller), expires, alg == "HS256" ? "" : kid};
}

absl::StatusOr<Caller> TokenVerifier::Authenticate(const grpc::ServerContext& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return Unauthenticated("missing 'Bearer <token>' metadata");
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ")) {
    return Unauthenticated("expected 'Bearer <token>'");
  }
  return Verify(absl::StripAsciiWhitespace(value));
}

absl::StatusOr<std::string> LoadTokenKey(const std::string& key_file) {
  std::string key;
  if (!key_file.empty()) {
    std::ifstream in(key_file, std::ios::binary);
    if (!in)
      return absl::InvalidArgumentError(absl::StrCat("token_key_file: cannot read ", key_file));
    std::stringstream buffer;
    buffer << in.rdbuf();
    key = std::string(absl::StripTrailingAsciiWhitespace(buffer.str()));
  } else if (const char* env = std::getenv("PEIXUN_TOKEN_KEY"); env != nullptr) {
    key = env;
  } else {
    return absl::InvalidArgumentError(
        "token key: set --token_key_file or the PEIXUN_TOKEN_KEY environment variable");
  }
  if (key.size() < 32) {
    return absl::InvalidArgumentError("token key: must be at least 32 bytes");
  }
  return key;
}

}  // namespace peixun::auth
