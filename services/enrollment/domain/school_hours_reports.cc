#include "services/enrollment/domain/school_hours_reports.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/util/names.h"
#include "common/util/status.h"
#include "services/enrollment/domain/research_plans.h"

namespace peixun::enrollment::domain {

namespace {

void Refuse(v1::SchoolHoursReport::Row& row, int index, const std::string& reason) {
  v1::HoursReportResult& result = *row.mutable_result();
  result.set_index(index);
  result.set_outcome(v1::HoursReportResult::REFUSED);
  result.set_reason(reason);
}

}  // namespace

absl::Status CheckHoursReport(const v1::SchoolHoursReport& report) {
  if (report.school_year() < 2000 || report.school_year() > 2100) {
    return FieldError("hours_report.school_year", "must be a year from 2000 to 2100");
  }
  if (report.rows_size() < 1 || report.rows_size() > kMaxHoursReportRows) {
    return FieldError("hours_report.rows", absl::StrCat("must hold 1 to ", kMaxHoursReportRows,
                                                        " rows, not ", report.rows_size()));
  }
  return absl::OkStatus();
}

absl::Status DecideReportSubmission(std::optional<v1::SchoolHoursReport::State> existing,
                                    int school_year, bool plan_approved, absl::CivilDay today) {
  const absl::CivilDay begins(school_year, 9, 1);
  if (today < begins) {
    return absl::FailedPreconditionError(absl::StrCat("school year ", school_year, " begins on ",
                                                      absl::FormatCivilTime(begins),
                                                      "; its hours are reported once earned"));
  }
  if (!plan_approved) {
    return RuleError("R-32",
                     absl::StrCat("the school has no approved plan of school year ", school_year,
                                  " (校本研修方案): research is reported under one"));
  }
  if (existing == v1::SchoolHoursReport::VERIFIED) {
    return absl::FailedPreconditionError(
        absl::StrCat("the report of school year ", school_year,
                     " is verified already; hours it missed are claimed (R-33)"));
  }
  return absl::OkStatus();
}

v1::SchoolHoursReport DecideReportRows(const v1::SchoolHoursReport& sent,
                                       const std::string& county_code, const std::string& school_id,
                                       const std::map<std::string, TeacherPlace>& places) {
  v1::SchoolHoursReport out;
  out.set_school_year(sent.school_year());
  std::set<std::string> seen;
  for (int i = 0; i < sent.rows_size(); ++i) {
    const v1::SchoolHoursReport::Row& in = sent.rows(i);
    v1::SchoolHoursReport::Row& row = *out.add_rows();
    row.set_teacher(in.teacher());
    row.set_credit_hours(in.credit_hours());
    row.set_note(in.note());
    const std::string field = absl::StrCat("rows[", i, "].");
    auto teacher = TeacherName::Parse(in.teacher(), field + "teacher");
    if (!teacher.ok()) {
      Refuse(row, i, std::string(teacher.status().message()));
      continue;
    }
    if (in.credit_hours() < 1 || in.credit_hours() > 1000) {
      Refuse(row, i, field + "credit_hours: must be the hours completed, 1 to 1000 (R-32)");
      continue;
    }
    if (in.note().size() > kMaxHoursReportNoteBytes) {
      Refuse(row, i,
             absl::StrCat(field, "note: is longer than ", kMaxHoursReportNoteBytes, " bytes"));
      continue;
    }
    auto place = places.find(teacher->teacher);
    if (place == places.end()) {
      Refuse(row, i, absl::StrCat(field, "teacher: ", in.teacher(), " does not exist"));
      continue;
    }
    if (place->second.county_code != county_code || place->second.school_id != school_id) {
      Refuse(row, i,
             absl::StrCat(field, "teacher: ", in.teacher(), "'s record does not name the school ",
                          "regions/", county_code, "/schools/", school_id,
                          " (R-32: a school reports its own teachers)"));
      continue;
    }
    if (!seen.insert(teacher->teacher).second) {
      Refuse(row, i, absl::StrCat(field, "teacher: ", in.teacher(), " is in an earlier row"));
      continue;
    }
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> DecideVerification(
    const v1::SchoolHoursReport& report, const v1::VerifySchoolHoursReportRequest& request) {
  if (request.refusals_size() > report.rows_size()) {
    return FieldError("refusals",
                      absl::StrCat("holds ", request.refusals_size(), " refusals for a report of ",
                                   report.rows_size(), " rows"));
  }
  std::set<std::string> waiting;
  for (const auto& row : report.rows()) {
    if (!row.has_result()) waiting.insert(row.teacher());
  }
  std::map<std::string, std::string> refused;
  for (int i = 0; i < request.refusals_size(); ++i) {
    const auto& refusal = request.refusals(i);
    const std::string field = absl::StrCat("refusals[", i, "].");
    if (waiting.count(refusal.teacher()) == 0) {
      return FieldError(field + "teacher",
                        absl::StrCat("'", refusal.teacher(), "' is not a waiting row's teacher"));
    }
    if (refusal.reason().empty() || refusal.reason().size() > kMaxReviewReasonBytes) {
      return FieldError(field + "reason", absl::StrCat("a refused row says why, in 1 to ",
                                                       kMaxReviewReasonBytes, " bytes"));
    }
    if (!refused.emplace(refusal.teacher(), refusal.reason()).second) {
      return FieldError(field + "teacher",
                        absl::StrCat("'", refusal.teacher(), "' is refused in an earlier refusal"));
    }
  }
  return refused;
}

absl::Status DecideReportReview(v1::SchoolHoursReport::State state, bool verify,
                                const std::string& reason) {
  if (!verify && (reason.empty() || reason.size() > kMaxReviewReasonBytes)) {
    return FieldError("reason", absl::StrCat("a returned report says why, in 1 to ",
                                             kMaxReviewReasonBytes, " bytes"));
  }
  if (state != v1::SchoolHoursReport::SUBMITTED) {
    return absl::FailedPreconditionError(
        absl::StrCat("only a submitted report is reviewed; this one is ",
                     v1::SchoolHoursReport::State_Name(state)));
  }
  return absl::OkStatus();
}

std::string ReportedHoursDescription(const std::string& school_name, int school_year,
                                     const std::string& note) {
  std::string text = absl::StrCat(school_name, " ", school_year, "学年校本研修");
  if (!note.empty()) absl::StrAppend(&text, "：", note);
  if (text.size() <= kMaxReportDescriptionBytes) return text;
  size_t end = kMaxReportDescriptionBytes;
  // Back to the first byte of a UTF-8 character (continuation bytes are 10xxxxxx).
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

absl::CivilDay ReportEntryDay(int school_year, absl::CivilDay today) {
  const absl::CivilDay last(school_year + 1, 8, 31);
  return today < last ? today : last;
}

}  // namespace peixun::enrollment::domain
