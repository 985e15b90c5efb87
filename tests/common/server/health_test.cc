// Health follows the database: NOT_SERVING when MariaDB stops, SERVING again when it returns,
// without restarting the service. Uses its own MariaDB so other tests are not disturbed.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
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
  if (!stub.Check(&context, request, &response).ok())
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  return response.status();
}

bool WaitFor(grpc::health::v1::Health::Stub& stub,
             grpc::health::v1::HealthCheckResponse::ServingStatus want) {
  for (int i = 0; i < 150; ++i) {
    if (Check(stub, "peixun.catalog.v1.CatalogService") == want) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

TEST(Health, FollowsTheDatabaseThroughARestart) {
  OwnMariaDb mariadb("health");
  auto options = testing::TestPlatformOptions("catalog", "peixun.catalog.v1.CatalogService",
                                              mariadb.Config(), catalog::Migrations());
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
  EXPECT_EQ(
      catalog->GetRegion(testing::ContextAs(auth::Role::kViewer).get(), get, &region).error_code(),
      grpc::StatusCode::UNAVAILABLE);

  mariadb.Run("start");
  ASSERT_TRUE(WaitFor(*stub, Status::SERVING));
  EXPECT_EQ(
      catalog->GetRegion(testing::ContextAs(auth::Role::kViewer).get(), get, &region).error_code(),
      grpc::StatusCode::NOT_FOUND);

  platform.Shutdown();
  EXPECT_NE(Check(*stub, "peixun.catalog.v1.CatalogService"), Status::SERVING);
}

// The /metrics text of a running service, through Debian's curl.
std::string Scrape(int port) {
  std::string text;
  FILE* pipe = popen(absl::StrCat("curl -sf http://127.0.0.1:", port, "/metrics").c_str(), "r");
  if (pipe == nullptr) return text;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  pclose(pipe);
  return text;
}

int SeriesCount(const std::string& text) {
  int series = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty() && line[0] != '#') ++series;
  }
  return series;
}

TEST(Metrics, MadeUpMethodNamesCountUnderOneLabelAndAddNoSeries) {
  testing::ScratchDatabase db;
  auto options = testing::TestPlatformOptions("catalog", "peixun.catalog.v1.CatalogService",
                                              db.config(), catalog::Migrations());
  server::Platform platform(options);
  catalog::CatalogService service(platform);
  ASSERT_TRUE(platform.Start(&service).ok());
  ASSERT_TRUE(testing::WaitServing(platform));
  grpc::GenericStub stub(testing::LoopbackChannel(platform.port()));
  auto call = [&](const std::string& method) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
      status = std::move(s);
      done.Notify();
    });
    done.WaitForNotification();
    return status;
  };
  EXPECT_EQ(call("/peixun.catalog.v1.CatalogService/Nothing0").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  const int before = SeriesCount(Scrape(platform.metrics_port()));
  ASSERT_GT(before, 0);
  for (int i = 1; i <= 500; ++i) {
    call(absl::StrCat(i % 2 ? "/peixun.catalog.v1.CatalogService/Nothing" : "/made.up.Service/M",
                      i));
  }
  const std::string after = Scrape(platform.metrics_port());
  EXPECT_LE(SeriesCount(after), before + 5) << "500 made-up method names added series";
  EXPECT_EQ(after.find("Nothing1"), std::string::npos);
  EXPECT_NE(after.find(R"(grpc_method="unknown")"), std::string::npos);
  platform.Shutdown();
}

}  // namespace
}  // namespace peixun
