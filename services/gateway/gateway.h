// The HTTP/JSON gateway: portals call peixun with JSON over HTTP, and the gateway calls the
// owning service over gRPC with the caller's own `authorization` header, so that every rule of
// the access policy is decided by the service as for a native gRPC caller. Routes come from the
// contracts' google.api.http annotations (routes.h). Unary methods answer JSON; server streams
// (WatchEvents) answer Server-Sent Events; ImportTeachers takes NDJSON and answers a line per row.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/identity.h"
#include "grpcpp/channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/gateway/routes.h"

struct mg_context;
struct mg_connection;

namespace peixun::gateway {

struct GatewayOptions {
  std::string listen = "127.0.0.1:8080";  // port 0 picks a free one
  std::string metrics_listen = "127.0.0.1:9105";
  // The owning services' gRPC addresses by short name: "catalog" → "127.0.0.1:50051".
  std::map<std::string, std::string> upstreams;
  // How the gateway dials them: TLS with its own certificate and the CA, as the services
  // dial each other, or plaintext on loopback.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Tokens are verified here too, as the services do (ARCHITECTURE.md "Identity and access"):
  // a forged, expired or missing token is answered 401 at the edge and never forwarded. The
  // services still decide who may do what.
  auth::VerifierOptions tokens;
  // Origins a browser page may call from (CORS); empty: none (same-origin pages only).
  std::vector<std::string> cors_origins;
  size_t max_body_bytes = 1 << 20;                      // a JSON request body
  size_t max_import_bytes = 64 << 20;                   // an ImportTeachers upload
  int max_import_rows = 100000;                         // rows of one upload
  absl::Duration upstream_timeout = absl::Seconds(30);  // unary calls
  absl::Duration stream_heartbeat = absl::Seconds(15);  // SSE comment lines on an idle stream
  int threads = 64;                                     // connections served at once
  std::string static_dir;      // pages: /portal/ and /docs/ (services/gateway/static)
  std::string openapi_file;    // served at /openapi.json (build-*/openapi/openapi.json)
  std::string swagger_ui_dir;  // Swagger UI's files under /docs/ (npm swagger-ui-dist)
};

class Gateway {
 public:
  // Builds the routes from the contracts linked into this binary and starts serving.
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(GatewayOptions options);
  ~Gateway();

  int port() const { return port_; }
  int metrics_port() const;
  const RouteTable& routes() const { return routes_; }

  // Stops accepting connections and waits for the requests in flight (streams are cancelled).
  void Stop();

 private:
  Gateway(GatewayOptions options, RouteTable routes);
  static int Dispatch(mg_connection* conn, void* self);
  int Serve(mg_connection* conn);
  struct Exchange;
  void ServeUnary(Exchange& exchange, const Route& route, google::protobuf::Message& request);
  // One unary call to the owning service with the caller's credentials; `response` of the
  // method's output type. A status the gateway made names what went wrong.
  grpc::Status CallUpstream(const Exchange& exchange, const Route& route,
                            const google::protobuf::Message& request,
                            google::protobuf::Message* response);
  // A GET of a list as CSV or an Excel workbook (Accept: text/csv, or the .xlsx type): every
  // page of a paged list, at most 100,000 rows; 406 for a method that answers no list.
  void ServeExport(Exchange& exchange, const Route& route, google::protobuf::Message& request,
                   bool workbook);
  void ServeServerStream(Exchange& exchange, const Route& route,
                         google::protobuf::Message& request);
  void ServeImport(Exchange& exchange, const RouteTable::Match& match);
  void Respond(Exchange& exchange, int status, const std::string& content_type,
               const std::string& body,
               const std::vector<std::pair<std::string, std::string>>& headers = {});
  void RespondStatus(Exchange& exchange, int grpc_code, const std::string& message,
                     const std::string& details = "");
  bool ServeStatic(Exchange& exchange, const std::string& path);
  bool ServeFile(Exchange& exchange, const std::string& file);
  std::unique_ptr<grpc::ClientContext> UpstreamContext(const Exchange& exchange,
                                                       bool deadline) const;
  std::shared_ptr<grpc::Channel> ChannelOf(const std::string& upstream);

  GatewayOptions options_;
  RouteTable routes_;
  auth::TokenVerifier verifier_;
  // A few channels (HTTP/2 connections) per service, taken in turn: one would carry every
  // call in flight through one connection's lock.
  static constexpr int kChannelsPerService = 4;
  std::map<std::string, std::vector<std::shared_ptr<grpc::Channel>>> channels_;
  std::atomic<uint32_t> next_channel_{0};
  // Its own registry: the gateway has no database or gRPC server whose figures it would show.
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* durations_ = nullptr;
  prometheus::Gauge* streams_ = nullptr;
  mg_context* context_ = nullptr;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
};

}  // namespace peixun::gateway
