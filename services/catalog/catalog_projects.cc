// Catalog's handlers of projects and their quotas (R-2, R-3, R-5); the rest of the service is
// in catalog_service.cc.
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/auth/access.h"
#include "common/events/outbox.h"
#include "common/util/filter.h"
#include "common/util/ids.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/status.h"
#include "common/util/updates.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/catalog_store.h"
#include "services/catalog/domain/catalog_rules.h"
#include "services/catalog/domain/project_owners.h"
#include "services/catalog/domain/quota_allocation.h"

namespace peixun::catalog {

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
  PEIXUN_ASSIGN_OR_RETURN(const HostName host_name,
                          HostName::Parse(project.host(), "project.host"));
  auto host = CatalogStore::GetHost(c, host_name.host);
  if (absl::IsNotFound(host.status())) {
    return FieldError("project.host", absl::StrCat(project.host(), " is not a registered host"));
  }
  PEIXUN_RETURN_IF_ERROR(host.status());
  for (const auto& region : project.audience().regions()) {
    PEIXUN_ASSIGN_OR_RETURN(const RegionName name,
                            RegionName::Parse(region, "project.audience.regions"));
    PEIXUN_RETURN_IF_ERROR(
        CatalogStore::RequireRegion(c, name.code, "project.audience.regions").status());
  }
  return absl::OkStatus();
}

// R-32: the resource an owned project is, for the access check: its owner's region only, so a
// city admin acts on its city's 市培 projects and a county admin on its county's 县培 ones. A
// project the province runs names no region (province admins only).
auth::Resource OwnedProjectResource(const std::string& name, const v1::Region* owner) {
  auth::Resource resource;
  resource.name = name;
  if (owner == nullptr) return resource;
  const bool county_level = owner->level() == v1::COUNTY || owner->directly_administered();
  if (owner->level() == v1::CITY) resource.city = owner->code();
  if (county_level) resource.county = owner->code();
  return resource;
}

// The owner a project names, read from the region data (nullopt when it names none).
absl::StatusOr<std::optional<v1::Region>> ReadOwner(db::Connection& c, const v1::Project& project,
                                                    absl::string_view field) {
  if (project.owner().empty()) return std::optional<v1::Region>();
  PEIXUN_ASSIGN_OR_RETURN(const RegionName name, RegionName::Parse(project.owner(), field));
  PEIXUN_ASSIGN_OR_RETURN(v1::Region region, CatalogStore::RequireRegion(c, name.code, field));
  return std::optional<v1::Region>(std::move(region));
}

// R-32: the regions an owned project is meant for are inside its owner's region.
absl::Status CheckAudienceInsideOwner(db::Connection& c, const v1::Project& project,
                                      const std::optional<v1::Region>& owner) {
  if (!owner) return absl::OkStatus();
  for (const auto& region : project.audience().regions()) {
    PEIXUN_ASSIGN_OR_RETURN(const RegionName name,
                            RegionName::Parse(region, "project.audience.regions"));
    PEIXUN_ASSIGN_OR_RETURN(const v1::Region audience,
                            CatalogStore::RequireRegion(c, name.code, "project.audience.regions"));
    if (!domain::CheckInsideOwner(*owner, audience, "").ok()) {
      return FieldError(
          "project.audience.regions",
          absl::StrCat(region, " is outside ", owner->name(), ", which runs this project (R-32)"));
    }
  }
  return absl::OkStatus();
}

// Persists an allocation decided by domain::DecideAllocation (R-3): the region's quota, what its
// parent has passed on, and the events enrollment's copy follows.
void PersistAllocation(db::Connection& c, const QuotaName& key, const std::string& from_city,
                       const domain::Allocation& allocation, int32_t seats) {
  CatalogStore::UpsertQuota(c, key, allocation.level, from_city, seats);
  if (from_city.empty()) {
    CatalogStore::SetProjectAllocated(c, key.year, key.project, allocation.parent_allocated);
  } else {
    const QuotaName city{key.year, key.project, from_city};
    CatalogStore::SetQuotaAllocated(c, city, allocation.parent_allocated);
    const v1::QuotaAllocation city_quota = *CatalogStore::FindQuota(c, city, false);
    events::AppendEvent(c, "catalog.quota.allocated", city_quota.name(), city_quota);
  }
  const v1::QuotaAllocation quota = *CatalogStore::FindQuota(c, key, false);
  events::AppendEvent(c, "catalog.quota.allocated", quota.name(), quota);
}

// R-32: one step giving a new owned project's seats to its owner. The quotas are new and the
// category is no 项目县 one (domain::CheckOwner), so no other service's fact is asked.
absl::Status GiveOwnerSeats(db::Connection& c, const QuotaName& key, const std::string& from_city,
                            int32_t seats) {
  PEIXUN_ASSIGN_OR_RETURN(domain::AllocationFacts facts,
                          CatalogStore::ReadAllocationFacts(c, key, from_city, seats));
  PEIXUN_ASSIGN_OR_RETURN(const domain::Allocation allocation, domain::DecideAllocation(facts));
  if (allocation.ask != domain::AllocationQuestion::kNone) {
    return absl::InternalError(absl::StrCat("giving ", key.Format(), " its seats asked a fact"));
  }
  PersistAllocation(c, key, from_city, allocation, seats);
  return absl::OkStatus();
}

}  // namespace

grpc::Status CatalogService::CreateProject(grpc::ServerContext* context,
                                           const v1::CreateProjectRequest* request,
                                           v1::Project* response) {
  return Handle(
      context, "CreateProject", *request, [&](const auth::Access& access) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const YearName parent,
                                YearName::Parse(request->parent(), "parent"));
        const int year = parent.year;
        // A generated id comes from the first attempt only, so a retried request_id keeps it.
        std::string project_id =
            request->project_id().empty() ? NewId("p", 6) : request->project_id();
        PEIXUN_RETURN_IF_ERROR(ValidateId(project_id, "project_id"));
        // R-32: a city or county creates the projects it runs itself; the province every one.
        std::optional<v1::Region> owner;
        PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(owner, ReadOwner(c, request->project(), "project.owner"));
          return absl::OkStatus();
        }));
        PEIXUN_RETURN_IF_ERROR(access.Check(OwnedProjectResource(
            absl::StrCat(request->parent(), "/projects/", project_id), owner ? &*owner : nullptr)));
        return Mutate(
            access, "CreateProject", *request, request->request_id(), response, "project",
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(v1::PlanYear plan_year,
                                      CatalogStore::GetYear(c, year, false));
              v1::Project project = request->project();
              PEIXUN_RETURN_IF_ERROR(domain::ValidateProject(project, plan_year));
              PEIXUN_RETURN_IF_ERROR(ResolveProjectReferences(c, year, project));
              PEIXUN_ASSIGN_OR_RETURN(
                  v1::ProjectCategory category,
                  CatalogStore::GetCategory(c, year, LastSegment(project.category())));
              PEIXUN_RETURN_IF_ERROR(domain::CheckOwner(
                  project.plan_level(), owner ? &*owner : nullptr, category.project_county()));
              PEIXUN_RETURN_IF_ERROR(CheckAudienceInsideOwner(c, project, owner));
              if (owner) project.set_owner(owner->name());
              PEIXUN_RETURN_IF_ERROR(CatalogStore::InsertProject(c, year, project_id, project));
              // R-32: the owner's seats are its own at once, with no province step.
              if (owner) {
                for (const auto& step : domain::OwnerSteps(*owner)) {
                  PEIXUN_RETURN_IF_ERROR(GiveOwnerSeats(c, {year, project_id, step.region},
                                                        step.from_city, project.seats()));
                }
              }
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
    PEIXUN_ASSIGN_OR_RETURN(const ProjectName key, ProjectName::Parse(request->name(), "name"));
    uint64_t generation = 0;
    if (auto cached = project_cache_.Find(request->name(), &generation)) {
      cache_hits_.Increment();
      *response = *std::move(cached);
      return absl::OkStatus();
    }
    cache_misses_.Increment();
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) -> absl::Status {
      PEIXUN_ASSIGN_OR_RETURN(*response, CatalogStore::GetProject(c, key.year, key.project, false));
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
    PEIXUN_ASSIGN_OR_RETURN(const YearName parent, YearName::Parse(request->parent(), "parent"));
    const int year = parent.year;
    PEIXUN_ASSIGN_OR_RETURN(
        auto terms, ParseFilter(request->filter(), {"category", "host", "plan_level", "owner"}));
    ProjectFilter filter;
    PEIXUN_ASSIGN_OR_RETURN(filter.plan_level,
                            EnumTerm<common::v1::PlanLevel>(terms, "plan_level"));
    if (const std::string* h = FilterValue(terms, "host")) {
      PEIXUN_ASSIGN_OR_RETURN(const HostName host, HostName::Parse(*h, "filter host"));
      filter.host_id = host.host;
    }
    if (const std::string* o = FilterValue(terms, "owner")) {
      PEIXUN_ASSIGN_OR_RETURN(const RegionName owner, RegionName::Parse(*o, "filter owner"));
      filter.owner_code = owner.code;
    }
    if (const std::string* k = FilterValue(terms, "category")) {
      PEIXUN_ASSIGN_OR_RETURN(filter.category_id, ParseId(*k, "years/{year}/categories/{category}",
                                                          "category", "filter category"));
    }
    PEIXUN_ASSIGN_OR_RETURN(const Page page,
                            Page::Of(request->page_size(), request->page_token(),
                                     absl::StrCat(request->parent(), "|", request->filter())));
    std::vector<v1::Project> items;
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) {
      items = CatalogStore::ListProjects(c, year, filter, page.after, page.limit());
      return absl::OkStatus();
    }));
    response->set_next_page_token(page.Keep(items, LastSegmentOf<v1::Project>));
    for (auto& x : items) *response->add_projects() = std::move(x);
    return absl::OkStatus();
  });
}

grpc::Status CatalogService::UpdateProject(grpc::ServerContext* context,
                                           const v1::UpdateProjectRequest* request,
                                           v1::Project* response) {
  return Handle(
      context, "UpdateProject", *request, [&](const auth::Access& access) -> absl::Status {
        PEIXUN_ASSIGN_OR_RETURN(const ProjectName key,
                                ProjectName::Parse(request->project().name(), "project.name"));
        const auto& mask = request->update_mask();
        PEIXUN_RETURN_IF_ERROR(
            CheckUpdateMask(mask, {"display_name", "host", "audience", "format", "credit_hours",
                                   "start_date", "end_date", "class_size", "seats"}));
        const v1::Project& given = request->project();
        return Mutate(
            access, "UpdateProject", *request, request->request_id(), response, "project",
            [&](db::Connection& c) -> absl::Status {
              PEIXUN_ASSIGN_OR_RETURN(v1::PlanYear plan_year,
                                      CatalogStore::GetYear(c, key.year, false));
              PEIXUN_ASSIGN_OR_RETURN(v1::Project project,
                                      CatalogStore::GetProject(c, key.year, key.project, true));
              // R-32: an owned project is changed by its owner (or the province).
              PEIXUN_ASSIGN_OR_RETURN(const std::optional<v1::Region> owner,
                                      ReadOwner(c, project, "project.owner"));
              PEIXUN_RETURN_IF_ERROR(
                  access.Check(OwnedProjectResource(project.name(), owner ? &*owner : nullptr)));
              PEIXUN_RETURN_IF_ERROR(CheckEtag(given.etag(), project.etag(), project.name()));
              if (InMask(mask, "display_name")) project.set_display_name(given.display_name());
              if (InMask(mask, "host")) project.set_host(given.host());
              if (InMask(mask, "audience")) *project.mutable_audience() = given.audience();
              if (InMask(mask, "format")) *project.mutable_format() = given.format();
              if (InMask(mask, "credit_hours")) project.set_credit_hours(given.credit_hours());
              if (InMask(mask, "start_date")) *project.mutable_start_date() = given.start_date();
              if (InMask(mask, "end_date")) *project.mutable_end_date() = given.end_date();
              if (InMask(mask, "class_size")) project.set_class_size(given.class_size());
              if (InMask(mask, "seats")) project.set_seats(given.seats());
              PEIXUN_RETURN_IF_ERROR(domain::ValidateProject(project, plan_year));
              PEIXUN_RETURN_IF_ERROR(
                  domain::CheckSeatsCoverAllocation(absl::StrCat("project ", key.project),
                                                    project.seats(), project.allocated_seats()));
              PEIXUN_RETURN_IF_ERROR(ResolveProjectReferences(c, key.year, project));
              PEIXUN_RETURN_IF_ERROR(CheckAudienceInsideOwner(c, project, owner));
              CatalogStore::UpdateProject(c, key.year, key.project, project);
              PEIXUN_ASSIGN_OR_RETURN(*response,
                                      CatalogStore::GetProject(c, key.year, key.project, false));
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
        PEIXUN_ASSIGN_OR_RETURN(const RegionName region,
                                RegionName::Parse(request->region(), "region"));
        if (request->seats() < 0) return FieldError("seats", "must not be negative");
        // The parent is a project, whose seats are the province's to give (R-3), or a city's
        // quota, which that city splits among its counties.
        QuotaName key;
        std::string from_city;
        auth::Resource parent;
        parent.name = request->parent();
        if (absl::StrContains(request->parent(), "/quotas/")) {
          PEIXUN_ASSIGN_OR_RETURN(const QuotaName city,
                                  QuotaName::Parse(request->parent(), "parent"));
          key = {city.year, city.project, region.code};
          from_city = parent.city = city.region;
        } else {
          PEIXUN_ASSIGN_OR_RETURN(const ProjectName project,
                                  ProjectName::Parse(request->parent(), "parent"));
          key = {project.year, project.project, region.code};
        }
        // R-32: an owned project's seats are its owner's to allocate (or the province's).
        std::optional<v1::Region> owner;
        PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(const v1::Project project,
                                  CatalogStore::GetProject(c, key.year, key.project, false));
          PEIXUN_ASSIGN_OR_RETURN(owner, ReadOwner(c, project, "parent"));
          return absl::OkStatus();
        }));
        if (owner) parent = OwnedProjectResource(request->parent(), &*owner);
        PEIXUN_RETURN_IF_ERROR(access.Check(parent));
        // Facts other services own are asked outside the transaction, and only when the
        // decision asks for them: the change stops, the question is asked, the change runs again.
        std::optional<int32_t> held;
        std::optional<absl::Status> project_county;
        domain::AllocationQuestion ask = domain::AllocationQuestion::kNone;
        auto change = [&](db::Connection& c) -> absl::Status {
          PEIXUN_ASSIGN_OR_RETURN(
              domain::AllocationFacts facts,
              CatalogStore::ReadAllocationFacts(c, key, from_city, request->seats()));
          PEIXUN_RETURN_IF_ERROR(CheckEtag(request->etag(),
                                           facts.existing ? facts.existing->etag() : "(none)",
                                           absl::StrCat("quota of ", key.region)));
          if (owner) {
            PEIXUN_RETURN_IF_ERROR(domain::CheckInsideOwner(*owner, facts.region, from_city));
          }
          facts.held = held;
          facts.project_county = project_county;
          PEIXUN_ASSIGN_OR_RETURN(const domain::Allocation allocation,
                                  domain::DecideAllocation(facts));
          ask = allocation.ask;
          if (ask != domain::AllocationQuestion::kNone) {
            return absl::AbortedError("a fact another service owns is asked first");
          }
          PersistAllocation(c, key, from_city, allocation, request->seats());
          *response = *CatalogStore::FindQuota(c, key, false);
          return absl::OkStatus();
        };
        for (int asked = 0;; ++asked) {
          absl::Status status = Mutate(access, "AllocateQuota", *request, request->request_id(),
                                       response, "quota", change);
          if (ask == domain::AllocationQuestion::kNone) return status;
          if (asked == 2) {
            return absl::AbortedError(absl::StrCat("the quota of ", key.region,
                                                   " changed while it was being given; retry"));
          }
          PEIXUN_RETURN_IF_ERROR(AskOwner(ask, key, held, project_county));
          ask = domain::AllocationQuestion::kNone;
        }
      });
}

absl::Status CatalogService::AskOwner(domain::AllocationQuestion question, const QuotaName& key,
                                      std::optional<int32_t>& held,
                                      std::optional<absl::Status>& project_county) const {
  if (question == domain::AllocationQuestion::kHeldSeats) {
    const NominatedSeats* seats = nominated_seats_.load();
    if (seats == nullptr) {
      return absl::UnavailableError(
          "this catalog server has no enrollment target; a county quota cannot be cut without "
          "knowing the seats its nominations hold (R-7)");
    }
    PEIXUN_ASSIGN_OR_RETURN(held, seats->Held(key.year, key.project, key.region));
    return absl::OkStatus();
  }
  const ProjectCounties* counties = project_counties_.load();
  if (counties == nullptr) {
    return absl::UnavailableError(
        "this catalog server has no funding target; seats of a 项目县 category cannot be given "
        "without knowing whether the county is a project county (R-27)");
  }
  absl::Status active = counties->CheckActive(key.year, key.region);
  if (active.code() == absl::StatusCode::kUnavailable) return active;
  project_county = std::move(active);
  return absl::OkStatus();
}

grpc::Status CatalogService::GetQuota(grpc::ServerContext* context,
                                      const v1::GetQuotaRequest* request,
                                      v1::QuotaAllocation* response) {
  return Handle(context, "GetQuota", *request, [&](const auth::Caller&) -> absl::Status {
    PEIXUN_ASSIGN_OR_RETURN(const QuotaName key, QuotaName::Parse(request->name(), "name"));
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
    PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request->filter(), {"level", "parent_region"}));
    QuotaFilter filter;
    PEIXUN_ASSIGN_OR_RETURN(filter.level, EnumTerm<v1::RegionLevel>(terms, "level"));
    if (const std::string* p = FilterValue(terms, "parent_region")) {
      PEIXUN_ASSIGN_OR_RETURN(const RegionName name, RegionName::Parse(*p, "filter parent_region"));
      filter.parent_region_code = name.code;
    }
    PEIXUN_ASSIGN_OR_RETURN(const Page page,
                            Page::Of(request->page_size(), request->page_token(),
                                     absl::StrCat(request->parent(), "|", request->filter())));
    std::vector<v1::QuotaAllocation> items;
    PEIXUN_RETURN_IF_ERROR(Read([&](db::Connection& c) {
      items = CatalogStore::ListQuotas(c, year, project_id, filter, page.after, page.limit());
      return absl::OkStatus();
    }));
    response->set_next_page_token(page.Keep(items, [](const v1::QuotaAllocation& q) {
      // "years/Y/projects/P/quotas/R" -> "P/R"
      auto name = QuotaName::Parse(q.name(), "name");
      return name.ok() ? absl::StrCat(name->project, "/", name->region) : q.name();
    }));
    for (auto& x : items) *response->add_quotas() = std::move(x);
    return absl::OkStatus();
  });
}

}  // namespace peixun::catalog
