// The gateway's routes, built at start from the google.api.http annotations of the contracts
// in the descriptor pool (no hand-written table), and the mapping of an HTTP request onto the
// method's request message (path variables, query parameters, body) and of answers and
// errors back onto JSON, by protobuf's own JSON mapping (proto3 JSON: lowerCamelCase names,
// enums as names, 64-bit integers as strings).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "services/gateway/path_template.h"

namespace peixun::gateway {

struct Route {
  std::string http_method;  // GET, POST, PATCH, PUT, DELETE
  PathTemplate path;
  std::string body;  // "" (none), "*" (the whole request), or a top-level field
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string grpc_method;  // "/peixun.catalog.v1.CatalogService/GetProject"
  std::string upstream;     // the owning service: "catalog", "enrollment", …
  std::string label;        // "GET /v1/{name=years/*/projects/*}": the metrics label
  bool server_streaming() const { return method->server_streaming(); }
  bool client_streaming() const { return method->client_streaming(); }
};

class RouteTable {
 public:
  // Every binding (and additional binding) of every method of `services`. A template that
  // cannot be parsed, a variable or body naming no string field, or two routes that would
  // match the same requests are errors.
  static absl::StatusOr<RouteTable> Build(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> bindings;
  };
  // The route of `http_method` and `path`, the one with most literal segments when several
  // match. With none, `allowed` (when given) lists the methods the path has routes for, so
  // that the caller can tell 404 from 405.
  std::optional<Match> Find(absl::string_view http_method, absl::string_view path,
                            std::vector<std::string>* allowed = nullptr) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// The four services' contracts, linked into this binary: what the gateway routes.
std::vector<const google::protobuf::ServiceDescriptor*> PeixunServices();

// The owning service of a contract's service: "catalog" for "peixun.catalog.v1.CatalogService".
std::string UpstreamOf(const google::protobuf::ServiceDescriptor& service);

// The request message of `match`: the body's JSON (into the whole request or its body field),
// then the query parameters (fields not bound by path or body, by proto or JSON name, dotted
// for nested fields, repeated by repeating the parameter), then the path variables. An error
// is INVALID_ARGUMENT naming the field, the parameter or the JSON at fault.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BuildRequest(
    const RouteTable::Match& match, absl::string_view query, absl::string_view body);

// A message as proto3 JSON.
std::string ToJson(const google::protobuf::Message& message);

// The standard mapping of a gRPC status code onto an HTTP status (google.rpc.Code).
int HttpStatusOf(int grpc_code);

// The error body: a google.rpc.Status as JSON, with the details of `details_bin` (the
// grpc-status-details-bin trailer) when it carries any that can be shown.
std::string StatusJson(int grpc_code, absl::string_view message,
                       absl::string_view details_bin = "");

// "%E4%BD%A0+x" → "你 x" for query strings (form encoding: '+' is a space); false on a bad escape.
bool DecodeQueryComponent(absl::string_view in, std::string* out);

}  // namespace peixun::gateway
