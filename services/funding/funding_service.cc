#include "services/funding/funding_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/auth/access.h"
#include "common/events/outbox.h"
#include "common/util/filter.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "services/funding/domain/funding_rules.h"
#include "services/funding/funding_store.h"

namespace peixun::funding {
namespace {

absl::Status Needs(const void* dependency, absl::string_view service) {
  if (dependency != nullptr) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("this funding server has no ", service, " target to ask"));
}

}  // namespace

int FundingService::CurrentYear() const {
  return static_cast<int>(absl::ToCivilYear(platform_.clock().Now(), ChinaTimeZone()).year());
}

grpc::Status FundingService::CreateTierPolicy(grpc::ServerContext* context,
                                              const v1::CreateTierPolicyRequest* request,
                                              v1::TierPolicy* response) {
  return handlers_.Handle(
      context, "CreateTierPolicy", *request, [&](const auth::Caller& caller) -> absl::Status {
        v1::TierPolicy policy = request->tier_policy();
        // A client that predates designation terms leaves the field 0: the default term.
        if (policy.designation_years() == 0)
          policy.set_designation_years(domain::DefaultTierPolicy().designation_years());
        PEIXUN_RETURN_IF_ERROR(domain::ValidateTierPolicy(policy));
        if (policy.reason().size() > 255)
          return FieldError("tier_policy.reason", "must be at most 255 bytes");
        return handlers_.Mutate(
            caller, "CreateTierPolicy", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(*response, FundingStore::InsertTierPolicy(c, policy));
              events::AppendEvent(c, "funding.tier_policy.created", response->name(), *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status FundingService::GetTierPolicy(grpc::ServerContext* context,
                                           const v1::GetTierPolicyRequest* request,
                                           v1::TierPolicy* response) {
  return handlers_.Handle(
      context, "GetTierPolicy", *request, [&](const auth::Caller&) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto parts,
                                ParseName(request->name(), "tierPolicies/{version}", "name"));
        PEIXUN_ASSIGN_OR_RETURN(int version, ParseVersion(parts["version"], "name"));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(*response, FundingStore::GetTierPolicy(c, version));
          return absl::OkStatus();
        });
      });
}

grpc::Status FundingService::DecideFunding(grpc::ServerContext* context,
                                           const v1::DecideFundingRequest* request,
                                           v1::DecideFundingResponse* response) {
  std::vector<v1::Tier> recorded;  // tiers of the decisions this call records
  grpc::Status status = handlers_.Handle(
      context, "DecideFunding", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const YearName name, YearName::Parse(request->year(), "year"));
        const int year = name.year;
        PEIXUN_RETURN_IF_ERROR(Needs(deps_.evaluation, "evaluation"));
        // R-26: the published results as evaluation holds them now, read outside the transaction.
        PEIXUN_ASSIGN_OR_RETURN(std::vector<domain::DecisionInput> inputs,
                                deps_.evaluation->PublishedResults(year));
        return handlers_.Mutate(
            caller, "DecideFunding", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(const v1::TierPolicy newest,
                                      FundingStore::GetTierPolicy(c, 0));
              std::vector<events::PendingEvent> made;
              recorded.clear();  // the transaction may run again
              for (const auto& input : inputs) {
                PEIXUN_ASSIGN_OR_RETURN(const RegionName county,
                                        RegionName::ParseCounty(input.county, "result county"));
                const std::string& code = county.code;
                FundingStore::LockCounty(c, code);
                auto current = FundingStore::CurrentDecision(c, year, code);
                std::optional<domain::CurrentDecision> now;
                if (current) now = domain::CurrentDecision{current->decision, current->seq};
                const domain::Redecision plan = domain::PlanRedecision(year, code, now, input);
                if (plan.unchanged) {
                  *response->add_decisions() = current->decision;
                  response->set_unchanged(response->unchanged() + 1);
                  continue;
                }
                v1::TierPolicy policy = newest;
                if (plan.policy_version > 0) {
                  PEIXUN_ASSIGN_OR_RETURN(policy,
                                          FundingStore::GetTierPolicy(c, plan.policy_version));
                } else if (plan.policy_version == 0) {
                  policy = domain::DefaultTierPolicy();
                  policy.set_name("tierPolicies/0");
                }
                v1::Decision decision;
                PEIXUN_RETURN_IF_ERROR(domain::DecideTier(input, policy, &decision));
                decision.set_decided_by(caller.subject);
                if (!plan.supersedes.empty()) {
                  // A corrected evaluation revision: the old decision stays, superseded, and
                  // whatever it revoked or supported is undone before this one applies.
                  decision.set_supersedes(plan.supersedes);
                  FundingStore::MarkSuperseded(c, year, code, current->seq);
                  FundingStore::RemovePeriodsOf(c, plan.supersedes);
                }
                FundingStore::InsertDecision(c, year, plan.seq, decision);
                if (auto period = domain::PeriodOpenedBy(
                        decision, year, policy, FundingStore::GetProjectCounty(c, code),
                        absl::StrCat("years/", year, "/decisions/", code, "@", plan.seq))) {
                  FundingStore::AddPeriod(c, code, *period);
                }
                recorded.push_back(decision.tier());
                auto stored = FundingStore::GetDecision(c, year, code, plan.seq);
                *response->add_decisions() = stored->decision;
                made.push_back(events::PendingEvent::Of(
                    current ? "funding.decision.superseded" : "funding.decision.made",
                    stored->decision.name(), stored->decision));
              }
              events::AppendEvents(c, made);
              return absl::OkStatus();
            });
      });
  if (status.ok()) {
    for (v1::Tier tier : recorded) decisions_.Add({{"tier", v1::Tier_Name(tier)}}).Increment();
  }
  return status;
}

grpc::Status FundingService::SimulateFunding(grpc::ServerContext* context,
                                             const v1::SimulateFundingRequest* request,
                                             v1::SimulateFundingResponse* response) {
  return handlers_.Handle(
      context, "SimulateFunding", *request, [&](const auth::Caller& caller) -> absl::Status {
        // Draft results are the province's until published (R-23), so planning on them is too.
        PEIXUN_ASSIGN_OR_RETURN(const YearName name, YearName::Parse(request->year(), "year"));
        const int year = name.year;
        if (request->budget_envelope_fen() < 0) {
          return FieldError("budget_envelope_fen",
                            absl::StrCat("must be >= 0, not ", request->budget_envelope_fen()));
        }
        int version = 0;  // newest
        if (!request->tier_policy().empty()) {
          PEIXUN_ASSIGN_OR_RETURN(
              auto policy_parts,
              ParseName(request->tier_policy(), "tierPolicies/{version}", "tier_policy"));
          PEIXUN_ASSIGN_OR_RETURN(version, ParseVersion(policy_parts["version"], "tier_policy"));
        }
        PEIXUN_RETURN_IF_ERROR(Needs(deps_.evaluation, "evaluation"));
        PEIXUN_ASSIGN_OR_RETURN(std::vector<domain::DecisionInput> inputs,
                                deps_.evaluation->NewestResults(year));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(const v1::TierPolicy policy,
                                  FundingStore::GetTierPolicy(c, version));
          int64_t total = 0;
          for (const auto& input : inputs) {
            PEIXUN_ASSIGN_OR_RETURN(const RegionName county,
                                    RegionName::ParseCounty(input.county, "result county"));
            const std::string& code = county.code;
            v1::Decision* decision = response->add_decisions();
            PEIXUN_RETURN_IF_ERROR(domain::DecideTier(input, policy, decision));
            decision->set_name(absl::StrCat("years/", year, "/decisions/", code));
            total += decision->amount_fen();
          }
          response->set_total_fen(total);
          response->set_budget_envelope_fen(request->budget_envelope_fen());
          response->set_remaining_fen(request->budget_envelope_fen() - total);
          return absl::OkStatus();
        });
      });
}

grpc::Status FundingService::GetDecision(grpc::ServerContext* context,
                                         const v1::GetDecisionRequest* request,
                                         v1::Decision* response) {
  return handlers_.Handle(
      context, "GetDecision", *request, [&](const auth::Caller&) -> absl::Status {
        // "years/{y}/decisions/{county}" (current) or "…@{n}" (decision number n, AIP-162).
        std::string name = request->name();
        int seq = 0;
        if (auto at = name.find('@'); at != std::string::npos) {
          if (!absl::SimpleAtoi(name.substr(at + 1), &seq) || seq < 1) {
            return FieldError(
                "name", absl::StrCat("'", request->name(), "' has no decision number after '@'"));
          }
          name = name.substr(0, at);
        }
        PEIXUN_ASSIGN_OR_RETURN(auto parts,
                                ParseName(name, "years/{year}/decisions/{county}", "name"));
        PEIXUN_ASSIGN_OR_RETURN(int year, ParseYear(parts["year"], "name"));
        PEIXUN_ASSIGN_OR_RETURN(const RegionName county,
                                RegionName::ParseCounty("regions/" + parts["county"], "name"));
        const std::string& code = county.code;
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto found = seq > 0 ? FundingStore::GetDecision(c, year, code, seq)
                               : FundingStore::CurrentDecision(c, year, code);
          if (!found) return absl::NotFoundError(absl::StrCat(request->name(), " does not exist"));
          *response = found->decision;
          return absl::OkStatus();
        });
      });
}

absl::StatusOr<std::vector<std::string>> FundingService::CountyUnitsOfCity(
    const std::string& filter_value) const {
  if (deps_.regions == nullptr) {
    return absl::UnavailableError(
        "funding runs without catalog (--catalog_target), so a city's counties are unknown");
  }
  return deps_.regions->CountyUnitsOfFilter(filter_value, "filter city");
}

grpc::Status FundingService::ListDecisions(grpc::ServerContext* context,
                                           const v1::ListDecisionsRequest* request,
                                           v1::ListDecisionsResponse* response) {
  return handlers_.Handle(
      context, "ListDecisions", *request, [&](const auth::Caller&) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const YearName parent,
                                YearName::Parse(request->parent(), "parent"));
        PEIXUN_ASSIGN_OR_RETURN(auto terms,
                                ParseFilter(request->filter(), {"tier", "city", "superseded"}));
        FundingStore::DecisionFilter filter;
        PEIXUN_ASSIGN_OR_RETURN(filter.tier, EnumTerm<v1::Tier>(terms, "tier"));
        if (const std::string* city = FilterValue(terms, "city")) {
          PEIXUN_ASSIGN_OR_RETURN(filter.counties, CountyUnitsOfCity(*city));
        }
        PEIXUN_ASSIGN_OR_RETURN(const std::optional<bool> superseded,
                                BoolTerm(terms, "superseded"));
        filter.superseded = superseded.value_or(false);
        PEIXUN_ASSIGN_OR_RETURN(const Page page,
                                Page::Of(request->page_size(), request->page_token(),
                                         request->parent() + "|" + request->filter()));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto items =
              FundingStore::ListDecisions(c, parent.year, filter, page.after, page.limit());
          response->set_next_page_token(page.Keep(items, [](const auto& last) {
            return absl::StrCat(LastSegment(last.decision.county()), "@", last.seq);
          }));
          for (auto& d : items) *response->add_decisions() = std::move(d.decision);
          return absl::OkStatus();
        });
      });
}

grpc::Status FundingService::DesignateProjectCounty(
    grpc::ServerContext* context, const v1::DesignateProjectCountyRequest* request,
    v1::ProjectCounty* response) {
  return handlers_.Handle(
      context, "DesignateProjectCounty", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const RegionName county,
                                RegionName::ParseCounty(request->county(), "county"));
        const std::string& code = county.code;
        PEIXUN_RETURN_IF_ERROR(
            ParseYear(std::to_string(request->from_year()), "from_year").status());
        return handlers_.Mutate(
            caller, "DesignateProjectCounty", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              FundingStore::LockCounty(c, code);
              PEIXUN_ASSIGN_OR_RETURN(const v1::TierPolicy policy,
                                      FundingStore::GetTierPolicy(c, 0));
              const v1::ProjectCounty::Period period =
                  domain::DesignationTerm(request->from_year(), policy);
              v1::ProjectCounty existing;
              existing.set_county(request->county());
              if (auto stored = FundingStore::GetProjectCounty(c, code)) existing = *stored;
              PEIXUN_RETURN_IF_ERROR(domain::CheckDesignation(existing, period));
              FundingStore::AddPeriod(c, code, period);
              *response = *FundingStore::GetProjectCounty(c, code);
              domain::SetStatusIn(*response, request->from_year());
              events::AppendEvent(c, "funding.project_county.designated", response->name(),
                                  *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status FundingService::GetProjectCounty(grpc::ServerContext* context,
                                              const v1::GetProjectCountyRequest* request,
                                              v1::ProjectCounty* response) {
  return handlers_.Handle(
      context, "GetProjectCounty", *request, [&](const auth::Caller&) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto parts,
                                ParseName(request->name(), "projectCounties/{county}", "name"));
        PEIXUN_ASSIGN_OR_RETURN(const RegionName county,
                                RegionName::ParseCounty("regions/" + parts["county"], "name"));
        const std::string& code = county.code;
        if (request->year() < 0) return FieldError("year", "must be 0 (this year) or a year");
        const int year = request->year() == 0 ? CurrentYear() : request->year();
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          auto county = FundingStore::GetProjectCounty(c, code);
          if (!county)
            return absl::NotFoundError(
                absl::StrCat(request->name(), " has never been a project county"));
          *response = *std::move(county);
          domain::SetStatusIn(*response, year);
          return absl::OkStatus();
        });
      });
}

grpc::Status FundingService::ListProjectCounties(grpc::ServerContext* context,
                                                 const v1::ListProjectCountiesRequest* request,
                                                 v1::ListProjectCountiesResponse* response) {
  return handlers_.Handle(
      context, "ListProjectCounties", *request, [&](const auth::Caller&) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
        PEIXUN_ASSIGN_OR_RETURN(auto terms,
                                ParseFilter(request->filter(), {"active_in_year", "city"}));
        int year = CurrentYear();
        bool only_active = false;
        if (auto it = terms.find("active_in_year"); it != terms.end()) {
          PEIXUN_ASSIGN_OR_RETURN(year, ParseYear(it->second, "filter active_in_year"));
          only_active = true;
        }
        std::optional<std::vector<std::string>> counties;
        if (const std::string* value = FilterValue(terms, "city")) {
          PEIXUN_ASSIGN_OR_RETURN(counties, CountyUnitsOfCity(*value));
        }
        PEIXUN_ASSIGN_OR_RETURN(std::string after,
                                DecodePageToken(request->page_token(), request->filter()));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          // Reads pages of counties until this page is full (inactive ones are skipped when asked).
          std::string cursor = after;
          while (response->project_counties_size() <= page_size) {
            auto batch = FundingStore::ListProjectCounties(c, counties, cursor, page_size + 1);
            for (auto& county : batch) {
              cursor = LastSegment(county.county());
              domain::SetStatusIn(county, year);
              if (only_active && !county.active()) continue;
              *response->add_project_counties() = std::move(county);
              if (response->project_counties_size() > page_size) break;
            }
            if (static_cast<int>(batch.size()) <= page_size) break;
          }
          if (response->project_counties_size() > page_size) {
            response->mutable_project_counties()->RemoveLast();
            const std::string& last = response->project_counties(page_size - 1).county();
            response->set_next_page_token(EncodePageToken(LastSegment(last), request->filter()));
          }
          return absl::OkStatus();
        });
      });
}

grpc::Status FundingService::GetBudgetSummary(grpc::ServerContext* context,
                                              const v1::GetBudgetSummaryRequest* request,
                                              v1::BudgetSummary* response) {
  return handlers_.Handle(
      context, "GetBudgetSummary", *request, [&](const auth::Caller&) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const YearName name, YearName::Parse(request->year(), "year"));
        const int year = name.year;
        const auto scope = request->scope() == v1::GetBudgetSummaryRequest::SCOPE_UNSPECIFIED
                               ? v1::GetBudgetSummaryRequest::PROVINCE
                               : request->scope();
        std::string region;
        if (!request->region().empty()) {
          PEIXUN_ASSIGN_OR_RETURN(const RegionName region_name,
                                  RegionName::Parse(request->region(), "region"));
          region = region_name.code;
        }
        PEIXUN_RETURN_IF_ERROR(domain::CheckSummaryScope(scope, request->region()));
        PEIXUN_RETURN_IF_ERROR(Needs(deps_.catalog, "catalog"));
        PEIXUN_RETURN_IF_ERROR(Needs(deps_.enrollment, "enrollment"));
        // The other services' figures as they are now, gathered outside any transaction.
        domain::YearFigures figures;
        PEIXUN_RETURN_IF_ERROR(deps_.catalog->AddBudgets(year, &figures));
        if (!region.empty()) {
          PEIXUN_RETURN_IF_ERROR(
              domain::CheckSummaryRegion(figures, scope, region, request->region()));
        }
        PEIXUN_RETURN_IF_ERROR(deps_.enrollment->AddCompletions(year, &figures));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          std::string after;
          int policy_version = -1;
          for (;;) {
            auto page = FundingStore::ListDecisions(c, year, {}, after, 1000);
            for (const auto& d : page) {
              figures.decided_fen[LastSegment(d.decision.county())] = d.decision.amount_fen();
              policy_version = domain::PolicyVersionOf(d.decision.tier_policy());
            }
            if (page.size() < 1000) break;
            after = absl::StrCat(LastSegment(page.back().decision.county()), "@", page.back().seq);
          }
          // Subsidies at the policy the year was decided under; the newest before any decision.
          v1::TierPolicy policy;
          if (policy_version == 0) {
            policy = domain::DefaultTierPolicy();
            policy.set_name("tierPolicies/0");
          } else {
            PEIXUN_ASSIGN_OR_RETURN(policy,
                                    FundingStore::GetTierPolicy(c, std::max(policy_version, 0)));
          }
          *response =
              domain::SummarizeBudget(figures, scope, region, policy.subsidy_per_participant_fen());
          response->set_year(absl::StrCat("years/", year));
          response->set_tier_policy(policy.name());
          response->mutable_as_of()->set_seconds(absl::ToUnixSeconds(platform_.clock().Now()));
          return absl::OkStatus();
        });
      });
}

grpc::Status FundingService::ListAuditEntries(grpc::ServerContext* context,
                                              const common::v1::ListAuditEntriesRequest* request,
                                              common::v1::ListAuditEntriesResponse* response) {
  return handlers_.ListAuditEntries(context, request, response);
}

grpc::Status FundingService::WatchEvents(grpc::ServerContext* context,
                                         const common::v1::WatchEventsRequest* request,
                                         grpc::ServerWriter<common::v1::Event>* writer) {
  return handlers_.WatchEvents(context, request, writer);
}

}  // namespace peixun::funding
