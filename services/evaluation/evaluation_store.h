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

  // Grade policies
  // ABORTED when a concurrent insert took the version number.
  static absl::StatusOr<v1::GradePolicy> InsertGradePolicy(db::Connection& c, const v1::GradePolicy& policy);
  // Version `version`, or with 0 the newest (the built-in defaults, version 0, when none).
  static absl::StatusOr<v1::GradePolicy> GetGradePolicy(db::Connection& c, int version);
};

}  // namespace peixun::evaluation
