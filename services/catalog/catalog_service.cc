#include "services/catalog/catalog_service.h"

#include "absl/strings/str_cat.h"
#include "common/events/outbox.h"
#include "common/util/filter.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "common/util/updates.h"
#include "services/catalog/catalog_store.h"
#include "services/catalog/domain/catalog_rules.h"

namespace peixun::catalog {

CatalogService::CatalogService(server::Platform& platform)
    : handlers_(platform),
      changes_(prometheus::BuildCounter()
                   .Name("peixun_catalog_changes_total")
                   .Help("Committed catalog changes by kind of resource.")
                   .Register(platform.metrics().registry())),
      cache_hits_(prometheus::BuildCounter()
                      .Name("peixun_catalog_project_cache_hits_total")
                      .Help("GetProject calls answered from the project cache.")
                      .Register(platform.metrics().registry())
                      .Add({})),
      cache_misses_(prometheus::BuildCounter()
                        .Name("peixun_catalog_project_cache_misses_total")
                        .Help("GetProject calls that read the database.")
                        .Register(platform.metrics().registry())
                        .Add({})),
      project_cache_(platform.pool(), platform.clock()),
      project_cache_task_(platform.background().AddComponent(
          "project cache follower",
          [this, &platform] { project_cache_.Start([&platform] { return platform.serving(); }); },
          [this] { project_cache_.Stop(); })) {}

CatalogService::~CatalogService() = default;

absl::Status CatalogService::Mutate(const auth::Caller& caller, absl::string_view method,
                                    const google::protobuf::Message& request,
                                    const std::string& request_id,
                                    google::protobuf::Message* response, absl::string_view kind,
                                    const std::function<absl::Status(db::Connection&)>& change) {
  return handlers_.Mutate(caller, method, request, request_id, response, change, [&] {
    project_cache_.InvalidateAll();  // read-your-writes on this replica
    changes_.Add({{"kind", std::string(kind)}}).Increment();
  });
}

// ---- Regions ------------------------------------------------------------------------------

grpc::Status CatalogService::ImportRegions(grpc::ServerContext* context,
                                           const v1::ImportRegionsRequest* request,
                                           v1::ImportRegionsResponse* response) {
  return Handle(
      context, "ImportRegions", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(auto rows, domain::ParseRegionCsv(request->csv()));
        return Mutate(caller, "ImportRegions", *request, request->request_id(), response, "region",
                      [&](db::Connection& c) -> absl::Status {
                        PEIXUN_ASSIGN_OR_RETURN(auto counts, CatalogStore::UpsertRegions(c, rows));
                        response->set_created(counts.created);
                        response->set_updated(counts.updated);
                        response->set_unchanged(counts.unchanged);
                        if (counts.created + counts.updated > 0) {
                          events::AppendEvent(c, "catalog.regions.imported", "regions", *response);
                        }
                        return absl::OkStatus();
                      });
      });
}

grpc::Status CatalogService::GetRegion(grpc::ServerContext* context,
                                       const v1::GetRegionRequest* request, v1::Region* response) {
  return Handle(context, "GetRegion", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const RegionName name, RegionName::Parse(request->name(), "name"));
    return Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, CatalogStore::GetRegion(c, name.code));
      return absl::OkStatus();
    });
  });
}

grpc::Status CatalogService::ListRegions(grpc::ServerContext* context,
                                         const v1::ListRegionsRequest* request,
                                         v1::ListRegionsResponse* response) {
  return Handle(context, "ListRegions", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"level", "parent"}));
    PEIXUN_ASSIGN_OR_RETURN(const v1::RegionLevel level, EnumTerm<v1::RegionLevel>(terms, "level"));
    std::string parent;
    if (const std::string* p = FilterValue(terms, "parent")) {
      PEIXUN_ASSIGN_OR_RETURN(const RegionName name, RegionName::Parse(*p, "filter parent"));
      parent = name.code;
    }
    PEIXUN_ASSIGN_OR_RETURN(
        const Page page, Page::Of(request->page_size(), request->page_token(), request->filter()));
    std::vector<v1::Region> regions;
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) {
      regions = CatalogStore::ListRegions(c, level, parent, page.after, page.limit());
      return absl::OkStatus();
    }));
    response->set_next_page_token(page.Keep(regions, [](const v1::Region& r) { return r.code(); }));
    for (auto& r : regions) *response->add_regions() = std::move(r);
    return absl::OkStatus();
  });
}

// ---- Plan years ---------------------------------------------------------------------------

grpc::Status CatalogService::CreateYear(grpc::ServerContext* context,
                                        const v1::CreateYearRequest* request,
                                        v1::PlanYear* response) {
  return Handle(context, "CreateYear", *request, [&](const auth::Caller& caller) -> absl::Status {
    v1::PlanYear year = request->plan_year();
    PEIXUN_RETURN_IF_ERROR(domain::PrepareYear(year));
    return Mutate(
        caller, "CreateYear", *request, request->request_id(), response, "year",
        [&](db::Connection& c) -> absl::Status {
          PEIXUN_RETURN_IF_ERROR(CatalogStore::InsertYear(c, year));
          v1::CostPolicy defaults;
          defaults.set_fen_per_person_day(domain::kDefaultFenPerPersonDay);
          defaults.set_fen_per_online_hour(domain::kDefaultFenPerOnlineHour);
          defaults.set_reason("R-4 default cost standard");
          v1::CostPolicy policy = CatalogStore::InsertCostPolicy(c, year.year(), defaults);
          PEIXUN_ASSIGN_OR_RETURN(*response, CatalogStore::GetYear(c, year.year(), false));
          events::AppendEvent(c, "catalog.year.created", response->name(), *response);
          events::AppendEvent(c, "catalog.cost_policy.created", policy.name(), policy);
          return absl::OkStatus();
        });
  });
}

grpc::Status CatalogService::GetYear(grpc::ServerContext* context,
                                     const v1::GetYearRequest* request, v1::PlanYear* response) {
  return Handle(context, "GetYear", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const YearName name, YearName::Parse(request->name(), "name"));
    return Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, CatalogStore::GetYear(c, name.year, false));
      return absl::OkStatus();
    });
  });
}

grpc::Status CatalogService::UpdateYear(grpc::ServerContext* context,
                                        const v1::UpdateYearRequest* request,
                                        v1::PlanYear* response) {
  return Handle(context, "UpdateYear", *request, [&](const auth::Caller& caller) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const YearName name,
                            YearName::Parse(request->plan_year().name(), "plan_year.name"));
    const int year_number = name.year;
    const auto& mask = request->update_mask();
    PEIXUN_RETURN_IF_ERROR(CheckUpdateMask(mask, {"nomination_deadline", "projects_end_by",
                                                  "check_in_notice_days", "timetable_days"}));
    const v1::PlanYear& given = request->plan_year();
    return Mutate(
        caller, "UpdateYear", *request, request->request_id(), response, "year",
        [&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(v1::PlanYear year, CatalogStore::GetYear(c, year_number, true));
          PEIXUN_RETURN_IF_ERROR(CheckEtag(given.etag(), year.etag(), year.name()));
          if (InMask(mask, "nomination_deadline"))
            *year.mutable_nomination_deadline() = given.nomination_deadline();
          if (InMask(mask, "projects_end_by"))
            *year.mutable_projects_end_by() = given.projects_end_by();
          if (InMask(mask, "check_in_notice_days"))
            year.set_check_in_notice_days(given.check_in_notice_days());
          if (InMask(mask, "timetable_days")) year.set_timetable_days(given.timetable_days());
          PEIXUN_RETURN_IF_ERROR(domain::ValidateYear(year));
          CatalogStore::UpdateYear(c, year);
          PEIXUN_ASSIGN_OR_RETURN(*response, CatalogStore::GetYear(c, year_number, false));
          events::AppendEvent(c, "catalog.year.updated", response->name(), *response);
          return absl::OkStatus();
        });
  });
}

// ---- Categories ---------------------------------------------------------------------------

grpc::Status CatalogService::CreateCategory(grpc::ServerContext* context,
                                            const v1::CreateCategoryRequest* request,
                                            v1::ProjectCategory* response) {
  return Handle(
      context, "CreateCategory", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const YearName parent,
                                YearName::Parse(request->parent(), "parent"));
        const int year = parent.year;
        PEIXUN_RETURN_IF_ERROR(ValidateId(request->category_id(), "category_id"));
        const auto& category = request->category();
        if (category.display_name().empty() || category.display_name().size() > 128) {
          return FieldError("category.display_name", "must be 1 to 128 bytes");
        }
        if (category.plan_level() == common::v1::PLAN_LEVEL_UNSPECIFIED ||
            !common::v1::PlanLevel_IsValid(category.plan_level())) {
          return FieldError("category.plan_level",
                            "must be NATIONAL, PROVINCIAL, CITY, COUNTY or SCHOOL");
        }
        return Mutate(
            caller, "CreateCategory", *request, request->request_id(), response, "category",
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_RETURN_IF_ERROR(CatalogStore::GetYear(c, year, false).status());
              PEIXUN_RETURN_IF_ERROR(
                  CatalogStore::InsertCategory(c, year, request->category_id(), category));
              PEIXUN_ASSIGN_OR_RETURN(*response,
                                      CatalogStore::GetCategory(c, year, request->category_id()));
              events::AppendEvent(c, "catalog.category.created", response->name(), *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status CatalogService::ListCategories(grpc::ServerContext* context,
                                            const v1::ListCategoriesRequest* request,
                                            v1::ListCategoriesResponse* response) {
  return Handle(context, "ListCategories", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const YearName parent, YearName::Parse(request->parent(), "parent"));
    const int year = parent.year;
    PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"plan_level"}));
    PEIXUN_ASSIGN_OR_RETURN(const common::v1::PlanLevel level,
                            EnumTerm<common::v1::PlanLevel>(terms, "plan_level"));
    PEIXUN_ASSIGN_OR_RETURN(const Page page,
                            Page::Of(request->page_size(), request->page_token(),
                                     absl::StrCat(request->parent(), "|", request->filter())));
    std::vector<v1::ProjectCategory> items;
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) {
      items = CatalogStore::ListCategories(c, year, level, page.after, page.limit());
      return absl::OkStatus();
    }));
    response->set_next_page_token(page.Keep(items, LastSegmentOf<v1::ProjectCategory>));
    for (auto& x : items) *response->add_categories() = std::move(x);
    return absl::OkStatus();
  });
}

// ---- Hosts --------------------------------------------------------------------------------

grpc::Status CatalogService::CreateHost(grpc::ServerContext* context,
                                        const v1::CreateHostRequest* request,
                                        v1::HostInstitution* response) {
  return Handle(context, "CreateHost", *request, [&](const auth::Caller& caller) -> absl::Status {
    PEIXUN_RETURN_IF_ERROR(ValidateId(request->host_id(), "host_id"));
    const auto& host = request->host();
    if (host.display_name().empty() || host.display_name().size() > 128) {
      return FieldError("host.display_name", "must be 1 to 128 bytes");
    }
    std::string region_code;
    if (!host.region().empty()) {
      PEIXUN_ASSIGN_OR_RETURN(const RegionName region,
                              RegionName::Parse(host.region(), "host.region"));
      region_code = region.code;
    }
    return Mutate(caller, "CreateHost", *request, request->request_id(), response, "host",
                  [&](db::Connection& c) -> absl::Status {
                    if (!region_code.empty()) {
                      PEIXUN_RETURN_IF_ERROR(
                          CatalogStore::RequireRegion(c, region_code, "host.region").status());
                    }
                    PEIXUN_RETURN_IF_ERROR(CatalogStore::InsertHost(c, request->host_id(), host));
                    PEIXUN_ASSIGN_OR_RETURN(*response,
                                            CatalogStore::GetHost(c, request->host_id()));
                    events::AppendEvent(c, "catalog.host.created", response->name(), *response);
                    return absl::OkStatus();
                  });
  });
}

grpc::Status CatalogService::GetHost(grpc::ServerContext* context,
                                     const v1::GetHostRequest* request,
                                     v1::HostInstitution* response) {
  return Handle(context, "GetHost", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const HostName name, HostName::Parse(request->name(), "name"));
    return Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, CatalogStore::GetHost(c, name.host));
      return absl::OkStatus();
    });
  });
}

grpc::Status CatalogService::ListHosts(grpc::ServerContext* context,
                                       const v1::ListHostsRequest* request,
                                       v1::ListHostsResponse* response) {
  return Handle(context, "ListHosts", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"region"}));
    std::string region;
    if (const std::string* r = FilterValue(terms, "region")) {
      PEIXUN_ASSIGN_OR_RETURN(const RegionName name, RegionName::Parse(*r, "filter region"));
      region = name.code;
    }
    PEIXUN_ASSIGN_OR_RETURN(
        const Page page, Page::Of(request->page_size(), request->page_token(), request->filter()));
    std::vector<v1::HostInstitution> items;
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) {
      items = CatalogStore::ListHosts(c, region, page.after, page.limit());
      return absl::OkStatus();
    }));
    response->set_next_page_token(page.Keep(items, LastSegmentOf<v1::HostInstitution>));
    for (auto& x : items) *response->add_hosts() = std::move(x);
    return absl::OkStatus();
  });
}

// ---- Cost policy and budgets (R-4) --------------------------------------------------------

grpc::Status CatalogService::CreateCostPolicy(grpc::ServerContext* context,
                                              const v1::CreateCostPolicyRequest* request,
                                              v1::CostPolicy* response) {
  return Handle(
      context, "CreateCostPolicy", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const YearName parent,
                                YearName::Parse(request->parent(), "parent"));
        const int year = parent.year;
        PEIXUN_RETURN_IF_ERROR(domain::ValidateCostPolicy(request->cost_policy()));
        return Mutate(caller, "CreateCostPolicy", *request, request->request_id(), response,
                      "cost_policy", [&](db::Connection& c) -> absl::Status {
                        PEIXUN_RETURN_IF_ERROR(CatalogStore::GetYear(c, year, false).status());
                        *response = CatalogStore::InsertCostPolicy(c, year, request->cost_policy());
                        events::AppendEvent(c, "catalog.cost_policy.created", response->name(),
                                            *response);
                        return absl::OkStatus();
                      });
      });
}

grpc::Status CatalogService::GetCostPolicy(grpc::ServerContext* context,
                                           const v1::GetCostPolicyRequest* request,
                                           v1::CostPolicy* response) {
  return Handle(context, "GetCostPolicy", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(
        auto parts, ParseName(request->name(), "years/{year}/costPolicies/{version}", "name"));
    PEIXUN_ASSIGN_OR_RETURN(int year, ParseYear(parts["year"], "name"));
    PEIXUN_ASSIGN_OR_RETURN(int version, ParseVersion(parts["version"], "name"));
    return Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, CatalogStore::GetCostPolicy(c, year, version));
      return absl::OkStatus();
    });
  });
}

grpc::Status CatalogService::GetProjectBudget(grpc::ServerContext* context,
                                              const v1::GetProjectBudgetRequest* request,
                                              v1::ProjectBudget* response) {
  return Handle(context, "GetProjectBudget", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const ProjectName key,
                            ProjectName::Parse(request->project(), "project"));
    v1::Project project;
    v1::CostPolicy policy;
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(project, CatalogStore::GetProject(c, key.year, key.project, false));
      PEIXUN_ASSIGN_OR_RETURN(policy, CatalogStore::GetCostPolicy(c, key.year, 0));
      return absl::OkStatus();
    }));
    PEIXUN_ASSIGN_OR_RETURN(*response, domain::ComputeBudget(project, policy));
    return absl::OkStatus();
  });
}

grpc::Status CatalogService::ListAuditEntries(grpc::ServerContext* context,
                                              const common::v1::ListAuditEntriesRequest* request,
                                              common::v1::ListAuditEntriesResponse* response) {
  return handlers_.ListAuditEntries(context, request, response);
}

grpc::Status CatalogService::WatchEvents(grpc::ServerContext* context,
                                         const common::v1::WatchEventsRequest* request,
                                         grpc::ServerWriter<common::v1::Event>* writer) {
  return handlers_.WatchEvents(context, request, writer);
}

}  // namespace peixun::catalog
