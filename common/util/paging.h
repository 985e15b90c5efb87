// AIP-158 pagination: page sizes and opaque page tokens for keyset pagination.
// A token carries the last key returned and a fingerprint of the query it belongs to, so a
// token replayed with another filter or parent is refused rather than silently misapplied.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace peixun {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

// page_size 0 -> default; above the maximum -> the maximum; negative -> INVALID_ARGUMENT.
absl::StatusOr<int> EffectivePageSize(int32_t page_size);

// Encodes the key after which the next page starts, bound to `query` (parent + filter).
std::string EncodePageToken(absl::string_view last_key, absl::string_view query);

// Returns the key after which to continue: "" for an empty token (the first page).
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view query);

}  // namespace peixun
