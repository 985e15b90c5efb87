// Enrollment's state changes after nomination, what the host reports at 报到, and
// the blacklist they cause.
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/db/rows.h"
#include "common/events/outbox.h"
#include "common/util/filter.h"
#include "common/util/ids.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "common/util/updates.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "services/enrollment/domain/hour_ledger.h"
#include "services/enrollment/domain/transitions.h"
#include "services/enrollment/enrollment_service.h"

namespace peixun::enrollment {

EnrollmentService::TransitionInput EnrollmentService::InputOf(
    const v1::TransitionRequest& request) {
  return {request.name(), request.etag(), request.reason(), request.request_id(), ""};
}

namespace {

// the policy in force in the enrollment's year sets a bar's length.
domain::BlacklistPolicy BarPolicyOf(db::Connection& c, int year) {
  auto policy = EnrollmentStore::GetPolicy(c, year, 0);
  return domain::BlacklistPolicyOf(policy.ok() ? *policy : domain::DefaultEnrollmentPolicy());
}

void SetDate(absl::CivilDay day, common::v1::Date* date) {
  date->set_year(static_cast<int32_t>(day.year()));
  date->set_month(day.month());
  date->set_day(day.day());
}

// records the bar an outcome caused.
void RecordBlacklist(db::Connection& c, const v1::Enrollment& enrollment, const domain::Bar& bar) {
  v1::BlacklistEntry entry;
  entry.set_cause(bar.cause);
  SetDate(bar.start, entry.mutable_start_date());
  SetDate(bar.end, entry.mutable_end_date());
  const std::string entry_id = NewId("b");
  const std::string teacher_id = LastSegment(enrollment.teacher());
  EnrollmentStore::InsertBlacklistEntry(c, entry_id, entry, teacher_id,
                                        LastSegment(enrollment.county()),
                                        LastSegment(enrollment.name()));
  auto stored = EnrollmentStore::FindBlacklistEntry(c, entry_id, false);
  events::AppendEvent(c, "enrollment.blacklist.created", stored->name(), *stored);
}

domain::TrainingDays TrainingOf(const catalog_v1::Project& project) {
  return {db::CivilDayOf(project.start_date()), db::CivilDayOf(project.end_date())};
}

// An enrollment locked for a change, with its project from the catalog copy, once the caller's
// etag and scope (the nominating county, the project's host) allow the change.
struct LockedEnrollment {
  v1::Enrollment enrollment;
  int year = 0;
  std::string project_id;
  catalog_v1::Project project;
};

absl::StatusOr<LockedEnrollment> LockInScope(db::Connection& c, const auth::Access& caller,
                                             const std::string& id, const std::string& etag) {
  LockedEnrollment locked;
  PEIXUN_ASSIGN_OR_RETURN(locked.enrollment, EnrollmentStore::GetEnrollment(c, id, true));
  const v1::Enrollment& enrollment = locked.enrollment;
  PEIXUN_RETURN_IF_ERROR(CheckEtag(etag, enrollment.etag(), enrollment.name()));
  PEIXUN_ASSIGN_OR_RETURN(const ProjectName name,
                          ProjectName::Parse(enrollment.project(), "project"));
  locked.year = name.year;
  locked.project_id = name.project;
  auto project = EnrollmentStore::FindProject(c, locked.year, locked.project_id);
  if (!project) return absl::UnavailableError("the project is missing from the local catalog copy");
  locked.project = std::move(*project);
  // the county that nominated withdraws; the project's host records arrival,
  // completion and what it finds at 报到 (the access policy says who has which).
  auth::Resource resource;
  resource.name = enrollment.name();
  resource.county = LastSegment(enrollment.county());
  resource.host = locked.project.host();
  PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
  return locked;
}

}  // namespace

grpc::Status EnrollmentService::Transition(grpc::ServerContext* context,
                                           const google::protobuf::Message& request,
                                           const TransitionInput& input, v1::EnrollmentState to,
                                           absl::string_view method, v1::Enrollment* response) {
  return Handle(context, method, request, [&](const auth::Access& caller) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(std::string id,
                            ParseId(input.name, "enrollments/{enrollment}", "enrollment", "name"));
    if (input.reason.size() > 255 || input.special_reason.size() > 255) {
      return FieldError("reason", "must be at most 255 bytes");
    }
    const absl::CivilDay today = Today();
    return Mutate(
        caller, method, request, input.request_id, response,
        [&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(LockedEnrollment locked, LockInScope(c, caller, id, input.etag));
          const v1::Enrollment& enrollment = locked.enrollment;
          domain::TransitionFacts facts{enrollment.state(),
                                        to,
                                        today,
                                        std::nullopt,
                                        TrainingOf(locked.project),
                                        enrollment.credit_hours(),
                                        locked.project.credit_hours(),
                                        input.reason,
                                        input.special_reason,
                                        {}};
          // The bar's policy is read only for an outcome that can bar.
          if (domain::CausesBlacklist(to, input.special_reason.empty()
                                              ? v1::Enrollment::REASON_REVIEW_UNSPECIFIED
                                              : v1::Enrollment::PENDING))
            facts.bar_policy = BarPolicyOf(c, locked.year);
          if (to == v1::WITHDRAWN) facts.deadline = EnrollmentStore::FindDeadline(c, locked.year);
          PEIXUN_ASSIGN_OR_RETURN(const domain::TransitionDecision decision,
                                  domain::DecideTransition(facts));
          EnrollmentStore::SetState(c, id, to, decision.credit_hours);
          if (to == v1::COMPLETED) {
            // the hours enter the ledger in the completion's own transaction.
            EnrollmentStore::RegisterHours(
                c, domain::CompletionEntry(id, LastSegment(enrollment.teacher()), locked.year,
                                           decision.credit_hours, locked.project, caller.subject));
          }
          EnrollmentStore::AppendHistory(c, id, enrollment.state(), to, caller.subject,
                                         decision.history_reason);
          if (decision.review == v1::Enrollment::PENDING)
            EnrollmentStore::SetNoShowReview(c, id, input.special_reason, decision.review);
          if (decision.bar) RecordBlacklist(c, enrollment, *decision.bar);
          PEIXUN_ASSIGN_OR_RETURN(*response, EnrollmentStore::GetEnrollment(c, id));
          events::AppendEvent(c,
                              absl::StrCat("enrollment.enrollment.",
                                           absl::AsciiStrToLower(v1::EnrollmentState_Name(to))),
                              response->name(), *response);
          return absl::OkStatus();
        });
  });
}

grpc::Status EnrollmentService::WithdrawEnrollment(grpc::ServerContext* context,
                                                   const v1::TransitionRequest* request,
                                                   v1::Enrollment* response) {
  return Transition(context, *request, InputOf(*request), v1::WITHDRAWN, "WithdrawEnrollment",
                    response);
}

grpc::Status EnrollmentService::CheckIn(grpc::ServerContext* context,
                                        const v1::TransitionRequest* request,
                                        v1::Enrollment* response) {
  return Transition(context, *request, InputOf(*request), v1::CHECKED_IN, "CheckIn", response);
}

grpc::Status EnrollmentService::Complete(grpc::ServerContext* context,
                                         const v1::TransitionRequest* request,
                                         v1::Enrollment* response) {
  return Transition(context, *request, InputOf(*request), v1::COMPLETED, "Complete", response);
}

grpc::Status EnrollmentService::Dismiss(grpc::ServerContext* context,
                                        const v1::TransitionRequest* request,
                                        v1::Enrollment* response) {
  return Transition(context, *request, InputOf(*request), v1::DISMISSED, "Dismiss", response);
}

grpc::Status EnrollmentService::MarkNotCompleted(grpc::ServerContext* context,
                                                 const v1::TransitionRequest* request,
                                                 v1::Enrollment* response) {
  return Transition(context, *request, InputOf(*request), v1::NOT_COMPLETED, "MarkNotCompleted",
                    response);
}

grpc::Status EnrollmentService::MarkNoShow(grpc::ServerContext* context,
                                           const v1::MarkNoShowRequest* request,
                                           v1::Enrollment* response) {
  TransitionInput input{request->name(), request->etag(), "", request->request_id(),
                        request->special_reason()};
  return Transition(context, *request, input, v1::NO_SHOW, "MarkNoShow", response);
}

grpc::Status EnrollmentService::ReviewNoShowReason(grpc::ServerContext* context,
                                                   const v1::ReviewNoShowReasonRequest* request,
                                                   v1::Enrollment* response) {
  return Handle(
      context, "ReviewNoShowReason", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(std::string id, ParseId(request->name(), "enrollments/{enrollment}",
                                                        "enrollment", "name"));
        if (request->comment().size() > 255)
          return FieldError("comment", "must be at most 255 bytes");
        return Mutate(
            caller, "ReviewNoShowReason", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(v1::Enrollment enrollment,
                                      EnrollmentStore::GetEnrollment(c, id, true));
              PEIXUN_ASSIGN_OR_RETURN(const ProjectName name,
                                      ProjectName::Parse(enrollment.project(), "project"));
              auto project = EnrollmentStore::FindProject(c, name.year, name.project);
              if (!project)
                return absl::UnavailableError("the project is missing from the local catalog copy");
              PEIXUN_ASSIGN_OR_RETURN(
                  const domain::ReviewDecision decision,
                  domain::DecideNoShowReview(enrollment, request->approve(), request->comment(),
                                             TrainingOf(*project).end, BarPolicyOf(c, name.year)));
              EnrollmentStore::SetNoShowReview(c, id, enrollment.no_show_reason(), decision.review);
              EnrollmentStore::AppendHistory(c, id, v1::NO_SHOW, v1::NO_SHOW, caller.subject,
                                             decision.history_reason);
              if (decision.bar) RecordBlacklist(c, enrollment, *decision.bar);
              PEIXUN_ASSIGN_OR_RETURN(*response, EnrollmentStore::GetEnrollment(c, id));
              events::AppendEvent(c, "enrollment.enrollment.no_show_reviewed", response->name(),
                                  *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EnrollmentService::ReportIneligibleTrainee(
    grpc::ServerContext* context, const v1::ReportIneligibleTraineeRequest* request,
    v1::Enrollment* response) {
  return Handle(
      context, "ReportIneligibleTrainee", *request,
      [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(std::string id, ParseId(request->name(), "enrollments/{enrollment}",
                                                        "enrollment", "name"));
        if (request->condition().empty() || request->condition().size() > 255) {
          return FieldError("condition",
                            "must name the selection condition the trainee does not meet, in 1 "
                            "to 255 bytes (R-9)");
        }
        const absl::CivilDay today = Today();
        return Mutate(
            caller, "ReportIneligibleTrainee", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(LockedEnrollment locked,
                                      LockInScope(c, caller, id, request->etag()));
              const v1::Enrollment& enrollment = locked.enrollment;
              PEIXUN_RETURN_IF_ERROR(
                  domain::CheckFoundIneligible(enrollment, today, TrainingOf(locked.project)));
              EnrollmentStore::RecordFoundIneligible(c, enrollment, locked.year, locked.project_id,
                                                     request->condition(), caller.subject);
              EnrollmentStore::AppendHistory(
                  c, id, enrollment.state(), enrollment.state(), caller.subject,
                  absl::StrCat("不符合遴选条件: ", request->condition()));
              EnrollmentStore::BumpVersion(c, id);
              PEIXUN_ASSIGN_OR_RETURN(*response, EnrollmentStore::GetEnrollment(c, id));
              events::AppendEvent(c, "enrollment.enrollment.found_ineligible", response->name(),
                                  *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EnrollmentService::ListBlacklistEntries(grpc::ServerContext* context,
                                                     const v1::ListBlacklistEntriesRequest* request,
                                                     v1::ListBlacklistEntriesResponse* response) {
  return Handle(
      context, "ListBlacklistEntries", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto terms,
                                ParseFilter(request->filter(), {"teacher", "county", "active"}));
        std::string teacher;
        std::string county;
        int active = -1;
        if (const std::string* value = FilterValue(terms, "teacher")) {
          PEIXUN_ASSIGN_OR_RETURN(const TeacherName name,
                                  TeacherName::Parse(*value, "filter teacher"));
          teacher = name.teacher;
        }
        if (const std::string* value = FilterValue(terms, "county")) {
          PEIXUN_ASSIGN_OR_RETURN(const RegionName name,
                                  RegionName::Parse(*value, "filter county"));
          county = name.code;
        }
        PEIXUN_ASSIGN_OR_RETURN(const std::optional<bool> only_active, BoolTerm(terms, "active"));
        if (only_active) active = *only_active ? 1 : 0;
        PEIXUN_ASSIGN_OR_RETURN(
            const Page page,
            Page::Of(request->page_size(), request->page_token(), request->filter()));
        std::vector<v1::BlacklistEntry> entries;
        const absl::CivilDay today = Today();
        PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
          std::string city;
          PEIXUN_RETURN_IF_ERROR(NarrowToScope(c, caller, county, city, teacher));
          entries = EnrollmentStore::ListBlacklist(c, teacher, county, city, active, today,
                                                   page.after, page.limit());
          return absl::OkStatus();
        }));
        response->set_next_page_token(page.Keep(entries, LastSegmentOf<v1::BlacklistEntry>));
        for (auto& e : entries) *response->add_entries() = std::move(e);
        return absl::OkStatus();
      });
}

grpc::Status EnrollmentService::LiftBlacklistEntry(grpc::ServerContext* context,
                                                   const v1::LiftBlacklistEntryRequest* request,
                                                   v1::BlacklistEntry* response) {
  return Handle(
      context, "LiftBlacklistEntry", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(
            std::string entry_id,
            ParseId(request->name(), "teachers/{teacher}/blacklistEntries/{entry}", "entry",
                    "name"));
        if (request->reason().empty() || request->reason().size() > 255) {
          return FieldError("reason", "must say why the bar is lifted, in 1 to 255 bytes (R-12)");
        }
        return Mutate(
            caller, "LiftBlacklistEntry", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              auto entry = EnrollmentStore::FindBlacklistEntry(c, entry_id, true);
              if (!entry || entry->name() != request->name()) {
                return absl::NotFoundError(absl::StrCat(request->name(), " does not exist"));
              }
              if (entry->lifted()) {
                return RuleError("R-12", absl::StrCat(request->name(), " was already lifted by ",
                                                      entry->lifted_by()));
              }
              EnrollmentStore::LiftBlacklistEntry(c, entry_id, caller.subject, request->reason());
              *response = *EnrollmentStore::FindBlacklistEntry(c, entry_id, false);
              events::AppendEvent(c, "enrollment.blacklist.lifted", response->name(), *response);
              return absl::OkStatus();
            });
      });
}

}  // namespace peixun::enrollment
