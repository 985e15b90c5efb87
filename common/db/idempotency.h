// AIP-155 request idempotency. A mutating call carrying a request_id runs its change and
// stores its response in one transaction; a retry with the same id returns the stored
// response and changes nothing; the same id with other content is INVALID_ARGUMENT.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/db/pool.h"
#include "common/db/script.h"
#include "google/protobuf/message.h"

namespace peixun::db {

// Validates a request_id: empty (no idempotency) or 1-128 printable ASCII characters.
absl::Status ValidateRequestId(absl::string_view request_id);

// Runs `mutate` in a transaction, under the idempotency key (caller, method, request_id) when
// request_id is not empty. `response` is filled either by `mutate` or from the stored copy.
// `caller` is auth::IdentityKey of the caller: one caller never replays another's answer.
absl::Status RunIdempotent(ConnectionPool& pool, absl::string_view caller, absl::string_view method,
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
// One request's idempotency key within a method.
struct CallerRequest {
  std::string caller;  // auth::IdentityKey of the caller
  std::string request_id;
  bool operator<(const CallerRequest& other) const {
    return std::tie(caller, request_id) < std::tie(other.caller, other.request_id);
  }
};
// A retry's answer: the stored response when the request is the one first sent with its id
// (`request_hash`); INVALID_ARGUMENT naming request_id when the id was used for another.
absl::Status Replay(const RememberedResponse& stored, absl::string_view request_hash,
                    google::protobuf::Message* response);
// Adds to `script` the locking read of the stored responses among `keys` of `method` (filled
// into `found` when the script runs).
void AddLockRemembered(Script& script, absl::string_view method,
                       const std::vector<CallerRequest>& keys,
                       std::map<CallerRequest, RememberedResponse>* found);
// Adds to `script` the insert storing responses under (caller, method, request id). When a
// concurrent transaction stored one of the keys first, the script fails with a duplicate key
// (kErrDuplicateKey): roll back and try again, and the stored response will be found.
void AddRemember(Script& script, absl::string_view method,
                 const std::vector<std::pair<CallerRequest, RememberedResponse>>& responses);

}  // namespace peixun::db
