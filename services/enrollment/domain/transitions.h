// What a state change after nomination decides and what the host reports at
// 报到, pure: the handler reads the facts in the change's transaction, asks here, and
// persists the decision (the new state and hours, the history step, the bar).
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "services/enrollment/domain/enrollment_rules.h"

namespace peixun::enrollment::domain {

// a bar an outcome causes, from the project's last day for the policy's years.
struct Bar {
  v1::EnrollmentState cause = v1::ENROLLMENT_STATE_UNSPECIFIED;
  absl::CivilDay start;
  absl::CivilDay end;
};

// Everything a transition of one enrollment is decided from.
struct TransitionFacts {
  v1::EnrollmentState from = v1::ENROLLMENT_STATE_UNSPECIFIED;
  v1::EnrollmentState to = v1::ENROLLMENT_STATE_UNSPECIFIED;
  absl::CivilDay today;
  std::optional<absl::CivilDay> deadline;  // the year's nomination deadline (for withdrawals)
  TrainingDays training;
  int enrollment_credit_hours = 0;  // what the enrollment holds now
  int project_credit_hours = 0;     // what the project gives on completion
  std::string reason;
  std::string special_reason;  // MarkNoShow: the reason the province is asked to accept
  BlacklistPolicy bar_policy;  // the policy of the enrollment's year
};

struct TransitionDecision {
  int credit_hours = 0;        // stored with the new state: R-15 registers them on COMPLETED
  std::string history_reason;  // the history step's reason
  // PENDING when a no-show's special reason waits for the province; nothing is barred
  // until it is reviewed.
  v1::Enrollment::ReasonReview review = v1::Enrollment::REASON_REVIEW_UNSPECIFIED;
  std::optional<Bar> bar;
};

// R-11 (the allowed step, its day, withdrawals before the deadline), R-15 (hours on
// completion), R-12 (the bar an outcome causes). A withdrawal without a known deadline is
// UNAVAILABLE (the year is missing from the catalog copy).
absl::StatusOr<TransitionDecision> DecideTransition(const TransitionFacts& facts);

struct ReviewDecision {
  v1::Enrollment::ReasonReview review = v1::Enrollment::REASON_REVIEW_UNSPECIFIED;
  std::string history_reason;
  std::optional<Bar> bar;  // a refused reason bars the teacher
};

// the province approves or refuses a no-show's special reason awaiting review; refused
// on anything else, naming the enrollment and its state.
absl::StatusOr<ReviewDecision> DecideNoShowReview(const v1::Enrollment& enrollment, bool approve,
                                                  const std::string& comment,
                                                  absl::CivilDay training_end,
                                                  const BlacklistPolicy& bar_policy);

// a trainee found not to meet the selection conditions at 报到 is one who came (nominated
// or checked in), on a day of the training, reported once.
absl::Status CheckFoundIneligible(const v1::Enrollment& enrollment, absl::CivilDay today,
                                  const TrainingDays& training);

}  // namespace peixun::enrollment::domain
