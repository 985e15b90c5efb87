// peixunctl: the operators' and integrators' command line for peixun.
//   peixunctl token --role province_admin [--region 4101] [--host hosts/henu]
//   peixunctl call catalog GetProject '{"name": "years/2022/projects/x"}'
//   peixunctl apply deploy/demo/catalog-2022.jsonl
//   peixunctl methods catalog
// Any unary method of any service is callable with JSON, through the descriptors compiled in;
// gRPC errors are printed as "CODE: message" and exit 1.
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/auth/identity.h"
#include "common/metrics/metrics.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "peixun/evaluation/v1/evaluation.grpc.pb.h"
#include "peixun/funding/v1/funding.grpc.pb.h"
#include "tools/cli/generic_call.h"

ABSL_FLAG(std::string, target, "", "address of the service (default: its local port, or env PEIXUN_<SERVICE>_ADDR)");
ABSL_FLAG(std::string, token, "", "bearer token (default: env PEIXUN_TOKEN, or one signed for --role)");
ABSL_FLAG(std::string, role, "province_admin", "role of the token peixunctl signs when none is given");
ABSL_FLAG(std::string, region, "", "region code in the token (city and county admins, experts)");
ABSL_FLAG(std::string, host, "", "host in the token, e.g. hosts/henu (host institutions)");
ABSL_FLAG(std::string, subject, "peixunctl", "subject of a signed token");
ABSL_FLAG(int, ttl_hours, 24, "lifetime of a signed token");
ABSL_FLAG(std::string, token_key_file, "", "HS256 key file (or env PEIXUN_TOKEN_KEY_FILE / PEIXUN_TOKEN_KEY)");
ABSL_FLAG(int, deadline_seconds, 30, "deadline of each call");
ABSL_FLAG(bool, quiet, false, "apply: print only the summary and errors");

namespace {

struct ServiceInfo {
  std::string full_name;
  int default_port;
};

const std::map<std::string, ServiceInfo>& Services() {
  static const std::map<std::string, ServiceInfo> kServices = {
      {"catalog", {"peixun.catalog.v1.CatalogService", 50051}},
      {"enrollment", {"peixun.enrollment.v1.EnrollmentService", 50052}},
      {"evaluation", {"peixun.evaluation.v1.EvaluationService", 50053}},
      {"funding", {"peixun.funding.v1.FundingService", 50054}},
  };
  return kServices;
}

std::string EnvOr(const std::string& name, const std::string& fallback) {
  const char* value = std::getenv(name.c_str());
  return value == nullptr || *value == '\0' ? fallback : value;
}

int Fail(const std::string& message) {
  std::cerr << "peixunctl: " << message << "\n";
  return 1;
}

absl::StatusOr<std::string> SignedToken(const std::string& role_name, const std::string& region,
                                        const std::string& host) {
  std::string key_file = absl::GetFlag(FLAGS_token_key_file);
  if (key_file.empty()) key_file = EnvOr("PEIXUN_TOKEN_KEY_FILE", "");
  auto key = peixun::auth::LoadTokenKey(key_file);
  if (!key.ok()) return key.status();
  auto role = peixun::auth::ParseRole(role_name);
  if (!role.ok()) return role.status();
  peixun::auth::TokenClaims claims;
  claims.caller.subject = absl::GetFlag(FLAGS_subject);
  claims.caller.role = *role;
  claims.caller.region_code = region;
  claims.caller.host = host;
  claims.expires = absl::Now() + absl::Hours(absl::GetFlag(FLAGS_ttl_hours));
  return peixun::auth::SignToken(claims, *key);
}

class Client {
 public:
  // Calls service.method with a JSON request; fills `json_out` with the JSON response.
  grpc::Status Call(const std::string& service, const std::string& method,
                    const std::string& json_in, const std::string& token, std::string* json_out) {
    auto it = Services().find(service);
    if (it == Services().end()) {
      return {grpc::StatusCode::INVALID_ARGUMENT,
              "unknown service '" + service + "'; one of catalog, enrollment, evaluation, funding"};
    }
    auto call = peixun::cli::PrepareCall(absl::StrCat("/", it->second.full_name, "/", method), json_in);
    if (!call.ok()) {
      return {static_cast<grpc::StatusCode>(call.status().code()), std::string(call.status().message())};
    }
    std::string target = absl::GetFlag(FLAGS_target);
    if (target.empty()) {
      std::string upper = service;
      for (auto& c : upper) c = static_cast<char>(std::toupper(c));
      target = EnvOr("PEIXUN_" + upper + "_ADDR", absl::StrCat("127.0.0.1:", it->second.default_port));
    }
    auto& stub = Stub(target);
    std::string response_bytes;
    grpc::Status status = peixun::cli::UnaryCall(
        stub, *call, token,
        std::chrono::system_clock::now() + std::chrono::seconds(absl::GetFlag(FLAGS_deadline_seconds)),
        &response_bytes);
    if (!status.ok()) return status;
    *json_out = peixun::cli::ResponseJson(*call, response_bytes);
    return grpc::Status::OK;
  }

 private:
  grpc::GenericStub& Stub(const std::string& target) {
    auto& stub = stubs_[target];
    if (stub == nullptr) {
      stub = std::make_unique<grpc::GenericStub>(
          grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    }
    return *stub;
  }

  std::map<std::string, std::unique_ptr<grpc::GenericStub>> stubs_;
};

std::string ErrorText(const grpc::Status& status) {
  return absl::StrCat(peixun::metrics::GrpcCodeName(status.error_code()), ": ", status.error_message());
}

// The token to call with: --token, else PEIXUN_TOKEN, else one signed for --role/--region/--host.
absl::StatusOr<std::string> CallerToken() {
  std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty()) token = EnvOr("PEIXUN_TOKEN", "");
  if (!token.empty()) return token;
  return SignedToken(absl::GetFlag(FLAGS_role), absl::GetFlag(FLAGS_region), absl::GetFlag(FLAGS_host));
}

int RunCall(const std::vector<char*>& args) {
  if (args.size() < 3) return Fail("usage: peixunctl call SERVICE METHOD [JSON | -]");
  std::string json = args.size() > 3 ? args[3] : "{}";
  if (json == "-") {
    std::stringstream in;
    in << std::cin.rdbuf();
    json = in.str();
  }
  auto token = CallerToken();
  if (!token.ok()) return Fail(std::string(token.status().message()));
  Client client;
  std::string out;
  grpc::Status status = client.Call(args[1], args[2], json, *token, &out);
  if (!status.ok()) return Fail(ErrorText(status));
  std::cout << out;
  return 0;
}

// Each line: {"service": "catalog", "method": "CreateYear", "role": "province_admin",
// "region": "", "request": {...}}. Blank lines and lines starting with '#' are skipped.
int RunApply(const std::vector<char*>& args) {
  if (args.size() != 2) return Fail("usage: peixunctl apply FILE.jsonl");
  std::ifstream in(args[1]);
  if (!in) return Fail(absl::StrCat("cannot read ", args[1]));
  Client client;
  std::map<std::string, std::string> tokens;
  std::string line;
  int line_no = 0;
  int ok = 0;
  std::map<std::string, int> per_method;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    google::protobuf::Struct entry;
    if (!google::protobuf::util::JsonStringToMessage(line, &entry).ok()) {
      return Fail(absl::StrCat(args[1], ":", line_no, ": not a JSON object"));
    }
    auto field = [&](const char* name) {
      auto it = entry.fields().find(name);
      return it == entry.fields().end() ? std::string() : it->second.string_value();
    };
    std::string request_json;
    auto request = entry.fields().find("request");
    if (request != entry.fields().end()) {
      (void)google::protobuf::util::MessageToJsonString(request->second, &request_json);
    }
    std::string role = field("role").empty() ? "province_admin" : field("role");
    std::string key = absl::StrCat(role, "|", field("region"), "|", field("host"));
    if (tokens.count(key) == 0) {
      auto token = SignedToken(role, field("region"), field("host"));
      if (!token.ok()) return Fail(std::string(token.status().message()));
      tokens[key] = *token;
    }
    std::string out;
    grpc::Status status = client.Call(field("service"), field("method"), request_json, tokens[key], &out);
    if (!status.ok()) {
      return Fail(absl::StrCat(args[1], ":", line_no, ": ", field("method"), ": ", ErrorText(status)));
    }
    ++ok;
    ++per_method[field("method")];
    if (!absl::GetFlag(FLAGS_quiet)) std::cout << field("method") << " ok\n";
  }
  std::cout << "applied " << ok << " calls from " << args[1] << ":";
  for (const auto& [method, count] : per_method) std::cout << " " << method << "=" << count;
  std::cout << "\n";
  return 0;
}

// CSV columns: id_number,name,gender,school,county,stage,subjects,rural,teaching_since_year,roles
// (subjects and roles separated by '|'; gender FEMALE/MALE; stage PRIMARY, ...; rural 1/0).
int RunImportTeachers(const std::vector<char*>& args) {
  if (args.size() != 2) return Fail("usage: peixunctl import-teachers FILE.csv");
  std::ifstream in(args[1]);
  if (!in) return Fail(absl::StrCat("cannot read ", args[1]));
  auto token = CallerToken();
  if (!token.ok()) return Fail(std::string(token.status().message()));
  std::string target = absl::GetFlag(FLAGS_target);
  if (target.empty()) target = EnvOr("PEIXUN_ENROLLMENT_ADDR", "127.0.0.1:50052");
  auto stub = peixun::enrollment::v1::EnrollmentService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + *token);
  auto stream = stub->ImportTeachers(&context);
  std::map<std::string, int> outcomes;
  std::vector<std::string> rejected;
  // Results arrive in order while rows are still being sent.
  std::thread reader([&] {
    peixun::enrollment::v1::ImportTeacherResult result;
    while (stream->Read(&result)) {
      ++outcomes[peixun::enrollment::v1::ImportTeacherResult::Outcome_Name(result.outcome())];
      if (result.outcome() == peixun::enrollment::v1::ImportTeacherResult::REJECTED) {
        rejected.push_back(absl::StrCat("line ", result.row_id(), ": ", result.reason()));
      }
    }
  });
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1 && line.rfind("id_number,", 0) == 0) continue;  // header
    if (line.empty()) continue;
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    peixun::enrollment::v1::ImportTeachersRequest row;
    row.set_row_id(std::to_string(line_no));
    auto* t = row.mutable_teacher();
    if (cells.size() == 10) {
      t->set_id_number(cells[0]);
      t->set_display_name(cells[1]);
      peixun::enrollment::v1::Gender gender;
      if (peixun::enrollment::v1::Gender_Parse(cells[2], &gender)) t->set_gender(gender);
      t->set_school(cells[3]);
      t->set_county("regions/" + cells[4]);
      peixun::common::v1::Stage stage;
      if (peixun::common::v1::Stage_Parse(cells[5], &stage)) t->set_stage(stage);
      for (absl::string_view subject : absl::StrSplit(cells[6], '|', absl::SkipEmpty())) t->add_subjects(std::string(subject));
      t->set_rural(cells[7] == "1" || cells[7] == "true");
      int since = 0;
      if (absl::SimpleAtoi(cells[8], &since)) t->set_teaching_since_year(since);
      for (absl::string_view role_name : absl::StrSplit(cells[9], '|', absl::SkipEmpty())) {
        peixun::common::v1::TeacherRole role;
        if (peixun::common::v1::TeacherRole_Parse(std::string(role_name), &role)) t->add_roles(role);
      }
    }
    // A malformed line still goes: the service rejects it with the field it misses.
    if (!stream->Write(row)) break;
  }
  stream->WritesDone();
  reader.join();
  grpc::Status status = stream->Finish();
  if (!status.ok()) return Fail(ErrorText(status));
  std::cout << "imported " << args[1] << ":";
  for (const auto& [outcome, count] : outcomes) std::cout << " " << outcome << "=" << count;
  std::cout << "\n";
  for (const auto& r : rejected) std::cerr << "  rejected " << r << "\n";
  return rejected.empty() ? 0 : 1;
}

int RunToken() {
  auto token = SignedToken(absl::GetFlag(FLAGS_role), absl::GetFlag(FLAGS_region), absl::GetFlag(FLAGS_host));
  if (!token.ok()) return Fail(std::string(token.status().message()));
  std::cout << *token << "\n";
  return 0;
}

int RunMethods(const std::vector<char*>& args) {
  if (args.size() != 2 || Services().count(args[1]) == 0) return Fail("usage: peixunctl methods SERVICE");
  const auto* descriptor = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      Services().at(args[1]).full_name);
  if (descriptor == nullptr) return Fail(absl::StrCat("this peixunctl does not know ", args[1]));
  for (int i = 0; i < descriptor->method_count(); ++i) {
    const auto* m = descriptor->method(i);
    std::cout << m->name() << "(" << m->input_type()->full_name() << ") -> "
              << (m->server_streaming() ? "stream " : "") << m->output_type()->full_name() << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "peixunctl token|call|apply|methods ...\n"
      "  token --role R [--region CODE] [--host hosts/ID]   print a signed development token\n"
      "  call SERVICE METHOD [JSON|-]                       call a unary method with JSON\n"
      "  apply FILE.jsonl                                   run the calls of a JSON-lines file\n"
      "  methods SERVICE                                    list a service's methods\n"
      "  import-teachers FILE.csv                           stream teachers into enrollment");
  // Keep the generated descriptors linked in, so the generated pool knows every service.
  (void)peixun::catalog::v1::CatalogService::service_full_name();
  (void)peixun::catalog::v1::Project::descriptor();
  (void)peixun::enrollment::v1::Teacher::descriptor();
  (void)peixun::evaluation::v1::RubricVersion::descriptor();
  (void)peixun::funding::v1::Decision::descriptor();
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  args.erase(args.begin());
  if (args.empty()) return Fail("usage: peixunctl token|call|apply|methods (see --help)");
  std::string command = args[0];
  if (command == "token") return RunToken();
  if (command == "call") return RunCall(args);
  if (command == "apply") return RunApply(args);
  if (command == "methods") return RunMethods(args);
  if (command == "import-teachers") return RunImportTeachers(args);
  return Fail("unknown command '" + command + "'; one of token, call, apply, methods, import-teachers");
}
