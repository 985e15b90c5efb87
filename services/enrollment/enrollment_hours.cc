// Hours that schools and counties report: a county's rows checked, capped
// and registered in one transaction, a result per row.
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/events/outbox.h"
#include "common/util/names.h"
#include "common/util/status.h"
#include "services/enrollment/domain/hours_reports.h"
#include "services/enrollment/domain/research_plans.h"
#include "services/enrollment/enrollment_service.h"

namespace peixun::enrollment {

grpc::Status EnrollmentService::RegisterHours(grpc::ServerContext* context,
                                              const v1::RegisterHoursRequest* request,
                                              v1::RegisterHoursResponse* response) {
  return Handle(
      context, "RegisterHours", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const RegionName county,
                                RegionName::ParseCounty(request->county(), "county"));
        const int rows = request->reports_size();
        if (rows < 1 || rows > domain::kMaxReportsPerCall) {
          return FieldError("reports", absl::StrCat("must hold 1 to ", domain::kMaxReportsPerCall,
                                                    " rows, not ", rows));
        }
        return Mutate(
            caller, "RegisterHours", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              auth::Resource resource;
              resource.name = request->county();
              resource.county = county.code;
              if (auto region = EnrollmentStore::FindRegion(c, county.code))
                resource.city = domain::CityCodeOf(*region);
              PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
              response->Clear();
              PEIXUN_RETURN_IF_ERROR(RegisterReportedHours(
                  c, county.code, request->reports(), caller.subject, response->mutable_results()));
              events::AppendEvent(c, "enrollment.hours.registered", request->county(), *response);
              return absl::OkStatus();
            });
      });
}

absl::Status EnrollmentService::RegisterReportedHours(
    db::Connection& c, const std::string& county_code,
    const google::protobuf::RepeatedPtrField<v1::HoursReport>& reports, const std::string& approver,
    google::protobuf::RepeatedPtrField<v1::HoursReportResult>* results) {
  using Result = v1::HoursReportResult;
  const int rows = reports.size();
  const absl::CivilDay today = Today();
  PEIXUN_ASSIGN_OR_RETURN(v1::EnrollmentPolicy policy,
                          EnrollmentStore::GetPolicy(c, static_cast<int>(today.year()), 0));
  const domain::CyclePolicy cycle = domain::CyclePolicyOf(policy);
  // Each row checked alone; a bad row is refused with its field.
  std::vector<absl::StatusOr<domain::ReportedHours>> checked;
  std::set<std::string> teacher_ids;
  for (int i = 0; i < rows; ++i) {
    checked.push_back(domain::CheckReport(reports.Get(i), i, today, cycle, approver));
    if (checked.back().ok()) teacher_ids.insert(checked.back()->entry.teacher_id);
  }
  const std::vector<std::string> ids(teacher_ids.begin(), teacher_ids.end());
  const auto places = EnrollmentStore::LockTeacherPlaces(c, ids);
  // the county's approved plans, read when a row first needs them.
  std::optional<std::set<std::pair<std::string, int>>> approved_plans;
  std::map<domain::HourSource, std::vector<std::string>> keys;
  for (const auto& row : checked) {
    if (row.ok()) keys[row->entry.source].push_back(row->entry.source_key);
  }
  std::map<std::pair<domain::HourSource, std::string>, std::pair<int64_t, int>> held;
  for (const auto& [source, of_source] : keys) {
    for (auto& [key, entry] : EnrollmentStore::RegisteredBySourceKey(c, source, of_source))
      held[{source, key}] = entry;
  }
  domain::WorkshopCap cap(cycle);
  for (const auto& [teacher_year, hours] : EnrollmentStore::WorkshopHoursHeld(c, ids))
    cap.Holds(teacher_year.first, teacher_year.second, hours);

  std::vector<domain::HourEntry> entries;
  for (int i = 0; i < rows; ++i) {
    Result* result = results->Add();
    result->set_index(i);
    const auto& row = checked[static_cast<size_t>(i)];
    if (!row.ok()) {
      result->set_outcome(Result::REFUSED);
      result->set_reason(std::string(row.status().message()));
      continue;
    }
    const domain::HourEntry& asked = row->entry;
    auto teacher = places.find(asked.teacher_id);
    if (teacher == places.end() || teacher->second.county_code != county_code) {
      result->set_outcome(Result::REFUSED);
      result->set_reason(
          absl::StrCat("reports[", i, "].teacher: teachers/", asked.teacher_id,
                       teacher == places.end()
                           ? " does not exist"
                           : absl::StrCat(" is a teacher of regions/", teacher->second.county_code,
                                          ", not of regions/", county_code)));
      continue;
    }
    // a registered school's research hours follow its approved plan.
    if (asked.source == domain::HourSource::kSchoolResearch && !teacher->second.school_id.empty()) {
      if (!approved_plans) approved_plans = EnrollmentStore::ApprovedResearchPlans(c, county_code);
      absl::Status planned = domain::CheckResearchPlanApproved(
          county_code, teacher->second.school_id, asked.school_year, *approved_plans);
      if (!planned.ok()) {
        result->set_outcome(Result::REFUSED);
        result->set_reason(absl::StrCat("reports[", i, "]: ", planned.message()));
        continue;
      }
    }
    // Registered before, by an earlier call or an earlier row of this one.
    if (auto it = held.find({asked.source, asked.source_key}); it != held.end()) {
      result->set_outcome(Result::ALREADY_REGISTERED);
      result->set_credit_hours(it->second.second);
      if (it->second.first > 0) {
        result->set_hour_entry(
            absl::StrCat("teachers/", asked.teacher_id, "/hourEntries/", it->second.first));
      }
      continue;
    }
    const auto [hours, why] = cap.Take(*row);
    if (hours == 0) {
      result->set_outcome(Result::REFUSED);
      result->set_reason(why);
      continue;
    }
    domain::HourEntry entry = asked;
    entry.hours = hours;
    entry.description = reports.Get(i).description();
    held[{entry.source, entry.source_key}] = {0, hours};
    result->set_outcome(hours < row->asked ? Result::CAPPED : Result::REGISTERED);
    result->set_credit_hours(hours);
    result->set_reason(why);
    entries.push_back(std::move(entry));
  }
  if (entries.empty()) return absl::OkStatus();
  EnrollmentStore::RegisterHoursBatch(c, entries);
  // The new entries' names, read back by their keys.
  for (const auto& [source, of_source] : keys) {
    for (auto& [key, entry] : EnrollmentStore::RegisteredBySourceKey(c, source, of_source))
      held[{source, key}] = entry;
  }
  for (int i = 0; i < rows; ++i) {
    Result& result = results->at(i);
    const auto& row = checked[static_cast<size_t>(i)];
    if (!row.ok() || !result.hour_entry().empty() || result.outcome() == Result::REFUSED) continue;
    auto it = held.find({row->entry.source, row->entry.source_key});
    if (it != held.end() && it->second.first > 0) {
      result.set_hour_entry(
          absl::StrCat("teachers/", row->entry.teacher_id, "/hourEntries/", it->second.first));
    }
  }
  return absl::OkStatus();
}

}  // namespace peixun::enrollment
