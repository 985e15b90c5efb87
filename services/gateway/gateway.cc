#include "services/gateway/gateway.h"

#include <civetweb.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "common/metrics/metrics.h"
#include "common/util/clock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/byte_buffer.h"
#include "prometheus/gauge.h"
#include "tools/cli/table.h"
#include "tools/cli/xlsx.h"

namespace peixun::gateway {
namespace {

using google::protobuf::Message;

grpc::ByteBuffer ToBuffer(const Message& message) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

bool FromBuffer(const grpc::ByteBuffer& buffer, Message* message) {
  grpc::Slice slice;
  if (!buffer.TrySingleSlice(&slice).ok()) {
    if (!buffer.DumpToSingleSlice(&slice).ok()) return false;
  }
  return message->ParseFromArray(slice.begin(), static_cast<int>(slice.size()));
}

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* descriptor) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
}

// Waits for `tag` on a completion queue used by one call at a time.
bool Await(grpc::CompletionQueue& cq, void* tag) {
  void* got = nullptr;
  bool ok = false;
  while (cq.Next(&got, &ok)) {
    if (got == tag) return ok;
  }
  return false;
}

// Ends a completion queue used by one call, taking whatever events it still holds.
void ShutDownAndDrain(grpc::CompletionQueue& cq) {
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
}

const char* ContentTypeOf(const std::string& path) {
  if (absl::EndsWith(path, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(path, ".js")) return "text/javascript; charset=utf-8";
  if (absl::EndsWith(path, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(path, ".json")) return "application/json; charset=utf-8";
  if (absl::EndsWith(path, ".png")) return "image/png";
  if (absl::EndsWith(path, ".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace

// One HTTP request while it is served.
struct Gateway::Exchange {
  mg_connection* conn = nullptr;
  std::string method;
  std::string path;
  std::string query;
  std::string authorization;
  std::string origin;  // when allowed by --cors_origins
  std::string peer;
  std::string label = "unmatched";
  int status = 0;
  bool headers_sent = false;
};

Gateway::Gateway(GatewayOptions options, RouteTable routes)
    : options_(std::move(options)),
      routes_(std::move(routes)),
      verifier_(options_.tokens, SystemClock::Instance()) {
  requests_ =
      &prometheus::BuildCounter()
           .Name("http_requests_total")
           .Help("HTTP requests answered by the gateway, by route template and status code.")
           .Register(*registry_);
  durations_ =
      &prometheus::BuildHistogram()
           .Name("http_request_duration_seconds")
           .Help("Time to answer an HTTP request (to the end of a stream), by route template.")
           .Register(*registry_);
  streams_ = &prometheus::BuildGauge()
                  .Name("http_streams_open")
                  .Help("Server-Sent Event streams and imports in progress.")
                  .Register(*registry_)
                  .Add({});
  auto credentials =
      options_.credentials ? options_.credentials : grpc::InsecureChannelCredentials();
  for (const auto& [name, target] : options_.upstreams) {
    for (int i = 0; i < kChannelsPerService; ++i) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
      args.SetInt("grpc.channel_id", i);         // distinct channels, not one shared subchannel
      args.SetInt(GRPC_ARG_ENABLE_CHANNELZ, 0);  // counters per call nobody reads here
      channels_[name].push_back(grpc::CreateCustomChannel(target, credentials, args));
    }
  }
}

Gateway::~Gateway() { Stop(); }

int Gateway::metrics_port() const {
  if (exposer_ == nullptr) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(GatewayOptions options) {
  auto routes = RouteTable::Build(PeixunServices());
  if (!routes.ok()) return routes.status();
  for (const Route& route : routes->routes()) {
    if (!options.upstreams.count(route.upstream)) {
      return absl::InvalidArgumentError(
          absl::StrCat("no address for ", route.upstream, " (its --", route.upstream, "_target)"));
    }
  }
  std::unique_ptr<Gateway> gateway(new Gateway(std::move(options), *std::move(routes)));
  try {
    gateway->exposer_ = std::make_unique<prometheus::Exposer>(gateway->options_.metrics_listen, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("metrics_listen: cannot listen on ",
                                               gateway->options_.metrics_listen, ": ", e.what()));
  }
  gateway->exposer_->RegisterCollectable(gateway->registry_);

  mg_init_library(0);
  const std::string threads = absl::StrCat(std::max(2, gateway->options_.threads));
  const char* civet_options[] = {
      "listening_ports", gateway->options_.listen.c_str(), "num_threads", threads.c_str(),
      "enable_keep_alive", "yes", "keep_alive_timeout_ms", "60000", "request_timeout_ms", "60000",
      // Headers and body go out as separate writes: without this, Nagle's
      // algorithm and the client's delayed ACK add 40 ms to every answer.
      "tcp_nodelay", "1",
      // CORS is the gateway's (--cors_origins), not civetweb's "*".
      "access_control_allow_origin", "", "access_control_allow_methods", "",
      "access_control_allow_headers", "", nullptr};
  mg_callbacks callbacks{};
  gateway->context_ = mg_start(&callbacks, gateway.get(), civet_options);
  if (gateway->context_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", gateway->options_.listen));
  }
  mg_set_request_handler(gateway->context_, "/", &Gateway::Dispatch, gateway.get());
  mg_server_port ports[4];
  const int count = mg_get_server_ports(gateway->context_, 4, ports);
  if (count < 1) return absl::InternalError("the HTTP server reports no port");
  gateway->port_ = ports[0].port;
  return gateway;
}

void Gateway::Stop() {
  if (context_ == nullptr) return;
  stopping_ = true;  // streams end at their next heartbeat or event
  mg_server_port ports[4];
  const int count = mg_get_server_ports(context_, 4, ports);
  std::vector<int> listening;
  listening.reserve(count > 0 ? static_cast<size_t>(count) : 0);
  for (int i = 0; i < count; ++i) listening.push_back(ports[i].port);
  metrics::StopHttpServer(listening,
                          [this] { mg_stop(context_); });  // waits for requests in flight
  context_ = nullptr;
  if (exposer_ != nullptr) {
    metrics::StopHttpServer(exposer_->GetListeningPorts(), [this] { exposer_.reset(); });
  }
}

int Gateway::Dispatch(mg_connection* conn, void* self) {
  return static_cast<Gateway*>(self)->Serve(conn);
}

std::shared_ptr<grpc::Channel> Gateway::ChannelOf(const std::string& upstream) {
  auto it = channels_.find(upstream);
  if (it == channels_.end()) return nullptr;
  return it->second[next_channel_.fetch_add(1, std::memory_order_relaxed) % it->second.size()];
}

void Gateway::Respond(Exchange& exchange, int status, const std::string& content_type,
                      const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
  exchange.status = status;
  exchange.headers_sent = true;
  // The status line, the headers and the body in one write: a write each (as civetweb's
  // mg_response_header_* make) is a packet each on a TCP_NODELAY connection.
  const mg_request_info* info = mg_get_request_info(exchange.conn);
  const char* connection = mg_get_header(exchange.conn, "Connection");
  const bool close = (connection != nullptr &&
                      absl::AsciiStrToLower(connection).find("close") != std::string::npos) ||
                     (info->http_version != nullptr && std::string(info->http_version) == "1.0");
  std::string response = absl::StrCat(
      "HTTP/1.1 ", status, " ", mg_get_response_code_text(exchange.conn, status),
      "\r\nContent-Length: ", body.size(), "\r\nConnection: ", close ? "close" : "keep-alive",
      "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n");
  if (!content_type.empty()) absl::StrAppend(&response, "Content-Type: ", content_type, "\r\n");
  if (!exchange.origin.empty()) {
    absl::StrAppend(&response, "Access-Control-Allow-Origin: ", exchange.origin,
                    "\r\nVary: Origin\r\n");
  }
  for (const auto& [name, value] : headers) absl::StrAppend(&response, name, ": ", value, "\r\n");
  absl::StrAppend(&response, "\r\n");
  if (exchange.method != "HEAD") absl::StrAppend(&response, body);
  mg_write(exchange.conn, response.data(), response.size());
}

void Gateway::RespondStatus(Exchange& exchange, int grpc_code, const std::string& message,
                            const std::string& details) {
  Respond(exchange, HttpStatusOf(grpc_code), "application/json; charset=utf-8",
          StatusJson(grpc_code, message, details));
}

std::unique_ptr<grpc::ClientContext> Gateway::UpstreamContext(const Exchange& exchange,
                                                              bool deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!exchange.authorization.empty())
    context->AddMetadata("authorization", exchange.authorization);
  // The services record the client in their audit (R-37); the gateway says whom it serves.
  context->AddMetadata("x-forwarded-for", exchange.peer);
  if (deadline) context->set_deadline(absl::ToChronoTime(absl::Now() + options_.upstream_timeout));
  return context;
}

int Gateway::Serve(mg_connection* conn) {
  const absl::Time started = absl::Now();
  const mg_request_info* info = mg_get_request_info(conn);
  Exchange exchange;
  exchange.conn = conn;
  exchange.method = info->request_method ? info->request_method : "";
  exchange.path =
      info->local_uri_raw ? info->local_uri_raw : (info->local_uri ? info->local_uri : "/");
  exchange.query = info->query_string ? info->query_string : "";
  exchange.peer = info->remote_addr;
  if (const char* authorization = mg_get_header(conn, "Authorization"))
    exchange.authorization = authorization;
  if (const char* origin = mg_get_header(conn, "Origin")) {
    if (std::find(options_.cors_origins.begin(), options_.cors_origins.end(), origin) !=
        options_.cors_origins.end()) {
      exchange.origin = origin;
    }
  }

  auto finish = [&]() {
    const std::string code = absl::StrCat(exchange.status);
    requests_->Add({{"route", exchange.label}, {"code", code}}).Increment();
    durations_
        ->Add({{"route", exchange.label}},
              prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25, 0.5, 1, 2.5, 10})
        .Observe(absl::ToDoubleSeconds(absl::Now() - started));
    return exchange.status == 0 ? 500 : exchange.status;
  };

  if (exchange.method == "OPTIONS" &&
      mg_get_header(conn, "Access-Control-Request-Method") != nullptr) {
    exchange.label = "preflight";
    if (exchange.origin.empty()) {
      Respond(exchange, 403, "application/json; charset=utf-8",
              StatusJson(7, "this origin is not allowed to call the gateway (--cors_origins)"));
    } else {
      Respond(exchange, 204, "", "",
              {{"Access-Control-Allow-Methods", "GET, POST, PATCH, PUT, DELETE"},
               {"Access-Control-Allow-Headers", "authorization, content-type, last-event-id"},
               {"Access-Control-Max-Age", "600"}});
    }
    return finish();
  }
  if (exchange.path == "/healthz") {
    exchange.label = "healthz";
    Respond(exchange, stopping_ ? 503 : 200, "application/json; charset=utf-8",
            stopping_ ? R"({"status":"STOPPING"})" : R"({"status":"SERVING"})");
    return finish();
  }
  if (!absl::StartsWith(exchange.path, "/v1/")) {
    exchange.label = "static";
    if (!ServeStatic(exchange, exchange.path)) {
      RespondStatus(exchange, 5, absl::StrCat("no such page: ", exchange.path.substr(0, 200)));
    }
    return finish();
  }

  std::vector<std::string> allowed;
  auto match =
      routes_.Find(exchange.method == "HEAD" ? "GET" : exchange.method, exchange.path, &allowed);
  if (!match) {
    if (!allowed.empty()) {
      exchange.label = "method_not_allowed";
      Respond(exchange, 405, "application/json; charset=utf-8",
              StatusJson(12, absl::StrCat(exchange.method, " is not allowed here; use ",
                                          absl::StrJoin(allowed, ", "))),
              {{"Allow", absl::StrJoin(allowed, ", ")}});
    } else {
      RespondStatus(
          exchange, 5,
          absl::StrCat("no method answers ", exchange.method, " ", exchange.path.substr(0, 200)));
    }
    return finish();
  }
  exchange.label = match->route->label;
  absl::string_view token = exchange.authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ")) {
    RespondStatus(exchange, 16, "authorization: send \"Authorization: Bearer <token>\"");
    return finish();
  }
  if (auto caller = verifier_.Verify(token); !caller.ok()) {
    RespondStatus(exchange, 16, std::string(caller.status().message()));
    return finish();
  }
  if (match->route->client_streaming()) {
    ServeImport(exchange, *match);
    return finish();
  }

  // The body, bounded before it is held.
  auto too_long = [&](size_t limit, absl::string_view what) {
    Respond(exchange, 413, "application/json; charset=utf-8",
            StatusJson(3, absl::StrCat(what, " is longer than ", limit, " bytes")));
  };
  if (info->content_length > static_cast<long long>(options_.max_body_bytes)) {
    too_long(options_.max_body_bytes, "the body");
    return finish();
  }
  std::string body;
  char buffer[16384];
  for (int n; (n = mg_read(conn, buffer, sizeof buffer)) > 0;) {
    body.append(buffer, static_cast<size_t>(n));
    if (body.size() > options_.max_body_bytes) {
      too_long(options_.max_body_bytes, "the body");
      return finish();
    }
  }
  auto request = BuildRequest(*match, exchange.query, body);
  if (!request.ok()) {
    RespondStatus(exchange, 3, std::string(request.status().message()));
    return finish();
  }
  if (match->route->server_streaming()) {
    ServeServerStream(exchange, *match->route, **request);
  } else {
    ServeUnary(exchange, *match->route, **request);
  }
  return finish();
}

namespace {

constexpr char kCsvType[] = "text/csv";
constexpr char kXlsxType[] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
// An export follows a list's pages up to this many rows (a county's at-risk list or ledger is a
// few thousand); more is refused, naming the filter to narrow.
constexpr int kMaxExportRows = 100000;

}  // namespace

grpc::Status Gateway::CallUpstream(const Exchange& exchange, const Route& route,
                                   const google::protobuf::Message& request,
                                   google::protobuf::Message* response) {
  auto context = UpstreamContext(exchange, true);
  grpc::ByteBuffer sent = ToBuffer(request), received;
  // gRPC's callback API: measured ahead of a blocking call here (every civetweb thread polling
  // for its own answer contends for the pollers).
  grpc::GenericStub stub(ChannelOf(route.upstream));
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(context.get(), route.grpc_method, grpc::StubOptions(), &sent, &received,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return status;
  if (!FromBuffer(received, response)) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat(route.upstream, " answered bytes that are not a ",
                                     route.method->output_type()->name()));
  }
  return grpc::Status::OK;
}

void Gateway::ServeExport(Exchange& exchange, const Route& route,
                          google::protobuf::Message& request, bool workbook) {
  const google::protobuf::Descriptor* type = route.method->output_type();
  const google::protobuf::FieldDescriptor* list = cli::ListField(*type);
  const google::protobuf::FieldDescriptor* next = type->FindFieldByName("next_page_token");
  const google::protobuf::Descriptor* in = request.GetDescriptor();
  const google::protobuf::FieldDescriptor* token = in->FindFieldByName("page_token");
  const google::protobuf::FieldDescriptor* size = in->FindFieldByName("page_size");
  if (list == nullptr) {
    Respond(exchange, 406, "application/json; charset=utf-8",
            StatusJson(3, absl::StrCat("Accept: ", workbook ? kXlsxType : kCsvType,
                                       " exports lists; ", route.method->full_name(),
                                       " answers one ", type->name(), " (ask for JSON)")));
    return;
  }
  // A paged list is followed page by page; a list without pages (a rate report) is one call.
  const bool paged = next != nullptr && token != nullptr;
  const google::protobuf::Reflection& ask = *request.GetReflection();
  if (paged && size != nullptr && ask.GetInt32(request, size) == 0)
    ask.SetInt32(&request, size, 1000);
  auto all = NewMessage(type);
  for (;;) {
    auto page = NewMessage(type);
    const grpc::Status status = CallUpstream(exchange, route, request, page.get());
    if (!status.ok()) {
      RespondStatus(exchange, status.error_code(), status.error_message(), status.error_details());
      return;
    }
    const google::protobuf::Reflection& got = *page->GetReflection();
    if (all->GetReflection()->FieldSize(*all, list) + got.FieldSize(*page, list) > kMaxExportRows) {
      Respond(exchange, 413, "application/json; charset=utf-8",
              StatusJson(8, absl::StrCat("an export holds at most ", kMaxExportRows,
                                         " rows; narrow the list (its filter or parent)")));
      return;
    }
    const std::string after = paged ? got.GetString(*page, next) : "";
    if (paged) page->GetReflection()->ClearField(page.get(), next);
    all->MergeFrom(*page);
    if (after.empty()) break;
    ask.SetString(&request, token, after);
  }
  const cli::Grid grid = cli::GridOf(*all);
  const std::string file = grid.name.empty() ? "export" : grid.name;
  if (!workbook) {
    Respond(exchange, 200, "text/csv; charset=utf-8", cli::CsvOf(grid),
            {{"Content-Disposition", absl::StrCat("attachment; filename=\"", file, ".csv\"")}});
    return;
  }
  // libxlsxwriter writes files: one of its own under the temporary directory, read and removed.
  char path[] = "/tmp/peixun-export-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) {
    RespondStatus(exchange, 13, "the gateway cannot make a temporary file for the workbook");
    return;
  }
  close(fd);
  // On a thread of its own: libxlsxwriter's ZIP writer keeps large buffers on the stack, more
  // than a civetweb worker's stack holds.
  absl::Status written;
  std::thread writer([&] { written = cli::WriteXlsx(grid, path); });
  writer.join();
  std::ifstream bytes(path, std::ios::binary);
  std::string body((std::istreambuf_iterator<char>(bytes)), std::istreambuf_iterator<char>());
  std::remove(path);
  if (!written.ok() || body.empty()) {
    RespondStatus(exchange, 13, absl::StrCat("the workbook was not written: ", written.message()));
    return;
  }
  Respond(exchange, 200, kXlsxType, body,
          {{"Content-Disposition", absl::StrCat("attachment; filename=\"", file, ".xlsx\"")}});
}

void Gateway::ServeUnary(Exchange& exchange, const Route& route,
                         google::protobuf::Message& request) {
  // Lists export as spreadsheets when asked for one (R-14's at-risk list, the ledger, rates).
  if (const char* accept = mg_get_header(exchange.conn, "Accept");
      accept != nullptr && exchange.method == "GET") {
    const std::string wanted = absl::AsciiStrToLower(accept);
    if (wanted.find(kXlsxType) != std::string::npos || wanted.find(kCsvType) != std::string::npos) {
      ServeExport(exchange, route, request, wanted.find(kXlsxType) != std::string::npos);
      return;
    }
  }
  auto response = NewMessage(route.method->output_type());
  const grpc::Status status = CallUpstream(exchange, route, request, response.get());
  if (!status.ok()) {
    RespondStatus(exchange, status.error_code(), status.error_message(), status.error_details());
    return;
  }
  Respond(exchange, 200, "application/json; charset=utf-8", ToJson(*response));
}

void Gateway::ServeServerStream(Exchange& exchange, const Route& route,
                                google::protobuf::Message& request) {
  // Last-Event-ID resumes after that event (the feed's sequence numbers are the SSE ids).
  const auto* after = request.GetDescriptor()->FindFieldByName("after_sequence");
  if (const char* last = mg_get_header(exchange.conn, "Last-Event-ID");
      last != nullptr && after != nullptr) {
    int64_t sequence = 0;
    if (!absl::SimpleAtoi(last, &sequence) || sequence < 0) {
      RespondStatus(exchange, 3, "Last-Event-ID: not an event sequence number");
      return;
    }
    request.GetReflection()->SetInt64(&request, after, sequence);
  }
  streams_->Increment();
  auto context = UpstreamContext(exchange, false);
  grpc::CompletionQueue cq;
  grpc::GenericStub stub(ChannelOf(route.upstream));
  auto call = stub.PrepareCall(context.get(), route.grpc_method, &cq);
  int start_tag = 1, write_tag = 2, done_tag = 3, read_tag = 4, finish_tag = 5;
  call->StartCall(&start_tag);
  bool ok = Await(cq, &start_tag);
  if (ok) {
    call->Write(ToBuffer(request), &write_tag);
    ok = Await(cq, &write_tag);
  }
  if (ok) {
    call->WritesDone(&done_tag);
    ok = Await(cq, &done_tag);
  }
  grpc::ByteBuffer message;
  bool client_gone = false;
  const auto* sequence_field = route.method->output_type()->FindFieldByName("sequence");
  auto send = [&](const std::string& text) {
    if (!exchange.headers_sent) {
      exchange.status = 200;
      exchange.headers_sent = true;
      mg_response_header_start(exchange.conn, 200);
      mg_response_header_add(exchange.conn, "Content-Type", "text/event-stream; charset=utf-8", -1);
      mg_response_header_add(exchange.conn, "Cache-Control", "no-store", -1);
      mg_response_header_add(exchange.conn, "Transfer-Encoding", "chunked", -1);
      if (!exchange.origin.empty()) {
        mg_response_header_add(exchange.conn, "Access-Control-Allow-Origin",
                               exchange.origin.c_str(), -1);
        mg_response_header_add(exchange.conn, "Vary", "Origin", -1);
      }
      mg_response_header_send(exchange.conn);
    }
    if (mg_send_chunk(exchange.conn, text.data(), static_cast<unsigned int>(text.size())) <= 0)
      client_gone = true;
  };
  // The first answer (or the upstream's refusal) decides the status line: a refused stream is
  // an ordinary JSON error, never an empty 200.
  while (ok && !client_gone) {
    call->Read(&message, &read_tag);
    bool read_ok = false;
    for (;;) {
      void* got = nullptr;
      const auto next =
          cq.AsyncNext(&got, &read_ok, absl::ToChronoTime(absl::Now() + options_.stream_heartbeat));
      if (next == grpc::CompletionQueue::GOT_EVENT && got == &read_tag) break;
      if (next == grpc::CompletionQueue::SHUTDOWN) {
        read_ok = false;
        break;
      }
      if (next == grpc::CompletionQueue::TIMEOUT) {
        send(": heartbeat\n\n");  // keeps proxies from closing an idle stream; finds a client gone
        if (client_gone || stopping_) context->TryCancel();
      }
    }
    if (!read_ok) break;
    auto event = NewMessage(route.method->output_type());
    if (!FromBuffer(message, event.get())) break;
    std::string text;
    if (sequence_field != nullptr) {
      absl::StrAppend(&text, "id: ", event->GetReflection()->GetInt64(*event, sequence_field),
                      "\n");
    }
    absl::StrAppend(&text, "data: ", ToJson(*event), "\n\n");
    send(text);
    if (stopping_) context->TryCancel();
  }
  if (client_gone) context->TryCancel();
  grpc::Status status;
  call->Finish(&status, &finish_tag);
  Await(cq, &finish_tag);
  ShutDownAndDrain(cq);
  streams_->Decrement();
  if (!exchange.headers_sent) {
    RespondStatus(exchange, status.error_code(), status.error_message(), status.error_details());
    return;
  }
  if (!client_gone) {
    // The stream's end, as an event of its own, then the end of the chunked body.
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      send(absl::StrCat(
          "event: error\ndata: ", StatusJson(status.error_code(), status.error_message()), "\n\n"));
    }
    mg_send_chunk(exchange.conn, "", 0);
  }
}

void Gateway::ServeImport(Exchange& exchange, const RouteTable::Match& match) {
  // NDJSON in: one request message per line. NDJSON out: one result per row in row order, then
  // a last line {"status": …} that says how the call ended, so that a client can tell a
  // complete answer from a cut one. Results are held until the upload has been read (at most
  // max_import_rows), so that clients that send the whole body before reading, as browsers
  // do, never stall the upload.
  const Route& route = *match.route;
  if (!exchange.query.empty()) {
    RespondStatus(exchange, 3,
                  "an import takes no query parameters; send rows as NDJSON lines in the body");
    return;
  }
  if (mg_get_request_info(exchange.conn)->content_length >
      static_cast<long long>(options_.max_import_bytes)) {
    Respond(exchange, 413, "application/json; charset=utf-8",
            StatusJson(3, absl::StrCat("the upload is longer than ", options_.max_import_bytes,
                                       " bytes")));
    return;
  }
  streams_->Increment();
  auto context = UpstreamContext(exchange, false);
  grpc::CompletionQueue cq;
  grpc::GenericStub stub(ChannelOf(route.upstream));
  auto call = stub.PrepareCall(context.get(), route.grpc_method, &cq);
  int start_tag = 1, write_tag = 2, done_tag = 3, read_tag = 4, finish_tag = 5;
  std::vector<std::string> results;
  grpc::ByteBuffer received;
  bool reading = false, upstream_open = true;
  auto on_read = [&](bool ok) {
    reading = false;
    if (!ok) {
      upstream_open = false;
      return;
    }
    auto result = NewMessage(route.method->output_type());
    if (FromBuffer(received, result.get())) results.push_back(ToJson(*result));
    call->Read(&received, &read_tag);
    reading = true;
  };
  // Waits for `tag`, answering reads meanwhile; false when the call has failed.
  auto wait_for = [&](void* tag) {
    for (;;) {
      void* got = nullptr;
      bool ok = false;
      if (!cq.Next(&got, &ok)) return false;
      if (got == &read_tag) {
        on_read(ok);
        if (tag == &read_tag) return ok;
        continue;
      }
      if (got == tag) return ok;
    }
  };
  call->StartCall(&start_tag);
  bool ok = wait_for(&start_tag);
  if (ok) {
    call->Read(&received, &read_tag);
    reading = true;
  }
  std::string refused;  // why the upload stopped before its end
  size_t total = 0, line_number = 0;
  std::string pending;
  char buffer[16384];
  auto send_line = [&](absl::string_view line) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) return true;
    if (static_cast<int>(line_number) > options_.max_import_rows) {
      refused = absl::StrCat("line ", line_number, ": an upload holds at most ",
                             options_.max_import_rows, " rows; send the rest in another upload");
      return false;
    }
    auto message = NewMessage(route.method->input_type());
    google::protobuf::util::JsonParseOptions parse;
    auto parsed =
        google::protobuf::util::JsonStringToMessage(std::string(line), message.get(), parse);
    if (!parsed.ok()) {
      refused = absl::StrCat("line ", line_number, " is not valid JSON for ",
                             message->GetDescriptor()->name(), ": ", std::string(parsed.message()),
                             "; it and the lines after it were not sent");
      return false;
    }
    call->Write(ToBuffer(*message), &write_tag);
    return wait_for(&write_tag);
  };
  bool more = ok;
  for (int n; more && (n = mg_read(exchange.conn, buffer, sizeof buffer)) > 0;) {
    total += static_cast<size_t>(n);
    if (total > options_.max_import_bytes) {
      refused = absl::StrCat("the upload is longer than ", options_.max_import_bytes,
                             " bytes; the rest was not sent");
      break;
    }
    pending.append(buffer, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t end; more && (end = pending.find('\n', start)) != std::string::npos;
         start = end + 1) {
      more = send_line(absl::string_view(pending).substr(start, end - start)) && upstream_open;
    }
    pending.erase(0, start);
    if (pending.size() > options_.max_body_bytes) {
      refused = absl::StrCat("line ", line_number + 1, " is longer than ", options_.max_body_bytes,
                             " bytes");
      more = false;
    }
  }
  if (more && refused.empty() && !pending.empty()) send_line(pending);
  // Rows sent before a refused line have been answered (each row stands alone); their results
  // are part of the answer.
  if (upstream_open) {
    call->WritesDone(&done_tag);
    wait_for(&done_tag);
  }
  while (reading) wait_for(&read_tag);
  grpc::Status status;
  call->Finish(&status, &finish_tag);
  wait_for(&finish_tag);
  ShutDownAndDrain(cq);
  streams_->Decrement();
  if (results.empty() && !status.ok() && refused.empty()) {
    RespondStatus(exchange, status.error_code(), status.error_message(), status.error_details());
    return;
  }
  std::string body;
  for (const auto& line : results) absl::StrAppend(&body, line, "\n");
  const int code = refused.empty() ? status.error_code() : 3;
  const std::string message = refused.empty() ? status.error_message() : refused;
  absl::StrAppend(&body, "{\"status\":", StatusJson(code, message), "}\n");
  // The HTTP status is the call's; the lines say which rows were answered and how.
  Respond(exchange, HttpStatusOf(code), "application/x-ndjson", body);
}

bool Gateway::ServeStatic(Exchange& exchange, const std::string& path) {
  if (exchange.method != "GET" && exchange.method != "HEAD") return false;
  if (path == "/openapi.json")
    return !options_.openapi_file.empty() && ServeFile(exchange, options_.openapi_file);
  if (path == "/docs" || path == "/portal" || path == "/") {
    // "/docs" → "/docs/", so that the page's relative links resolve.
    Respond(exchange, 302, "", "", {{"Location", path == "/" ? "/portal/" : path + "/"}});
    return true;
  }
  std::string relative = path.substr(1);
  // Plain names under the directories only: no parent steps, no hidden files.
  for (absl::string_view part : absl::StrSplit(relative, '/')) {
    if (absl::StartsWith(part, ".")) return false;
  }
  if (relative.find('\\') != std::string::npos || relative.find('\0') != std::string::npos)
    return false;
  if (relative.empty() || relative.back() == '/') relative += "index.html";
  if (!options_.static_dir.empty() &&
      ServeFile(exchange, absl::StrCat(options_.static_dir, "/", relative)))
    return true;
  absl::string_view asset = relative;
  return !options_.swagger_ui_dir.empty() && absl::ConsumePrefix(&asset, "docs/") &&
         ServeFile(exchange, absl::StrCat(options_.swagger_ui_dir, "/", asset));
}

bool Gateway::ServeFile(Exchange& exchange, const std::string& file) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) return false;
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::stringstream content;
  content << in.rdbuf();
  Respond(exchange, 200, ContentTypeOf(file), content.str(),
          {{"X-Frame-Options", "DENY"}, {"Referrer-Policy", "no-referrer"}});
  return true;
}

}  // namespace peixun::gateway
