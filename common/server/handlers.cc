#include "common/server/handlers.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/db/idempotency.h"
#include "common/server/grpc_status.h"
#include "common/util/bounds.h"
#include "common/util/status.h"

namespace peixun::server {
namespace {

// The call this thread is handling: handlers run on the thread of their call, and Mutate runs
// inside the handler, so a change can write its audit entry in its own transaction.
struct CurrentCall {
  AuditEntry entry;
  bool recorded = false;
};
thread_local CurrentCall* current_call = nullptr;

// Reads: methods that change nothing.
bool IsRead(absl::string_view method) {
  for (absl::string_view prefix : {"Get", "List", "Watch", "Explain", "Simulate", "Verify"}) {
    if (absl::StartsWith(method, prefix)) return true;
  }
  return false;
}

AuditEntry EntryOf(const grpc::ServerContext& context, absl::string_view method,
                   const google::protobuf::Message& request,
                   const absl::StatusOr<auth::Caller>& caller) {
  AuditEntry entry;
  if (caller.ok()) {
    entry.set_subject(caller->subject);
    entry.set_role(std::string(auth::RoleName(caller->role)));
  }
  entry.set_client(context.peer());
  entry.set_method(std::string(method));
  entry.set_resource(ResourceOf(request));
  if (const auto* field = request.GetDescriptor()->FindFieldByName("request_id");
      field != nullptr && field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
    entry.set_request_id(request.GetReflection()->GetString(request, field));
  }
  return entry;
}

}  // namespace

std::optional<AuditEntry> Handlers::TakeCurrentAuditEntry() {
  if (current_call == nullptr) return std::nullopt;
  current_call->recorded = true;
  return current_call->entry;
}

absl::StatusOr<auth::Access> Handlers::Admit(grpc::ServerContext* context,
                                             absl::string_view method) const {
  auto caller = platform_.Authenticate(*context);
  if (!caller.ok()) return caller.status();
  return auth::AccessPolicy::Default().Admit(
      *caller, absl::StrCat(platform_.options().grpc_service, ".", method));
}

grpc::Status Handlers::Handle(
    grpc::ServerContext* context, absl::string_view method,
    const google::protobuf::Message& request,
    const std::function<absl::Status(const auth::Access&)>& handler) const {
  const std::string full_method = absl::StrCat(platform_.options().grpc_service, ".", method);
  auto caller = platform_.Authenticate(*context);
  absl::StatusOr<auth::Access> access =
      caller.ok() ? auth::AccessPolicy::Default().Admit(*caller, full_method) : caller.status();
  // An admitted call carries its entry; only a refused one is looked up again.
  const auth::MethodPolicy* policy =
      access.ok() ? access->policy : auth::AccessPolicy::Default().Find(full_method);
  // every change, and every read of personal data, whatever its outcome.
  const bool change = !IsRead(method);
  const bool audited = change || (policy != nullptr && policy->personal_data);
  CurrentCall call;
  if (audited) {
    call.entry = EntryOf(*context, method, request, caller);
    call.entry.set_kind(change ? AuditEntry::CHANGE : AuditEntry::PERSONAL_DATA_READ);
  }
  absl::Status status = access.status();
  if (status.ok()) status = CheckRequestBounds(request);  // only an admitted caller learns this
  if (status.ok()) {
    current_call = audited ? &call : nullptr;
    status = handler(*access);
    current_call = nullptr;
  }
  if (audited && !call.recorded) {
    call.entry.set_outcome(absl::StatusCodeToString(status.code()));
    platform_.audit().Record(std::move(call.entry));
  }
  return ToGrpcStatus(status);
}

absl::Status Handlers::Read(const std::function<absl::Status(db::Connection&)>& read) const {
  return platform_.pool().RunRead(read);
}

absl::Status Handlers::Mutate(const auth::Caller& caller, absl::string_view method,
                              const google::protobuf::Message& request,
                              const std::string& request_id, google::protobuf::Message* response,
                              const std::function<absl::Status(db::Connection&)>& change,
                              const std::function<void()>& after_commit) const {
  // A committed change's audit entry is written in the change's own transaction.
  CurrentCall* call = current_call;
  auto change_and_record = [&](db::Connection& c) -> absl::Status {
    PEIXUN_RETURN_IF_ERROR(change(c));
    if (call != nullptr) {
      AuditEntry entry = call->entry;
      entry.set_outcome("OK");
      AuditLog::Insert(c, entry);
    }
    return absl::OkStatus();
  };
  absl::Status status = db::RunIdempotent(platform_.pool(), auth::IdentityKey(caller), method,
                                          request, request_id, response, change_and_record);
  if (status.ok() && call != nullptr) call->recorded = true;
  if (status.ok()) {
    if (after_commit) after_commit();
    platform_.events().NotifyCommitted();
  }
  return status;
}

grpc::Status Handlers::ListAuditEntries(grpc::ServerContext* context,
                                        const common::v1::ListAuditEntriesRequest* request,
                                        common::v1::ListAuditEntriesResponse* response) const {
  return Handle(context, "ListAuditEntries", *request,
                [&](const auth::Access&) { return platform_.audit().List(*request, response); });
}

grpc::Status Handlers::WatchEvents(grpc::ServerContext* context,
                                   const common::v1::WatchEventsRequest* request,
                                   grpc::ServerWriter<common::v1::Event>* writer,
                                   std::vector<std::string> public_event_prefixes) const {
  const std::string full_method = absl::StrCat(platform_.options().grpc_service, ".WatchEvents");
  auto caller = platform_.Authenticate(*context);
  absl::StatusOr<auth::Access> access =
      caller.ok() ? auth::AccessPolicy::Default().Admit(*caller, full_method) : caller.status();
  grpc::Status status;
  if (!access.ok()) {
    status = ToGrpcStatus(access.status());
  } else if (!access->policy->personal_data || access->role == auth::Role::kProvinceAdmin) {
    status =
        platform_.events().Serve(context, *request, writer, nullptr, auth::IdentityKey(*access));
  } else {
    // events about teachers and their enrollments are personal data.
    status = platform_.events().Serve(
        context, *request, writer,
        [&](const common::v1::Event& event) {
          for (const auto& prefix : public_event_prefixes) {
            if (absl::StartsWith(event.type(), prefix)) return true;
          }
          return false;
        },
        auth::IdentityKey(*access));
  }
  // a stream of a feed that carries personal data is a read of it, recorded when it ends
  // (one entry per stream, with how it ended; a client closing it ends it CANCELLED).
  const auth::MethodPolicy* policy = auth::AccessPolicy::Default().Find(full_method);
  if (policy != nullptr && policy->personal_data) {
    AuditEntry entry = EntryOf(*context, "WatchEvents", *request, caller);
    entry.set_kind(AuditEntry::PERSONAL_DATA_READ);
    entry.set_resource(
        absl::StrCat("events", request->type_prefix().empty() ? "" : "/",
                     request->type_prefix().substr(0, events::EventFeed::kMaxTypePrefix)));
    entry.set_outcome(absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())));
    platform_.audit().Record(std::move(entry));
  }
  return status;
}

}  // namespace peixun::server
