// Server-chosen resource ids: a prefix and random hex, never derived from personal data.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace peixun {

// e.g. NewId("e", 8) -> "e3f9a0c1d2b4e5f60"; `bytes` random bytes as hex.
std::string NewId(absl::string_view prefix, int bytes = 8);

}  // namespace peixun
