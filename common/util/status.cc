#include "common/util/status.h"

#include <string>

namespace peixun {

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status RuleError(absl::string_view rule, absl::string_view problem) {
  return absl::FailedPreconditionError(absl::StrCat(rule, " ", problem));
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace peixun
