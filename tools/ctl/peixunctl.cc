// peixunctl: the operators' and integrators' command line for peixun.
//   peixunctl token --role province_admin [--region 4101] [--host hosts/henu]
//   peixunctl call catalog GetProject '{"name": "years/2022/projects/x"}'
//   peixunctl apply deploy/demo/catalog-2022.jsonl
//   peixunctl rates 2022 city             (verbs: the usual calls by name, every page, as a table)
//   peixunctl help                        (every command)
// Any unary method of any service is callable with JSON, through the descriptors compiled in;
// gRPC errors are printed as "CODE: message" with a hint where one helps, and exit 1.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/auth/access.h"
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
#include "tools/cli/import_files.h"
#include "tools/cli/table.h"
#include "tools/cli/xlsx.h"
#include "tools/cli/xlsx_reader.h"

ABSL_FLAG(std::string, target, "",
          "address of the service (default: its local port, or env PEIXUN_<SERVICE>_ADDR)");
ABSL_FLAG(std::string, token, "",
          "bearer token (default: env PEIXUN_TOKEN, or one signed for --role)");
ABSL_FLAG(std::string, role, "province_admin",
          "role of the token peixunctl signs when none is given");
ABSL_FLAG(std::string, region, "", "region code in the token (city and county admins, experts)");
ABSL_FLAG(std::string, host, "", "host in the token, e.g. hosts/henu (host institutions)");
ABSL_FLAG(std::string, subject, "peixunctl", "subject of a signed token");
ABSL_FLAG(int, ttl_hours, 8, "lifetime of a signed token, in hours (services accept at most 12)");
ABSL_FLAG(std::string, token_key_file, "",
          "HS256 key file (or env PEIXUN_TOKEN_KEY_FILE / PEIXUN_TOKEN_KEY)");
ABSL_FLAG(std::string, signing_key_file, "",
          "ES256 signing key made by 'keys init' (or env PEIXUN_SIGNING_KEY_FILE); preferred over "
          "the HS256 key");
ABSL_FLAG(std::string, issuer, "", "the iss claim of signed tokens (or env PEIXUN_TOKEN_ISSUER)");
ABSL_FLAG(std::string, audience, "",
          "the aud claim of signed tokens (or env PEIXUN_TOKEN_AUDIENCE)");
ABSL_FLAG(int, deadline_seconds, 30, "deadline of each call");
ABSL_FLAG(bool, quiet, false, "apply: print only the summary and errors");
ABSL_FLAG(
    std::string, output, "table",
    "verbs: table, json, csv (lists, UTF-8 with a byte-order mark) or xlsx (lists, to --out)");
ABSL_FLAG(std::string, out, "", "with --output=xlsx: the workbook to write, e.g. at-risk.xlsx");
ABSL_FLAG(
    std::string, tls_ca_file, "",
    "PEM CA to trust: calls use TLS (env PEIXUN_TLS_CA_FILE); with --tls_cert_file and "
    "--tls_key_file "
    "(PEIXUN_TLS_CERT_FILE, PEIXUN_TLS_KEY_FILE) for services that require client certificates");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM client certificate for mutual TLS");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of the client certificate");
ABSL_FLAG(std::string, request_id, "",
          "verbs that change something: idempotency key (a retry with it changes nothing)");
ABSL_FLAG(std::string, comment, "", "score: the expert's comment on every score");
ABSL_FLAG(std::string, results, "",
          "imports: write a result per row, beside the row as sent, to this file (.xlsx or .csv)");

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
  peixun::auth::TokenSigner signer;
  std::string signing_key_file = absl::GetFlag(FLAGS_signing_key_file);
  if (signing_key_file.empty()) signing_key_file = EnvOr("PEIXUN_SIGNING_KEY_FILE", "");
  if (!signing_key_file.empty()) {
    auto key = peixun::auth::SigningKey::FromFile(signing_key_file);
    if (!key.ok()) return key.status();
    signer.key = std::make_shared<const peixun::auth::SigningKey>(*std::move(key));
  } else {
    std::string key_file = absl::GetFlag(FLAGS_token_key_file);
    if (key_file.empty()) key_file = EnvOr("PEIXUN_TOKEN_KEY_FILE", "");
    auto key = peixun::auth::LoadTokenKey(key_file);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          key.status().message(),
          "; or give --signing_key_file (PEIXUN_SIGNING_KEY_FILE), made by 'peixunctl keys init'"));
    }
    signer.hs256_key = *key;
  }
  signer.issuer = absl::GetFlag(FLAGS_issuer).empty() ? EnvOr("PEIXUN_TOKEN_ISSUER", "")
                                                      : absl::GetFlag(FLAGS_issuer);
  signer.audience = absl::GetFlag(FLAGS_audience).empty() ? EnvOr("PEIXUN_TOKEN_AUDIENCE", "")
                                                          : absl::GetFlag(FLAGS_audience);
  auto role = peixun::auth::ParseRole(role_name);
  if (!role.ok()) return role.status();
  peixun::auth::TokenClaims claims;
  claims.caller.subject = absl::GetFlag(FLAGS_subject);
  claims.caller.role = *role;
  claims.caller.region_code = region;
  claims.caller.host = host;
  claims.expires = absl::Now() + absl::Hours(absl::GetFlag(FLAGS_ttl_hours));
  return signer.Sign(claims);
}

// keys init DIR: a development key set. DIR/peixunctl.key signs the tokens peixunctl makes (it
// stands for the province's identity provider), DIR/<service>.key each service's own calls, and
// DIR/jwks.json holds their public keys, which the services verify tokens against. Existing
// keys are kept; the JWKS is written anew from them. Private key files are mode 0600.
int RunKeys(const std::vector<char*>& args) {
  if (args.size() != 3 || std::string(args[1]) != "init")
    return Fail("usage: peixunctl keys init DIR");
  const std::filesystem::path dir(args[2]);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Fail("keys: cannot create " + dir.string() + ": " + error.message());
  std::vector<std::string> jwks;
  for (const std::string name : {"peixunctl", "catalog", "enrollment", "evaluation", "funding"}) {
    const std::filesystem::path file = dir / (name + ".key");
    auto key = std::filesystem::exists(file)
                   ? peixun::auth::SigningKey::FromFile(file.string())
                   : peixun::auth::SigningKey::GenerateEs256(absl::StrCat(
                         name == "peixunctl" ? "" : "services/", name, "-",
                         absl::FormatTime("%Y%m%d%H%M%S", absl::Now(), absl::UTCTimeZone())));
    if (!key.ok()) return Fail(std::string(key.status().message()));
    if (!std::filesystem::exists(file)) {
      const mode_t old = umask(077);
      std::ofstream(file) << key->KeyFile();
      umask(old);
    }
    std::filesystem::permissions(
        file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    jwks.push_back(key->PublicJwk());
  }
  std::ofstream(dir / "jwks.json") << peixun::auth::JwksDocument(jwks);
  std::cout << "keys in " << dir.string()
            << ": jwks.json (public), peixunctl.key and one .key per service (private)\n";
  return 0;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "peixunctl: cannot read " << path << "\n";
    std::exit(2);
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Plaintext, or TLS when a CA is given (with a client certificate when one is given too).
std::shared_ptr<grpc::ChannelCredentials> Credentials() {
  auto pick = [](const std::string& flag, const char* env) {
    return flag.empty() ? EnvOr(env, "") : flag;
  };
  const std::string ca = pick(absl::GetFlag(FLAGS_tls_ca_file), "PEIXUN_TLS_CA_FILE");
  if (ca.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFileOrDie(ca);
  const std::string cert = pick(absl::GetFlag(FLAGS_tls_cert_file), "PEIXUN_TLS_CERT_FILE");
  const std::string key = pick(absl::GetFlag(FLAGS_tls_key_file), "PEIXUN_TLS_KEY_FILE");
  if (!cert.empty()) ssl.pem_cert_chain = ReadFileOrDie(cert);
  if (!key.empty()) ssl.pem_private_key = ReadFileOrDie(key);
  return grpc::SslCredentials(ssl);
}

class Client {
 public:
  // Calls service.method with a JSON request; fills `json_out` with the JSON response.
  grpc::Status Call(const std::string& service, const std::string& method,
                    const std::string& json_in, const std::string& token, std::string* json_out) {
    std::unique_ptr<google::protobuf::Message> response;
    grpc::Status status = CallMessage(service, method, json_in, token, &response);
    if (status.ok()) *json_out = peixun::cli::MessageJson(*response);
    return status;
  }

  // The same, with the response as a message of the method's output type.
  grpc::Status CallMessage(const std::string& service, const std::string& method,
                           const std::string& json_in, const std::string& token,
                           std::unique_ptr<google::protobuf::Message>* out) {
    auto it = Services().find(service);
    if (it == Services().end()) {
      return {grpc::StatusCode::INVALID_ARGUMENT,
              "unknown service '" + service + "'; one of catalog, enrollment, evaluation, funding"};
    }
    auto call =
        peixun::cli::PrepareCall(absl::StrCat("/", it->second.full_name, "/", method), json_in);
    if (!call.ok()) {
      return {static_cast<grpc::StatusCode>(call.status().code()),
              std::string(call.status().message())};
    }
    std::string target = absl::GetFlag(FLAGS_target);
    if (target.empty()) {
      std::string upper = service;
      for (auto& c : upper) c = static_cast<char>(std::toupper(c));
      target =
          EnvOr("PEIXUN_" + upper + "_ADDR", absl::StrCat("127.0.0.1:", it->second.default_port));
    }
    auto& stub = Stub(target);
    std::string response_bytes;
    grpc::Status status =
        peixun::cli::UnaryCall(stub, *call, token,
                               std::chrono::system_clock::now() +
                                   std::chrono::seconds(absl::GetFlag(FLAGS_deadline_seconds)),
                               &response_bytes);
    if (!status.ok()) return status;
    *out = peixun::cli::ResponseMessage(*call, response_bytes);
    last_target_ = target;
    return grpc::Status::OK;
  }

  // The address of the last call, for error hints.
  std::string TargetOf(const std::string& service) const {
    std::string target = absl::GetFlag(FLAGS_target);
    if (!target.empty() || Services().count(service) == 0) return target;
    std::string upper = service;
    for (auto& c : upper) c = static_cast<char>(std::toupper(c));
    return EnvOr("PEIXUN_" + upper + "_ADDR",
                 absl::StrCat("127.0.0.1:", Services().at(service).default_port));
  }

 private:
  grpc::GenericStub& Stub(const std::string& target) {
    auto& stub = stubs_[target];
    if (stub == nullptr) {
      stub = std::make_unique<grpc::GenericStub>(grpc::CreateChannel(target, Credentials()));
    }
    return *stub;
  }

  std::map<std::string, std::unique_ptr<grpc::GenericStub>> stubs_;
  std::string last_target_;
};

std::string ErrorText(const grpc::Status& status) {
  return absl::StrCat(peixun::metrics::GrpcCodeName(status.error_code()), ": ",
                      status.error_message());
}

// The error, and what usually helps with it.
std::string ErrorWithHint(const grpc::Status& status, const std::string& target) {
  std::string text = ErrorText(status);
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      absl::StrAppend(
          &text, "\n  hint: is the service running at ", target,
          "? tools/quickstart starts the suite; --target or PEIXUN_<SERVICE>_ADDR point elsewhere; "
          "a service with TLS needs --tls_ca_file (and --tls_cert_file, --tls_key_file for mutual "
          "TLS)");
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      absl::StrAppend(
          &text,
          "\n  hint: the token must be signed with the services' key: set PEIXUN_TOKEN_KEY_FILE "
          "(tools/peixunctl uses .local/quickstart/token.key) or pass --token");
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
      absl::StrAppend(
          &text,
          "\n  hint: the call needs another role: sign as it with --role, and --region or --host "
          "for "
          "county, city, host and expert roles (e.g. --role=county_admin --region=410225)");
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      absl::StrAppend(&text, "\n  hint: --deadline_seconds allows longer calls");
      break;
    default:
      break;
  }
  return text;
}

// The token to call with: --token, else PEIXUN_TOKEN, else one signed for --role/--region/--host.
absl::StatusOr<std::string> CallerToken() {
  std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty()) token = EnvOr("PEIXUN_TOKEN", "");
  if (!token.empty()) return token;
  return SignedToken(absl::GetFlag(FLAGS_role), absl::GetFlag(FLAGS_region),
                     absl::GetFlag(FLAGS_host));
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
  if (!status.ok()) return Fail(ErrorWithHint(status, client.TargetOf(args[1])));
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
  int existing = 0;
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
    grpc::Status status =
        client.Call(field("service"), field("method"), request_json, tokens[key], &out);
    // What the file creates may be there already (made on a stack loaded before, under another
    // request id): applying says so and goes on, as a declarative file should.
    if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      ++existing;
      if (!absl::GetFlag(FLAGS_quiet))
        std::cout << field("method") << " already there: " << status.error_message() << "\n";
      continue;
    }
    if (!status.ok()) {
      return Fail(
          absl::StrCat(args[1], ":", line_no, ": ", field("method"), ": ", ErrorText(status)));
    }
    ++ok;
    ++per_method[field("method")];
    if (!absl::GetFlag(FLAGS_quiet)) std::cout << field("method") << " ok\n";
  }
  std::cout << "applied " << ok << " calls from " << args[1] << ":";
  for (const auto& [method, count] : per_method) std::cout << " " << method << "=" << count;
  if (existing > 0) std::cout << " (" << existing << " already there)";
  std::cout << "\n";
  return 0;
}

// Teachers from a CSV or .xlsx file (the "teachers" template: id_number,name,gender,school,
// county,stage,subjects,rural,teaching_since_year,roles; subjects and roles separated by '|'),
// streamed: results arrive while rows are still being sent.
int RunImportTeachers(const std::vector<char*>& args) {
  if (args.size() != 2) return Fail("usage: peixunctl import-teachers FILE.csv|FILE.xlsx");
  const peixun::cli::ImportKind& kind = *peixun::cli::FindImportKind("teachers");
  auto token = CallerToken();
  if (!token.ok()) return Fail(std::string(token.status().message()));
  std::string target = absl::GetFlag(FLAGS_target);
  if (target.empty()) target = EnvOr("PEIXUN_ENROLLMENT_ADDR", "127.0.0.1:50052");
  auto stub = peixun::enrollment::v1::EnrollmentService::NewStub(
      grpc::CreateChannel(target, Credentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + *token);
  auto stream = stub->ImportTeachers(&context);
  using Result = peixun::enrollment::v1::ImportTeacherResult;
  std::map<std::string, int> outcomes;
  std::vector<std::string> rejected;
  peixun::cli::ImportResults results(kind, absl::GetFlag(FLAGS_results));
  absl::Mutex mu;
  std::map<int, std::vector<std::string>> sent;  // kept for the result file only
  // Results arrive in order while rows are still being sent.
  std::thread reader([&] {
    Result result;
    while (stream->Read(&result)) {
      ++outcomes[Result::Outcome_Name(result.outcome())];
      if (result.outcome() == Result::REJECTED) {
        rejected.push_back(absl::StrCat("row ", result.row_id(), ": ", result.reason()));
      }
      if (results.path().empty()) continue;
      int row = 0;
      (void)absl::SimpleAtoi(result.row_id(), &row);
      std::vector<std::string> cells;
      {
        absl::MutexLock lock(&mu);
        auto it = sent.find(row);
        if (it != sent.end()) {
          cells = std::move(it->second);
          sent.erase(it);
        }
      }
      results.Add(row, Result::Outcome_Name(result.outcome()), result.reason(), cells);
    }
  });
  const absl::Status read = peixun::cli::ForEachImportRow(
      args[1], kind, [&](int row_no, std::vector<std::string>& cells) {
        peixun::enrollment::v1::ImportTeachersRequest row;
        row.set_row_id(std::to_string(row_no));
        auto* t = row.mutable_teacher();
        t->set_id_number(cells[0]);
        t->set_display_name(cells[1]);
        peixun::enrollment::v1::Gender gender;
        if (peixun::enrollment::v1::Gender_Parse(cells[2], &gender)) t->set_gender(gender);
        t->set_school(cells[3]);
        if (!cells[4].empty()) {
          t->set_county(cells[4].rfind("regions/", 0) == 0 ? cells[4] : "regions/" + cells[4]);
        }
        peixun::common::v1::Stage stage;
        if (peixun::common::v1::Stage_Parse(cells[5], &stage)) t->set_stage(stage);
        for (absl::string_view subject : absl::StrSplit(cells[6], '|', absl::SkipEmpty()))
          t->add_subjects(std::string(subject));
        t->set_rural(cells[7] == "1" || cells[7] == "true" || cells[7] == "TRUE");
        int since = 0;
        if (absl::SimpleAtoi(cells[8], &since)) t->set_teaching_since_year(since);
        for (absl::string_view role_name : absl::StrSplit(cells[9], '|', absl::SkipEmpty())) {
          peixun::common::v1::TeacherRole role;
          if (peixun::common::v1::TeacherRole_Parse(std::string(role_name), &role))
            t->add_roles(role);
        }
        if (!results.path().empty()) {
          absl::MutexLock lock(&mu);
          sent[row_no] = cells;
        }
        // A malformed row still goes: the service rejects it with the field it misses.
        return stream->Write(row);
      });
  stream->WritesDone();
  reader.join();
  grpc::Status status = stream->Finish();
  if (!read.ok()) return Fail(std::string(read.message()));
  if (!status.ok()) return Fail(ErrorText(status));
  std::cout << "imported " << args[1] << ":";
  for (const auto& [outcome, count] : outcomes) std::cout << " " << outcome << "=" << count;
  std::cout << "\n";
  for (const auto& r : rejected) std::cerr << "  rejected " << r << "\n";
  if (absl::Status written = results.Write(); !written.ok())
    return Fail(std::string(written.message()));
  if (!results.path().empty()) std::cout << "results: " << results.path() << "\n";
  return rejected.empty() ? 0 : 1;
}

int RunToken() {
  auto token = SignedToken(absl::GetFlag(FLAGS_role), absl::GetFlag(FLAGS_region),
                           absl::GetFlag(FLAGS_host));
  if (!token.ok()) return Fail(std::string(token.status().message()));
  std::cout << *token << "\n";
  return 0;
}

// ---- Verbs: the usual calls by name, all pages, as a table (or --output=json) -------------

// A JSON string literal.
std::string Q(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// "2022" -> "years/2022"; "4102" -> "regions/4102"; names already prefixed stay.
std::string Named(const std::string& prefix, const std::string& value) {
  return value.rfind(prefix, 0) == 0 ? value : prefix + value;
}

using Fields = std::vector<std::pair<std::string, std::string>>;  // field -> JSON value

std::string JsonOf(const Fields& fields) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : fields) {
    if (!value.empty()) parts.push_back(absl::StrCat(Q(name), ": ", value));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

std::string QArg(const std::vector<std::string>& args, size_t i) {
  return i < args.size() ? Q(args[i]) : "";
}

std::string ScopeOf(const std::string& word) {
  std::string upper = word;
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  return upper.empty() ? "" : Q(upper);
}

// A whole number as JSON; anything else as a string, which the service refuses naming the field.
std::string Number(const std::string& text) {
  int64_t value = 0;
  return absl::SimpleAtoi(text, &value) ? absl::StrCat(value) : Q(text);
}

// "2023-07-10" as a contract Date; text of another shape as a date of zeros, which the service
// refuses naming the field.
std::string DateJson(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '-');
  int y = 0, m = 0, d = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &y) || !absl::SimpleAtoi(parts[1], &m) ||
      !absl::SimpleAtoi(parts[2], &d)) {
    y = m = d = 0;
  }
  return absl::StrCat("{\"year\": ", y, ", \"month\": ", m, ", \"day\": ", d, "}");
}

struct Verb {
  const char* name;
  const char* args;  // usage of the arguments
  const char* what;  // one line of help
  const char* service;
  const char* method;
  size_t min_args;
  size_t max_args;  // 99: any number
  bool paged;
  std::function<Fields(const std::vector<std::string>&)> request;
};

std::string RequestId() {
  return absl::GetFlag(FLAGS_request_id).empty() ? "" : Q(absl::GetFlag(FLAGS_request_id));
}

const std::vector<Verb>& Verbs() {
  using A = const std::vector<std::string>&;
  static const std::vector<Verb> kVerbs = {
      {"regions", "[FILTER]", "regions (e.g. 'level = \"COUNTY\" AND parent = \"regions/4102\"')",
       "catalog", "ListRegions", 0, 1, true,
       [](A a) {
         return Fields{{"filter", QArg(a, 0)}};
       }},
      {"projects", "YEAR [FILTER]", "a year's projects", "catalog", "ListProjects", 1, 2, true,
       [](A a) {
         return Fields{{"parent", Q(Named("years/", a[0]))}, {"filter", QArg(a, 1)}};
       }},
      {"quotas", "PROJECT|YEAR [FILTER]", "quotas of a project, or of every project of a year",
       "catalog", "ListQuotas", 1, 2, true,
       [](A a) {
         const bool year = a[0].find("/projects/") == std::string::npos;
         return Fields{{"parent", Q(year ? Named("years/", a[0]) + "/projects/-" : a[0])},
                       {"filter", QArg(a, 1)}};
       }},
      {"schools", "COUNTY", "a county's registered schools and their teachers (R-1, R-32)",
       "enrollment", "ListSchools", 1, 1, true,
       [](A a) {
         return Fields{{"parent", Q(Named("regions/", a[0]))}};
       }},
      {"project-budget", "PROJECT", "a project's budget under R-4", "catalog", "GetProjectBudget",
       1, 1, false,
       [](A a) {
         return Fields{{"project", Q(a[0])}};
       }},
      {"teachers", "[FILTER]", "teachers (e.g. 'county = \"regions/410225\"')", "enrollment",
       "ListTeachers", 0, 1, true,
       [](A a) {
         return Fields{{"filter", QArg(a, 0)}};
       }},
      {"enrollments", "[FILTER]",
       "enrollments (e.g. 'project = \"years/2022/projects/x\" AND state = \"NOMINATED\"')",
       "enrollment", "ListEnrollments", 0, 1, true,
       [](A a) {
         return Fields{{"filter", QArg(a, 0)}};
       }},
      {"nominate", "PROJECT TEACHER",
       "nominate a teacher (as the county: --role=county_admin --region=CODE)", "enrollment",
       "NominateTeacher", 2, 2, false,
       [](A a) {
         return Fields{{"project", Q(a[0])}, {"teacher", Q(a[1])}, {"request_id", RequestId()}};
       }},
      {"check-in", "ENROLLMENT", "报到 (as the host: --role=host --host=hosts/ID)", "enrollment",
       "CheckIn", 1, 1, false,
       [](A a) {
         return Fields{{"name", Q(a[0])}, {"request_id", RequestId()}};
       }},
      {"complete", "ENROLLMENT [REASON]", "结业 (host)", "enrollment", "Complete", 1, 2, false,
       [](A a) {
         return Fields{{"name", Q(a[0])}, {"reason", QArg(a, 1)}, {"request_id", RequestId()}};
       }},
      {"dismiss", "ENROLLMENT REASON", "劝退 (host)", "enrollment", "Dismiss", 2, 2, false,
       [](A a) {
         return Fields{{"name", Q(a[0])}, {"reason", Q(a[1])}, {"request_id", RequestId()}};
       }},
      {"not-completed", "ENROLLMENT REASON", "未结业 (host)", "enrollment", "MarkNotCompleted", 2,
       2, false,
       [](A a) {
         return Fields{{"name", Q(a[0])}, {"reason", Q(a[1])}, {"request_id", RequestId()}};
       }},
      {"no-show", "ENROLLMENT [SPECIAL_REASON]", "缺培 (host)", "enrollment", "MarkNoShow", 1, 2,
       false,
       [](A a) {
         return Fields{
             {"name", Q(a[0])}, {"special_reason", QArg(a, 1)}, {"request_id", RequestId()}};
       }},
      {"found-ineligible", "ENROLLMENT CONDITION",
       "学员不符合遴选条件: the trainee does not meet CONDITION, found at 报到 (host, R-9)",
       "enrollment", "ReportIneligibleTrainee", 2, 2, false,
       [](A a) {
         return Fields{{"name", Q(a[0])}, {"condition", Q(a[1])}, {"request_id", RequestId()}};
       }},
      {"blacklist", "[FILTER]", "blacklist entries (R-12)", "enrollment", "ListBlacklistEntries", 0,
       1, true,
       [](A a) {
         return Fields{{"filter", QArg(a, 0)}};
       }},
      {"at-risk", "COUNTY",
       "teachers of a county short of hours or off-site days this cycle (R-14)", "enrollment",
       "ListAtRiskTeachers", 1, 1, true,
       [](A a) {
         return Fields{{"county", Q(Named("regions/", a[0]))}};
       }},
      {"hours", "TEACHER", "a teacher's credit-hour ledger (R-31)", "enrollment", "ListHourEntries",
       1, 1, true,
       [](A a) {
         return Fields{{"parent", Q(Named("teachers/", a[0]))}};
       }},
      {"claims", "[TEACHER|-] [FILTER]",
       "claims of hours earned elsewhere: one teacher's, or all in scope (e.g. 'state = "
       "\"PENDING\"', R-33)",
       "enrollment", "ListHourClaims", 0, 2, true,
       [](A a) {
         return Fields{{"parent", Q(Named("teachers/", a.empty() ? "-" : a[0]))},
                       {"filter", QArg(a, 1)}};
       }},
      {"claim", "TEACHER START END HOURS OFF_SITE_DAYS TITLE PROVIDER EVIDENCE [LEVEL]",
       "学时申报: claim hours earned elsewhere, dates as 2023-07-10 (teacher or county, R-33)",
       "enrollment", "CreateHourClaim", 8, 9, false,
       [](A a) {
         return Fields{{"parent", Q(Named("teachers/", a[0]))},
                       {"hour_claim", JsonOf({{"start_date", DateJson(a[1])},
                                              {"end_date", DateJson(a[2])},
                                              {"credit_hours", Number(a[3])},
                                              {"off_site_days", Number(a[4])},
                                              {"title", Q(a[5])},
                                              {"provider", Q(a[6])},
                                              {"evidence", Q(a[7])},
                                              {"plan_level", QArg(a, 8)}})},
                       {"request_id", RequestId()}};
       }},
      {"approve-claim", "CLAIM HOURS [OFF_SITE_DAYS] [REASON]",
       "grant a claim's hours into the ledger (county, R-33)", "enrollment", "ApproveHourClaim", 2,
       4, false,
       [](A a) {
         return Fields{{"name", Q(a[0])},
                       {"credit_hours", Number(a[1])},
                       {"off_site_days", a.size() > 2 ? Number(a[2]) : ""},
                       {"reason", QArg(a, 3)},
                       {"request_id", RequestId()}};
       }},
      {"refuse-claim", "CLAIM REASON", "refuse a claim with a reason (county, R-33)", "enrollment",
       "RefuseHourClaim", 2, 2, false,
       [](A a) {
         return Fields{{"name", Q(a[0])}, {"reason", Q(a[1])}, {"request_id", RequestId()}};
       }},
      // plans of school-based research (校本研修方案).
      {"plans", "SCHOOL|COUNTY [FILTER]",
       "plans of school-based research: a school's, or every school's of a county (e.g. 'state = "
       "\"SUBMITTED\"', R-32)",
       "enrollment", "ListResearchPlans", 1, 2, true,
       [](A a) {
         const bool county = a[0].find("/schools/") == std::string::npos;
         return Fields{{"parent", Q(county ? Named("regions/", a[0]) + "/schools/-" : a[0])},
                       {"filter", QArg(a, 1)}};
       }},
      {"submit-plan", "SCHOOL SCHOOL_YEAR TITLE CONTENT",
       "submit a school year's plan of school-based research by its first week (school, R-32)",
       "enrollment", "SubmitResearchPlan", 4, 4, false,
       [](A a) {
         return Fields{
             {"parent", Q(a[0])},
             {"research_plan",
              JsonOf({{"school_year", Number(a[1])}, {"title", Q(a[2])}, {"content", Q(a[3])}})},
             {"request_id", RequestId()}};
       }},
      {"approve-plan", "PLAN", "approve a school's plan (the county's training school, R-32)",
       "enrollment", "ApproveResearchPlan", 1, 1, false,
       [](A a) {
         return Fields{{"name", Q(a[0])}, {"request_id", RequestId()}};
       }},
      {"return-plan", "PLAN REASON",
       "return a school's plan with the reason (the county's training school, R-32)", "enrollment",
       "ReturnResearchPlan", 2, 2, false,
       [](A a) {
         return Fields{{"name", Q(a[0])}, {"reason", Q(a[1])}, {"request_id", RequestId()}};
       }},
      // schools' reports of research hours (校本研修学时); a school sends one with
      // submit-hours-report.
      {"hours-reports", "SCHOOL|COUNTY [FILTER]",
       "reports of research hours: a school's, or every school's of a county (e.g. 'state = "
       "\"SUBMITTED\"', R-32)",
       "enrollment", "ListSchoolHoursReports", 1, 2, true,
       [](A a) {
         const bool county = a[0].find("/schools/") == std::string::npos;
         return Fields{{"parent", Q(county ? Named("regions/", a[0]) + "/schools/-" : a[0])},
                       {"filter", QArg(a, 1)}};
       }},
      {"hours-report", "REPORT",
       "a school's report of research hours with each row's result (R-32)", "enrollment",
       "GetSchoolHoursReport", 1, 1, false,
       [](A a) {
         return Fields{{"name", Q(a[0])}};
       }},
      {"verify-report", "REPORT [TEACHER=REASON ...]",
       "核准: verify a report into the ledger, refusing the rows named with their reasons (the "
       "county's training school, R-32)",
       "enrollment", "VerifySchoolHoursReport", 1, 1001, false,
       [](A a) {
         std::vector<std::string> refusals;
         for (size_t i = 1; i < a.size(); ++i) {
           const size_t eq = a[i].find('=');
           const std::string teacher = a[i].substr(0, eq);
           const std::string reason = eq == std::string::npos ? "" : a[i].substr(eq + 1);
           refusals.push_back(
               JsonOf({{"teacher", Q(Named("teachers/", teacher))}, {"reason", Q(reason)}}));
         }
         return Fields{
             {"name", Q(a[0])},
             {"refusals",
              refusals.empty() ? "" : absl::StrCat("[", absl::StrJoin(refusals, ", "), "]")},
             {"request_id", RequestId()}};
       }},
      {"return-report", "REPORT REASON",
       "return a school's report with the reason (the county's training school, R-32)",
       "enrollment", "ReturnSchoolHoursReport", 2, 2, false,
       [](A a) {
         return Fields{{"name", Q(a[0])}, {"reason", Q(a[1])}, {"request_id", RequestId()}};
       }},
      {"verify-certificate", "CODE",
       "whether a certificate of hours is genuine and what it certifies (anyone, R-34)",
       "enrollment", "VerifyHoursCertificate", 1, 1, false,
       [](A a) {
         return Fields{{"name", Q(Named("hoursCertificates/", a[0]))}};
       }},
      {"rates", "YEAR [county|city|host] [REGION]",
       "nomination, check-in and completion rates (R-16)", "enrollment", "GetRateReport", 1, 3,
       false,
       [](A a) {
         return Fields{{"year", Q(Named("years/", a[0]))},
                       {"scope", ScopeOf(a.size() > 1 ? a[1] : "county")},
                       {"region", a.size() > 2 ? Q(Named("regions/", a[2])) : ""}};
       }},
      {"rounds", "YEAR", "a year's evaluation rounds", "evaluation", "ListRounds", 1, 1, true,
       [](A a) {
         return Fields{{"parent", Q(Named("years/", a[0]))}};
       }},
      {"assign", "ROUND COUNTY EXPERT EXPERT_REGION", "assign an expert to a county (R-22)",
       "evaluation", "AssignExpert", 4, 4, false,
       [](A a) {
         return Fields{{"round", Q(a[0])},
                       {"assignment", JsonOf({{"county", Q(Named("regions/", a[1]))},
                                              {"expert", Q(a[2])},
                                              {"expert_region", Q(Named("regions/", a[3]))}})},
                       {"request_id", RequestId()}};
       }},
      {"score", "ROUND COUNTY CODE=TENTHS[:EVIDENCE]...",
       "an expert's scores (--role=expert --region=HOME --subject=EXPERT); EVIDENCE ON_SITE by "
       "default",
       "evaluation", "SubmitScores", 3, 99, false,
       [](A a) {
         std::vector<std::string> scores;
         for (size_t i = 2; i < a.size(); ++i) {
           const size_t eq = a[i].find('=');
           const size_t colon = a[i].find(':');
           const std::string code = a[i].substr(0, eq);
           const std::string tenths =
               a[i].substr(eq == std::string::npos ? a[i].size() : eq + 1,
                           colon == std::string::npos ? std::string::npos : colon - eq - 1);
           const std::string evidence =
               colon == std::string::npos ? "ON_SITE" : a[i].substr(colon + 1);
           scores.push_back(JsonOf({{"indicator", Q(code)},
                                    {"score_tenths", tenths.empty() ? "null" : tenths},
                                    {"evidence", Q(evidence)},
                                    {"comment", Q(absl::GetFlag(FLAGS_comment))}}));
         }
         return Fields{{"round", Q(a[0])},
                       {"county", Q(Named("regions/", a[1]))},
                       {"scores", absl::StrCat("[", absl::StrJoin(scores, ", "), "]")},
                       {"request_id", RequestId()}};
       }},
      {"deduct", "ROUND", "fetch the automatic deductions from enrollment (R-20)", "evaluation",
       "ComputeDeductions", 1, 1, false,
       [](A a) {
         return Fields{{"round", Q(a[0])}, {"request_id", RequestId()}};
       }},
      {"compute", "ROUND", "compute the round's draft results (R-21)", "evaluation",
       "ComputeResults", 1, 1, false,
       [](A a) {
         return Fields{{"round", Q(a[0])}, {"request_id", RequestId()}};
       }},
      {"publish", "ROUND [ETAG]", "通报: publish and freeze the round's results (R-23)",
       "evaluation", "PublishRound", 1, 2, false,
       [](A a) {
         return Fields{{"round", Q(a[0])}, {"etag", QArg(a, 1)}, {"request_id", RequestId()}};
       }},
      {"results", "ROUND [FILTER]", "a round's results by rank", "evaluation", "ListResults", 1, 2,
       true,
       [](A a) {
         return Fields{{"round", Q(a[0])}, {"filter", QArg(a, 1)}};
       }},
      {"explain", "RESULT", "every indicator of a result with its scores and deductions",
       "evaluation", "ExplainResult", 1, 1, false,
       [](A a) {
         return Fields{{"name", Q(a[0])}};
       }},
      {"designate", "COUNTY FROM_YEAR",
       "make a county a project county for a term from a year, or renew it (R-27)", "funding",
       "DesignateProjectCounty", 2, 2, false,
       [](A a) {
         return Fields{{"county", Q(Named("regions/", a[0]))},
                       {"from_year", a[1]},
                       {"request_id", RequestId()}};
       }},
      {"project-counties", "[FILTER]", "project counties (e.g. 'active_in_year = \"2023\"')",
       "funding", "ListProjectCounties", 0, 1, true,
       [](A a) {
         return Fields{{"filter", QArg(a, 0)}};
       }},
      {"decide", "YEAR", "decide next year's funding from the published results (R-25, R-26)",
       "funding", "DecideFunding", 1, 1, false,
       [](A a) {
         return Fields{{"year", Q(Named("years/", a[0]))}, {"request_id", RequestId()}};
       }},
      {"simulate", "YEAR ENVELOPE_YUAN [POLICY]",
       "the decisions draft results would get, against an envelope", "funding", "SimulateFunding",
       2, 3, false,
       [](A a) {
         int64_t yuan = 0;
         if (!absl::SimpleAtoi(a[1], &yuan)) yuan = -1;  // the service names the field
         return Fields{{"year", Q(Named("years/", a[0]))},
                       {"budget_envelope_fen", absl::StrCat(yuan * 100)},
                       {"tier_policy", a.size() > 2 ? Q(Named("tierPolicies/", a[2])) : ""}};
       }},
      {"decisions", "YEAR [FILTER]", "a year's funding decisions (filter tier, city, superseded)",
       "funding", "ListDecisions", 1, 2, true,
       [](A a) {
         return Fields{{"parent", Q(Named("years/", a[0]))}, {"filter", QArg(a, 1)}};
       }},
      {"budget", "YEAR [county|city|province] [REGION]",
       "project budgets, subsidies and decided amounts (R-4, R-28)", "funding", "GetBudgetSummary",
       1, 3, false,
       [](A a) {
         return Fields{{"year", Q(Named("years/", a[0]))},
                       {"scope", ScopeOf(a.size() > 1 ? a[1] : "province")},
                       {"region", a.size() > 2 ? Q(Named("regions/", a[2])) : ""}};
       }},
  };
  return kVerbs;
}

const Verb* FindVerb(const std::string& name) {
  for (const auto& v : Verbs()) {
    if (name == v.name) return &v;
  }
  return nullptr;
}

int RunVerb(const Verb& verb, const std::vector<char*>& raw) {
  std::vector<std::string> args(raw.begin() + 1, raw.end());
  if (args.size() < verb.min_args || args.size() > verb.max_args) {
    return Fail(absl::StrCat("usage: peixunctl ", verb.name, " ", verb.args, "\n  ", verb.what));
  }
  const std::string output = absl::GetFlag(FLAGS_output);
  if (output != "table" && output != "json" && output != "csv" && output != "xlsx")
    return Fail("--output: table, json, csv or xlsx, not '" + output + "'");
  if (output == "xlsx" && absl::GetFlag(FLAGS_out).empty())
    return Fail("--output=xlsx writes a workbook: name it with --out=FILE.xlsx");
  auto token = CallerToken();
  if (!token.ok()) return Fail(std::string(token.status().message()));
  Client client;
  Fields fields = verb.request(args);
  if (verb.paged) fields.emplace_back("page_size", "1000");
  std::unique_ptr<google::protobuf::Message> all;
  std::string page_token;
  do {
    Fields page_fields = fields;
    if (!page_token.empty()) page_fields.emplace_back("page_token", Q(page_token));
    std::unique_ptr<google::protobuf::Message> page;
    grpc::Status status =
        client.CallMessage(verb.service, verb.method, JsonOf(page_fields), *token, &page);
    if (!status.ok()) return Fail(ErrorWithHint(status, client.TargetOf(verb.service)));
    page_token.clear();
    const auto* next = page->GetDescriptor()->FindFieldByName("next_page_token");
    if (verb.paged && next != nullptr) page_token = page->GetReflection()->GetString(*page, next);
    if (all == nullptr) {
      all = std::move(page);
    } else if (const auto* list = peixun::cli::ListField(*all->GetDescriptor())) {
      const auto* r = all->GetReflection();
      for (int i = 0; i < r->FieldSize(*page, list); ++i) {
        r->AddMessage(all.get(), list)->CopyFrom(r->GetRepeatedMessage(*page, list, i));
      }
    }
  } while (!page_token.empty());
  if (const auto* next = all->GetDescriptor()->FindFieldByName("next_page_token")) {
    all->GetReflection()->ClearField(all.get(), next);
  }
  if (output == "json") {
    std::cout << peixun::cli::MessageJson(*all);
  } else if (output == "table") {
    std::cout << peixun::cli::RenderTable(*all);
  } else {
    const peixun::cli::Grid grid = peixun::cli::GridOf(*all);
    if (grid.name.empty())
      return Fail(absl::StrCat("--output=", output, " is for lists; ", verb.name, " answers one"));
    if (output == "csv") {
      std::cout << peixun::cli::CsvOf(grid);
      return 0;
    }
    const absl::Status written = peixun::cli::WriteXlsx(grid, absl::GetFlag(FLAGS_out));
    if (!written.ok()) return Fail(std::string(written.message()));
    std::cout << absl::GetFlag(FLAGS_out) << ": " << grid.rows.size() << " " << grid.name << ", "
              << grid.columns.size() << " columns\n";
  }
  return 0;
}

int RunMethods(const std::vector<char*>& args) {
  if (args.size() != 2 || Services().count(args[1]) == 0)
    return Fail("usage: peixunctl methods SERVICE");
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

std::string Usage() {
  std::string text =
      "peixunctl COMMAND ...   (flags: --role, --region, --host, --subject, --target, "
      "--output=table|json|csv|xlsx --out=FILE.xlsx)\n"
      "  token                                  print a signed token for --role/--region/--host\n"
      "  access-policy                          print who may call what, on which scope "
      "(Markdown)\n"
      "  keys init DIR                          make a development key set: DIR/jwks.json, "
      "DIR/peixunctl.key, a key per service\n"
      "  call SERVICE METHOD [JSON|-]           call any unary method with JSON (prints JSON)\n"
      "  apply FILE.jsonl                       run the calls of a JSON-lines file\n"
      "  methods SERVICE                        list a service's methods\n"
      "  certificate TEACHER FILE.pdf [CYCLE]   write a teacher's 学时证明 (R-34) to FILE.pdf\n"
      "imports, each from a CSV file or an Excel workbook (.xlsx, its first sheet); "
      "--results=FILE\n"
      "(.xlsx or .csv) writes a result per row beside the row as sent:\n"
      "  template KIND FILE.xlsx|FILE.csv       an import's template: teachers, schools, hours, "
      "school-hours or nominations\n"
      "  import-teachers FILE                   stream teachers into enrollment (template "
      "teachers)\n"
      "  import-schools COUNTY FILE             register a county's schools (R-1, R-32; template "
      "schools)\n"
      "  report-hours COUNTY FILE               register reported hours (R-32, R-14; template "
      "hours)\n"
      "  submit-hours-report SCHOOL YEAR FILE   a school's research hours of a school year (R-32; "
      "template school-hours)\n"
      "  nominate-list FILE                     nominate each row's teacher (R-7; template "
      "nominations)\n";
  for (const auto& v : Verbs()) {
    const std::string head = absl::StrCat("  ", v.name, " ", v.args);
    absl::StrAppend(&text, head, std::string(head.size() < 41 ? 41 - head.size() : 1, ' '), v.what,
                    "\n");
  }
  return text;
}

// 学时证明: the certificate of a teacher's cycle written to a PDF file; its code and
// totals printed.
int RunCertificate(const std::vector<char*>& args) {
  if (args.size() < 3 || args.size() > 4)
    return Fail("usage: peixunctl certificate TEACHER FILE.pdf [CYCLE_START_YEAR]");
  auto token = CallerToken();
  if (!token.ok()) return Fail(std::string(token.status().message()));
  int cycle = 0;
  if (args.size() == 4 && !absl::SimpleAtoi(args[3], &cycle)) cycle = -1;  // the service says why
  const std::string teacher = Named("teachers/", args[1]);
  Client client;
  std::unique_ptr<google::protobuf::Message> response;
  grpc::Status status = client.CallMessage(
      "enrollment", "GetHoursCertificate",
      absl::StrCat("{\"teacher\": ", Q(teacher), ", \"cycle_start_year\": ", cycle, "}"), *token,
      &response);
  if (!status.ok()) return Fail(ErrorWithHint(status, client.TargetOf("enrollment")));
  peixun::enrollment::v1::HoursCertificate certificate;
  certificate.ParseFromString(response->SerializeAsString());
  std::ofstream out(args[2], std::ios::binary | std::ios::trunc);
  out << certificate.pdf();
  if (!out.flush()) return Fail(absl::StrCat("cannot write ", args[2]));
  std::cout << args[2] << ": 学时证明 of " << teacher << ", " << certificate.cycle_start_year()
            << "-" << certificate.cycle_end_year() << ", " << certificate.credit_hours() << " of "
            << certificate.required_credit_hours() << " hours, " << certificate.off_site_days()
            << " of " << certificate.required_off_site_days() << " off-site days, "
            << certificate.entry_count() << " entries; code " << certificate.code() << "\n";
  return 0;
}

using Rows = std::vector<std::pair<int, std::vector<std::string>>>;

// The data rows of an import file (CSV or .xlsx, ForEachImportRow) with their line or row
// numbers, each with at least the kind's columns.
absl::StatusOr<Rows> ReadImportRows(const std::string& path, const peixun::cli::ImportKind& kind) {
  Rows rows;
  absl::Status read =
      peixun::cli::ForEachImportRow(path, kind, [&](int row, std::vector<std::string>& cells) {
        rows.emplace_back(row, std::move(cells));
        return true;
      });
  if (!read.ok()) return read;
  return rows;
}

// Where a row of an import file is, for messages: "FILE:LINE" (CSV) or "FILE row N" (.xlsx).
std::string RowPlace(const std::string& path, int row) {
  return absl::EndsWithIgnoreCase(path, ".xlsx") ? absl::StrCat(path, " row ", row)
                                                 : absl::StrCat(path, ":", row);
}

// Writes an import's result file when --results names one; 1 when it cannot be written.
int WriteResults(const peixun::cli::ImportResults& results, int exit_code) {
  if (absl::Status written = results.Write(); !written.ok())
    return Fail(std::string(written.message()));
  if (!results.path().empty()) std::cout << "results: " << results.path() << "\n";
  return exit_code;
}

// a county's schools from a CSV or .xlsx file (the "schools" template:
// school,display_name), sent 1,000 rows a call; a line per row refused.
int RunImportSchools(const std::vector<char*>& args) {
  if (args.size() != 3) return Fail("usage: peixunctl import-schools COUNTY FILE.csv|FILE.xlsx");
  const peixun::cli::ImportKind& kind = *peixun::cli::FindImportKind("schools");
  auto rows = ReadImportRows(args[2], kind);
  if (!rows.ok()) return Fail(std::string(rows.status().message()));
  auto token = CallerToken();
  if (!token.ok()) return Fail(std::string(token.status().message()));
  using peixun::enrollment::v1::ImportSchoolResult;
  std::map<std::string, int> outcomes;
  int refused = 0;
  peixun::cli::ImportResults results(kind, absl::GetFlag(FLAGS_results));
  Client client;
  for (size_t begin = 0; begin < rows->size(); begin += 1000) {
    peixun::enrollment::v1::ImportSchoolsRequest batch;
    batch.set_county(Named("regions/", args[1]));
    const size_t end = std::min(rows->size(), begin + 1000);
    for (size_t i = begin; i < end; ++i) {
      auto* school = batch.add_schools();
      school->set_name((*rows)[i].second[0]);
      school->set_display_name((*rows)[i].second[1]);
    }
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(batch, &json);
    std::unique_ptr<google::protobuf::Message> response;
    grpc::Status status =
        client.CallMessage("enrollment", "ImportSchools", json, *token, &response);
    if (!status.ok()) return Fail(ErrorWithHint(status, client.TargetOf("enrollment")));
    peixun::enrollment::v1::ImportSchoolsResponse answered;
    answered.ParseFromString(response->SerializeAsString());
    for (const auto& r : answered.results()) {
      const auto& [row, cells] = (*rows)[begin + static_cast<size_t>(r.index())];
      const std::string outcome = ImportSchoolResult::Outcome_Name(r.outcome());
      ++outcomes[outcome];
      results.Add(row, outcome, r.reason(), cells);
      if (r.outcome() != ImportSchoolResult::REFUSED) continue;
      ++refused;
      std::cerr << "  " << RowPlace(args[2], row) << ": REFUSED, " << r.reason() << "\n";
    }
  }
  std::cout << "imported " << args[2] << ":";
  for (const auto& [outcome, count] : outcomes) std::cout << " " << outcome << "=" << count;
  std::cout << "\n";
  return WriteResults(results, refused == 0 ? 0 : 1);
}

// a school's report of its teachers' research hours of a school year from a CSV or .xlsx
// file (the "school-hours" template: teacher,hours,note), in one call (1 to 1,000 rows); a line
// per row refused.
int RunSubmitHoursReport(const std::vector<char*>& args) {
  if (args.size() != 4)
    return Fail("usage: peixunctl submit-hours-report SCHOOL YEAR FILE.csv|FILE.xlsx");
  const peixun::cli::ImportKind& kind = *peixun::cli::FindImportKind("school-hours");
  auto rows = ReadImportRows(args[3], kind);
  if (!rows.ok()) return Fail(std::string(rows.status().message()));
  auto token = CallerToken();
  if (!token.ok()) return Fail(std::string(token.status().message()));
  peixun::enrollment::v1::SubmitSchoolHoursReportRequest request;
  request.set_parent(args[1]);
  int year = 0;
  if (!absl::SimpleAtoi(args[2], &year)) return Fail(absl::StrCat("'", args[2], "' is not a year"));
  request.mutable_hours_report()->set_school_year(year);
  for (const auto& [line_no, cells] : *rows) {
    auto* row = request.mutable_hours_report()->add_rows();
    row->set_teacher(Named("teachers/", cells[0]));
    int hours = 0;
    if (absl::SimpleAtoi(cells[1], &hours)) row->set_credit_hours(hours);
    row->set_note(cells[2]);
  }
  request.set_request_id(RequestId());
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(request, &json);
  Client client;
  std::unique_ptr<google::protobuf::Message> response;
  grpc::Status status =
      client.CallMessage("enrollment", "SubmitSchoolHoursReport", json, *token, &response);
  if (!status.ok()) return Fail(ErrorWithHint(status, client.TargetOf("enrollment")));
  peixun::enrollment::v1::SchoolHoursReport report;
  report.ParseFromString(response->SerializeAsString());
  peixun::cli::ImportResults results(kind, absl::GetFlag(FLAGS_results));
  for (int i = 0; i < report.rows_size() && static_cast<size_t>(i) < rows->size(); ++i) {
    const auto& row = report.rows(i);
    const auto& [line_no, cells] = (*rows)[static_cast<size_t>(i)];
    if (!row.has_result()) {
      results.Add(line_no, "WAITING", "", cells);
      continue;
    }
    results.Add(line_no, "REFUSED", row.result().reason(), cells);
    std::cerr << "  " << RowPlace(args[3], line_no) << ": REFUSED, " << row.result().reason()
              << "\n";
  }
  std::cout << "submitted " << report.name() << ": " << report.accepted_rows() << " of "
            << report.row_count() << " rows wait for the training school\n";
  return WriteResults(results, report.accepted_rows() == report.row_count() ? 0 : 1);
}

// a county's report of hours from a CSV or .xlsx file (the "hours" template:
// teacher,kind,hours,days,session,date,description,level; kind SCHOOL_RESEARCH, WORKSHOP or
// MENTORING; date as 2023-06-30 or a date cell), sent 1,000 rows a call; a line per row not
// registered.
int RunReportHours(const std::vector<char*>& args) {
  if (args.size() != 3) return Fail("usage: peixunctl report-hours COUNTY FILE.csv|FILE.xlsx");
  const peixun::cli::ImportKind& kind = *peixun::cli::FindImportKind("hours");
  auto rows = ReadImportRows(args[2], kind);
  if (!rows.ok()) return Fail(std::string(rows.status().message()));
  auto token = CallerToken();
  if (!token.ok()) return Fail(std::string(token.status().message()));
  using peixun::enrollment::v1::HoursReportResult;
  std::map<std::string, int> outcomes;
  peixun::cli::ImportResults results(kind, absl::GetFlag(FLAGS_results));
  Client client;
  int failed = 0;
  for (size_t begin = 0; begin < rows->size(); begin += 1000) {
    peixun::enrollment::v1::RegisterHoursRequest batch;
    batch.set_county(Named("regions/", args[1]));
    const size_t end = std::min(rows->size(), begin + 1000);
    for (size_t i = begin; i < end; ++i) {
      const std::vector<std::string>& cells = (*rows)[i].second;
      auto* report = batch.add_reports();
      report->set_teacher(Named("teachers/", cells[0]));
      peixun::enrollment::v1::HourEntry::Source source;
      // An unknown kind stays unspecified, and the service names the field.
      if (peixun::enrollment::v1::HourEntry::Source_Parse(cells[1], &source))
        report->set_source_kind(source);
      int number = 0;
      if (absl::SimpleAtoi(cells[2], &number)) report->set_credit_hours(number);
      if (absl::SimpleAtoi(cells[3], &number)) report->set_days(number);
      report->set_session(cells[4]);
      std::vector<std::string> ymd = absl::StrSplit(peixun::cli::ExcelDateText(cells[5]), '-');
      int y = 0, m = 0, d = 0;
      if (ymd.size() == 3 && absl::SimpleAtoi(ymd[0], &y) && absl::SimpleAtoi(ymd[1], &m) &&
          absl::SimpleAtoi(ymd[2], &d)) {
        report->mutable_date()->set_year(y);
        report->mutable_date()->set_month(m);
        report->mutable_date()->set_day(d);
      }
      report->set_description(cells[6]);
      peixun::common::v1::PlanLevel level;
      if (peixun::common::v1::PlanLevel_Parse(cells[7], &level)) report->set_plan_level(level);
    }
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(batch, &json);
    std::unique_ptr<google::protobuf::Message> response;
    grpc::Status status =
        client.CallMessage("enrollment", "RegisterHours", json, *token, &response);
    if (!status.ok()) return Fail(ErrorWithHint(status, client.TargetOf("enrollment")));
    peixun::enrollment::v1::RegisterHoursResponse answered;
    answered.ParseFromString(response->SerializeAsString());
    for (const auto& r : answered.results()) {
      const auto& [row, cells] = (*rows)[begin + static_cast<size_t>(r.index())];
      const std::string outcome = HoursReportResult::Outcome_Name(r.outcome());
      ++outcomes[outcome];
      results.Add(row, outcome, r.reason(), cells);
      if (r.outcome() != HoursReportResult::REFUSED && r.outcome() != HoursReportResult::CAPPED)
        continue;
      if (r.outcome() == HoursReportResult::REFUSED) ++failed;
      std::cerr << "  " << RowPlace(args[2], row) << ": " << outcome << ", " << r.reason() << "\n";
    }
  }
  std::cout << "reported " << args[2] << ":";
  for (const auto& [outcome, count] : outcomes) std::cout << " " << outcome << "=" << count;
  std::cout << "\n";
  return WriteResults(results, failed == 0 ? 0 : 1);
}

// a county's nominations from a CSV or .xlsx file (the "nominations" template:
// project,teacher), one call a row in order; a line per row refused, with the rule.
int RunNominateList(const std::vector<char*>& args) {
  if (args.size() != 2) return Fail("usage: peixunctl nominate-list FILE.csv|FILE.xlsx");
  const peixun::cli::ImportKind& kind = *peixun::cli::FindImportKind("nominations");
  auto rows = ReadImportRows(args[1], kind);
  if (!rows.ok()) return Fail(std::string(rows.status().message()));
  if (rows->size() > 10000) return Fail("a nomination list holds at most 10,000 rows");
  auto token = CallerToken();
  if (!token.ok()) return Fail(std::string(token.status().message()));
  peixun::cli::ImportResults results(kind, absl::GetFlag(FLAGS_results));
  Client client;
  int nominated = 0;
  int refused = 0;
  for (const auto& [row, cells] : *rows) {
    peixun::enrollment::v1::NominateTeacherRequest request;
    request.set_project(Named("years/", cells[0]));
    request.set_teacher(Named("teachers/", cells[1]));
    // The same list sent again nominates nobody twice: a row's key is its project and teacher.
    request.set_request_id(
        absl::StrCat("nominate-list/", request.project(), "/", request.teacher()));
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(request, &json);
    std::unique_ptr<google::protobuf::Message> response;
    grpc::Status status =
        client.CallMessage("enrollment", "NominateTeacher", json, *token, &response);
    if (status.ok()) {
      peixun::enrollment::v1::Enrollment made;
      made.ParseFromString(response->SerializeAsString());
      ++nominated;
      results.Add(row, "NOMINATED", made.name(), cells);
      continue;
    }
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      return Fail(ErrorWithHint(status, client.TargetOf("enrollment")));
    }
    ++refused;
    results.Add(row, "REFUSED", ErrorText(status), cells);
    std::cerr << "  " << RowPlace(args[1], row) << ": REFUSED, " << ErrorText(status) << "\n";
  }
  std::cout << "nominated " << args[1] << ": NOMINATED=" << nominated << " REFUSED=" << refused
            << "\n";
  return WriteResults(results, refused == 0 ? 0 : 1);
}

// The template of an import (teachers, schools, hours, school-hours, nominations) as .xlsx or
// CSV: its header and an example row.
int RunTemplate(const std::vector<char*>& args) {
  const peixun::cli::ImportKind* kind =
      args.size() == 3 ? peixun::cli::FindImportKind(args[1]) : nullptr;
  if (kind == nullptr) {
    std::string kinds;
    for (const auto& k : peixun::cli::ImportKinds())
      absl::StrAppend(&kinds, kinds.empty() ? "" : "|", k.name);
    return Fail(absl::StrCat("usage: peixunctl template ", kinds, " FILE.xlsx|FILE.csv"));
  }
  if (absl::Status written = peixun::cli::WriteImportTemplate(*kind, args[2]); !written.ok())
    return Fail(std::string(written.message()));
  std::cout << args[2] << ": the " << kind->name << " template ("
            << absl::StrJoin(kind->columns, ",") << ")\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  static const std::string usage = Usage();
  absl::SetProgramUsageMessage(usage);
  // Keep the generated descriptors linked in, so the generated pool knows every service.
  (void)peixun::catalog::v1::CatalogService::service_full_name();
  (void)peixun::catalog::v1::Project::descriptor();
  (void)peixun::enrollment::v1::Teacher::descriptor();
  (void)peixun::evaluation::v1::RubricVersion::descriptor();
  (void)peixun::funding::v1::Decision::descriptor();
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  args.erase(args.begin());
  if (args.empty()) return Fail(Usage());
  std::string command = args[0];
  if (command == "token") return RunToken();
  if (command == "keys") return RunKeys(args);
  if (command == "access-policy") {
    std::cout << peixun::auth::AccessPolicy::Default().Markdown();
    return 0;
  }
  if (command == "call") return RunCall(args);
  if (command == "apply") return RunApply(args);
  if (command == "methods") return RunMethods(args);
  if (command == "import-teachers") return RunImportTeachers(args);
  if (command == "certificate") return RunCertificate(args);
  if (command == "report-hours") return RunReportHours(args);
  if (command == "import-schools") return RunImportSchools(args);
  if (command == "submit-hours-report") return RunSubmitHoursReport(args);
  if (command == "nominate-list") return RunNominateList(args);
  if (command == "template") return RunTemplate(args);
  if (command == "help") {
    std::cout << Usage();
    return 0;
  }
  if (const Verb* verb = FindVerb(command)) return RunVerb(*verb, args);
  return Fail("unknown command '" + command + "'; peixunctl help lists them");
}
