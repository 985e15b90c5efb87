// Schools' reports of their teachers' hours of school-based research (校本研修学时, R-32), pure:
// what a report must say, what each row becomes when the school sends it, when it may be sent,
// and which rows the training school's verification (核准) keeps out.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "services/enrollment/domain/hours_reports.h"

namespace peixun::enrollment::domain {

inline constexpr int kMaxHoursReportRows = 1000;
inline constexpr size_t kMaxHoursReportNoteBytes = 200;

// Where a teacher's record places it: its county and, when its school is written as one of the
// county's registered schools, that school's id (empty otherwise).
struct TeacherPlace {
  std::string county_code;
  std::string school_id;
};

// school_year 2000 to 2100 and 1 to 1,000 rows; errors name the field under
// "hours_report.".
absl::Status CheckHoursReport(const v1::SchoolHoursReport& report);

// a school's report of `school_year` sent on `today` (`existing` its state, none when
// first sent): not before the school year begins, only under the school's approved plan of that
// year, and not once verified.
absl::Status DecideReportSubmission(std::optional<v1::SchoolHoursReport::State> existing,
                                    int school_year, bool plan_approved, absl::CivilDay today);

// the rows as the school sent them, each with its result when refused: a teacher named
// badly, not found (`places`: the teachers found), of another county, or whose record names
// another school (or none) of the county; hours outside 1 to 1000; a note too long; a teacher
// given twice (the second row). Rows left waiting carry no result.
v1::SchoolHoursReport DecideReportRows(const v1::SchoolHoursReport& sent,
                                       const std::string& county_code, const std::string& school_id,
                                       const std::map<std::string, TeacherPlace>& places);

// the training school's refusals of a submitted report, by teacher id: each names a
// waiting row once, with a reason of 1 to 500 bytes. Errors name "refusals[i].field".
absl::StatusOr<std::map<std::string, std::string>> DecideVerification(
    const v1::SchoolHoursReport& report, const v1::VerifySchoolHoursReportRequest& request);

// only a submitted report is verified or returned; a return says why (1 to 500 bytes).
absl::Status DecideReportReview(v1::SchoolHoursReport::State state, bool verify,
                                const std::string& reason);

// What a verified row's ledger entry says: "{school} {year}学年校本研修" and the row's note after
// "：", cut at a character's boundary to the entry's 200 bytes.
std::string ReportedHoursDescription(const std::string& school_name, int school_year,
                                     const std::string& note);

// The day a verified row's hours are entered as earned: today, or the school year's last day
// (August 31) when verified after it, so the entry stays in its school year.
absl::CivilDay ReportEntryDay(int school_year, absl::CivilDay today);

}  // namespace peixun::enrollment::domain
