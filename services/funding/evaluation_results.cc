#include "services/funding/evaluation_results.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/server/dependency.h"
#include "common/util/status.h"

namespace peixun::funding {

namespace ev = ::peixun::evaluation::v1;

EvaluationResults::EvaluationResults(const std::string& target, auth::TokenSigner signer,
                                     const Clock& clock,
                                     std::shared_ptr<grpc::ChannelCredentials> credentials)
    : evaluation_("funding", "evaluation", target, std::move(signer), clock,
                  std::move(credentials)) {}

absl::StatusOr<std::vector<domain::DecisionInput>> EvaluationResults::PublishedResults(
    int year) const {
  return Results(year, true);
}

absl::StatusOr<std::vector<domain::DecisionInput>> EvaluationResults::NewestResults(
    int year) const {
  return Results(year, false);
}

absl::StatusOr<std::vector<domain::DecisionInput>> EvaluationResults::Results(
    int year, bool published_only) const {
  std::vector<std::string> rounds;
  ev::ListRoundsRequest list_rounds;
  list_rounds.set_parent(absl::StrCat("years/", year));
  PEIXUN_RETURN_IF_ERROR(evaluation_.ListAll(
      &ev::EvaluationService::Stub::ListRounds, list_rounds,
      absl::StrCat("did not answer ListRounds of ", year), [&](const ev::ListRoundsResponse& page) {
        for (const auto& round : page.rounds()) {
          if (!published_only || round.state() == ev::Round::PUBLISHED)
            rounds.push_back(round.name());
        }
        return absl::OkStatus();
      }));
  if (rounds.empty() && published_only) {
    return RuleError(
        "R-26", absl::StrCat("no evaluation round of ", year,
                             " is published (通报) yet; decisions follow published results only"));
  }
  std::map<std::string, domain::DecisionInput> by_county;
  for (const auto& round : rounds) {
    ev::ListResultsRequest list_results;
    list_results.set_round(round);
    auto each = [&](const ev::ListResultsResponse& page) -> absl::Status {
      for (const auto& result : page.results()) {
        domain::DecisionInput input;
        input.county = result.county();
        input.result = result.name();
        input.result_revision = result.revision();
        input.grade = ev::Grade_Name(result.grade());
        auto [it, fresh] = by_county.emplace(input.county, input);
        if (!fresh) {
          return RuleError("R-26",
                           absl::StrCat(input.county, " has results in two rounds of ", year, " (",
                                        it->second.result, " and ", input.result,
                                        "); one decision cannot follow both"));
        }
      }
      return absl::OkStatus();
    };
    PEIXUN_RETURN_IF_ERROR(
        evaluation_.ListAll(&ev::EvaluationService::Stub::ListResults, list_results,
                            absl::StrCat("did not answer ListResults of ", round), each));
  }
  if (by_county.empty() && !published_only) {
    return absl::FailedPreconditionError(
        absl::StrCat("no evaluation round of ", year,
                     " has results yet; ComputeResults comes before a simulation"));
  }
  std::vector<domain::DecisionInput> out;
  out.reserve(by_county.size());
  for (auto& [county, input] : by_county) out.push_back(std::move(input));
  return out;
}

}  // namespace peixun::funding
