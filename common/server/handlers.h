// What every service's handlers do around their own logic: authenticate the caller, map the
// status, run reads and idempotent changes, wake event followers, serve WatchEvents.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/auth/access.h"
#include "common/server/platform.h"
#include "google/protobuf/message.h"

namespace peixun::server {

class Handlers {
 public:
  explicit Handlers(Platform& platform) : platform_(platform) {}

  // Authenticates, admits the caller to `method` (this service's method, e.g. "ListTeachers")
  // by the access policy, checks the request's bounds (CheckRequestBounds), runs `handler`
  // with the caller's access, and maps its status.
  grpc::Status Handle(grpc::ServerContext* context, absl::string_view method,
                      const google::protobuf::Message& request,
                      const std::function<absl::Status(const auth::Access&)>& handler) const;
  // A read on one pooled connection (autocommit; see ConnectionPool::RunRead).
  absl::Status Read(const std::function<absl::Status(db::Connection&)>& read) const;
  // A change in one transaction under the request's idempotency key (the caller's own: a
  // caller never replays another's answer); wakes event followers and then runs
  // `after_commit` (e.g. cache invalidation) when it committed.
  absl::Status Mutate(const auth::Caller& caller, absl::string_view method,
                      const google::protobuf::Message& request, const std::string& request_id,
                      google::protobuf::Message* response,
                      const std::function<absl::Status(db::Connection&)>& change,
                      const std::function<void()>& after_commit = nullptr) const;
  // The service's audit record, for the callers the access policy admits.
  grpc::Status ListAuditEntries(grpc::ServerContext* context,
                                const common::v1::ListAuditEntriesRequest* request,
                                common::v1::ListAuditEntriesResponse* response) const;
  // The audit entry of the call this thread is handling (for a handler that writes its changes
  // without Mutate, such as a batch); marks it as recorded, so that Handle does not queue it.
  static std::optional<AuditEntry> TakeCurrentAuditEntry();

  // WatchEvents for the callers the access policy admits. Where the policy marks the feed as
  // carrying personal data, callers other than province admins receive only the events
  // whose type starts with one of `public_event_prefixes`; the others are not sent to them.
  grpc::Status WatchEvents(grpc::ServerContext* context,
                           const common::v1::WatchEventsRequest* request,
                           grpc::ServerWriter<common::v1::Event>* writer,
                           std::vector<std::string> public_event_prefixes = {}) const;
  // Authenticates the caller and admits it to `method` by the access policy (for streaming
  // handlers that do not go through Handle).
  absl::StatusOr<auth::Access> Admit(grpc::ServerContext* context, absl::string_view method) const;

 private:
  Platform& platform_;
};

}  // namespace peixun::server
