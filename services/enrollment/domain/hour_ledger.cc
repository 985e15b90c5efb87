#include "services/enrollment/domain/hour_ledger.h"

namespace peixun::enrollment::domain {

int SchoolYearOf(absl::CivilDay day) {
  return static_cast<int>(day.month() >= 9 ? day.year() : day.year() - 1);
}

HourEntry CompletionEntry(const std::string& enrollment_id, const std::string& teacher_id, int year,
                          int credit_hours, const catalog_v1::Project& project,
                          const std::string& approved_by) {
  HourEntry entry;
  entry.teacher_id = teacher_id;
  entry.hours = credit_hours;
  // 外出参加集中培训, the centralized days of a project held away from the teacher's
  // county; 送教下乡 brings them to it.
  entry.off_site_days =
      project.format().delivered_in_county() ? 0 : project.format().centralized_days();
  entry.level = project.plan_level();
  entry.source = HourSource::kCompletion;
  entry.source_key = enrollment_id;
  entry.year = year;
  const auto& end = project.end_date();
  entry.school_year =
      end.year() > 0 ? SchoolYearOf(absl::CivilDay(end.year(), end.month(), end.day())) : year;
  entry.approved_by = approved_by;
  return entry;
}

}  // namespace peixun::enrollment::domain
