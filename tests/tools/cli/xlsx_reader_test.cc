// Reading workbooks administrators made in another tool (openpyxl here, as Excel or WPS would
// write them): what an import of teachers, schools or hours sees.
#include "tools/cli/xlsx_reader.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace peixun::cli {
namespace {

// Runs a Python program (Debian's python3 with python3-openpyxl) with `path` as its argument.
void Python(const std::string& program, const std::string& path) {
  const std::string script = ::testing::TempDir() + "/make_workbook.py";
  {
    std::ofstream file(script);
    file << program;
  }
  const std::string command = "/usr/bin/python3 " + script + " " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[1024];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) out += buffer;
  ASSERT_EQ(pclose(pipe), 0) << out;
}

// A workbook written part by part with Python's zipfile (`compression` its argument): its
// sheet named by relationship `id` at `target` (the part `part`), whose XML is the Python
// expression `sheet` ({ns}: the spreadsheet namespaces).
void HandMadeWorkbook(const std::string& path, const std::string& compression,
                      const std::string& id, const std::string& target, const std::string& part,
                      const std::string& sheet) {
  Python(absl::StrCat(
             R"(import sys, zipfile
ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
with zipfile.ZipFile(sys.argv[1], "w", )",
             compression, R"() as z:
    z.writestr("xl/workbook.xml", f'<workbook {ns}><sheets><sheet name="s" sheetId="1" r:id=")",
             id, R"("/></sheets></workbook>')
    z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id=")",
             id, R"(" Type="worksheet" Target=")", target, R"("/></Relationships>')
    z.writestr(")",
             part, "\", ", sheet, ")\n"),
         path);
}

std::vector<std::pair<int, std::vector<std::string>>> Rows(const std::string& path,
                                                           absl::Status* status,
                                                           size_t stop_after = 0) {
  std::vector<std::pair<int, std::vector<std::string>>> rows;
  *status = ForEachXlsxRow(path, [&](int row, std::vector<std::string>& cells) {
    rows.emplace_back(row, cells);
    return stop_after == 0 || rows.size() < stop_after;
  });
  return rows;
}

TEST(XlsxReader, ReadsTheFirstSheetOfAWorkbookMadeByOpenpyxl) {
  const std::string path = ::testing::TempDir() + "/hours.xlsx";
  Python(R"(import datetime, sys, openpyxl
book = openpyxl.Workbook()
sheet = book.active
sheet.title = "校本研修"
sheet.append(["teacher", "hours", "note", "date"])
sheet.append(["teachers/t1", 24, "集体备课 12；课例研究 12", datetime.date(2023, 6, 30)])
sheet.append([])
sheet.append(["teachers/t2", 2.5, None, datetime.date(1900, 1, 1)])
sheet["A6"] = "teachers/t3"
sheet["C6"] = "<&>\"'"
other = book.create_sheet("其他")
other.append(["not", "read"])
book.save(sys.argv[1])
)",
         path);
  absl::Status status;
  const auto rows = Rows(path, &status);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].first, 1);
  EXPECT_EQ(rows[0].second, (std::vector<std::string>{"teacher", "hours", "note", "date"}));
  EXPECT_EQ(rows[1].first, 2);
  ASSERT_EQ(rows[1].second.size(), 4u);
  EXPECT_EQ(rows[1].second[0], "teachers/t1");
  EXPECT_EQ(rows[1].second[1], "24");
  EXPECT_EQ(rows[1].second[2], "集体备课 12；课例研究 12");
  EXPECT_EQ(ExcelDateText(rows[1].second[3]), "2023-06-30");
  // The empty row 3 is left out; row numbers stay the sheet's.
  EXPECT_EQ(rows[2].first, 4);
  EXPECT_EQ(rows[2].second[1], "2.5");
  EXPECT_EQ(rows[2].second[2], "");
  EXPECT_EQ(ExcelDateText(rows[2].second[3]), "1900-01-01");
  EXPECT_EQ(rows[3].first, 6);
  EXPECT_EQ(rows[3].second, (std::vector<std::string>{"teachers/t3", "", "<&>\"'"}));
  // Text that is no date serial stays as it is.
  EXPECT_EQ(ExcelDateText("2023-06-30"), "2023-06-30");
  EXPECT_EQ(ExcelDateText("学年"), "学年");

  // The caller stops when it has what it needs.
  const auto first = Rows(path, &status, 1);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(first.size(), 1u);
}

TEST(XlsxReader, ReadsStoredPartsAndInlineStrings) {
  // A minimal workbook as some generators write it: parts stored, not deflated; strings inline.
  const std::string path = ::testing::TempDir() + "/inline.xlsx";
  HandMadeWorkbook(
      path, "zipfile.ZIP_STORED", "rId7", "/xl/worksheets/data.xml", "xl/worksheets/data.xml",
      R"(f'<worksheet {ns}><sheetData><row><c t="inlineStr"><is><t>第一小学</t></is></c><c t="b"><v>1</v></c></row><row><c r="B2" t="str"><v>x</v></c></row></sheetData></worksheet>')");
  absl::Status status;
  const auto rows = Rows(path, &status);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].first, 1);
  EXPECT_EQ(rows[0].second, (std::vector<std::string>{"第一小学", "1"}));
  EXPECT_EQ(rows[1].first, 2);
  EXPECT_EQ(rows[1].second, (std::vector<std::string>{"", "x"}));
}

TEST(XlsxReader, RefusesWhatIsNoWorkbookAndWhatInflatesTooFar) {
  absl::Status status;
  const std::string csv = ::testing::TempDir() + "/teachers.xlsx";
  {
    std::ofstream file(csv);
    file << "id_number,name\n410225199001010011,张明远\n";
  }
  Rows(csv, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(csv), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("not a ZIP file"), absl::string_view::npos) << status;
  Rows(::testing::TempDir() + "/missing.xlsx", &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);

  // 100 MB of spaces deflate to about 100 KB: more than 1,000 times, refused while reading.
  const std::string bomb = ::testing::TempDir() + "/bomb.xlsx";
  HandMadeWorkbook(
      bomb, "zipfile.ZIP_DEFLATED, compresslevel=9", "rId1", "worksheets/sheet1.xml",
      "xl/worksheets/sheet1.xml",
      R"(f'<worksheet {ns}><sheetData>' + ' ' * (100 << 20) + '</sheetData></worksheet>')");
  const auto rows = Rows(bomb, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("1,000 times"), absl::string_view::npos) << status;
  EXPECT_TRUE(rows.empty());

  // A cell past Excel's 32,767 characters.
  const std::string long_cell = ::testing::TempDir() + "/long.xlsx";
  HandMadeWorkbook(
      long_cell, "zipfile.ZIP_DEFLATED", "rId1", "worksheets/sheet1.xml",
      "xl/worksheets/sheet1.xml",
      R"(f'<worksheet {ns}><sheetData><row r="1"><c t="inlineStr"><is><t>' + 'x' * 40000 + '</t></is></c></row></sheetData></worksheet>')");
  Rows(long_cell, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("longer than 32767 bytes"), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find(long_cell), absl::string_view::npos) << status;
}

}  // namespace
}  // namespace peixun::cli
