// Hours that schools and counties report for their teachers, pure: what a
// row must say, the key that registers it once, and the caps that cut what exceeds them.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "services/enrollment/domain/hour_ledger.h"

namespace peixun::enrollment::domain {

inline constexpr int kMaxReportsPerCall = 1000;
// R-32 (policy): school-based research registers at most 24 hours a school year.
inline constexpr int kSchoolResearchHoursPerSchoolYear = 24;
// R-14 (policy): a workshop day counts 6 hours, and at most 40 workshop hours count a year.
inline constexpr int kWorkshopHoursPerDay = 6;
inline constexpr int kWorkshopHoursPerYear = 40;
// 002: 1+10+100 gives each new rural teacher of a master's team 50 hours (once a cycle here).
inline constexpr int kMentoringHours = 50;
inline constexpr size_t kMaxReportDescriptionBytes = 200;

// A row as it would enter the ledger if no cap stops it.
struct ReportedHours {
  HourEntry entry;  // hours: as asked (research already cut to its 24)
  int asked = 0;    // hours the row asked for
};

// a row of RegisterHours checked against today and the cycle policy, with the key
// that makes it register once: research "{teacher}/research/{school year}" (one report a teacher
// and school year), workshop "{teacher}/workshop/{session}", mentoring "{teacher}/mentoring/
// {cycle's first year}". INVALID_ARGUMENT names "reports[index].field".
absl::StatusOr<ReportedHours> CheckReport(const v1::HoursReport& report, int index,
                                          absl::CivilDay today, const CyclePolicy& cycle,
                                          const std::string& approved_by);

// the yearly workshop cap across what the ledger holds and the rows before in the call.
class WorkshopCap {
 public:
  // Hours of workshops the ledger already holds for a teacher in a year.
  void Holds(const std::string& teacher_id, int year, int hours);
  // The hours of `row` that fit under its caps (0: none), and why when fewer than it asked;
  // what it takes counts for the rows after it.
  std::pair<int, std::string> Take(const ReportedHours& row);

 private:
  std::map<std::pair<std::string, int>, int> used_;
};

}  // namespace peixun::enrollment::domain
