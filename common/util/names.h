// AIP-122 resource names: matching a name against a pattern such as
// "years/{year}/projects/{project}" and validating the ids inside.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace peixun {

// Variables of `pattern` found in `name`, e.g. {"year": "2022", "project": "x"}.
// A mismatch is INVALID_ARGUMENT naming `field` and the expected pattern.
absl::StatusOr<std::map<std::string, std::string>> ParseName(absl::string_view name,
                                                             absl::string_view pattern,
                                                             absl::string_view field);

// A resource id chosen by a client: 1-63 of [a-z0-9-], starting with a letter or digit.
absl::Status ValidateId(absl::string_view id, absl::string_view field);

// The one variable `variable` of `pattern` in `name`, checked as a resource id (ValidateId);
// errors name `field`.
absl::StatusOr<std::string> ParseId(absl::string_view name, absl::string_view pattern,
                                    absl::string_view variable, absl::string_view field);

// A version segment of a versioned resource's name: a positive number, or "latest" as 0.
absl::StatusOr<int> ParseVersion(absl::string_view segment, absl::string_view field);

// The id after the last '/' of a name this service made or checked: "410225" for
// "regions/410225", "county-2022" for "years/2022/rounds/county-2022".
inline std::string LastSegment(absl::string_view name) {
  return std::string(name.substr(name.rfind('/') + 1));
}

// The last segment of a resource's name: the keyset key of most lists.
template <typename Resource>
std::string LastSegmentOf(const Resource& resource) {
  return LastSegment(resource.name());
}

// A year between 2000 and 2100, from its text in a name.
absl::StatusOr<int> ParseYear(absl::string_view text, absl::string_view field);

// A GB/T 2260 code: province "41", city "4101" (or "419001" for 济源, a county-level code run
// as a city), county six digits.
absl::Status ValidateRegionCode(absl::string_view code, absl::string_view field);

// ---- The names the contracts share, typed: Parse names the field on error, Format is the
// inverse. Each service's own names (rounds, rubrics, enrollments) stay with the service.

// "regions/{code}".
struct RegionName {
  std::string code;
  static absl::StatusOr<RegionName> Parse(absl::string_view name, absl::string_view field);
  // A county-level unit's name: six digits.
  static absl::StatusOr<RegionName> ParseCounty(absl::string_view name, absl::string_view field);
  // A city's name: four digits.
  static absl::StatusOr<RegionName> ParseCity(absl::string_view name, absl::string_view field);
  std::string Format() const;
};

// "years/{year}".
struct YearName {
  int year = 0;
  static absl::StatusOr<YearName> Parse(absl::string_view name, absl::string_view field);
  std::string Format() const;
};

// "years/{year}/projects/{project}".
struct ProjectName {
  int year = 0;
  std::string project;
  static absl::StatusOr<ProjectName> Parse(absl::string_view name, absl::string_view field);
  std::string Format() const;
};

// "years/{year}/projects/{project}/quotas/{region}": a region's seats in a project.
struct QuotaName {
  int year = 0;
  std::string project;
  std::string region;  // its code
  static absl::StatusOr<QuotaName> Parse(absl::string_view name, absl::string_view field);
  ProjectName Project() const { return {year, project}; }
  std::string Format() const;
};

// "hosts/{host}".
struct HostName {
  std::string host;
  static absl::StatusOr<HostName> Parse(absl::string_view name, absl::string_view field);
  std::string Format() const;
};

// "teachers/{teacher}".
struct TeacherName {
  std::string teacher;
  static absl::StatusOr<TeacherName> Parse(absl::string_view name, absl::string_view field);
  std::string Format() const;
};

}  // namespace peixun
