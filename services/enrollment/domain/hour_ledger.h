// The credit-hour ledger, pure: every credit hour a teacher earns is one entry,
// registered exactly once by its source key; the cycle is computed from the entries.
#pragma once

#include <string>

#include "absl/time/civil_time.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "peixun/common/v1/common.pb.h"
#include "services/enrollment/domain/enrollment_rules.h"

namespace peixun::enrollment::domain {

// Where an entry's hours come from. Stored as its number: never renumber.
enum class HourSource {
  kCompletion = 1,  // a completed enrollment, any level; the key is the enrollment id
  kClaim = 2,       // an approved claim of hours earned elsewhere; the key is the claim id
  kSchoolResearch = 3,  // 校本研修 a school reported: "{teacher}/research/{school year}"
  kWorkshop = 4,        // a workshop session's days: "{teacher}/workshop/{session}"
  kMentoring = 5,       // 1+10+100 mentoring (002): "{teacher}/mentoring/{cycle's first year}"
};

struct HourEntry {
  std::string teacher_id;
  int hours = 0;
  int off_site_days = 0;  // centralized days away from the teacher's county
  common::v1::PlanLevel level = common::v1::PLAN_LEVEL_UNSPECIFIED;
  HourSource source = HourSource::kCompletion;
  std::string source_key;  // unique within the source: registering it again changes nothing
  int year = 0;            // the calendar year the hours count in for the cycle
  int school_year = 0;     // the school year (学年) they were earned in, named by its first year
  std::string approved_by;
  std::string description;  // what a reported entry was; completions and claims leave it
};

// The school year holding `day`: it starts on 1 September (2022-07-15 is in 2021's, 2022-09-01
// in 2022's).
int SchoolYearOf(absl::CivilDay day);

// the entry a completion registers: the project's credit hours for the enrollment's
// year, its centralized days unless it is delivered in the county (送教下乡, R-14), its plan
// level, approved by whoever recorded the completion.
HourEntry CompletionEntry(const std::string& enrollment_id, const std::string& teacher_id, int year,
                          int credit_hours, const catalog_v1::Project& project,
                          const std::string& approved_by);

}  // namespace peixun::enrollment::domain
