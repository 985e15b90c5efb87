// Server-chosen resource ids: a prefix and random hex, never derived from personal data.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace peixun {

// e.g. NewId("e", 8) -> "e3f9a0c1d2b4e5f60"; `bytes` random bytes as hex.
std::string NewId(absl::string_view prefix, int bytes = 8);

// For ids that are primary keys of large tables: 6 bytes of milliseconds since the epoch, then
// 6 random bytes, so new rows land at the end of the index instead of on random pages.
// e.g. NewOrderedId("t") -> "t019a8b7c6d5e" + 12 random hex digits.
std::string NewOrderedId(absl::string_view prefix);

}  // namespace peixun
