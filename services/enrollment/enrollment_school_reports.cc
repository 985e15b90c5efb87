// Schools' reports of their teachers' hours of school-based research (校本研修学时, R-32): the
// school sends a school year's rows under its approved plan, each row answered at once; the
// county's teacher training school verifies (核准) the report into the ledger, refusing rows
// with a reason, or returns it to the school.
#include <map>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/events/outbox.h"
#include "common/util/names.h"
#include "common/util/status.h"
#include "common/util/updates.h"
#include "services/enrollment/domain/school_hours_reports.h"
#include "services/enrollment/enrollment_service.h"
#include "services/enrollment/school_names.h"

namespace peixun::enrollment {

namespace {

constexpr absl::string_view kReports = "hoursReports";

// The report and what the access policy needs to know of it, read in the caller's transaction
// (locked for a review).
struct LoadedReport {
  SchoolKey key;
  v1::SchoolHoursReport report;
};

absl::StatusOr<LoadedReport> LoadReport(db::Connection& c, const auth::Access& caller,
                                        const SchoolKey& key, const std::string& name,
                                        bool for_update) {
  PEIXUN_ASSIGN_OR_RETURN(const auth::Resource resource, SchoolResource(c, key, name));
  PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
  auto report = EnrollmentStore::FindSchoolHoursReport(c, key.county, key.school, key.school_year,
                                                       for_update, true);
  if (!report) return absl::NotFoundError(absl::StrCat(name, " does not exist"));
  return LoadedReport{key, *std::move(report)};
}

// A reason RegisterReportedHours wrote about its own row `reports[k]`, said of the report's row.
std::string OfRow(const std::string& reason, int k, int row) {
  const std::string own = absl::StrCat("reports[", k, "]");
  if (!absl::StartsWith(reason, own)) return reason;
  return absl::StrCat("rows[", row, "]", reason.substr(own.size()));
}

}  // namespace

grpc::Status EnrollmentService::SubmitSchoolHoursReport(
    grpc::ServerContext* context, const v1::SubmitSchoolHoursReportRequest* request,
    v1::SchoolHoursReport* response) {
  return Handle(
      context, "SubmitSchoolHoursReport", *request,
      [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const SchoolKey school,
                                ParseSchool(request->parent(), "parent", false));
        const v1::SchoolHoursReport& sent = request->hours_report();
        PEIXUN_RETURN_IF_ERROR(domain::CheckHoursReport(sent));
        const absl::CivilDay today = Today();
        return Mutate(
            caller, "SubmitSchoolHoursReport", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_RETURN_IF_ERROR(CheckRegisteredSchool(c, caller, school, request->parent()));
              auto existing = EnrollmentStore::FindSchoolHoursReport(
                  c, school.county, school.school, sent.school_year(), true, false);
              std::optional<v1::SchoolHoursReport::State> state;
              if (existing) state = existing->state();
              auto plan = EnrollmentStore::FindResearchPlan(c, school.county, school.school,
                                                            sent.school_year(), false);
              const bool approved = plan && plan->state() == v1::ResearchPlan::APPROVED;
              PEIXUN_RETURN_IF_ERROR(
                  domain::DecideReportSubmission(state, sent.school_year(), approved, today));
              std::vector<std::string> ids;
              for (const auto& row : sent.rows()) {
                if (auto teacher = TeacherName::Parse(row.teacher(), "teacher"); teacher.ok())
                  ids.push_back(teacher->teacher);
              }
              const v1::SchoolHoursReport decided = domain::DecideReportRows(
                  sent, school.county, school.school, EnrollmentStore::LockTeacherPlaces(c, ids));
              EnrollmentStore::SubmitSchoolHoursReport(c, school.county, school.school, decided,
                                                       caller.subject);
              *response = *EnrollmentStore::FindSchoolHoursReport(c, school.county, school.school,
                                                                  sent.school_year(), false, true);
              events::AppendEvent(c, "enrollment.school_hours_report.submitted", response->name(),
                                  *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EnrollmentService::GetSchoolHoursReport(grpc::ServerContext* context,
                                                     const v1::GetSchoolHoursReportRequest* request,
                                                     v1::SchoolHoursReport* response) {
  return Handle(context, "GetSchoolHoursReport", *request,
                [&](const auth::Access& caller) -> absl::Status {
                  PEIXUN_ASSIGN_OR_RETURN(const SchoolKey key,
                                          ParseSchoolYearName(request->name(), kReports, "name"));
                  return handlers_.Read([&](db::Connection& c) -> absl::Status {
                    PEIXUN_ASSIGN_OR_RETURN(LoadedReport loaded,
                                            LoadReport(c, caller, key, request->name(), false));
                    *response = std::move(loaded.report);
                    return absl::OkStatus();
                  });
                });
}

grpc::Status EnrollmentService::ListSchoolHoursReports(
    grpc::ServerContext* context, const v1::ListSchoolHoursReportsRequest* request,
    v1::ListSchoolHoursReportsResponse* response) {
  return Handle(
      context, "ListSchoolHoursReports", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const SchoolYearList list,
                                ParseSchoolYearList<v1::SchoolHoursReport::State>(*request));
        std::vector<v1::SchoolHoursReport> items;
        PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(const auth::Resource resource,
                                  SchoolResource(c, list.key, request->parent()));
          PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
          items = EnrollmentStore::ListSchoolHoursReports(
              c, list.key.county, list.School(), list.state, list.school_year, list.after_school,
              list.after_year, list.page.limit());
          return absl::OkStatus();
        }));
        response->set_next_page_token(
            list.page.Keep(items, [](const v1::SchoolHoursReport& report) {
              return SchoolYearPageKey(report.name(), report.school_year());
            }));
        for (auto& report : items) *response->add_hours_reports() = std::move(report);
        return absl::OkStatus();
      });
}

grpc::Status EnrollmentService::VerifySchoolHoursReport(
    grpc::ServerContext* context, const v1::VerifySchoolHoursReportRequest* request,
    v1::SchoolHoursReport* response) {
  using Result = v1::HoursReportResult;
  return Handle(
      context, "VerifySchoolHoursReport", *request,
      [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const SchoolKey key,
                                ParseSchoolYearName(request->name(), kReports, "name"));
        if (request->refusals_size() > domain::kMaxHoursReportRows) {
          return FieldError("refusals", absl::StrCat("must hold at most ",
                                                     domain::kMaxHoursReportRows, " refusals"));
        }
        const absl::CivilDay today = Today();
        return Mutate(
            caller, "VerifySchoolHoursReport", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(LoadedReport loaded,
                                      LoadReport(c, caller, key, request->name(), true));
              v1::SchoolHoursReport& report = loaded.report;
              PEIXUN_RETURN_IF_ERROR(CheckEtag(request->etag(), report.etag(), request->name()));
              PEIXUN_RETURN_IF_ERROR(domain::DecideReportReview(report.state(), true, ""));
              PEIXUN_ASSIGN_OR_RETURN(const auto refused,
                                      domain::DecideVerification(report, *request));
              const auto school =
                  EnrollmentStore::FindSchool(c, loaded.key.county, loaded.key.school);
              const std::string school_name = school ? school->display_name() : loaded.key.school;
              const absl::CivilDay day = domain::ReportEntryDay(report.school_year(), today);
              // The waiting rows the training school keeps, as rows of RegisterHours.
              google::protobuf::RepeatedPtrField<v1::HoursReport> rows;
              std::vector<int> row_of;
              for (int i = 0; i < report.rows_size(); ++i) {
                v1::SchoolHoursReport::Row& row = *report.mutable_rows(i);
                if (row.has_result()) continue;
                if (auto it = refused.find(row.teacher()); it != refused.end()) {
                  row.mutable_result()->set_index(i);
                  row.mutable_result()->set_outcome(Result::REFUSED);
                  row.mutable_result()->set_reason(
                      absl::StrCat("rows[", i, "]: refused by the training school: ", it->second));
                  continue;
                }
                v1::HoursReport& out = *rows.Add();
                out.set_teacher(row.teacher());
                out.set_source_kind(v1::HourEntry::SCHOOL_RESEARCH);
                out.set_credit_hours(row.credit_hours());
                out.mutable_date()->set_year(static_cast<int32_t>(day.year()));
                out.mutable_date()->set_month(day.month());
                out.mutable_date()->set_day(day.day());
                out.set_description(domain::ReportedHoursDescription(
                    school_name, report.school_year(), row.note()));
                row_of.push_back(i);
              }
              google::protobuf::RepeatedPtrField<Result> results;
              if (!rows.empty()) {
                PEIXUN_RETURN_IF_ERROR(
                    RegisterReportedHours(c, loaded.key.county, rows, caller.subject, &results));
              }
              int registered = 0;
              for (int k = 0; k < results.size(); ++k) {
                Result result = results.Get(k);
                const int i = row_of[static_cast<size_t>(k)];
                result.set_index(i);
                result.set_reason(OfRow(result.reason(), k, i));
                if (result.outcome() == Result::REGISTERED || result.outcome() == Result::CAPPED)
                  registered += result.credit_hours();
                *report.mutable_rows(i)->mutable_result() = std::move(result);
              }
              report.set_state(v1::SchoolHoursReport::VERIFIED);
              report.set_registered_hours(registered);
              report.clear_review_reason();
              EnrollmentStore::ReviewSchoolHoursReport(c, loaded.key.county, loaded.key.school,
                                                       report, caller.subject);
              *response = *EnrollmentStore::FindSchoolHoursReport(
                  c, loaded.key.county, loaded.key.school, report.school_year(), false, true);
              events::AppendEvent(c, "enrollment.school_hours_report.verified", response->name(),
                                  *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EnrollmentService::ReturnSchoolHoursReport(
    grpc::ServerContext* context, const v1::ReturnSchoolHoursReportRequest* request,
    v1::SchoolHoursReport* response) {
  return Handle(
      context, "ReturnSchoolHoursReport", *request,
      [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const SchoolKey key,
                                ParseSchoolYearName(request->name(), kReports, "name"));
        return Mutate(
            caller, "ReturnSchoolHoursReport", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(LoadedReport loaded,
                                      LoadReport(c, caller, key, request->name(), true));
              v1::SchoolHoursReport& report = loaded.report;
              PEIXUN_RETURN_IF_ERROR(CheckEtag(request->etag(), report.etag(), request->name()));
              PEIXUN_RETURN_IF_ERROR(
                  domain::DecideReportReview(report.state(), false, request->reason()));
              report.set_state(v1::SchoolHoursReport::RETURNED);
              report.set_review_reason(request->reason());
              report.set_registered_hours(0);
              EnrollmentStore::ReviewSchoolHoursReport(c, loaded.key.county, loaded.key.school,
                                                       report, caller.subject);
              *response = *EnrollmentStore::FindSchoolHoursReport(
                  c, loaded.key.county, loaded.key.school, report.school_year(), false, true);
              events::AppendEvent(c, "enrollment.school_hours_report.returned", response->name(),
                                  *response);
              return absl::OkStatus();
            });
      });
}

}  // namespace peixun::enrollment
