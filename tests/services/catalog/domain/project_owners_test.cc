// Unit tests of projects cities and counties run themselves (services/catalog/domain/
// project_owners), named for their DOMAIN.md ids.
#include "services/catalog/domain/project_owners.h"

#include "gtest/gtest.h"
#include "tests/services/catalog/domain/test_regions.h"

namespace peixun::catalog::domain {
namespace {

const v1::Region kKaifeng = Region("4102", "开封市", v1::CITY, "regions/41");
const v1::Region kQixian = Region("410221", "杞县", v1::COUNTY, "regions/4102");
const v1::Region kLankao = Region("410225", "兰考县", v1::COUNTY, "regions/4102", true);
const v1::Region kJiyuan = Region("419001", "济源示范区", v1::CITY, "regions/41", true);
const v1::Region kZhongmou = Region("410122", "中牟县", v1::COUNTY, "regions/4101");
const v1::Region kZhengzhou = Region("4101", "郑州市", v1::CITY, "regions/41");

TEST(ProjectOwnersTest, R32CityAndCountyProjectsNameAnOwnerOfTheirLevel) {
  EXPECT_TRUE(CheckOwner(common::v1::CITY, &kKaifeng, false).ok());
  EXPECT_TRUE(CheckOwner(common::v1::COUNTY, &kQixian, false).ok());
  // R-1a: 济源 is a city-level unit that is its own county-level unit: it runs both.
  EXPECT_TRUE(CheckOwner(common::v1::CITY, &kJiyuan, false).ok());
  EXPECT_TRUE(CheckOwner(common::v1::COUNTY, &kJiyuan, false).ok());

  absl::Status missing = CheckOwner(common::v1::COUNTY, nullptr, false);
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.message().find("project.owner"), std::string::npos) << missing;
  absl::Status county_runs_city = CheckOwner(common::v1::CITY, &kQixian, false);
  EXPECT_EQ(county_runs_city.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(county_runs_city.message().find("杞县"), std::string::npos) << county_runs_city;
  EXPECT_EQ(CheckOwner(common::v1::COUNTY, &kKaifeng, false).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ProjectOwnersTest, R32ProvinceLevelsHaveNoOwnerAndOwnedProjectsNoProjectCountyCategory) {
  EXPECT_TRUE(CheckOwner(common::v1::NATIONAL, nullptr, true).ok());
  absl::Status national = CheckOwner(common::v1::NATIONAL, &kKaifeng, false);
  EXPECT_EQ(national.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(national.message().find("project.owner"), std::string::npos) << national;
  EXPECT_EQ(CheckOwner(common::v1::PROVINCIAL, &kQixian, false).code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status r27 = CheckOwner(common::v1::COUNTY, &kQixian, true);
  EXPECT_EQ(r27.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r27.message().find("project.category"), std::string::npos) << r27;
}

TEST(ProjectOwnersTest, R32R1bSeatsGoToTheOwnerThroughTheQuotaTree) {
  // A city: straight from the project.
  auto city = OwnerSteps(kKaifeng);
  ASSERT_EQ(city.size(), 1u);
  EXPECT_EQ(city[0].from_city, "");
  EXPECT_EQ(city[0].region, "4102");
  // A county: project → its city → the county.
  auto county = OwnerSteps(kQixian);
  ASSERT_EQ(county.size(), 2u);
  EXPECT_EQ(county[0].from_city, "");
  EXPECT_EQ(county[0].region, "4102");
  EXPECT_EQ(county[1].from_city, "4102");
  EXPECT_EQ(county[1].region, "410221");
  // R-1a, R-1b: directly administered units take the seats straight from the project.
  for (const v1::Region& direct : {kLankao, kJiyuan}) {
    auto steps = OwnerSteps(direct);
    ASSERT_EQ(steps.size(), 1u) << direct.code();
    EXPECT_EQ(steps[0].from_city, "");
    EXPECT_EQ(steps[0].region, direct.code());
  }
}

TEST(ProjectOwnersTest, R32AnOwnedProjectsSeatsStayInsideItsOwnersRegion) {
  EXPECT_TRUE(CheckInsideOwner(kKaifeng, kKaifeng, "").ok());
  EXPECT_TRUE(CheckInsideOwner(kKaifeng, kQixian, "4102").ok());
  EXPECT_TRUE(CheckInsideOwner(kQixian, kQixian, "4102").ok());
  // The county's city carries the county's seats, from the project only.
  EXPECT_TRUE(CheckInsideOwner(kQixian, kKaifeng, "").ok());
  EXPECT_FALSE(CheckInsideOwner(kLankao, kKaifeng, "").ok());

  absl::Status outside = CheckInsideOwner(kKaifeng, kZhongmou, "4101");
  EXPECT_EQ(outside.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(outside.message().find("中牟县"), std::string::npos) << outside;
  EXPECT_NE(outside.message().find("R-32"), std::string::npos) << outside;
  EXPECT_FALSE(CheckInsideOwner(kQixian, kLankao, "4102").ok());
  EXPECT_FALSE(CheckInsideOwner(kQixian, kZhengzhou, "").ok());
}

}  // namespace
}  // namespace peixun::catalog::domain
