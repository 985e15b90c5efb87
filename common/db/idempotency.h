// AIP-155 request idempotency. A mutating call carrying a request_id runs its change and
// stores its response in one transaction; a retry with the same id returns the stored
// response and changes nothing; the same id with other content is INVALID_ARGUMENT.
#pragma once

#include <functional>
#include <map>
#include <vector>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "common/db/pool.h"
#include "common/db/script.h"
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

// The fingerprint a request is remembered by: SHA-256 of its deterministic serialization with
// request_id cleared.
std::string RequestHash(const google::protobuf::Message& request);

// The same protocol for handlers that carry many requests in one transaction.
struct RememberedResponse {
  std::string request_hash;
  std::string response;  // serialized
};
// Adds to `script` the locking read of the stored responses among `request_ids` of `method`
// (filled into `found` when the script runs).
void AddLockRemembered(Script& script, absl::string_view method, const std::vector<std::string>& request_ids,
                       std::map<std::string, RememberedResponse>* found);
// Adds to `script` the insert storing responses under (method, request id). When a concurrent
// transaction stored one of the ids first, the script fails with a duplicate key
// (kErrDuplicateKey): roll back and try again, and the stored response will be found.
void AddRemember(Script& script, absl::string_view method,
                 const std::vector<std::pair<std::string, RememberedResponse>>& responses);

}  // namespace peixun::db
