// Catalog's SQL. Every function runs inside the caller's transaction on `connection`;
// "not found" is NOT_FOUND naming the resource, and nothing here decides a rule.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/pool.h"
#include "common/util/names.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "services/catalog/domain/catalog_rules.h"
#include "services/catalog/domain/quota_allocation.h"

namespace peixun::catalog {

struct RegionImportCounts {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
};

// Optional equality filters; empty strings mean "any".
struct ProjectFilter {
  std::string category_id;
  std::string host_id;
  int plan_level = 0;
  std::string owner_code;  // the city or county running 市培/县培 projects
};
struct QuotaFilter {
  int level = 0;
  std::string parent_region_code;
};

class CatalogStore {
 public:
  // Regions
  static absl::StatusOr<RegionImportCounts> UpsertRegions(
      db::Connection& connection, const std::vector<domain::RegionRow>& rows);
  static absl::StatusOr<v1::Region> GetRegion(db::Connection& connection, const std::string& code);
  // A region a request names in `field`: an unknown one is bad input naming the field.
  static absl::StatusOr<v1::Region> RequireRegion(db::Connection& connection,
                                                  const std::string& code, absl::string_view field);
  static std::vector<v1::Region> ListRegions(db::Connection& connection, int level,
                                             const std::string& parent_code,
                                             const std::string& after_code, int limit);

  // Plan years
  static absl::Status InsertYear(db::Connection& connection, const v1::PlanYear& year);
  static absl::StatusOr<v1::PlanYear> GetYear(db::Connection& connection, int year,
                                              bool for_update);
  static void UpdateYear(db::Connection& connection, const v1::PlanYear& year);

  // Categories
  static absl::Status InsertCategory(db::Connection& connection, int year,
                                     const std::string& category_id,
                                     const v1::ProjectCategory& category);
  static absl::StatusOr<v1::ProjectCategory> GetCategory(db::Connection& connection, int year,
                                                         const std::string& category_id);
  static std::vector<v1::ProjectCategory> ListCategories(db::Connection& connection, int year,
                                                         int plan_level,
                                                         const std::string& after_id, int limit);

  // Hosts
  static absl::Status InsertHost(db::Connection& connection, const std::string& host_id,
                                 const v1::HostInstitution& host);
  static absl::StatusOr<v1::HostInstitution> GetHost(db::Connection& connection,
                                                     const std::string& host_id);
  static std::vector<v1::HostInstitution> ListHosts(db::Connection& connection,
                                                    const std::string& region_code,
                                                    const std::string& after_id, int limit);

  // Projects
  static absl::Status InsertProject(db::Connection& connection, int year,
                                    const std::string& project_id, const v1::Project& project);
  static absl::StatusOr<v1::Project> GetProject(db::Connection& connection, int year,
                                                const std::string& project_id, bool for_update);
  static std::vector<v1::Project> ListProjects(db::Connection& connection, int year,
                                               const ProjectFilter& filter,
                                               const std::string& after_id, int limit);
  // Writes every mutable field and bumps the version.
  static void UpdateProject(db::Connection& connection, int year, const std::string& project_id,
                            const v1::Project& project);
  static void SetProjectAllocated(db::Connection& connection, int year,
                                  const std::string& project_id, int allocated);

  // Quotas
  // What deciding to give `key`'s region `seats` rests on (R-3, R-1b, R-27), from its project
  // or, when `from_city` is set, from that city's quota; the rows the change writes are locked.
  static absl::StatusOr<domain::AllocationFacts> ReadAllocationFacts(db::Connection& connection,
                                                                     const QuotaName& key,
                                                                     const std::string& from_city,
                                                                     int32_t seats);
  static std::optional<v1::QuotaAllocation> FindQuota(db::Connection& connection,
                                                      const QuotaName& key, bool for_update);
  static void UpsertQuota(db::Connection& connection, const QuotaName& key, int level,
                          const std::string& parent_region_code, int seats);
  static void SetQuotaAllocated(db::Connection& connection, const QuotaName& key, int allocated);
  // year/project_id "-" lists every project's quotas of the year; keys are "project/region".
  static std::vector<v1::QuotaAllocation> ListQuotas(db::Connection& connection, int year,
                                                     const std::string& project_id,
                                                     const QuotaFilter& filter,
                                                     const std::string& after_key, int limit);

  // Cost policy
  static v1::CostPolicy InsertCostPolicy(db::Connection& connection, int year,
                                         const v1::CostPolicy& policy);
  // version 0: the newest.
  static absl::StatusOr<v1::CostPolicy> GetCostPolicy(db::Connection& connection, int year,
                                                      int version);
};

}  // namespace peixun::catalog
