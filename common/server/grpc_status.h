// The single mapping from absl::Status to grpc::Status, kept out of common/util so that the
// domain libraries (which return absl::Status) link no gRPC.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace peixun {

// Codes share their numbers, and the details of FieldError and RuleError travel as a
// google.rpc.Status in the trailers (grpc-status-details-bin).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace peixun
