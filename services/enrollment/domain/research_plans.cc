#include "services/enrollment/domain/research_plans.h"

#include "absl/strings/str_cat.h"
#include "common/util/status.h"

namespace peixun::enrollment::domain {

absl::CivilDay PlanDeadline(int school_year, int submission_days) {
  return absl::CivilDay(school_year, 9, 1) + (submission_days - 1);
}

absl::Status CheckPlan(const v1::ResearchPlan& plan) {
  if (plan.school_year() < 2000 || plan.school_year() > 2100) {
    return FieldError("research_plan.school_year", "must be a year from 2000 to 2100");
  }
  if (plan.title().empty() || plan.title().size() > kMaxPlanTitleBytes) {
    return FieldError("research_plan.title",
                      absl::StrCat("must be 1 to ", kMaxPlanTitleBytes, " bytes"));
  }
  if (plan.content().empty() || plan.content().size() > kMaxPlanContentBytes) {
    return FieldError("research_plan.content",
                      absl::StrCat("must be 1 to ", kMaxPlanContentBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status DecideSubmission(std::optional<v1::ResearchPlan::State> existing, int school_year,
                              absl::CivilDay today, int submission_days) {
  if (!existing) {
    const absl::CivilDay deadline = PlanDeadline(school_year, submission_days);
    if (today > deadline) {
      return RuleError("R-32", absl::StrCat("plans of school year ", school_year, " were due by ",
                                            absl::FormatCivilTime(deadline),
                                            ", before its second week; today is ",
                                            absl::FormatCivilTime(today)));
    }
    return absl::OkStatus();
  }
  switch (*existing) {
    case v1::ResearchPlan::RETURNED:
      return absl::OkStatus();
    case v1::ResearchPlan::APPROVED:
      return absl::FailedPreconditionError(
          absl::StrCat("the plan of school year ", school_year, " is approved already"));
    default:
      return absl::FailedPreconditionError(absl::StrCat("the plan of school year ", school_year,
                                                        " is waiting for the training school"));
  }
}

absl::Status DecideReview(v1::ResearchPlan::State state, bool approve, const std::string& reason) {
  if (!approve && (reason.empty() || reason.size() > kMaxReviewReasonBytes)) {
    return FieldError("reason", absl::StrCat("a returned plan says why, in 1 to ",
                                             kMaxReviewReasonBytes, " bytes"));
  }
  if (reason.size() > kMaxReviewReasonBytes) {
    return FieldError("reason", absl::StrCat("must be at most ", kMaxReviewReasonBytes, " bytes"));
  }
  if (state != v1::ResearchPlan::SUBMITTED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "only a submitted plan is reviewed; this one is ", v1::ResearchPlan::State_Name(state)));
  }
  return absl::OkStatus();
}

absl::Status CheckResearchPlanApproved(const std::string& county_code, const std::string& school_id,
                                       int school_year,
                                       const std::set<std::pair<std::string, int>>& approved) {
  if (school_id.empty() || approved.count({school_id, school_year}) > 0) return absl::OkStatus();
  return RuleError("R-32", absl::StrCat("regions/", county_code, "/schools/", school_id,
                                        " has no approved plan of school year ", school_year,
                                        " (校本研修方案): its research hours wait for one"));
}

}  // namespace peixun::enrollment::domain
