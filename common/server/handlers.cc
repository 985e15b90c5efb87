#include "common/server/handlers.h"

#include "common/db/idempotency.h"
#include "common/util/status.h"

namespace peixun::server {

grpc::Status Handlers::Handle(grpc::ServerContext* context,
                              const std::function<absl::Status(const auth::Caller&)>& handler) const {
  auto caller = platform_.verifier().Authenticate(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return ToGrpcStatus(handler(*caller));
}

absl::Status Handlers::Read(const std::function<absl::Status(db::Connection&)>& read) const {
  return platform_.pool().RunRead(read);
}

absl::Status Handlers::Mutate(absl::string_view method, const google::protobuf::Message& request,
                              const std::string& request_id, google::protobuf::Message* response,
                              const std::function<absl::Status(db::Connection&)>& change,
                              const std::function<void()>& after_commit) const {
  absl::Status status =
      db::RunIdempotent(platform_.pool(), method, request, request_id, response, change);
  if (status.ok()) {
    if (after_commit) after_commit();
    platform_.events().NotifyCommitted();
  }
  return status;
}

grpc::Status Handlers::WatchEvents(grpc::ServerContext* context,
                                   const common::v1::WatchEventsRequest* request,
                                   grpc::ServerWriter<common::v1::Event>* writer) const {
  auto caller = platform_.verifier().Authenticate(*context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return platform_.events().Serve(context, *request, writer);
}

}  // namespace peixun::server
