// Catalog's rules, pure: no SQL, no gRPC. Each cites its DOMAIN.md id.
// The contract's message types are used as plain data here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "peixun/catalog/v1/catalog.pb.h"

namespace peixun::catalog::domain {

namespace v1 = ::peixun::catalog::v1;
namespace common_v1 = ::peixun::common::v1;

// ---- Dates --------------------------------------------------------------------------------

// A valid calendar date, or INVALID_ARGUMENT naming `field`.
absl::StatusOr<absl::CivilDay> ToCivilDay(const common_v1::Date& date, absl::string_view field);
common_v1::Date FromCivilDay(absl::CivilDay day);
// "YYYY-MM-DD", the form the database stores.
std::string FormatDate(absl::CivilDay day);
absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view text);

// ---- Regions (R-1) ------------------------------------------------------------------------

struct RegionRow {
  int line = 0;  // 1-based line in the CSV, for error messages
  std::string code;
  std::string display_name;
  std::string parent_code;  // empty for the province
  v1::RegionLevel level = v1::REGION_LEVEL_UNSPECIFIED;
  // R-1a, R-1b: unset when the file has no directly_administered column.
  std::optional<bool> directly_administered;
};

// R-1a, R-1b: whether `region` takes quotas straight from a project: a directly administered
// county, or a directly administered city-level unit that is its own county-level unit.
bool TakesQuotaFromProvince(const v1::Region& region);

// Parses "code,name,parent_code,level" CSV. Every problem names its line; rows are returned
// parents before children. R-1: a county's parent is a city, a city's the province.
absl::StatusOr<std::vector<RegionRow>> ParseRegionCsv(absl::string_view csv);

// ---- Plan years and projects (R-2, R-5) ---------------------------------------------------

// Fills the R-5 defaults of a new year (projects end by Dec 31, notices 15 and 5 days ahead)
// and validates it.
absl::Status PrepareYear(v1::PlanYear& year);
absl::Status ValidateYear(const v1::PlanYear& year);

// Validates a project's own fields against its year's timeline; fills defaults
// (class size 50). References (category, host, regions) are checked by the store.
absl::Status ValidateProject(v1::Project& project, const v1::PlanYear& year);

// ---- Quotas (R-3) -------------------------------------------------------------------------

// The node seats are split from: a project, or a city's quota.
struct QuotaParent {
  std::string label;  // for messages, e.g. "project rural-backbone" or "city 4101"
  int32_t seats = 0;
  int32_t allocated = 0;  // sum of its children's seats now
};

// setting a child from `old_seats` to `new_seats` keeps the children's sum within the
// parent, and keeps the child at least at what it has passed on (`child_allocated`).
absl::Status CheckAllocation(const QuotaParent& parent, int32_t old_seats, int32_t new_seats,
                             int32_t child_allocated);

// a project's (or quota's) seats may not drop below what is allocated from it.
absl::Status CheckSeatsCoverAllocation(absl::string_view label, int32_t seats, int32_t allocated);

// ---- Cost (R-4) ---------------------------------------------------------------------------

// Default R-4 rates: 400 yuan per person-day, 3 yuan per online hour.
inline constexpr int64_t kDefaultFenPerPersonDay = 40000;
inline constexpr int64_t kDefaultFenPerOnlineHour = 300;

absl::Status ValidateCostPolicy(const v1::CostPolicy& policy);

// seats x (centralized + shadowing days) x day rate + seats x online hours x hour rate.
absl::StatusOr<v1::ProjectBudget> ComputeBudget(const v1::Project& project,
                                                const v1::CostPolicy& policy);

}  // namespace peixun::catalog::domain
