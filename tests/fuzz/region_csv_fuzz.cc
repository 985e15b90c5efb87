// ImportRegions' CSV ("code,name,parent_code,level"): any text is parsed or refused with a
// line number, never a crash; what parses is well formed.
#include <cstdlib>

#include "services/catalog/domain/catalog_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view csv(reinterpret_cast<const char*>(data), size);
  auto rows = peixun::catalog::domain::ParseRegionCsv(csv);
  if (rows.ok()) {
    for (const auto& row : *rows) {
      if (row.line < 1) std::abort();  // every row knows its line
    }
  } else if (rows.status().message().empty()) {
    std::abort();  // a refusal always says why
  }
  return 0;
}
