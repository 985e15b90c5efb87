#include "services/catalog/catalog_service.h"

#include <optional>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/access.h"
#include "common/db/idempotency.h"
#include "common/events/outbox.h"
#include "common/util/filter.h"
#include "common/util/ids.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "services/catalog/catalog_store.h"
#include "services/catalog/domain/catalog_rules.h"

namespace peixun::catalog {
namespace {

struct ProjectKey {
  int year = 0;
  std::string id;
};

absl::StatusOr<int> ParseYearName(const std::string& name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, "years/{year}", field));
  return ParseYear(parts["year"], field);
}

absl::StatusOr<ProjectKey> ParseProjectName(const std::string& name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, "years/{year}/projects/{project}", field));
  ProjectKey key;
  PEIXUN_ASSIGN_OR_RETURN(key.year, ParseYear(parts["year"], field));
  key.id = parts["project"];
  PEIXUN_RETURN_IF_ERROR(ValidateId(key.id, field));
  return key;
}

absl::StatusOr<QuotaKey> ParseQuotaName(const std::string& name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(
      auto parts, ParseName(name, "years/{year}/projects/{project}/quotas/{region}", field));
  QuotaKey key;
  PEIXUN_ASSIGN_OR_RETURN(key.year, ParseYear(parts["year"], field));
  key.project_id = parts["project"];
  key.region_code = parts["region"];
  PEIXUN_RETURN_IF_ERROR(ValidateId(key.project_id, field));
  PEIXUN_RETURN_IF_ERROR(domain::ValidateRegionCode(key.region_code, field));
  return key;
}

absl::StatusOr<std::string> ParseRegionName(const std::string& name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, "regions/{code}", field));
  PEIXUN_RETURN_IF_ERROR(domain::ValidateRegionCode(parts["code"], field));
  return parts["code"];
}

absl::StatusOr<std::string> ParseHostName(const std::string& name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, "hosts/{host}", field));
  PEIXUN_RETURN_IF_ERROR(ValidateId(parts["host"], field));
  return parts["host"];
}

// Region must exist; an unknown one is bad input naming the field.
absl::StatusOr<v1::Region> RequireRegion(db::Connection& c, const std::string& code,
                                         absl::string_view field) {
  auto region = CatalogStore::GetRegion(c, code);
  if (absl::IsNotFound(region.status())) {
    return FieldError(field, absl::StrCat("regions/", code, " is not a known region"));
  }
  return region;
}

absl::Status CheckEtag(const std::string& given, const std::string& current,
                       absl::string_view resource) {
  if (!given.empty() && given != current) {
    return absl::AbortedError(absl::StrCat("etag: ", resource, " changed since it was read (etag ",
                                           current, ", request has ", given,
                                           "); read it again and retry"));
  }
  return absl::OkStatus();
}

absl::Status CheckMask(const google::protobuf::FieldMask& mask,
                       const std::set<std::string>& allowed) {
  if (mask.paths_size() == 0) {
    return FieldError("update_mask", absl::StrCat("must name the fields to change, of: ",
                                                  absl::StrJoin(allowed, ", ")));
  }
  for (const auto& path : mask.paths()) {
    if (allowed.count(path) == 0) {
      return FieldError("update_mask", absl::StrCat("'", path, "' cannot be updated; updatable: ",
                                                    absl::StrJoin(allowed, ", ")));
    }
  }
  return absl::OkStatus();
}

bool Masked(const google::protobuf::FieldMask& mask, absl::string_view path) {
  for (const auto& p : mask.paths()) {
    if (p == path) return true;
  }
  return false;
}

template <typename T>
absl::StatusOr<int> ParseEnumFilter(const FilterTerms& terms, const std::string& field,
                                    bool (*parse)(const std::string&, T*)) {
  auto it = terms.find(field);
  if (it == terms.end()) return 0;
  T value;
  if (!parse(it->second, &value) || static_cast<int>(value) == 0) {
    return FieldError("filter", absl::StrCat("'", it->second, "' is not a valid ", field));
  }
  return static_cast<int>(value);
}

std::string TermOr(const FilterTerms& terms, const std::string& field) {
  auto it = terms.find(field);
  return it == terms.end() ? "" : it->second;
}

// Keyset page: fetch one more than asked to know whether another page follows.
template <typename T, typename KeyFn>
void FinishPage(std::vector<T>& items, int page_size, const std::string& query, KeyFn key,
                std::string* next_token) {
  if (static_cast<int>(items.size()) > page_size) {
    items.resize(page_size);
    *next_token = EncodePageToken(key(items.back()), query);
  }
}

}  // namespace

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
    PEIXUN_ASSIGN_OR_RETURN(std::string code, ParseRegionName(request->name(), "name"));
    return Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, CatalogStore::GetRegion(c, code));
      return absl::OkStatus();
    });
  });
}

grpc::Status CatalogService::ListRegions(grpc::ServerContext* context,
                                         const v1::ListRegionsRequest* request,
                                         v1::ListRegionsResponse* response) {
  return Handle(context, "ListRegions", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"level", "parent"}));
    PEIXUN_ASSIGN_OR_RETURN(
        int level, ParseEnumFilter<v1::RegionLevel>(terms, "level", v1::RegionLevel_Parse));
    std::string parent;
    if (auto p = TermOr(terms, "parent"); !p.empty()) {
      PEIXUN_ASSIGN_OR_RETURN(parent, ParseRegionName(p, "filter parent"));
    }
    const std::string& query = request->filter();
    PEIXUN_ASSIGN_OR_RETURN(std::string after, DecodePageToken(request->page_token(), query));
    std::vector<v1::Region> regions;
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) {
      regions = CatalogStore::ListRegions(c, level, parent, after, page_size + 1);
      return absl::OkStatus();
    }));
    FinishPage(
        regions, page_size, query, [](const v1::Region& r) { return r.code(); },
        response->mutable_next_page_token());
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
    PEIXUN_ASSIGN_OR_RETURN(int year, ParseYearName(request->name(), "name"));
    return Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, CatalogStore::GetYear(c, year, false));
      return absl::OkStatus();
    });
  });
}

grpc::Status CatalogService::UpdateYear(grpc::ServerContext* context,
                                        const v1::UpdateYearRequest* request,
                                        v1::PlanYear* response) {
  return Handle(context, "UpdateYear", *request, [&](const auth::Caller& caller) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(int year_number,
                            ParseYearName(request->plan_year().name(), "plan_year.name"));
    const auto& mask = request->update_mask();
    PEIXUN_RETURN_IF_ERROR(CheckMask(mask, {"nomination_deadline", "projects_end_by",
                                            "check_in_notice_days", "timetable_days"}));
    const v1::PlanYear& given = request->plan_year();
    return Mutate(
        caller, "UpdateYear", *request, request->request_id(), response, "year",
        [&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(v1::PlanYear year, CatalogStore::GetYear(c, year_number, true));
          PEIXUN_RETURN_IF_ERROR(CheckEtag(given.etag(), year.etag(), year.name()));
          if (Masked(mask, "nomination_deadline"))
            *year.mutable_nomination_deadline() = given.nomination_deadline();
          if (Masked(mask, "projects_end_by"))
            *year.mutable_projects_end_by() = given.projects_end_by();
          if (Masked(mask, "check_in_notice_days"))
            year.set_check_in_notice_days(given.check_in_notice_days());
          if (Masked(mask, "timetable_days")) year.set_timetable_days(given.timetable_days());
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
        PEIXUN_ASSIGN_OR_RETURN(int year, ParseYearName(request->parent(), "parent"));
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
    PEIXUN_ASSIGN_OR_RETURN(int year, ParseYearName(request->parent(), "parent"));
    PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"plan_level"}));
    PEIXUN_ASSIGN_OR_RETURN(int level, ParseEnumFilter<common::v1::PlanLevel>(
                                           terms, "plan_level", common::v1::PlanLevel_Parse));
    const std::string query = absl::StrCat(request->parent(), "|", request->filter());
    PEIXUN_ASSIGN_OR_RETURN(std::string after, DecodePageToken(request->page_token(), query));
    std::vector<v1::ProjectCategory> items;
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) {
      items = CatalogStore::ListCategories(c, year, level, after, page_size + 1);
      return absl::OkStatus();
    }));
    FinishPage(
        items, page_size, query, [](const v1::ProjectCategory& x) { return LastSegment(x.name()); },
        response->mutable_next_page_token());
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
      PEIXUN_ASSIGN_OR_RETURN(region_code, ParseRegionName(host.region(), "host.region"));
    }
    return Mutate(caller, "CreateHost", *request, request->request_id(), response, "host",
                  [&](db::Connection& c) -> absl::Status {
                    if (!region_code.empty()) {
                      PEIXUN_RETURN_IF_ERROR(RequireRegion(c, region_code, "host.region").status());
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
    PEIXUN_ASSIGN_OR_RETURN(std::string id, ParseHostName(request->name(), "name"));
    return Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, CatalogStore::GetHost(c, id));
      return absl::OkStatus();
    });
  });
}

grpc::Status CatalogService::ListHosts(grpc::ServerContext* context,
                                       const v1::ListHostsRequest* request,
                                       v1::ListHostsResponse* response) {
  return Handle(context, "ListHosts", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"region"}));
    std::string region;
    if (auto r = TermOr(terms, "region"); !r.empty()) {
      PEIXUN_ASSIGN_OR_RETURN(region, ParseRegionName(r, "filter region"));
    }
    const std::string& query = request->filter();
    PEIXUN_ASSIGN_OR_RETURN(std::string after, DecodePageToken(request->page_token(), query));
    std::vector<v1::HostInstitution> items;
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) {
      items = CatalogStore::ListHosts(c, region, after, page_size + 1);
      return absl::OkStatus();
    }));
    FinishPage(
        items, page_size, query, [](const v1::HostInstitution& x) { return LastSegment(x.name()); },
        response->mutable_next_page_token());
    for (auto& x : items) *response->add_hosts() = std::move(x);
    return absl::OkStatus();
  });
}

// ---- Projects -----------------------------------------------------------------------------

namespace {

// Resolves and checks a project's references inside the transaction; fills plan_level.
absl::Status ResolveProjectReferences(db::Connection& c, int year, v1::Project& project) {
  PEIXUN_ASSIGN_OR_RETURN(
      auto category_parts,
      ParseName(project.category(), "years/{year}/categories/{category}", "project.category"));
  if (category_parts["year"] != std::to_string(year)) {
    return FieldError("project.category", absl::StrCat("must be a category of ", year));
  }
  auto category = CatalogStore::GetCategory(c, year, category_parts["category"]);
  if (absl::IsNotFound(category.status())) {
    return FieldError("project.category", absl::StrCat(project.category(), " does not exist"));
  }
  PEIXUN_RETURN_IF_ERROR(category.status());
  project.set_plan_level(category->plan_level());
  PEIXUN_ASSIGN_OR_RETURN(std::string host_id, ParseHostName(project.host(), "project.host"));
  auto host = CatalogStore::GetHost(c, host_id);
  if (absl::IsNotFound(host.status())) {
    return FieldError("project.host", absl::StrCat(project.host(), " is not a registered host"));
  }
  PEIXUN_RETURN_IF_ERROR(host.status());
  for (const auto& region : project.audience().regions()) {
    PEIXUN_ASSIGN_OR_RETURN(std::string code, ParseRegionName(region, "project.audience.regions"));
    PEIXUN_RETURN_IF_ERROR(RequireRegion(c, code, "project.audience.regions").status());
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status CatalogService::CreateProject(grpc::ServerContext* context,
                                           const v1::CreateProjectRequest* request,
                                           v1::Project* response) {
  return Handle(
      context, "CreateProject", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(int year, ParseYearName(request->parent(), "parent"));
        // A generated id comes from the first attempt only, so a retried request_id keeps it.
        std::string project_id =
            request->project_id().empty() ? NewId("p", 6) : request->project_id();
        PEIXUN_RETURN_IF_ERROR(ValidateId(project_id, "project_id"));
        return Mutate(
            caller, "CreateProject", *request, request->request_id(), response, "project",
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(v1::PlanYear plan_year,
                                      CatalogStore::GetYear(c, year, false));
              v1::Project project = request->project();
              PEIXUN_RETURN_IF_ERROR(domain::ValidateProject(project, plan_year));
              PEIXUN_RETURN_IF_ERROR(ResolveProjectReferences(c, year, project));
              PEIXUN_RETURN_IF_ERROR(CatalogStore::InsertProject(c, year, project_id, project));
              PEIXUN_ASSIGN_OR_RETURN(*response,
                                      CatalogStore::GetProject(c, year, project_id, false));
              events::AppendEvent(c, "catalog.project.created", response->name(), *response);
              return absl::OkStatus();
            });
      });
}

grpc::Status CatalogService::GetProject(grpc::ServerContext* context,
                                        const v1::GetProjectRequest* request,
                                        v1::Project* response) {
  return Handle(context, "GetProject", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(ProjectKey key, ParseProjectName(request->name(), "name"));
    uint64_t generation = 0;
    if (auto cached = project_cache_.Find(request->name(), &generation)) {
      cache_hits_.Increment();
      *response = *std::move(cached);
      return absl::OkStatus();
    }
    cache_misses_.Increment();
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, CatalogStore::GetProject(c, key.year, key.id, false));
      return absl::OkStatus();
    }));
    project_cache_.Insert(request->name(), *response, generation);
    return absl::OkStatus();
  });
}

grpc::Status CatalogService::ListProjects(grpc::ServerContext* context,
                                          const v1::ListProjectsRequest* request,
                                          v1::ListProjectsResponse* response) {
  return Handle(context, "ListProjects", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(int year, ParseYearName(request->parent(), "parent"));
    PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    PEIXUN_ASSIGN_OR_RETURN(auto terms,
                            ParseFilter(request->filter(), {"category", "host", "plan_level"}));
    ProjectFilter filter;
    PEIXUN_ASSIGN_OR_RETURN(
        filter.plan_level,
        ParseEnumFilter<common::v1::PlanLevel>(terms, "plan_level", common::v1::PlanLevel_Parse));
    if (auto h = TermOr(terms, "host"); !h.empty()) {
      PEIXUN_ASSIGN_OR_RETURN(filter.host_id, ParseHostName(h, "filter host"));
    }
    if (auto k = TermOr(terms, "category"); !k.empty()) {
      PEIXUN_ASSIGN_OR_RETURN(
          auto parts, ParseName(k, "years/{year}/categories/{category}", "filter category"));
      filter.category_id = parts["category"];
    }
    const std::string query = absl::StrCat(request->parent(), "|", request->filter());
    PEIXUN_ASSIGN_OR_RETURN(std::string after, DecodePageToken(request->page_token(), query));
    std::vector<v1::Project> items;
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) {
      items = CatalogStore::ListProjects(c, year, filter, after, page_size + 1);
      return absl::OkStatus();
    }));
    FinishPage(
        items, page_size, query, [](const v1::Project& x) { return LastSegment(x.name()); },
        response->mutable_next_page_token());
    for (auto& x : items) *response->add_projects() = std::move(x);
    return absl::OkStatus();
  });
}

grpc::Status CatalogService::UpdateProject(grpc::ServerContext* context,
                                           const v1::UpdateProjectRequest* request,
                                           v1::Project* response) {
  return Handle(
      context, "UpdateProject", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(ProjectKey key,
                                ParseProjectName(request->project().name(), "project.name"));
        const auto& mask = request->update_mask();
        PEIXUN_RETURN_IF_ERROR(
            CheckMask(mask, {"display_name", "host", "audience", "format", "credit_hours",
                             "start_date", "end_date", "class_size", "seats"}));
        const v1::Project& given = request->project();
        return Mutate(
            caller, "UpdateProject", *request, request->request_id(), response, "project",
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(v1::PlanYear plan_year,
                                      CatalogStore::GetYear(c, key.year, false));
              PEIXUN_ASSIGN_OR_RETURN(v1::Project project,
                                      CatalogStore::GetProject(c, key.year, key.id, true));
              PEIXUN_RETURN_IF_ERROR(CheckEtag(given.etag(), project.etag(), project.name()));
              if (Masked(mask, "display_name")) project.set_display_name(given.display_name());
              if (Masked(mask, "host")) project.set_host(given.host());
              if (Masked(mask, "audience")) *project.mutable_audience() = given.audience();
              if (Masked(mask, "format")) *project.mutable_format() = given.format();
              if (Masked(mask, "credit_hours")) project.set_credit_hours(given.credit_hours());
              if (Masked(mask, "start_date")) *project.mutable_start_date() = given.start_date();
              if (Masked(mask, "end_date")) *project.mutable_end_date() = given.end_date();
              if (Masked(mask, "class_size")) project.set_class_size(given.class_size());
              if (Masked(mask, "seats")) project.set_seats(given.seats());
              PEIXUN_RETURN_IF_ERROR(domain::ValidateProject(project, plan_year));
              PEIXUN_RETURN_IF_ERROR(domain::CheckSeatsCoverAllocation(
                  absl::StrCat("project ", key.id), project.seats(), project.allocated_seats()));
              PEIXUN_RETURN_IF_ERROR(ResolveProjectReferences(c, key.year, project));
              CatalogStore::UpdateProject(c, key.year, key.id, project);
              PEIXUN_ASSIGN_OR_RETURN(*response,
                                      CatalogStore::GetProject(c, key.year, key.id, false));
              events::AppendEvent(c, "catalog.project.updated", response->name(), *response);
              return absl::OkStatus();
            });
      });
}

// ---- Quotas (R-3) -------------------------------------------------------------------------

grpc::Status CatalogService::AllocateQuota(grpc::ServerContext* context,
                                           const v1::AllocateQuotaRequest* request,
                                           v1::QuotaAllocation* response) {
  return Handle(
      context, "AllocateQuota", *request, [&](const auth::Access& access) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(std::string region_code,
                                ParseRegionName(request->region(), "region"));
        if (request->seats() < 0) return FieldError("seats", "must not be negative");
        // The parent is a project (allocate to a city) or a city quota (allocate to a county).
        const bool to_city = !absl::StrContains(request->parent(), "/quotas/");
        ProjectKey project_key;
        QuotaKey city_key;
        if (to_city) {
          PEIXUN_ASSIGN_OR_RETURN(project_key, ParseProjectName(request->parent(), "parent"));
          // A project's seats are the province's to give (R-3).
          auth::Resource project;
          project.name = request->parent();
          PEIXUN_RETURN_IF_ERROR(access.Check(project));
        } else {
          PEIXUN_ASSIGN_OR_RETURN(city_key, ParseQuotaName(request->parent(), "parent"));
          project_key = {city_key.year, city_key.project_id};
          // A city splits its own city quota.
          auth::Resource city_quota;
          city_quota.name = request->parent();
          city_quota.city = city_key.region_code;
          PEIXUN_RETURN_IF_ERROR(access.Check(city_quota));
        }
        QuotaKey key{project_key.year, project_key.id, region_code};
        // The parent this request allocates from; another parent's quota is refused below.
        const std::string parent_name =
            to_city ? absl::StrCat("years/", key.year, "/projects/", key.project_id)
                    : request->parent();
        // Facts other services own, asked outside the transaction only when it finds it needs
        // them (the change stops, the question is asked, the change runs again): R-7, a county
        // quota is never cut below the seats its nominations hold (enrollment); R-27, a county
        // gets seats of a 项目县 category only as an active project county (funding).
        std::optional<int> held;
        std::optional<absl::Status> project_county;
        bool needs_held = false;
        bool needs_project_county = false;
        auto change = [&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(v1::Region region, RequireRegion(c, region_code, "region"));
          domain::QuotaParent parent;
          // R-1a, R-1b: a directly administered county-level unit takes its seats straight
          // from the project; its quota is a county quota with no city quota above it.
          const bool straight = to_city && domain::TakesQuotaFromProvince(region);
          if (to_city) {
            if (region.level() != v1::CITY && !straight) {
              return FieldError("region",
                                absl::StrCat(region.name(), " (", region.display_name(),
                                             ") is not a city; a project's seats go to cities "
                                             "and directly administered counties, a city's to "
                                             "its counties (R-3, R-1b)"));
            }
            PEIXUN_ASSIGN_OR_RETURN(v1::Project project,
                                    CatalogStore::GetProject(c, key.year, key.project_id, true));
            parent = {absl::StrCat("project ", key.project_id), project.seats(),
                      project.allocated_seats()};
          } else {
            auto city = CatalogStore::FindQuota(c, city_key, true);
            if (!city)
              return absl::NotFoundError(absl::StrCat(request->parent(), " does not exist"));
            if (region.level() != v1::COUNTY ||
                region.parent() != "regions/" + city_key.region_code) {
              return FieldError("region", absl::StrCat(region.name(), " (", region.display_name(),
                                                       ") is not a county of city ",
                                                       city_key.region_code, " (R-1)"));
            }
            parent = {absl::StrCat("city ", city_key.region_code, " quota"), city->seats(),
                      city->allocated_seats()};
          }
          auto existing = CatalogStore::FindQuota(c, key, true);
          // R-1b: a county's seats in a project come from one parent, its city or the
          // province.
          if (existing && existing->parent() != parent_name) {
            return RuleError("R-1b",
                             absl::StrCat(region.name(), " (", region.display_name(), ") holds ",
                                          existing->seats(), " seats of this project from ",
                                          existing->parent(), "; its seats come from one parent"));
          }
          const int old_seats = existing ? existing->seats() : 0;
          if (existing && existing->level() == v1::COUNTY && request->seats() < old_seats) {
            if (!held) {
              needs_held = true;
              return absl::AbortedError("the seats nominations hold are not known yet");
            }
            if (request->seats() < *held) {
              return RuleError("R-7", absl::StrCat(region.name(), " (", region.display_name(),
                                                   ") holds ", *held, " nominations in ",
                                                   key.project_id, "; its quota cannot drop from ",
                                                   old_seats, " to ", request->seats(), " seats"));
            }
          }
          const bool county_level = straight || !to_city;
          if (county_level && request->seats() > old_seats) {
            PEIXUN_ASSIGN_OR_RETURN(v1::Project project,
                                    CatalogStore::GetProject(c, key.year, key.project_id, false));
            PEIXUN_ASSIGN_OR_RETURN(
                v1::ProjectCategory category,
                CatalogStore::GetCategory(c, key.year, LastSegment(project.category())));
            if (category.project_county()) {
              if (!project_county) {
                needs_project_county = true;
                return absl::AbortedError("the county's project-county status is not known yet");
              }
              PEIXUN_RETURN_IF_ERROR(*project_county);
            }
          }
          const int child_allocated = existing ? existing->allocated_seats() : 0;
          if (!request->etag().empty()) {
            PEIXUN_RETURN_IF_ERROR(CheckEtag(request->etag(),
                                             existing ? existing->etag() : "(none)",
                                             absl::StrCat("quota of ", region_code)));
          }
          PEIXUN_RETURN_IF_ERROR(
              domain::CheckAllocation(parent, old_seats, request->seats(), child_allocated));
          const int parent_allocated = parent.allocated - old_seats + request->seats();
          CatalogStore::UpsertQuota(c, key, to_city && !straight ? v1::CITY : v1::COUNTY,
                                    to_city ? "" : city_key.region_code, request->seats());
          if (to_city) {
            CatalogStore::SetProjectAllocated(c, key.year, key.project_id, parent_allocated);
          } else {
            CatalogStore::SetQuotaAllocated(c, city_key, parent_allocated);
            auto city = CatalogStore::FindQuota(c, city_key, false);
            events::AppendEvent(c, "catalog.quota.allocated", city->name(), *city);
          }
          *response = *CatalogStore::FindQuota(c, key, false);
          events::AppendEvent(c, "catalog.quota.allocated", response->name(), *response);
          return absl::OkStatus();
        };
        auto allocate = [&] {
          return Mutate(access, "AllocateQuota", *request, request->request_id(), response, "quota",
                        change);
        };
        absl::Status status = allocate();
        for (int asked = 0; asked < 2 && (needs_held || needs_project_county); ++asked) {
          if (needs_held) {
            const NominatedSeats* seats = nominated_seats_.load();
            if (seats == nullptr) {
              return absl::UnavailableError(
                  "this catalog server has no enrollment target; a county quota cannot be cut "
                  "without knowing the seats its nominations hold (R-7)");
            }
            PEIXUN_ASSIGN_OR_RETURN(held, seats->Held(key.year, key.project_id, region_code));
          }
          if (needs_project_county) {
            const ProjectCounties* counties = project_counties_.load();
            if (counties == nullptr) {
              return absl::UnavailableError(
                  "this catalog server has no funding target; seats of a 项目县 category cannot "
                  "be given without knowing whether the county is a project county (R-27)");
            }
            absl::Status active = counties->CheckActive(key.year, region_code);
            if (active.code() == absl::StatusCode::kUnavailable) return active;
            project_county = std::move(active);
          }
          needs_held = needs_project_county = false;
          status = allocate();
        }
        if (needs_held || needs_project_county) {
          return absl::AbortedError(absl::StrCat("the quota of ", region_code,
                                                 " changed while it was being given; retry"));
        }
        return status;
      });
}

grpc::Status CatalogService::GetQuota(grpc::ServerContext* context,
                                      const v1::GetQuotaRequest* request,
                                      v1::QuotaAllocation* response) {
  return Handle(context, "GetQuota", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(QuotaKey key, ParseQuotaName(request->name(), "name"));
    return Read([&](db::Connection& c) -> absl::Status {
      auto quota = CatalogStore::FindQuota(c, key, false);
      if (!quota) return absl::NotFoundError(absl::StrCat(request->name(), " does not exist"));
      *response = *quota;
      return absl::OkStatus();
    });
  });
}

grpc::Status CatalogService::ListQuotas(grpc::ServerContext* context,
                                        const v1::ListQuotasRequest* request,
                                        v1::ListQuotasResponse* response) {
  return Handle(context, "ListQuotas", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(
        auto parts, ParseName(request->parent(), "years/{year}/projects/{project}", "parent"));
    PEIXUN_ASSIGN_OR_RETURN(int year, ParseYear(parts["year"], "parent"));
    const std::string project_id = parts["project"];
    if (project_id != "-") PEIXUN_RETURN_IF_ERROR(ValidateId(project_id, "parent"));
    PEIXUN_ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request->page_size()));
    PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"level", "parent_region"}));
    QuotaFilter filter;
    PEIXUN_ASSIGN_OR_RETURN(
        filter.level, ParseEnumFilter<v1::RegionLevel>(terms, "level", v1::RegionLevel_Parse));
    if (auto p = TermOr(terms, "parent_region"); !p.empty()) {
      PEIXUN_ASSIGN_OR_RETURN(filter.parent_region_code,
                              ParseRegionName(p, "filter parent_region"));
    }
    const std::string query = absl::StrCat(request->parent(), "|", request->filter());
    PEIXUN_ASSIGN_OR_RETURN(std::string after, DecodePageToken(request->page_token(), query));
    std::vector<v1::QuotaAllocation> items;
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) {
      items = CatalogStore::ListQuotas(c, year, project_id, filter, after, page_size + 1);
      return absl::OkStatus();
    }));
    FinishPage(
        items, page_size, query,
        [](const v1::QuotaAllocation& q) {
          // "years/Y/projects/P/quotas/R" -> "P/R"
          auto parts = ParseName(q.name(), "years/{y}/projects/{p}/quotas/{r}", "name");
          return parts.ok() ? absl::StrCat((*parts)["p"], "/", (*parts)["r"]) : q.name();
        },
        response->mutable_next_page_token());
    for (auto& x : items) *response->add_quotas() = std::move(x);
    return absl::OkStatus();
  });
}

// ---- Cost policy and budgets (R-4) --------------------------------------------------------

grpc::Status CatalogService::CreateCostPolicy(grpc::ServerContext* context,
                                              const v1::CreateCostPolicyRequest* request,
                                              v1::CostPolicy* response) {
  return Handle(
      context, "CreateCostPolicy", *request, [&](const auth::Caller& caller) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(int year, ParseYearName(request->parent(), "parent"));
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
    PEIXUN_ASSIGN_OR_RETURN(ProjectKey key, ParseProjectName(request->project(), "project"));
    v1::Project project;
    v1::CostPolicy policy;
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(project, CatalogStore::GetProject(c, key.year, key.id, false));
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
