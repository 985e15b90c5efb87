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

// A year between 2000 and 2100, from its text in a name.
absl::StatusOr<int> ParseYear(absl::string_view text, absl::string_view field);

}  // namespace peixun
