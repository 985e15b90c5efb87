// loadgen: drives one unary RPC with N calls in flight for T seconds and prints one JSON line
// {"name", "calls", "errors", "qps", "p50_ms", "p99_ms", "p999_ms"}. With --serve_echo it is
// instead the baseline: a trivial gRPC server (grpc.health.v1 Check, answered from memory)
// that shares the transport costs of a real service and none of its work.
//   loadgen --serve_echo --port_file=/tmp/p
//   loadgen --target=127.0.0.1:50051 --method=/peixun.catalog.v1.CatalogService/GetProject
//           --request='{"name": "years/2022/projects/x"}' --token=... --concurrency=32 --seconds=10
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/server_builder.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "tools/cli/generic_call.h"

ABSL_FLAG(bool, serve_echo, false, "serve the echo baseline instead of generating load");
ABSL_FLAG(std::string, port_file, "", "--serve_echo: write the chosen port here");
ABSL_FLAG(std::string, target, "127.0.0.1:50051", "server address");
ABSL_FLAG(std::string, method, "/grpc.health.v1.Health/Check", "full method name");
ABSL_FLAG(std::string, request, "{}", "request as JSON");
ABSL_FLAG(std::string, token, "", "bearer token");
ABSL_FLAG(std::string, name, "", "name of this run in the output");
ABSL_FLAG(int, concurrency, 32, "calls in flight");
ABSL_FLAG(double, seconds, 10, "how long to drive load");
ABSL_FLAG(double, warmup_seconds, 1, "load before measuring starts");
ABSL_FLAG(std::string, http_url, "",
          "drive HTTP GETs of this URL instead of gRPC calls (the gateway), one keep-alive "
          "connection per "
          "call in flight");
ABSL_FLAG(int, channels, 4, "channels (HTTP/2 connections) to spread the calls over");

namespace {

class EchoHealth final : public grpc::health::v1::Health::Service {
  grpc::Status Check(grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest*,
                     grpc::health::v1::HealthCheckResponse* response) override {
    response->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
};

int ServeEcho() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  EchoHealth service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (!server) return 1;
  std::ofstream(absl::GetFlag(FLAGS_port_file)) << port << "\n";
  int received = 0;
  sigwait(&signals, &received);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(std::lround(q * static_cast<double>(sorted.size() - 1)));
  return sorted[std::min(index, sorted.size() - 1)];
}

size_t Discard(char*, size_t size, size_t count, void* body) {
  static_cast<std::string*>(body)->append("x");  // that something came back
  return size * count;
}

// One GET of `url` on a reused connection: OK for a 200, else the HTTP status as the message.
grpc::Status HttpGet(CURL* curl, const std::string& url, curl_slist* headers) {
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (code != CURLE_OK)
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, curl_easy_strerror(code));
  if (status != 200) return grpc::Status(grpc::StatusCode::UNKNOWN, absl::StrCat("HTTP ", status));
  return grpc::Status::OK;
}

int DriveLoad() {
  const std::string http_url = absl::GetFlag(FLAGS_http_url);
  auto call = peixun::cli::PrepareCall(absl::GetFlag(FLAGS_method), absl::GetFlag(FLAGS_request));
  if (!call.ok()) {
    std::cerr << "loadgen: " << call.status() << "\n";
    return 2;
  }
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_channels)); ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // distinct channels, not one shared subchannel
    stubs.push_back(std::make_unique<grpc::GenericStub>(grpc::CreateCustomChannel(
        absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials(), args)));
  }
  const std::string token = absl::GetFlag(FLAGS_token);
  const absl::Time measure_from = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_warmup_seconds));
  const absl::Time stop_at = measure_from + absl::Seconds(absl::GetFlag(FLAGS_seconds));
  std::vector<std::vector<double>> latencies(concurrency);
  std::vector<int64_t> errors(concurrency, 0);
  std::vector<std::string> first_error(concurrency);
  std::vector<std::thread> threads;
  threads.reserve(concurrency);
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      auto& stub = *stubs[t % stubs.size()];
      std::string response;
      latencies[t].reserve(200000);
      CURL* curl = http_url.empty() ? nullptr : curl_easy_init();
      curl_slist* headers =
          curl == nullptr ? nullptr
                          : curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str());
      while (true) {
        absl::Time start = absl::Now();
        if (start >= stop_at) break;
        grpc::Status status =
            curl != nullptr
                ? HttpGet(curl, http_url, headers)
                : peixun::cli::UnaryCall(
                      stub, *call, token,
                      std::chrono::system_clock::now() + std::chrono::seconds(10), &response);
        absl::Time end = absl::Now();
        if (start < measure_from) continue;
        if (!status.ok()) {
          if (errors[t]++ == 0) first_error[t] = status.error_message();
          continue;
        }
        latencies[t].push_back(absl::ToDoubleMilliseconds(end - start));
      }
      if (curl != nullptr) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<double> all;
  int64_t error_count = 0;
  for (int t = 0; t < concurrency; ++t) {
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
    error_count += errors[t];
    if (!first_error[t].empty()) std::cerr << "loadgen: error: " << first_error[t] << "\n";
  }
  std::sort(all.begin(), all.end());
  double seconds = absl::GetFlag(FLAGS_seconds);
  std::cout
      << absl::StrFormat(
             R"({"name":"%s","concurrency":%d,"calls":%d,"errors":%d,"qps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f})",
             absl::GetFlag(FLAGS_name), concurrency, all.size(), error_count,
             static_cast<double>(all.size()) / seconds, Percentile(all, 0.5), Percentile(all, 0.99),
             Percentile(all, 0.999))
      << std::endl;
  return error_count == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Keep the generated descriptors linked in for PrepareCall.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  (void)peixun::catalog::v1::Project::descriptor();
  return absl::GetFlag(FLAGS_serve_echo) ? ServeEcho() : DriveLoad();
}
