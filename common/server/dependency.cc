#include "common/server/dependency.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/auth/identity.h"

namespace peixun::server {

std::unique_ptr<grpc::ClientContext> ServiceCallContext(const std::string& subject, const auth::TokenSigner& signer,
                                                        const Clock& clock, absl::Duration deadline) {
  auth::TokenClaims claims;
  claims.caller.subject = subject;
  claims.caller.role = auth::Role::kService;
  // Real time, not the (demonstration) business clock: tokens are checked on the real clock.
  claims.expires = absl::Now() + absl::Minutes(5) + deadline;
  auto context = std::make_unique<grpc::ClientContext>();
  // A signer that cannot sign leaves the call without a token: the callee answers
  // UNAUTHENTICATED, which the caller reports as the dependency's failure.
  if (auto token = signer.Sign(claims); token.ok()) context->AddMetadata("authorization", "Bearer " + *token);
  context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  return context;
}

absl::Status DependencyError(const grpc::Status& status, const std::string& what) {
  const bool transient = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
  return absl::Status(transient ? absl::StatusCode::kUnavailable : absl::StatusCode::kFailedPrecondition,
                      absl::StrCat(what, ": ", status.error_message()));
}

}  // namespace peixun::server
