// Panels, scores, deductions and results: the handlers after a round is
// opened. Every change locks the round's row first, so scoring, computing and publishing one
// round are serialized, and each moves the round's etag.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/auth/access.h"
#include "common/events/outbox.h"
#include "common/util/filter.h"
#include "common/util/ids.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "google/protobuf/util/time_util.h"
#include "services/evaluation/domain/evaluation_rules.h"
#include "services/evaluation/evaluation_service.h"
#include "services/evaluation/evaluation_store.h"
#include "services/evaluation/names.h"

namespace peixun::evaluation {
namespace {

using auth::Role;
using StoredRound = EvaluationStore::StoredRound;

std::string RoundNameOf(const EvaluationStore::RoundKey& key) {
  return absl::StrCat("years/", key.year, "/rounds/", key.round_id);
}

// FAILED_PRECONDITION unless the round is still SCORING.
absl::Status RequireScoring(const StoredRound& round) {
  if (round.round.state() == v1::Round::SCORING) return absl::OkStatus();
  return RuleError("R-23",
                   absl::StrCat(round.round.name(),
                                " is published and its results are frozen; a correction is a new "
                                "revision (ReviseResult)"));
}

// The round, locked, in SCORING: what every change before publication needs.
absl::StatusOr<StoredRound> LockScoringRound(db::Connection& c,
                                             const EvaluationStore::RoundKey& key) {
  PEIXUN_ASSIGN_OR_RETURN(StoredRound round,
                          EvaluationStore::GetStoredRound(c, key, /*for_update=*/true));
  PEIXUN_RETURN_IF_ERROR(RequireScoring(round));
  return round;
}

// Every result of the round, newest revisions, best first (ties by county code).
std::vector<v1::Result> AllResults(db::Connection& c, const EvaluationStore::RoundKey& key,
                                   const StoredRound& round) {
  return EvaluationStore::ListResults(c, key, {}, "", round.round.counties_size());
}

absl::Status RequireCountyOfRound(const StoredRound& round, const std::string& county,
                                  absl::string_view field) {
  const auto& counties = round.round.counties();
  if (std::find(counties.begin(), counties.end(), county) == counties.end()) {
    return FieldError(field, absl::StrCat(county, " is not evaluated in ", round.round.name()));
  }
  return absl::OkStatus();
}

// Scores as sent: each names an indicator once, carries its evidence and a comment that fits.
absl::Status CheckScoreShapes(const google::protobuf::RepeatedPtrField<v1::IndicatorScore>& scores,
                              absl::string_view field) {
  if (scores.empty()) return FieldError(field, "must hold at least one indicator's score");
  std::set<std::string> seen;
  for (int i = 0; i < scores.size(); ++i) {
    const auto& score = scores.Get(i);
    const std::string at = absl::StrCat(field, "[", i, "]");
    if (score.indicator().empty()) return FieldError(at + ".indicator", "is required");
    if (!seen.insert(score.indicator()).second) {
      return FieldError(at + ".indicator",
                        absl::StrCat(score.indicator(), " is scored twice in one request"));
    }
    if (score.evidence() == v1::EVIDENCE_KIND_UNSPECIFIED) {
      return FieldError(at + ".evidence",
                        "must say what the score rests on: MATERIAL_REVIEW or ON_SITE");
    }
    if (score.comment().size() > 1000)
      return FieldError(at + ".comment", "must be at most 1000 bytes");
  }
  return absl::OkStatus();
}

// Scores against the rubric: leaf indicators only, each within 0 .. its maximum.
absl::Status CheckScoresAgainstRubric(
    const google::protobuf::RepeatedPtrField<v1::IndicatorScore>& scores,
    const v1::RubricVersion& rubric, absl::string_view field) {
  const auto leaves = domain::Leaves(rubric);
  for (int i = 0; i < scores.size(); ++i) {
    const auto& score = scores.Get(i);
    const std::string at = absl::StrCat(field, "[", i, "]");
    auto leaf = leaves.find(score.indicator());
    if (leaf == leaves.end()) {
      std::vector<std::string> codes;
      codes.reserve(leaves.size());
      for (const auto& [code, node] : leaves) codes.push_back(code);
      return FieldError(at + ".indicator",
                        absl::StrCat("'", score.indicator(), "' is not a leaf indicator of ",
                                     rubric.name(), " (", absl::StrJoin(codes, ", "), ")"));
    }
    if (score.score_tenths() < 0 || score.score_tenths() > leaf->second->max_score_tenths()) {
      return FieldError(
          at + ".score_tenths",
          absl::StrCat(leaf->first, " ", leaf->second->display_name(), " is scored 0 to ",
                       leaf->second->max_score_tenths(), " tenths, not ", score.score_tenths()));
    }
  }
  return absl::OkStatus();
}

// Leaves whose experts now disagree beyond the round's threshold (none scored by a reconciler).
std::vector<std::string> DisagreedIndicators(const std::vector<v1::ScoreSheet>& sheets,
                                             int threshold_tenths) {
  std::map<std::string, std::vector<int>> by_indicator;
  for (const auto& sheet : sheets) {
    for (const auto& score : sheet.scores())
      by_indicator[score.indicator()].push_back(score.score_tenths());
  }
  std::vector<std::string> out;
  for (const auto& [code, scores] : by_indicator) {
    if (domain::NeedsReconciliation(scores, threshold_tenths)) out.push_back(code);
  }
  return out;
}

absl::StatusOr<domain::RoundRules> RulesOf(db::Connection& c, const StoredRound& round) {
  domain::RoundRules rules;
  rules.aggregation = round.round.aggregation();
  rules.disagreement_threshold_tenths = round.round.disagreement_threshold_tenths();
  PEIXUN_ASSIGN_OR_RETURN(rules.grade_policy,
                          EvaluationStore::GetGradePolicy(c, round.grade_policy_version));
  return rules;
}

// Everything a county's result follows from, as stored now.
domain::PanelInput InputOf(const std::string& county_code, std::vector<v1::ScoreSheet> sheets,
                           const std::map<std::string, std::set<std::string>>& reconcilers,
                           const std::map<std::string, domain::FetchedFacts>& figures) {
  domain::PanelInput input;
  input.county = "regions/" + county_code;
  input.sheets = std::move(sheets);
  if (auto it = reconcilers.find(county_code); it != reconcilers.end())
    input.reconcilers = it->second;
  if (auto it = figures.find(county_code); it != figures.end()) input.figures = it->second;
  return input;
}

bool HasAutomaticIndicator(const v1::RubricVersion& rubric) {
  for (const auto& [code, leaf] : domain::Leaves(rubric)) {
    if (leaf->automatic_deductions()) return true;
  }
  return false;
}

// Drafts: province admins, and funding, which prices them in SimulateFunding.
bool ReadsDrafts(const auth::Caller& caller) {
  return caller.role == Role::kProvinceAdmin || auth::IsService(caller, "funding");
}

absl::Status DraftsHidden(const std::string& round_name) {
  return absl::PermissionDeniedError(
      absl::StrCat("the results of ", round_name,
                   " are drafts until the round is published (R-23); only province admins "
                   "read them"));
}

}  // namespace

grpc::Status EvaluationService::AssignExpert(grpc::ServerContext* context,
                                             const v1::AssignExpertRequest* request,
                                             v1::Assignment* response) {
  return handlers_.Handle(
      context, "AssignExpert", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto key, ParseRoundName(request->round(), "round"));
        v1::Assignment assignment = request->assignment();
        PEIXUN_ASSIGN_OR_RETURN(std::string county_code,
                                ParseCountyName(assignment.county(), "assignment.county"));
        if (assignment.expert().empty() || assignment.expert().size() > 128) {
          return FieldError("assignment.expert",
                            "must be the expert's token subject, 1 to 128 bytes");
        }
        if (assignment.expert_region().empty()) {
          return FieldError("assignment.expert_region",
                            "is required: the region the expert works in (R-22)");
        }
        PEIXUN_ASSIGN_OR_RETURN(
            auto region_parts,
            ParseName(assignment.expert_region(), "regions/{code}", "assignment.expert_region"));
        PEIXUN_RETURN_IF_ERROR(ValidateId(region_parts["code"], "assignment.expert_region"));
        if (region_parts["code"] == county_code) {
          return RuleError("R-22",
                           absl::StrCat("an expert never evaluates their own county: ",
                                        assignment.expert(), " works in ", assignment.county()));
        }
        return handlers_.Mutate(
            caller, "AssignExpert", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(StoredRound round, LockScoringRound(c, key));
              PEIXUN_RETURN_IF_ERROR(
                  RequireCountyOfRound(round, assignment.county(), "assignment.county"));
              if (assignment.reconciler()) {
                auto sheets = EvaluationStore::ScoreSheets(c, key, county_code);
                if (DisagreedIndicators(sheets[county_code],
                                        round.round.disagreement_threshold_tenths())
                        .empty()) {
                  return RuleError("R-22",
                                   absl::StrCat("no indicator of ", assignment.county(),
                                                " is flagged; a third expert reconciles only "
                                                "where experts differ beyond the threshold"));
                }
              }
              assignment.set_name(absl::StrCat(RoundNameOf(key), "/assignments/", NewId("a")));
              PEIXUN_RETURN_IF_ERROR(EvaluationStore::InsertAssignment(c, key, assignment));
              EvaluationStore::BumpRound(c, key);
              *response =
                  *EvaluationStore::FindAssignment(c, key, county_code, assignment.expert());
              events::AppendEvent(c, "evaluation.assignment.created", response->name(), *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EvaluationService::ListAssignments(grpc::ServerContext* context,
                                                const v1::ListAssignmentsRequest* request,
                                                v1::ListAssignmentsResponse* response) {
  return handlers_.Handle(
      context, "ListAssignments", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto key, ParseRoundName(request->round(), "round"));
        PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
        PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"county", "expert"}));
        EvaluationStore::AssignmentFilter filter;
        if (auto it = terms.find("county"); it != terms.end()) {
          PEIXUN_ASSIGN_OR_RETURN(filter.county_code, ParseCountyName(it->second, "filter county"));
        }
        if (auto it = terms.find("expert"); it != terms.end()) filter.expert = it->second;
        if (caller.scope == auth::Scope::kSelf) {
          // An expert lists their own assignments: the list is narrowed to them, and a filter
          // naming another expert is refused.
          if (!filter.expert.empty()) {
            auth::Resource theirs;
            theirs.name = "the assignments of " + filter.expert;
            theirs.expert = filter.expert;
            PEIXUN_RETURN_IF_ERROR(caller.Check(theirs));
          }
          filter.expert = caller.subject;
        }
        PEIXUN_ASSIGN_OR_RETURN(
            std::string after,
            DecodePageToken(request->page_token(), request->round() + "|" + request->filter()));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_RETURN_IF_ERROR(EvaluationStore::GetStoredRound(c, key, false).status());
          auto items = EvaluationStore::ListAssignments(c, key, filter, after, page_size + 1);
          if (static_cast<int>(items.size()) > page_size) {
            items.resize(static_cast<size_t>(page_size));
            const std::string& last = items.back().name();
            response->set_next_page_token(
                EncodePageToken(LastSegment(last), request->round() + "|" + request->filter()));
          }
          for (auto& a : items) *response->add_assignments() = std::move(a);
          return absl::OkStatus();
        });
      });
}

grpc::Status EvaluationService::SubmitScores(grpc::ServerContext* context,
                                             const v1::SubmitScoresRequest* request,
                                             v1::ScoreSheet* response) {
  grpc::Status status = handlers_.Handle(
      context, "SubmitScores", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto key, ParseRoundName(request->round(), "round"));
        PEIXUN_ASSIGN_OR_RETURN(std::string county_code,
                                ParseCountyName(request->county(), "county"));
        if (caller.region_code == county_code) {
          return RuleError(absl::StatusCode::kPermissionDenied, "R-22",
                           absl::StrCat("an expert never scores their own county: ", caller.subject,
                                        " works in ", request->county()));
        }
        PEIXUN_RETURN_IF_ERROR(CheckScoreShapes(request->scores(), "scores"));
        return handlers_.Mutate(
            caller, "SubmitScores", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(StoredRound round, LockScoringRound(c, key));
              PEIXUN_RETURN_IF_ERROR(RequireCountyOfRound(round, request->county(), "county"));
              auth::Resource county;
              county.name = absl::StrCat(request->county(), " in ", round.round.name());
              county.county = county_code;
              county.expert = caller.subject;
              county.assigned =
                  EvaluationStore::FindAssignment(c, key, county_code, caller.subject).has_value();
              PEIXUN_RETURN_IF_ERROR(caller.Check(county));
              PEIXUN_ASSIGN_OR_RETURN(auto rubric, EvaluationStore::GetRubricVersion(
                                                       c, round.rubric_id, round.rubric_version));
              PEIXUN_RETURN_IF_ERROR(CheckScoresAgainstRubric(request->scores(), rubric, "scores"));
              EvaluationStore::UpsertScores(c, key, county_code, caller.subject,
                                            {request->scores().begin(), request->scores().end()},
                                            caller.subject);
              EvaluationStore::BumpRound(c, key);
              *response = EvaluationStore::GetScoreSheet(c, key, county_code, caller.subject);
              events::AppendEvent(c, "evaluation.scores.submitted", response->name(), *response);
              return absl::OkStatus();
            });
      });
  if (status.ok()) scores_.Increment(request->scores_size());
  return status;
}

namespace {

// enrollment's county figures of a year for the plan levels the rubric deducts, asked
// once (outside any transaction) and read per county.
struct FetchedReport {
  int year = 0;
  enrollment::v1::RateReport report;
  std::string levels_text;
  google::protobuf::Timestamp as_of;
  std::string as_of_text;

  static absl::StatusOr<FetchedReport> Fetch(const EnrollmentRates& rates, int year,
                                             const std::vector<common::v1::PlanLevel>& levels) {
    FetchedReport fetched;
    fetched.year = year;
    PEIXUN_ASSIGN_OR_RETURN(fetched.report, rates.CountyRates(year, levels));
    std::vector<std::string> names;
    names.reserve(levels.size());
    for (auto level : levels) names.push_back(common::v1::PlanLevel_Name(level));
    fetched.levels_text = absl::StrJoin(names, ", ");
    fetched.as_of = fetched.report.as_of();
    if (fetched.as_of.seconds() == 0)
      fetched.as_of = google::protobuf::util::TimeUtil::GetCurrentTime();
    fetched.as_of_text = absl::FormatTime(
        "%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(fetched.as_of.seconds()), absl::UTCTimeZone());
    return fetched;
  }

  // The facts of `county` ("regions/{code}") and where they come from.
  domain::FetchedFacts FiguresOf(const std::string& county) const {
    domain::FetchedFacts figures;
    figures.computed_time = as_of;
    for (const auto& r : report.rows()) {
      if (r.key() != county) continue;
      // 学员不符合遴选条件 are trainees sent and found ineligible at 报到, not nominations
      // refused (never sent).
      figures.facts = {r.under_reported(), r.no_show(), r.dismissed() + r.not_completed(),
                       r.found_ineligible()};
      figures.source =
          absl::StrCat("enrollment rate report years/", year, " ", county, " (", levels_text,
                       " projects) as of ", as_of_text, ": quota ", r.quota(), ", nominated ",
                       r.nominated(), ", checked in ", r.checked_in(), ", completed ",
                       r.completed(), ", found ineligible ", r.found_ineligible());
      return figures;
    }
    figures.source = absl::StrCat("enrollment rate report years/", year, " as of ", as_of_text,
                                  ": no row for ", county, " (no quota, no nominations)");
    return figures;
  }
};

}  // namespace

grpc::Status EvaluationService::ComputeDeductions(grpc::ServerContext* context,
                                                  const v1::ComputeDeductionsRequest* request,
                                                  v1::ComputeDeductionsResponse* response) {
  return handlers_.Handle(
      context, "ComputeDeductions", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto key, ParseRoundName(request->round(), "round"));
        // Fail before asking enrollment when the round cannot take deductions; the rubric's
        // automatic indicator says which plan levels count.
        std::vector<common::v1::PlanLevel> plan_levels;
        PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(StoredRound round,
                                  EvaluationStore::GetStoredRound(c, key, false));
          if (round.round.state() != v1::Round::SCORING)
            return RuleError("R-23", round.round.name() + " is published");
          PEIXUN_ASSIGN_OR_RETURN(auto rubric, EvaluationStore::GetRubricVersion(
                                                   c, round.rubric_id, round.rubric_version));
          plan_levels = domain::DeductedPlanLevels(rubric);
          return absl::OkStatus();
        }));
        if (rates_ == nullptr) {
          return absl::UnavailableError(
              "this evaluation server has no enrollment target; deductions cannot be fetched");
        }
        // the figures come from enrollment at this moment, outside the transaction.
        PEIXUN_ASSIGN_OR_RETURN(FetchedReport fetched,
                                FetchedReport::Fetch(*rates_, key.year, plan_levels));
        return handlers_.Mutate(
            caller, "ComputeDeductions", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(StoredRound round, LockScoringRound(c, key));
              PEIXUN_ASSIGN_OR_RETURN(auto rubric, EvaluationStore::GetRubricVersion(
                                                       c, round.rubric_id, round.rubric_version));
              const v1::Indicator* automatic = nullptr;
              for (const auto& [code, leaf] : domain::Leaves(rubric)) {
                if (leaf->automatic_deductions()) automatic = leaf;
              }
              if (automatic == nullptr) {
                return RuleError("R-20",
                                 absl::StrCat(rubric.name(),
                                              " has no indicator that takes automatic deductions"));
              }
              for (const auto& county : round.round.counties()) {
                const std::string code = LastSegment(county);
                const domain::FetchedFacts figures = fetched.FiguresOf(county);
                EvaluationStore::SaveFigures(c, key, code, figures, caller.subject);
                // Shown capped at the indicator's maximum; ComputeResults caps at the panel's
                // score.
                for (const auto& line :
                     domain::Deductions(figures.facts, automatic->max_score_tenths())) {
                  auto* d = response->add_deductions();
                  d->set_county(county);
                  d->set_indicator(automatic->code());
                  d->set_kind(line.kind);
                  d->set_count(line.count);
                  d->set_points_tenths(line.points_tenths);
                  d->set_source(figures.source);
                  *d->mutable_computed_time() = fetched.as_of;
                }
              }
              EvaluationStore::BumpRound(c, key);
              events::AppendEvent(c, "evaluation.deductions.computed", round.round.name(),
                                  *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EvaluationService::ComputeResults(grpc::ServerContext* context,
                                               const v1::ComputeResultsRequest* request,
                                               v1::ComputeResultsResponse* response) {
  grpc::Status status = handlers_.Handle(
      context, "ComputeResults", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto key, ParseRoundName(request->round(), "round"));
        return handlers_.Mutate(
            caller, "ComputeResults", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(StoredRound round, LockScoringRound(c, key));
              PEIXUN_ASSIGN_OR_RETURN(auto rubric, EvaluationStore::GetRubricVersion(
                                                       c, round.rubric_id, round.rubric_version));
              if (HasAutomaticIndicator(rubric) && !round.deductions_fetched) {
                return RuleError(
                    "R-20",
                    absl::StrCat("the deductions of ", round.round.name(),
                                 " have not been fetched from enrollment; run ComputeDeductions "
                                 "first"));
              }
              PEIXUN_ASSIGN_OR_RETURN(domain::RoundRules rules, RulesOf(c, round));
              auto sheets = EvaluationStore::ScoreSheets(c, key);
              const auto reconcilers = EvaluationStore::Reconcilers(c, key);
              const auto figures = EvaluationStore::Figures(c, key);
              std::vector<v1::ResultExplanation> explanations;
              std::vector<std::string> problems;
              for (const auto& county : round.round.counties()) {
                const std::string code = LastSegment(county);
                auto explanation = domain::ExplainCounty(
                    rubric, InputOf(code, std::move(sheets[code]), reconcilers, figures), rules);
                if (!explanation.ok()) {
                  problems.push_back(std::string(explanation.status().message()));
                  continue;
                }
                explanations.push_back(*std::move(explanation));
              }
              if (!problems.empty()) {
                const size_t shown = std::min<size_t>(problems.size(), 3);
                return absl::FailedPreconditionError(
                    absl::StrCat(problems.size(), " of ", round.round.counties_size(),
                                 " counties cannot be computed yet: ",
                                 absl::StrJoin(problems.begin(),
                                               problems.begin() + static_cast<long>(shown), "; "),
                                 shown < problems.size() ? "; ..." : ""));
              }
              std::vector<int> totals;
              totals.reserve(explanations.size());
              for (const auto& e : explanations) totals.push_back(e.result().total_tenths());
              const std::vector<int> ranks = domain::Ranks(totals);
              for (size_t i = 0; i < explanations.size(); ++i) {
                v1::Result* result = explanations[i].mutable_result();
                result->set_name(
                    absl::StrCat(round.round.name(), "/results/", LastSegment(result->county())));
                result->set_revision(1);
                result->set_rank(ranks[i]);
              }
              EvaluationStore::ReplaceDrafts(c, key, explanations);
              EvaluationStore::SetResultsVersion(c, key, EvaluationStore::BumpRound(c, key));
              // Read back in one query (with their stored times), in rank order.
              for (auto& result : AllResults(c, key, round))
                *response->add_results() = std::move(result);
              events::AppendEvent(c, "evaluation.results.computed", round.round.name(), *response);
              return absl::OkStatus();
            });
      });
  if (status.ok()) results_computed_.Increment(response->results_size());
  return status;
}

grpc::Status EvaluationService::PublishRound(grpc::ServerContext* context,
                                             const v1::PublishRoundRequest* request,
                                             v1::Round* response) {
  grpc::Status status = handlers_.Handle(
      context, "PublishRound", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto key, ParseRoundName(request->round(), "round"));
        return handlers_.Mutate(
            caller, "PublishRound", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(const StoredRound round,
                                      EvaluationStore::GetStoredRound(c, key, true));
              if (!request->etag().empty() && request->etag() != round.round.etag()) {
                return absl::AbortedError(absl::StrCat("etag ", request->etag(),
                                                       " is stale: ", round.round.name(),
                                                       " has changed since (its etag is now ",
                                                       round.round.etag(), "); read it again"));
              }
              PEIXUN_RETURN_IF_ERROR(RequireScoring(round));
              if (!round.results_version.has_value()) {
                return absl::FailedPreconditionError(absl::StrCat(
                    round.round.name(), " has no results yet; run ComputeResults first"));
              }
              if (*round.results_version != round.version) {
                return absl::FailedPreconditionError(
                    absl::StrCat("the results of ", round.round.name(),
                                 " are older than its latest scores, assignments or deductions; "
                                 "run ComputeResults again"));
              }
              std::vector<std::string> flagged;
              std::vector<events::PendingEvent> published;
              for (v1::Result& result : AllResults(c, key, round)) {
                if (result.flagged_indicators_size() > 0) {
                  flagged.push_back(absl::StrCat(result.county(), " (",
                                                 absl::StrJoin(result.flagged_indicators(), ", "),
                                                 ")"));
                }
                result.set_published(true);
                published.push_back(
                    events::PendingEvent::Of("evaluation.result.published", result.name(), result));
              }
              if (!flagged.empty()) {
                return RuleError("R-22",
                                 absl::StrCat("experts disagree beyond the threshold on ",
                                              absl::StrJoin(flagged, ", "),
                                              "; assign a reconciler or correct the scores first"));
              }
              EvaluationStore::MarkPublished(c, key);
              PEIXUN_ASSIGN_OR_RETURN(*response, EvaluationStore::GetRound(c, key));
              events::AppendEvent(c, "evaluation.round.published", response->name(), *response);
              events::AppendEvents(c, published);
              return absl::OkStatus();
            });
      });
  if (status.ok()) rounds_published_.Increment();
  return status;
}

grpc::Status EvaluationService::ReviseResult(grpc::ServerContext* context,
                                             const v1::ReviseResultRequest* request,
                                             v1::Result* response) {
  return handlers_.Handle(
      context, "ReviseResult", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(ResultKey key, ParseResultName(request->name(), "name"));
        if (request->reason().empty())
          return FieldError("reason", "is required: say why the result is corrected (R-23)");
        if (request->reason().size() > 255)
          return FieldError("reason", "must be at most 255 bytes");
        const bool rescored = request->corrected_scores_size() > 0;
        if (rescored) {
          PEIXUN_RETURN_IF_ERROR(CheckScoreShapes(request->corrected_scores(), "corrected_scores"));
        }
        if (!rescored && !request->refetch_deductions()) {
          return FieldError("corrected_scores",
                            "or refetch_deductions is required: a revision corrects something");
        }
        if (rescored && request->expert().empty())
          return FieldError("expert", "is required: whose scores are corrected");
        const std::string county = "regions/" + key.county_code;
        // corrected deductions come from enrollment again, fetched outside the
        // transaction for the plan levels the round's rubric deducts.
        std::optional<FetchedReport> fetched;
        if (request->refetch_deductions()) {
          if (rates_ == nullptr) {
            return absl::UnavailableError(
                "this evaluation server has no enrollment target; deductions cannot be fetched");
          }
          std::vector<common::v1::PlanLevel> plan_levels;
          PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
            PEIXUN_ASSIGN_OR_RETURN(StoredRound round,
                                    EvaluationStore::GetStoredRound(c, key.round, false));
            PEIXUN_ASSIGN_OR_RETURN(auto rubric, EvaluationStore::GetRubricVersion(
                                                     c, round.rubric_id, round.rubric_version));
            plan_levels = domain::DeductedPlanLevels(rubric);
            return absl::OkStatus();
          }));
          PEIXUN_ASSIGN_OR_RETURN(fetched,
                                  FetchedReport::Fetch(*rates_, key.round.year, plan_levels));
        }
        return handlers_.Mutate(
            caller, "ReviseResult", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(StoredRound round,
                                      EvaluationStore::GetStoredRound(c, key.round, true));
              if (round.round.state() != v1::Round::PUBLISHED) {
                return absl::FailedPreconditionError(
                    absl::StrCat(round.round.name(),
                                 " is not published; drafts change by scoring and ComputeResults"));
              }
              PEIXUN_RETURN_IF_ERROR(RequireCountyOfRound(round, county, "name"));
              if (rescored && !EvaluationStore::FindAssignment(c, key.round, key.county_code,
                                                               request->expert())) {
                return FieldError("expert",
                                  absl::StrCat(request->expert(), " is not assigned to ", county));
              }
              PEIXUN_ASSIGN_OR_RETURN(auto rubric, EvaluationStore::GetRubricVersion(
                                                       c, round.rubric_id, round.rubric_version));
              if (rescored) {
                PEIXUN_RETURN_IF_ERROR(CheckScoresAgainstRubric(request->corrected_scores(), rubric,
                                                                "corrected_scores"));
              }
              PEIXUN_ASSIGN_OR_RETURN(v1::Result previous,
                                      EvaluationStore::GetResult(c, key.round, key.county_code, 0));
              if (rescored) {
                EvaluationStore::UpsertScores(
                    c, key.round, key.county_code, request->expert(),
                    {request->corrected_scores().begin(), request->corrected_scores().end()},
                    caller.subject);
              }
              if (fetched) {
                domain::FetchedFacts figures = fetched->FiguresOf(county);
                absl::StrAppend(&figures.source, "; fetched again for revision ",
                                previous.revision() + 1, ": ", request->reason());
                EvaluationStore::SaveFigures(c, key.round, key.county_code, figures,
                                             caller.subject);
              }
              PEIXUN_ASSIGN_OR_RETURN(domain::RoundRules rules, RulesOf(c, round));
              auto sheets = EvaluationStore::ScoreSheets(c, key.round, key.county_code);
              PEIXUN_ASSIGN_OR_RETURN(
                  v1::ResultExplanation explanation,
                  domain::ExplainCounty(
                      rubric,
                      InputOf(key.county_code, std::move(sheets[key.county_code]),
                              EvaluationStore::Reconcilers(c, key.round),
                              EvaluationStore::Figures(c, key.round, key.county_code)),
                      rules));
              // The rank among the other counties' newest published results, which stay as they
              // are.
              auto totals = EvaluationStore::NewestTotals(c, key.round);
              totals[key.county_code] = explanation.result().total_tenths();
              int better = 0;
              for (const auto& [code, total] : totals)
                better += total > explanation.result().total_tenths() ? 1 : 0;
              v1::Result* result = explanation.mutable_result();
              result->set_name(previous.name());
              result->set_revision(previous.revision() + 1);
              result->set_rank(better + 1);
              result->set_published(true);
              result->set_revision_reason(request->reason());
              result->set_revised_by(caller.subject);
              EvaluationStore::InsertRevision(c, key.round, explanation);
              EvaluationStore::BumpRound(c, key.round);
              PEIXUN_ASSIGN_OR_RETURN(
                  *response,
                  EvaluationStore::GetResult(c, key.round, key.county_code, result->revision()));
              events::AppendEvent(c, "evaluation.result.revised", response->name(), *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EvaluationService::GetResult(grpc::ServerContext* context,
                                          const v1::GetResultRequest* request,
                                          v1::Result* response) {
  return handlers_.Handle(
      context, "GetResult", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(ResultKey key, ParseResultName(request->name(), "name"));
        if (request->revision() < 0)
          return FieldError("revision", "must be 0 (the newest) or a revision number");
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(
              *response,
              EvaluationStore::GetResult(c, key.round, key.county_code, request->revision()));
          if (!response->published() && !ReadsDrafts(caller))
            return DraftsHidden(RoundNameOf(key.round));
          return absl::OkStatus();
        });
      });
}

grpc::Status EvaluationService::ListResults(grpc::ServerContext* context,
                                            const v1::ListResultsRequest* request,
                                            v1::ListResultsResponse* response) {
  return handlers_.Handle(
      context, "ListResults", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto key, ParseRoundName(request->round(), "round"));
        PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
        PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"grade", "city"}));
        EvaluationStore::ResultFilter filter;
        if (auto it = terms.find("grade"); it != terms.end()) {
          if (!v1::Grade_Parse(it->second, &filter.grade) ||
              filter.grade == v1::GRADE_UNSPECIFIED) {
            return FieldError("filter",
                              absl::StrCat("'", it->second,
                                           "' is not a grade (EXCELLENT, QUALIFIED, UNQUALIFIED)"));
          }
        }
        if (auto it = terms.find("city"); it != terms.end()) {
          PEIXUN_ASSIGN_OR_RETURN(auto parts,
                                  ParseName(it->second, "regions/{code}", "filter city"));
          filter.city_prefix = parts["code"];
          if (filter.city_prefix.size() != 4 ||
              filter.city_prefix.find_first_not_of("0123456789") != std::string::npos) {
            return FieldError(
                "filter city",
                absl::StrCat("'", it->second, "' is not a city (regions/ and a 4-digit code)"));
          }
        }
        const std::string scope = request->round() + "|" + request->filter();
        PEIXUN_ASSIGN_OR_RETURN(std::string after, DecodePageToken(request->page_token(), scope));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(StoredRound round,
                                  EvaluationStore::GetStoredRound(c, key, false));
          if (round.round.state() != v1::Round::PUBLISHED && !ReadsDrafts(caller))
            return DraftsHidden(round.round.name());
          auto items = EvaluationStore::ListResults(c, key, filter, after, page_size + 1);
          if (static_cast<int>(items.size()) > page_size) {
            items.resize(static_cast<size_t>(page_size));
            const auto& last = items.back();
            response->set_next_page_token(EncodePageToken(
                absl::StrCat(last.total_tenths(), ":", LastSegment(last.county())), scope));
          }
          for (auto& r : items) *response->add_results() = std::move(r);
          return absl::OkStatus();
        });
      });
}

grpc::Status EvaluationService::ExplainResult(grpc::ServerContext* context,
                                              const v1::ExplainResultRequest* request,
                                              v1::ResultExplanation* response) {
  return handlers_.Handle(
      context, "ExplainResult", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(ResultKey key, ParseResultName(request->name(), "name"));
        if (request->revision() < 0)
          return FieldError("revision", "must be 0 (the newest) or a revision number");
        auth::Resource county;
        county.name = "regions/" + key.county_code;
        county.county = key.county_code;
        if (caller.scope == auth::Scope::kOwnCity) {
          // The county's city is its parent in catalog's region data, never its code's prefix.
          if (cities_ == nullptr) {
            return absl::UnavailableError(
                "evaluation runs without catalog (--catalog_target), so a city's counties are "
                "unknown");
          }
          absl::StatusOr<std::string> city = cities_->CityOf(key.county_code);
          if (city.ok()) {
            county.city = *city;
          } else if (!absl::IsNotFound(city.status())) {
            return city.status();
          }
        }
        PEIXUN_RETURN_IF_ERROR(caller.Check(county));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(
              *response,
              EvaluationStore::GetExplanation(c, key.round, key.county_code, request->revision()));
          if (!response->result().published() && !ReadsDrafts(caller)) {
            response->Clear();
            return DraftsHidden(RoundNameOf(key.round));
          }
          return absl::OkStatus();
        });
      });
}

}  // namespace peixun::evaluation
