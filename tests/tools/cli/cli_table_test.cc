// peixunctl's tables: what an operator reads in a terminal.
#include "gtest/gtest.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "peixun/funding/v1/funding.pb.h"
#include "tools/cli/table.h"

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

}  // namespace
}  // namespace peixun::cli
