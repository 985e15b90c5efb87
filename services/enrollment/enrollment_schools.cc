// A county's registered schools: imported a batch at a time with a result per row,
// read by anyone (names and teacher counts are no one's personal data); and their plans of
// school-based research, submitted by the school and reviewed by the county's training school.
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/outbox.h"
#include "common/util/filter.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "common/util/updates.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "services/enrollment/domain/research_plans.h"
#include "services/enrollment/domain/schools.h"
#include "services/enrollment/enrollment_service.h"
#include "services/enrollment/school_names.h"

namespace peixun::enrollment {

namespace {

// The days for a plan's first submission under the policy in force in the year its school
// year starts, read once a school year within a call (a page of plans spans a few years).
class PlanDeadlines {
 public:
  explicit PlanDeadlines(db::Connection& c) : c_(c) {}

  absl::StatusOr<int> SubmissionDays(int school_year) {
    auto it = days_.find(school_year);
    if (it != days_.end()) return it->second;
    PEIXUN_ASSIGN_OR_RETURN(const v1::EnrollmentPolicy policy,
                            EnrollmentStore::GetPolicy(c_, school_year, 0));
    return days_[school_year] = policy.plan_submission_days();
  }

  // The plan with the deadline of its first submission.
  absl::StatusOr<v1::ResearchPlan> With(v1::ResearchPlan plan) {
    PEIXUN_ASSIGN_OR_RETURN(const int days, SubmissionDays(plan.school_year()));
    const absl::CivilDay deadline = domain::PlanDeadline(plan.school_year(), days);
    plan.mutable_deadline()->set_year(static_cast<int32_t>(deadline.year()));
    plan.mutable_deadline()->set_month(deadline.month());
    plan.mutable_deadline()->set_day(deadline.day());
    return plan;
  }

 private:
  db::Connection& c_;
  std::map<int, int> days_;
};

}  // namespace

grpc::Status EnrollmentService::ImportSchools(grpc::ServerContext* context,
                                              const v1::ImportSchoolsRequest* request,
                                              v1::ImportSchoolsResponse* response) {
  return Handle(
      context, "ImportSchools", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const RegionName county,
                                RegionName::ParseCounty(request->county(), "county"));
        const int rows = request->schools_size();
        if (rows < 1 || rows > domain::kMaxSchoolsPerCall) {
          return FieldError("schools", absl::StrCat("must hold 1 to ", domain::kMaxSchoolsPerCall,
                                                    " rows, not ", rows));
        }
        return Mutate(caller, "ImportSchools", *request, request->request_id(), response,
                      [&](db::Connection& c) -> absl::Status {
                        auto region = EnrollmentStore::FindRegion(c, county.code);
                        if (!region || !domain::IsCountyLevelUnit(*region)) {
                          return FieldError(
                              "county", absl::StrCat(request->county(), " is not a known county"));
                        }
                        auth::Resource resource;
                        resource.name = request->county();
                        resource.county = county.code;
                        resource.city = domain::CityCodeOf(*region);
                        PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
                        response->Clear();
                        const std::vector<v1::School> asked(request->schools().begin(),
                                                            request->schools().end());
                        const auto decisions = domain::DecideSchoolImport(
                            county.code, asked, EnrollmentStore::LockCountySchools(c, county.code));
                        for (const auto& d : decisions) {
                          if (d.outcome == v1::ImportSchoolResult::CREATED ||
                              d.outcome == v1::ImportSchoolResult::RENAMED) {
                            EnrollmentStore::UpsertSchool(c, county.code, d.id, d.display_name);
                          }
                        }
                        std::vector<std::string> ids;
                        for (const auto& d : decisions) {
                          if (d.outcome != v1::ImportSchoolResult::REFUSED) ids.push_back(d.id);
                        }
                        auto schools = EnrollmentStore::FindSchools(c, county.code, ids);
                        bool changed = false;
                        for (int i = 0; i < rows; ++i) {
                          const auto& d = decisions[static_cast<size_t>(i)];
                          auto* result = response->add_results();
                          result->set_index(i);
                          result->set_outcome(d.outcome);
                          if (d.outcome == v1::ImportSchoolResult::REFUSED) {
                            result->set_reason(d.reason);
                            continue;
                          }
                          changed |= d.outcome != v1::ImportSchoolResult::UNCHANGED;
                          if (auto it = schools.find(d.id); it != schools.end())
                            *result->mutable_school() = it->second;
                        }
                        if (changed) {
                          events::AppendEvent(c, "enrollment.schools.imported", request->county(),
                                              *response);
                        }
                        return absl::OkStatus();
                      });
      });
}

grpc::Status EnrollmentService::GetSchool(grpc::ServerContext* context,
                                          const v1::GetSchoolRequest* request,
                                          v1::School* response) {
  return Handle(context, "GetSchool", *request, [&](const auth::Access&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const SchoolKey key, ParseSchool(request->name(), "name", false));
    return handlers_.Read([&](db::Connection& c) -> absl::Status {
      auto school = EnrollmentStore::FindSchool(c, key.county, key.school);
      if (!school) return absl::NotFoundError(absl::StrCat(request->name(), " does not exist"));
      *response = *std::move(school);
      return absl::OkStatus();
    });
  });
}

grpc::Status EnrollmentService::ListSchools(grpc::ServerContext* context,
                                            const v1::ListSchoolsRequest* request,
                                            v1::ListSchoolsResponse* response) {
  return Handle(context, "ListSchools", *request, [&](const auth::Access&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const RegionName county,
                            RegionName::ParseCounty(request->parent(), "parent"));
    PEIXUN_ASSIGN_OR_RETURN(
        const Page page, Page::Of(request->page_size(), request->page_token(), request->parent()));
    std::vector<v1::School> items;
    PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
      items = EnrollmentStore::ListSchools(c, county.code, page.after, page.limit());
      return absl::OkStatus();
    }));
    response->set_next_page_token(page.Keep(items, LastSegmentOf<v1::School>));
    for (auto& school : items) *response->add_schools() = std::move(school);
    return absl::OkStatus();
  });
}

// ---- Plans of school-based research (R-32) ------------------------------------------------

grpc::Status EnrollmentService::SubmitResearchPlan(grpc::ServerContext* context,
                                                   const v1::SubmitResearchPlanRequest* request,
                                                   v1::ResearchPlan* response) {
  return Handle(
      context, "SubmitResearchPlan", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const SchoolKey school,
                                ParseSchool(request->parent(), "parent", false));
        const v1::ResearchPlan& plan = request->research_plan();
        PEIXUN_RETURN_IF_ERROR(domain::CheckPlan(plan));
        const absl::CivilDay today = Today();
        return Mutate(
            caller, "SubmitResearchPlan", *request, request->request_id(), response,
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_RETURN_IF_ERROR(CheckRegisteredSchool(c, caller, school, request->parent()));
              auto existing = EnrollmentStore::FindResearchPlan(c, school.county, school.school,
                                                                plan.school_year(), true);
              std::optional<v1::ResearchPlan::State> state;
              if (existing) state = existing->state();
              PlanDeadlines deadlines(c);
              PEIXUN_ASSIGN_OR_RETURN(const int days, deadlines.SubmissionDays(plan.school_year()));
              PEIXUN_RETURN_IF_ERROR(
                  domain::DecideSubmission(state, plan.school_year(), today, days));
              EnrollmentStore::SubmitResearchPlan(c, school.county, school.school, plan,
                                                  caller.subject);
              PEIXUN_ASSIGN_OR_RETURN(
                  *response, deadlines.With(*EnrollmentStore::FindResearchPlan(
                                 c, school.county, school.school, plan.school_year(), false)));
              events::AppendEvent(c, "enrollment.research_plan.submitted", response->name(),
                                  *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status EnrollmentService::GetResearchPlan(grpc::ServerContext* context,
                                                const v1::GetResearchPlanRequest* request,
                                                v1::ResearchPlan* response) {
  return Handle(
      context, "GetResearchPlan", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const SchoolKey key,
                                ParseSchoolYearName(request->name(), "researchPlans", "name"));
        return handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(const auth::Resource resource,
                                  SchoolResource(c, key, request->name()));
          PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
          auto plan =
              EnrollmentStore::FindResearchPlan(c, key.county, key.school, key.school_year, false);
          if (!plan) {
            return absl::NotFoundError(absl::StrCat(request->name(), " does not exist"));
          }
          PEIXUN_ASSIGN_OR_RETURN(*response, PlanDeadlines(c).With(*std::move(plan)));
          return absl::OkStatus();
        });
      });
}

grpc::Status EnrollmentService::ListResearchPlans(grpc::ServerContext* context,
                                                  const v1::ListResearchPlansRequest* request,
                                                  v1::ListResearchPlansResponse* response) {
  return Handle(
      context, "ListResearchPlans", *request, [&](const auth::Access& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const SchoolYearList list,
                                ParseSchoolYearList<v1::ResearchPlan::State>(*request));
        std::vector<v1::ResearchPlan> items;
        PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(const auth::Resource resource,
                                  SchoolResource(c, list.key, request->parent()));
          PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
          items = EnrollmentStore::ListResearchPlans(c, list.key.county, list.School(), list.state,
                                                     list.school_year, list.after_school,
                                                     list.after_year, list.page.limit());
          response->set_next_page_token(list.page.Keep(items, [](const v1::ResearchPlan& plan) {
            return SchoolYearPageKey(plan.name(), plan.school_year());
          }));
          PlanDeadlines deadlines(c);
          for (auto& plan : items) {
            PEIXUN_ASSIGN_OR_RETURN(*response->add_research_plans(),
                                    deadlines.With(std::move(plan)));
          }
          return absl::OkStatus();
        }));
        return absl::OkStatus();
      });
}

grpc::Status EnrollmentService::ApproveResearchPlan(grpc::ServerContext* context,
                                                    const v1::ReviewResearchPlanRequest* request,
                                                    v1::ResearchPlan* response) {
  return ReviewResearchPlan(context, "ApproveResearchPlan", *request, true, response);
}

grpc::Status EnrollmentService::ReturnResearchPlan(grpc::ServerContext* context,
                                                   const v1::ReviewResearchPlanRequest* request,
                                                   v1::ResearchPlan* response) {
  return ReviewResearchPlan(context, "ReturnResearchPlan", *request, false, response);
}

grpc::Status EnrollmentService::ReviewResearchPlan(grpc::ServerContext* context,
                                                   absl::string_view method,
                                                   const v1::ReviewResearchPlanRequest& request,
                                                   bool approve, v1::ResearchPlan* response) {
  return Handle(context, method, request, [&](const auth::Access& caller) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const SchoolKey key,
                            ParseSchoolYearName(request.name(), "researchPlans", "name"));
    return Mutate(
        caller, method, request, request.request_id(), response,
        [&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(const auth::Resource resource,
                                  SchoolResource(c, key, request.name()));
          PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
          auto plan =
              EnrollmentStore::FindResearchPlan(c, key.county, key.school, key.school_year, true);
          if (!plan) return absl::NotFoundError(absl::StrCat(request.name(), " does not exist"));
          PEIXUN_RETURN_IF_ERROR(CheckEtag(request.etag(), plan->etag(), request.name()));
          PEIXUN_RETURN_IF_ERROR(domain::DecideReview(plan->state(), approve, request.reason()));
          const auto state = approve ? v1::ResearchPlan::APPROVED : v1::ResearchPlan::RETURNED;
          EnrollmentStore::ReviewResearchPlan(c, key.county, key.school, key.school_year, state,
                                              caller.subject, request.reason());
          PEIXUN_ASSIGN_OR_RETURN(*response,
                                  PlanDeadlines(c).With(*EnrollmentStore::FindResearchPlan(
                                      c, key.county, key.school, key.school_year, false)));
          events::AppendEvent(
              c,
              approve ? "enrollment.research_plan.approved" : "enrollment.research_plan.returned",
              response->name(), *response);
          return absl::OkStatus();
        });
  });
}

}  // namespace peixun::enrollment
