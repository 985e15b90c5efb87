// A county's registered schools, pure: what each row of an import becomes, given
// the county's schools as they are.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "peixun/enrollment/v1/enrollment.pb.h"

namespace peixun::enrollment::domain {

inline constexpr int kMaxSchoolsPerCall = 1000;
inline constexpr size_t kMaxSchoolNameBytes = 128;

// One row's decision. `id` and `display_name` are set unless the row is refused.
struct SchoolDecision {
  v1::ImportSchoolResult::Outcome outcome = v1::ImportSchoolResult::REFUSED;
  std::string id;
  std::string display_name;
  std::string reason;  // REFUSED: names the field, e.g. "schools[2].display_name: ..."
};

// each row of county `county_code` in order, against `existing` (the county's
// schools, id → name) and the rows before it: a school's name is "regions/{county}/schools/{id}"
// of that county or its bare id; its display name is 1 to 128 bytes and no other school's of
// the county (names are what teachers' records are matched by); an id or a name given twice in
// one call is refused the second time. A known id with a new name is RENAMED, with its name
// UNCHANGED, a new id CREATED.
std::vector<SchoolDecision> DecideSchoolImport(const std::string& county_code,
                                               const std::vector<v1::School>& rows,
                                               const std::map<std::string, std::string>& existing);

}  // namespace peixun::enrollment::domain
