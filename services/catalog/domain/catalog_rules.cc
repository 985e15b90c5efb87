#include "services/catalog/domain/catalog_rules.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/util/dates.h"
#include "common/util/names.h"
#include "common/util/status.h"

namespace peixun::catalog::domain {
namespace {

constexpr int kMaxSeats = 100000;
constexpr int kMaxDays = 366;
constexpr int kMaxOnlineHours = 2000;
constexpr int64_t kMaxRateFen = 100000000;  // one million yuan per unit: far above any standard

absl::Status InRange(int64_t value, int64_t low, int64_t high, absl::string_view field) {
  if (value < low || value > high) {
    return FieldError(field, absl::StrCat("must be between ", low, " and ", high, ", got ", value));
  }
  return absl::OkStatus();
}

bool MulAdd(int64_t a, int64_t b, int64_t c, int64_t* out) {
  int64_t ab = 0;
  int64_t abc = 0;
  if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc)) return false;
  *out = abc;
  return true;
}

}  // namespace

absl::StatusOr<absl::CivilDay> ToCivilDay(const common_v1::Date& date, absl::string_view field) {
  return ValidDay(date.year(), date.month(), date.day(), field);
}

common_v1::Date FromCivilDay(absl::CivilDay day) {
  common_v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

std::string FormatDate(absl::CivilDay day) { return absl::FormatCivilTime(day); }

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) {
    return absl::InternalError(absl::StrCat("stored date '", text, "' cannot be read"));
  }
  return day;
}

absl::StatusOr<std::vector<RegionRow>> ParseRegionCsv(absl::string_view csv) {
  std::vector<absl::string_view> lines = absl::StrSplit(csv, '\n');
  std::vector<RegionRow> rows;
  std::set<std::string> codes;
  bool header_seen = false;
  bool flag_column = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view line = absl::StripAsciiWhitespace(lines[i]);
    const int line_no = static_cast<int>(i + 1);
    if (line.empty()) continue;
    if (!header_seen) {
      if (i == 0 && absl::StartsWith(line, "\xEF\xBB\xBF")) line.remove_prefix(3);  // BOM
      if (line == "code,name,parent_code,level,directly_administered") {
        flag_column = true;
      } else if (line != "code,name,parent_code,level") {
        return FieldError("csv",
                          "line 1 must be the header 'code,name,parent_code,level' or "
                          "'code,name,parent_code,level,directly_administered'");
      }
      header_seen = true;
      continue;
    }
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    auto where = [&](absl::string_view what) {
      return FieldError("csv", absl::StrCat("line ", line_no, ": ", what));
    };
    const size_t columns = flag_column ? 5 : 4;
    if (cells.size() != columns)
      return where(absl::StrCat("expected ", columns, " columns, found ", cells.size()));
    for (auto& cell : cells) absl::StripAsciiWhitespace(&cell);
    RegionRow row;
    row.line = line_no;
    row.code = cells[0];
    row.display_name = cells[1];
    row.parent_code = cells[2];
    std::string level = absl::AsciiStrToLower(cells[3]);
    if (level == "province") {
      row.level = v1::PROVINCE;
    } else if (level == "city") {
      row.level = v1::CITY;
    } else if (level == "county") {
      row.level = v1::COUNTY;
    } else {
      return where(absl::StrCat("level '", cells[3], "' is not province, city or county"));
    }
    if (!ValidateRegionCode(row.code, "code").ok()) {
      return where(absl::StrCat("code '", row.code, "' is not a GB/T 2260 code"));
    }
    if (row.display_name.empty() || row.display_name.size() > 64) {
      return where("name must be 1 to 64 bytes");
    }
    if (row.level == v1::PROVINCE) {
      if (!row.parent_code.empty()) return where("a province has no parent_code");
    } else if (!ValidateRegionCode(row.parent_code, "parent_code").ok()) {
      return where(absl::StrCat("parent_code '", row.parent_code, "' is not a GB/T 2260 code"));
    }
    if (row.parent_code == row.code) return where("a region cannot be its own parent");
    if (flag_column) {
      const std::string flag = absl::AsciiStrToLower(cells[4]);
      if (flag != "true" && flag != "false" && !flag.empty()) {
        return where(absl::StrCat("directly_administered '", cells[4],
                                  "' is not true or false (R-1a, R-1b)"));
      }
      row.directly_administered = flag == "true";
      if (*row.directly_administered && row.level == v1::PROVINCE)
        return where("the province is not directly administered by itself (R-1b)");
    }
    if (!codes.insert(row.code).second) {
      return where(absl::StrCat("code ", row.code, " appears twice"));
    }
    rows.push_back(std::move(row));
  }
  if (!header_seen) return FieldError("csv", "is empty; expected a header and rows");
  std::stable_sort(rows.begin(), rows.end(),
                   [](const RegionRow& a, const RegionRow& b) { return a.level < b.level; });
  return rows;
}

bool TakesQuotaFromProvince(const v1::Region& region) {
  return region.directly_administered() &&
         (region.level() == v1::COUNTY || region.level() == v1::CITY);
}

absl::Status ValidateYear(const v1::PlanYear& year) {
  PEIXUN_RETURN_IF_ERROR(InRange(year.year(), 2000, 2100, "plan_year.year"));
  PEIXUN_ASSIGN_OR_RETURN(absl::CivilDay deadline,
                          ToCivilDay(year.nomination_deadline(), "plan_year.nomination_deadline"));
  PEIXUN_ASSIGN_OR_RETURN(absl::CivilDay end_by,
                          ToCivilDay(year.projects_end_by(), "plan_year.projects_end_by"));
  if (deadline.year() != year.year()) {
    return FieldError("plan_year.nomination_deadline", "must fall in the plan year");
  }
  if (end_by.year() != year.year()) {
    return FieldError("plan_year.projects_end_by", "must fall in the plan year (R-5)");
  }
  if (end_by < deadline) {
    return FieldError("plan_year.projects_end_by", "is before the nomination deadline");
  }
  PEIXUN_RETURN_IF_ERROR(
      InRange(year.check_in_notice_days(), 0, 90, "plan_year.check_in_notice_days"));
  PEIXUN_RETURN_IF_ERROR(InRange(year.timetable_days(), 0, 90, "plan_year.timetable_days"));
  return absl::OkStatus();
}

absl::Status PrepareYear(v1::PlanYear& year) {
  // R-5 defaults: every project ends by Dec 31; notice 15 days and timetable 5 days ahead.
  if (!year.has_projects_end_by()) {
    year.mutable_projects_end_by()->set_year(year.year());
    year.mutable_projects_end_by()->set_month(12);
    year.mutable_projects_end_by()->set_day(31);
  }
  if (year.check_in_notice_days() == 0) year.set_check_in_notice_days(15);
  if (year.timetable_days() == 0) year.set_timetable_days(5);
  if (!year.has_nomination_deadline()) {
    return FieldError("plan_year.nomination_deadline", "is required (R-5)");
  }
  return ValidateYear(year);
}

absl::Status ValidateProject(v1::Project& project, const v1::PlanYear& year) {
  if (project.display_name().empty() || project.display_name().size() > 128) {
    return FieldError("project.display_name", "must be 1 to 128 bytes");
  }
  if (project.class_size() == 0) project.set_class_size(50);  // R-2 default class size
  PEIXUN_RETURN_IF_ERROR(InRange(project.seats(), 1, kMaxSeats, "project.seats"));
  PEIXUN_RETURN_IF_ERROR(InRange(project.class_size(), 1, 1000, "project.class_size"));
  PEIXUN_RETURN_IF_ERROR(InRange(project.credit_hours(), 0, 1000, "project.credit_hours"));
  const auto& format = project.format();
  PEIXUN_RETURN_IF_ERROR(
      InRange(format.centralized_days(), 0, kMaxDays, "project.format.centralized_days"));
  PEIXUN_RETURN_IF_ERROR(
      InRange(format.shadowing_days(), 0, kMaxDays, "project.format.shadowing_days"));
  PEIXUN_RETURN_IF_ERROR(
      InRange(format.online_hours(), 0, kMaxOnlineHours, "project.format.online_hours"));
  PEIXUN_RETURN_IF_ERROR(
      InRange(format.practice_months(), 0, 24, "project.format.practice_months"));
  if (format.centralized_days() + format.shadowing_days() + format.online_hours() == 0) {
    return FieldError("project.format",
                      "needs centralized days, shadowing days or online hours (R-2)");
  }
  PEIXUN_ASSIGN_OR_RETURN(absl::CivilDay start,
                          ToCivilDay(project.start_date(), "project.start_date"));
  PEIXUN_ASSIGN_OR_RETURN(absl::CivilDay end, ToCivilDay(project.end_date(), "project.end_date"));
  if (end < start) return FieldError("project.end_date", "is before project.start_date");
  if (start.year() != year.year()) {
    return FieldError("project.start_date", absl::StrCat("must fall in ", year.year()));
  }
  PEIXUN_ASSIGN_OR_RETURN(absl::CivilDay end_by,
                          ToCivilDay(year.projects_end_by(), "projects_end_by"));
  if (end > end_by) {
    return FieldError("project.end_date",
                      absl::StrCat("is after ", FormatDate(end_by), ", when every project of ",
                                   year.year(), " must end (R-5)"));
  }
  const auto& audience = project.audience();
  PEIXUN_RETURN_IF_ERROR(
      InRange(audience.min_teaching_years(), 0, 50, "project.audience.min_teaching_years"));
  for (int stage : audience.stages()) {
    if (stage == common_v1::STAGE_UNSPECIFIED || !common_v1::Stage_IsValid(stage)) {
      return FieldError("project.audience.stages", absl::StrCat("holds an unknown stage ", stage));
    }
  }
  for (int role : audience.roles()) {
    if (role == common_v1::TEACHER_ROLE_UNSPECIFIED || !common_v1::TeacherRole_IsValid(role)) {
      return FieldError("project.audience.roles", absl::StrCat("holds an unknown role ", role));
    }
  }
  for (const auto& subject : audience.subjects()) {
    if (subject.empty() || subject.size() > 64) {
      return FieldError("project.audience.subjects", "each subject must be 1 to 64 bytes");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckAllocation(const QuotaParent& parent, int32_t old_seats, int32_t new_seats,
                             int32_t child_allocated) {
  if (new_seats < 0) return FieldError("seats", "must not be negative");
  if (new_seats > kMaxSeats)
    return FieldError("seats", absl::StrCat("must be at most ", kMaxSeats));
  if (new_seats < child_allocated) {
    return RuleError("R-3", absl::StrCat("quota cannot drop to ", new_seats, ": ", child_allocated,
                                         " of its seats are already passed on to counties"));
  }
  int64_t total = static_cast<int64_t>(parent.allocated) - old_seats + new_seats;
  if (total > parent.seats) {
    return RuleError("R-3", absl::StrCat(parent.label, " has ", parent.seats, " seats and ",
                                         parent.allocated - old_seats, " are allocated elsewhere; ",
                                         new_seats, " more would exceed it (at most ",
                                         parent.seats - (parent.allocated - old_seats), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckSeatsCoverAllocation(absl::string_view label, int32_t seats, int32_t allocated) {
  if (seats < allocated) {
    return RuleError("R-3", absl::StrCat(label, " cannot have ", seats, " seats: ", allocated,
                                         " are already allocated below it"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCostPolicy(const v1::CostPolicy& policy) {
  PEIXUN_RETURN_IF_ERROR(
      InRange(policy.fen_per_person_day(), 0, kMaxRateFen, "cost_policy.fen_per_person_day"));
  PEIXUN_RETURN_IF_ERROR(
      InRange(policy.fen_per_online_hour(), 0, kMaxRateFen, "cost_policy.fen_per_online_hour"));
  if (policy.reason().empty() || policy.reason().size() > 255) {
    return FieldError("cost_policy.reason", "must say why, in 1 to 255 bytes");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ProjectBudget> ComputeBudget(const v1::Project& project,
                                                const v1::CostPolicy& policy) {
  // on-site days (centralized and shadowing) at the day rate, online hours at the hour rate.
  const auto& format = project.format();
  int64_t on_site = 0;
  int64_t online = 0;
  if (!MulAdd(project.seats(), int64_t{format.centralized_days()} + format.shadowing_days(),
              policy.fen_per_person_day(), &on_site) ||
      !MulAdd(project.seats(), format.online_hours(), policy.fen_per_online_hour(), &online)) {
    return RuleError(absl::StatusCode::kOutOfRange, "R-4", "budget does not fit in 64-bit fen");
  }
  v1::ProjectBudget budget;
  budget.set_project(project.name());
  budget.set_cost_policy(policy.name());
  budget.set_seats(project.seats());
  budget.set_on_site_fen(on_site);
  budget.set_online_fen(online);
  budget.set_total_fen(on_site + online);
  return budget;
}

}  // namespace peixun::catalog::domain
