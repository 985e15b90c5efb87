// Evaluation's SQL. Every function runs inside the caller's transaction; nothing here decides
// a rule.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/pool.h"
#include "common/util/status.h"
#include "peixun/evaluation/v1/evaluation.pb.h"
#include "services/evaluation/domain/evaluation_rules.h"

namespace peixun::evaluation {

class EvaluationStore {
 public:
  // Rubrics
  // Stores `rubric` as the next version of `rubric_id` (versions of one rubric queue on its row).
  static v1::RubricVersion InsertRubricVersion(db::Connection& c, const std::string& rubric_id,
                                               const v1::RubricVersion& rubric);
  // Stores `rubric` as version 1 of `rubric_id` unless the rubric has a version already (safe
  // when several replicas seed at once); true when it stored it.
  static bool SeedRubric(db::Connection& c, const std::string& rubric_id,
                         const v1::RubricVersion& rubric);
  // Version `version`, or the newest with version 0.
  static absl::StatusOr<v1::RubricVersion> GetRubricVersion(db::Connection& c,
                                                            const std::string& rubric_id,
                                                            int version);
  // Versions after `after_version`, oldest first.
  static std::vector<v1::RubricVersion> ListRubricVersions(db::Connection& c,
                                                           const std::string& rubric_id,
                                                           int after_version, int limit);

  // Marks a version as used by a round: from then on it can never change.
  static void MarkRubricInUse(db::Connection& c, const std::string& rubric_id, int version);

  // Rounds
  struct RoundKey {
    int year = 0;
    std::string round_id;
  };
  // Inserts a round in SCORING with its counties; ALREADY_EXISTS if the id is taken.
  static absl::Status InsertRound(db::Connection& c, const RoundKey& key, const v1::Round& round,
                                  const std::string& rubric_id, int rubric_version,
                                  int grade_policy_version);
  static absl::StatusOr<v1::Round> GetRound(db::Connection& c, const RoundKey& key,
                                            bool for_update = false);
  // A round with what the handlers check before changing it.
  struct StoredRound {
    v1::Round round;
    std::string rubric_id;
    int rubric_version = 0;
    int grade_policy_version = 0;
    int version = 0;                     // bumped by every change to the round or its panel
    std::optional<int> results_version;  // the version results were last computed at
    bool deductions_fetched = false;
  };
  static absl::StatusOr<StoredRound> GetStoredRound(db::Connection& c, const RoundKey& key,
                                                    bool for_update);
  // The round, locked, while it is SCORING: what every change before publication needs.
  static absl::StatusOr<StoredRound> LockScoringRound(db::Connection& c, const RoundKey& key);
  // Records a change to the round (its etag moves); returns the new version.
  static int BumpRound(db::Connection& c, const RoundKey& key);
  static void SetResultsVersion(db::Connection& c, const RoundKey& key, int version);
  // PUBLISHED: the round and its draft results are frozen.
  static void MarkPublished(db::Connection& c, const RoundKey& key);
  // Rounds of a year after `after_id`, in id order.
  static std::vector<v1::Round> ListRounds(db::Connection& c, int year, const std::string& after_id,
                                           int limit);

  // Panels
  // ALREADY_EXISTS when the expert is already assigned to the county.
  static absl::Status InsertAssignment(db::Connection& c, const RoundKey& key,
                                       const v1::Assignment& assignment);
  static std::optional<v1::Assignment> FindAssignment(db::Connection& c, const RoundKey& key,
                                                      const std::string& county_code,
                                                      const std::string& expert);
  struct AssignmentFilter {
    std::string county_code;
    std::string expert;
  };
  // In (county, expert) order, after the assignment id `after`.
  static std::vector<v1::Assignment> ListAssignments(db::Connection& c, const RoundKey& key,
                                                     const AssignmentFilter& filter,
                                                     const std::string& after, int limit);
  // Per county, the experts assigned as reconcilers.
  static std::map<std::string, std::set<std::string>> Reconcilers(db::Connection& c,
                                                                  const RoundKey& key);

  // Replaces the expert's scores on the given indicators and appends them to the history with
  // who submitted them.
  static void UpsertScores(db::Connection& c, const RoundKey& key, const std::string& county_code,
                           const std::string& expert, const std::vector<v1::IndicatorScore>& scores,
                           const std::string& submitted_by);
  static v1::ScoreSheet GetScoreSheet(db::Connection& c, const RoundKey& key,
                                      const std::string& county_code, const std::string& expert);
  // Every score sheet of the round (or of one county), by county code.
  static std::map<std::string, std::vector<v1::ScoreSheet>> ScoreSheets(
      db::Connection& c, const RoundKey& key, const std::string& county_code = "");

  // Deductions: the figures fetched per county.
  static void SaveFigures(db::Connection& c, const RoundKey& key, const std::string& county_code,
                          const domain::FetchedFacts& figures, const std::string& computed_by);
  static std::map<std::string, domain::FetchedFacts> Figures(db::Connection& c, const RoundKey& key,
                                                             const std::string& county_code = "");

  // Results
  // Replaces the round's draft results (revision 1, unpublished) with `explanations`, whose
  // `result` carries total, grade and rank.
  static void ReplaceDrafts(db::Connection& c, const RoundKey& key,
                            const std::vector<v1::ResultExplanation>& explanations);
  // Adds a revision (published) of a county's result.
  static void InsertRevision(db::Connection& c, const RoundKey& key,
                             const v1::ResultExplanation& explanation);
  // The newest revision's total of every county, by county code.
  static std::map<std::string, int> NewestTotals(db::Connection& c, const RoundKey& key);
  // Revision `revision` (0: the newest) with its explanation.
  static absl::StatusOr<v1::ResultExplanation> GetExplanation(db::Connection& c,
                                                              const RoundKey& key,
                                                              const std::string& county_code,
                                                              int revision);
  static absl::StatusOr<v1::Result> GetResult(db::Connection& c, const RoundKey& key,
                                              const std::string& county_code, int revision);
  struct ResultFilter {
    v1::Grade grade = v1::GRADE_UNSPECIFIED;
    // Only these county-level units (a city filter's, by the region data) when set.
    std::optional<std::vector<std::string>> counties;
  };
  // Newest revisions, best total first then by county code, after the position `after`
  // ("{total}:{county}").
  static std::vector<v1::Result> ListResults(db::Connection& c, const RoundKey& key,
                                             const ResultFilter& filter, const std::string& after,
                                             int limit);

  // Grade policies
  // ABORTED when a concurrent insert took the version number.
  static absl::StatusOr<v1::GradePolicy> InsertGradePolicy(db::Connection& c,
                                                           const v1::GradePolicy& policy);
  // Version `version`, or with 0 the newest (the built-in defaults, version 0, when none).
  static absl::StatusOr<v1::GradePolicy> GetGradePolicy(db::Connection& c, int version);
};

}  // namespace peixun::evaluation
