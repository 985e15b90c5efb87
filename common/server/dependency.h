// Calls from one peixun service to another: a context carrying a short-lived service token,
// and one reading of a failed call's status.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/util/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace peixun::server {

// A context for a call as service `subject` (role service), signed with `token_key`, with a
// deadline `deadline` from now.
std::unique_ptr<grpc::ClientContext> ServiceCallContext(const std::string& subject, const std::string& token_key,
                                                        const Clock& clock, absl::Duration deadline = absl::Seconds(30));

// A dependency's failure as this service's: UNAVAILABLE when it is down or slow (retry later),
// FAILED_PRECONDITION otherwise (what it holds does not allow the request), with `what`
// (e.g. "enrollment (127.0.0.1:50052) did not report the county rates of 2022") and its message.
absl::Status DependencyError(const grpc::Status& status, const std::string& what);

}  // namespace peixun::server
