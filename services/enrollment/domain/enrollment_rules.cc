#include "services/enrollment/domain/enrollment_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/regions.h"
#include "common/util/status.h"
#include "services/catalog/region_facts.h"

namespace peixun::enrollment::domain {
namespace {

constexpr int kIdWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kIdCheck[] = "10X98765432";

std::string DateText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

const char* StageLabel(int stage) {
  switch (stage) {
    case common::v1::KINDERGARTEN:
      return "幼儿园";
    case common::v1::PRIMARY:
      return "小学";
    case common::v1::JUNIOR_SECONDARY:
      return "初中";
    case common::v1::SENIOR_SECONDARY:
      return "高中";
    default:
      return "未知学段";
  }
}

const char* RoleLabel(int role) {
  switch (role) {
    case common::v1::BACKBONE_TEACHER:
      return "骨干教师";
    case common::v1::PRINCIPAL:
      return "校长";
    case common::v1::HEAD_TEACHER:
      return "班主任";
    case common::v1::CHIEF_RURAL_TEACHER:
      return "乡村首席教师";
    case common::v1::TRAINER:
      return "教师培训师";
    case common::v1::BOARDING_LIFE_TUTOR:
      return "寄宿制学校生活指导教师";
    case common::v1::MENTAL_HEALTH_TEACHER:
      return "心理健康教育教师";
    default:
      return "未知角色";
  }
}

}  // namespace

char IdCheckCharacter(absl::string_view first17) {
  int sum = 0;
  for (size_t i = 0; i < 17 && i < first17.size(); ++i) sum += (first17[i] - '0') * kIdWeights[i];
  return kIdCheck[sum % 11];
}

absl::Status ValidateIdNumber(absl::string_view id, absl::string_view field) {
  if (id.size() != 18) {
    return FieldError(field, absl::StrCat("must be 18 characters, has ", id.size()));
  }
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    if (id[i] < '0' || id[i] > '9') {
      return FieldError(field, absl::StrCat("character ", i + 1, " must be a digit"));
    }
    sum += (id[i] - '0') * kIdWeights[i];
  }
  char last = id[17] == 'x' ? 'X' : id[17];
  if (last != kIdCheck[sum % 11]) {
    return FieldError(field,
                      "check character does not match (GB 11643); please re-check the number");
  }
  absl::CivilDay birth = BirthDateOf(id);
  int y = (id[6] - '0') * 1000 + (id[7] - '0') * 100 + (id[8] - '0') * 10 + (id[9] - '0');
  int m = (id[10] - '0') * 10 + (id[11] - '0');
  int d = (id[12] - '0') * 10 + (id[13] - '0');
  if (birth.year() != y || birth.month() != m || birth.day() != d || y < 1930 || y > 2010) {
    return FieldError(field, "holds no valid birth date");
  }
  return absl::OkStatus();
}

v1::Teacher MaskTeacher(v1::Teacher teacher) {
  teacher.set_id_number(MaskIdNumber(teacher.id_number()));
  teacher.clear_birth_date();
  return teacher;
}

std::string MaskIdNumber(absl::string_view id) {
  if (id.size() < 8) return std::string(id.size(), '*');
  return absl::StrCat(id.substr(0, 4), std::string(id.size() - 8, '*'), id.substr(id.size() - 4));
}

absl::CivilDay BirthDateOf(absl::string_view id) {
  auto digits = [&](int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; ++i) value = value * 10 + (id[i] - '0');
    return value;
  };
  return absl::CivilDay(digits(6, 4), digits(10, 2), digits(12, 2));
}

absl::Status ValidateTeacher(const v1::Teacher& t, int current_year) {
  PEIXUN_RETURN_IF_ERROR(ValidateIdNumber(t.id_number(), "teacher.id_number"));
  if (t.display_name().empty() || t.display_name().size() > 64) {
    return FieldError("teacher.display_name", "must be 1 to 64 bytes");
  }
  if (t.school().empty() || t.school().size() > 128) {
    return FieldError("teacher.school", "must be 1 to 128 bytes");
  }
  if (t.stage() == common::v1::STAGE_UNSPECIFIED || !common::v1::Stage_IsValid(t.stage())) {
    return FieldError("teacher.stage",
                      "must be KINDERGARTEN, PRIMARY, JUNIOR_SECONDARY or SENIOR_SECONDARY");
  }
  if (!v1::Gender_IsValid(t.gender())) return FieldError("teacher.gender", "is not a known value");
  if (t.teaching_since_year() < 1950 || t.teaching_since_year() > current_year) {
    return FieldError("teacher.teaching_since_year",
                      absl::StrCat("must be between 1950 and ", current_year));
  }
  if (t.has_birth_date()) {
    absl::CivilDay birth = BirthDateOf(t.id_number());
    if (t.birth_date().year() != birth.year() || t.birth_date().month() != birth.month() ||
        t.birth_date().day() != birth.day()) {
      return FieldError("teacher.birth_date", "differs from the date in the ID number");
    }
  }
  if (t.subjects_size() > 8) return FieldError("teacher.subjects", "at most 8 subjects");
  for (const auto& subject : t.subjects()) {
    if (subject.empty() || subject.size() > 64) {
      return FieldError("teacher.subjects", "each subject must be 1 to 64 bytes");
    }
    if (subject.find('|') != std::string::npos) {
      return FieldError("teacher.subjects", "must not contain '|'");
    }
  }
  if (t.roles_size() > 10) return FieldError("teacher.roles", "at most 10 roles");
  for (int role : t.roles()) {
    if (role == common::v1::TEACHER_ROLE_UNSPECIFIED || !common::v1::TeacherRole_IsValid(role)) {
      return FieldError("teacher.roles", absl::StrCat("holds an unknown role ", role));
    }
  }
  return absl::OkStatus();
}

std::string StateLabel(v1::EnrollmentState state) {
  switch (state) {
    case v1::NOMINATED:
      return "已选派 (NOMINATED)";
    case v1::CHECKED_IN:
      return "已报到 (CHECKED_IN)";
    case v1::COMPLETED:
      return "已结业 (COMPLETED)";
    case v1::DISMISSED:
      return "已劝退 (DISMISSED)";
    case v1::NOT_COMPLETED:
      return "未结业 (NOT_COMPLETED)";
    case v1::NO_SHOW:
      return "未参训 (NO_SHOW)";
    case v1::WITHDRAWN:
      return "已撤回 (WITHDRAWN)";
    default:
      return "UNSPECIFIED";
  }
}

absl::Status CheckTransition(v1::EnrollmentState from, v1::EnrollmentState to) {
  // the only transitions there are.
  bool allowed = (from == v1::NOMINATED &&
                  (to == v1::CHECKED_IN || to == v1::NO_SHOW || to == v1::WITHDRAWN)) ||
                 (from == v1::CHECKED_IN &&
                  (to == v1::COMPLETED || to == v1::DISMISSED || to == v1::NOT_COMPLETED));
  if (allowed) return absl::OkStatus();
  return RuleError("R-11", absl::StrCat("the enrollment is ", StateLabel(from),
                                        " and cannot become ", StateLabel(to)));
}

absl::Status CheckTransitionDay(v1::EnrollmentState to, absl::CivilDay today,
                                const TrainingDays& training) {
  switch (to) {
    case v1::CHECKED_IN:
    case v1::NO_SHOW:
    case v1::DISMISSED:
      if (today < training.start) {
        return RuleError("R-11", absl::StrCat("the training starts on ", DateText(training.start),
                                              "; the enrollment cannot become ", StateLabel(to),
                                              " before then (today is ", DateText(today), ")"));
      }
      return absl::OkStatus();
    case v1::COMPLETED:
    case v1::NOT_COMPLETED:
      if (today < training.end) {
        return RuleError("R-11",
                         absl::StrCat("the training ends on ", DateText(training.end),
                                      "; the enrollment cannot become ", StateLabel(to),
                                      " before its last day (today is ", DateText(today), ")"));
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

bool HoldsSeat(v1::EnrollmentState state) { return state != v1::WITHDRAWN; }

absl::Status CheckBeforeDeadline(absl::CivilDay today, absl::CivilDay deadline) {
  if (today > deadline) {
    return RuleError("R-7", absl::StrCat("nominations closed on ", DateText(deadline),
                                         " (选派截止); today is ", DateText(today)));
  }
  return absl::OkStatus();
}

absl::Status CheckNominationOpen(absl::CivilDay today, absl::CivilDay deadline,
                                 absl::CivilDay training_start) {
  PEIXUN_RETURN_IF_ERROR(CheckBeforeDeadline(today, deadline));
  if (today >= training_start) {
    return RuleError("R-5", absl::StrCat("nominations to this project closed when its training "
                                         "started on ",
                                         DateText(training_start), "; today is ", DateText(today)));
  }
  return absl::OkStatus();
}

absl::Status CheckSeatFree(int32_t quota, int32_t held, absl::string_view county_label) {
  if (held >= quota) {
    return RuleError("R-7", absl::StrCat("quota exhausted: ", county_label, " has ", quota,
                                         " seats and all ", held, " are taken (名额已满)"));
  }
  return absl::OkStatus();
}

bool IsCountyLevelUnit(const catalog_v1::Region& region) {
  return catalog::FactsOf(region).county_unit;
}

std::string CityCodeOf(const catalog_v1::Region& county_level_unit) {
  return CityOfCountyUnit(catalog::FactsOf(county_level_unit));
}

absl::Status CheckEligibility(const catalog_v1::AudienceRules& audience,
                              const TeacherProfile& profile, int project_year) {
  const v1::Teacher& t = profile.teacher;
  auto refuse = [](const std::string& why) {
    return RuleError("R-9", absl::StrCat("not eligible (学员不符合遴选条件): ", why));
  };
  if (audience.regions_size() > 0) {
    const std::string county = t.county();
    const std::string city = "regions/" + profile.city_code;
    bool inside = std::any_of(audience.regions().begin(), audience.regions().end(),
                              [&](const std::string& r) { return r == county || r == city; });
    if (!inside) {
      return refuse(absl::StrCat("the project is only for ",
                                 absl::StrJoin(audience.regions(), ", "), "; the teacher is in ",
                                 county));
    }
  }
  if (audience.stages_size() > 0 && std::find(audience.stages().begin(), audience.stages().end(),
                                              t.stage()) == audience.stages().end()) {
    std::vector<std::string> wanted;
    for (int s : audience.stages()) wanted.emplace_back(StageLabel(s));
    return refuse(absl::StrCat("the project is for ", absl::StrJoin(wanted, "/"),
                               " teachers; the teacher teaches ", StageLabel(t.stage())));
  }
  if (audience.subjects_size() > 0) {
    bool match = std::any_of(t.subjects().begin(), t.subjects().end(), [&](const std::string& s) {
      return std::find(audience.subjects().begin(), audience.subjects().end(), s) !=
             audience.subjects().end();
    });
    if (!match) {
      return refuse(absl::StrCat(
          "the project is for teachers of ", absl::StrJoin(audience.subjects(), "/"),
          "; the teacher teaches ",
          t.subjects().empty() ? "no listed subject" : absl::StrJoin(t.subjects(), "/")));
    }
  }
  if (audience.rural_only() && !t.rural()) {
    return refuse("the project is for rural teachers (乡村教师) only");
  }
  const int years = project_year - t.teaching_since_year();
  if (years < audience.min_teaching_years()) {
    return refuse(absl::StrCat("the project needs at least ", audience.min_teaching_years(),
                               " years of teaching (教龄); the teacher has ", years));
  }
  if (audience.roles_size() > 0) {
    bool match = std::any_of(t.roles().begin(), t.roles().end(), [&](int role) {
      return std::find(audience.roles().begin(), audience.roles().end(), role) !=
             audience.roles().end();
    });
    if (!match) {
      std::vector<std::string> wanted;
      for (int r : audience.roles()) wanted.emplace_back(RoleLabel(r));
      return refuse(absl::StrCat("the project is for ", absl::StrJoin(wanted, "/"),
                                 "; the teacher holds none of these roles"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNoRepetition(const std::vector<EnrollmentSpan>& existing,
                               const EnrollmentSpan& candidate) {
  // 杜绝无效的重复培训.
  for (const auto& e : existing) {
    if (e.project == candidate.project) {
      return RuleError(
          absl::StatusCode::kAlreadyExists, "R-13",
          absl::StrCat("the teacher is already enrolled in this project (", e.enrollment, ")"));
    }
    if (e.start <= candidate.end && candidate.start <= e.end) {
      return RuleError("R-13", absl::StrCat("training dates overlap with ", e.project_label, " (",
                                            DateText(e.start), " to ", DateText(e.end), ", ",
                                            e.enrollment, ")"));
    }
    if (e.year == candidate.year && e.category == candidate.category) {
      return RuleError(
          "R-13", absl::StrCat("the teacher already has a project of this category in ",
                               candidate.year, ": ", e.project_label, " (", e.enrollment, ")"));
    }
  }
  return absl::OkStatus();
}

bool CausesBlacklist(v1::EnrollmentState state, v1::Enrollment::ReasonReview review) {
  switch (state) {
    case v1::DISMISSED:
    case v1::NOT_COMPLETED:
      return true;
    case v1::NO_SHOW:
      // A special reason waits for the province; only an approved one spares the teacher.
      return review == v1::Enrollment::REASON_REVIEW_UNSPECIFIED ||
             review == v1::Enrollment::REFUSED;
    default:
      return false;
  }
}

absl::CivilDay BlacklistEnd(absl::CivilDay project_end, const BlacklistPolicy& policy) {
  // Same calendar day `years` later; Feb 29 falls back to Feb 28 (CivilDay would roll over).
  int day = project_end.day();
  absl::CivilDay end(project_end.year() + policy.years, project_end.month(), day);
  if (end.month() != project_end.month())
    end = absl::CivilDay(end.year(), project_end.month(), day - 1);
  return end;
}

absl::Status CheckNotBlacklisted(absl::CivilDay training_start, absl::CivilDay bar_end,
                                 bool lifted) {
  if (!lifted && training_start <= bar_end) {
    return RuleError("R-12",
                     absl::StrCat("the teacher is blacklisted (黑名单) until ", DateText(bar_end),
                                  " and cannot join 国培 or 省培 training that starts by "
                                  "then; this one starts on ",
                                  DateText(training_start)));
  }
  return absl::OkStatus();
}

v1::EnrollmentPolicy DefaultEnrollmentPolicy() {
  const BlacklistPolicy bar;
  const CyclePolicy cycle;
  v1::EnrollmentPolicy policy;
  policy.set_name("years/0/enrollmentPolicies/0");
  policy.set_blacklist_years(bar.years);
  policy.set_cycle_anchor_year(cycle.anchor_year);
  policy.set_cycle_years(cycle.length_years);
  policy.set_required_credit_hours(cycle.required_credit_hours);
  policy.set_required_off_site_days(cycle.required_off_site_days);
  policy.set_research_hours_per_school_year(cycle.research_hours_per_school_year);
  policy.set_workshop_hours_per_day(cycle.workshop_hours_per_day);
  policy.set_workshop_hours_per_year(cycle.workshop_hours_per_year);
  policy.set_mentoring_hours(cycle.mentoring_hours);
  policy.set_plan_submission_days(cycle.plan_submission_days);
  policy.set_reason("built-in defaults (R-12, R-14, R-32)");
  return policy;
}

absl::Status ValidateEnrollmentPolicy(const v1::EnrollmentPolicy& policy) {
  struct Range {
    const char* field;
    int value, low, high;
  };
  const Range ranges[] = {
      {"enrollment_policy.blacklist_years", policy.blacklist_years(), 1, 10},
      {"enrollment_policy.cycle_anchor_year", policy.cycle_anchor_year(), 2000, 2100},
      {"enrollment_policy.cycle_years", policy.cycle_years(), 1, 10},
      {"enrollment_policy.required_credit_hours", policy.required_credit_hours(), 1, 2000},
      {"enrollment_policy.required_off_site_days", policy.required_off_site_days(), 0, 365},
      {"enrollment_policy.research_hours_per_school_year", policy.research_hours_per_school_year(),
       1, 200},
      {"enrollment_policy.workshop_hours_per_day", policy.workshop_hours_per_day(), 1, 24},
      {"enrollment_policy.workshop_hours_per_year", policy.workshop_hours_per_year(), 1, 1000},
      {"enrollment_policy.mentoring_hours", policy.mentoring_hours(), 1, 500},
      {"enrollment_policy.plan_submission_days", policy.plan_submission_days(), 1, 60},
  };
  for (const Range& r : ranges) {
    if (r.value < r.low || r.value > r.high) {
      return FieldError(r.field,
                        absl::StrCat("must be between ", r.low, " and ", r.high, ", is ", r.value));
    }
  }
  if (policy.reason().empty())
    return FieldError("enrollment_policy.reason", "must say why this version is made");
  if (policy.reason().size() > 255)
    return FieldError("enrollment_policy.reason", "must be at most 255 bytes");
  return absl::OkStatus();
}

BlacklistPolicy BlacklistPolicyOf(const v1::EnrollmentPolicy& policy) {
  BlacklistPolicy out;
  out.years = policy.blacklist_years();
  return out;
}

CyclePolicy CyclePolicyOf(const v1::EnrollmentPolicy& policy) {
  CyclePolicy out;
  out.anchor_year = policy.cycle_anchor_year();
  out.length_years = policy.cycle_years();
  out.required_credit_hours = policy.required_credit_hours();
  out.required_off_site_days = policy.required_off_site_days();
  out.research_hours_per_school_year = policy.research_hours_per_school_year();
  out.workshop_hours_per_day = policy.workshop_hours_per_day();
  out.workshop_hours_per_year = policy.workshop_hours_per_year();
  out.mentoring_hours = policy.mentoring_hours();
  out.plan_submission_days = policy.plan_submission_days();
  return out;
}

v1::EnrollmentPolicy WithHoursOfPolicyInForce(v1::EnrollmentPolicy sent,
                                              const v1::EnrollmentPolicy& in_force) {
  if (sent.research_hours_per_school_year() == 0)
    sent.set_research_hours_per_school_year(in_force.research_hours_per_school_year());
  if (sent.workshop_hours_per_day() == 0)
    sent.set_workshop_hours_per_day(in_force.workshop_hours_per_day());
  if (sent.workshop_hours_per_year() == 0)
    sent.set_workshop_hours_per_year(in_force.workshop_hours_per_year());
  if (sent.mentoring_hours() == 0) sent.set_mentoring_hours(in_force.mentoring_hours());
  if (sent.plan_submission_days() == 0)
    sent.set_plan_submission_days(in_force.plan_submission_days());
  return sent;
}

std::pair<int, int> CycleOf(int year, const CyclePolicy& policy) {
  int offset = year - policy.anchor_year;
  int index = offset >= 0 ? offset / policy.length_years
                          : -((-offset + policy.length_years - 1) / policy.length_years);
  int start = policy.anchor_year + index * policy.length_years;
  return {start, start + policy.length_years - 1};
}

v1::CycleProgress ComputeCycleProgress(const std::string& teacher,
                                       const std::vector<CompletedTraining>& completed, int year,
                                       const CyclePolicy& policy) {
  auto [start, end] = CycleOf(year, policy);
  v1::CycleProgress progress;
  progress.set_teacher(teacher);
  progress.set_cycle_start_year(start);
  progress.set_cycle_end_year(end);
  progress.set_required_credit_hours(policy.required_credit_hours);
  progress.set_required_off_site_days(policy.required_off_site_days);
  for (const auto& t : completed) {
    if (t.year < start || t.year > end) continue;
    progress.set_credit_hours(progress.credit_hours() + t.credit_hours);
    progress.set_off_site_days(progress.off_site_days() + t.off_site_days);
  }
  progress.set_missing_credit_hours(
      std::max(0, policy.required_credit_hours - progress.credit_hours()));
  progress.set_missing_off_site_days(
      std::max(0, policy.required_off_site_days - progress.off_site_days()));
  return progress;
}

bool AtRisk(const v1::CycleProgress& progress) {
  return progress.missing_credit_hours() > 0 || progress.missing_off_site_days() > 0;
}

void AddOutcome(SeatCounts& counts, v1::EnrollmentState state, bool rural, int64_t n) {
  if (state == v1::WITHDRAWN) {
    counts.withdrawn += n;
    return;
  }
  counts.nominated += n;
  if (rural) counts.rural_nominated += n;
  switch (state) {
    case v1::COMPLETED:
      counts.completed += n;
      counts.checked_in += n;
      break;
    case v1::DISMISSED:
      counts.dismissed += n;
      counts.checked_in += n;
      break;
    case v1::NOT_COMPLETED:
      counts.not_completed += n;
      counts.checked_in += n;
      break;
    case v1::CHECKED_IN:
      counts.checked_in += n;
      break;
    case v1::NO_SHOW:
      counts.no_show += n;
      break;
    default:
      break;
  }
}

void Merge(SeatCounts& into, const SeatCounts& from) {
  into.quota += from.quota;
  into.nominated += from.nominated;
  into.checked_in += from.checked_in;
  into.completed += from.completed;
  into.no_show += from.no_show;
  into.dismissed += from.dismissed;
  into.not_completed += from.not_completed;
  into.withdrawn += from.withdrawn;
  into.ineligible += from.ineligible;
  into.found_ineligible += from.found_ineligible;
  into.rural_nominated += from.rural_nominated;
}

v1::RateRow ToRateRow(const std::string& key, const std::string& display_name,
                      const SeatCounts& c) {
  v1::RateRow row;
  row.set_key(key);
  row.set_display_name(display_name);
  row.set_quota(static_cast<int32_t>(c.quota));
  row.set_nominated(static_cast<int32_t>(c.nominated));
  row.set_checked_in(static_cast<int32_t>(c.checked_in));
  row.set_completed(static_cast<int32_t>(c.completed));
  row.set_no_show(static_cast<int32_t>(c.no_show));
  row.set_dismissed(static_cast<int32_t>(c.dismissed));
  row.set_not_completed(static_cast<int32_t>(c.not_completed));
  row.set_withdrawn(static_cast<int32_t>(c.withdrawn));
  // every seat of the quota not filled is an under-report (少报).
  row.set_under_reported(static_cast<int32_t>(std::max<int64_t>(0, c.quota - c.nominated)));
  row.set_ineligible(static_cast<int32_t>(c.ineligible));
  row.set_found_ineligible(static_cast<int32_t>(c.found_ineligible));
  row.set_rural_nominated(static_cast<int32_t>(c.rural_nominated));
  // 选派率 = nominated / quota, 报到率 = checked in / nominated, 结业率 = completed / checked
  // in.
  row.set_nomination_rate_bp(RateBp(c.nominated, c.quota));
  row.set_check_in_rate_bp(RateBp(c.checked_in, c.nominated));
  row.set_completion_rate_bp(RateBp(c.completed, c.checked_in));
  row.set_rural_share_bp(RateBp(c.rural_nominated, c.nominated));
  return row;
}

int32_t RateBp(int64_t numerator, int64_t denominator) {
  if (denominator <= 0) return 0;
  return static_cast<int32_t>((numerator * 10000 * 2 + denominator) / (2 * denominator));
}

}  // namespace peixun::enrollment::domain
