#include "tools/cli/xlsx.h"

#include <xlsxwriter.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace peixun::cli {

absl::Status WriteXlsx(const Grid& grid, const std::string& path, bool text_columns) {
  lxw_workbook* workbook = workbook_new(path.c_str());
  if (workbook == nullptr) return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
  // A sheet's name: at most 31 characters, none of []:*?/\ (list field names have none).
  const std::string sheet = grid.name.empty() ? "peixun" : grid.name.substr(0, 31);
  lxw_worksheet* worksheet = workbook_add_worksheet(workbook, sheet.c_str());
  lxw_format* bold = workbook_add_format(workbook);
  format_set_bold(bold);
  lxw_format* text = nullptr;
  if (text_columns) {
    text = workbook_add_format(workbook);
    format_set_num_format(text, "@");
  }
  for (size_t c = 0; c < grid.columns.size(); ++c) {
    const auto col = static_cast<lxw_col_t>(c);
    worksheet_write_string(worksheet, 0, col, grid.columns[c].c_str(), bold);
    int width = DisplayWidth(grid.columns[c]);
    for (const auto& row : grid.rows) width = std::max(width, DisplayWidth(row[c].text));
    worksheet_set_column(worksheet, col, col, std::min(width, 60) + 2, text);
  }
  for (size_t r = 0; r < grid.rows.size(); ++r) {
    const auto row = static_cast<lxw_row_t>(r + 1);
    for (size_t c = 0; c < grid.rows[r].size(); ++c) {
      const Cell& cell = grid.rows[r][c];
      const auto col = static_cast<lxw_col_t>(c);
      if (cell.number && !cell.text.empty()) {
        worksheet_write_number(worksheet, row, col, std::strtod(cell.text.c_str(), nullptr),
                               nullptr);
      } else if (!cell.text.empty()) {
        worksheet_write_string(worksheet, row, col, cell.text.c_str(), text);
      }
    }
  }
  worksheet_freeze_panes(worksheet, 1, 0);
  if (!grid.columns.empty()) {
    worksheet_autofilter(worksheet, 0, 0, static_cast<lxw_row_t>(grid.rows.size()),
                         static_cast<lxw_col_t>(grid.columns.size() - 1));
  }
  const lxw_error closed = workbook_close(workbook);
  if (closed != LXW_NO_ERROR) {
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", lxw_strerror(closed)));
  }
  return absl::OkStatus();
}

}  // namespace peixun::cli
