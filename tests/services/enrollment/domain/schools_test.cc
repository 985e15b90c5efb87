// Unit tests of a county's school registry (services/enrollment/domain/schools), named for
// their DOMAIN.md ids.
#include "services/enrollment/domain/schools.h"

#include "gtest/gtest.h"

namespace peixun::enrollment::domain {
namespace {

v1::School Row(const std::string& id, const std::string& name) {
  v1::School school;
  school.set_name(id);
  school.set_display_name(name);
  return school;
}

using Result = v1::ImportSchoolResult;

TEST(SchoolsTest, R1R32RowsAreCreatedRenamedOrUnchangedByIdAndNamesStayUniqueInTheCounty) {
  const std::map<std::string, std::string> existing = {{"yixiao", "第一小学"},
                                                       {"erxiao", "第二小学"}};
  auto d = DecideSchoolImport(
      "410225",
      {Row("yixiao", "第一小学"), Row("erxiao", "第二实验小学"),
       Row("regions/410225/schools/sanxiao", "第三小学"), Row("sixiao", "第二小学")},
      existing);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].outcome, Result::UNCHANGED);
  EXPECT_EQ(d[1].outcome, Result::RENAMED);
  EXPECT_EQ(d[2].outcome, Result::CREATED);
  EXPECT_EQ(d[2].id, "sanxiao");
  // "第二小学" was freed by the rename above it in the same call.
  EXPECT_EQ(d[3].outcome, Result::CREATED);

  auto clash = DecideSchoolImport("410225", {Row("wuxiao", "第一小学")}, existing);
  EXPECT_EQ(clash[0].outcome, Result::REFUSED);
  EXPECT_NE(clash[0].reason.find("schools[0].display_name"), std::string::npos) << clash[0].reason;
  EXPECT_NE(clash[0].reason.find("regions/410225/schools/yixiao"), std::string::npos)
      << clash[0].reason;
}

TEST(SchoolsTest, R1BadRowsAreRefusedAloneNamingTheirField) {
  auto d = DecideSchoolImport(
      "410225",
      {Row("", "某小学"), Row("Upper", "某小学"), Row("regions/410223/schools/x", "某小学"),
       Row("ok", ""), Row("ok", std::string(129, 'a')), Row("ok", "好小学"), Row("ok", "另一小学"),
       Row("ok2", "好小学")},
      {});
  ASSERT_EQ(d.size(), 8u);
  for (int i : {0, 1}) {
    EXPECT_EQ(d[i].outcome, Result::REFUSED) << i;
    EXPECT_NE(d[i].reason.find("schools[" + std::to_string(i) + "].name"), std::string::npos)
        << d[i].reason;
  }
  EXPECT_NE(d[2].reason.find("not a school of regions/410225"), std::string::npos) << d[2].reason;
  EXPECT_NE(d[3].reason.find("schools[3].display_name"), std::string::npos) << d[3].reason;
  EXPECT_NE(d[4].reason.find("128 bytes"), std::string::npos) << d[4].reason;
  EXPECT_EQ(d[5].outcome, Result::CREATED);
  EXPECT_EQ(d[6].outcome, Result::REFUSED);
  EXPECT_NE(d[6].reason.find("given twice"), std::string::npos) << d[6].reason;
  EXPECT_EQ(d[7].outcome, Result::REFUSED);
  EXPECT_NE(d[7].reason.find("given twice"), std::string::npos) << d[7].reason;
}

}  // namespace
}  // namespace peixun::enrollment::domain
