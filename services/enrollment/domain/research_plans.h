// Schools' plans of school-based research (校本研修方案, R-32), pure: what a plan must say, the
// deadline of its first submission, the states it moves through, and whether a teacher's
// research hours may be registered.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "peixun/enrollment/v1/enrollment.pb.h"

namespace peixun::enrollment::domain {

inline constexpr size_t kMaxPlanTitleBytes = 200;
inline constexpr size_t kMaxPlanContentBytes = 20000;
inline constexpr size_t kMaxReviewReasonBytes = 500;

// The last day a school year's plan is first submitted on: a school year starts on September 1
// (SchoolYearOf), and a plan is submitted within its first `submission_days` (policy: 7, "before
// the second week", 003: 每学年开学第二周前).
absl::CivilDay PlanDeadline(int school_year, int submission_days);

// school_year 2000 to 2100, a title and content within their sizes; errors name the
// field under "research_plan.".
absl::Status CheckPlan(const v1::ResearchPlan& plan);

// a plan submitted (`existing` its state, none when first submitted) on `today`: the
// first submission by the deadline; a returned plan again at any time; a plan waiting for
// review or approved is not replaced.
absl::Status DecideSubmission(std::optional<v1::ResearchPlan::State> existing, int school_year,
                              absl::CivilDay today, int submission_days);

// only a submitted plan is reviewed; a return says why (1 to 500 bytes).
absl::Status DecideReview(v1::ResearchPlan::State state, bool approve, const std::string& reason);

// a teacher's research hours of a school year are registered when the teacher's
// registered school (`school_id`, empty when its record names no registered school) has an
// approved plan of that year (`approved`: school id and school year). The refusal names the
// plan.
absl::Status CheckResearchPlanApproved(const std::string& county_code, const std::string& school_id,
                                       int school_year,
                                       const std::set<std::pair<std::string, int>>& approved);

}  // namespace peixun::enrollment::domain
