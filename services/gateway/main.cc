// gateway: JSON over HTTP for portals, transcoded from the contracts' google.api.http
// annotations onto the four services' gRPC APIs (gateway.h).
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/server/process.h"
#include "services/gateway/gateway.h"

ABSL_FLAG(std::string, listen, "", "HTTP address (env PEIXUN_LISTEN; default 127.0.0.1:8080)");
ABSL_FLAG(std::string, metrics_listen, "",
          "/metrics address (env PEIXUN_METRICS_LISTEN; default 127.0.0.1:9105)");
ABSL_FLAG(bool, behind_tls_proxy, false,
          "the gateway is reached only through a proxy that terminates TLS (an Ingress): required "
          "to serve "
          "plain HTTP off loopback, where tokens would otherwise cross the network in clear");
ABSL_FLAG(std::string, catalog_target, "",
          "catalog's gRPC address (env PEIXUN_CATALOG_TARGET; default 127.0.0.1:50051)");
ABSL_FLAG(std::string, enrollment_target, "",
          "enrollment's gRPC address (env PEIXUN_ENROLLMENT_TARGET; default 127.0.0.1:50052)");
ABSL_FLAG(std::string, evaluation_target, "",
          "evaluation's gRPC address (env PEIXUN_EVALUATION_TARGET; default 127.0.0.1:50053)");
ABSL_FLAG(std::string, funding_target, "",
          "funding's gRPC address (env PEIXUN_FUNDING_TARGET; default 127.0.0.1:50054)");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate the gateway presents to the services (env PEIXUN_TLS_CERT_FILE); with "
          "--tls_key_file");
ABSL_FLAG(std::string, tls_key_file, "",
          "PEM private key of the certificate (env PEIXUN_TLS_KEY_FILE)");
ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA the services' certificates are signed by (env PEIXUN_TLS_CA_FILE): dial them "
          "with mutual TLS");
ABSL_FLAG(std::string, jwks, "",
          "JWKS (file path or http(s) URL) the identity provider's ES256/RS256 tokens are verified "
          "against "
          "(env PEIXUN_JWKS)");
ABSL_FLAG(std::string, token_issuer, "",
          "the issuer (iss) tokens must name (env PEIXUN_TOKEN_ISSUER)");
ABSL_FLAG(std::string, token_audience, "",
          "the audience (aud) tokens must name (env PEIXUN_TOKEN_AUDIENCE)");
ABSL_FLAG(std::string, token_key_file, "",
          "development only: the HS256 key file (env PEIXUN_TOKEN_KEY_FILE or PEIXUN_TOKEN_KEY); "
          "refused off loopback");
ABSL_FLAG(
    std::string, cors_origins, "",
    "comma-separated origins browser pages may call the gateway from, e.g. https://portal.example "
    "(env PEIXUN_CORS_ORIGINS; default none)");
ABSL_FLAG(int, max_body_kib, 1024, "largest JSON request body, KiB");
ABSL_FLAG(int, upstream_timeout_seconds, 30, "deadline of a unary call to a service");
ABSL_FLAG(std::string, static_dir, "",
          "directory of the pages served at /portal/ and /docs/ (services/gateway/static; env "
          "PEIXUN_GATEWAY_STATIC_DIR)");
ABSL_FLAG(std::string, openapi_file, "",
          "the OpenAPI document served at /openapi.json (build-*/openapi/openapi.json; env "
          "PEIXUN_OPENAPI_FILE)");
ABSL_FLAG(std::string, swagger_ui_dir, "",
          "Swagger UI's files, served under /docs/ (node_modules/swagger-ui-dist; env "
          "PEIXUN_SWAGGER_UI_DIR)");

namespace {

std::string Pick(const std::string& flag, const char* env, const std::string& fallback) {
  if (!flag.empty()) return flag;
  const char* value = std::getenv(env);
  return value != nullptr && *value != '\0' ? value : fallback;
}

bool ReadFile(const std::string& path, std::string* out) {
  if (path.empty()) return true;
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using peixun::server::Log;
  peixun::server::BlockTerminationSignals();
  peixun::server::DisableMutexDeadlockDetection();
  absl::ParseCommandLine(argc, argv);
  peixun::gateway::GatewayOptions options;
  options.listen = Pick(absl::GetFlag(FLAGS_listen), "PEIXUN_LISTEN", "127.0.0.1:8080");
  options.metrics_listen =
      Pick(absl::GetFlag(FLAGS_metrics_listen), "PEIXUN_METRICS_LISTEN", "127.0.0.1:9105");
  if (!peixun::server::IsLoopback(options.listen) && !absl::GetFlag(FLAGS_behind_tls_proxy)) {
    Log("gateway", absl::StrCat("listen: ", options.listen,
                                " is not loopback; serve it only behind a TLS proxy and say so "
                                "with --behind_tls_proxy"));
    return 2;
  }
  options.tokens.jwks = Pick(absl::GetFlag(FLAGS_jwks), "PEIXUN_JWKS", "");
  options.tokens.issuer = Pick(absl::GetFlag(FLAGS_token_issuer), "PEIXUN_TOKEN_ISSUER", "");
  options.tokens.audience = Pick(absl::GetFlag(FLAGS_token_audience), "PEIXUN_TOKEN_AUDIENCE", "");
  const std::string token_key_file =
      Pick(absl::GetFlag(FLAGS_token_key_file), "PEIXUN_TOKEN_KEY_FILE", "");
  if (options.tokens.jwks.empty() || !token_key_file.empty() ||
      std::getenv("PEIXUN_TOKEN_KEY") != nullptr) {
    auto key = peixun::auth::LoadTokenKey(token_key_file);
    if (!key.ok()) {
      Log("gateway", absl::StrCat(key.status().message(), "; or give --jwks (ES256/RS256)"));
      return 2;
    }
    if (!peixun::server::IsLoopback(options.listen)) {
      Log("gateway",
          "token_key: HS256 development tokens are refused off loopback; verify with --jwks");
      return 2;
    }
    options.tokens.hs256_key = *key;
  }
  using peixun::server::DependencyTarget;
  options.upstreams = {
      {"catalog", DependencyTarget(absl::GetFlag(FLAGS_catalog_target), "PEIXUN_CATALOG_TARGET",
                                   "127.0.0.1:50051")},
      {"enrollment", DependencyTarget(absl::GetFlag(FLAGS_enrollment_target),
                                      "PEIXUN_ENROLLMENT_TARGET", "127.0.0.1:50052")},
      {"evaluation", DependencyTarget(absl::GetFlag(FLAGS_evaluation_target),
                                      "PEIXUN_EVALUATION_TARGET", "127.0.0.1:50053")},
      {"funding", DependencyTarget(absl::GetFlag(FLAGS_funding_target), "PEIXUN_FUNDING_TARGET",
                                   "127.0.0.1:50054")},
  };
  std::string cert, key, ca;
  const std::string cert_file =
      Pick(absl::GetFlag(FLAGS_tls_cert_file), "PEIXUN_TLS_CERT_FILE", "");
  const std::string key_file = Pick(absl::GetFlag(FLAGS_tls_key_file), "PEIXUN_TLS_KEY_FILE", "");
  const std::string ca_file = Pick(absl::GetFlag(FLAGS_tls_ca_file), "PEIXUN_TLS_CA_FILE", "");
  if (!ReadFile(cert_file, &cert) || !ReadFile(key_file, &key) || !ReadFile(ca_file, &ca)) {
    Log("gateway", "tls_cert_file, tls_key_file or tls_ca_file: cannot be read");
    return 2;
  }
  if (!ca.empty() && (cert.empty() || key.empty())) {
    Log("gateway",
        "tls_ca_file: mutual TLS needs the gateway's own tls_cert_file and tls_key_file");
    return 2;
  }
  options.credentials = peixun::server::ClientCredentials(cert, key, ca);
  for (absl::string_view origin :
       absl::StrSplit(Pick(absl::GetFlag(FLAGS_cors_origins), "PEIXUN_CORS_ORIGINS", ""), ',',
                      absl::SkipWhitespace())) {
    options.cors_origins.emplace_back(origin);
  }
  if (absl::GetFlag(FLAGS_max_body_kib) <= 0 ||
      absl::GetFlag(FLAGS_upstream_timeout_seconds) <= 0) {
    Log("gateway", "max_body_kib and upstream_timeout_seconds must be positive");
    return 2;
  }
  options.max_body_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_body_kib)) * 1024;
  options.upstream_timeout = absl::Seconds(absl::GetFlag(FLAGS_upstream_timeout_seconds));
  options.static_dir = Pick(absl::GetFlag(FLAGS_static_dir), "PEIXUN_GATEWAY_STATIC_DIR", "");
  options.openapi_file = Pick(absl::GetFlag(FLAGS_openapi_file), "PEIXUN_OPENAPI_FILE", "");
  options.swagger_ui_dir = Pick(absl::GetFlag(FLAGS_swagger_ui_dir), "PEIXUN_SWAGGER_UI_DIR", "");

  auto gateway = peixun::gateway::Gateway::Start(options);
  if (!gateway.ok()) {
    Log("gateway", std::string(gateway.status().message()));
    return 1;
  }
  Log("gateway", absl::StrCat("SERVING http on port ", (*gateway)->port(), ", ",
                              (*gateway)->routes().routes().size(), " routes; metrics on port ",
                              (*gateway)->metrics_port()));
  const int received = peixun::server::WaitForTerminationSignal();
  Log("gateway", absl::StrCat("received signal ", received, "; finishing requests in flight"));
  (*gateway)->Stop();
  return 0;
}
