#include "tools/cli/import_files.h"

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tools/cli/xlsx.h"
#include "tools/cli/xlsx_reader.h"

namespace peixun::cli {

namespace {

bool IsWorkbook(const std::string& path) { return absl::EndsWithIgnoreCase(path, ".xlsx"); }

// An RFC 4180 line's cells: quoted cells may hold commas and doubled quotes.
std::vector<std::string> CsvCells(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"' && cells.back().empty()) {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

}  // namespace

const std::vector<ImportKind>& ImportKinds() {
  static const auto* kinds = new std::vector<ImportKind>{
      {"teachers",
       {"id_number", "name", "gender", "school", "county", "stage", "subjects", "rural",
        "teaching_since_year", "roles"},
       {"410225199001010011", "张明远", "MALE", "兰考县第一小学", "410225", "PRIMARY", "语文|数学",
        "1", "2012", "HEAD_TEACHER"},
       "teachers (R-1): subjects and roles separated by |, rural 1 or 0"},
      {"schools",
       {"school", "display_name"},
       {"lk-diyi", "兰考县第一小学"},
       "a county's schools (R-1, R-32)"},
      {"hours",
       {"teacher", "kind", "hours", "days", "session", "date", "description", "level"},
       {"teachers/t…", "WORKSHOP", "", "2", "lankao-math-5", "2023-05-10", "兰考县小学数学工作坊",
        "COUNTY"},
       "hours a county registers (R-32, R-14): kind SCHOOL_RESEARCH, WORKSHOP or MENTORING"},
      {"school-hours",
       {"teacher", "hours", "note"},
       {"teachers/t…", "24", "集体备课 12；课例研究 12"},
       "a school's research hours of a school year (R-32)"},
      {"nominations",
       {"project", "teacher"},
       {"years/2022/projects/rural-chief", "teachers/t…"},
       "a county's nominations (R-7)"},
  };
  return *kinds;
}

const ImportKind* FindImportKind(const std::string& name) {
  for (const auto& kind : ImportKinds()) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

absl::Status ForEachImportRow(const std::string& path, const ImportKind& kind,
                              const std::function<bool(int, std::vector<std::string>&)>& row) {
  const std::string& header = kind.columns.front();
  bool first = true;
  auto each = [&](int number, std::vector<std::string>& cells) {
    const bool is_header = first && !cells.empty() && cells[0] == header;
    first = false;
    if (is_header) return true;
    if (cells.size() < kind.columns.size()) cells.resize(kind.columns.size());
    return row(number, cells);
  };
  if (IsWorkbook(path)) return ForEachXlsxRow(path, each);
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (line.empty()) continue;
    std::vector<std::string> cells = CsvCells(line);
    if (!each(number, cells)) break;
  }
  return absl::OkStatus();
}

absl::Status WriteImportTemplate(const ImportKind& kind, const std::string& path) {
  Grid grid;
  grid.name = kind.name;
  grid.columns = kind.columns;
  std::vector<Cell> example;
  for (const auto& text : kind.example) example.push_back(Cell{text, false});
  grid.rows.push_back(std::move(example));
  if (IsWorkbook(path)) return WriteXlsx(grid, path, /*text_columns=*/true);
  std::ofstream out(path, std::ios::binary);
  out << CsvOf(grid);
  return out ? absl::OkStatus() : absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
}

ImportResults::ImportResults(const ImportKind& kind, std::string path) : path_(std::move(path)) {
  grid_.name = "results";
  grid_.columns = {"row", "outcome", "reason"};
  grid_.columns.insert(grid_.columns.end(), kind.columns.begin(), kind.columns.end());
}

void ImportResults::Add(int row, const std::string& outcome, const std::string& reason,
                        const std::vector<std::string>& cells) {
  if (path_.empty()) return;
  std::vector<Cell> line = {Cell{std::to_string(row), true}, Cell{outcome, false},
                            Cell{reason, false}};
  for (size_t i = 3; i < grid_.columns.size(); ++i)
    line.push_back(Cell{i - 3 < cells.size() ? cells[i - 3] : "", false});
  grid_.rows.push_back(std::move(line));
}

absl::Status ImportResults::Write() const {
  if (path_.empty()) return absl::OkStatus();
  if (IsWorkbook(path_)) return WriteXlsx(grid_, path_, /*text_columns=*/true);
  std::ofstream out(path_, std::ios::binary);
  out << CsvOf(grid_);
  return out ? absl::OkStatus() : absl::InvalidArgumentError(absl::StrCat("cannot write ", path_));
}

}  // namespace peixun::cli
