// A grid as an Excel workbook (.xlsx, libxlsxwriter): where county and school administrators
// keep their lists.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "tools/cli/table.h"

namespace peixun::cli {

// Writes `grid` to `path` as one sheet named after its list: the header row bold and frozen,
// with a filter; numbers as numbers, text as text; columns as wide as their text (at most 60).
// With `text_columns`, every column is formatted as text ("@"), so that what a user types there
// later (an 18-digit ID number, a code with leading zeros) stays as typed.
absl::Status WriteXlsx(const Grid& grid, const std::string& path, bool text_columns = false);

}  // namespace peixun::cli
