// A grid as an Excel workbook (.xlsx, libxlsxwriter): where county and school administrators
// keep their lists.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "tools/cli/table.h"

namespace peixun::cli {

// Writes `grid` to `path` as one sheet named after its list: the header row bold and frozen,
// with a filter; numbers as numbers, text as text; columns as wide as their text (at most 60).
absl::Status WriteXlsx(const Grid& grid, const std::string& path);

}  // namespace peixun::cli
