#include "common/metrics/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/descriptor.h"

namespace peixun::metrics {
namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return kBuckets;
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(GrpcMetrics& metrics, GrpcMetrics::MethodMetrics& method)
      : metrics_(metrics), method_(method), start_(std::chrono::steady_clock::now()) {
    metrics_.CallBegins();
  }
  ~MetricsInterceptor() override { metrics_.CallEnds(); }
  MetricsInterceptor(const MetricsInterceptor&) = delete;
  MetricsInterceptor& operator=(const MetricsInterceptor&) = delete;

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      method_.started->Increment();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
      metrics_.RecordHandled(method_, methods->GetSendStatus().error_code(), elapsed.count());
    }
    methods->Proceed();
  }

 private:
  GrpcMetrics& metrics_;
  GrpcMetrics::MethodMetrics& method_;
  std::chrono::steady_clock::time_point start_;
};

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcMetrics& metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const char* type = "unary";
    switch (info->type()) {
      case grpc::experimental::ServerRpcInfo::Type::CLIENT_STREAMING:
        type = "client_stream";
        break;
      case grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING:
        type = "server_stream";
        break;
      case grpc::experimental::ServerRpcInfo::Type::BIDI_STREAMING:
        type = "bidi_stream";
        break;
      default:
        break;
    }
    return new MetricsInterceptor(metrics_, metrics_.ForMethod(info->method(), type));
  }

 private:
  GrpcMetrics& metrics_;
};

}  // namespace

const char* GrpcCodeName(int code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  if (code < 0 || code > 16) return "UNKNOWN";
  return kNames[code];
}

GrpcMetrics::GrpcMetrics(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("RPCs started on the server.")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("RPCs completed on the server, by status code.")
                   .Register(registry)),
      handling_seconds_(prometheus::BuildHistogram()
                            .Name("grpc_server_handling_seconds")
                            .Help("Time to handle an RPC, from start to status.")
                            .Register(registry)) {}

GrpcMetrics::MethodMetrics& GrpcMetrics::ForMethod(const std::string& full_method,
                                                   const std::string& type) {
  std::vector<std::string> parts = absl::StrSplit(full_method, '/', absl::SkipEmpty());
  // Only methods the server knows get labels of their own: made-up names a client sends all
  // count under one "unknown" series (and one cache entry), so they cannot grow the series.
  const bool known =
      parts.size() == 2 && google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
                               absl::StrCat(parts[0], ".", parts[1])) != nullptr;
  const std::string key = known ? full_method : absl::StrCat("unknown/", type);
  absl::MutexLock lock(&mu_);
  auto& slot = methods_[key];
  if (slot == nullptr) {
    auto entry = std::make_unique<MethodMetrics>();
    entry->service = known ? parts[0] : "unknown";
    entry->method = known ? parts[1] : "unknown";
    entry->type = type;
    std::map<std::string, std::string> labels = {
        {"grpc_service", entry->service}, {"grpc_method", entry->method}, {"grpc_type", type}};
    entry->started = &started_.Add(labels);
    entry->handling_seconds = &handling_seconds_.Add(labels, LatencyBuckets());
    slot = std::move(entry);
  }
  return *slot;
}

void GrpcMetrics::RecordHandled(MethodMetrics& method, int code, double seconds) {
  if (code < 0 || code > 16) code = 2;  // UNKNOWN
  prometheus::Counter* counter = method.handled[code].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the same counter for the same labels, so a race here is harmless.
    counter = &handled_.Add({{"grpc_service", method.service},
                             {"grpc_method", method.method},
                             {"grpc_type", method.type},
                             {"grpc_code", GrpcCodeName(code)}});
    method.handled[code].store(counter, std::memory_order_release);
  }
  counter->Increment();
  method.handling_seconds->Observe(seconds);
}

MetricsRegistry::MetricsRegistry() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  db_.pool_max = &prometheus::BuildGauge()
                      .Name("peixun_db_pool_max_connections")
                      .Help("Most connections the pool may open.")
                      .Register(r)
                      .Add({});
  db_.pool_open = &prometheus::BuildGauge()
                       .Name("peixun_db_pool_open_connections")
                       .Help("Connections currently open.")
                       .Register(r)
                       .Add({});
  db_.pool_in_use = &prometheus::BuildGauge()
                         .Name("peixun_db_pool_in_use_connections")
                         .Help("Connections lent out to a transaction.")
                         .Register(r)
                         .Add({});
  db_.pool_wait_seconds = &prometheus::BuildHistogram()
                               .Name("peixun_db_pool_wait_seconds")
                               .Help("Time spent waiting for a pooled connection.")
                               .Register(r)
                               .Add({}, LatencyBuckets());
  db_.pool_timeouts = &prometheus::BuildCounter()
                           .Name("peixun_db_pool_timeouts_total")
                           .Help("Acquisitions that gave up waiting for a free connection.")
                           .Register(r)
                           .Add({});
  db_.query_errors = &prometheus::BuildCounter()
                          .Name("peixun_db_query_errors_total")
                          .Help("Database errors by kind (connection, deadlock, other).")
                          .Register(r);
  db_.transaction_retries = &prometheus::BuildCounter()
                                 .Name("peixun_db_transaction_retries_total")
                                 .Help("Transactions retried after a deadlock or lock wait.")
                                 .Register(r)
                                 .Add({});
  db_.transaction_seconds = &prometheus::BuildHistogram()
                                 .Name("peixun_db_transaction_seconds")
                                 .Help("Time of a transaction, retries included.")
                                 .Register(r)
                                 .Add({}, LatencyBuckets());
  grpc_ = std::make_unique<GrpcMetrics>(r);
}

void StopHttpServer(const std::vector<int>& ports, absl::FunctionRef<void()> stop) {
  absl::Notification stopped;
  std::thread waker([&] {
    do {
      for (int port : ports) {
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) continue;
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // A refused or failed connection is fine: it only hurries the listener.
        (void)connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
        close(fd);
      }
    } while (!stopped.WaitForNotificationWithTimeout(absl::Milliseconds(20)));
  });
  stop();
  stopped.Notify();
  waker.join();
}

MetricsRegistry::~MetricsRegistry() { StopServing(); }

void MetricsRegistry::StopServing() {
  if (exposer_ == nullptr) return;
  StopHttpServer(exposer_->GetListeningPorts(), [this] { exposer_.reset(); });
}

absl::Status MetricsRegistry::Serve(const std::string& listen) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(std::string("metrics_listen: cannot listen on ") + listen + ": " +
                                  e.what());
  }
  exposer_->RegisterCollectable(registry_);
  return absl::OkStatus();
}

int MetricsRegistry::port() const {
  if (exposer_ == nullptr) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MetricsRegistry::InterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(*grpc_);
}

}  // namespace peixun::metrics
