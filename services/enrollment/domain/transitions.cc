#include "services/enrollment/domain/transitions.h"

#include "absl/strings/str_cat.h"
#include "common/util/status.h"

namespace peixun::enrollment::domain {

namespace {

std::optional<Bar> BarOf(v1::EnrollmentState outcome, v1::Enrollment::ReasonReview review,
                         absl::CivilDay training_end, const BlacklistPolicy& policy) {
  if (!CausesBlacklist(outcome, review)) return std::nullopt;
  return Bar{outcome, training_end, BlacklistEnd(training_end, policy)};
}

}  // namespace

absl::StatusOr<TransitionDecision> DecideTransition(const TransitionFacts& facts) {
  PEIXUN_RETURN_IF_ERROR(CheckTransition(facts.from, facts.to));
  if (facts.to == v1::WITHDRAWN) {
    if (!facts.deadline.has_value())
      return absl::UnavailableError("the year is missing from the local catalog copy");
    PEIXUN_RETURN_IF_ERROR(CheckBeforeDeadline(facts.today, *facts.deadline));
  } else {
    PEIXUN_RETURN_IF_ERROR(CheckTransitionDay(facts.to, facts.today, facts.training));
  }
  TransitionDecision decision;
  decision.credit_hours =
      facts.to == v1::COMPLETED ? facts.project_credit_hours : facts.enrollment_credit_hours;
  const bool special = facts.to == v1::NO_SHOW && !facts.special_reason.empty();
  decision.history_reason = special ? facts.special_reason : facts.reason;
  if (special) decision.review = v1::Enrollment::PENDING;
  decision.bar = BarOf(facts.to, decision.review, facts.training.end, facts.bar_policy);
  return decision;
}

absl::StatusOr<ReviewDecision> DecideNoShowReview(const v1::Enrollment& enrollment, bool approve,
                                                  const std::string& comment,
                                                  absl::CivilDay training_end,
                                                  const BlacklistPolicy& bar_policy) {
  if (enrollment.state() != v1::NO_SHOW || enrollment.no_show_review() != v1::Enrollment::PENDING) {
    return RuleError(
        "R-12", absl::StrCat("there is no special reason awaiting review on ", enrollment.name(),
                             " (", StateLabel(enrollment.state()), ")"));
  }
  ReviewDecision decision;
  decision.review = approve ? v1::Enrollment::APPROVED : v1::Enrollment::REFUSED;
  decision.history_reason =
      absl::StrCat(approve ? "special reason approved" : "special reason refused",
                   comment.empty() ? "" : ": ", comment);
  decision.bar = BarOf(v1::NO_SHOW, decision.review, training_end, bar_policy);
  return decision;
}

absl::Status CheckFoundIneligible(const v1::Enrollment& enrollment, absl::CivilDay today,
                                  const TrainingDays& training) {
  if (enrollment.state() != v1::NOMINATED && enrollment.state() != v1::CHECKED_IN) {
    return RuleError("R-9", absl::StrCat(enrollment.name(), " is ", StateLabel(enrollment.state()),
                                         "; only a trainee who came to 报到 (nominated or "
                                         "checked in) can be found ineligible"));
  }
  if (!enrollment.found_ineligible().empty()) {
    return RuleError("R-9", absl::StrCat(enrollment.name(), " was already reported ineligible: ",
                                         enrollment.found_ineligible()));
  }
  return CheckTransitionDay(v1::CHECKED_IN, today, training);
}

}  // namespace peixun::enrollment::domain
