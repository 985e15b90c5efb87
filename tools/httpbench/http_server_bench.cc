// The HTTP server the gateway is built on, chosen by measurement (issue: portals on the APIs):
// serves every GET with the same JSON body from civetweb (what the gateway uses) or cpp-httplib
// (Debian's libcpp-httplib-dev), configured alike: the gateway's thread count, keep-alive without
// a request limit, TCP_NODELAY, the whole answer in one write. `tools/bench http` drives both
// with loadgen's HTTP mode and compares them in one run.
//
//   http_server_bench --server=civetweb --port_file=/tmp/port --threads=64
#include <civetweb.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, server, "civetweb", "civetweb or httplib");
ABSL_FLAG(std::string, port_file, "", "write the chosen loopback port here");
ABSL_FLAG(int, threads, 64, "worker threads (the gateway's default)");
ABSL_FLAG(int, body_bytes, 700, "JSON body size (the gateway's GetProject answer is about this)");

namespace {

std::atomic<bool> stopping{false};

void OnSignal(int) { stopping = true; }

// Returns once SIGTERM or SIGINT came (to whichever thread the kernel gave it).
void AwaitStop() {
  while (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

// A JSON object of about `bytes` bytes.
std::string Body(int bytes) {
  std::string body = R"({"name":"years/2022/projects/rural-chief","displayName":")";
  while (static_cast<int>(body.size()) < bytes - 3) body += "x";
  return body + "\"}";
}

void WritePort(int port) { std::ofstream(absl::GetFlag(FLAGS_port_file)) << port << "\n"; }

struct Civet {
  std::string response;
};

int CivetHandler(mg_connection* conn, void* data) {
  const auto* civet = static_cast<const Civet*>(data);
  mg_write(conn, civet->response.data(), civet->response.size());
  return 200;
}

int ServeCivetweb(const std::string& body, int threads) {
  Civet civet;
  civet.response = absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", body.size(),
                                "\r\nConnection: keep-alive\r\nContent-Type: application/json; "
                                "charset=utf-8\r\n\r\n",
                                body);
  mg_init_library(0);
  const std::string thread_count = std::to_string(threads);
  const char* options[] = {"listening_ports",
                           "127.0.0.1:0",
                           "num_threads",
                           thread_count.c_str(),
                           "enable_keep_alive",
                           "yes",
                           "keep_alive_timeout_ms",
                           "60000",
                           "request_timeout_ms",
                           "60000",
                           "tcp_nodelay",
                           "1",
                           nullptr};
  mg_callbacks callbacks{};
  mg_context* context = mg_start(&callbacks, nullptr, options);
  if (context == nullptr) {
    std::cerr << "http_server_bench: civetweb cannot listen\n";
    return 1;
  }
  mg_set_request_handler(context, "/", &CivetHandler, &civet);
  mg_server_port ports[1];
  if (mg_get_server_ports(context, 1, ports) < 1) return 1;
  WritePort(ports[0].port);
  AwaitStop();
  mg_stop(context);
  return 0;
}

int ServeHttplib(const std::string& body, int threads) {
  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1000000);
  server.set_keep_alive_timeout(60);
  server.Get(".*", [&body](const httplib::Request&, httplib::Response& response) {
    response.set_content(body, "application/json; charset=utf-8");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    std::cerr << "http_server_bench: cpp-httplib cannot listen\n";
    return 1;
  }
  WritePort(port);
  std::thread stopper([&] {
    AwaitStop();
    server.stop();
  });
  server.listen_after_bind();
  stopper.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  const std::string body = Body(absl::GetFlag(FLAGS_body_bytes));
  const int threads = absl::GetFlag(FLAGS_threads);
  const std::string server = absl::GetFlag(FLAGS_server);
  if (server == "civetweb") return ServeCivetweb(body, threads);
  if (server == "httplib") return ServeHttplib(body, threads);
  std::cerr << "http_server_bench: --server must be civetweb or httplib\n";
  return 2;
}
