// A round's steps from scoring to publication, pure: scores as sent and against
// the rubric, disagreement between experts, the automatic indicator, the round's results
// computed together and ranked, and the gates a round passes before it is published.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "peixun/evaluation/v1/evaluation.pb.h"
#include "services/evaluation/domain/evaluation_rules.h"

namespace peixun::evaluation::domain {

using IndicatorScores = google::protobuf::RepeatedPtrField<v1::IndicatorScore>;

// Scores as sent: at least one; each names an indicator once, says what it rests on and carries
// a comment of at most 1000 bytes. Errors name the score, e.g. "scores[2].evidence".
absl::Status CheckScoreShapes(const IndicatorScores& scores, absl::string_view field);

// scores go on leaf indicators of `rubric` only, each within 0 .. the leaf's maximum.
absl::Status CheckScoresAgainstRubric(const IndicatorScores& scores,
                                      const v1::RubricVersion& rubric, absl::string_view field);

// the leaves on which the experts' sheets differ beyond the threshold.
std::vector<std::string> DisagreedIndicators(const std::vector<v1::ScoreSheet>& sheets,
                                             int threshold_tenths);

// the leaf that takes automatic deductions, or nullptr when the rubric has none.
const v1::Indicator* AutomaticIndicator(const v1::RubricVersion& rubric);

// OK while the round is SCORING; a published round's results are frozen.
absl::Status RequireScoring(const v1::Round& round);

// `county` ("regions/{code}") is one of the round's counties; bad input naming `field` if not.
absl::Status RequireCountyOfRound(const v1::Round& round, absl::string_view county,
                                  absl::string_view field);

// every county's account (`inputs` in the round's county order), named, ranked
// among the round's counties and as revision 1. FAILED_PRECONDITION naming the first counties
// that cannot be computed yet, and how many.
absl::StatusOr<std::vector<v1::ResultExplanation>> ComputeRoundResults(
    const v1::Round& round, const v1::RubricVersion& rubric, const std::vector<PanelInput>& inputs,
    const RoundRules& rules);

// a revision says why (1 to 255 bytes) and corrects something: corrected scores (well
// shaped, with the expert whose they are) or deductions fetched again. Errors name the field.
absl::Status CheckRevisionRequest(const v1::ReviseResultRequest& request);
// only a published round's results are revised; drafts change by scoring.
absl::Status RequirePublished(const v1::Round& round);

// A revised county's rank among the newest totals of every county of the round (its own
// replaced by `total_tenths`): one more than the counties strictly ahead.
int RankAmong(std::map<std::string, int> totals_tenths, const std::string& county_code,
              int total_tenths);

// a round is published only while SCORING, with results computed at its latest
// version (`results_version` of `version`), and no county flagged for disagreement.
absl::Status CheckPublishable(const v1::Round& round, std::optional<int> results_version,
                              int version, const std::vector<v1::Result>& results);

}  // namespace peixun::evaluation::domain
