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
inline constexpr size_t kMaxReportDescriptionBytes = 200;

// A row as it would enter the ledger if no cap stops it.
struct ReportedHours {
  HourEntry entry;  // hours: as asked (research already cut to its 24)
  int asked = 0;    // hours the row asked for
};

// a row of RegisterHours checked against today and the cycle policy (its figures
// of what reported hours count: school-based research at most 24 hours a school year, a
// workshop day 6 hours, 1+10+100 mentoring 50 hours once a cycle, by default), with the key
// that makes it register once: research "{teacher}/research/{school year}" (one report a teacher
// and school year), workshop "{teacher}/workshop/{session}", mentoring "{teacher}/mentoring/
// {cycle's first year}". INVALID_ARGUMENT names "reports[index].field".
absl::StatusOr<ReportedHours> CheckReport(const v1::HoursReport& report, int index,
                                          absl::CivilDay today, const CyclePolicy& cycle,
                                          const std::string& approved_by);

// the yearly workshop cap (the policy's, 40 hours by default) across what the ledger
// holds and the rows before in the call.
class WorkshopCap {
 public:
  explicit WorkshopCap(CyclePolicy policy = {}) : policy_(policy) {}
  // Hours of workshops the ledger already holds for a teacher in a year.
  void Holds(const std::string& teacher_id, int year, int hours);
  // The hours of `row` that fit under its caps (0: none), and why when fewer than it asked;
  // what it takes counts for the rows after it.
  std::pair<int, std::string> Take(const ReportedHours& row);

 private:
  CyclePolicy policy_;
  std::map<std::pair<std::string, int>, int> used_;
};

}  // namespace peixun::enrollment::domain
