// protoc-gen-openapi: writes one OpenAPI 3.0 document (openapi.json) for every HTTP-annotated
// method of the files it is given (AIP-127 google.api.http), with the proto comments as
// descriptions, path parameters with their patterns, enums by name, proto3 JSON types (64-bit
// integers as strings, timestamps as RFC 3339 text) and google.rpc.Status as the error body.
// It describes exactly what the gateway serves: the same annotations, read the same way
// (services/gateway/path_template.h).
//
//   protoc --plugin=protoc-gen-openapi=… --openapi_out=DIR a.proto b.proto …
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/compiler/code_generator.h"
#include "google/protobuf/compiler/plugin.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/zero_copy_stream.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"
#include "services/gateway/path_template.h"

namespace peixun::openapi {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::Struct;
using google::protobuf::Value;

Value Text(const std::string& text) {
  Value value;
  value.set_string_value(text);
  return value;
}
Value Bool(bool flag) {
  Value value;
  value.set_bool_value(flag);
  return value;
}
Value Object(Struct object) {
  Value value;
  *value.mutable_struct_value() = std::move(object);
  return value;
}
Value List(std::vector<Value> items) {
  Value value;
  for (auto& item : items) *value.mutable_list_value()->add_values() = std::move(item);
  return value;
}
Struct& Child(Struct& parent, const std::string& key) {
  return *(*parent.mutable_fields())[key].mutable_struct_value();
}
void Set(Struct& object, const std::string& key, Value value) {
  (*object.mutable_fields())[key] = std::move(value);
}
Value Ref(const std::string& name) {
  Struct ref;
  Set(ref, "$ref", Text("#/components/schemas/" + name));
  return Object(std::move(ref));
}

template <typename D>
std::string CommentOf(const D& descriptor) {
  google::protobuf::SourceLocation location;
  if (!descriptor.GetSourceLocation(&location)) return "";
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(location.leading_comments, '\n')) {
    lines.emplace_back(absl::StripAsciiWhitespace(line));
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return absl::StrJoin(lines, "\n");
}

// "years" → "year", "categories" → "category", "blacklistEntries" → "blacklistEntry".
std::string Singular(const std::string& plural) {
  if (absl::EndsWith(plural, "ies")) return plural.substr(0, plural.size() - 3) + "y";
  if (absl::EndsWith(plural, "s")) return plural.substr(0, plural.size() - 1);
  return plural;
}

std::string SchemaName(const Descriptor& message) {
  // peixun.catalog.v1.Project → catalog.v1.Project; google.rpc.Status → rpc.Status.
  absl::string_view name = message.full_name();
  if (!absl::ConsumePrefix(&name, "peixun.")) absl::ConsumePrefix(&name, "google.");
  return std::string(name);
}

class Document {
 public:
  void AddMethod(const MethodDescriptor& method) {
    if (!method.options().HasExtension(google::api::http)) return;
    const auto& top = method.options().GetExtension(google::api::http);
    std::vector<const google::api::HttpRule*> rules{&top};
    for (const auto& extra : top.additional_bindings()) rules.push_back(&extra);
    for (size_t i = 0; i < rules.size(); ++i) AddRule(method, *rules[i], i);
    Struct& tag = tags_[method.service()->name()];
    if (!tag.fields().count("name")) {
      Set(tag, "name", Text(method.service()->name()));
      Set(tag, "description", Text(CommentOf(*method.service())));
    }
  }

  std::string Json() {
    Struct root;
    Set(root, "openapi", Text("3.0.3"));
    Struct& info = Child(root, "info");
    Set(info, "title", Text("peixun (培训) HTTP/JSON API"));
    Set(info, "version", Text("v1"));
    Set(info, "description",
        Text("Henan's teacher-training programmes (国培计划, 省培计划 and below) as JSON over "
             "HTTP, served by the "
             "gateway from the gRPC contracts in proto/ (proto3 JSON mapping: lowerCamelCase "
             "names, enums as "
             "names, 64-bit integers as strings). Every call takes `Authorization: Bearer <JWT>`; "
             "what a role "
             "may see and do is docs/security.md. Errors are a google.rpc.Status whose message "
             "names the field "
             "or the DOMAIN.md rule (R-…)."));
    Struct& license = Child(info, "license");
    Set(license, "name", Text("Proprietary (Henan Provincial Department of Education)"));
    Set(license, "url", Text("https://jyt.henan.gov.cn/"));
    Struct server;
    Set(server, "url", Text("http://127.0.0.1:8080"));
    Set(server, "description", Text("the quickstart stack"));
    Set(root, "servers", List({Object(server)}));
    Struct bearer;
    Set(bearer, "bearer", List({}));
    Set(root, "security", List({Object(bearer)}));
    std::vector<Value> tags;
    for (auto& [name, tag] : tags_) tags.push_back(Object(tag));
    Set(root, "tags", List(std::move(tags)));
    Struct& paths = Child(root, "paths");
    for (auto& [path, item] : paths_) Set(paths, path, Object(item));
    Struct& components = Child(root, "components");
    Struct& scheme = Child(Child(components, "securitySchemes"), "bearer");
    Set(scheme, "type", Text("http"));
    Set(scheme, "scheme", Text("bearer"));
    Set(scheme, "bearerFormat", Text("JWT"));
    Set(scheme, "description",
        Text("A token of the province's identity provider (ES256/RS256), see docs/security.md."));
    Struct& schemas = Child(components, "schemas");
    while (!pending_.empty()) {
      const Descriptor* message = *pending_.begin();
      pending_.erase(pending_.begin());
      Set(schemas, SchemaName(*message), Object(MessageSchema(*message)));
    }
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(root, &json, options);
    return json;
  }

  std::string error;

 private:
  void AddRule(const MethodDescriptor& method, const google::api::HttpRule& rule, size_t binding) {
    std::string verb, text;
    if (!gateway::MethodAndPath(rule, &verb, &text) || verb == "OPTIONS" || verb == "HEAD") {
      error = absl::StrCat(method.full_name(), ": unsupported google.api.http pattern");
      return;
    }
    verb = absl::AsciiStrToLower(verb);  // OpenAPI's operation keys
    auto parsed = gateway::PathTemplate::Parse(text);
    if (!parsed.ok()) {
      error = absl::StrCat(method.full_name(), ": ", parsed.status().message());
      return;
    }
    // Each wildcard of a resource name becomes a path parameter named after the collection
    // before it: {name=years/*/projects/*} → /years/{year}/projects/{project}.
    std::vector<std::string> segments =
        absl::StrSplit(absl::StripPrefix(parsed->Shape(), "/"), '/');
    std::string custom_verb = parsed->verb();
    if (!custom_verb.empty()) {
      segments.back().erase(segments.back().size() - custom_verb.size() - 1);  // "*:nominate" → "*"
    }
    std::vector<Value> parameters;
    std::set<std::string> path_fields;
    for (const auto& variable : parsed->variables()) path_fields.insert(variable.field_path);
    for (size_t i = 0; i < segments.size(); ++i) {
      if (segments[i] != "*") continue;
      std::string name = i > 0 ? Singular(segments[i - 1]) : absl::StrCat("segment", i);
      const gateway::PathTemplate::Variable* owner = nullptr;
      for (const auto& variable : parsed->variables()) {
        if (i >= variable.first && i < variable.end) owner = &variable;
      }
      Struct parameter;
      Set(parameter, "name", Text(name));
      Set(parameter, "in", Text("path"));
      Set(parameter, "required", Bool(true));
      Set(parameter, "description",
          Text(owner != nullptr ? absl::StrCat("A segment of `", owner->field_path, "` (`",
                                               owner->pattern, "`).")
                                : "A path segment."));
      Struct schema;
      Set(schema, "type", Text("string"));
      Set(schema, "pattern", Text("^[^/]+$"));
      Set(parameter, "schema", Object(std::move(schema)));
      parameters.push_back(Object(std::move(parameter)));
      segments[i] = absl::StrCat("{", name, "}");
    }
    std::string path = absl::StrCat("/", absl::StrJoin(segments, "/"),
                                    custom_verb.empty() ? "" : ":", custom_verb);

    const Descriptor& input = *method.input_type();
    const std::string& body = rule.body();
    if (body != "*" && !method.client_streaming()) {
      for (int f = 0; f < input.field_count(); ++f) {
        const FieldDescriptor& field = *input.field(f);
        if (path_fields.count(field.name()) || field.name() == body) continue;
        if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
            !IsScalarLike(*field.message_type()))
          continue;
        Struct parameter;
        Set(parameter, "name", Text(field.json_name()));
        Set(parameter, "in", Text("query"));
        const std::string comment = CommentOf(field);
        if (!comment.empty()) Set(parameter, "description", Text(comment));
        Set(parameter, "schema", FieldSchema(field));
        if (field.is_repeated()) {
          Set(parameter, "style", Text("form"));
          Set(parameter, "explode", Bool(true));
        }
        parameters.push_back(Object(std::move(parameter)));
      }
    }

    Struct operation;
    const std::string comment = CommentOf(method);
    // The first sentence, as one line.
    std::string summary = absl::StrReplaceAll(comment, {{"\n", " "}});
    if (size_t end = summary.find(". "); end != std::string::npos) summary.resize(end);
    if (absl::EndsWith(summary, ".")) summary.pop_back();
    Set(operation, "summary", Text(summary.empty() ? method.name() : summary));
    if (!comment.empty()) Set(operation, "description", Text(comment));
    Set(operation, "operationId",
        Text(absl::StrCat(method.service()->name(), "_", method.name(),
                          binding > 0 ? absl::StrCat(binding + 1) : "")));
    Set(operation, "tags", List({Text(method.service()->name())}));
    if (!parameters.empty()) Set(operation, "parameters", List(std::move(parameters)));
    if (method.client_streaming()) {
      Struct request;
      Set(request, "required", Bool(true));
      Set(request, "description", Text(absl::StrCat("NDJSON: one ", input.name(), " a line.")));
      Struct media;
      Set(media, "schema", Ref(Schema(input)));
      Set(Child(request, "content"), "application/x-ndjson", Object(std::move(media)));
      Set(operation, "requestBody", Object(std::move(request)));
    } else if (!body.empty()) {
      const Descriptor* payload = &input;
      if (body != "*") payload = input.FindFieldByName(body)->message_type();
      Struct request;
      Set(request, "required", Bool(true));
      Struct media;
      Set(media, "schema", Ref(Schema(*payload)));
      Set(Child(request, "content"), "application/json", Object(std::move(media)));
      Set(operation, "requestBody", Object(std::move(request)));
    }
    Struct& responses = Child(operation, "responses");
    Struct ok;
    Struct media;
    Set(media, "schema", Ref(Schema(*method.output_type())));
    if (method.client_streaming()) {
      Set(ok, "description",
          Text(absl::StrCat(
              "NDJSON: one ", method.output_type()->name(),
              " a row in row order, then {\"status\": google.rpc.Status}, how the call ended.")));
      Set(Child(ok, "content"), "application/x-ndjson", Object(std::move(media)));
    } else if (method.server_streaming()) {
      Set(ok, "description",
          Text(absl::StrCat("Server-Sent Events: each `data:` line is one ",
                            method.output_type()->name(),
                            " as JSON and its `id:` the sequence number; send `Last-Event-ID` to "
                            "resume after it.")));
      Set(Child(ok, "content"), "text/event-stream", Object(std::move(media)));
    } else {
      Set(ok, "description", Text("OK"));
      Set(Child(ok, "content"), "application/json", Object(std::move(media)));
      // A GET of a list also answers as a spreadsheet (every page) when asked for one.
      bool lists = false;
      for (int i = 0; i < method.output_type()->field_count(); ++i) {
        const auto* field = method.output_type()->field(i);
        lists = lists || (field->is_repeated() && field->message_type() != nullptr);
      }
      if (verb == "get" && lists) {
        Set(ok, "description",
            Text("OK. With `Accept: text/csv` (UTF-8 with a byte-order mark) or the .xlsx type, "
                 "the list as a spreadsheet: a column per field, every page (at most 100,000 "
                 "rows)."));
        for (const char* type :
             {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}) {
          Struct file;
          Set(Child(file, "schema"), "type", Text("string"));
          Set(Child(file, "schema"), "format", Text("binary"));
          Set(Child(ok, "content"), type, Object(std::move(file)));
        }
      }
    }
    Set(responses, "200", Object(std::move(ok)));
    for (const auto& [code, what] : std::vector<std::pair<std::string, std::string>>{
             {"400",
              "INVALID_ARGUMENT or FAILED_PRECONDITION: the message names the field or rule"},
             {"401", "UNAUTHENTICATED: no token, or one that is forged, expired or too long-lived"},
             {"403",
              "PERMISSION_DENIED: the role or its scope does not allow this (docs/security.md)"},
             {"default",
              "Any other gRPC status in the standard mapping (404, 409, 429, 503, …)"}}) {
      Struct response;
      Set(response, "description", Text(what));
      Struct error_media;
      Set(error_media, "schema", Ref(Schema(*google::rpc::Status::descriptor())));
      Set(Child(response, "content"), "application/json", Object(std::move(error_media)));
      Set(responses, code, Object(std::move(response)));
    }
    Struct& item = paths_[path];
    if (item.fields().count(verb)) {
      error =
          absl::StrCat(method.full_name(), ": ", verb, " ", path, " is already another method's");
      return;
    }
    Set(item, verb, Object(std::move(operation)));
  }

  static bool IsScalarLike(const Descriptor& message) {
    const std::string& name = message.full_name();
    return name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration" ||
           name == "google.protobuf.FieldMask";
  }

  std::string Schema(const Descriptor& message) {
    std::string name = SchemaName(message);
    if (!seen_.count(name)) {
      seen_.insert(name);
      pending_.insert(&message);
    }
    return name;
  }

  Value ScalarSchema(const FieldDescriptor& field) {
    Struct schema;
    switch (field.type()) {
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
        Set(schema, "type", Text("integer"));
        Set(schema, "format", Text("int32"));
        break;
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
        Set(schema, "type", Text("integer"));
        Set(schema, "format", Text("int64"));
        break;
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        Set(schema, "type", Text("string"));  // proto3 JSON: 64-bit integers as text
        Set(schema, "format", Text("int64"));
        break;
      case FieldDescriptor::TYPE_DOUBLE:
      case FieldDescriptor::TYPE_FLOAT:
        Set(schema, "type", Text("number"));
        break;
      case FieldDescriptor::TYPE_BOOL:
        Set(schema, "type", Text("boolean"));
        break;
      case FieldDescriptor::TYPE_BYTES:
        Set(schema, "type", Text("string"));
        Set(schema, "format", Text("byte"));
        break;
      case FieldDescriptor::TYPE_ENUM: {
        Set(schema, "type", Text("string"));
        std::vector<Value> names;
        const EnumDescriptor& type = *field.enum_type();
        names.reserve(type.value_count());
        for (int i = 0; i < type.value_count(); ++i) names.push_back(Text(type.value(i)->name()));
        Set(schema, "enum", List(std::move(names)));
        break;
      }
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP: {
        const Descriptor& message = *field.message_type();
        const std::string& name = message.full_name();
        if (name == "google.protobuf.Timestamp") {
          Set(schema, "type", Text("string"));
          Set(schema, "format", Text("date-time"));
        } else if (name == "google.protobuf.Duration") {
          Set(schema, "type", Text("string"));
          Set(schema, "description", Text("Seconds with an s suffix, e.g. \"3.5s\"."));
        } else if (name == "google.protobuf.FieldMask") {
          Set(schema, "type", Text("string"));
          Set(schema, "description",
              Text("Comma-separated lowerCamelCase field paths, e.g. \"displayName,seats\"."));
        } else if (name == "google.protobuf.Any") {
          Set(schema, "type", Text("object"));
          Struct type;
          Set(type, "type", Text("string"));
          Set(Child(schema, "properties"), "@type", Object(std::move(type)));
          Set(schema, "additionalProperties", Bool(true));
        } else {
          return Ref(Schema(message));
        }
        break;
      }
      case FieldDescriptor::TYPE_STRING:
      default:
        Set(schema, "type", Text("string"));
        break;
    }
    return Object(std::move(schema));
  }

  Value FieldSchema(const FieldDescriptor& field) {
    if (field.is_map()) {
      Struct schema;
      Set(schema, "type", Text("object"));
      Set(schema, "additionalProperties", ScalarSchema(*field.message_type()->map_value()));
      return Object(std::move(schema));
    }
    Value item = ScalarSchema(field);
    if (!field.is_repeated()) return item;
    Struct schema;
    Set(schema, "type", Text("array"));
    Set(schema, "items", std::move(item));
    return Object(std::move(schema));
  }

  Struct MessageSchema(const Descriptor& message) {
    Struct schema;
    Set(schema, "type", Text("object"));
    const std::string comment = CommentOf(message);
    if (!comment.empty()) Set(schema, "description", Text(comment));
    Struct& properties = Child(schema, "properties");
    for (int f = 0; f < message.field_count(); ++f) {
      const FieldDescriptor& field = *message.field(f);
      Value property = FieldSchema(field);
      const std::string field_comment = CommentOf(field);
      if (!field_comment.empty()) {
        if (property.struct_value().fields().count("$ref")) {
          // OpenAPI 3.0 ignores siblings of $ref: wrap it.
          Struct wrapped;
          Set(wrapped, "allOf", List({property}));
          property = Object(std::move(wrapped));
        }
        Set(*property.mutable_struct_value(), "description", Text(field_comment));
      }
      Set(properties, field.json_name(), std::move(property));
    }
    return schema;
  }

  std::map<std::string, Struct> paths_;
  std::map<std::string, Struct> tags_;
  std::set<std::string> seen_;
  std::set<const Descriptor*> pending_;
};

class Generator : public google::protobuf::compiler::CodeGenerator {
 public:
  bool Generate(const google::protobuf::FileDescriptor* file, const std::string& parameter,
                google::protobuf::compiler::GeneratorContext* context,
                std::string* error) const override {
    return GenerateAll({file}, parameter, context, error);
  }
  bool GenerateAll(const std::vector<const google::protobuf::FileDescriptor*>& files,
                   const std::string& parameter,
                   google::protobuf::compiler::GeneratorContext* context,
                   std::string* error) const override {
    Document document;
    for (const auto* file : files) {
      for (int s = 0; s < file->service_count(); ++s) {
        for (int m = 0; m < file->service(s)->method_count(); ++m)
          document.AddMethod(*file->service(s)->method(m));
      }
    }
    const std::string json = document.Json();
    if (!document.error.empty()) {
      *error = document.error;
      return false;
    }
    std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(context->Open("openapi.json"));
    void* data = nullptr;
    int size = 0;
    size_t written = 0;
    while (written < json.size() && out->Next(&data, &size)) {
      const size_t n = std::min(static_cast<size_t>(size), json.size() - written);
      memcpy(data, json.data() + written, n);
      written += n;
      if (n < static_cast<size_t>(size)) out->BackUp(size - static_cast<int>(n));
    }
    return written == json.size();
  }
  uint64_t GetSupportedFeatures() const override { return FEATURE_PROTO3_OPTIONAL; }
};

}  // namespace
}  // namespace peixun::openapi

int main(int argc, char** argv) {
  peixun::openapi::Generator generator;
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
