#include "common/util/names.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/util/status.h"

namespace peixun {

absl::StatusOr<std::map<std::string, std::string>> ParseName(absl::string_view name,
                                                             absl::string_view pattern,
                                                             absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  std::vector<absl::string_view> expected = absl::StrSplit(pattern, '/');
  auto mismatch = [&] {
    return FieldError(field, absl::StrCat("'", name, "' is not of the form ", pattern));
  };
  if (parts.size() != expected.size()) return mismatch();
  std::map<std::string, std::string> variables;
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::string_view want = expected[i];
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      if (parts[i].empty()) return mismatch();
      variables[std::string(want.substr(1, want.size() - 2))] = std::string(parts[i]);
    } else if (parts[i] != want) {
      return mismatch();
    }
  }
  return variables;
}

absl::StatusOr<int> ParseVersion(absl::string_view segment, absl::string_view field) {
  if (segment == "latest") return 0;
  int version = 0;
  if (!absl::SimpleAtoi(segment, &version) || version < 1) {
    return FieldError(field, "version must be a positive number or 'latest'");
  }
  return version;
}

absl::StatusOr<std::string> ParseId(absl::string_view name, absl::string_view pattern,
                                    absl::string_view variable, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, pattern, field));
  std::string id = parts[std::string(variable)];
  PEIXUN_RETURN_IF_ERROR(ValidateId(id, field));
  return id;
}

absl::Status ValidateId(absl::string_view id, absl::string_view field) {
  if (id.empty() || id.size() > 63) return FieldError(field, "must be 1 to 63 characters");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) {
      return FieldError(field, absl::StrCat("'", id, "' may hold only a-z, 0-9 and '-'"));
    }
  }
  if (id.front() == '-') return FieldError(field, "must not start with '-'");
  return absl::OkStatus();
}

absl::StatusOr<int> ParseYear(absl::string_view text, absl::string_view field) {
  int year = 0;
  if (!absl::SimpleAtoi(text, &year) || year < 2000 || year > 2100) {
    return FieldError(field, absl::StrCat("'", text, "' is not a year between 2000 and 2100"));
  }
  return year;
}

}  // namespace peixun
