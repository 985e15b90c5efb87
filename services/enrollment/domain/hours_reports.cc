#include "services/enrollment/domain/hours_reports.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/util/dates.h"
#include "common/util/names.h"
#include "common/util/status.h"

namespace peixun::enrollment::domain {

absl::StatusOr<ReportedHours> CheckReport(const v1::HoursReport& report, int index,
                                          absl::CivilDay today, const CyclePolicy& cycle,
                                          const std::string& approved_by) {
  const std::string row = absl::StrCat("reports[", index, "].");
  PEIXUN_ASSIGN_OR_RETURN(const TeacherName teacher,
                          TeacherName::Parse(report.teacher(), row + "teacher"));
  PEIXUN_ASSIGN_OR_RETURN(
      const absl::CivilDay day,
      ValidDay(report.date().year(), report.date().month(), report.date().day(), row + "date"));
  if (day > today) {
    return FieldError(row + "date", absl::StrCat("is after today (", absl::FormatCivilTime(today),
                                                 "): hours are reported once earned"));
  }
  if (report.description().size() > kMaxReportDescriptionBytes) {
    return FieldError(row + "description",
                      absl::StrCat("is longer than ", kMaxReportDescriptionBytes, " bytes"));
  }
  ReportedHours out;
  HourEntry& e = out.entry;
  e.teacher_id = teacher.teacher;
  e.year = static_cast<int>(day.year());
  e.school_year = SchoolYearOf(day);
  e.approved_by = approved_by;
  switch (report.source_kind()) {
    case v1::HourEntry::SCHOOL_RESEARCH:
      if (report.credit_hours() < 1 || report.credit_hours() > 1000) {
        return FieldError(row + "credit_hours", "must be the hours verified, 1 to 1000 (R-32)");
      }
      e.source = HourSource::kSchoolResearch;
      e.level = common::v1::SCHOOL;
      e.source_key = absl::StrCat(e.teacher_id, "/research/", e.school_year);
      out.asked = report.credit_hours();
      e.hours = std::min(out.asked, cycle.research_hours_per_school_year);
      break;
    case v1::HourEntry::WORKSHOP:
      if (report.days() < 1 || report.days() > 366) {
        return FieldError(row + "days", "must be the days attended, 1 to 366 (R-14)");
      }
      PEIXUN_RETURN_IF_ERROR(ValidateId(report.session(), row + "session"));
      if (report.plan_level() != common::v1::CITY && report.plan_level() != common::v1::COUNTY &&
          report.plan_level() != common::v1::SCHOOL) {
        return FieldError(row + "plan_level", "a workshop is CITY, COUNTY or SCHOOL level");
      }
      e.source = HourSource::kWorkshop;
      e.level = report.plan_level();
      e.source_key = absl::StrCat(e.teacher_id, "/workshop/", report.session());
      out.asked = report.days() * cycle.workshop_hours_per_day;
      e.hours = out.asked;
      break;
    case v1::HourEntry::MENTORING: {
      e.source = HourSource::kMentoring;
      e.level = common::v1::PROVINCIAL;
      e.source_key = absl::StrCat(e.teacher_id, "/mentoring/", CycleOf(e.year, cycle).first);
      out.asked = cycle.mentoring_hours;
      e.hours = cycle.mentoring_hours;
      break;
    }
    default:
      return FieldError(row + "source_kind",
                        "must be SCHOOL_RESEARCH, WORKSHOP or MENTORING (completions and claims "
                        "register themselves)");
  }
  if (e.source_key.size() > 128) return FieldError(row + "session", "is too long");
  return out;
}

void WorkshopCap::Holds(const std::string& teacher_id, int year, int hours) {
  used_[{teacher_id, year}] += hours;
}

std::pair<int, std::string> WorkshopCap::Take(const ReportedHours& row) {
  const HourEntry& e = row.entry;
  if (e.source == HourSource::kSchoolResearch) {
    if (e.hours < row.asked) {
      return {e.hours,
              absl::StrCat("R-32: school-based research counts at most ",
                           policy_.research_hours_per_school_year, " hours a school year")};
    }
    return {e.hours, ""};
  }
  if (e.source != HourSource::kWorkshop) return {e.hours, ""};
  int& used = used_[{e.teacher_id, e.year}];
  const int room = std::max(0, policy_.workshop_hours_per_year - used);
  const int hours = std::min(e.hours, room);
  used += hours;
  if (hours < e.hours) {
    return {hours, absl::StrCat("R-14: workshops count at most ", policy_.workshop_hours_per_year,
                                " hours a year; ", e.year, " held ", used - hours, " already")};
  }
  return {hours, ""};
}

}  // namespace peixun::enrollment::domain
