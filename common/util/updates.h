// Checks every Update and every etag-guarded change makes the same way: AIP-154 etags and
// AIP-134 update masks. Pure (no gRPC, no SQL).
#pragma once

#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"

namespace peixun {

// A request's etag against the stored one: ABORTED, naming the resource and both etags, when
// the request carries an etag and the resource has changed since; OK when it carries none.
absl::Status CheckEtag(absl::string_view given, absl::string_view current,
                       absl::string_view resource);

// An update mask must name at least one field, each of `allowed`; errors name update_mask and
// list what may be updated.
absl::Status CheckUpdateMask(const google::protobuf::FieldMask& mask,
                             const std::set<std::string>& allowed);

// Whether `mask` names `path`.
bool InMask(const google::protobuf::FieldMask& mask, absl::string_view path);

}  // namespace peixun
