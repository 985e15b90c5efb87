// Evaluation's resource names: rounds and the results of their counties.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/evaluation/evaluation_store.h"

namespace peixun::evaluation {

// "years/{year}/rounds/{round}" of `key`.
std::string RoundNameOf(const EvaluationStore::RoundKey& key);

// "years/{year}/rounds/{round}", INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<EvaluationStore::RoundKey> ParseRoundName(const std::string& name,
                                                         absl::string_view field);

struct ResultKey {
  EvaluationStore::RoundKey round;
  std::string county_code;
};
// "years/{year}/rounds/{round}/results/{county}".
absl::StatusOr<ResultKey> ParseResultName(const std::string& name, absl::string_view field);

}  // namespace peixun::evaluation
