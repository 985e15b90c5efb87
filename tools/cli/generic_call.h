// Calls any unary method of the compiled-in contracts with JSON, through gRPC's GenericStub:
// shared by peixunctl and loadgen.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/generic/generic_stub.h"

namespace peixun::cli {

// A method resolved from "/pkg.Service/Method" with a request already encoded.
struct PreparedCall {
  std::string full_method;
  std::string request_bytes;
  const google::protobuf::Descriptor* response_type = nullptr;
};

// Encodes `json` as the request of `full_method`; INVALID_ARGUMENT for unknown methods, streaming
// methods, or JSON that does not fit the request type.
absl::StatusOr<PreparedCall> PrepareCall(const std::string& full_method, const std::string& json);

// Sends one call and waits; `response_bytes` gets the encoded response.
grpc::Status UnaryCall(grpc::GenericStub& stub, const PreparedCall& call, const std::string& token,
                       std::chrono::system_clock::time_point deadline, std::string* response_bytes);

// Decodes a response as JSON (proto field names, indented).
std::string ResponseJson(const PreparedCall& call, const std::string& response_bytes);

// Decodes a response as a message of the method's output type.
std::unique_ptr<google::protobuf::Message> ResponseMessage(const PreparedCall& call,
                                                           const std::string& response_bytes);

// A message as JSON (proto field names, indented).
std::string MessageJson(const google::protobuf::Message& message);

}  // namespace peixun::cli
