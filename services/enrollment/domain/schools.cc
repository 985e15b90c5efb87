#include "services/enrollment/domain/schools.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/util/names.h"

namespace peixun::enrollment::domain {

std::vector<SchoolDecision> DecideSchoolImport(const std::string& county_code,
                                               const std::vector<v1::School>& rows,
                                               const std::map<std::string, std::string>& existing) {
  std::map<std::string, std::string> by_name;  // the county's names after the rows so far → id
  for (const auto& [id, name] : existing) by_name[name] = id;
  std::map<std::string, std::string> names = existing;  // id → name after the rows so far
  std::set<std::string> ids_seen;
  std::set<std::string> names_seen;
  std::vector<SchoolDecision> out;
  const std::string prefix = absl::StrCat("regions/", county_code, "/schools/");
  for (size_t i = 0; i < rows.size(); ++i) {
    const v1::School& row = rows[i];
    SchoolDecision d;
    const std::string field = absl::StrCat("schools[", i, "]");
    auto refuse = [&](const std::string& reason) {
      d.reason = reason;
      out.push_back(d);
    };
    std::string id = row.name();
    if (absl::StartsWith(id, "regions/")) {
      if (!absl::StartsWith(id, prefix)) {
        refuse(absl::StrCat(field, ".name: ", id, " is not a school of regions/", county_code));
        continue;
      }
      id = id.substr(prefix.size());
    }
    if (absl::Status valid = ValidateId(id, field + ".name"); !valid.ok()) {
      refuse(std::string(valid.message()));
      continue;
    }
    const std::string& name = row.display_name();
    if (name.empty() || name.size() > kMaxSchoolNameBytes) {
      refuse(absl::StrCat(field, ".display_name: must be 1 to ", kMaxSchoolNameBytes, " bytes"));
      continue;
    }
    if (!ids_seen.insert(id).second) {
      refuse(absl::StrCat(field, ".name: ", prefix, id, " is given twice in this call"));
      continue;
    }
    if (!names_seen.insert(name).second) {
      refuse(absl::StrCat(field, ".display_name: '", name, "' is given twice in this call"));
      continue;
    }
    auto holder = by_name.find(name);
    if (holder != by_name.end() && holder->second != id) {
      refuse(absl::StrCat(field, ".display_name: '", name, "' is the name of ", prefix,
                          holder->second,
                          "; a county's schools have different names (teachers' records are "
                          "matched by them)"));
      continue;
    }
    d.id = id;
    d.display_name = name;
    auto known = names.find(id);
    if (known == names.end()) {
      d.outcome = v1::ImportSchoolResult::CREATED;
    } else if (known->second == name) {
      d.outcome = v1::ImportSchoolResult::UNCHANGED;
    } else {
      d.outcome = v1::ImportSchoolResult::RENAMED;
      by_name.erase(known->second);
    }
    names[id] = name;
    by_name[name] = id;
    out.push_back(d);
  }
  return out;
}

}  // namespace peixun::enrollment::domain
