#include "services/evaluation/evaluation_service.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/access.h"
#include "common/events/outbox.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "services/evaluation/domain/evaluation_rules.h"
#include "services/evaluation/evaluation_store.h"
#include "services/evaluation/names.h"

namespace peixun::evaluation {
namespace {}  // namespace

absl::Status SeedRubrics(db::ConnectionPool& pool) {
  return pool.RunInTransaction([](db::Connection& c) -> absl::Status {
    v1::RubricVersion project_county = domain::ProjectCountyRubric();
    project_county.set_change_note("seed: 项目县绩效评价指标体系 (R-19)");
    for (const auto& [id, rubric] :
         {std::pair<std::string, v1::RubricVersion>{"project-county", project_county},
          {"demonstration-school", domain::DemonstrationSchoolRubric()}}) {
      PEIXUN_RETURN_IF_ERROR(domain::ValidateRubric(rubric));
      if (EvaluationStore::SeedRubric(c, id, rubric)) {
        auto stored = EvaluationStore::GetRubricVersion(c, id, 1);
        PEIXUN_RETURN_IF_ERROR(stored.status());
        events::AppendEvent(c, "evaluation.rubric_version.created", stored->name(), *stored);
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status EvaluationService::CreateRubricVersion(grpc::ServerContext* context,
                                                    const v1::CreateRubricVersionRequest* request,
                                                    v1::RubricVersion* response) {
  return handlers_.Handle(
      context, "CreateRubricVersion", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto parts,
                                ParseName(request->parent(), "rubrics/{rubric}", "parent"));
        const std::string rubric_id = parts["rubric"];
        PEIXUN_RETURN_IF_ERROR(ValidateId(rubric_id, "parent"));
        const v1::RubricVersion& rubric = request->rubric_version();
        if (rubric.display_name().empty() || rubric.display_name().size() > 128) {
          return FieldError("rubric_version.display_name", "must be 1 to 128 bytes");
        }
        if (rubric.change_note().size() > 255)
          return FieldError("rubric_version.change_note", "must be at most 255 bytes");
        PEIXUN_RETURN_IF_ERROR(domain::ValidateRubric(rubric));
        return handlers_.Mutate(caller, "CreateRubricVersion", *request, request->request_id(),
                                response, [&](db::Connection& c) -> absl::Status {
                                  *response =
                                      EvaluationStore::InsertRubricVersion(c, rubric_id, rubric);
                                  events::AppendEvent(c, "evaluation.rubric_version.created",
                                                      response->name(), *response);
                                  return absl::OkStatus();
                                });
      });
}

grpc::Status EvaluationService::GetRubricVersion(grpc::ServerContext* context,
                                                 const v1::GetRubricVersionRequest* request,
                                                 v1::RubricVersion* response) {
  return handlers_.Handle(
      context, "GetRubricVersion", *request, [&](const auth::Caller&) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(
            auto parts, ParseName(request->name(), "rubrics/{rubric}/versions/{version}", "name"));
        PEIXUN_RETURN_IF_ERROR(ValidateId(parts["rubric"], "name"));
        PEIXUN_ASSIGN_OR_RETURN(int version, ParseVersion(parts["version"], "name"));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(*response,
                                  EvaluationStore::GetRubricVersion(c, parts["rubric"], version));
          return absl::OkStatus();
        });
      });
}

grpc::Status EvaluationService::ListRubricVersions(grpc::ServerContext* context,
                                                   const v1::ListRubricVersionsRequest* request,
                                                   v1::ListRubricVersionsResponse* response) {
  return handlers_.Handle(
      context, "ListRubricVersions", *request, [&](const auth::Caller&) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto parts,
                                ParseName(request->parent(), "rubrics/{rubric}", "parent"));
        PEIXUN_RETURN_IF_ERROR(ValidateId(parts["rubric"], "parent"));
        PEIXUN_ASSIGN_OR_RETURN(
            const Page page,
            Page::Of(request->page_size(), request->page_token(), request->parent()));
        int after_version = 0;
        if (!page.after.empty() && !absl::SimpleAtoi(page.after, &after_version)) {
          return FieldError("page_token", "is not a token this list gave");
        }
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto versions =
              EvaluationStore::ListRubricVersions(c, parts["rubric"], after_version, page.limit());
          response->set_next_page_token(page.Keep(versions, [](const v1::RubricVersion& last) {
            return std::to_string(last.version());
          }));
          for (auto& v : versions) *response->add_rubric_versions() = std::move(v);
          return absl::OkStatus();
        });
      });
}

grpc::Status EvaluationService::CreateGradePolicy(grpc::ServerContext* context,
                                                  const v1::CreateGradePolicyRequest* request,
                                                  v1::GradePolicy* response) {
  return handlers_.Handle(
      context, "CreateGradePolicy", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_RETURN_IF_ERROR(domain::ValidateGradePolicy(request->grade_policy()));
        if (request->grade_policy().reason().size() > 255) {
          return FieldError("grade_policy.reason", "must be at most 255 bytes");
        }
        return handlers_.Mutate(
            caller, "CreateGradePolicy", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(
                  *response, EvaluationStore::InsertGradePolicy(c, request->grade_policy()));
              events::AppendEvent(c, "evaluation.grade_policy.created", response->name(),
                                  *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EvaluationService::GetGradePolicy(grpc::ServerContext* context,
                                               const v1::GetGradePolicyRequest* request,
                                               v1::GradePolicy* response) {
  return handlers_.Handle(
      context, "GetGradePolicy", *request, [&](const auth::Caller&) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto parts,
                                ParseName(request->name(), "gradePolicies/{version}", "name"));
        PEIXUN_ASSIGN_OR_RETURN(int version, ParseVersion(parts["version"], "name"));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(*response, EvaluationStore::GetGradePolicy(c, version));
          return absl::OkStatus();
        });
      });
}

grpc::Status EvaluationService::CreateRound(grpc::ServerContext* context,
                                            const v1::CreateRoundRequest* request,
                                            v1::Round* response) {
  return handlers_.Handle(
      context, "CreateRound", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const YearName parent,
                                YearName::Parse(request->parent(), "parent"));
        EvaluationStore::RoundKey key;
        key.year = parent.year;
        key.round_id = request->round_id();
        PEIXUN_RETURN_IF_ERROR(ValidateId(key.round_id, "round_id"));
        v1::Round round = request->round();
        if (round.display_name().empty() || round.display_name().size() > 128) {
          return FieldError("round.display_name", "must be 1 to 128 bytes");
        }
        PEIXUN_ASSIGN_OR_RETURN(auto rubric_parts, ParseName(round.rubric_version(),
                                                             "rubrics/{rubric}/versions/{version}",
                                                             "round.rubric_version"));
        const std::string rubric_id = rubric_parts["rubric"];
        PEIXUN_RETURN_IF_ERROR(ValidateId(rubric_id, "round.rubric_version"));
        PEIXUN_ASSIGN_OR_RETURN(int rubric_version,
                                ParseVersion(rubric_parts["version"], "round.rubric_version"));
        int policy_version = 0;
        if (!round.grade_policy().empty()) {
          PEIXUN_ASSIGN_OR_RETURN(
              auto policy_parts,
              ParseName(round.grade_policy(), "gradePolicies/{version}", "round.grade_policy"));
          PEIXUN_ASSIGN_OR_RETURN(policy_version,
                                  ParseVersion(policy_parts["version"], "round.grade_policy"));
        }
        if (round.aggregation() == v1::AGGREGATION_UNSPECIFIED) round.set_aggregation(v1::MEAN);
        if (round.disagreement_threshold_tenths() < 0 ||
            round.disagreement_threshold_tenths() > 1000) {
          return FieldError("round.disagreement_threshold_tenths",
                            "must be between 0 (no flags) and 1000");
        }
        std::set<std::string> seen;
        for (const auto& county : round.counties()) {
          PEIXUN_RETURN_IF_ERROR(RegionName::ParseCounty(county, "round.counties").status());
          if (!seen.insert(county).second)
            return FieldError("round.counties", county + " is listed twice");
        }
        if (funding_ == nullptr) {
          if (round.counties_size() == 0)
            return FieldError("round.counties", "must name the counties evaluated");
        } else {
          // the year's active project counties, as funding holds them now.
          PEIXUN_ASSIGN_OR_RETURN(std::set<std::string> active, funding_->ActiveCounties(key.year));
          if (round.counties_size() == 0) {
            if (active.empty()) {
              return RuleError("R-27",
                               absl::StrCat("funding lists no active project county in ", key.year,
                                            "; designate them first (DesignateProjectCounty)"));
            }
            for (const auto& county : active) round.add_counties(county);
          }
          std::vector<std::string> refused;
          for (const auto& county : round.counties()) {
            if (active.count(county) == 0 && refused.size() < 5)
              refused.push_back(funding_->WhyInactive(county, key.year));
          }
          if (!refused.empty()) {
            return RuleError("R-27", absl::StrCat("only active project counties are evaluated: ",
                                                  absl::StrJoin(refused, "; ")));
          }
        }
        return handlers_.Mutate(
            caller, "CreateRound", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              auto rubric = EvaluationStore::GetRubricVersion(c, rubric_id, rubric_version);
              if (!rubric.ok())
                return FieldError("round.rubric_version", rubric.status().message());
              auto policy = EvaluationStore::GetGradePolicy(c, policy_version);
              if (!policy.ok()) return FieldError("round.grade_policy", policy.status().message());
              PEIXUN_RETURN_IF_ERROR(EvaluationStore::InsertRound(
                  c, key, round, rubric_id, rubric->version(), policy->version()));
              EvaluationStore::MarkRubricInUse(c, rubric_id, rubric->version());
              PEIXUN_ASSIGN_OR_RETURN(*response, EvaluationStore::GetRound(c, key));
              events::AppendEvent(c, "evaluation.round.created", response->name(), *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EvaluationService::GetRound(grpc::ServerContext* context,
                                         const v1::GetRoundRequest* request, v1::Round* response) {
  return handlers_.Handle(context, "GetRound", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(auto key, ParseRoundName(request->name(), "name"));
    return handlers_.Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, EvaluationStore::GetRound(c, key));
      return absl::OkStatus();
    });
  });
}

grpc::Status EvaluationService::ListRounds(grpc::ServerContext* context,
                                           const v1::ListRoundsRequest* request,
                                           v1::ListRoundsResponse* response) {
  return handlers_.Handle(
      context, "ListRounds", *request, [&](const auth::Caller&) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const YearName parent,
                                YearName::Parse(request->parent(), "parent"));
        PEIXUN_ASSIGN_OR_RETURN(
            const Page page,
            Page::Of(request->page_size(), request->page_token(), request->parent()));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto rounds = EvaluationStore::ListRounds(c, parent.year, page.after, page.limit());
          response->set_next_page_token(page.Keep(rounds, LastSegmentOf<v1::Round>));
          for (auto& r : rounds) *response->add_rounds() = std::move(r);
          return absl::OkStatus();
        });
      });
}

grpc::Status EvaluationService::ListAuditEntries(grpc::ServerContext* context,
                                                 const common::v1::ListAuditEntriesRequest* request,
                                                 common::v1::ListAuditEntriesResponse* response) {
  return handlers_.ListAuditEntries(context, request, response);
}

grpc::Status EvaluationService::WatchEvents(grpc::ServerContext* context,
                                            const common::v1::WatchEventsRequest* request,
                                            grpc::ServerWriter<common::v1::Event>* writer) {
  return handlers_.WatchEvents(context, request, writer);
}

}  // namespace peixun::evaluation
