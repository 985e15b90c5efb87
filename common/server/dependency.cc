#include "common/server/dependency.h"

#include <chrono>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/auth/identity.h"
#include "google/rpc/status.pb.h"

namespace peixun::server {

std::unique_ptr<grpc::ClientContext> ServiceCallContext(const std::string& subject,
                                                        const auth::TokenSigner& signer,
                                                        const Clock& clock,
                                                        absl::Duration deadline) {
  auth::TokenClaims claims;
  claims.caller.subject = subject;
  claims.caller.role = auth::Role::kService;
  // Real time, not the (demonstration) business clock: tokens are checked on the real clock.
  claims.expires = absl::Now() + absl::Minutes(5) + deadline;
  auto context = std::make_unique<grpc::ClientContext>();
  // A signer that cannot sign leaves the call without a token: the callee answers
  // UNAUTHENTICATED, which the caller reports as the dependency's failure.
  if (auto token = signer.Sign(claims); token.ok())
    context->AddMetadata("authorization", "Bearer " + *token);
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  return context;
}

absl::Status DependencyError(const grpc::Status& status, const std::string& what) {
  absl::StatusCode code = absl::StatusCode::kFailedPrecondition;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      code = absl::StatusCode::kUnavailable;  // down, slow or busy: retry later
      break;
    // This service's own credential was refused (UNAUTHENTICATED, PERMISSION_DENIED): its
    // operators' problem, not the caller's; like a broken dependency, INTERNAL.
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
      code = absl::StatusCode::kInternal;
      break;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      code = absl::StatusCode::kInvalidArgument;  // the caller's input, passed along, is bad
      break;
    default:
      code = absl::StatusCode::kFailedPrecondition;  // what it holds does not allow the request
      break;
  }
  absl::Status out(code, absl::StrCat(what, ": ", status.error_message()));
  // The rule or field the dependency named travels on (common/util/status.h).
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details())
      out.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return out;
}

}  // namespace peixun::server
