// A small AIP-160 filter: conjunctions of `field = "value"` comparisons, the subset every
// peixun List method needs. Anything else is refused with the position of the problem.
#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace peixun {

// field -> required value. A field may appear once.
using FilterTerms = std::map<std::string, std::string>;

// Parses `a = "x" AND b = "y"` (values quoted or bare words). Fields outside `allowed` are
// INVALID_ARGUMENT naming the field and listing what may be used.
absl::StatusOr<FilterTerms> ParseFilter(absl::string_view filter,
                                        const std::set<std::string>& allowed);

}  // namespace peixun
