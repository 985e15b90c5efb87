// What every peixun service runs on: configuration from flags and environment, metrics,
// the database pool and migrations, caller identity, the event feed, and a gRPC server with
// health (tied to the database), reflection, keepalive and graceful shutdown.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/identity.h"
#include "common/db/migrations.h"
#include "common/db/pool.h"
#include "common/events/outbox.h"
#include "common/metrics/metrics.h"
#include "common/server/audit.h"
#include "common/server/background.h"
#include "common/server/claims.h"
#include "common/server/process.h"
#include "common/util/clock.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server.h"

namespace peixun::server {

// The gRPC health service name that is SERVING for as long as the process runs (liveness);
// the service's own name follows the database (readiness).
inline constexpr char kLivenessService[] = "liveness";

struct PlatformOptions {
  std::string service;         // short name, e.g. "catalog"
  std::string grpc_service;    // full name for health, e.g. "peixun.catalog.v1.CatalogService"
  std::string listen;          // gRPC address, "127.0.0.1:50051"; port 0 picks one
  std::string metrics_listen;  // /metrics address, "127.0.0.1:9101"; port 0 picks one
  // Optional plaintext address serving only grpc.health.v1 (the same status), for probes that
  // cannot speak TLS, such as Kubernetes' native gRPC probes. Empty: none.
  std::string health_listen;
  db::DbConfig db;
  // Tokens (docs/security.md): the JWKS (file or URL) that ES256/RS256 tokens are verified
  // against, the issuer and audience they must name, and this service's own signing key for its
  // calls to other services. token_key is the development mode's HS256 key, refused off
  // loopback.
  std::string jwks;
  std::string token_issuer;
  std::string token_audience;
  std::shared_ptr<const auth::SigningKey> service_key;
  absl::Duration jwks_refetch_interval = absl::Seconds(10);  // tests shorten these
  absl::Duration jwks_max_age = absl::Minutes(5);
  std::string token_key;
  absl::Duration shutdown_grace = absl::Seconds(10);
  absl::Duration audit_retention = absl::Hours(24 * 180);
  absl::Duration health_interval = absl::Seconds(1);
  std::vector<db::Migration> migrations;
  // Runs once after the migrations, before the service reports SERVING: seed data that must
  // exist (it must be safe to run on several replicas at once). Retried while it fails.
  std::function<absl::Status(db::ConnectionPool&)> seed;
  // Demonstrations and end-to-end tests only: the service's clock starts at this instant
  // (--clock_start) instead of the wall clock's now. Never set in production.
  std::optional<absl::Time> clock_start;
  // Demonstrations and end-to-end tests only: the suite's shared, movable clock (FileClock in
  // common/util/clock.h, --clock_file), opened when the options are read. Never in production.
  std::shared_ptr<const FileClock> clock_file;
  // Transport security (PEM text). With a certificate and key the service serves TLS; with a CA
  // as well it requires client certificates signed by that CA (mutual TLS), and it dials its
  // dependencies with TLS, presenting its own certificate and trusting only that CA. Without
  // them it serves plaintext, and only on a loopback address.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string tls_ca_pem;
};

// Credentials for calls to other services: TLS with this service's certificate and the CA
// when options carry them, plaintext otherwise.
std::shared_ptr<grpc::ChannelCredentials> DependencyCredentials(const PlatformOptions& options);

// Reads the common flags, falling back to PEIXUN_* environment variables and then to the
// service's defaults (port index 0-3 in ARCHITECTURE.md order).
absl::StatusOr<PlatformOptions> OptionsFromFlags(const std::string& service,
                                                 const std::string& grpc_service, int port_index);

class Platform {
 public:
  explicit Platform(PlatformOptions options, const Clock& clock = SystemClock::Instance());
  ~Platform();

  metrics::MetricsRegistry& metrics() { return metrics_; }
  db::ConnectionPool& pool() { return pool_; }
  const auth::TokenVerifier& verifier() const { return verifier_; }
  // Signs this service's own calls to other services (its key pair, else the development key).
  auth::TokenSigner signer() const {
    return {options_.token_key, options_.service_key, options_.token_issuer,
            options_.token_audience};
  }
  events::EventFeed& events() { return events_; }
  AuditLog& audit() { return audit_; }
  // The process's loops and threaded components: started once migrations are applied, stopped
  // after in-flight calls have drained (Shutdown). The outbox sequencer and the audit writer
  // are the platform's own.
  Background& background() { return background_; }
  // Checks tokens' region and host claims against `lookups` (see ClaimRegister); set before
  // Start. Without it only their shape is checked (the token verifier's checks).
  void SetClaimLookups(ClaimLookups lookups) {
    claims_ = std::make_unique<ClaimRegister>(std::move(lookups));
  }
  // The caller, once its claims are checked; what Handlers admit.
  absl::StatusOr<auth::Caller> Authenticate(const grpc::ServerContext& context) const;
  const Clock& clock() const { return clock_; }
  const PlatformOptions& options() const { return options_; }

  // Serves `service` (plus health and reflection) and /metrics. Health stays NOT_SERVING until
  // migrations are applied and the database answers; it follows the database afterwards.
  absl::Status Start(grpc::Service* service);
  int port() const { return port_; }
  int health_port() const { return health_port_; }
  int metrics_port() const { return metrics_.port(); }
  bool serving() const;

  // NOT_SERVING, then drains in-flight calls for up to shutdown_grace, then stops. Idempotent.
  void Shutdown();

 private:
  void WatchHealth();
  // Stops the gRPC server: calls in flight get up to shutdown_grace, idle connections nothing.
  void DrainCalls();
  void SetServing(bool serving);

  const PlatformOptions options_;
  std::unique_ptr<Clock> started_clock_;  // set when options_.clock_start is
  const Clock& clock_;
  metrics::MetricsRegistry metrics_;
  db::ConnectionPool pool_;
  auth::TokenVerifier verifier_;
  std::unique_ptr<ClaimRegister> claims_;
  Background background_;  // before what registers with it: destroyed after their registrations
  events::EventFeed events_;
  AuditLog audit_;
  Background::Registration sequencer_task_;
  Background::Registration audit_task_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;  // --health_listen
  int port_ = 0;
  int health_port_ = 0;
  std::thread health_thread_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

// Waits for SIGTERM or SIGINT, then shuts the platform down. Returns the exit code.
int RunUntilTerminated(Platform& platform);

}  // namespace peixun::server
