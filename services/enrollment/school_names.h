// Names under a county's schools: "regions/{county}/schools/{school}" and the
// school-year resources below it (researchPlans, hoursReports), and what the access policy
// needs to know of them.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/auth/access.h"
#include "common/db/pool.h"
#include "common/util/filter.h"
#include "common/util/paging.h"
#include "common/util/status.h"

namespace peixun::enrollment {

struct SchoolKey {
  std::string county;
  std::string school;  // "-": every school of the county (lists only)
  int school_year = 0;
  std::string School() const;
};

// "regions/{county}/schools/{school}" (and "-" for every school when `any_school`): the county a
// county code and the school an id. Errors name `field`.
absl::StatusOr<SchoolKey> ParseSchool(const std::string& name, absl::string_view field,
                                      bool any_school);

// "regions/{county}/schools/{school}/{collection}/{school_year}", e.g. collection
// "researchPlans".
absl::StatusOr<SchoolKey> ParseSchoolYearName(const std::string& name, absl::string_view collection,
                                              absl::string_view field);

// The county's region as an access resource, with the school when one is named (R-32: a school
// admin reaches its own school's resources, the training school and the county their county's).
// NOT_FOUND when the county is not a known county-level unit.
absl::StatusOr<auth::Resource> SchoolResource(db::Connection& c, const SchoolKey& key,
                                              const std::string& name);

// a school acting on its own resources (`parent` its name): the caller may, and the school
// is registered (INVALID_ARGUMENT naming "parent" when not).
absl::Status CheckRegisteredSchool(db::Connection& c, const auth::Access& caller,
                                   const SchoolKey& school, const std::string& parent);

// A list of a county's school-year resources (plans, reports): a school's, or with school "-"
// every school's; the state and school year its filter names (0 when it does not); the page.
struct SchoolYearList {
  SchoolKey key;  // school "-": every school
  int state = 0;
  int school_year = 0;
  Page page;
  std::string after_school;  // where the page starts: after (after_school, after_year)
  int after_year = 0;
  std::string School() const { return key.school == "-" ? "" : key.school; }
};

// "school_year = 2022" of a filter, 0 when it names none; not a year 2000 to 2100 is
// INVALID_ARGUMENT naming the filter.
absl::StatusOr<int> SchoolYearTerm(const FilterTerms& terms);
absl::StatusOr<SchoolYearList> SchoolYearListOf(SchoolKey key, int state, int school_year,
                                                Page page);

// A List request of a school-year resource with parent, page_size, page_token and a filter on
// `state` (the resource's State enum) and `school_year`.
template <typename State, typename Request>
absl::StatusOr<SchoolYearList> ParseSchoolYearList(const Request& request) {
  PEIXUN_ASSIGN_OR_RETURN(SchoolKey key, ParseSchool(request.parent(), "parent", true));
  PEIXUN_ASSIGN_OR_RETURN(auto terms, ParseFilter(request.filter(), {"state", "school_year"}));
  PEIXUN_ASSIGN_OR_RETURN(const State state, EnumTerm<State>(terms, "state"));
  PEIXUN_ASSIGN_OR_RETURN(const int school_year, SchoolYearTerm(terms));
  PEIXUN_ASSIGN_OR_RETURN(Page page,
                          Page::Of(request.page_size(), request.page_token(),
                                   absl::StrCat(request.parent(), "|", request.filter())));
  return SchoolYearListOf(std::move(key), static_cast<int>(state), school_year, std::move(page));
}

// The keyset key of a resource named "regions/{county}/schools/{school}/{collection}/{year}" in
// a county's list: "{school}/{year}".
std::string SchoolYearPageKey(const std::string& name, int school_year);

}  // namespace peixun::enrollment
