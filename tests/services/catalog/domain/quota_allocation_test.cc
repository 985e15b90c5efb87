// Unit tests of giving a region seats (services/catalog/domain/quota_allocation), named for
// their DOMAIN.md ids.
#include "services/catalog/domain/quota_allocation.h"

#include "common/util/status.h"
#include "gtest/gtest.h"
#include "tests/services/catalog/domain/test_regions.h"

namespace peixun::catalog::domain {
namespace {

const char kProject[] = "years/2022/projects/rural-chief";
const char kKaifengQuota[] = "years/2022/projects/rural-chief/quotas/4102";

// 开封市 given seats of a project with 100 seats, 30 of them already with other cities.
AllocationFacts CityFromProject(int32_t seats) {
  AllocationFacts facts;
  facts.project = "rural-chief";
  facts.region = Region("4102", "开封市", v1::CITY, "regions/41");
  facts.parent = {"project rural-chief", 100, 30};
  facts.parent_name = kProject;
  facts.seats = seats;
  return facts;
}

// 兰考县 holding 20 seats of 开封市's quota of 50 (of which 35 are given to its counties).
AllocationFacts CountyFromCity(int32_t seats) {
  AllocationFacts facts;
  facts.project = "rural-chief";
  facts.region = Region("410225", "兰考县", v1::COUNTY, "regions/4102");
  facts.from_city = "4102";
  facts.parent = {"city 4102 quota", 50, 35};
  facts.parent_name = kKaifengQuota;
  v1::QuotaAllocation existing;
  existing.set_name("years/2022/projects/rural-chief/quotas/410225");
  existing.set_level(v1::COUNTY);
  existing.set_parent(kKaifengQuota);
  existing.set_seats(20);
  facts.existing = existing;
  facts.seats = seats;
  return facts;
}

TEST(R3QuotaTree, ACityTakesSeatsOfTheProjectAndTheProjectCountsThem) {
  absl::StatusOr<Allocation> allocation = DecideAllocation(CityFromProject(40));
  ASSERT_TRUE(allocation.ok()) << allocation.status();
  EXPECT_EQ(allocation->ask, AllocationQuestion::kNone);
  EXPECT_EQ(allocation->level, v1::CITY);
  EXPECT_EQ(allocation->parent_allocated, 70);
}

TEST(R3QuotaTree, SeatsBeyondTheParentAreRefusedWithWhatIsLeft) {
  absl::StatusOr<Allocation> allocation = DecideAllocation(CityFromProject(71));
  ASSERT_EQ(allocation.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RuleOf(allocation.status()), "R-3");
  EXPECT_NE(allocation.status().message().find("at most 70"), std::string::npos)
      << allocation.status();
}

TEST(R3QuotaTree, ACountyTakesNoSeatsStraightFromTheProject) {
  AllocationFacts facts = CityFromProject(10);
  facts.region = Region("410225", "兰考县", v1::COUNTY, "regions/4102");
  absl::StatusOr<Allocation> allocation = DecideAllocation(facts);
  ASSERT_EQ(allocation.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(allocation.status()), "region");
  EXPECT_NE(allocation.status().message().find("兰考县"), std::string::npos);
}

TEST(R1QuotaTree, ACityGivesSeatsOnlyToItsOwnCounties) {
  AllocationFacts facts = CountyFromCity(20);
  facts.existing.reset();
  facts.region = Region("410122", "中牟县", v1::COUNTY, "regions/4101");
  absl::StatusOr<Allocation> allocation = DecideAllocation(facts);
  ASSERT_EQ(allocation.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(allocation.status().message().find("is not a county of city 4102"), std::string::npos)
      << allocation.status();
}

TEST(R1bDirectlyAdministered, ACountyLevelUnitTakesSeatsFromTheProjectAsACountyQuota) {
  AllocationFacts facts = CityFromProject(12);
  facts.region = Region("419001", "济源示范区", v1::CITY, "regions/41", true);
  absl::StatusOr<Allocation> allocation = DecideAllocation(facts);
  ASSERT_TRUE(allocation.ok()) << allocation.status();
  EXPECT_EQ(allocation->level, v1::COUNTY);
  EXPECT_EQ(allocation->parent_allocated, 42);
}

TEST(R1bDirectlyAdministered, ACountysSeatsOfAProjectComeFromOneParent) {
  AllocationFacts facts = CountyFromCity(25);
  facts.existing->set_parent(kProject);
  absl::StatusOr<Allocation> allocation = DecideAllocation(facts);
  ASSERT_EQ(allocation.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RuleOf(allocation.status()), "R-1b");
}

TEST(R7QuotaCut, ACutAsksForTheSeatsNominationsHoldBeforeDeciding) {
  absl::StatusOr<Allocation> allocation = DecideAllocation(CountyFromCity(15));
  ASSERT_TRUE(allocation.ok()) << allocation.status();
  EXPECT_EQ(allocation->ask, AllocationQuestion::kHeldSeats);
}

TEST(R7QuotaCut, AQuotaIsNotCutBelowItsNominationsAndTheRefusalNamesBothNumbers) {
  AllocationFacts facts = CountyFromCity(15);
  facts.held = 18;
  absl::StatusOr<Allocation> allocation = DecideAllocation(facts);
  ASSERT_EQ(allocation.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RuleOf(allocation.status()), "R-7");
  EXPECT_NE(allocation.status().message().find("holds 18 nominations in rural-chief"),
            std::string::npos)
      << allocation.status();
  EXPECT_NE(allocation.status().message().find("from 20 to 15"), std::string::npos);
}

TEST(R7QuotaCut, ACutDownToTheNominationsIsAllowedAndFreesTheCitysSeats) {
  AllocationFacts facts = CountyFromCity(15);
  facts.held = 15;
  absl::StatusOr<Allocation> allocation = DecideAllocation(facts);
  ASSERT_TRUE(allocation.ok()) << allocation.status();
  EXPECT_EQ(allocation->ask, AllocationQuestion::kNone);
  EXPECT_EQ(allocation->parent_allocated, 30);
}

TEST(R7QuotaCut, ARaiseNeedsNoCountOfNominations) {
  absl::StatusOr<Allocation> allocation = DecideAllocation(CountyFromCity(30));
  ASSERT_TRUE(allocation.ok()) << allocation.status();
  EXPECT_EQ(allocation->ask, AllocationQuestion::kNone);
  EXPECT_EQ(allocation->parent_allocated, 45);
}

TEST(R27ProjectCountySeats, MoreSeatsOfAProjectCountyCategoryAskForTheCountysStatus) {
  AllocationFacts facts = CountyFromCity(30);
  facts.project_county_category = true;
  absl::StatusOr<Allocation> allocation = DecideAllocation(facts);
  ASSERT_TRUE(allocation.ok()) << allocation.status();
  EXPECT_EQ(allocation->ask, AllocationQuestion::kProjectCountyStatus);

  facts.project_county = RuleError("R-27", "regions/410225 is not a project county in 2022");
  allocation = DecideAllocation(facts);
  ASSERT_EQ(allocation.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RuleOf(allocation.status()), "R-27");

  facts.project_county = absl::OkStatus();
  allocation = DecideAllocation(facts);
  ASSERT_TRUE(allocation.ok()) << allocation.status();
  EXPECT_EQ(allocation->parent_allocated, 45);
}

TEST(R27ProjectCountySeats, ACitysSeatsAndACutNeedNoProjectCountyStatus) {
  AllocationFacts city = CityFromProject(40);
  city.project_county_category = true;
  absl::StatusOr<Allocation> allocation = DecideAllocation(city);
  ASSERT_TRUE(allocation.ok()) << allocation.status();
  EXPECT_EQ(allocation->ask, AllocationQuestion::kNone);

  AllocationFacts cut = CountyFromCity(16);
  cut.project_county_category = true;
  cut.held = 10;
  allocation = DecideAllocation(cut);
  ASSERT_TRUE(allocation.ok()) << allocation.status();
  EXPECT_EQ(allocation->ask, AllocationQuestion::kNone);
}

}  // namespace
}  // namespace peixun::catalog::domain
