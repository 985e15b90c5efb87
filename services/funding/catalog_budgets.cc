#include "services/funding/catalog_budgets.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/server/dependency.h"
#include "common/util/names.h"

namespace peixun::funding {

namespace cat = ::peixun::catalog::v1;

CatalogBudgets::CatalogBudgets(const std::string& target, auth::TokenSigner signer,
                               const Clock& clock,
                               std::shared_ptr<grpc::ChannelCredentials> credentials)
    : catalog_("funding", "catalog", target, std::move(signer), clock, std::move(credentials)) {}

absl::Status CatalogBudgets::AddBudgets(int year, domain::YearFigures* figures) const {
  auto context = [&] { return catalog_.Context(); };
  auto failed = [&](const grpc::Status& status, const std::string& what) {
    return catalog_.Failed(status, "did not answer " + what);
  };
  std::string token;
  do {
    cat::ListRegionsRequest request;
    request.set_page_size(1000);
    request.set_page_token(token);
    cat::ListRegionsResponse page;
    grpc::Status status = catalog_.stub().ListRegions(context().get(), request, &page);
    if (!status.ok()) return failed(status, "ListRegions");
    for (const auto& r : page.regions()) {
      domain::RegionInfo info;
      info.display_name = r.display_name();
      info.parent_code = r.parent().empty() ? "" : std::string(LastSegment(r.parent()));
      info.level = r.level() == cat::PROVINCE ? domain::RegionInfo::Level::kProvince
                   : r.level() == cat::CITY   ? domain::RegionInfo::Level::kCity
                                              : domain::RegionInfo::Level::kCounty;
      figures->regions[r.code()] = std::move(info);
    }
    token = page.next_page_token();
  } while (!token.empty());

  // Every project's budget per seat: its total under the year's cost policy over its seats
  // (R-4 prices each seat alike, so the division is exact).
  std::map<std::string, int64_t> fen_per_seat;
  token.clear();
  do {
    cat::ListProjectsRequest request;
    request.set_parent(absl::StrCat("years/", year));
    request.set_page_size(1000);
    request.set_page_token(token);
    cat::ListProjectsResponse page;
    grpc::Status status = catalog_.stub().ListProjects(context().get(), request, &page);
    if (!status.ok()) return failed(status, absl::StrCat("ListProjects of ", year));
    for (const auto& project : page.projects()) {
      cat::GetProjectBudgetRequest ask;
      ask.set_project(project.name());
      cat::ProjectBudget budget;
      status = catalog_.stub().GetProjectBudget(context().get(), ask, &budget);
      if (!status.ok()) return failed(status, absl::StrCat("GetProjectBudget of ", project.name()));
      figures->project_budget_total_fen += budget.total_fen();
      fen_per_seat[project.name()] = budget.seats() > 0 ? budget.total_fen() / budget.seats() : 0;
    }
    token = page.next_page_token();
  } while (!token.empty());

  token.clear();
  do {
    cat::ListQuotasRequest request;
    request.set_parent(absl::StrCat("years/", year, "/projects/-"));
    request.set_page_size(1000);
    request.set_page_token(token);
    cat::ListQuotasResponse page;
    grpc::Status status = catalog_.stub().ListQuotas(context().get(), request, &page);
    if (!status.ok()) return failed(status, absl::StrCat("ListQuotas of ", year));
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
    token = page.next_page_token();
  } while (!token.empty());
  return absl::OkStatus();
}

}  // namespace peixun::funding
