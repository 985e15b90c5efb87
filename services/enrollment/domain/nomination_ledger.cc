#include "services/enrollment/domain/nomination_ledger.h"

#include "absl/strings/str_cat.h"
#include "common/util/status.h"

namespace peixun::enrollment::domain {
namespace {

absl::CivilDay DayOf(const common::v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

NominationDecision Refused(absl::Status status) {
  NominationDecision decision;
  decision.rule = RuleOf(status);
  decision.status = std::move(status);
  return decision;
}

NominationDecision AskCatalog(absl::Status status, int32_t seats_in_copy) {
  NominationDecision decision = Refused(std::move(status));
  decision.ask_catalog = true;
  decision.seats_in_copy = seats_in_copy;
  return decision;
}

}  // namespace

NominationLedger::NominationLedger(NominationFacts facts, bool catalog_current)
    : facts_(std::move(facts)), catalog_current_(catalog_current) {}

NominationDecision NominationLedger::Judge(const NominationRequest& request,
                                           const std::string& enrollment) {
  const std::string teacher_name = "teachers/" + request.teacher_id;
  const std::string project_name =
      absl::StrCat("years/", request.project.first, "/projects/", request.project.second);
  auto teacher = facts_.teachers.find(request.teacher_id);
  if (teacher == facts_.teachers.end()) {
    return Refused(absl::NotFoundError(absl::StrCat(teacher_name, " does not exist")));
  }
  const v1::Teacher& t = teacher->second;
  if (t.county() != "regions/" + request.county) {
    return Refused(RuleError(absl::StatusCode::kPermissionDenied, "R-7",
                             absl::StrCat("a county nominates its own teachers only; ",
                                          teacher_name, " belongs to ", t.county())));
  }
  auto project_facts = facts_.projects.find(request.project);
  if (project_facts == facts_.projects.end() || !project_facts->second.deadline) {
    return AskCatalog(catalog_current_ ? absl::NotFoundError(absl::StrCat(
                                             project_name, " does not exist in the catalog"))
                                       : absl::UnavailableError(absl::StrCat(
                                             project_name,
                                             " is not in the local copy of the catalog and catalog "
                                             "cannot be reached now; retry later")),
                      -1);
  }
  const catalog_v1::Project& project = project_facts->second.project;

  const absl::CivilDay training_start = DayOf(project.start_date());
  if (absl::Status closed =
          CheckNominationOpen(request.today, *project_facts->second.deadline, training_start);
      !closed.ok()) {
    return Refused(std::move(closed));
  }
  if (project.plan_level() == common::v1::NATIONAL ||
      project.plan_level() == common::v1::PROVINCIAL) {
    // a bar covers 国培 and 省培 training that starts while it lasts.
    auto bar = facts_.barred_until.find(request.teacher_id);
    if (bar != facts_.barred_until.end()) {
      if (absl::Status barred = CheckNotBlacklisted(training_start, bar->second, false);
          !barred.ok()) {
        return Refused(std::move(barred));
      }
    }
  }
  auto region = facts_.regions.find(request.county);
  const catalog_v1::Region* county = region == facts_.regions.end() ? nullptr : &region->second;
  TeacherProfile profile{t, county ? CityCodeOf(*county) : ""};
  if (absl::Status ineligible =
          CheckEligibility(project.audience(), profile, request.project.first);
      !ineligible.ok()) {
    NominationDecision decision = Refused(std::move(ineligible));
    decision.record_ineligible = true;
    return decision;
  }
  EnrollmentSpan candidate{"",
                           project.name(),
                           project.display_name(),
                           project.category(),
                           request.project.first,
                           training_start,
                           DayOf(project.end_date())};
  std::vector<EnrollmentSpan>& spans = facts_.live_spans[request.teacher_id];
  if (absl::Status repeated = CheckNoRepetition(spans, candidate); !repeated.ok()) {
    return Refused(std::move(repeated));
  }
  const std::string county_label = county ? county->display_name() : request.county;
  auto& seats = facts_.quotas[request.project];
  auto quota = seats.find(request.county);
  if (quota == seats.end()) {
    return AskCatalog(RuleError("R-7", absl::StrCat("quota exhausted: ", county_label,
                                                    " has no seats in ", project.display_name())),
                      -1);
  }
  if (absl::Status full = CheckSeatFree(quota->second.seats, quota->second.held, county_label);
      !full.ok()) {
    return AskCatalog(std::move(full), quota->second.seats);
  }
  ++quota->second.held;
  candidate.enrollment = enrollment;
  spans.push_back(std::move(candidate));
  NominationDecision accepted;
  accepted.rural = t.rural();
  return accepted;
}

}  // namespace peixun::enrollment::domain
