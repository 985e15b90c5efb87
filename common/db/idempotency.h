// AIP-155 request idempotency. A mutating call carrying a request_id runs its change and
// stores its response in one transaction; a retry with the same id returns the stored
// response and changes nothing; the same id with other content is INVALID_ARGUMENT.
#pragma once

#include <functional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "common/db/pool.h"
#include "google/protobuf/message.h"

namespace peixun::db {

// Validates a request_id: empty (no idempotency) or 1-128 printable ASCII characters.
absl::Status ValidateRequestId(absl::string_view request_id);

// Runs `mutate` in a transaction, under the idempotency key (method, request_id) when
// request_id is not empty. `response` is filled either by `mutate` or from the stored copy.
absl::Status RunIdempotent(ConnectionPool& pool, absl::string_view method,
                           const google::protobuf::Message& request, absl::string_view request_id,
                           google::protobuf::Message* response,
                           const std::function<absl::Status(Connection&)>& mutate);

}  // namespace peixun::db
