#include "common/auth/access.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace peixun::auth {
namespace {

constexpr Permission Province() { return {Role::kProvinceAdmin, Scope::kAll}; }
constexpr Permission City() { return {Role::kCityAdmin, Scope::kOwnCity}; }
constexpr Permission County() { return {Role::kCountyAdmin, Scope::kOwnCounty}; }
constexpr Permission OwnHost() { return {Role::kHost, Scope::kOwnHost}; }
constexpr Permission TrainingSchool() { return {Role::kTrainingSchool, Scope::kOwnCounty}; }
constexpr Permission OwnSchool() { return {Role::kSchoolAdmin, Scope::kOwnSchool}; }
constexpr Permission Self() { return {Role::kTeacher, Scope::kSelf}; }

// Non-personal data (the catalog, policies, aggregates, published results): every role.
std::vector<Permission> Everyone() {
  std::vector<Permission> all;
  for (Role role : kAllRoles) all.push_back({role, Scope::kAll});
  return all;
}

// Methods of one service, named without the service's prefix.
class Table {
 public:
  explicit Table(std::vector<MethodPolicy>& out) : out_(out) {}
  Table& Service(absl::string_view full_name) {
    service_ = std::string(full_name);
    return *this;
  }
  // Answers without personal data.
  Table& Method(absl::string_view method, absl::string_view action, std::vector<Permission> who) {
    return Add(method, action, false, std::move(who));
  }
  // Answers carrying teachers' personal data.
  Table& Personal(absl::string_view method, absl::string_view action, std::vector<Permission> who) {
    return Add(method, action, true, std::move(who));
  }

 private:
  Table& Add(absl::string_view method, absl::string_view action, bool personal,
             std::vector<Permission> who) {
    out_.push_back(
        MethodPolicy{absl::StrCat(service_, ".", method), action, personal, std::move(who)});
    return *this;
  }

  std::vector<MethodPolicy>& out_;
  std::string service_;
};

std::vector<MethodPolicy> DefaultMethods() {
  std::vector<MethodPolicy> methods;
  Table table(methods);
  // Catalog: what is offered is public to every caller; the province changes it, a city
  // splits its own city quota among its counties, and cities and counties run their own
  // 市培 and 县培 projects with their seats.
  table.Service("peixun.catalog.v1.CatalogService")
      .Method("ImportRegions", "import regions", {Province()})
      .Method("GetRegion", "read regions", Everyone())
      .Method("ListRegions", "list regions", Everyone())
      .Method("CreateYear", "open a plan year", {Province()})
      .Method("GetYear", "read plan years", Everyone())
      .Method("UpdateYear", "change a plan year", {Province()})
      .Method("CreateCategory", "create categories", {Province()})
      .Method("ListCategories", "list categories", Everyone())
      .Method("CreateHost", "register hosts", {Province()})
      .Method("GetHost", "read hosts", Everyone())
      .Method("ListHosts", "list hosts", Everyone())
      // a city runs its own 市培 projects and a county its own 县培 ones.
      .Method("CreateProject", "create projects", {Province(), City(), County()})
      .Method("GetProject", "read projects", Everyone())
      .Method("ListProjects", "list projects", Everyone())
      .Method("UpdateProject", "change projects", {Province(), City(), County()})
      .Method("AllocateQuota", "allocate quotas", {Province(), City(), County()})
      .Method("GetQuota", "read quotas", Everyone())
      .Method("ListQuotas", "list quotas", Everyone())
      .Method("CreateCostPolicy", "set the cost standard", {Province()})
      .Method("GetCostPolicy", "read the cost standard", Everyone())
      .Method("GetProjectBudget", "read project budgets", Everyone())
      .Method("ListAuditEntries", "read catalog's audit record (R-37)", {Province()})
      .Method("WatchEvents", "follow catalog events", Everyone());

  // Enrollment: teachers' personal data goes only to those R-35 names. Services read
  // aggregates only (evaluation and funding ask for rates); catalog events reach enrollment,
  // not the other way round.
  table.Service("peixun.enrollment.v1.EnrollmentService")
      .Personal("ImportTeachers", "import teachers", {Province(), City(), County()})
      .Personal("GetTeacher", "read teachers", {Province(), City(), County(), OwnHost(), Self()})
      .Personal("ListTeachers", "list teachers", {Province(), City(), County()})
      .Personal("UpdateTeacher", "change teachers", {Province(), City(), County()})
      // a county registers its schools; their names and teacher counts are public.
      .Method("ImportSchools", "register schools", {Province(), County()})
      .Method("GetSchool", "read schools", Everyone())
      .Method("ListSchools", "list schools", Everyone())
      // a school submits its plan of school-based research; the county's teacher
      // training school reviews it; the county and its city follow.
      .Method("SubmitResearchPlan", "submit plans of school-based research (R-32)",
              {Province(), OwnSchool()})
      .Method("GetResearchPlan", "read plans of school-based research (R-32)",
              {Province(), City(), County(), TrainingSchool(), OwnSchool()})
      .Method("ListResearchPlans", "list plans of school-based research (R-32)",
              {Province(), City(), County(), TrainingSchool(), OwnSchool()})
      .Method("ApproveResearchPlan", "approve plans of school-based research (R-32)",
              {Province(), TrainingSchool()})
      .Method("ReturnResearchPlan", "return plans of school-based research (R-32)",
              {Province(), TrainingSchool()})
      // at the year's end the school reports its teachers' research hours; the
      // training school verifies them into the ledger (核准) or returns the report. The rows
      // (teachers and their hours) go to those who send, verify or oversee them; the list
      // gives counts only.
      .Personal("SubmitSchoolHoursReport", "report teachers' research hours (R-32)",
                {Province(), OwnSchool()})
      .Personal("GetSchoolHoursReport", "read reports of research hours (R-32)",
                {Province(), City(), County(), TrainingSchool(), OwnSchool()})
      .Method("ListSchoolHoursReports", "list reports of research hours (R-32)",
              {Province(), City(), County(), TrainingSchool(), OwnSchool()})
      .Personal("VerifySchoolHoursReport", "verify reports of research hours (R-32)",
                {Province(), TrainingSchool()})
      .Personal("ReturnSchoolHoursReport", "return reports of research hours (R-32)",
                {Province(), TrainingSchool()})
      .Personal("NominateTeacher", "nominate teachers (R-7)", {County()})
      .Personal("WithdrawEnrollment", "withdraw nominations (R-11)", {County()})
      .Personal("CheckIn", "record check-ins (R-11)", {Province(), OwnHost()})
      .Personal("Complete", "record completions (R-11)", {Province(), OwnHost()})
      .Personal("Dismiss", "dismiss trainees (R-11)", {Province(), OwnHost()})
      .Personal("MarkNotCompleted", "record failed completions (R-11)", {Province(), OwnHost()})
      .Personal("MarkNoShow", "record no-shows (R-11)", {Province(), OwnHost()})
      .Personal("ReviewNoShowReason", "review no-show reasons (R-12)", {Province()})
      .Personal("ReportIneligibleTrainee", "report trainees found ineligible at 报到 (R-9)",
                {Province(), OwnHost()})
      .Personal("GetEnrollment", "read enrollments",
                {Province(), City(), County(), OwnHost(), Self()})
      .Personal("ListEnrollments", "list enrollments",
                {Province(), City(), County(), OwnHost(), Self()})
      .Personal("ListBlacklistEntries", "list blacklist entries (R-12)",
                {Province(), City(), County(), Self()})
      .Personal("LiftBlacklistEntry", "lift blacklist entries (R-12)", {Province()})
      .Personal("GetCycleProgress", "read credit-hour cycle progress (R-14)",
                {Province(), City(), County(), Self()})
      .Personal("ListHourEntries", "read credit-hour ledgers (R-31)",
                {Province(), City(), County(), Self()})
      // the county, or its teacher training school verifying its schools' reports
      // (核准), registers what its schools, workshops and mentors report.
      .Personal("RegisterHours", "register reported hours (R-32, R-14)",
                {Province(), County(), TrainingSchool()})
      // a teacher claims hours earned elsewhere (or its county files for it); the
      // county the claim was filed in reviews it.
      .Personal("CreateHourClaim", "claim credit hours earned elsewhere (R-33)",
                {Province(), County(), Self()})
      .Personal("GetHourClaim", "read credit-hour claims (R-33)",
                {Province(), City(), County(), Self()})
      .Personal("ListHourClaims", "list credit-hour claims (R-33)",
                {Province(), City(), County(), Self()})
      .Personal("ApproveHourClaim", "approve credit-hour claims (R-33)", {Province(), County()})
      .Personal("RefuseHourClaim", "refuse credit-hour claims (R-33)", {Province(), County()})
      // a certificate of hours for those who read the teacher's hours; its code verifies
      // for anyone, showing no more than the certificate (the name masked).
      .Personal("GetHoursCertificate", "obtain certificates of hours (R-34)",
                {Province(), City(), County(), Self()})
      .Method("VerifyHoursCertificate", "verify certificates of hours (R-34)", Everyone())
      .Personal("ListAtRiskTeachers", "list teachers at risk in their cycle (R-14)",
                {Province(), City(), County()})
      .Personal("GetTrainingArchive", "read training archives (R-15)",
                {Province(), City(), County(), Self()})
      .Method("CreateEnrollmentPolicy", "set the enrollment policy", {Province()})
      .Method("GetEnrollmentPolicy", "read the enrollment policy", Everyone())
      .Method("GetRateReport", "read rates (R-16)", Everyone())
      // Every role may follow; events about teachers and enrollments go only to province
      // admins (Handlers::WatchEvents leaves them out for the others).
      .Personal("ListAuditEntries", "read enrollment's audit record (R-37)", {Province()})
      .Personal("WatchEvents", "follow enrollment events", Everyone());

  // Evaluation: the province runs rounds; experts score the counties they are assigned to;
  // published results are province-wide, drafts and expert scores are narrower.
  table.Service("peixun.evaluation.v1.EvaluationService")
      .Method("CreateRubricVersion", "make rubrics", {Province()})
      .Method("GetRubricVersion", "read rubrics", Everyone())
      .Method("ListRubricVersions", "list rubrics", Everyone())
      .Method("CreateGradePolicy", "set grade thresholds", {Province()})
      .Method("GetGradePolicy", "read grade thresholds", Everyone())
      .Method("CreateRound", "open evaluation rounds", {Province()})
      .Method("GetRound", "read rounds", Everyone())
      .Method("ListRounds", "list rounds", Everyone())
      .Method("AssignExpert", "assign experts", {Province()})
      .Method("ListAssignments", "list expert assignments",
              {Province(), {Role::kExpert, Scope::kSelf}})
      .Method("SubmitScores", "score counties", {{Role::kExpert, Scope::kAssigned}})
      .Method("ComputeDeductions", "compute deductions", {Province()})
      .Method("ComputeResults", "compute results", {Province()})
      .Method("PublishRound", "publish rounds (通报)", {Province()})
      .Method("ReviseResult", "revise published results", {Province()})
      .Method("GetResult", "read results", Everyone())
      .Method("ListResults", "list results", Everyone())
      .Method("ExplainResult", "read the expert scores behind a result",
              {Province(), City(), County()})
      .Method("ListAuditEntries", "read evaluation's audit record (R-37)", {Province()})
      .Method("WatchEvents", "follow evaluation events", Everyone());

  // Funding: decisions, statuses and budgets are aggregates, public to every caller.
  table.Service("peixun.funding.v1.FundingService")
      .Method("CreateTierPolicy", "set the tier policy", {Province()})
      .Method("GetTierPolicy", "read the tier policy", Everyone())
      .Method("DecideFunding", "decide funding", {Province()})
      .Method("SimulateFunding", "simulate funding on draft results", {Province()})
      .Method("GetDecision", "read decisions", Everyone())
      .Method("ListDecisions", "list decisions", Everyone())
      .Method("DesignateProjectCounty", "designate project counties", {Province()})
      .Method("GetProjectCounty", "read project-county status", Everyone())
      .Method("ListProjectCounties", "list project counties", Everyone())
      .Method("GetBudgetSummary", "read budget summaries", Everyone())
      .Method("ListAuditEntries", "read funding's audit record (R-37)", {Province()})
      .Method("WatchEvents", "follow funding events", Everyone());
  return methods;
}

}  // namespace

bool IsService(const Caller& caller, absl::string_view name) {
  return caller.role == Role::kService && caller.subject == absl::StrCat("services/", name);
}

absl::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kNone:
      return "none";
    case Scope::kAll:
      return "all";
    case Scope::kOwnCity:
      return "own city";
    case Scope::kOwnCounty:
      return "own county";
    case Scope::kOwnSchool:
      return "own school";
    case Scope::kOwnHost:
      return "own host's projects";
    case Scope::kAssigned:
      return "assigned counties";
    case Scope::kSelf:
      return "self";
  }
  return "none";
}

bool Access::Covers(const Resource& resource) const {
  switch (scope) {
    case Scope::kAll:
      return true;
    case Scope::kOwnCity:
      // 济源示范区 (R-1a) is a city-level unit that is its own county-level unit.
      return !region_code.empty() &&
             (resource.city == region_code || resource.county == region_code);
    case Scope::kOwnCounty:
      return !region_code.empty() && resource.county == region_code;
    case Scope::kOwnSchool:
      return role == Role::kSchoolAdmin && !subject.empty() && resource.school == subject;
    case Scope::kOwnHost:
      return !host.empty() && resource.host == host;
    case Scope::kAssigned:
      return resource.assigned;
    case Scope::kSelf:
      return !subject.empty() &&
             (role == Role::kExpert ? resource.expert : resource.teacher) == subject;
    case Scope::kNone:
      return false;
  }
  return false;
}

absl::Status Access::Check(const Resource& resource) const {
  if (Covers(resource)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "role ", RoleName(role), " may ", policy != nullptr ? policy->action : "call this method",
      " only for its ", ScopeName(scope), ", and ",
      resource.name.empty() ? "this resource" : resource.name, " is outside it"));
}

std::string AccessPolicy::Markdown() const {
  std::string out = "| method | what it does | personal data |";
  std::string rule = "|---|---|---|";
  for (Role role : kAllRoles) {
    absl::StrAppend(&out, " ", RoleName(role), " |");
    rule += "---|";
  }
  absl::StrAppend(&out, "\n", rule, "\n");
  for (const auto& m : methods_) {
    const absl::string_view method = absl::string_view(m.method).substr(m.method.find("v1.") + 3);
    absl::StrAppend(&out, "| `", method, "` | ", m.action, " | ", m.personal_data ? "yes" : "",
                    " |");
    for (Role role : kAllRoles) {
      const Scope scope = ScopeOf(role, m.method);
      absl::StrAppend(&out, " ", scope == Scope::kNone ? "" : ScopeName(scope), " |");
    }
    out += "\n";
  }
  return out;
}

const AccessPolicy& AccessPolicy::Default() {
  static const AccessPolicy* policy = new AccessPolicy(DefaultMethods());
  return *policy;
}

AccessPolicy::AccessPolicy(std::vector<MethodPolicy> methods) : methods_(std::move(methods)) {
  for (size_t i = 0; i < methods_.size(); ++i) index_.emplace(methods_[i].method, i);
}

const MethodPolicy* AccessPolicy::Find(absl::string_view method) const {
  auto it = index_.find(method);
  return it == index_.end() ? nullptr : &methods_[it->second];
}

Scope AccessPolicy::ScopeOf(Role role, absl::string_view method) const {
  const MethodPolicy* policy = Find(method);
  if (policy == nullptr) return Scope::kNone;
  for (const auto& p : policy->permissions) {
    if (p.role == role) return p.scope;
  }
  return Scope::kNone;
}

absl::StatusOr<Access> AccessPolicy::Admit(const Caller& caller, absl::string_view method) const {
  const MethodPolicy* policy = Find(method);
  if (policy == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(method, " has no entry in the access policy"));
  }
  Access access;
  static_cast<Caller&>(access) = caller;
  access.policy = policy;
  for (const auto& p : policy->permissions) {
    if (p.role == caller.role) access.scope = p.scope;
  }
  if (access.scope == Scope::kNone) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", RoleName(caller.role), " may not ", policy->action));
  }
  return access;
}

}  // namespace peixun::auth
