#include "services/evaluation/evaluation_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/auth/access.h"
#include "common/events/outbox.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "services/evaluation/domain/evaluation_rules.h"
#include "services/evaluation/evaluation_store.h"

namespace peixun::evaluation {
namespace {

using auth::Role;

}  // namespace

grpc::Status EvaluationService::CreateRubricVersion(grpc::ServerContext* context,
                                                    const v1::CreateRubricVersionRequest* request,
                                                    v1::RubricVersion* response) {
  return handlers_.Handle(context, [&](const auth::Caller& caller) -> absl::Status {
    PEIXUN_RETURN_IF_ERROR(auth::RequireRole(caller, {Role::kProvinceAdmin}, "make rubrics"));
    PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(request->parent(), "rubrics/{rubric}", "parent"));
    const std::string rubric_id = parts["rubric"];
    PEIXUN_RETURN_IF_ERROR(ValidateId(rubric_id, "parent"));
    const v1::RubricVersion& rubric = request->rubric_version();
    if (rubric.display_name().empty() || rubric.display_name().size() > 128) {
      return FieldError("rubric_version.display_name", "must be 1 to 128 bytes");
    }
    if (rubric.change_note().size() > 255) return FieldError("rubric_version.change_note", "must be at most 255 bytes");
    PEIXUN_RETURN_IF_ERROR(domain::ValidateRubric(rubric));
    return handlers_.Mutate("CreateRubricVersion", *request, request->request_id(), response,
                            [&](db::Connection& c) -> absl::Status {
                              *response = EvaluationStore::InsertRubricVersion(c, rubric_id, rubric);
                              events::AppendEvent(c, "evaluation.rubric_version.created", response->name(),
                                                  *response);
                              return absl::OkStatus();
                            });
  });
}

grpc::Status EvaluationService::GetRubricVersion(grpc::ServerContext* context,
                                                 const v1::GetRubricVersionRequest* request,
                                                 v1::RubricVersion* response) {
  return handlers_.Handle(context, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(request->name(), "rubrics/{rubric}/versions/{version}", "name"));
    PEIXUN_RETURN_IF_ERROR(ValidateId(parts["rubric"], "name"));
    PEIXUN_ASSIGN_OR_RETURN(int version, ParseVersion(parts["version"], "name"));
    return handlers_.Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, EvaluationStore::GetRubricVersion(c, parts["rubric"], version));
      return absl::OkStatus();
    });
  });
}

grpc::Status EvaluationService::ListRubricVersions(grpc::ServerContext* context,
                                                   const v1::ListRubricVersionsRequest* request,
                                                   v1::ListRubricVersionsResponse* response) {
  return handlers_.Handle(context, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(request->parent(), "rubrics/{rubric}", "parent"));
    PEIXUN_RETURN_IF_ERROR(ValidateId(parts["rubric"], "parent"));
    PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    PEIXUN_ASSIGN_OR_RETURN(std::string after, DecodePageToken(request->page_token(), request->parent()));
    int after_version = 0;
    if (!after.empty() && !absl::SimpleAtoi(after, &after_version)) {
      return FieldError("page_token", "is not a token this list gave");
    }
    return handlers_.Read([&](db::Connection& c) -> absl::Status {
      auto versions = EvaluationStore::ListRubricVersions(c, parts["rubric"], after_version, page_size + 1);
      const bool more = static_cast<int>(versions.size()) > page_size;
      if (more) versions.resize(static_cast<size_t>(page_size));
      for (auto& v : versions) *response->add_rubric_versions() = std::move(v);
      if (more) {
        response->set_next_page_token(EncodePageToken(
            std::to_string(response->rubric_versions(page_size - 1).version()), request->parent()));
      }
      return absl::OkStatus();
    });
  });
}

grpc::Status EvaluationService::CreateGradePolicy(grpc::ServerContext* context,
                                                  const v1::CreateGradePolicyRequest* request,
                                                  v1::GradePolicy* response) {
  return handlers_.Handle(context, [&](const auth::Caller& caller) -> absl::Status {
    PEIXUN_RETURN_IF_ERROR(auth::RequireRole(caller, {Role::kProvinceAdmin}, "set grade thresholds"));
    PEIXUN_RETURN_IF_ERROR(domain::ValidateGradePolicy(request->grade_policy()));
    if (request->grade_policy().reason().size() > 255) {
      return FieldError("grade_policy.reason", "must be at most 255 bytes");
    }
    return handlers_.Mutate("CreateGradePolicy", *request, request->request_id(), response,
                            [&](db::Connection& c) -> absl::Status {
                              PEIXUN_ASSIGN_OR_RETURN(*response,
                                                      EvaluationStore::InsertGradePolicy(c, request->grade_policy()));
                              events::AppendEvent(c, "evaluation.grade_policy.created", response->name(), *response);
                              return absl::OkStatus();
                            });
  });
}

grpc::Status EvaluationService::GetGradePolicy(grpc::ServerContext* context, const v1::GetGradePolicyRequest* request,
                                               v1::GradePolicy* response) {
  return handlers_.Handle(context, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(request->name(), "gradePolicies/{version}", "name"));
    PEIXUN_ASSIGN_OR_RETURN(int version, ParseVersion(parts["version"], "name"));
    return handlers_.Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, EvaluationStore::GetGradePolicy(c, version));
      return absl::OkStatus();
    });
  });
}

grpc::Status EvaluationService::WatchEvents(grpc::ServerContext* context,
                                            const common::v1::WatchEventsRequest* request,
                                            grpc::ServerWriter<common::v1::Event>* writer) {
  return handlers_.WatchEvents(context, request, writer);
}

}  // namespace peixun::evaluation
