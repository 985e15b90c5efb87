// Unit tests of certificates of hours, pure, named for their rules.
#include "services/enrollment/domain/hours_certificate.h"

#include <set>

#include "gtest/gtest.h"

namespace peixun::enrollment::domain {
namespace {

CertifiedEntry Entry(int64_t id, int hours, int days) {
  CertifiedEntry e;
  e.entry_id = id;
  e.hours = hours;
  e.off_site_days = days;
  return e;
}

TEST(R34, TheDigestIsTheLedgersSameForTheSameEntriesAndNewOnceAnEntryIsAdded) {
  const std::vector<CertifiedEntry> entries = {Entry(1, 80, 10), Entry(7, 24, 0)};
  const std::string digest = LedgerDigest("t1", 2021, entries);
  EXPECT_EQ(digest.size(), 64u);
  EXPECT_EQ(LedgerDigest("t1", 2021, entries), digest);
  std::vector<CertifiedEntry> more = entries;
  more.push_back(Entry(9, 40, 0));
  EXPECT_NE(LedgerDigest("t1", 2021, more), digest);
  EXPECT_NE(LedgerDigest("t2", 2021, entries), digest);  // another teacher
  EXPECT_NE(LedgerDigest("t1", 2026, entries), digest);  // another cycle
  std::vector<CertifiedEntry> changed = entries;
  changed[1].hours = 20;
  EXPECT_NE(LedgerDigest("t1", 2021, changed), digest);
}

TEST(R34, ACodeIsSixteenBase32CharactersInFoursAndReadsBackAsTyped) {
  std::array<unsigned char, 10> random{};
  EXPECT_EQ(CertificateCodeOf(random), "0000-0000-0000-0000");
  random.fill(0xFF);
  EXPECT_EQ(CertificateCodeOf(random), "ZZZZ-ZZZZ-ZZZZ-ZZZZ");
  random = {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x0F, 0x1E};
  const std::string code = CertificateCodeOf(random);
  EXPECT_EQ(code, "28T5-CY4T-QKFF-03RY");
  // Typed in lower case, without dashes, with O for 0: the same code; I and L read as 1.
  EXPECT_EQ(NormalizeCertificateCode("28t5cy4tqkffO3ry", "name").value(), code);
  EXPECT_EQ(NormalizeCertificateCode("28T5 CY4T QKFF 03RY", "name").value(), code);
  EXPECT_EQ(NormalizeCertificateCode("i1l1-0000-0000-0000", "name").value(), "1111-0000-0000-0000");
  for (const char* bad : {"", "28T5-CY4T-QKFF-03R", "28T5-CY4T-QKFF-03RY0", "28T5-CY4T-QKFF-03RU",
                          "28T5-CY4T-QKFF-03R?"}) {
    const auto normalized = NormalizeCertificateCode(bad, "name");
    EXPECT_EQ(normalized.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(normalized.status().message().rfind("name", 0), 0u) << bad;
  }
}

TEST(R34R36, AVerifierSeesTheNameMasked) {
  EXPECT_EQ(MaskName("张明远"), "张*远");
  EXPECT_EQ(MaskName("欧阳明远"), "欧**远");
  EXPECT_EQ(MaskName("李娜"), "李*");
  EXPECT_EQ(MaskName("王"), "*");
  EXPECT_EQ(MaskName(""), "");
}

TEST(R14R34, TheTotalsAreTheEntriesAndEachLevelHasItsChineseName) {
  CertificateContent content;
  content.entries = {Entry(1, 80, 10), Entry(2, 24, 0), Entry(3, 40, 5)};
  EXPECT_EQ(content.CreditHours(), 144);
  EXPECT_EQ(content.OffSiteDays(), 15);
  std::set<std::string> labels;
  for (auto level : {common::v1::NATIONAL, common::v1::PROVINCIAL, common::v1::CITY,
                     common::v1::COUNTY, common::v1::SCHOOL, common::v1::PLAN_LEVEL_UNSPECIFIED})
    labels.insert(LevelLabel(level));
  EXPECT_EQ(labels, (std::set<std::string>{"国培", "省培", "市培", "县培", "校本研修", "其他"}));
}

}  // namespace
}  // namespace peixun::enrollment::domain
