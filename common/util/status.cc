#include "common/util/status.h"

#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace peixun {
namespace {

constexpr char kTypePrefix[] = "type.googleapis.com/";
constexpr char kRuleDomain[] = "peixun";

std::string TypeUrl(const google::protobuf::Message& message) {
  return kTypePrefix + message.GetDescriptor()->full_name();
}

template <typename Detail>
std::optional<Detail> DetailOf(const absl::Status& status) {
  auto payload = status.GetPayload(kTypePrefix + Detail::descriptor()->full_name());
  Detail detail;
  if (!payload || !detail.ParseFromString(std::string(*payload))) return std::nullopt;
  return detail;
}

}  // namespace

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
  google::rpc::BadRequest detail;
  auto* violation = detail.add_field_violations();
  violation->set_field(std::string(field));
  violation->set_description(std::string(problem));
  status.SetPayload(TypeUrl(detail), absl::Cord(detail.SerializeAsString()));
  return status;
}

absl::Status RuleError(absl::string_view rule, absl::string_view problem) {
  return RuleError(absl::StatusCode::kFailedPrecondition, rule, problem);
}

absl::Status RuleError(absl::StatusCode code, absl::string_view rule, absl::string_view problem) {
  absl::Status status(code, absl::StrCat(rule, " ", problem));
  google::rpc::ErrorInfo detail;
  // AIP-193 reasons are UPPER_SNAKE_CASE: "R-1a" becomes "R_1A".
  std::string reason = absl::StrReplaceAll(rule, {{"-", "_"}});
  for (char& c : reason) c = static_cast<char>(absl::ascii_toupper(static_cast<unsigned char>(c)));
  detail.set_reason(reason);
  detail.set_domain(kRuleDomain);
  (*detail.mutable_metadata())["rule"] = std::string(rule);
  status.SetPayload(TypeUrl(detail), absl::Cord(detail.SerializeAsString()));
  return status;
}

std::string RuleOf(const absl::Status& status) {
  auto info = DetailOf<google::rpc::ErrorInfo>(status);
  if (!info || info->domain() != kRuleDomain) return "";
  auto rule = info->metadata().find("rule");
  return rule == info->metadata().end() ? "" : rule->second;
}

std::string FieldOf(const absl::Status& status) {
  auto request = DetailOf<google::rpc::BadRequest>(status);
  return request && request->field_violations_size() > 0 ? request->field_violations(0).field()
                                                         : "";
}

}  // namespace peixun
