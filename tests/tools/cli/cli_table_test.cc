// peixunctl's tables: what an operator reads in a terminal.
#include <cstdio>

#include "gtest/gtest.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "peixun/funding/v1/funding.pb.h"
#include "tools/cli/table.h"
#include "tools/cli/xlsx.h"

namespace peixun::cli {
namespace {

TEST(Table, ChineseTextIsTwoCellsWideAndPunctuationOne) {
  EXPECT_EQ(DisplayWidth("兰考县"), 6);
  EXPECT_EQ(DisplayWidth("regions/410225"), 14);
  EXPECT_EQ(DisplayWidth("河南…"), 5);
}

TEST(Table, RowsLineUpAndUnsetColumnsAreLeftOut) {
  enrollment::v1::RateReport report;
  report.set_year("years/2022");
  report.set_scope(enrollment::v1::GetRateReportRequest::COUNTY);
  auto* a = report.add_rows();
  a->set_key("regions/410225");
  a->set_display_name("兰考县");
  a->set_quota(10);
  a->set_nominated(9);
  auto* b = report.add_rows();
  b->set_key("regions/410223");
  b->set_display_name("尉氏县");
  b->set_quota(8);
  b->set_nominated(8);
  b->set_no_show(1);
  const std::string table = RenderTable(report);
  // Header, two rows, the report's own fields, the count.
  EXPECT_NE(table.find("key             display_name  quota  nominated  no_show"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("regions/410225  兰考县        10     9"), std::string::npos) << table;
  EXPECT_EQ(table.find("dismissed"), std::string::npos) << "a column no row sets is left out";
  EXPECT_NE(table.find("scope: COUNTY"), std::string::npos) << table;
  EXPECT_NE(table.find("(2 rows)"), std::string::npos) << table;
}

TEST(Table, ASingleMessageIsFieldLinesWithEnumsByName) {
  funding::v1::Decision decision;
  decision.set_name("years/2022/decisions/410225");
  decision.set_tier(funding::v1::HIGH);
  decision.set_amount_fen(300000000);
  decision.mutable_decide_time()->set_seconds(1656637200);  // 2022-07-01 09:00 +08:00
  const std::string lines = RenderTable(decision);
  EXPECT_NE(lines.find("tier         HIGH\n"), std::string::npos) << lines;
  EXPECT_NE(lines.find("amount_fen   300000000\n"), std::string::npos) << lines;
  EXPECT_NE(lines.find("decide_time  2022-07-01 09:00:00\n"), std::string::npos) << lines;
  EXPECT_EQ(lines.find("superseded"), std::string::npos) << "false and empty fields are left out";
}

// A county's at-risk list as administrators open it: two teachers, one column no row sets.
enrollment::v1::ListAtRiskTeachersResponse AtRisk() {
  enrollment::v1::ListAtRiskTeachersResponse list;
  auto* a = list.add_teachers();
  a->set_teacher("teachers/t1");
  a->set_cycle_start_year(2021);
  a->set_credit_hours(120);
  a->set_missing_credit_hours(240);
  auto* b = list.add_teachers();
  b->set_teacher("teachers/t2, \"王\"");  // a comma and quotes, as names may hold
  b->set_cycle_start_year(2021);
  b->set_credit_hours(0);
  b->set_missing_credit_hours(360);
  b->set_missing_off_site_days(7);
  return list;
}

TEST(Export, TheGridIsTheListsSetColumnsWithNumbersKeptAsNumbers) {
  const Grid grid = GridOf(AtRisk());
  EXPECT_EQ(grid.name, "teachers");
  EXPECT_EQ(grid.columns,
            (std::vector<std::string>{"teacher", "cycle_start_year", "credit_hours",
                                      "missing_credit_hours", "missing_off_site_days"}));
  ASSERT_EQ(grid.rows.size(), 2u);
  EXPECT_FALSE(grid.rows[0][0].number);
  EXPECT_TRUE(grid.rows[0][2].number);
  EXPECT_EQ(grid.rows[1][3].text, "360");
  EXPECT_TRUE(GridOf(funding::v1::Decision()).name.empty()) << "one message is no list";
}

TEST(Export, CsvIsUtf8WithAByteOrderMarkAndQuotesWhatNeedsIt) {
  const std::string csv = CsvOf(GridOf(AtRisk()));
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBFteacher,cycle_start_year,credit_hours,", 0), 0u) << csv;
  EXPECT_NE(csv.find("\r\nteachers/t1,2021,120,240,0\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\r\n\"teachers/t2, \"\"王\"\"\",2021,0,360,7\r\n"), std::string::npos) << csv;
}

TEST(Export, AWorkbookOpensInAnotherToolWithItsHeaderTextAndNumbers) {
  const std::string path = ::testing::TempDir() + "/at-risk.xlsx";
  ASSERT_TRUE(WriteXlsx(GridOf(AtRisk()), path).ok());
  // openpyxl (Debian's python3-openpyxl) reads what libxlsxwriter wrote.
  const std::string read =
      "/usr/bin/python3 -c \"import openpyxl,sys; s=openpyxl.load_workbook(sys.argv[1]).active; "
      "print(s.title); print(s.freeze_panes); "
      "[print('|'.join(repr(c.value) for c in r)) for r in s.iter_rows()]\" " +
      path;
  FILE* pipe = popen(read.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[1024];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) out += buffer;
  ASSERT_EQ(pclose(pipe), 0) << out;
  EXPECT_EQ(out,
            "teachers\nA2\n"
            "'teacher'|'cycle_start_year'|'credit_hours'|'missing_credit_hours'|"
            "'missing_off_site_days'\n"
            "'teachers/t1'|2021|120|240|0\n"
            "'teachers/t2, \"王\"'|2021|0|360|7\n");
  EXPECT_FALSE(WriteXlsx(GridOf(AtRisk()), "/nonexistent-dir/at-risk.xlsx").ok());
}

}  // namespace
}  // namespace peixun::cli
