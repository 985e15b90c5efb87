// The files administrators import from and get their results in: CSV (UTF-8, with or without a
// byte-order mark) or Excel workbooks (.xlsx, the first sheet), chosen by the file's extension;
// a template of each import to fill in; a result per row, written next to the rows as sent.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/cli/table.h"

namespace peixun::cli {

// An import's columns, in order, as its template and its first row name them.
struct ImportKind {
  std::string name;  // e.g. "teachers"
  std::vector<std::string> columns;
  std::vector<std::string> example;  // a row of the template, as a user would fill it in
  std::string what;                  // one line for peixunctl's usage
};

// The imports peixunctl reads: teachers, schools, hours, school-hours, nominations.
const std::vector<ImportKind>& ImportKinds();
const ImportKind* FindImportKind(const std::string& name);

// Calls `row` with each data row of `path` in order, with its line (CSV) or row (.xlsx) number
// and at least `kind.columns.size()` cells: a first row that starts with the kind's first
// column is the header and left out, as are empty lines. `row` returns false to stop.
absl::Status ForEachImportRow(const std::string& path, const ImportKind& kind,
                              const std::function<bool(int, std::vector<std::string>&)>& row);

// Writes the template of `kind` to `path` (.xlsx: every column formatted as text, so that an
// 18-digit ID number stays text; otherwise CSV).
absl::Status WriteImportTemplate(const ImportKind& kind, const std::string& path);

// A result per row of an import: the row's number, its outcome and reason, then its cells as
// sent; written to `path` (.xlsx or CSV) when it is not empty.
class ImportResults {
 public:
  ImportResults(const ImportKind& kind, std::string path);
  void Add(int row, const std::string& outcome, const std::string& reason,
           const std::vector<std::string>& cells);
  // Writes the file when one was named; says where on success.
  absl::Status Write() const;
  const std::string& path() const { return path_; }

 private:
  Grid grid_;
  std::string path_;
};

}  // namespace peixun::cli
