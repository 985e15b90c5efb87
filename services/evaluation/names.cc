#include "services/evaluation/names.h"

#include "common/util/names.h"
#include "common/util/status.h"

namespace peixun::evaluation {

absl::StatusOr<EvaluationStore::RoundKey> ParseRoundName(const std::string& name,
                                                         absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, "years/{year}/rounds/{round}", field));
  EvaluationStore::RoundKey key;
  PEIXUN_ASSIGN_OR_RETURN(key.year, ParseYear(parts["year"], field));
  key.round_id = parts["round"];
  PEIXUN_RETURN_IF_ERROR(ValidateId(key.round_id, field));
  return key;
}

absl::StatusOr<std::string> ParseCountyName(const std::string& name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, "regions/{code}", field));
  const std::string code = parts["code"];
  if (code.size() != 6 || code.find_first_not_of("0123456789") != std::string::npos) {
    return FieldError(field,
                      absl::StrCat("'", name, "' is not a county (regions/ and a 6-digit code)"));
  }
  return code;
}

absl::StatusOr<ResultKey> ParseResultName(const std::string& name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts,
                          ParseName(name, "years/{year}/rounds/{round}/results/{county}", field));
  ResultKey key;
  PEIXUN_ASSIGN_OR_RETURN(key.round.year, ParseYear(parts["year"], field));
  key.round.round_id = parts["round"];
  PEIXUN_RETURN_IF_ERROR(ValidateId(key.round.round_id, field));
  PEIXUN_ASSIGN_OR_RETURN(key.county_code, ParseCountyName("regions/" + parts["county"], field));
  return key;
}

}  // namespace peixun::evaluation
