// AIP-160 filters of every List method: parsed to known fields, or refused with a message.
#include <cstdlib>

#include "common/util/filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view filter(reinterpret_cast<const char*>(data), size);
  const std::set<std::string> allowed = {"county", "state", "project", "grade", "city"};
  auto terms = peixun::ParseFilter(filter, allowed);
  if (terms.ok()) {
    for (const auto& [field, value] : *terms) {
      if (allowed.count(field) == 0) std::abort();  // only allowed fields get through
    }
  } else if (terms.status().message().empty()) {
    std::abort();
  }
  return 0;
}
