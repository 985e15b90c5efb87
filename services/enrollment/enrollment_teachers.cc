// Teachers: reads in scope with the ID number masked for those R-36 does not entitle, updates,
// and the import's RPC; the import itself is TeacherImporter.
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/auth/access.h"
#include "common/db/idempotency.h"
#include "common/events/outbox.h"
#include "common/server/grpc_status.h"
#include "common/util/bounds.h"
#include "common/util/filter.h"
#include "common/util/ids.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "common/util/updates.h"
#include "google/protobuf/util/field_mask_util.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "services/enrollment/enrollment_service.h"

namespace peixun::enrollment {

grpc::Status EnrollmentService::ImportTeachersOverBytes(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream) {
  auto caller = handlers_.Admit(context, "ImportTeachers");
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  return importer_.Serve(context, stream, *caller);
}

grpc::Status EnrollmentService::GetTeacher(grpc::ServerContext* context,
                                           const v1::GetTeacherRequest* request,
                                           v1::Teacher* response) {
  return Handle(context, "GetTeacher", *request, [&](const auth::Access& caller) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const TeacherName name, TeacherName::Parse(request->name(), "name"));
    const std::string& id = name.teacher;
    return handlers_.Read([&](db::Connection& c) -> absl::Status {
      auto row = EnrollmentStore::FindTeacher(c, id);
      if (!row) return absl::NotFoundError(absl::StrCat(request->name(), " does not exist"));
      PEIXUN_RETURN_IF_ERROR(caller.Check(TeacherResource(c, caller, row->teacher)));
      *response =
          SeesIdNumber(caller, row->teacher) ? row->teacher : domain::MaskTeacher(row->teacher);
      return absl::OkStatus();
    });
  });
}

grpc::Status EnrollmentService::ListTeachers(grpc::ServerContext* context,
                                             const v1::ListTeachersRequest* request,
                                             v1::ListTeachersResponse* response) {
  return Handle(context, "ListTeachers", *request, [&](const auth::Access& caller) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"county"}));
    std::string county;
    if (const std::string* value = FilterValue(terms, "county")) {
      PEIXUN_ASSIGN_OR_RETURN(const RegionName name, RegionName::Parse(*value, "filter county"));
      county = name.code;
    }
    PEIXUN_ASSIGN_OR_RETURN(
        const Page page, Page::Of(request->page_size(), request->page_token(), request->filter()));
    std::vector<TeacherRow> rows;
    PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
      std::string city;
      std::string teacher;
      PEIXUN_RETURN_IF_ERROR(NarrowToScope(c, caller, county, city, teacher));
      rows = EnrollmentStore::ListTeachers(c, county, city, page.after, page.limit());
      return absl::OkStatus();
    }));
    response->set_next_page_token(
        page.Keep(rows, [](const TeacherRow& row) { return row.teacher_id; }));
    for (auto& row : rows) {
      *response->add_teachers() =
          SeesIdNumber(caller, row.teacher) ? row.teacher : domain::MaskTeacher(row.teacher);
    }
    return absl::OkStatus();
  });
}

grpc::Status EnrollmentService::UpdateTeacher(grpc::ServerContext* context,
                                              const v1::UpdateTeacherRequest* request,
                                              v1::Teacher* response) {
  return Handle(
      context, "UpdateTeacher", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const TeacherName name,
                                TeacherName::Parse(request->teacher().name(), "teacher.name"));
        const std::string& id = name.teacher;
        static const std::set<std::string> kUpdatable = {
            "display_name",        "gender", "school", "county", "stage", "subjects", "rural",
            "teaching_since_year", "roles"};
        if (InMask(request->update_mask(), "id_number")) {
          return FieldError("update_mask",
                            "'id_number' cannot be updated: the ID number never "
                            "changes");
        }
        PEIXUN_RETURN_IF_ERROR(CheckUpdateMask(request->update_mask(), kUpdatable));
        const v1::Teacher& given = request->teacher();
        const int year = static_cast<int>(Today().year());
        return Mutate(
            caller, "UpdateTeacher", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              auto current = EnrollmentStore::FindTeacher(c, id, /*for_update=*/true);
              if (!current) {
                return absl::NotFoundError(absl::StrCat(given.name(), " does not exist"));
              }
              v1::Teacher teacher = current->teacher;
              PEIXUN_RETURN_IF_ERROR(CheckEtag(given.etag(), teacher.etag(), teacher.name()));
              auto allowed = [&](const std::string& county) -> absl::Status {
                auto region = EnrollmentStore::FindRegion(c, LastSegment(county));
                if (!region || !domain::IsCountyLevelUnit(*region)) {
                  return FieldError("teacher.county",
                                    absl::StrCat(county, " is not a known county"));
                }
                auth::Resource resource;
                resource.name = county;
                resource.county = LastSegment(county);
                resource.city = domain::CityCodeOf(*region);
                return caller.Check(resource);
              };
              PEIXUN_RETURN_IF_ERROR(allowed(teacher.county()));
              google::protobuf::util::FieldMaskUtil::MergeOptions options;
              options.set_replace_message_fields(true);
              options.set_replace_repeated_fields(true);
              google::protobuf::util::FieldMaskUtil::MergeMessageTo(given, request->update_mask(),
                                                                    options, &teacher);
              PEIXUN_RETURN_IF_ERROR(domain::ValidateTeacher(teacher, year));
              PEIXUN_RETURN_IF_ERROR(allowed(teacher.county()));
              EnrollmentStore::UpdateTeacher(c, id, teacher);
              auto updated = EnrollmentStore::FindTeacher(c, id);
              *response = SeesIdNumber(caller, updated->teacher)
                              ? updated->teacher
                              : domain::MaskTeacher(updated->teacher);
              events::AppendEvent(c, "enrollment.teacher.updated", updated->teacher.name(),
                                  domain::MaskTeacher(updated->teacher));
              return absl::OkStatus();
            });
      });
}

// ---- Nominations (R-7, R-9, R-13) ---------------------------------------------------------

}  // namespace peixun::enrollment
