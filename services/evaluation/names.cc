#include "services/evaluation/names.h"

#include "absl/strings/str_cat.h"
#include "common/util/names.h"
#include "common/util/status.h"

namespace peixun::evaluation {

std::string RoundNameOf(const EvaluationStore::RoundKey& key) {
  return absl::StrCat("years/", key.year, "/rounds/", key.round_id);
}

absl::StatusOr<EvaluationStore::RoundKey> ParseRoundName(const std::string& name,
                                                         absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, "years/{year}/rounds/{round}", field));
  EvaluationStore::RoundKey key;
  PEIXUN_ASSIGN_OR_RETURN(key.year, ParseYear(parts["year"], field));
  key.round_id = parts["round"];
  PEIXUN_RETURN_IF_ERROR(ValidateId(key.round_id, field));
  return key;
}

absl::StatusOr<ResultKey> ParseResultName(const std::string& name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts,
                          ParseName(name, "years/{year}/rounds/{round}/results/{county}", field));
  ResultKey key;
  PEIXUN_ASSIGN_OR_RETURN(key.round.year, ParseYear(parts["year"], field));
  key.round.round_id = parts["round"];
  PEIXUN_RETURN_IF_ERROR(ValidateId(key.round.round_id, field));
  PEIXUN_ASSIGN_OR_RETURN(const RegionName county,
                          RegionName::ParseCounty("regions/" + parts["county"], field));
  key.county_code = county.code;
  return key;
}

}  // namespace peixun::evaluation
