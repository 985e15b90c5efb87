#include "common/auth/identity.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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
    {Role::kProvinceAdmin, "province_admin"}, {Role::kCityAdmin, "city_admin"},
    {Role::kCountyAdmin, "county_admin"},     {Role::kHost, "host"},
    {Role::kExpert, "expert"},                {Role::kViewer, "viewer"},
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
  return absl::InvalidArgumentError(absl::StrCat(
      "role: unknown role '", name,
      "'; one of province_admin, city_admin, county_admin, host, expert, viewer, service"));
}

std::string SignToken(const TokenClaims& claims, absl::string_view key) {
  google::protobuf::Struct body;
  auto& fields = *body.mutable_fields();
  fields["sub"].set_string_value(claims.caller.subject);
  fields["role"].set_string_value(std::string(RoleName(claims.caller.role)));
  if (!claims.caller.region_code.empty()) {
    fields["region"].set_string_value(claims.caller.region_code);
  }
  if (!claims.caller.host.empty()) fields["host"].set_string_value(claims.caller.host);
  fields["exp"].set_number_value(static_cast<double>(absl::ToUnixSeconds(claims.expires)));
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(body, &json);
  std::string signing_input = absl::StrCat(Base64Url(kHeader), ".", Base64Url(json));
  return absl::StrCat(signing_input, ".", Base64Url(HmacSha256(key, signing_input)));
}

absl::StatusOr<Caller> TokenVerifier::Verify(absl::string_view token) const {
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&cache_mu_);
    auto it = cache_.find(token);
    if (it != cache_.end()) {
      if (it->second.expires <= now) return Unauthenticated("token has expired");
      return it->second.caller;
    }
  }
  auto verified = VerifyUncached(token);
  if (!verified.ok()) return verified.status();
  absl::MutexLock lock(&cache_mu_);
  if (cache_.size() >= kCacheCapacity) cache_.clear();
  cache_.emplace(std::string(token), *verified);
  return verified->caller;
}

absl::StatusOr<TokenVerifier::Verified> TokenVerifier::VerifyUncached(absl::string_view token) const {
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
  if (!google::protobuf::util::JsonStringToMessage(header, &header_json).ok() ||
      StringClaim(header_json, "alg") != "HS256") {
    return Unauthenticated("token algorithm must be HS256");
  }
  std::string expected =
      HmacSha256(key_, absl::string_view(token.data(), parts[0].size() + 1 + parts[1].size()));
  if (expected.size() != signature.size() ||
      CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0) {
    return Unauthenticated("token signature is invalid");
  }
  google::protobuf::Struct claims;
  if (!google::protobuf::util::JsonStringToMessage(payload, &claims).ok()) {
    return Unauthenticated("token claims are not JSON");
  }
  auto exp = claims.fields().find("exp");
  if (exp == claims.fields().end() || !exp->second.has_number_value()) {
    return Unauthenticated("token has no expiry");
  }
  // A number JSON allows but no time can be (1e300, NaN) is refused, not cast (found by
  // tests/fuzz/token_fuzz.cc).
  const double exp_seconds = exp->second.number_value();
  if (!(exp_seconds >= 0 && exp_seconds < 253402300800.0)) {  // before year 10000
    return Unauthenticated("token expiry is not a time");
  }
  const absl::Time expires = absl::FromUnixSeconds(static_cast<int64_t>(exp_seconds));
  if (expires <= clock_.Now()) return Unauthenticated("token has expired");
  auto role = ParseRole(StringClaim(claims, "role"));
  if (!role.ok()) return Unauthenticated("token names no known role");
  Caller caller;
  caller.subject = StringClaim(claims, "sub");
  caller.role = *role;
  caller.region_code = StringClaim(claims, "region");
  caller.host = StringClaim(claims, "host");
  if ((caller.role == Role::kCityAdmin || caller.role == Role::kCountyAdmin) &&
      caller.region_code.empty()) {
    return Unauthenticated("a city or county admin token must name its region");
  }
  if (caller.role == Role::kHost && caller.host.empty()) {
    return Unauthenticated("a host token must name its host");
  }
  return Verified{std::move(caller), expires};
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
    if (!in) return absl::InvalidArgumentError(absl::StrCat("token_key_file: cannot read ", key_file));
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
