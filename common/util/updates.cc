#include "common/util/updates.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/status.h"

namespace peixun {

absl::Status CheckEtag(absl::string_view given, absl::string_view current,
                       absl::string_view resource) {
  if (given.empty() || given == current) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat("etag: ", resource, " changed since it was read (etag ",
                                         current, ", request has ", given,
                                         "); read it again and retry"));
}

absl::Status CheckUpdateMask(const google::protobuf::FieldMask& mask,
                             const std::set<std::string>& allowed) {
  if (mask.paths_size() == 0) {
    return FieldError("update_mask", absl::StrCat("must name the fields to change, of: ",
                                                  absl::StrJoin(allowed, ", ")));
  }
  for (const auto& path : mask.paths()) {
    if (allowed.count(path) == 0) {
      return FieldError("update_mask", absl::StrCat("'", path, "' cannot be updated; updatable: ",
                                                    absl::StrJoin(allowed, ", ")));
    }
  }
  return absl::OkStatus();
}

bool InMask(const google::protobuf::FieldMask& mask, absl::string_view path) {
  for (const auto& p : mask.paths()) {
    if (p == path) return true;
  }
  return false;
}

}  // namespace peixun
