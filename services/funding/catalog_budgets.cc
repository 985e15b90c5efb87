#include "services/funding/catalog_budgets.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/server/dependency.h"
#include "common/util/names.h"
#include "common/util/status.h"

namespace peixun::funding {

namespace cat = ::peixun::catalog::v1;

CatalogBudgets::CatalogBudgets(const std::string& target, auth::TokenSigner signer,
                               const Clock& clock,
                               std::shared_ptr<grpc::ChannelCredentials> credentials)
    : catalog_("funding", "catalog", target, std::move(signer), clock, std::move(credentials)) {}

absl::Status CatalogBudgets::AddBudgets(int year, domain::YearFigures* figures) const {
  PEIXUN_RETURN_IF_ERROR(catalog_.ListAll(
      &cat::CatalogService::Stub::ListRegions, cat::ListRegionsRequest(),
      "did not answer ListRegions", [&](const cat::ListRegionsResponse& page) {
        for (const auto& r : page.regions()) {
          domain::RegionInfo info;
          info.display_name = r.display_name();
          info.parent_code = r.parent().empty() ? "" : std::string(LastSegment(r.parent()));
          info.level = r.level() == cat::PROVINCE ? domain::RegionInfo::Level::kProvince
                       : r.level() == cat::CITY   ? domain::RegionInfo::Level::kCity
                                                  : domain::RegionInfo::Level::kCounty;
          figures->regions[r.code()] = std::move(info);
        }
        return absl::OkStatus();
      }));

  // Every project's budget per seat: its total under the year's cost policy over its seats
  // (R-4 prices each seat alike, so the division is exact).
  std::map<std::string, int64_t> fen_per_seat;
  cat::ListProjectsRequest projects;
  projects.set_parent(absl::StrCat("years/", year));
  PEIXUN_RETURN_IF_ERROR(catalog_.ListAll(
      &cat::CatalogService::Stub::ListProjects, projects,
      absl::StrCat("did not answer ListProjects of ", year),
      [&](const cat::ListProjectsResponse& page) -> absl::Status {
        for (const auto& project : page.projects()) {
          cat::GetProjectBudgetRequest ask;
          ask.set_project(project.name());
          cat::ProjectBudget budget;
          grpc::Status status =
              catalog_.stub().GetProjectBudget(catalog_.Context().get(), ask, &budget);
          if (!status.ok())
            return catalog_.Failed(status, "did not answer GetProjectBudget of " + project.name());
          figures->project_budget_total_fen += budget.total_fen();
          fen_per_seat[project.name()] =
              budget.seats() > 0 ? budget.total_fen() / budget.seats() : 0;
        }
        return absl::OkStatus();
      }));

  cat::ListQuotasRequest quotas;
  quotas.set_parent(absl::StrCat("years/", year, "/projects/-"));
  return catalog_.ListAll(
      &cat::CatalogService::Stub::ListQuotas, quotas,
      absl::StrCat("did not answer ListQuotas of ", year),
      [&](const cat::ListQuotasResponse& page) {
        for (const auto& quota : page.quotas()) {
          // "years/{y}/projects/{p}/quotas/{code}": the project is the first four segments.
          std::vector<absl::string_view> parts = absl::StrSplit(quota.name(), '/');
          if (parts.size() < 4) continue;
          const std::string project =
              absl::StrCat(parts[0], "/", parts[1], "/", parts[2], "/", parts[3]);
          const int64_t fen = quota.seats() * fen_per_seat[project];
          figures->allocated_budget_fen[std::string(LastSegment(quota.region()))] += fen;
          if (quota.level() == cat::COUNTY && quota.parent() == project)  // R-1a, R-1b
            figures->direct_budget_fen[std::string(LastSegment(quota.region()))] += fen;
        }
        return absl::OkStatus();
      });
}

}  // namespace peixun::funding
