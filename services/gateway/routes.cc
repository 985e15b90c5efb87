#include "services/gateway/routes.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "peixun/evaluation/v1/evaluation.pb.h"
#include "peixun/funding/v1/funding.pb.h"
#include "services/gateway/json_printer.h"

namespace peixun::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The fields along a dotted path, each matched by its proto or its JSON name; every field
// but the last is a singular message.
absl::StatusOr<std::vector<const FieldDescriptor*>> ResolvePath(const Descriptor& root,
                                                                absl::string_view path) {
  std::vector<const FieldDescriptor*> fields;
  const Descriptor* descriptor = &root;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (descriptor == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", path, "\": ", fields.back()->name(), " has no fields"));
    }
    const FieldDescriptor* field = descriptor->FindFieldByName(std::string(part));
    if (field == nullptr) {
      for (int i = 0; i < descriptor->field_count() && field == nullptr; ++i) {
        if (descriptor->field(i)->json_name() == part) field = descriptor->field(i);
      }
    }
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", path, "\": ", descriptor->name(), " has no field ", part));
    }
    if (!fields.empty() && fields.back()->is_repeated()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", path, "\": ", fields.back()->name(), " is repeated"));
    }
    fields.push_back(field);
    descriptor =
        field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ? field->message_type() : nullptr;
  }
  return fields;
}

// The message holding the last field of `fields`, created along the way.
Message* Holder(Message* root, const std::vector<const FieldDescriptor*>& fields) {
  Message* message = root;
  for (size_t i = 0; i + 1 < fields.size(); ++i)
    message = message->GetReflection()->MutableMessage(message, fields[i]);
  return message;
}

std::string DottedName(const std::vector<const FieldDescriptor*>& fields) {
  std::string name;
  for (const auto* field : fields) absl::StrAppend(&name, name.empty() ? "" : ".", field->name());
  return name;
}

bool IsUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t extra = c < 0x80           ? 0
                         : (c >> 5) == 0x6  ? 1
                         : (c >> 4) == 0xE  ? 2
                         : (c >> 3) == 0x1E ? 3
                                            : 4;
    if (extra == 4 || text.size() - i <= extra) return false;
    uint32_t code = extra == 0 ? c : c & (0x3Fu >> extra);
    for (size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

bool IsJsonMessage(const Descriptor& descriptor) {
  return descriptor.file()->package() ==
         "google.protobuf";  // Timestamp, Duration, FieldMask, wrappers
}

// Sets (or, when repeated, adds) the field at `fields` from a query parameter's text.
absl::Status SetFromText(Message* root, const std::vector<const FieldDescriptor*>& fields,
                         const std::string& param, const std::string& text) {
  const FieldDescriptor* field = fields.back();
  Message* message = Holder(root, fields);
  const Reflection* reflection = message->GetReflection();
  const bool repeated = field->is_repeated();
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("query parameter ", param, ": ", why));
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value = text;
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        if (!absl::WebSafeBase64Unescape(text, &value) && !absl::Base64Unescape(text, &value)) {
          return bad("is not base64");
        }
      } else if (!IsUtf8(text)) {
        return bad("is not UTF-8");
      }
      repeated ? reflection->AddString(message, field, value)
               : reflection->SetString(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t value;
      if (!absl::SimpleAtoi(text, &value))
        return bad(absl::StrCat("\"", text, "\" is not a 32-bit integer"));
      repeated ? reflection->AddInt32(message, field, value)
               : reflection->SetInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value;
      if (!absl::SimpleAtoi(text, &value))
        return bad(absl::StrCat("\"", text, "\" is not a 64-bit integer"));
      repeated ? reflection->AddInt64(message, field, value)
               : reflection->SetInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t value;
      if (!absl::SimpleAtoi(text, &value))
        return bad(absl::StrCat("\"", text, "\" is not an unsigned integer"));
      repeated ? reflection->AddUInt32(message, field, value)
               : reflection->SetUInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value;
      if (!absl::SimpleAtoi(text, &value))
        return bad(absl::StrCat("\"", text, "\" is not an unsigned integer"));
      repeated ? reflection->AddUInt64(message, field, value)
               : reflection->SetUInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double value;
      if (!absl::SimpleAtod(text, &value))
        return bad(absl::StrCat("\"", text, "\" is not a number"));
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        repeated ? reflection->AddFloat(message, field, static_cast<float>(value))
                 : reflection->SetFloat(message, field, static_cast<float>(value));
      } else {
        repeated ? reflection->AddDouble(message, field, value)
                 : reflection->SetDouble(message, field, value);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool value;
      if (text == "true" || text == "1") {
        value = true;
      } else if (text == "false" || text == "0") {
        value = false;
      } else {
        return bad(absl::StrCat("\"", text, "\" is not true or false"));
      }
      repeated ? reflection->AddBool(message, field, value)
               : reflection->SetBool(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value = field->enum_type()->FindValueByName(text);
      if (value == nullptr) {
        return bad(absl::StrCat("\"", text, "\" is not a value of ", field->enum_type()->name()));
      }
      repeated ? reflection->AddEnum(message, field, value)
               : reflection->SetEnum(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (repeated || !IsJsonMessage(*field->message_type())) {
        return bad("is a message; send it in the body of a method that takes one");
      }
      // Timestamps, durations and field masks in their JSON text: "2026-12-01T00:00:00Z".
      google::protobuf::util::JsonParseOptions options;
      std::string quoted = absl::StrCat("\"", absl::CEscape(text), "\"");
      auto status = google::protobuf::util::JsonStringToMessage(
          quoted, reflection->MutableMessage(message, field), options);
      if (!status.ok())
        return bad(absl::StrCat("\"", text, "\" is not a ", field->message_type()->name()));
      return absl::OkStatus();
    }
  }
  return bad("has a type the gateway cannot set");
}

}  // namespace

std::vector<const google::protobuf::ServiceDescriptor*> PeixunServices() {
  // Through a message of each file, so that the linker keeps the generated descriptors.
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const google::protobuf::FileDescriptor* file :
       {catalog::v1::Project::descriptor()->file(), enrollment::v1::Teacher::descriptor()->file(),
        evaluation::v1::Round::descriptor()->file(), funding::v1::Decision::descriptor()->file()}) {
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

std::string UpstreamOf(const google::protobuf::ServiceDescriptor& service) {
  std::vector<absl::string_view> parts = absl::StrSplit(service.full_name(), '.');
  return parts.size() >= 2 ? std::string(parts[1]) : std::string(service.full_name());
}

absl::StatusOr<RouteTable> RouteTable::Build(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  RouteTable table;
  std::set<std::pair<std::string, std::string>> shapes;
  for (const auto* service : services) {
    for (int m = 0; m < service->method_count(); ++m) {
      const auto* method = service->method(m);
      if (!method->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& top = method->options().GetExtension(google::api::http);
      std::vector<const google::api::HttpRule*> rules{&top};
      for (const auto& extra : top.additional_bindings()) rules.push_back(&extra);
      for (const google::api::HttpRule* rule : rules) {
        Route route;
        std::string text;
        if (!MethodAndPath(*rule, &route.http_method, &text)) {
          return absl::InvalidArgumentError(
              absl::StrCat(method->full_name(), ": google.api.http names no path"));
        }
        auto where = [&](absl::string_view why) {
          return absl::InvalidArgumentError(
              absl::StrCat(method->full_name(), " (", text, "): ", why));
        };
        auto path = PathTemplate::Parse(text);
        if (!path.ok()) return where(path.status().message());
        route.path = *std::move(path);
        for (const auto& variable : route.path.variables()) {
          auto fields = ResolvePath(*method->input_type(), variable.field_path);
          if (!fields.ok()) return where(fields.status().message());
          if (fields->back()->cpp_type() != FieldDescriptor::CPPTYPE_STRING ||
              fields->back()->is_repeated()) {
            return where(absl::StrCat(variable.field_path, " is not a singular string field"));
          }
        }
        route.body = rule->body();
        if (!route.body.empty() && route.body != "*") {
          const auto* field = method->input_type()->FindFieldByName(route.body);
          if (field == nullptr || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
              field->is_repeated()) {
            return where(
                absl::StrCat("body \"", route.body, "\" is not a message field of the request"));
          }
        }
        route.method = method;
        route.grpc_method = absl::StrCat("/", service->full_name(), "/", method->name());
        route.upstream = UpstreamOf(*service);
        route.label = absl::StrCat(route.http_method, " ", text);
        if (!shapes.insert({route.http_method, route.path.Shape()}).second) {
          return where(absl::StrCat("another route matches the same requests (", route.http_method,
                                    " ", route.path.Shape(), ")"));
        }
        table.routes_.push_back(std::move(route));
      }
    }
  }
  return table;
}

std::optional<RouteTable::Match> RouteTable::Find(absl::string_view http_method,
                                                  absl::string_view path,
                                                  std::vector<std::string>* allowed) const {
  std::optional<Match> best;
  const PathTemplate::SplitPath split = PathTemplate::Split(path);  // once for every route
  for (const Route& route : routes_) {
    if (route.http_method != http_method || !route.path.Match(split, nullptr)) continue;
    if (!best || route.path.literal_count() > best->route->path.literal_count()) {
      best = Match{&route, {}};
    }
  }
  if (best) best->route->path.Match(split, &best->bindings);
  if (!best && allowed != nullptr) {
    std::set<std::string> methods;
    for (const Route& route : routes_) {
      if (route.path.Match(split, nullptr)) methods.insert(route.http_method);
    }
    allowed->assign(methods.begin(), methods.end());
  }
  return best;
}

bool DecodeQueryComponent(absl::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out->push_back(' ');
    } else if (in[i] == '%') {
      if (in.size() - i < 3 || !absl::ascii_isxdigit(in[i + 1]) || !absl::ascii_isxdigit(in[i + 2]))
        return false;
      auto value = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
      out->push_back(static_cast<char>(value(in[i + 1]) * 16 + value(in[i + 2])));
      i += 2;
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

absl::StatusOr<std::unique_ptr<Message>> BuildRequest(const RouteTable::Match& match,
                                                      absl::string_view query,
                                                      absl::string_view body) {
  const Route& route = *match.route;
  const Descriptor& input = *route.method->input_type();
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(&input)->New());

  if (!route.body.empty()) {
    Message* target = request.get();
    if (route.body != "*") {
      target = request->GetReflection()->MutableMessage(request.get(),
                                                        input.FindFieldByName(route.body));
    }
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;  // a misspelt field is an error, not silently dropped
    auto status = google::protobuf::util::JsonStringToMessage(
        absl::StripAsciiWhitespace(body).empty() ? std::string("{}") : std::string(body), target,
        options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("body", route.body == "*" ? "" : absl::StrCat(" (", route.body, ")"),
                       " is not valid JSON for ", target->GetDescriptor()->name(), ": ",
                       std::string(status.message())));
    }
  } else if (!absl::StripAsciiWhitespace(body).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(route.http_method, " ", route.path.text(),
                     " takes no body; send its fields as query parameters"));
  }

  if (!query.empty()) {
    for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
      const size_t eq = pair.find('=');
      std::string key, value;
      if (!DecodeQueryComponent(pair.substr(0, eq), &key) ||
          !DecodeQueryComponent(eq == absl::string_view::npos ? "" : pair.substr(eq + 1), &value)) {
        return absl::InvalidArgumentError(
            absl::StrCat("query parameter \"", pair.substr(0, 64), "\" has a bad % escape"));
      }
      if (route.body == "*") {
        return absl::InvalidArgumentError(absl::StrCat(
            "query parameter ", key, ": this method takes its fields in the JSON body"));
      }
      auto fields = ResolvePath(input, key);
      if (!fields.ok())
        return absl::InvalidArgumentError(
            absl::StrCat("query parameter ", fields.status().message()));
      if (!route.body.empty() && fields->front()->name() == route.body) {
        return absl::InvalidArgumentError(
            absl::StrCat("query parameter ", key, ": ", route.body, " is the body"));
      }
      for (const auto& variable : route.path.variables()) {
        if (DottedName(*fields) == variable.field_path) {
          return absl::InvalidArgumentError(
              absl::StrCat("query parameter ", key, ": bound by the path"));
        }
      }
      if (absl::Status set = SetFromText(request.get(), *fields, key, value); !set.ok()) return set;
    }
  }

  for (const auto& [field_path, value] : match.bindings) {
    auto fields = ResolvePath(input, field_path);
    if (!fields.ok()) return fields.status();
    Message* holder = Holder(request.get(), *fields);
    const Reflection* reflection = holder->GetReflection();
    const std::string current = reflection->GetString(*holder, fields->back());
    if (!current.empty() && current != value) {
      return absl::InvalidArgumentError(absl::StrCat(field_path, ": the path names \"", value,
                                                     "\" but the body \"", current, "\""));
    }
    if (!IsUtf8(value))
      return absl::InvalidArgumentError(absl::StrCat(field_path, ": the path is not UTF-8"));
    reflection->SetString(holder, fields->back(), value);
  }
  return request;
}

std::string ToJson(const Message& message) {
  std::string json;
  json.reserve(512);
  if (AppendProto3Json(message, &json)) return json;
  if (!google::protobuf::util::MessageToJsonString(message, &json).ok()) return "{}";
  return json;
}

int HttpStatusOf(int grpc_code) {
  static constexpr int kHttp[] = {
      200,  // OK
      499,  // CANCELLED
      500,  // UNKNOWN
      400,  // INVALID_ARGUMENT
      504,  // DEADLINE_EXCEEDED
      404,  // NOT_FOUND
      409,  // ALREADY_EXISTS
      403,  // PERMISSION_DENIED
      429,  // RESOURCE_EXHAUSTED
      400,  // FAILED_PRECONDITION
      409,  // ABORTED
      400,  // OUT_OF_RANGE
      501,  // UNIMPLEMENTED
      500,  // INTERNAL
      503,  // UNAVAILABLE
      500,  // DATA_LOSS
      401,  // UNAUTHENTICATED
  };
  return grpc_code >= 0 && grpc_code <= 16 ? kHttp[grpc_code] : 500;
}

std::string StatusJson(int grpc_code, absl::string_view message, absl::string_view details_bin) {
  google::rpc::Status status;
  status.set_code(grpc_code);
  status.set_message(std::string(message));
  if (!details_bin.empty()) {
    google::rpc::Status sent;
    if (sent.ParseFromArray(details_bin.data(), static_cast<int>(details_bin.size()))) {
      *status.mutable_details() = sent.details();
    }
  }
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;  // "code": 0 too
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(status, &json, options).ok()) {
    status.clear_details();  // a detail of a type this gateway does not know
    json.clear();
    (void)google::protobuf::util::MessageToJsonString(status, &json, options);
  }
  return json;
}

}  // namespace peixun::gateway
