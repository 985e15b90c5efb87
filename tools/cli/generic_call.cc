#include "tools/cli/generic_call.h"

#include <future>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace peixun::cli {
namespace {

google::protobuf::DynamicMessageFactory& Factory() {
  static auto* factory = new google::protobuf::DynamicMessageFactory();
  return *factory;
}

}  // namespace

absl::StatusOr<PreparedCall> PrepareCall(const std::string& full_method, const std::string& json) {
  std::vector<std::string> parts = absl::StrSplit(full_method, '/', absl::SkipEmpty());
  if (parts.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("method '", full_method, "' is not /Service/Method"));
  }
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(parts[0]);
  if (service == nullptr)
    return absl::InvalidArgumentError(absl::StrCat("unknown service ", parts[0]));
  const auto* method = service->FindMethodByName(parts[1]);
  if (method == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown method ", parts[1], " of ", parts[0]));
  }
  if (method->client_streaming() || method->server_streaming()) {
    return absl::UnimplementedError(
        absl::StrCat(parts[1], " streams; only unary methods are callable"));
  }
  std::unique_ptr<google::protobuf::Message> request(
      Factory().GetPrototype(method->input_type())->New());
  auto parsed =
      google::protobuf::util::JsonStringToMessage(json.empty() ? "{}" : json, request.get());
  if (!parsed.ok())
    return absl::InvalidArgumentError(absl::StrCat("request JSON: ", parsed.ToString()));
  PreparedCall call;
  call.full_method = absl::StrCat("/", parts[0], "/", parts[1]);
  call.request_bytes = request->SerializeAsString();
  call.response_type = method->output_type();
  return call;
}

grpc::Status UnaryCall(grpc::GenericStub& stub, const PreparedCall& call, const std::string& token,
                       std::chrono::system_clock::time_point deadline,
                       std::string* response_bytes) {
  grpc::ClientContext context;
  context.set_deadline(deadline);
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  grpc::Slice slice(call.request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, call.full_method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  response_bytes->clear();
  for (const auto& s : slices)
    response_bytes->append(reinterpret_cast<const char*>(s.begin()), s.size());
  return status;
}

std::unique_ptr<google::protobuf::Message> ResponseMessage(const PreparedCall& call,
                                                           const std::string& response_bytes) {
  std::unique_ptr<google::protobuf::Message> response(
      Factory().GetPrototype(call.response_type)->New());
  response->ParseFromString(response_bytes);
  return response;
}

std::string ResponseJson(const PreparedCall& call, const std::string& response_bytes) {
  return MessageJson(*ResponseMessage(call, response_bytes));
}

std::string MessageJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace peixun::cli
