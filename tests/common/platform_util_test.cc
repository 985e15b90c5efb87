// Unit tests of the platform's pure parts: filters, page tokens, names, tokens, migrations text.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "common/auth/identity.h"
#include "common/db/migrations.h"
#include "common/server/background.h"
#include "common/server/dependency.h"
#include "common/server/grpc_status.h"
#include "common/util/batcher.h"
#include "common/util/clock.h"
#include "common/util/filter.h"
#include "common/util/names.h"
#include "common/util/paging.h"
#include "common/util/regions.h"
#include "common/util/status.h"
#include "common/util/updates.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "openssl/hmac.h"
#include "peixun/common/v1/common.pb.h"

namespace peixun {
namespace {

TEST(BatcherTest, EveryItemRunsOnceAndItemsArrivingDuringABatchShareTheNext) {
  struct Item {
    int value = 0;
    int runs = 0;
    size_t batch_size = 0;
  };
  std::atomic<int> running{0}, most_running{0};
  Batcher<Item> batcher(8, 2, [&](std::vector<Item*>& batch) {
    int now = ++running;
    for (int seen = most_running.load();
         now > seen && !most_running.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a transaction's round trips
    for (Item* item : batch) {
      ++item->runs;
      item->batch_size = batch.size();
    }
    --running;
  });
  std::vector<Item> items(64);
  std::vector<std::thread> callers;
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].value = static_cast<int>(i);
    callers.emplace_back([&, i] { batcher.Submit(&items[i]); });
  }
  for (auto& caller : callers) caller.join();
  size_t largest = 0;
  for (const Item& item : items) {
    EXPECT_EQ(item.runs, 1) << item.value;
    largest = std::max(largest, item.batch_size);
  }
  EXPECT_EQ(batcher.items(), 64u);
  EXPECT_LT(batcher.batches(), 64u);  // 64 callers, 5 ms per batch: some batches carried several
  EXPECT_GT(largest, 1u);
  EXPECT_LE(largest, 8u);             // the batch limit
  EXPECT_LE(most_running.load(), 2);  // the limit on batches at a time
}

TEST(BatcherTest, ALoneItemRunsAtOnceByItself) {
  int calls = 0;
  size_t size = 0;
  Batcher<int> batcher(8, 2, [&](std::vector<int*>& batch) {
    ++calls;
    size = batch.size();
  });
  int item = 7;
  batcher.Submit(&item);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(size, 1u);
}

TEST(FileClockTest, EveryReaderFollowsTheFileWhenItMovesAndBadFilesAreNamed) {
  const std::string path = ::testing::TempDir() + "/file-clock-test";
  const absl::Time july = absl::FromCivil(absl::CivilSecond(2022, 7, 1, 9, 0, 0), ChinaTimeZone());
  ASSERT_TRUE(MoveFileClock(path, july).ok());
  auto first = FileClock::Open(path);
  auto second = FileClock::Open(path);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_LT(absl::AbsDuration((*first)->Now() - july), absl::Minutes(1));
  const absl::Time december =
      absl::FromCivil(absl::CivilSecond(2022, 12, 31, 9, 0, 0), ChinaTimeZone());
  ASSERT_TRUE(MoveFileClock(path, december).ok());
  EXPECT_LT(absl::AbsDuration((*first)->Now() - december), absl::Minutes(1));
  EXPECT_LT(absl::AbsDuration((*second)->Now() - december), absl::Minutes(1));

  const std::string bad = ::testing::TempDir() + "/file-clock-bad";
  for (const std::string& text : {std::string("2022-07-01\n"), std::string(100000, '9')}) {
    FILE* f = fopen(bad.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs(text.c_str(), f);
    fclose(f);
    auto refused = FileClock::Open(bad);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(refused.status().message().rfind("clock_file: " + bad, 0), 0u) << refused.status();
  }
  EXPECT_FALSE(FileClock::Open(::testing::TempDir() + "/no-such-clock").ok());
}

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

TEST(Paging, APageKeepsItsSizeAndItsTokenContinuesAfterTheLastKept) {
  auto page = Page::Of(2, "", "filter=x");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->limit(), 3);
  std::vector<std::string> read = {"a", "b", "c"};
  const std::string token = page->Keep(read, [](const std::string& key) { return key; });
  EXPECT_EQ(read, (std::vector<std::string>{"a", "b"}));
  auto next = Page::Of(2, token, "filter=x");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->after, "b");
  std::vector<std::string> last = {"c"};
  EXPECT_EQ(next->Keep(last, [](const std::string& key) { return key; }), "");
  EXPECT_EQ(last.size(), 1u);
  EXPECT_EQ(Page::Of(2, token, "filter=y").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Page::Of(-1, "", "q").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Filter, EnumAndBoolTermsNameWhatIsAllowed) {
  auto terms = ParseFilter("plan_level = NATIONAL AND active = true", {"plan_level", "active"});
  ASSERT_TRUE(terms.ok()) << terms.status();
  EXPECT_EQ(*EnumTerm<common::v1::PlanLevel>(*terms, "plan_level"), common::v1::NATIONAL);
  EXPECT_EQ(*BoolTerm(*terms, "active"), std::optional<bool>(true));
  EXPECT_EQ(*EnumTerm<common::v1::PlanLevel>(FilterTerms{}, "plan_level"),
            common::v1::PLAN_LEVEL_UNSPECIFIED);
  EXPECT_EQ(*BoolTerm(FilterTerms{}, "active"), std::nullopt);
  auto unknown = EnumTerm<common::v1::PlanLevel>({{"plan_level", "GALACTIC"}}, "plan_level");
  ASSERT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("NATIONAL, PROVINCIAL"), std::string::npos)
      << unknown.status();
  auto unspecified =
      EnumTerm<common::v1::PlanLevel>({{"plan_level", "PLAN_LEVEL_UNSPECIFIED"}}, "plan_level");
  EXPECT_EQ(unspecified.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BoolTerm({{"active", "yes"}}, "active").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Names, TypedNamesParseFormatAndNameTheField) {
  auto project = ProjectName::Parse("years/2022/projects/rural-chief", "parent");
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(project->year, 2022);
  EXPECT_EQ(project->Format(), "years/2022/projects/rural-chief");
  auto quota = QuotaName::Parse("years/2022/projects/rural-chief/quotas/410225", "name");
  ASSERT_TRUE(quota.ok()) << quota.status();
  EXPECT_EQ(quota->region, "410225");
  EXPECT_EQ(quota->Project().Format(), "years/2022/projects/rural-chief");
  EXPECT_EQ(quota->Format(), "years/2022/projects/rural-chief/quotas/410225");
  EXPECT_EQ(RegionName::Parse("regions/419001", "region")->Format(), "regions/419001");
  EXPECT_EQ(FieldOf(RegionName::Parse("regions/41a", "region").status()), "region");
  EXPECT_TRUE(RegionName::ParseCounty("regions/410225", "county").ok());
  EXPECT_FALSE(RegionName::ParseCounty("regions/4102", "county").ok());
  EXPECT_TRUE(RegionName::ParseCity("regions/4102", "city").ok());
  EXPECT_FALSE(RegionName::ParseCity("regions/410225", "city").ok());
  EXPECT_EQ(FieldOf(TeacherName::Parse("teachers/T1", "teacher").status()), "teacher");
  EXPECT_EQ(HostName::Parse("hosts/hnu", "host")->Format(), "hosts/hnu");
  EXPECT_EQ(YearName::Parse("years/1999", "parent").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Updates, EtagsAndMasksAreCheckedTheSameWayEverywhere) {
  EXPECT_TRUE(CheckEtag("", "v3", "years/2022").ok());
  EXPECT_TRUE(CheckEtag("v3", "v3", "years/2022").ok());
  absl::Status stale = CheckEtag("v2", "v3", "years/2022");
  ASSERT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_NE(stale.message().find("years/2022"), std::string::npos);
  google::protobuf::FieldMask mask;
  EXPECT_EQ(FieldOf(CheckUpdateMask(mask, {"seats"})), "update_mask");
  mask.add_paths("seats");
  EXPECT_TRUE(CheckUpdateMask(mask, {"seats", "host"}).ok());
  EXPECT_TRUE(InMask(mask, "seats"));
  EXPECT_FALSE(InMask(mask, "host"));
  mask.add_paths("id_number");
  absl::Status refused = CheckUpdateMask(mask, {"seats", "host"});
  EXPECT_EQ(FieldOf(refused), "update_mask");
  EXPECT_NE(refused.message().find("'id_number' cannot be updated"), std::string::npos);
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
    claims.issued = clock_.Now();
    return auth::SignToken(claims, key_);
  }
  absl::StatusCode Code(const auth::TokenClaims& claims) {
    return verifier_.Verify(auth::SignToken(claims, key_)).status().code();
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

TEST_F(TokenTest, AnExpiryNoTimeCanBeIsRefusedNotCast) {
  // Found by tests/fuzz/token_fuzz.cc: a correctly signed token with "exp": 1.8e106.
  auto base64url = [](absl::string_view text) {
    std::string out;
    absl::WebSafeBase64Escape(text, &out);
    return out;
  };
  for (const char* exp : {"1.8e106", "-5", "1e300"}) {
    const std::string input =
        absl::StrCat(base64url(R"({"alg":"HS256","typ":"JWT"})"), ".",
                     base64url(absl::StrCat(R"({"sub":"x","role":"viewer","exp":)", exp, "}")));
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
    const std::string token = absl::StrCat(
        input, ".", base64url(absl::string_view(reinterpret_cast<const char*>(mac), length)));
    auto verified = verifier_.Verify(token);
    EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnauthenticated) << exp;
    EXPECT_NE(verified.status().message().find("expir"), std::string::npos) << verified.status();
  }
}

TEST_F(TokenTest, CityAdminWithoutRegionIsRefused) {
  EXPECT_EQ(verifier_.Verify(Sign(auth::Role::kCityAdmin, "", absl::Hours(1))).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(TokenTest, LifetimeIssueTimeAndNotBeforeAreCheckedWithASmallLeeway) {
  auth::TokenClaims claims;
  claims.caller = {"clerk", auth::Role::kProvinceAdmin, "", ""};
  claims.issued = clock_.Now();
  claims.expires = clock_.Now() + absl::Hours(12);
  EXPECT_EQ(Code(claims), absl::StatusCode::kOk);
  claims.expires = clock_.Now() + absl::Hours(12) + absl::Seconds(1);  // too long-lived
  EXPECT_EQ(Code(claims), absl::StatusCode::kUnauthenticated);
  claims.issued = absl::FromUnixSeconds(1700000000) + absl::Minutes(5);  // issued in the future
  claims.expires = claims.issued + absl::Hours(1);
  EXPECT_EQ(Code(claims), absl::StatusCode::kUnauthenticated);
  claims.issued = clock_.Now() - absl::Hours(2);  // expired 30 s ago: within the leeway
  claims.expires = clock_.Now() - absl::Seconds(30);
  EXPECT_EQ(Code(claims), absl::StatusCode::kOk);
  claims.expires = clock_.Now() - absl::Seconds(61);
  EXPECT_EQ(Code(claims), absl::StatusCode::kUnauthenticated);
  // "exp": 9999 and no "iat": no lifetime can be told, so it is refused.
  const std::string no_iat = absl::StrCat(
      absl::WebSafeBase64Escape(R"({"alg":"HS256","typ":"JWT"})"), ".",
      absl::WebSafeBase64Escape(R"({"sub":"x","role":"province_admin","exp":253402300000})"));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(no_iat.data()), no_iat.size(), mac, &length);
  auto verified = verifier_.Verify(absl::StrCat(
      no_iat, ".",
      absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(mac), length))));
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(verified.status().message().find("iat"), std::string::npos) << verified.status();
}

TEST_F(TokenTest, RegionClaimsMustBeOfTheRolesLevel) {
  EXPECT_TRUE(verifier_.Verify(Sign(auth::Role::kCityAdmin, "419001", absl::Hours(1)))
                  .ok());  // 济源 (R-1a)
  // A six-digit city claim has the shape of 济源's; whether it names a city-level unit is the
  // region data's to say (ClaimChecks; token_integration_test refuses 410225 as a city).
  EXPECT_TRUE(verifier_.Verify(Sign(auth::Role::kCountyAdmin, "410225", absl::Hours(1))).ok());
  for (auto [role, region] : std::vector<std::pair<auth::Role, std::string>>{
           {auth::Role::kCityAdmin, "41"},      // a prefix of every county's code
           {auth::Role::kCountyAdmin, "4102"},  // a city
           {auth::Role::kCountyAdmin, "41022x"},
           {auth::Role::kExpert, "41"}}) {
    auto verified = verifier_.Verify(Sign(role, region, absl::Hours(1)));
    EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnauthenticated)
        << auth::RoleName(role) << " " << region;
    EXPECT_NE(verified.status().message().find(region), std::string::npos) << verified.status();
  }
  auth::TokenClaims teacher;
  teacher.caller = {"t1", auth::Role::kTeacher, "", ""};
  teacher.issued = clock_.Now();
  teacher.expires = clock_.Now() + absl::Hours(1);
  EXPECT_EQ(Code(teacher), absl::StatusCode::kUnauthenticated);  // not "teachers/{id}"
  teacher.caller.subject = "teachers/t1";
  EXPECT_EQ(Code(teacher), absl::StatusCode::kOk);
}

TEST(Background, NothingRunsBeforeStartAndEverythingStopsNewestFirst) {
  server::Background background;
  std::vector<std::string> events;
  absl::Mutex mu;
  auto note = [&](const std::string& what) {
    absl::MutexLock lock(&mu);
    events.push_back(what);
  };
  std::atomic<int> ticks{0};
  auto first = background.AddComponent(
      "first", [&] { note("start first"); }, [&] { note("stop first"); });
  auto loop = background.AddLoop("loop", absl::Milliseconds(5), [&] { ticks.fetch_add(1); });
  auto last = background.AddComponent(
      "last", [&] { note("start last"); }, [&] { note("stop last"); });
  absl::SleepFor(absl::Milliseconds(30));
  EXPECT_EQ(ticks.load(), 0) << "a loop must not run before the platform has migrated";
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(background.Names(), (std::vector<std::string>{"first", "loop", "last"}));

  background.Start();
  for (int i = 0; i < 400 && ticks.load() < 3; ++i) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_GE(ticks.load(), 3) << "a loop ticks every period";
  // Registered after the start: starts at once.
  auto late = background.AddComponent(
      "late", [&] { note("start late"); }, [&] { note("stop late"); });
  background.Stop();
  const int stopped_at = ticks.load();
  absl::SleepFor(absl::Milliseconds(30));
  EXPECT_EQ(ticks.load(), stopped_at) << "a stopped loop ticks no more";
  EXPECT_EQ(events, (std::vector<std::string>{"start first", "start last", "start late",
                                              "stop late", "stop last", "stop first"}));
  background.Start();  // once only
  EXPECT_EQ(events.size(), 6u);
}

TEST(Background, ARegistrationGoneStopsItsTaskAlone) {
  server::Background background;
  std::atomic<int> kept{0}, dropped{0};
  auto keep = background.AddLoop("kept", absl::Milliseconds(5), [&] { kept.fetch_add(1); });
  background.Start();
  {
    auto drop = background.AddLoop("dropped", absl::Milliseconds(5), [&] { dropped.fetch_add(1); });
    for (int i = 0; i < 400 && dropped.load() < 2; ++i) absl::SleepFor(absl::Milliseconds(5));
  }
  const int after = dropped.load();
  EXPECT_GE(after, 2);
  const int kept_before = kept.load();
  for (int i = 0; i < 400 && kept.load() < kept_before + 3; ++i)
    absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(dropped.load(), after) << "its registration is gone";
  EXPECT_GE(kept.load(), kept_before + 3) << "the other loop goes on";
  EXPECT_EQ(background.Names(), (std::vector<std::string>{"kept"}));
}

// AIP-193: the rule or field an error names travels as a detail, over gRPC too.
TEST(ErrorContract, RulesAndFieldsAreDetailsThatSurviveTheWire) {
  absl::Status rule = RuleError("R-1a", "济源 is a county-level unit");
  EXPECT_EQ(rule.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(rule.message(), "R-1a 济源 is a county-level unit");
  EXPECT_EQ(RuleOf(rule), "R-1a");
  EXPECT_EQ(FieldOf(rule), "");
  grpc::Status sent = ToGrpcStatus(rule);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(sent.error_details()));
  EXPECT_EQ(details.code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "R_1A");
  EXPECT_EQ(info.domain(), "peixun");
  EXPECT_EQ(info.metadata().at("rule"), "R-1a");

  absl::Status repeated = RuleError(absl::StatusCode::kAlreadyExists, "R-13", "already enrolled");
  EXPECT_EQ(repeated.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(RuleOf(repeated), "R-13");

  absl::Status field = FieldError("project.seats", "must be >= 1");
  EXPECT_EQ(FieldOf(field), "project.seats");
  EXPECT_EQ(RuleOf(field), "");
  google::rpc::Status field_details;
  ASSERT_TRUE(field_details.ParseFromString(ToGrpcStatus(field).error_details()));
  google::rpc::BadRequest bad;
  ASSERT_TRUE(field_details.details(0).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).field(), "project.seats");
  EXPECT_EQ(bad.field_violations(0).description(), "must be >= 1");

  // A plain error has no details at all.
  EXPECT_TRUE(ToGrpcStatus(absl::NotFoundError("gone")).error_details().empty());
}

TEST(ErrorContract, ADependencysFailureKeepsItsMeaningAndItsRule) {
  auto from = [](grpc::StatusCode code) {
    return server::DependencyError(grpc::Status(code, "no"),
                                   "evaluation (127.0.0.1:1) did not answer")
        .code();
  };
  EXPECT_EQ(from(grpc::StatusCode::UNAVAILABLE), absl::StatusCode::kUnavailable);
  EXPECT_EQ(from(grpc::StatusCode::DEADLINE_EXCEEDED), absl::StatusCode::kUnavailable);
  // This service's own credential refused is not the caller's precondition to fix.
  EXPECT_EQ(from(grpc::StatusCode::UNAUTHENTICATED), absl::StatusCode::kInternal);
  EXPECT_EQ(from(grpc::StatusCode::PERMISSION_DENIED), absl::StatusCode::kInternal);
  EXPECT_EQ(from(grpc::StatusCode::INVALID_ARGUMENT), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(from(grpc::StatusCode::FAILED_PRECONDITION), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(from(grpc::StatusCode::NOT_FOUND), absl::StatusCode::kFailedPrecondition);

  absl::Status passed =
      server::DependencyError(ToGrpcStatus(RuleError("R-26", "nothing published")),
                              "evaluation (127.0.0.1:1) did not answer ListRounds");
  EXPECT_EQ(passed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RuleOf(passed), "R-26");
  EXPECT_EQ(passed.message(),
            "evaluation (127.0.0.1:1) did not answer ListRounds: R-26 nothing published");
}

TEST(Migrations, SplitsStatementsAndDropsComments) {
  auto statements = db::SplitStatements(
      "-- a comment\nCREATE TABLE a (x INT);\n\nCREATE TABLE b (\n  y INT\n);\nINSERT INTO a "
      "VALUES (1)");
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_EQ(statements[0], "CREATE TABLE a (x INT)");
  EXPECT_EQ(statements[2], "INSERT INTO a VALUES (1)");
}

TEST(RegionScope, R1CityScopeFollowsTheParentInTheRegionDataNotTheCodesPrefix) {
  const std::vector<RegionFacts> regions = {
      {"41", "", false, false},        {"4102", "41", true, false},  // 开封市
      {"410223", "4102", false, true},                               // 尉氏县
      {"410225", "4102", false, true},  // 兰考县, directly administered (R-1b): still 开封's
      {"410299", "4101", false, true},  // a county whose code says 开封 and whose data says 郑州
      {"419001", "41", true, true},     // 济源示范区 (R-1a): its own county-level unit
      {"4101", "41", true, false},      // 郑州市
  };
  EXPECT_EQ(CountyUnitsOfCity(regions, "4102"), (std::vector<std::string>{"410223", "410225"}));
  EXPECT_EQ(CountyUnitsOfCity(regions, "4101"), std::vector<std::string>{"410299"});
  EXPECT_EQ(CountyUnitsOfCity(regions, "419001"), std::vector<std::string>{"419001"});
  EXPECT_TRUE(CountyUnitsOfCity(regions, "41").empty());  // the province is no city
  EXPECT_TRUE(CountyUnitsOfCity(regions, "").empty());
  EXPECT_EQ(CityOfCountyUnit(regions[4]), "4101");
  EXPECT_EQ(CityOfCountyUnit(regions[5]), "419001");
  EXPECT_FALSE(InCity(regions[1], "4102"));  // a city is not a county-level unit of itself
}

}  // namespace
}  // namespace peixun
