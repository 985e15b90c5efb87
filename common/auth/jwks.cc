#include "common/auth/jwks.h"

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace peixun::auth {
namespace {

constexpr size_t kMaxJwksBytes = 1 << 20;
constexpr int kMaxKeys = 100;

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* key) {
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

std::string Field(const google::protobuf::Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  if (it == object.fields().end() || !it->second.has_string_value()) return "";
  return it->second.string_value();
}

std::string Base64UrlNoPad(absl::string_view bytes) {
  std::string out;
  absl::WebSafeBase64Escape(bytes, &out);  // Abseil's web-safe escape leaves out the padding
  return out;
}

// A big-endian unsigned integer of `size` bytes (left-padded) from a BIGNUM.
std::string Fixed(const BIGNUM* n, int size) {
  std::string out(static_cast<size_t>(size), '\0');
  BN_bn2binpad(n, reinterpret_cast<unsigned char*>(out.data()), size);
  return out;
}

// A public key of `type` ("EC", "RSA") from the parameters in `build` (freed here).
EVP_PKEY* PublicKeyFrom(OSSL_PARAM_BLD* build, const char* type) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  const bool ok = context != nullptr && params != nullptr && EVP_PKEY_fromdata_init(context) == 1 &&
                  EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(context);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  return ok ? key : nullptr;
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> EcPublicKey(const std::string& x, const std::string& y) {
  if (x.size() != 32 || y.size() != 32)
    return absl::InvalidArgumentError("x and y must be 32 bytes (P-256)");
  std::string point = "\x04" + x + y;
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  EVP_PKEY* key = PublicKeyFrom(build, "EC");
  if (key == nullptr) return absl::InvalidArgumentError("x, y is not a point of P-256");
  // fromdata does not check that the point is on the curve; a public-key check does.
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  const bool on_curve = check != nullptr && EVP_PKEY_public_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!on_curve) {
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError("x, y is not a point of P-256");
  }
  return Own(key);
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> RsaPublicKey(const std::string& n, const std::string& e) {
  if (n.size() < 256) return absl::InvalidArgumentError("n must be at least 2048 bits");
  if (e.empty() || e.size() > 8) return absl::InvalidArgumentError("e is not a public exponent");
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                           static_cast<int>(n.size()), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                           static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, bn_e);
  EVP_PKEY* key = PublicKeyFrom(build, "RSA");
  BN_free(bn_n);
  BN_free(bn_e);
  if (key == nullptr) return absl::InvalidArgumentError("n, e is not an RSA public key");
  return Own(key);
}

// JWS ES256 signatures are r || s; OpenSSL takes and gives DER.
std::string EcdsaDer(absl::string_view raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &der);
  std::string out =
      length > 0 ? std::string(reinterpret_cast<char*>(der), static_cast<size_t>(length)) : "";
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

absl::StatusOr<std::string> EcdsaRaw(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) return absl::InternalError("ECDSA signature is not DER");
  std::string out = Fixed(ECDSA_SIG_get0_r(sig), 32) + Fixed(ECDSA_SIG_get0_s(sig), 32);
  ECDSA_SIG_free(sig);
  return out;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

size_t AppendBounded(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() + size * count > kMaxJwksBytes) return 0;  // too large: curl fails the transfer
  body->append(data, size * count);
  return size * count;
}

}  // namespace

absl::StatusOr<KeySet> KeySet::Parse(absl::string_view json) {
  if (json.size() > kMaxJwksBytes) return absl::InvalidArgumentError("jwks: larger than 1 MiB");
  google::protobuf::Struct document;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &document).ok()) {
    return absl::InvalidArgumentError("jwks: not a JSON object");
  }
  auto keys = document.fields().find("keys");
  if (keys == document.fields().end() || !keys->second.has_list_value()) {
    return absl::InvalidArgumentError("jwks: has no \"keys\" array");
  }
  const auto& list = keys->second.list_value().values();
  if (list.size() > kMaxKeys)
    return absl::InvalidArgumentError(absl::StrCat("jwks: more than ", kMaxKeys, " keys"));
  KeySet set;
  for (int i = 0; i < list.size(); ++i) {
    if (!list[i].has_struct_value())
      return absl::InvalidArgumentError(absl::StrCat("jwks: keys[", i, "] is not an object"));
    const auto& jwk = list[i].struct_value();
    const std::string kid = Field(jwk, "kid");
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("jwks: keys[", i, "] (kid '", kid, "'): ", why));
    };
    if (kid.empty() || kid.size() > 128) return bad("kid must be 1 to 128 characters");
    if (set.keys_.count(kid) > 0) return bad("the kid is repeated");
    const std::string use = Field(jwk, "use");
    if (!use.empty() && use != "sig") return bad("use must be \"sig\"");
    const std::string kty = Field(jwk, "kty");
    std::string alg = Field(jwk, "alg");
    absl::StatusOr<std::shared_ptr<EVP_PKEY>> key;
    std::string a, b;
    if (kty == "EC") {
      if (Field(jwk, "crv") != "P-256") return bad("crv must be P-256");
      if (!alg.empty() && alg != "ES256") return bad("an EC P-256 key's alg is ES256");
      alg = "ES256";
      if (!absl::WebSafeBase64Unescape(Field(jwk, "x"), &a) ||
          !absl::WebSafeBase64Unescape(Field(jwk, "y"), &b)) {
        return bad("x and y must be base64url");
      }
      key = EcPublicKey(a, b);
    } else if (kty == "RSA") {
      if (!alg.empty() && alg != "RS256") return bad("an RSA key's alg is RS256");
      alg = "RS256";
      if (!absl::WebSafeBase64Unescape(Field(jwk, "n"), &a) ||
          !absl::WebSafeBase64Unescape(Field(jwk, "e"), &b)) {
        return bad("n and e must be base64url");
      }
      key = RsaPublicKey(a, b);
    } else {
      return bad(absl::StrCat("kty '", kty, "' is not supported (EC or RSA)"));
    }
    if (!key.ok()) return bad(key.status().message());
    set.keys_[kid] = Key{alg, *key};
  }
  return set;
}

absl::Status KeySet::Verify(absl::string_view kid, absl::string_view alg, absl::string_view input,
                            absl::string_view signature) const {
  auto it = keys_.find(std::string(kid));
  if (it == keys_.end())
    return absl::UnauthenticatedError(
        absl::StrCat("authorization: no key '", kid, "' in the key set"));
  if (it->second.alg != alg) {
    return absl::UnauthenticatedError(
        absl::StrCat("authorization: key '", kid, "' signs ", it->second.alg, ", not ", alg));
  }
  std::string der;
  if (alg == "ES256") {
    if (signature.size() != 64)
      return absl::UnauthenticatedError("authorization: an ES256 signature is 64 bytes");
    der = EcdsaDer(signature);
    signature = der;
  }
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, it->second.key.get()) == 1 &&
      EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) == 1;
  EVP_MD_CTX_free(context);
  if (!ok) return absl::UnauthenticatedError("authorization: token signature is invalid");
  return absl::OkStatus();
}

absl::StatusOr<SigningKey> SigningKey::GenerateEs256(std::string kid) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) return absl::InternalError("cannot generate a P-256 key");
  return SigningKey(Own(key), std::move(kid), "ES256");
}

absl::StatusOr<SigningKey> SigningKey::FromPem(absl::string_view pem, std::string kid) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return absl::InvalidArgumentError("signing key: not a PEM private key");
  std::string alg;
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {0};
    size_t length = 0;
    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length);
    if (std::string(group) != "prime256v1") {
      EVP_PKEY_free(key);
      return absl::InvalidArgumentError("signing key: an EC key must be on P-256");
    }
    alg = "ES256";
  } else if (EVP_PKEY_is_a(key, "RSA")) {
    alg = "RS256";
  } else {
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError("signing key: EC P-256 or RSA only");
  }
  return SigningKey(Own(key), std::move(kid), alg);
}

absl::StatusOr<SigningKey> SigningKey::FromFile(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok())
    return absl::InvalidArgumentError(absl::StrCat("signing key: ", text.status().message()));
  absl::string_view rest = *text;
  if (!absl::ConsumePrefix(&rest, "kid: ")) {
    return absl::InvalidArgumentError(
        absl::StrCat("signing key: ", path, " does not start with \"kid: …\""));
  }
  const size_t end = rest.find('\n');
  if (end == absl::string_view::npos)
    return absl::InvalidArgumentError("signing key: no PEM after the kid");
  std::string kid(absl::StripAsciiWhitespace(rest.substr(0, end)));
  return FromPem(rest.substr(end + 1), std::move(kid));
}

absl::StatusOr<std::string> SigningKey::Sign(absl::string_view input) const {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  size_t length = 0;
  std::string signature;
  bool ok = EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
            EVP_DigestSign(context, nullptr, &length,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  if (ok) {
    signature.resize(length);
    ok = EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length,
                        reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    signature.resize(length);
  }
  EVP_MD_CTX_free(context);
  if (!ok) return absl::InternalError("cannot sign the token");
  if (alg_ == "ES256") return EcdsaRaw(signature);
  return signature;
}

std::string SigningKey::PrivatePem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(bio);
  return pem;
}

std::string SigningKey::PublicJwk() const {
  auto quoted = [](absl::string_view s) { return absl::StrCat("\"", s, "\""); };
  std::string body =
      absl::StrCat("{\"kid\": ", quoted(kid_), ", \"alg\": ", quoted(alg_), ", \"use\": \"sig\", ");
  if (alg_ == "ES256") {
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x);
    EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &y);
    absl::StrAppend(
        &body, "\"kty\": \"EC\", \"crv\": \"P-256\", \"x\": ", quoted(Base64UrlNoPad(Fixed(x, 32))),
        ", \"y\": ", quoted(Base64UrlNoPad(Fixed(y, 32))), "}");
    BN_free(x);
    BN_free(y);
  } else {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E, &e);
    absl::StrAppend(&body,
                    "\"kty\": \"RSA\", \"n\": ", quoted(Base64UrlNoPad(Fixed(n, BN_num_bytes(n)))),
                    ", \"e\": ", quoted(Base64UrlNoPad(Fixed(e, BN_num_bytes(e)))), "}");
    BN_free(n);
    BN_free(e);
  }
  return body;
}

std::string JwksDocument(const std::vector<std::string>& jwks) {
  return absl::StrCat("{\"keys\": [", absl::StrJoin(jwks, ", "), "]}\n");
}

KeySource::KeySource(std::string location, absl::Duration refetch_interval, absl::Duration max_age)
    : location_(std::move(location)), refetch_interval_(refetch_interval), max_age_(max_age) {
  absl::MutexLock lock(&mu_);
  (void)Load();
}

absl::StatusOr<std::string> KeySource::Fetch() const {
  if (!absl::StartsWith(location_, "http://") && !absl::StartsWith(location_, "https://")) {
    return ReadWholeFile(location_);
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::UnavailableError("jwks: cannot start an HTTP client");
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, location_.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBounded);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  const CURLcode code = curl_easy_perform(curl);
  long http = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK)
    return absl::UnavailableError(
        absl::StrCat("jwks: ", location_, ": ", curl_easy_strerror(code)));
  if (http != 200)
    return absl::UnavailableError(absl::StrCat("jwks: ", location_, " answered HTTP ", http));
  return body;
}

absl::Status KeySource::Load() {
  auto text = Fetch();
  fetched_at_ = absl::Now();
  if (!text.ok()) {
    last_error_ = std::string(text.status().message());
    return text.status();
  }
  auto set = KeySet::Parse(*text);
  if (!set.ok()) {
    last_error_ = std::string(set.status().message());
    return set.status();
  }
  keys_ = std::make_shared<const KeySet>(std::move(*set));
  last_error_.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const KeySet>> KeySource::Keys(absl::string_view wanted_kid) {
  const bool is_file =
      !absl::StartsWith(location_, "http://") && !absl::StartsWith(location_, "https://");
  {
    // Every call of every service comes here: while the set is fresh and has the key, a
    // shared lock is enough.
    absl::ReaderMutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    const bool fresh =
        is_file ? now - checked_at_ < absl::Seconds(1) : now - fetched_at_ < max_age_;
    if (fresh && keys_ != nullptr && keys_->Has(wanted_kid)) return keys_;
  }
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (is_file && now - checked_at_ >= absl::Seconds(1)) {
    checked_at_ = now;
    struct stat info;
    if (stat(location_.c_str(), &info) == 0) {
      const int64_t mtime =
          static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
      if (mtime != file_mtime_ns_) {
        file_mtime_ns_ = mtime;
        (void)Load();
      }
    }
  }
  const bool unknown = keys_ == nullptr || !keys_->Has(wanted_kid);
  if ((unknown && now - fetched_at_ >= refetch_interval_) ||
      (!is_file && now - fetched_at_ >= max_age_)) {
    (void)Load();
  }
  if (keys_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("authorization: the key set ", location_, " cannot be read: ", last_error_));
  }
  return keys_;
}

}  // namespace peixun::auth
