// Unit tests of the platform's pure parts: filters, page tokens, names, tokens, migrations text.
#include "absl/time/time.h"
#include "common/auth/identity.h"
#include "common/db/migrations.h"
#include "common/util/clock.h"
#include "common/util/filter.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "gtest/gtest.h"

namespace peixun {
namespace {

TEST(Filter, ParsesConjunctionOfEqualities) {
  auto terms = ParseFilter(R"(level = "COUNTY" AND parent = regions/4101)", {"level", "parent"});
  ASSERT_TRUE(terms.ok()) << terms.status();
  EXPECT_EQ(terms->at("level"), "COUNTY");
  EXPECT_EQ(terms->at("parent"), "regions/4101");
}

TEST(Filter, AcceptsChineseQuotedValues) {
  auto terms = ParseFilter(R"(name = "兰考县")", {"name"});
  ASSERT_TRUE(terms.ok());
  EXPECT_EQ(terms->at("name"), "兰考县");
}

TEST(Filter, RefusesUnknownFieldNamingIt) {
  auto terms = ParseFilter(R"(colour = "red")", {"level"});
  ASSERT_EQ(terms.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(terms.status().message().find("colour"), std::string::npos);
  EXPECT_NE(terms.status().message().find("filter"), std::string::npos);
}

TEST(Filter, RefusesOperatorsOtherThanEquality) {
  EXPECT_EQ(ParseFilter("level > 3", {"level"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseFilter(R"(level = "a" OR level = "b")", {"level"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseFilter(R"(level = "unterminated)", {"level"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseFilter(R"(level = "a" AND level = "b")", {"level"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Filter, EmptyFilterMatchesEverything) {
  auto terms = ParseFilter("   ", {"level"});
  ASSERT_TRUE(terms.ok());
  EXPECT_TRUE(terms->empty());
}

TEST(Paging, PageSizeDefaultsCapsAndRefusesNegative) {
  EXPECT_EQ(*EffectivePageSize(0), kDefaultPageSize);
  EXPECT_EQ(*EffectivePageSize(5), 5);
  EXPECT_EQ(*EffectivePageSize(1000000), kMaxPageSize);
  auto negative = EffectivePageSize(-1);
  ASSERT_EQ(negative.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(negative.status().message().find("page_size"), std::string::npos);
}

TEST(Paging, TokenRoundTripsForTheSameQueryOnly) {
  std::string token = EncodePageToken("410105", "parent=regions/4101");
  EXPECT_EQ(*DecodePageToken(token, "parent=regions/4101"), "410105");
  EXPECT_EQ(DecodePageToken(token, "parent=regions/4102").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodePageToken("not a token!", "q").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*DecodePageToken("", "q"), "");
}

TEST(Names, ParsesPatternAndNamesFieldOnMismatch) {
  auto parts = ParseName("years/2022/projects/abc", "years/{year}/projects/{project}", "name");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->at("year"), "2022");
  EXPECT_EQ(parts->at("project"), "abc");
  auto bad = ParseName("years/2022/hosts/abc", "years/{year}/projects/{project}", "parent");
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("parent:", 0), 0u);
}

TEST(Names, IdsAreLowercaseLettersDigitsAndDashes) {
  EXPECT_TRUE(ValidateId("rural-backbone-2022", "id").ok());
  EXPECT_FALSE(ValidateId("Rural", "id").ok());
  EXPECT_FALSE(ValidateId("", "id").ok());
  EXPECT_FALSE(ValidateId(std::string(64, 'a'), "id").ok());
  EXPECT_FALSE(ValidateId("-x", "id").ok());
  EXPECT_FALSE(ParseYear("1999", "year").ok());
  EXPECT_EQ(*ParseYear("2022", "year"), 2022);
}

class TokenTest : public ::testing::Test {
 protected:
  const std::string key_ = "0123456789abcdef0123456789abcdef";
  FixedClock clock_{absl::FromUnixSeconds(1700000000)};
  auth::TokenVerifier verifier_{key_, clock_};

  std::string Sign(auth::Role role, const std::string& region, absl::Duration ttl) {
    auth::TokenClaims claims;
    claims.caller = {"clerk", role, region, ""};
    claims.expires = clock_.Now() + ttl;
    return auth::SignToken(claims, key_);
  }
};

TEST_F(TokenTest, VerifiesRoleAndRegion) {
  auto caller = verifier_.Verify(Sign(auth::Role::kCityAdmin, "4101", absl::Hours(1)));
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->role, auth::Role::kCityAdmin);
  EXPECT_EQ(caller->region_code, "4101");
  EXPECT_EQ(caller->subject, "clerk");
}

TEST_F(TokenTest, RefusesExpiredForgedAndMalformedTokens) {
  std::string token = Sign(auth::Role::kProvinceAdmin, "", absl::Hours(1));
  clock_.Set(clock_.Now() + absl::Hours(2));
  EXPECT_EQ(verifier_.Verify(token).status().code(), absl::StatusCode::kUnauthenticated);
  clock_.Set(absl::FromUnixSeconds(1700000000));
  auth::TokenVerifier other("another-key-0123456789abcdef012345", clock_);
  EXPECT_EQ(other.Verify(token).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(verifier_.Verify("abc").status().code(), absl::StatusCode::kUnauthenticated);
  std::string tampered = token;
  tampered[tampered.find('.') + 3] ^= 1;
  EXPECT_EQ(verifier_.Verify(tampered).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(TokenTest, CityAdminWithoutRegionIsRefused) {
  EXPECT_EQ(verifier_.Verify(Sign(auth::Role::kCityAdmin, "", absl::Hours(1))).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(Migrations, SplitsStatementsAndDropsComments) {
  auto statements = db::SplitStatements(
      "-- a comment\nCREATE TABLE a (x INT);\n\nCREATE TABLE b (\n  y INT\n);\nINSERT INTO a VALUES (1)");
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_EQ(statements[0], "CREATE TABLE a (x INT)");
  EXPECT_EQ(statements[2], "INSERT INTO a VALUES (1)");
}

}  // namespace
}  // namespace peixun
