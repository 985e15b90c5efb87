#include "common/server/handlers.h"

#include "common/db/idempotency.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/util/bounds.h"
#include "common/util/status.h"

namespace peixun::server {

absl::StatusOr<auth::Access> Handlers::Admit(grpc::ServerContext* context,
                                             absl::string_view method) const {
  auto caller = platform_.verifier().Authenticate(*context);
  if (!caller.ok()) return caller.status();
  return auth::AccessPolicy::Default().Admit(
      *caller, absl::StrCat(platform_.options().grpc_service, ".", method));
}

grpc::Status Handlers::Handle(grpc::ServerContext* context, absl::string_view method,
                              const google::protobuf::Message& request,
                              const std::function<absl::Status(const auth::Access&)>& handler) const {
  auto access = Admit(context, method);
  if (!access.ok()) return ToGrpcStatus(access.status());
  // Only an admitted caller learns what its request breaks.
  if (absl::Status bounded = CheckRequestBounds(request); !bounded.ok()) return ToGrpcStatus(bounded);
  return ToGrpcStatus(handler(*access));
}

absl::Status Handlers::Read(const std::function<absl::Status(db::Connection&)>& read) const {
  return platform_.pool().RunRead(read);
}

absl::Status Handlers::Mutate(const auth::Caller& caller, absl::string_view method, const google::protobuf::Message& request,
                              const std::string& request_id, google::protobuf::Message* response,
                              const std::function<absl::Status(db::Connection&)>& change,
                              const std::function<void()>& after_commit) const {
  absl::Status status =
      db::RunIdempotent(platform_.pool(), auth::IdentityKey(caller), method, request, request_id, response, change);
  if (status.ok()) {
    if (after_commit) after_commit();
    platform_.events().NotifyCommitted();
  }
  return status;
}

grpc::Status Handlers::WatchEvents(grpc::ServerContext* context,
                                   const common::v1::WatchEventsRequest* request,
                                   grpc::ServerWriter<common::v1::Event>* writer,
                                   std::vector<std::string> public_event_prefixes) const {
  auto access = Admit(context, "WatchEvents");
  if (!access.ok()) return ToGrpcStatus(access.status());
  if (!access->policy->personal_data || access->role == auth::Role::kProvinceAdmin) {
    return platform_.events().Serve(context, *request, writer);
  }
  // events about teachers and their enrollments are personal data.
  return platform_.events().Serve(context, *request, writer, [&](const common::v1::Event& event) {
    for (const auto& prefix : public_event_prefixes) {
      if (absl::StartsWith(event.type(), prefix)) return true;
    }
    return false;
  });
}

}  // namespace peixun::server
