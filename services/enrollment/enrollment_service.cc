#include "services/enrollment/enrollment_service.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/auth/access.h"
#include "common/db/idempotency.h"
#include "common/db/rows.h"
#include "common/events/outbox.h"
#include "common/util/bounds.h"
#include "common/util/filter.h"
#include "common/util/ids.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "google/protobuf/util/field_mask_util.h"
#include "grpcpp/support/method_handler.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "services/enrollment/domain/enrollment_rules.h"

namespace peixun::enrollment {
namespace {

using auth::Role;
}  // namespace

EnrollmentService::EnrollmentService(server::Platform& platform, CatalogMirror& catalog,
                                     int nomination_batches)
    : platform_(platform),
      handlers_(platform),
      nominations_(prometheus::BuildCounter()
                       .Name("peixun_enrollment_nominations_total")
                       .Help("Nomination attempts by outcome (accepted or the rule that refused).")
                       .Register(platform.metrics().registry())),
      importer_(platform, catalog),
      desk_(platform, catalog, nomination_batches),
      rates_(platform, handlers_),
      ledger_fill_(platform) {
  // ImportTeachers is served over bytes and parses each row itself: a typed reader ends the
  // stream on a row it cannot parse exactly as it ends on the client's last row, and the call
  // would end OK with that row and every later one unanswered. The method keeps its place and
  // its synchronous API; only its handler's message types change.
  const int import_index = v1::ImportTeachersRequest::descriptor()
                               ->file()
                               ->FindServiceByName("EnrollmentService")
                               ->FindMethodByName("ImportTeachers")
                               ->index();
  MarkMethodStreamed(import_index,
                     new grpc::internal::BidiStreamingHandler<EnrollmentService, grpc::ByteBuffer,
                                                              grpc::ByteBuffer>(
                         [](EnrollmentService* service, grpc::ServerContext* context,
                            grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream) {
                           return service->ImportTeachersOverBytes(context, stream);
                         },
                         this));
}

absl::CivilDay EnrollmentService::Today() const {
  return absl::ToCivilDay(platform_.clock().Now(), ChinaTimeZone());
}

bool EnrollmentService::SeesIdNumber(const auth::Caller& caller, const v1::Teacher& teacher) {
  return caller.role == Role::kProvinceAdmin ||
         (caller.role == Role::kCountyAdmin && teacher.county() == "regions/" + caller.region_code);
}

// ---- Teachers -----------------------------------------------------------------------------

grpc::Status EnrollmentService::NominateTeacher(grpc::ServerContext* context,
                                                const v1::NominateTeacherRequest* request,
                                                v1::Enrollment* response) {
  return Handle(
      context, "NominateTeacher", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const ProjectName project,
                                ProjectName::Parse(request->project(), "project"));
        PEIXUN_ASSIGN_OR_RETURN(const TeacherName teacher,
                                TeacherName::Parse(request->teacher(), "teacher"));
        NominationDesk::Nomination pending;
        pending.judged.project = {project.year, project.project};
        pending.judged.teacher_id = teacher.teacher;
        PEIXUN_RETURN_IF_ERROR(db::ValidateRequestId(request->request_id()));
        pending.request = request;
        pending.judged.county = caller.region_code;
        pending.judged.today = Today();
        pending.actor = caller.subject;
        pending.caller_key = auth::IdentityKey(caller);
        pending.audit = server::Handlers::TakeCurrentAuditEntry();
        if (!request->request_id().empty()) pending.request_hash = db::RequestHash(*request);
        desk_.Nominate(&pending);
        // By city too, for the dashboards' seats filled per city (18 cities, a handful of
        // outcomes).
        nominations_
            .Add({{"outcome", pending.status.ok()
                                  ? "accepted"
                                  : (pending.refused_by.empty() ? "error" : pending.refused_by)},
                  {"city", pending.city.empty() ? "none" : pending.city}})
            .Increment();
        if (!pending.status.ok() && pending.audit) {
          pending.audit->set_outcome(absl::StatusCodeToString(pending.status.code()));
          platform_.audit().Record(*std::move(pending.audit));
        }
        if (pending.status.ok()) *response = std::move(pending.response);
        return pending.status;
      });
}

grpc::Status EnrollmentService::CreateEnrollmentPolicy(
    grpc::ServerContext* context, const v1::CreateEnrollmentPolicyRequest* request,
    v1::EnrollmentPolicy* response) {
  return Handle(
      context, "CreateEnrollmentPolicy", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const YearName parent,
                                YearName::Parse(request->parent(), "parent"));
        const int year = parent.year;
        return Mutate(
            caller, "CreateEnrollmentPolicy", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(const v1::EnrollmentPolicy in_force,
                                      EnrollmentStore::GetPolicy(c, year, 0));
              const v1::EnrollmentPolicy policy =
                  domain::WithHoursOfPolicyInForce(request->enrollment_policy(), in_force);
              PEIXUN_RETURN_IF_ERROR(domain::ValidateEnrollmentPolicy(policy));
              PEIXUN_ASSIGN_OR_RETURN(
                  *response, EnrollmentStore::InsertPolicy(c, year, policy, caller.subject));
              events::AppendEvent(c, "enrollment.policy.created", response->name(), *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EnrollmentService::GetEnrollmentPolicy(grpc::ServerContext* context,
                                                    const v1::GetEnrollmentPolicyRequest* request,
                                                    v1::EnrollmentPolicy* response) {
  return Handle(context, "GetEnrollmentPolicy", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(
        auto parts,
        ParseName(request->name(), "years/{year}/enrollmentPolicies/{version}", "name"));
    PEIXUN_ASSIGN_OR_RETURN(int year, ParseYear(parts["year"], "name"));
    PEIXUN_ASSIGN_OR_RETURN(int version, ParseVersion(parts["version"], "name"));
    return handlers_.Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, EnrollmentStore::GetPolicy(c, year, version));
      return absl::OkStatus();
    });
  });
}

grpc::Status EnrollmentService::GetEnrollment(grpc::ServerContext* context,
                                              const v1::GetEnrollmentRequest* request,
                                              v1::Enrollment* response) {
  return Handle(
      context, "GetEnrollment", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(std::string id, ParseId(request->name(), "enrollments/{enrollment}",
                                                        "enrollment", "name"));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(v1::Enrollment enrollment, EnrollmentStore::GetEnrollment(c, id));
          PEIXUN_RETURN_IF_ERROR(caller.Check(EnrollmentResource(c, enrollment)));
          *response = std::move(enrollment);
          return absl::OkStatus();
        });
      });
}

auth::Resource EnrollmentService::TeacherResource(db::Connection& c, const auth::Access& access,
                                                  const v1::Teacher& teacher) {
  auth::Resource resource;
  resource.name = teacher.name();
  resource.teacher = teacher.name();
  resource.county = LastSegment(teacher.county());
  if (auto region = EnrollmentStore::FindRegion(c, resource.county))
    resource.city = domain::CityCodeOf(*region);
  if (access.scope == auth::Scope::kOwnHost) {
    // a host reads the trainees of its own projects' enrollments.
    for (const auto& e : EnrollmentStore::TeacherEnrollments(c, LastSegment(teacher.name()))) {
      if (e.project.host() == access.host) resource.host = access.host;
    }
  }
  return resource;
}

auth::Resource EnrollmentService::EnrollmentResource(db::Connection& c,
                                                     const v1::Enrollment& enrollment) {
  auth::Resource resource;
  resource.name = enrollment.name();
  resource.teacher = enrollment.teacher();
  resource.county = LastSegment(enrollment.county());
  if (auto region = EnrollmentStore::FindRegion(c, resource.county))
    resource.city = domain::CityCodeOf(*region);
  if (auto name = ProjectName::Parse(enrollment.project(), "project"); name.ok()) {
    if (auto project = EnrollmentStore::FindProject(c, name->year, name->project))
      resource.host = project->host();
  }
  return resource;
}

absl::Status EnrollmentService::NarrowToScope(db::Connection& c, const auth::Access& access,
                                              std::string& county_code, std::string& city_code,
                                              std::string& teacher_id) {
  auth::Resource named;
  switch (access.scope) {
    case auth::Scope::kAll:
      return absl::OkStatus();
    case auth::Scope::kOwnCounty:
    case auth::Scope::kOwnCity:
      if (county_code.empty()) {
        (access.scope == auth::Scope::kOwnCounty ? county_code : city_code) = access.region_code;
        return absl::OkStatus();
      }
      named.name = "regions/" + county_code;
      named.county = county_code;
      if (auto region = EnrollmentStore::FindRegion(c, county_code))
        named.city = domain::CityCodeOf(*region);
      return access.Check(named);
    case auth::Scope::kSelf:
      named.name = teacher_id.empty() ? "" : "teachers/" + teacher_id;
      named.teacher = named.name;
      if (!teacher_id.empty()) PEIXUN_RETURN_IF_ERROR(access.Check(named));
      teacher_id = LastSegment(access.subject);
      return absl::OkStatus();
    default:
      return absl::PermissionDeniedError(absl::StrCat("role ", auth::RoleName(access.role),
                                                      " may not ", access.policy->action,
                                                      " by region or teacher"));
  }
}

grpc::Status EnrollmentService::ListEnrollments(grpc::ServerContext* context,
                                                const v1::ListEnrollmentsRequest* request,
                                                v1::ListEnrollmentsResponse* response) {
  return Handle(
      context, "ListEnrollments", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(
            auto terms,
            ParseFilter(request->filter(), {"year", "project", "county", "teacher", "state"}));
        EnrollmentStore::EnrollmentFilter filter;
        if (const std::string* year = FilterValue(terms, "year")) {
          PEIXUN_ASSIGN_OR_RETURN(filter.year, ParseYear(*year, "filter year"));
        }
        if (const std::string* project = FilterValue(terms, "project")) {
          PEIXUN_ASSIGN_OR_RETURN(const ProjectName name,
                                  ProjectName::Parse(*project, "filter project"));
          filter.year = name.year;
          filter.project_id = name.project;
        }
        if (const std::string* county = FilterValue(terms, "county")) {
          PEIXUN_ASSIGN_OR_RETURN(const RegionName name,
                                  RegionName::Parse(*county, "filter county"));
          filter.county_code = name.code;
        }
        if (const std::string* teacher = FilterValue(terms, "teacher")) {
          PEIXUN_ASSIGN_OR_RETURN(const TeacherName name,
                                  TeacherName::Parse(*teacher, "filter teacher"));
          filter.teacher_id = name.teacher;
        }
        PEIXUN_ASSIGN_OR_RETURN(filter.state, EnumTerm<v1::EnrollmentState>(terms, "state"));
        PEIXUN_ASSIGN_OR_RETURN(
            const Page page,
            Page::Of(request->page_size(), request->page_token(), request->filter()));
        std::vector<v1::Enrollment> items;
        PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
          if (caller.scope == auth::Scope::kOwnHost) {
            // a host lists the enrollments of one of its own projects at a time.
            if (filter.project_id.empty()) {
              return FieldError("filter",
                                "a host lists the enrollments of one of its projects: "
                                "project = \"years/{year}/projects/{project}\"");
            }
            auto project = EnrollmentStore::FindProject(c, filter.year, filter.project_id);
            auth::Resource resource;
            resource.name = absl::StrCat("years/", filter.year, "/projects/", filter.project_id);
            if (project) resource.host = project->host();
            PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
          } else {
            PEIXUN_RETURN_IF_ERROR(
                NarrowToScope(c, caller, filter.county_code, filter.city_code, filter.teacher_id));
          }
          items = EnrollmentStore::ListEnrollments(c, filter, page.after, page.limit());
          return absl::OkStatus();
        }));
        response->set_next_page_token(page.Keep(items, LastSegmentOf<v1::Enrollment>));
        for (auto& e : items) *response->add_enrollments() = std::move(e);
        return absl::OkStatus();
      });
}

grpc::Status EnrollmentService::GetTrainingArchive(grpc::ServerContext* context,
                                                   const v1::GetTrainingArchiveRequest* request,
                                                   v1::TrainingArchive* response) {
  return Handle(
      context, "GetTrainingArchive", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const TeacherName name,
                                TeacherName::Parse(request->teacher(), "teacher"));
        const std::string& id = name.teacher;
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto teacher = EnrollmentStore::FindTeacher(c, id);
          if (!teacher)
            return absl::NotFoundError(absl::StrCat(request->teacher(), " does not exist"));
          PEIXUN_RETURN_IF_ERROR(caller.Check(TeacherResource(c, caller, teacher->teacher)));
          response->set_teacher(teacher->teacher.name());
          // every enrollment with its outcome, newest first.
          for (const auto& e : EnrollmentStore::TeacherEnrollments(c, id)) {
            auto* entry = response->add_entries();
            entry->set_enrollment("enrollments/" + e.enrollment_id);
            entry->set_project(e.project.name());
            entry->set_project_display_name(e.project.display_name());
            entry->set_year(e.year);
            entry->set_plan_level(e.project.plan_level());
            entry->set_outcome(e.state);
            entry->set_credit_hours(e.credit_hours);
            *entry->mutable_start_date() = e.project.start_date();
            *entry->mutable_end_date() = e.project.end_date();
          }
          return absl::OkStatus();
        });
      });
}

grpc::Status EnrollmentService::ListHourEntries(grpc::ServerContext* context,
                                                const v1::ListHourEntriesRequest* request,
                                                v1::ListHourEntriesResponse* response) {
  return Handle(
      context, "ListHourEntries", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const TeacherName name,
                                TeacherName::Parse(request->parent(), "parent"));
        PEIXUN_ASSIGN_OR_RETURN(
            const Page page,
            Page::Of(request->page_size(), request->page_token(), request->parent()));
        int64_t after = 0;
        if (!page.after.empty() && !absl::SimpleAtoi(page.after, &after))
          return FieldError("page_token", "is not a token of this list");
        std::vector<v1::HourEntry> entries;
        PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto teacher = EnrollmentStore::FindTeacher(c, name.teacher);
          if (!teacher)
            return absl::NotFoundError(absl::StrCat(request->parent(), " does not exist"));
          PEIXUN_RETURN_IF_ERROR(caller.Check(TeacherResource(c, caller, teacher->teacher)));
          entries = EnrollmentStore::ListHourEntries(c, name.teacher, after, page.limit());
          return absl::OkStatus();
        }));
        response->set_next_page_token(page.Keep(entries, LastSegmentOf<v1::HourEntry>));
        for (auto& e : entries) *response->add_hour_entries() = std::move(e);
        return absl::OkStatus();
      });
}

grpc::Status EnrollmentService::GetCycleProgress(grpc::ServerContext* context,
                                                 const v1::GetCycleProgressRequest* request,
                                                 v1::CycleProgress* response) {
  return Handle(
      context, "GetCycleProgress", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const TeacherName name,
                                TeacherName::Parse(request->teacher(), "teacher"));
        const std::string& id = name.teacher;
        const int year = static_cast<int>(Today().year());
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto teacher = EnrollmentStore::FindTeacher(c, id);
          if (!teacher)
            return absl::NotFoundError(absl::StrCat(request->teacher(), " does not exist"));
          PEIXUN_RETURN_IF_ERROR(caller.Check(TeacherResource(c, caller, teacher->teacher)));
          PEIXUN_ASSIGN_OR_RETURN(v1::EnrollmentPolicy policy,
                                  EnrollmentStore::GetPolicy(c, year, 0));
          // from the ledger, every source alike.
          *response = domain::ComputeCycleProgress(teacher->teacher.name(),
                                                   EnrollmentStore::TeacherHours(c, id), year,
                                                   domain::CyclePolicyOf(policy));
          return absl::OkStatus();
        });
      });
}

grpc::Status EnrollmentService::ListAtRiskTeachers(grpc::ServerContext* context,
                                                   const v1::ListAtRiskTeachersRequest* request,
                                                   v1::ListAtRiskTeachersResponse* response) {
  return Handle(
      context, "ListAtRiskTeachers", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const RegionName county_name,
                                RegionName::Parse(request->county(), "county"));
        const std::string& county = county_name.code;
        PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
        PEIXUN_ASSIGN_OR_RETURN(std::string after,
                                DecodePageToken(request->page_token(), request->county()));
        const int year = static_cast<int>(Today().year());
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          response->Clear();  // a read retried after a lost connection starts again
          auto region = EnrollmentStore::FindRegion(c, county);
          if (!region || !domain::IsCountyLevelUnit(*region)) {
            return FieldError("county", absl::StrCat(request->county(), " is not a known county"));
          }
          auth::Resource resource;
          resource.name = request->county();
          resource.county = county;
          resource.city = domain::CityCodeOf(*region);
          PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
          PEIXUN_ASSIGN_OR_RETURN(v1::EnrollmentPolicy in_force,
                                  EnrollmentStore::GetPolicy(c, year, 0));
          const domain::CyclePolicy policy = domain::CyclePolicyOf(in_force);
          const auto [from, to] = domain::CycleOf(year, policy);
          // Keyset pages: the county's teachers after the token, a chunk at a time, until the
          // page is full and one more at-risk teacher shows that another page follows. A chunk
          // holds one teacher more than the page, so a county whose teachers are all at risk
          // fills a page and learns that another follows from one read.
          const int chunk = std::max(page_size + 1, 500);
          std::string cursor = after;
          while (true) {
            const auto teachers = EnrollmentStore::CountyHours(c, county, from, to, cursor, chunk);
            for (const auto& [teacher_id, completed] : teachers) {
              v1::CycleProgress progress =
                  domain::ComputeCycleProgress("teachers/" + teacher_id, completed, year, policy);
              if (!domain::AtRisk(progress)) continue;
              if (response->teachers_size() == page_size) {
                response->set_next_page_token(EncodePageToken(
                    LastSegment(response->teachers(page_size - 1).teacher()), request->county()));
                return absl::OkStatus();
              }
              *response->add_teachers() = std::move(progress);
            }
            if (static_cast<int>(teachers.size()) < chunk) return absl::OkStatus();
            cursor = teachers.back().first;
          }
        });
      });
}

grpc::Status EnrollmentService::GetRateReport(grpc::ServerContext* context,
                                              const v1::GetRateReportRequest* request,
                                              v1::RateReport* response) {
  return Handle(context, "GetRateReport", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const YearName report_year, YearName::Parse(request->year(), "year"));
    const int year = report_year.year;
    std::string project_id;
    if (!request->project().empty()) {
      PEIXUN_ASSIGN_OR_RETURN(const ProjectName project,
                              ProjectName::Parse(request->project(), "project"));
      if (project.year != year)
        return FieldError("project", "must be a project of the report's year");
      project_id = project.project;
    }
    const auto scope = request->scope();
    if (scope == v1::GetRateReportRequest::SCOPE_UNSPECIFIED ||
        !v1::GetRateReportRequest::Scope_IsValid(scope)) {
      return FieldError("scope", "must be COUNTY, CITY or HOST");
    }
    domain::RateQuery query;
    query.scope = scope;
    if (!request->region().empty()) {
      PEIXUN_ASSIGN_OR_RETURN(const RegionName region,
                              RegionName::Parse(request->region(), "region"));
      query.region = region.Format();
    }
    if (request->plan_levels_size() > 4)
      return FieldError("plan_levels", "must name at most 4 plan levels");
    for (int level : request->plan_levels()) {
      if (level == common::v1::PLAN_LEVEL_UNSPECIFIED || !common::v1::PlanLevel_IsValid(level))
        return FieldError("plan_levels", "must be NATIONAL, PROVINCIAL, CITY, COUNTY or SCHOOL");
      query.plan_levels.insert(level);
    }
    PEIXUN_ASSIGN_OR_RETURN(*response, rates_.Report(year, project_id, query));
    response->set_year(request->year());
    response->set_project(request->project());
    absl::Time now = platform_.clock().Now();
    response->mutable_as_of()->set_seconds(absl::ToUnixSeconds(now));
    return absl::OkStatus();
  });
}

grpc::Status EnrollmentService::ListAuditEntries(grpc::ServerContext* context,
                                                 const common::v1::ListAuditEntriesRequest* request,
                                                 common::v1::ListAuditEntriesResponse* response) {
  return handlers_.ListAuditEntries(context, request, response);
}

grpc::Status EnrollmentService::WatchEvents(grpc::ServerContext* context,
                                            const common::v1::WatchEventsRequest* request,
                                            grpc::ServerWriter<common::v1::Event>* writer) {
  // Policies are the only events without teachers' personal data in them.
  return handlers_.WatchEvents(context, request, writer, {"enrollment.policy."});
}

}  // namespace peixun::enrollment
