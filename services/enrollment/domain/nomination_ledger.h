// A batch of nominations judged as the rules say, in arrival order, against the facts read for
// it in one round trip: R-7 (own teachers), R-5/R-7 (the deadline or the training's start,
// whichever is first), R-12 (a bar over the training's dates, 国培 and 省培 only),
// R-9 (eligibility), R-13 (no repetition), then R-7 again (a free seat in the county's quota).
// An accepted nomination holds its seat and its dates for the ones after it, exactly as if each
// had been judged in a transaction of its own. Pure: the nomination desk reads the facts and
// writes the decisions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "services/enrollment/domain/enrollment_rules.h"

namespace peixun::enrollment::domain {

// A county's seats in a project and how many are held (every state but WITHDRAWN).
struct SeatUse {
  int32_t seats = 0;
  int32_t held = 0;
};

struct ProjectFacts {
  catalog_v1::Project project;
  std::optional<absl::CivilDay> deadline;  // the year's nomination deadline, if the year is known
};

// (year, project id)
using ProjectKey = std::pair<int, std::string>;

// What a batch's checks need, keyed by ids and codes as the rows are.
struct NominationFacts {
  std::map<std::string, v1::Teacher> teachers;  // by teacher id
  std::map<ProjectKey, ProjectFacts> projects;
  std::map<std::string, catalog_v1::Region> regions;   // the nominating counties, by code
  std::map<std::string, absl::CivilDay> barred_until;  // latest end of an active bar
  std::map<std::string, std::vector<EnrollmentSpan>> live_spans;  // not WITHDRAWN
  std::map<ProjectKey, std::map<std::string, SeatUse>> quotas;    // project -> county -> use
};

// One nomination as its handler parsed it.
struct NominationRequest {
  std::string teacher_id;
  ProjectKey project;
  std::string county;  // the nominating county admin's county code
  absl::CivilDay today;
};

struct NominationDecision {
  absl::Status status;  // OK: accepted
  // The id of the rule that refused it ("R-7", "R-9", "R-12", "R-13", as RuleOf reads it);
  // empty when accepted or refused for another reason (unknown teacher or project).
  std::string rule;
  // An R-9 refusal is a fact of its own, recorded although the nomination is not.
  bool record_ineligible = false;
  bool rural = false;  // accepted: the teacher's flag, counted by the rate report
  // Refused on the local copy of the catalog alone: the project or the county's quota is not
  // in it, or every seat is held. Catalog may know more (the copy follows it with a lag), so
  // the refusal stands only once catalog confirms it.
  bool ask_catalog = false;
  int32_t seats_in_copy = -1;  // the county's seats in the copy; -1: none
};

class NominationLedger {
 public:
  // `catalog_current`: whether the local copy of the catalog is known to be current; a project
  // it lacks is then NOT_FOUND, otherwise UNAVAILABLE (retry once the copy has caught up).
  NominationLedger(NominationFacts facts, bool catalog_current);

  // Judges `request` after every nomination judged before it. Accepted, it holds a seat and
  // its training dates as `enrollment` (its resource name) for the ones after it.
  NominationDecision Judge(const NominationRequest& request, const std::string& enrollment);

  const NominationFacts& facts() const { return facts_; }

 private:
  NominationFacts facts_;
  const bool catalog_current_;
};

}  // namespace peixun::enrollment::domain
