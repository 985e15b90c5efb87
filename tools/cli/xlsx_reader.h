// Rows of an Excel workbook (.xlsx) as text, for imports from the spreadsheets county and school
// administrators keep: the first sheet, read straight from the file's ZIP parts (zlib) and XML
// (expat) as a stream, never holding the sheet's XML whole. Bounded: the file at most 100 MB, a
// part at most 2 GB inflated and at most 1,000 times its compressed size (a ZIP bomb is refused),
// a cell at most 32,767 bytes, 1,048,576 rows and 16,384 columns (Excel's own limits).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace peixun::cli {

// Calls `row` with each non-empty row of the workbook's first sheet in order: its row number (1
// for the first) and its cells as text, a missing cell as "" (a row is as long as its last
// cell). Shared and inline strings as written; numbers as Excel stores them ("24", "2.5");
// booleans "1"/"0". `row` returns false to stop early. Errors name the file and what is wrong.
absl::Status ForEachXlsxRow(const std::string& path,
                            const std::function<bool(int, std::vector<std::string>&)>& row);

// An Excel date serial (1900 date system, as a number cell holds a date) as "YYYY-MM-DD"; text
// that is not such a number comes back unchanged.
std::string ExcelDateText(const std::string& cell);

}  // namespace peixun::cli
