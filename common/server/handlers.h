// What every service's handlers do around their own logic: authenticate the caller, map the
// status, run reads and idempotent changes, wake event followers, serve WatchEvents.
#pragma once

#include <functional>
#include <string>

#include "common/server/platform.h"
#include "google/protobuf/message.h"

namespace peixun::server {

class Handlers {
 public:
  explicit Handlers(Platform& platform) : platform_(platform) {}

  // Authenticates, runs `handler` with the caller, and maps its status.
  grpc::Status Handle(grpc::ServerContext* context,
                      const std::function<absl::Status(const auth::Caller&)>& handler) const;
  // A read on one pooled connection (autocommit; see ConnectionPool::RunRead).
  absl::Status Read(const std::function<absl::Status(db::Connection&)>& read) const;
  // A change in one transaction under the request's idempotency key; wakes event followers
  // and then runs `after_commit` (e.g. cache invalidation) when it committed.
  absl::Status Mutate(absl::string_view method, const google::protobuf::Message& request,
                      const std::string& request_id, google::protobuf::Message* response,
                      const std::function<absl::Status(db::Connection&)>& change,
                      const std::function<void()>& after_commit = nullptr) const;
  // WatchEvents for any authenticated caller.
  grpc::Status WatchEvents(grpc::ServerContext* context,
                           const common::v1::WatchEventsRequest* request,
                           grpc::ServerWriter<common::v1::Event>* writer) const;

 private:
  Platform& platform_;
};

}  // namespace peixun::server
