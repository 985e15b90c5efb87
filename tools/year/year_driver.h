// The demonstration year (issue 5): one plan year run through the four running services, the way
// the province, counties, hosts and experts would, and the outcomes read back from them.
//   1. the catalog already loaded (plan year, projects, quotas down to counties) is read back;
//      teachers are generated and imported when asked, and read back per county;
//   2. counties nominate eligible teachers within their quotas before the deadline (some leave
//      seats unfilled, some try an ineligible teacher); the clock moves to the year's last day;
//      hosts check them in and complete them, with some no-shows, dismissals and
//      non-completions;
//   3. every county is a project county (funding); a round opens on funding's active counties,
//      experts from other counties score every indicator, deductions come from enrollment,
//      results are computed and published;
//   4. funding is decided and the budget summarised;
//   5. the next year: a teacher barred by R-12 is refused, and a new round leaves the revoked
//      counties out.
// Used by tools/quickstart (the demonstration), tools/bench year (figures) and the end-to-end
// test (which checks the outcomes against what the plan implies).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/auth/identity.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "peixun/evaluation/v1/evaluation.grpc.pb.h"
#include "peixun/funding/v1/funding.grpc.pb.h"

namespace peixun::year {

struct YearOptions {
  std::string catalog_target = "127.0.0.1:50051";
  std::string enrollment_target = "127.0.0.1:50052";
  std::string evaluation_target = "127.0.0.1:50053";
  std::string funding_target = "127.0.0.1:50054";
  auth::TokenSigner signer;  // signs every call's token
  int year = 2022;
  // Teachers generated and imported per county before nominating (0: use those registered).
  int generate_teachers_per_county = 0;
  int experts_per_county = 3;
  // When > 0, a tier policy version with this per-participant subsidy (fen) is made before
  // deciding, unless the newest already has it (R-28; the source documents set no amount).
  int64_t subsidy_per_participant_fen = 0;
  int threads = 8;
  // Run the next-year checks (R-12 refusal, R-27 round).
  bool next_year = true;
  // The suite's movable demonstration clock (--clock_file, common/util/clock.h). Hosts record
  // arrival and completion only once the training has begun and ended, so before they do
  // the driver moves the clock to the last day of the year (every project ends by then, R-5).
  // Empty: the clock is not moved (the services must already be past the training's dates).
  std::string clock_file;
  // Progress lines go here (nothing when empty).
  std::function<void(const std::string&)> progress;
};

// What the plan makes of one county: figures that follow from the generated data.
struct CountyPlan {
  std::string code;
  std::string display_name;
  std::string city;
  int quota = 0;      // seats of its county quotas
  int nominated = 0;  // accepted nominations
  int checked_in = 0;
  int completed = 0;
  int no_show = 0;        // 缺培, no special reason: barred
  int not_completed = 0;  // dismissed or not completed: barred
  int ineligible = 0;     // refused attempts
  // What R-20 deducts: the facts of its 国培 (NATIONAL) projects only.
  struct Deducted {
    int under_reported = 0;    // seats of national quotas left empty (少报)
    int no_show = 0;           // 缺培
    int not_completed = 0;     // dismissed or not completed (未结业)
    int found_ineligible = 0;  // trainees found ineligible at 报到 (学员不符合遴选条件)
    int persons() const { return under_reported + no_show + not_completed + found_ineligible; }
  } national;
  double quality = 0;              // how well the experts find the county (0..1)
  int panel_tenths = 0;            // sum of the panel's indicator scores, before deductions
  int automatic_panel_tenths = 0;  // the panel's score of the indicator that takes deductions
};

// What the services report for one county at the end.
struct CountyOutcome {
  enrollment::v1::RateRow rates;
  int deduction_tenths = 0;
  int total_tenths = 0;
  evaluation::v1::Grade grade = evaluation::v1::GRADE_UNSPECIFIED;
  int rank = 0;
  funding::v1::Tier tier = funding::v1::TIER_UNSPECIFIED;
  int64_t amount_fen = 0;
};

struct Phase {
  std::string name;
  double seconds = 0;
  int calls = 0;  // RPCs made in the phase
};

struct NextYearFindings {
  std::string barred_teacher;  // a teacher barred by this year's no-show or dismissal
  std::string barred_teacher_name;
  std::string barred_refusal;  // enrollment's answer to nominating them next year
  bool barred_refused_r12 = false;
  bool unbarred_accepted = false;    // a teacher of the same county without a bar is accepted
  int next_round_counties = 0;       // counties in next year's round (funding's active ones)
  std::vector<std::string> revoked;  // counties revoked by this year's decisions
  bool revoked_left_out = false;     // none of them is in next year's round
  std::string revoked_refusal;       // evaluation's answer to naming one explicitly
};

class YearDriver {
 public:
  explicit YearDriver(YearOptions options);
  ~YearDriver();

  // Runs every phase; stops at the first failure, naming the phase and the call.
  absl::Status Run();

  const std::vector<Phase>& phases() const { return phases_; }
  const std::vector<CountyPlan>& plans() const { return plans_; }
  const std::map<std::string, CountyOutcome>& outcomes() const { return outcomes_; }
  const funding::v1::BudgetSummary& province_budget() const { return province_budget_; }
  const NextYearFindings& next_year() const { return next_year_; }
  const std::string& round() const { return round_; }
  int teachers() const { return teachers_; }
  // Hours the schools and counties reported: research rows registered, claims
  // approved.
  int research_registered() const { return research_registered_; }
  int claims_approved() const { return claims_approved_; }
  // Rows of the indicator that takes deductions (e.g. "2.2"), for explanations.
  const std::string& automatic_indicator() const { return automatic_indicator_; }

  // The per-county table (rates, score, grade, tier, amount) and the province summary.
  std::string Table() const;
  // One JSON object: counts, grades, tiers and the phase times.
  std::string Json() const;

 private:
  struct Stubs;
  class Planner;

  absl::Status Timed(const std::string& name, const std::function<absl::Status()>& phase);
  absl::Status ReadCatalog();
  absl::Status ImportTeachers();
  absl::Status ReadTeachers();
  absl::Status Nominate();
  absl::Status Attend();
  absl::Status ReportHours();
  absl::Status Evaluate();
  absl::Status Publish();
  absl::Status Decide();
  absl::Status NextYear();
  void Progress(const std::string& line) const;

  YearOptions options_;
  std::unique_ptr<Stubs> stubs_;
  std::unique_ptr<Planner> planner_;
  std::vector<Phase> phases_;
  std::vector<CountyPlan> plans_;
  std::map<std::string, CountyOutcome> outcomes_;
  funding::v1::BudgetSummary province_budget_;
  NextYearFindings next_year_;
  std::string round_;
  std::string automatic_indicator_;
  int teachers_ = 0;
  int research_registered_ = 0;
  int claims_approved_ = 0;
  std::map<std::string, std::string> teacher_names_;  // resource name -> display name
  int calls_ = 0;
};

}  // namespace peixun::year
