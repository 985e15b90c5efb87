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
  // Four digits exactly: "02022" or " 2022" would name the same year twice.
  const bool digits = text.size() == 4 && text.find_first_not_of("0123456789") == text.npos;
  if (!digits || !absl::SimpleAtoi(text, &year) || year < 2000 || year > 2100) {
    return FieldError(field, absl::StrCat("'", text, "' is not a year between 2000 and 2100"));
  }
  return year;
}

absl::Status ValidateRegionCode(absl::string_view code, absl::string_view field) {
  const bool digits =
      !code.empty() && code.find_first_not_of("0123456789") == absl::string_view::npos;
  if (!digits || (code.size() != 2 && code.size() != 4 && code.size() != 6)) {
    return FieldError(field,
                      absl::StrCat("'", code, "' is not a GB/T 2260 code (2, 4 or 6 digits)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<RegionName> RegionName::Parse(absl::string_view name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, "regions/{code}", field));
  PEIXUN_RETURN_IF_ERROR(ValidateRegionCode(parts["code"], field));
  return RegionName{parts["code"]};
}

namespace {

absl::StatusOr<RegionName> ParseLevel(absl::string_view name, absl::string_view field,
                                      size_t digits, absl::string_view level) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, "regions/{code}", field));
  const std::string& code = parts["code"];
  if (code.size() != digits || code.find_first_not_of("0123456789") != std::string::npos) {
    return FieldError(field, absl::StrCat("'", name, "' is not a ", level, " (regions/ and a ",
                                          digits, "-digit code)"));
  }
  return RegionName{code};
}

}  // namespace

absl::StatusOr<RegionName> RegionName::ParseCounty(absl::string_view name,
                                                   absl::string_view field) {
  return ParseLevel(name, field, 6, "county");
}

absl::StatusOr<RegionName> RegionName::ParseCity(absl::string_view name, absl::string_view field) {
  return ParseLevel(name, field, 4, "city");
}

std::string RegionName::Format() const { return absl::StrCat("regions/", code); }

absl::StatusOr<YearName> YearName::Parse(absl::string_view name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, "years/{year}", field));
  PEIXUN_ASSIGN_OR_RETURN(int year, ParseYear(parts["year"], field));
  return YearName{year};
}

std::string YearName::Format() const { return absl::StrCat("years/", year); }

absl::StatusOr<ProjectName> ProjectName::Parse(absl::string_view name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(auto parts, ParseName(name, "years/{year}/projects/{project}", field));
  ProjectName parsed;
  PEIXUN_ASSIGN_OR_RETURN(parsed.year, ParseYear(parts["year"], field));
  parsed.project = parts["project"];
  PEIXUN_RETURN_IF_ERROR(ValidateId(parsed.project, field));
  return parsed;
}

std::string ProjectName::Format() const {
  return absl::StrCat("years/", year, "/projects/", project);
}

absl::StatusOr<QuotaName> QuotaName::Parse(absl::string_view name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(
      auto parts, ParseName(name, "years/{year}/projects/{project}/quotas/{region}", field));
  QuotaName parsed;
  PEIXUN_ASSIGN_OR_RETURN(parsed.year, ParseYear(parts["year"], field));
  parsed.project = parts["project"];
  parsed.region = parts["region"];
  PEIXUN_RETURN_IF_ERROR(ValidateId(parsed.project, field));
  PEIXUN_RETURN_IF_ERROR(ValidateRegionCode(parsed.region, field));
  return parsed;
}

std::string QuotaName::Format() const {
  return absl::StrCat("years/", year, "/projects/", project, "/quotas/", region);
}

absl::StatusOr<HostName> HostName::Parse(absl::string_view name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(std::string host, ParseId(name, "hosts/{host}", "host", field));
  return HostName{std::move(host)};
}

std::string HostName::Format() const { return absl::StrCat("hosts/", host); }

absl::StatusOr<TeacherName> TeacherName::Parse(absl::string_view name, absl::string_view field) {
  PEIXUN_ASSIGN_OR_RETURN(std::string teacher,
                          ParseId(name, "teachers/{teacher}", "teacher", field));
  return TeacherName{std::move(teacher)};
}

std::string TeacherName::Format() const { return absl::StrCat("teachers/", teacher); }

}  // namespace peixun
