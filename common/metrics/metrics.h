// Prometheus metrics every service exposes on /metrics: gRPC server metrics (after
// go-grpc-prometheus naming), connection-pool and query metrics, and the registry the
// services hang their domain counters (peixun_*) on.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace peixun::metrics {

// Pool and query figures, updated by db::ConnectionPool.
struct DbMetrics {
  prometheus::Gauge* pool_max;
  prometheus::Gauge* pool_open;
  prometheus::Gauge* pool_in_use;
  prometheus::Histogram* pool_wait_seconds;
  prometheus::Counter* pool_timeouts;
  prometheus::Family<prometheus::Counter>* query_errors;  // label: kind
  prometheus::Counter* transaction_retries;
  prometheus::Histogram* transaction_seconds;
};

class GrpcMetrics;

// Runs `stop`, the stop of a civetweb server listening on `ports`, while connecting to those
// ports on loopback every few milliseconds. civetweb's listener thread looks at its stop flag
// only between polls of two seconds; a connection ends the poll, so the server stops in
// milliseconds instead of up to two seconds per listener (SIGTERM ends a process in moments).
void StopHttpServer(const std::vector<int>& ports, absl::FunctionRef<void()> stop);

// Owns the registry and the HTTP exposer.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();

  // Serves /metrics on `listen` ("127.0.0.1:9101"; port 0 picks a free one).
  absl::Status Serve(const std::string& listen);
  // The port /metrics is served on, once serving.
  int port() const;
  // Stops serving /metrics (also done by the destructor).
  void StopServing();

  prometheus::Registry& registry() { return *registry_; }
  DbMetrics& db() { return db_; }
  GrpcMetrics& grpc() { return *grpc_; }

  // Interceptor factory recording grpc_server_* metrics for every call.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  DbMetrics db_;
  std::unique_ptr<GrpcMetrics> grpc_;
};

// grpc_server_started_total, grpc_server_handled_total, grpc_server_handling_seconds.
class GrpcMetrics {
 public:
  explicit GrpcMetrics(prometheus::Registry& registry);

  struct MethodMetrics {
    prometheus::Counter* started;
    prometheus::Histogram* handling_seconds;
    std::string service;
    std::string method;
    std::string type;  // unary, client_stream, server_stream, bidi_stream
    // grpc_server_handled_total by status code, filled on first use of each code.
    std::atomic<prometheus::Counter*> handled[17] = {};
  };
  // Per full method name "/pkg.Service/Method"; created on first use, then cached.
  MethodMetrics& ForMethod(const std::string& full_method, const std::string& type);
  void RecordHandled(MethodMetrics& method, int code, double seconds);

  // Calls the server holds now, from their arrival until they are done (streams included):
  // shutdown gives calls the grace period and connections without calls no time at all.
  int in_flight() const { return in_flight_.load(std::memory_order_acquire); }
  void CallBegins() { in_flight_.fetch_add(1, std::memory_order_acq_rel); }
  void CallEnds() { in_flight_.fetch_sub(1, std::memory_order_acq_rel); }

 private:
  std::atomic<int> in_flight_{0};
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<MethodMetrics>> methods_ ABSL_GUARDED_BY(mu_);
};

// Name of a gRPC status code as Prometheus labels show it ("OK", "INVALID_ARGUMENT", ...).
const char* GrpcCodeName(int code);

}  // namespace peixun::metrics
