#include "common/server/platform.h"

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/util/status.h"
#include "grpc/grpc.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

ABSL_FLAG(std::string, listen, "", "gRPC address (env PEIXUN_LISTEN; default 127.0.0.1:5005N)");
ABSL_FLAG(std::string, metrics_listen, "",
          "Prometheus /metrics address (env PEIXUN_METRICS_LISTEN; default 127.0.0.1:910N)");
ABSL_FLAG(std::string, db_host, "", "database host (env PEIXUN_DB_HOST; default 127.0.0.1)");
ABSL_FLAG(int, db_port, 0, "database port (env PEIXUN_DB_PORT; default 3306)");
ABSL_FLAG(std::string, db_name, "",
          "database schema (env PEIXUN_DB_NAME; default peixun_<service>)");
ABSL_FLAG(std::string, db_user, "", "database user (env PEIXUN_DB_USER; default peixun_<service>)");
ABSL_FLAG(std::string, db_password_file, "",
          "file holding the database password (env PEIXUN_DB_PASSWORD_FILE, or the password "
          "itself in PEIXUN_DB_PASSWORD)");
ABSL_FLAG(int, db_pool_size, 0,
          "database connections at most (env PEIXUN_DB_POOL_SIZE; default 16)");
ABSL_FLAG(std::string, jwks, "",
          "JWKS file or http(s) URL of the keys ES256/RS256 tokens are verified against (env "
          "PEIXUN_JWKS)");
ABSL_FLAG(std::string, token_issuer, "",
          "the issuer (iss) tokens must name (env PEIXUN_TOKEN_ISSUER)");
ABSL_FLAG(std::string, token_audience, "",
          "the audience (aud) tokens must name (env PEIXUN_TOKEN_AUDIENCE)");
ABSL_FLAG(
    std::string, service_key_file, "",
    "this service's own signing key for its calls to other services, made by peixunctl keys init "
    "(env PEIXUN_SERVICE_KEY_FILE)");
ABSL_FLAG(
    std::string, token_key_file, "",
    "file holding the HS256 token key (env PEIXUN_TOKEN_KEY_FILE, or the key in PEIXUN_TOKEN_KEY)");
ABSL_FLAG(
    std::string, health_listen, "",
    "optional plaintext address serving only gRPC health, for probes that cannot use TLS, e.g. "
    "0.0.0.0:50061 (env PEIXUN_HEALTH_LISTEN)");
ABSL_FLAG(
    std::string, tls_cert_file, "",
    "PEM certificate chain to serve TLS with (env PEIXUN_TLS_CERT_FILE); with --tls_key_file");
ABSL_FLAG(std::string, tls_key_file, "",
          "PEM private key of the certificate (env PEIXUN_TLS_KEY_FILE)");
ABSL_FLAG(
    std::string, tls_ca_file, "",
    "PEM CA: clients must present certificates it signed (mutual TLS), and dependencies are dialed "
    "with TLS trusting only it (env PEIXUN_TLS_CA_FILE)");
ABSL_FLAG(
    std::string, clock_start, "",
    "demonstrations and end-to-end tests only: the clock starts at this RFC 3339 time and runs "
    "from there, e.g. 2022-07-01T09:00:00+08:00 to run the 2022 plan year; every service of "
    "the suite needs the same value (env PEIXUN_CLOCK_START; never in production)");
ABSL_FLAG(std::string, clock_file, "",
          "demonstrations and end-to-end tests only: a clock the suite shares and the year driver "
          "moves; the file holds \"<RFC 3339 instant> <wall-clock Unix microseconds>\" (see "
          "tools/year; env PEIXUN_CLOCK_FILE; never in production, not with --clock_start)");
ABSL_FLAG(int, shutdown_grace_seconds, 10, "seconds to finish in-flight calls at SIGTERM");
ABSL_FLAG(int, audit_retention_days, 0,
          "days the audit record keeps an entry (R-37: at least 180, the default; env "
          "PEIXUN_AUDIT_RETENTION_DAYS)");

namespace peixun::server {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string Pick(const std::string& flag, const char* env, const std::string& fallback) {
  if (!flag.empty()) return flag;
  std::string from_env = Env(env);
  return from_env.empty() ? fallback : from_env;
}

absl::StatusOr<int> PickInt(int flag, const char* env, int fallback, const char* field) {
  if (flag != 0) return flag;
  std::string from_env = Env(env);
  if (from_env.empty()) return fallback;
  int value = 0;
  if (!absl::SimpleAtoi(from_env, &value) || value <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", env, " is not a positive number"));
  }
  return value;
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path, const char* field) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(field, ": cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return std::string(absl::StripTrailingAsciiWhitespace(buffer.str()));
}

// A unary or server-streaming request that cannot be parsed (a string that is not UTF-8, a
// truncated message) is answered INVALID_ARGUMENT with a message saying so. gRPC itself
// answers INTERNAL with an empty message, which reads as a server fault. The request is read
// before the handler runs; when it cannot be parsed, the interceptor sees no message.
class UnreadableRequestInterceptor : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      unreadable_ = true;
    }
    if (unreadable_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        methods->GetSendStatus().error_code() == grpc::StatusCode::INTERNAL) {
      methods->ModifySendStatus(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          "the request is not a readable message of this method's request type (e.g. a string "
          "that is not UTF-8, or a message cut short)"));
    }
    methods->Proceed();
  }

 private:
  bool unreadable_ = false;
};

class UnreadableRequestInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // Only where the server reads the one request before the handler; in client and bidi
    // streams no message also means the client finished, and handlers read those themselves.
    const auto type = info->type();
    if (type != grpc::experimental::ServerRpcInfo::Type::UNARY &&
        type != grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING) {
      return nullptr;
    }
    return new UnreadableRequestInterceptor();
  }
};

}  // namespace

std::shared_ptr<grpc::ChannelCredentials> DependencyCredentials(const PlatformOptions& options) {
  return ClientCredentials(options.tls_cert_pem, options.tls_key_pem, options.tls_ca_pem);
}

absl::StatusOr<PlatformOptions> OptionsFromFlags(const std::string& service,
                                                 const std::string& grpc_service, int port_index) {
  PlatformOptions options;
  options.service = service;
  options.grpc_service = grpc_service;
  options.listen = Pick(absl::GetFlag(FLAGS_listen), "PEIXUN_LISTEN",
                        absl::StrCat("127.0.0.1:", 50051 + port_index));
  options.metrics_listen = Pick(absl::GetFlag(FLAGS_metrics_listen), "PEIXUN_METRICS_LISTEN",
                                absl::StrCat("127.0.0.1:", 9101 + port_index));
  options.health_listen = Pick(absl::GetFlag(FLAGS_health_listen), "PEIXUN_HEALTH_LISTEN", "");
  options.db.host = Pick(absl::GetFlag(FLAGS_db_host), "PEIXUN_DB_HOST", "127.0.0.1");
  auto port = PickInt(absl::GetFlag(FLAGS_db_port), "PEIXUN_DB_PORT", 3306, "db_port");
  if (!port.ok()) return port.status();
  options.db.port = *port;
  options.db.database = Pick(absl::GetFlag(FLAGS_db_name), "PEIXUN_DB_NAME", "peixun_" + service);
  options.db.user = Pick(absl::GetFlag(FLAGS_db_user), "PEIXUN_DB_USER", "peixun_" + service);
  std::string password_file =
      Pick(absl::GetFlag(FLAGS_db_password_file), "PEIXUN_DB_PASSWORD_FILE", "");
  if (!password_file.empty()) {
    auto password = ReadSecretFile(password_file, "db_password_file");
    if (!password.ok()) return password.status();
    options.db.password = *password;
  } else {
    options.db.password = Env("PEIXUN_DB_PASSWORD");
  }
  auto pool_size =
      PickInt(absl::GetFlag(FLAGS_db_pool_size), "PEIXUN_DB_POOL_SIZE", 16, "db_pool_size");
  if (!pool_size.ok()) return pool_size.status();
  options.db.pool_size = *pool_size;
  options.jwks = Pick(absl::GetFlag(FLAGS_jwks), "PEIXUN_JWKS", "");
  options.token_issuer = Pick(absl::GetFlag(FLAGS_token_issuer), "PEIXUN_TOKEN_ISSUER", "");
  options.token_audience = Pick(absl::GetFlag(FLAGS_token_audience), "PEIXUN_TOKEN_AUDIENCE", "");
  const std::string service_key_file =
      Pick(absl::GetFlag(FLAGS_service_key_file), "PEIXUN_SERVICE_KEY_FILE", "");
  if (!service_key_file.empty()) {
    auto service_key = auth::SigningKey::FromFile(service_key_file);
    if (!service_key.ok()) return service_key.status();
    options.service_key = std::make_shared<const auth::SigningKey>(*std::move(service_key));
  }
  const std::string token_key_file =
      Pick(absl::GetFlag(FLAGS_token_key_file), "PEIXUN_TOKEN_KEY_FILE", "");
  if (options.jwks.empty() || !token_key_file.empty() ||
      std::getenv("PEIXUN_TOKEN_KEY") != nullptr) {
    auto key = auth::LoadTokenKey(token_key_file);
    if (!key.ok()) {
      return options.jwks.empty() ? absl::InvalidArgumentError(absl::StrCat(
                                        key.status().message(), "; or give --jwks (ES256/RS256)"))
                                  : key.status();
    }
    options.token_key = *key;
  }
  options.shutdown_grace = absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds));
  auto retention = PickInt(absl::GetFlag(FLAGS_audit_retention_days), "PEIXUN_AUDIT_RETENTION_DAYS",
                           180, "audit_retention_days");
  if (!retention.ok()) return retention.status();
  if (*retention < 180) {
    return absl::InvalidArgumentError(absl::StrCat(
        "audit_retention_days: R-37 keeps entries at least 180 days, got ", *retention));
  }
  options.audit_retention = absl::Hours(24) * *retention;
  struct PemFile {
    std::string path;
    const char* field;
    std::string* pem;
  };
  for (const PemFile& file :
       {PemFile{Pick(absl::GetFlag(FLAGS_tls_cert_file), "PEIXUN_TLS_CERT_FILE", ""),
                "tls_cert_file", &options.tls_cert_pem},
        PemFile{Pick(absl::GetFlag(FLAGS_tls_key_file), "PEIXUN_TLS_KEY_FILE", ""), "tls_key_file",
                &options.tls_key_pem},
        PemFile{Pick(absl::GetFlag(FLAGS_tls_ca_file), "PEIXUN_TLS_CA_FILE", ""), "tls_ca_file",
                &options.tls_ca_pem}}) {
    if (file.path.empty()) continue;
    auto pem = ReadSecretFile(file.path, file.field);
    if (!pem.ok()) return pem.status();
    if (pem->find("-----BEGIN ") == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.field, ": ", file.path, " holds no PEM block"));
    }
    *file.pem = *pem + "\n";
  }
  if (options.tls_cert_pem.empty() != options.tls_key_pem.empty()) {
    return absl::InvalidArgumentError("tls_cert_file and tls_key_file: give both or neither");
  }
  if (!options.tls_ca_pem.empty() && options.tls_cert_pem.empty()) {
    return absl::InvalidArgumentError(
        "tls_ca_file: mutual TLS needs this service's own tls_cert_file and tls_key_file");
  }
  if (options.tls_cert_pem.empty() && !IsLoopback(options.listen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen: ", options.listen,
        " is not a loopback address; without TLS a service serves only on loopback "
        "(give --tls_cert_file and --tls_key_file, and --tls_ca_file for mutual TLS)"));
  }
  if (!options.token_key.empty() && !IsLoopback(options.listen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token_key: HS256 development tokens are refused off loopback (listen ", options.listen,
        "); verify the identity provider's ES256/RS256 tokens with --jwks"));
  }
  const std::string clock_start = Pick(absl::GetFlag(FLAGS_clock_start), "PEIXUN_CLOCK_START", "");
  if (!clock_start.empty()) {
    absl::Time start;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, clock_start, &start, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "clock_start: '", clock_start,
          "' is not an RFC 3339 time such as 2022-07-01T09:00:00+08:00 (", error, ")"));
    }
    options.clock_start = start;
  }
  const std::string clock_file = Pick(absl::GetFlag(FLAGS_clock_file), "PEIXUN_CLOCK_FILE", "");
  if (!clock_file.empty()) {
    if (options.clock_start) {
      return absl::InvalidArgumentError(
          "clock_file: give either --clock_start or --clock_file, not both");
    }
    auto clock = FileClock::Open(clock_file);
    if (!clock.ok()) return clock.status();
    options.clock_file = std::move(*clock);
  }
  return options;
}

Platform::Platform(PlatformOptions options, const Clock& clock)
    : options_((DisableMutexDeadlockDetection(), std::move(options))),
      started_clock_(options_.clock_start ? std::make_unique<StartedClock>(*options_.clock_start)
                                          : nullptr),
      clock_(options_.clock_file ? *options_.clock_file
             : started_clock_    ? *started_clock_
                                 : clock),
      pool_(options_.db, &metrics_.db()),
      // Tokens expire in real time, whatever the business clock says (--clock_start).
      verifier_(auth::VerifierOptions{options_.token_key, options_.jwks, options_.token_issuer,
                                      options_.token_audience, options_.jwks_refetch_interval,
                                      options_.jwks_max_age},
                SystemClock::Instance()),
      events_(pool_, &metrics_.registry()),
      audit_(pool_, metrics_.registry(), options_.audit_retention) {
  sequencer_task_ = background_.AddComponent(
      "outbox sequencer", [this] { events_.StartSequencer(); },
      [this] { events_.StopSequencer(); });
  audit_task_ = background_.AddComponent(
      "audit writer", [this] { audit_.Start(); }, [this] { audit_.Stop(); });
}

Platform::~Platform() { Shutdown(); }

absl::Status Platform::Start(grpc::Service* service) {
  absl::Status metrics_status = metrics_.Serve(options_.metrics_listen);
  if (!metrics_status.ok()) return metrics_status;

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  std::string transport = "plaintext: for loopback and development";
  if (!options_.tls_cert_pem.empty()) {
    grpc::SslServerCredentialsOptions ssl(
        options_.tls_ca_pem.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                    : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = options_.tls_ca_pem;
    ssl.pem_key_cert_pairs.push_back({options_.tls_key_pem, options_.tls_cert_pem});
    credentials = grpc::SslServerCredentials(ssl);
    transport = options_.tls_ca_pem.empty()
                    ? "TLS"
                    : "mutual TLS: clients need a certificate signed by the CA";
  }
  builder.AddListeningPort(options_.listen, credentials, &port_);
  builder.RegisterService(service);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 30 * 60 * 1000);
  // The sync server keeps at most MAX_POLLERS idle threads: with the default (2), every call
  // that blocks (a nomination waiting for its batch, a database round trip) makes gRPC create a
  // thread and end one, thousands of times a second under load. Idle threads cost only memory.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 64);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  // First, so that the metrics count the status as it is sent.
  interceptors.push_back(std::make_unique<UnreadableRequestInterceptorFactory>());
  interceptors.push_back(metrics_.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("listen: cannot serve gRPC on ", options_.listen));
  }
  if (!options_.health_listen.empty()) {
    // Health only, in plaintext: it tells nothing but SERVING or NOT_SERVING.
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(options_.health_listen, grpc::InsecureServerCredentials(),
                                    &health_port_);
    health_server_ = health_builder.BuildAndStart();
    if (health_server_ == nullptr || health_port_ == 0) {
      return absl::UnavailableError(
          absl::StrCat("health_listen: cannot serve health on ", options_.health_listen));
    }
    Log(options_.service,
        absl::StrCat("gRPC health (plaintext, health only) on port ", health_port_));
  }
  SetServing(false);
  Log(options_.service, absl::StrCat("gRPC on port ", port_, ", /metrics on port ", metrics_.port(),
                                     ", database ", options_.db.host, ":", options_.db.port, "/",
                                     options_.db.database, " (", transport, ")"));
  if (started_clock_ || options_.clock_file) {
    Log(options_.service,
        absl::StrCat("demonstration clock: now is ",
                     absl::FormatTime(absl::RFC3339_sec, clock_.Now(), ChinaTimeZone()),
                     options_.clock_file
                         ? absl::StrCat(" (--clock_file ", options_.clock_file->path(),
                                        "; not for production)")
                         : std::string(" (--clock_start; not for production)")));
  }
  health_thread_ = std::thread([this] { WatchHealth(); });
  return absl::OkStatus();
}

bool Platform::serving() const {
  absl::MutexLock lock(&mu_);
  return serving_;
}

void Platform::SetServing(bool serving) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && serving) return;
    serving_ = serving;
  }
  bool alive;
  {
    absl::MutexLock lock(&mu_);
    alive = !stopping_;
  }
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server == nullptr) continue;
    auto* health = server->GetHealthCheckService();
    health->SetServingStatus(serving);
    health->SetServingStatus(options_.grpc_service, serving);
    // "liveness": SERVING while the process runs, even while its database is lost (restarting
    // would not bring the database back); for liveness probes.
    health->SetServingStatus(kLivenessService, alive);
  }
}

void Platform::WatchHealth() {
  bool migrated = false;
  bool last = false;
  std::string last_problem;
  while (true) {
    absl::Status status = absl::OkStatus();
    if (!migrated) {
      status = db::ApplyMigrations(pool_, options_.migrations);
      if (status.ok() && options_.seed) status = options_.seed(pool_);
      migrated = status.ok();
      if (migrated) background_.Start();  // every table exists from here on
    }
    if (status.ok()) status = pool_.Ping();
    bool serving = status.ok();
    if (serving != last || (!serving && std::string(status.message()) != last_problem)) {
      Log(options_.service, serving ? "SERVING: database answers, migrations applied"
                                    : absl::StrCat("NOT_SERVING: ", status.message()));
      last_problem = std::string(status.message());
    }
    last = serving;
    SetServing(serving);
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.health_interval)) return;
  }
}

void Platform::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  if (server_ != nullptr) {
    Log(options_.service, "shutting down: NOT_SERVING, draining in-flight calls");
    SetServing(false);
  }
  // Each step's time goes into the last line, so a slow shutdown says where it waited.
  std::vector<std::string> took;
  absl::Time step = absl::Now();
  auto done = [&](absl::string_view what) {
    const absl::Time now = absl::Now();
    took.push_back(absl::StrCat(what, " ", absl::ToInt64Milliseconds(now - step), " ms"));
    step = now;
  };
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (health_thread_.joinable()) health_thread_.join();
  done("health check");
  events_.Close();
  if (server_ != nullptr) {
    DrainCalls();
    done("gRPC");
    server_->Wait();
    // Health checks are short calls; none is worth waiting for once the service is going.
    if (health_server_ != nullptr) health_server_->Shutdown(std::chrono::system_clock::now());
    done("health server");
  }
  background_.Stop();
  done("background");
  metrics_.StopServing();
  done("metrics");
  if (server_ != nullptr) {
    Log(options_.service, absl::StrCat("stopped (", absl::StrJoin(took, ", "), ")"));
  }
}

void Platform::DrainCalls() {
  // gRPC's graceful shutdown sends each connection a GOAWAY and a ping and lets the connection
  // go when its client answers, which an idle client does only when it next polls (a C++
  // client's backup poller: every 5 s), or never. So calls in flight get the grace period, and
  // once none is left the connections are closed at once.
  absl::Notification drained;
  std::thread shutdown([this, &drained] {
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(options_.shutdown_grace));
    drained.Notify();
  });
  constexpr absl::Duration kSettle = absl::Milliseconds(50);  // a call just accepted shows up
  absl::Time idle_since = absl::InfiniteFuture();
  while (!drained.WaitForNotificationWithTimeout(absl::Milliseconds(10))) {
    if (metrics_.grpc().in_flight() > 0) {
      idle_since = absl::InfiniteFuture();
    } else if (idle_since == absl::InfiniteFuture()) {
      idle_since = absl::Now();
    } else if (absl::Now() - idle_since >= kSettle) {
      // No call left: close the connections. Again every kSettle until Shutdown returns, in
      // case this ran before the other thread had begun the server's shutdown.
      grpc_server_cancel_all_calls(server_->c_server());
      idle_since = absl::Now();
    }
  }
  shutdown.join();
}

int RunUntilTerminated(Platform& platform) {
  const int received = WaitForTerminationSignal();
  Log(platform.options().service, absl::StrCat("received signal ", received));
  platform.Shutdown();
  return 0;
}

absl::StatusOr<auth::Caller> Platform::Authenticate(const grpc::ServerContext& context) const {
  absl::StatusOr<auth::Caller> caller = verifier_.Authenticate(context);
  if (caller.ok() && claims_ != nullptr) PEIXUN_RETURN_IF_ERROR(claims_->Check(*caller));
  return caller;
}

}  // namespace peixun::server
