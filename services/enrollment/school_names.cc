#include "services/enrollment/school_names.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/util/names.h"
#include "common/util/status.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "services/enrollment/enrollment_store.h"

namespace peixun::enrollment {

std::string SchoolKey::School() const {
  return absl::StrCat("regions/", county, "/schools/", school);
}

absl::StatusOr<SchoolKey> ParseSchool(const std::string& name, absl::string_view field,
                                      bool any_school) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, "regions/{county}/schools/{school}", field));
  PEIXUN_ASSIGN_OR_RETURN(const RegionName county,
                          RegionName::ParseCounty("regions/" + parts["county"], field));
  if (!(any_school && parts["school"] == "-"))
    PEIXUN_RETURN_IF_ERROR(ValidateId(parts["school"], field));
  return SchoolKey{county.code, parts["school"], 0};
}

absl::StatusOr<SchoolKey> ParseSchoolYearName(const std::string& name, absl::string_view collection,
                                              absl::string_view field) {
  const std::string separator = absl::StrCat("/", collection, "/");
  const size_t at = name.rfind(separator);
  int year = 0;
  if (at == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(name).substr(at + separator.size()), &year) ||
      year < 2000 || year > 2100) {
    return FieldError(field, absl::StrCat("'", name, "' is not regions/{county}/schools/{school}/",
                                          collection, "/{school_year}"));
  }
  PEIXUN_ASSIGN_OR_RETURN(SchoolKey key, ParseSchool(name.substr(0, at), field, false));
  key.school_year = year;
  return key;
}

absl::StatusOr<auth::Resource> SchoolResource(db::Connection& c, const SchoolKey& key,
                                              const std::string& name) {
  auto region = EnrollmentStore::FindRegion(c, key.county);
  if (!region || !domain::IsCountyLevelUnit(*region)) {
    return absl::NotFoundError(absl::StrCat("regions/", key.county, " is not a known county"));
  }
  auth::Resource resource;
  resource.name = name;
  resource.county = key.county;
  resource.city = domain::CityCodeOf(*region);
  if (key.school != "-") resource.school = key.School();
  return resource;
}

absl::Status CheckRegisteredSchool(db::Connection& c, const auth::Access& caller,
                                   const SchoolKey& school, const std::string& parent) {
  PEIXUN_ASSIGN_OR_RETURN(const auth::Resource resource, SchoolResource(c, school, parent));
  PEIXUN_RETURN_IF_ERROR(caller.Check(resource));
  if (!EnrollmentStore::FindSchool(c, school.county, school.school)) {
    return FieldError("parent", absl::StrCat(parent, " is not a registered school"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> SchoolYearTerm(const FilterTerms& terms) {
  int school_year = 0;
  if (const std::string* y = FilterValue(terms, "school_year")) {
    if (!absl::SimpleAtoi(*y, &school_year) || school_year < 2000 || school_year > 2100)
      return FieldError("filter", absl::StrCat("school_year '", *y, "' is not a year"));
  }
  return school_year;
}

absl::StatusOr<SchoolYearList> SchoolYearListOf(SchoolKey key, int state, int school_year,
                                                Page page) {
  SchoolYearList list{std::move(key), state, school_year, std::move(page), "", 0};
  if (!list.page.after.empty()) {
    const size_t slash = list.page.after.rfind('/');
    if (slash == std::string::npos ||
        !absl::SimpleAtoi(list.page.after.substr(slash + 1), &list.after_year)) {
      return FieldError("page_token", "is not a token of this list");
    }
    list.after_school = list.page.after.substr(0, slash);
  }
  return list;
}

std::string SchoolYearPageKey(const std::string& name, int school_year) {
  const size_t school = name.find("/schools/") + 9;
  const size_t end = name.find('/', school);
  return absl::StrCat(name.substr(school, end - school), "/", school_year);
}

}  // namespace peixun::enrollment
