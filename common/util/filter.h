// A small AIP-160 filter: conjunctions of `field = "value"` comparisons, the subset every
// peixun List method needs. Anything else is refused with the position of the problem.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/util/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/generated_enum_reflection.h"

namespace peixun {

// field -> required value. A field may appear once.
using FilterTerms = std::map<std::string, std::string>;

// Parses `a = "x" AND b = "y"` (values quoted or bare words). Fields outside `allowed` are
// INVALID_ARGUMENT naming the field and listing what may be used.
absl::StatusOr<FilterTerms> ParseFilter(absl::string_view filter,
                                        const std::set<std::string>& allowed);

// The value the filter gives `field`, or nullptr when it names no such field.
const std::string* FilterValue(const FilterTerms& terms, const std::string& field);

// `field = true` or `field = false`; unset when the filter does not name it.
absl::StatusOr<std::optional<bool>> BoolTerm(const FilterTerms& terms, const std::string& field);

// The names a filter may give an enum field: every value but the UNSPECIFIED zero.
std::vector<std::string> EnumNames(const google::protobuf::EnumDescriptor& descriptor);

// `field = NAME` for a contract's enum E (value 0 is its UNSPECIFIED): E's value, or 0 when the
// filter does not name the field; a name that is not one of E's is INVALID_ARGUMENT listing them.
template <typename E>
absl::StatusOr<E> EnumTerm(const FilterTerms& terms, const std::string& field) {
  const std::string* value = FilterValue(terms, field);
  if (value == nullptr) return static_cast<E>(0);
  const google::protobuf::EnumDescriptor& descriptor = *google::protobuf::GetEnumDescriptor<E>();
  const google::protobuf::EnumValueDescriptor* found = descriptor.FindValueByName(*value);
  if (found == nullptr || found->number() == 0) {
    return FieldError("filter", absl::StrCat("'", *value, "' is not a ", field, " (one of ",
                                             absl::StrJoin(EnumNames(descriptor), ", "), ")"));
  }
  return static_cast<E>(found->number());
}

}  // namespace peixun
