// Health follows the database: NOT_SERVING when MariaDB stops, SERVING again when it returns,
// without restarting the service. Uses its own MariaDB so other tests are not disturbed.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/catalog/catalog_migrations.h"
#include "services/catalog/catalog_service.h"
#include "tests/support/harness.h"

namespace peixun {
namespace {

using peixun::testing::OwnMariaDb;

grpc::health::v1::HealthCheckResponse::ServingStatus Check(grpc::health::v1::Health::Stub& stub,
                                                           const std::string& service) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (!stub.Check(&context, request, &response).ok()) return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  return response.status();
}

bool WaitFor(grpc::health::v1::Health::Stub& stub, grpc::health::v1::HealthCheckResponse::ServingStatus want) {
  for (int i = 0; i < 150; ++i) {
    if (Check(stub, "peixun.catalog.v1.CatalogService") == want) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

TEST(Health, FollowsTheDatabaseThroughARestart) {
  OwnMariaDb mariadb("health");
  auto options = testing::TestPlatformOptions("catalog", "peixun.catalog.v1.CatalogService", mariadb.Config(), catalog::Migrations());
  server::Platform platform(options);
  catalog::CatalogService service(platform);
  ASSERT_TRUE(platform.Start(&service).ok());
  auto stub = grpc::health::v1::Health::NewStub(testing::LoopbackChannel(platform.port()));
  using Status = grpc::health::v1::HealthCheckResponse;
  ASSERT_TRUE(WaitFor(*stub, Status::SERVING));
  EXPECT_EQ(Check(*stub, ""), Status::SERVING);

  mariadb.Run("stop");
  ASSERT_TRUE(WaitFor(*stub, Status::NOT_SERVING));
  // Calls fail as UNAVAILABLE, never with a wrong answer.
  auto catalog = catalog::v1::CatalogService::NewStub(testing::LoopbackChannel(platform.port()));
  catalog::v1::GetRegionRequest get;
  get.set_name("regions/41");
  catalog::v1::Region region;
  EXPECT_EQ(catalog->GetRegion(testing::ContextAs(auth::Role::kViewer).get(), get, &region).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  mariadb.Run("start");
  ASSERT_TRUE(WaitFor(*stub, Status::SERVING));
  EXPECT_EQ(catalog->GetRegion(testing::ContextAs(auth::Role::kViewer).get(), get, &region).error_code(),
            grpc::StatusCode::NOT_FOUND);

  platform.Shutdown();
  EXPECT_NE(Check(*stub, "peixun.catalog.v1.CatalogService"), Status::SERVING);
}

}  // namespace
}  // namespace peixun
