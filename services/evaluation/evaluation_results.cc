// Deductions and results: a round's figures fetched from enrollment, its results
// computed and ranked, published, revised, read and explained. Changes lock the round's row
// first, as the panel's do (evaluation_panels.cc).
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/auth/access.h"
#include "common/events/outbox.h"
#include "common/util/filter.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "common/util/updates.h"
#include "google/protobuf/util/time_util.h"
#include "services/evaluation/domain/evaluation_rules.h"
#include "services/evaluation/domain/panel_rules.h"
#include "services/evaluation/evaluation_service.h"
#include "services/evaluation/evaluation_store.h"
#include "services/evaluation/names.h"

namespace peixun::evaluation {
namespace {

using auth::Role;
using StoredRound = EvaluationStore::StoredRound;

// Every result of the round, newest revisions, best first (ties by county code).
std::vector<v1::Result> AllResults(db::Connection& c, const EvaluationStore::RoundKey& key,
                                   const StoredRound& round) {
  return EvaluationStore::ListResults(c, key, {}, "", round.round.counties_size());
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
          PEIXUN_RETURN_IF_ERROR(domain::RequireScoring(round.round));
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
              PEIXUN_ASSIGN_OR_RETURN(StoredRound round, EvaluationStore::LockScoringRound(c, key));
              PEIXUN_ASSIGN_OR_RETURN(auto rubric, EvaluationStore::GetRubricVersion(
                                                       c, round.rubric_id, round.rubric_version));
              const v1::Indicator* automatic = domain::AutomaticIndicator(rubric);
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
              PEIXUN_ASSIGN_OR_RETURN(StoredRound round, EvaluationStore::LockScoringRound(c, key));
              PEIXUN_ASSIGN_OR_RETURN(auto rubric, EvaluationStore::GetRubricVersion(
                                                       c, round.rubric_id, round.rubric_version));
              if (domain::AutomaticIndicator(rubric) != nullptr && !round.deductions_fetched) {
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
              std::vector<domain::PanelInput> inputs;
              inputs.reserve(static_cast<size_t>(round.round.counties_size()));
              for (const auto& county : round.round.counties()) {
                const std::string code = LastSegment(county);
                inputs.push_back(InputOf(code, std::move(sheets[code]), reconcilers, figures));
              }
              PEIXUN_ASSIGN_OR_RETURN(
                  const std::vector<v1::ResultExplanation> explanations,
                  domain::ComputeRoundResults(round.round, rubric, inputs, rules));
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
              PEIXUN_RETURN_IF_ERROR(
                  CheckEtag(request->etag(), round.round.etag(), round.round.name()));
              std::vector<v1::Result> results = AllResults(c, key, round);
              PEIXUN_RETURN_IF_ERROR(domain::CheckPublishable(round.round, round.results_version,
                                                              round.version, results));
              std::vector<events::PendingEvent> published;
              for (v1::Result& result : results) {
                result.set_published(true);
                published.push_back(
                    events::PendingEvent::Of("evaluation.result.published", result.name(), result));
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
        PEIXUN_RETURN_IF_ERROR(domain::CheckRevisionRequest(*request));
        const bool rescored = request->corrected_scores_size() > 0;
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
              PEIXUN_RETURN_IF_ERROR(domain::RequirePublished(round.round));
              PEIXUN_RETURN_IF_ERROR(domain::RequireCountyOfRound(round.round, county, "name"));
              if (rescored && !EvaluationStore::FindAssignment(c, key.round, key.county_code,
                                                               request->expert())) {
                return FieldError("expert",
                                  absl::StrCat(request->expert(), " is not assigned to ", county));
              }
              PEIXUN_ASSIGN_OR_RETURN(auto rubric, EvaluationStore::GetRubricVersion(
                                                       c, round.rubric_id, round.rubric_version));
              if (rescored) {
                PEIXUN_RETURN_IF_ERROR(domain::CheckScoresAgainstRubric(
                    request->corrected_scores(), rubric, "corrected_scores"));
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
              v1::Result* result = explanation.mutable_result();
              result->set_name(previous.name());
              result->set_revision(previous.revision() + 1);
              result->set_rank(domain::RankAmong(EvaluationStore::NewestTotals(c, key.round),
                                                 key.county_code, result->total_tenths()));
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

absl::StatusOr<const catalog::RegionDirectory*> EvaluationService::Regions() const {
  if (regions_ == nullptr) {
    return absl::UnavailableError(
        "evaluation runs without catalog (--catalog_target), so a city's counties are unknown");
  }
  return regions_;
}

grpc::Status EvaluationService::ListResults(grpc::ServerContext* context,
                                            const v1::ListResultsRequest* request,
                                            v1::ListResultsResponse* response) {
  return handlers_.Handle(
      context, "ListResults", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto key, ParseRoundName(request->round(), "round"));
        PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"grade", "city"}));
        EvaluationStore::ResultFilter filter;
        PEIXUN_ASSIGN_OR_RETURN(filter.grade, EnumTerm<v1::Grade>(terms, "grade"));
        if (const std::string* city = FilterValue(terms, "city")) {
          PEIXUN_ASSIGN_OR_RETURN(const catalog::RegionDirectory* regions, Regions());
          PEIXUN_ASSIGN_OR_RETURN(filter.counties,
                                  regions->CountyUnitsOfFilter(*city, "filter city"));
        }
        PEIXUN_ASSIGN_OR_RETURN(const Page page,
                                Page::Of(request->page_size(), request->page_token(),
                                         request->round() + "|" + request->filter()));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(StoredRound round,
                                  EvaluationStore::GetStoredRound(c, key, false));
          if (round.round.state() != v1::Round::PUBLISHED && !ReadsDrafts(caller))
            return DraftsHidden(round.round.name());
          auto items = EvaluationStore::ListResults(c, key, filter, page.after, page.limit());
          response->set_next_page_token(page.Keep(items, [](const v1::Result& last) {
            return absl::StrCat(last.total_tenths(), ":", LastSegment(last.county()));
          }));
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
          PEIXUN_ASSIGN_OR_RETURN(const catalog::RegionDirectory* regions, Regions());
          absl::StatusOr<std::string> city = regions->CityOf(key.county_code);
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
