// Evaluation's SQL. Every function runs inside the caller's transaction; nothing here decides
// a rule.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/pool.h"
#include "peixun/evaluation/v1/evaluation.pb.h"

namespace peixun::evaluation {

namespace v1 = ::peixun::evaluation::v1;

class EvaluationStore {
 public:
  // Rubrics
  // Stores `rubric` as the next version of `rubric_id` (versions of one rubric queue on its row).
  static v1::RubricVersion InsertRubricVersion(db::Connection& c, const std::string& rubric_id,
                                               const v1::RubricVersion& rubric);
  // Version `version`, or the newest with version 0.
  static absl::StatusOr<v1::RubricVersion> GetRubricVersion(db::Connection& c, const std::string& rubric_id,
                                                            int version);
  // Versions after `after_version`, oldest first.
  static std::vector<v1::RubricVersion> ListRubricVersions(db::Connection& c, const std::string& rubric_id,
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
                                  const std::string& rubric_id, int rubric_version, int grade_policy_version);
  static absl::StatusOr<v1::Round> GetRound(db::Connection& c, const RoundKey& key, bool for_update = false);
  // Rounds of a year after `after_id`, in id order.
  static std::vector<v1::Round> ListRounds(db::Connection& c, int year, const std::string& after_id, int limit);

  // Grade policies
  // ABORTED when a concurrent insert took the version number.
  static absl::StatusOr<v1::GradePolicy> InsertGradePolicy(db::Connection& c, const v1::GradePolicy& policy);
  // Version `version`, or with 0 the newest (the built-in defaults, version 0, when none).
  static absl::StatusOr<v1::GradePolicy> GetGradePolicy(db::Connection& c, int version);
};

}  // namespace peixun::evaluation
