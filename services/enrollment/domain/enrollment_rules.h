// Enrollment's rules (DOMAIN.md ), pure: no SQL, no gRPC. Refusals are
// FAILED_PRECONDITION starting with the rule id and saying, in words a county clerk reads,
// what is wrong; bad input is INVALID_ARGUMENT naming the field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "peixun/enrollment/v1/enrollment.pb.h"

namespace peixun::enrollment::domain {

namespace v1 = ::peixun::enrollment::v1;
namespace catalog_v1 = ::peixun::catalog::v1;

// ---- Identity numbers (GB 11643) ----------------------------------------------------------

// 18 characters: 17 digits and a check character (0-9 or X) that matches the ISO 7064
// MOD 11-2 checksum; the embedded birth date must be a real date.
absl::Status ValidateIdNumber(absl::string_view id_number, absl::string_view field);
// The check character (ISO 7064 MOD 11-2) of 17 digits, for generators of test data.
char IdCheckCharacter(absl::string_view first17);
// "4101**********123X": region prefix and last four kept, the rest hidden.
std::string MaskIdNumber(absl::string_view id_number);
// the teacher as those not entitled to the ID number see it: the number masked, and
// nothing beside it that rebuilds it (the birth date is digits 7 to 14 of the number).
v1::Teacher MaskTeacher(v1::Teacher teacher);
// The birth date written in the ID number (characters 7-14).
absl::CivilDay BirthDateOf(absl::string_view id_number);

// ---- Teachers -----------------------------------------------------------------------------

// Validates an imported or updated teacher; the county is checked against regions elsewhere.
absl::Status ValidateTeacher(const v1::Teacher& teacher, int current_year);

// ---- Lifecycle (R-11) ---------------------------------------------------------------------

// NOMINATED -> CHECKED_IN -> COMPLETED | DISMISSED | NOT_COMPLETED;
// NOMINATED -> NO_SHOW | WITHDRAWN. Anything else names the current state.
absl::Status CheckTransition(v1::EnrollmentState from, v1::EnrollmentState to);
// The days a training runs, first and last included.
struct TrainingDays {
  absl::CivilDay start;
  absl::CivilDay end;
};
// R-11 on the calendar: arrival (报到) is recorded, and a no-show known, from the first training
// day on; completion and non-completion from the last; a dismissal while the class runs or
// after. Other transitions are not dated here (withdrawal closes with nominations, R-7).
absl::Status CheckTransitionDay(v1::EnrollmentState to, absl::CivilDay today,
                                const TrainingDays& training);
// A nomination that still holds a seat of the county's quota.
bool HoldsSeat(v1::EnrollmentState state);
// Chinese label for messages, e.g. "已报到".
std::string StateLabel(v1::EnrollmentState state);

// ---- Nomination (R-7, R-9, R-13) ----------------------------------------------------------

// nominations and withdrawals close at the end of the deadline day.
absl::Status CheckBeforeDeadline(absl::CivilDay today, absl::CivilDay deadline);
// nominations to a project close at the year's deadline or when its training
// starts, whichever comes first (the last day to nominate is the day before the first training
// day).
absl::Status CheckNominationOpen(absl::CivilDay today, absl::CivilDay deadline,
                                 absl::CivilDay training_start);
// one more seat is free when fewer than `quota` are held.
absl::Status CheckSeatFree(int32_t quota, int32_t held, absl::string_view county_label);

// What eligibility needs to know of a teacher, derived from the registry.
struct TeacherProfile {
  v1::Teacher teacher;
  std::string city_code;  // the county's city, for audience rules naming cities
};

// the project's audience rules against the teacher; names the first rule unmet.
// R-1, R-1a: whether teachers, county quotas and nominations belong to `region`: a county, or a
// directly administered city-level unit that is its own county-level unit (济源示范区).
bool IsCountyLevelUnit(const catalog_v1::Region& region);
// The code of the city a county-level unit reports under: a county's parent (a directly
// administered county's too, R-1b), or the unit itself where it is a city (R-1a).
std::string CityCodeOf(const catalog_v1::Region& county_level_unit);

absl::Status CheckEligibility(const catalog_v1::AudienceRules& audience,
                              const TeacherProfile& profile, int project_year);

// An enrollment as the no-repetition rule sees it.
struct EnrollmentSpan {
  std::string enrollment;  // resource name, empty for the candidate
  std::string project;     // "years/{y}/projects/{p}"
  std::string project_label;
  std::string category;  // "years/{y}/categories/{c}"
  int year = 0;
  absl::CivilDay start;
  absl::CivilDay end;
};

// no overlapping training dates with a live enrollment, and not two of one category in
// one year. `existing` holds the teacher's enrollments that are not WITHDRAWN.
absl::Status CheckNoRepetition(const std::vector<EnrollmentSpan>& existing,
                               const EnrollmentSpan& candidate);

// ---- Blacklist (R-12) ---------------------------------------------------------------------

struct BlacklistPolicy {
  int years = 3;  // (policy) barred for three years from the project's end date
};

// Whether an outcome bars the teacher: NO_SHOW without an approved reason, DISMISSED,
// NOT_COMPLETED.
bool CausesBlacklist(v1::EnrollmentState state, v1::Enrollment::ReasonReview review);
// Last day of the bar: the project's end date plus the policy's years.
absl::CivilDay BlacklistEnd(absl::CivilDay project_end, const BlacklistPolicy& policy);
// R-12 refusal when a bar covers the training: it is judged against the training's dates, not
// the day of nomination, so a training that starts after the bar's last day is open.
absl::Status CheckNotBlacklisted(absl::CivilDay training_start, absl::CivilDay bar_end,
                                 bool lifted);

// ---- Credit hours (R-14) ------------------------------------------------------------------

struct CyclePolicy {
  int anchor_year = 2021;  // (policy) a cycle starts in 2021, 2026, ...
  int length_years = 5;
  int required_credit_hours = 360;
  int required_off_site_days = 7;
  // What reported hours count in it (policy): R-32 school-based research a school year; R-14
  // workshop hours a day and at most a year; 002's 1+10+100 mentoring, once a cycle.
  int research_hours_per_school_year = 24;
  int workshop_hours_per_day = 6;
  int workshop_hours_per_year = 40;
  int mentoring_hours = 50;
  // a school year's plan is first submitted within this many days from September 1
  // ("before the second week", 003: 每学年开学第二周前).
  int plan_submission_days = 7;
};

// First and last year of the cycle holding `year`.
std::pair<int, int> CycleOf(int year, const CyclePolicy& policy);

// A completed training as the cycle counts it.
struct CompletedTraining {
  int year = 0;
  int credit_hours = 0;
  int off_site_days = 0;  // centralized days away from the teacher's county
};

// a teacher's standing in the cycle holding `year`, from completed trainings.
v1::CycleProgress ComputeCycleProgress(const std::string& teacher,
                                       const std::vector<CompletedTraining>& completed, int year,
                                       const CyclePolicy& policy);
// At risk: short of hours or of off-site days in the current cycle.
bool AtRisk(const v1::CycleProgress& progress);

// ---- The policy record (R-12, R-14) ---------------------------------------------------------

// The built-in defaults (version 0): 3 years of bar, 5-year cycles from 2021, 360 h, 7 days.
v1::EnrollmentPolicy DefaultEnrollmentPolicy();
// Checks a new version's figures and reason, naming the field and its allowed range.
absl::Status ValidateEnrollmentPolicy(const v1::EnrollmentPolicy& policy);
BlacklistPolicy BlacklistPolicyOf(const v1::EnrollmentPolicy& policy);
CyclePolicy CyclePolicyOf(const v1::EnrollmentPolicy& policy);
// A new version as sent, with the figures of what reported hours count that it
// leaves 0 taken from the version in force: a client that knows only the cycle's figures
// changes nothing else.
v1::EnrollmentPolicy WithHoursOfPolicyInForce(v1::EnrollmentPolicy sent,
                                              const v1::EnrollmentPolicy& in_force);

// ---- Rates (R-16) -------------------------------------------------------------------------

// What one report row adds up.
struct SeatCounts {
  int64_t quota = 0;
  int64_t nominated = 0;   // every state but WITHDRAWN
  int64_t checked_in = 0;  // CHECKED_IN and the outcomes after it
  int64_t completed = 0;
  int64_t no_show = 0;
  int64_t dismissed = 0;
  int64_t not_completed = 0;
  int64_t withdrawn = 0;
  int64_t ineligible = 0;        // nominations refused
  int64_t found_ineligible = 0;  // trainees sent and found ineligible at 报到
  int64_t rural_nominated = 0;
};

// Counts `n` enrollments in `state` (of rural teachers or not).
void AddOutcome(SeatCounts& counts, v1::EnrollmentState state, bool rural, int64_t n);
void Merge(SeatCounts& into, const SeatCounts& from);
// The report row: counts, under-reported seats (quota not filled, R-8), rates.
v1::RateRow ToRateRow(const std::string& key, const std::string& display_name,
                      const SeatCounts& counts);

// numerator / denominator in basis points (10000 = 100%), rounded half up; 0 when the
// denominator is 0.
int32_t RateBp(int64_t numerator, int64_t denominator);

}  // namespace peixun::enrollment::domain
