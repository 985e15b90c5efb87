#include "common/server/dependency.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/auth/identity.h"

namespace peixun::server {

std::unique_ptr<grpc::ClientContext> ServiceCallContext(const std::string& subject, const std::string& token_key,
                                                        const Clock& clock, absl::Duration deadline) {
  auth::TokenClaims claims;
  claims.caller.subject = subject;
  claims.caller.role = auth::Role::kService;
  claims.expires = clock.Now() + absl::Minutes(5) + deadline;
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + auth::SignToken(claims, token_key));
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
