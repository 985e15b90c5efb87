// Panels and scores: experts assigned to a round's counties and their score
// sheets. Every change locks the round's row first, so scoring, computing and publishing one
// round are serialized, and each moves the round's etag; results are in evaluation_results.cc.
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
#include "common/util/updates.h"
#include "google/protobuf/util/time_util.h"
#include "services/evaluation/domain/evaluation_rules.h"
#include "services/evaluation/domain/panel_rules.h"
#include "services/evaluation/evaluation_service.h"
#include "services/evaluation/evaluation_store.h"
#include "services/evaluation/names.h"

namespace peixun::evaluation {
namespace {

using StoredRound = EvaluationStore::StoredRound;
}  // namespace

grpc::Status EvaluationService::AssignExpert(grpc::ServerContext* context,
                                             const v1::AssignExpertRequest* request,
                                             v1::Assignment* response) {
  return handlers_.Handle(
      context, "AssignExpert", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto key, ParseRoundName(request->round(), "round"));
        v1::Assignment assignment = request->assignment();
        PEIXUN_ASSIGN_OR_RETURN(const RegionName county,
                                RegionName::ParseCounty(assignment.county(), "assignment.county"));
        const std::string& county_code = county.code;
        if (assignment.expert().empty() || assignment.expert().size() > 128) {
          return FieldError("assignment.expert",
                            "must be the expert's token subject, 1 to 128 bytes");
        }
        if (assignment.expert_region().empty()) {
          return FieldError("assignment.expert_region",
                            "is required: the region the expert works in (R-22)");
        }
        PEIXUN_ASSIGN_OR_RETURN(
            const RegionName expert_region,
            RegionName::Parse(assignment.expert_region(), "assignment.expert_region"));
        if (expert_region.code == county_code) {
          return RuleError("R-22",
                           absl::StrCat("an expert never evaluates their own county: ",
                                        assignment.expert(), " works in ", assignment.county()));
        }
        return handlers_.Mutate(
            caller, "AssignExpert", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(StoredRound round, EvaluationStore::LockScoringRound(c, key));
              PEIXUN_RETURN_IF_ERROR(domain::RequireCountyOfRound(round.round, assignment.county(),
                                                                  "assignment.county"));
              if (assignment.reconciler()) {
                auto sheets = EvaluationStore::ScoreSheets(c, key, county_code);
                if (domain::DisagreedIndicators(sheets[county_code],
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
        PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"county", "expert"}));
        EvaluationStore::AssignmentFilter filter;
        if (const std::string* county = FilterValue(terms, "county")) {
          PEIXUN_ASSIGN_OR_RETURN(const RegionName name,
                                  RegionName::ParseCounty(*county, "filter county"));
          filter.county_code = name.code;
        }
        if (const std::string* expert = FilterValue(terms, "expert")) filter.expert = *expert;
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
        PEIXUN_ASSIGN_OR_RETURN(const Page page,
                                Page::Of(request->page_size(), request->page_token(),
                                         request->round() + "|" + request->filter()));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_RETURN_IF_ERROR(EvaluationStore::GetStoredRound(c, key, false).status());
          auto items = EvaluationStore::ListAssignments(c, key, filter, page.after, page.limit());
          response->set_next_page_token(page.Keep(items, LastSegmentOf<v1::Assignment>));
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
        PEIXUN_ASSIGN_OR_RETURN(const RegionName county,
                                RegionName::ParseCounty(request->county(), "county"));
        const std::string& county_code = county.code;
        if (caller.region_code == county_code) {
          return RuleError(absl::StatusCode::kPermissionDenied, "R-22",
                           absl::StrCat("an expert never scores their own county: ", caller.subject,
                                        " works in ", request->county()));
        }
        PEIXUN_RETURN_IF_ERROR(domain::CheckScoreShapes(request->scores(), "scores"));
        return handlers_.Mutate(
            caller, "SubmitScores", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(StoredRound round, EvaluationStore::LockScoringRound(c, key));
              PEIXUN_RETURN_IF_ERROR(
                  domain::RequireCountyOfRound(round.round, request->county(), "county"));
              auth::Resource county;
              county.name = absl::StrCat(request->county(), " in ", round.round.name());
              county.county = county_code;
              county.expert = caller.subject;
              county.assigned =
                  EvaluationStore::FindAssignment(c, key, county_code, caller.subject).has_value();
              PEIXUN_RETURN_IF_ERROR(caller.Check(county));
              PEIXUN_ASSIGN_OR_RETURN(auto rubric, EvaluationStore::GetRubricVersion(
                                                       c, round.rubric_id, round.rubric_version));
              PEIXUN_RETURN_IF_ERROR(
                  domain::CheckScoresAgainstRubric(request->scores(), rubric, "scores"));
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

}  // namespace peixun::evaluation
