// Catalog through a real server on loopback against a fresh MariaDB database: every RPC,
// pagination, filters, etags, idempotency, quota races (R-3), budgets (R-4), events, metrics.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/events/outbox.h"
#include "gtest/gtest.h"
#include "services/catalog/catalog_migrations.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/project_counties.h"
#include "services/funding/funding_migrations.h"
#include "services/funding/funding_service.h"
#include "tests/support/harness.h"

namespace peixun::catalog {
namespace {

using auth::Role;
using peixun::testing::ContextAs;

std::string DemoRegionsCsv() {
  // Province, two cities, and five counties of each.
  std::string csv =
      "code,name,parent_code,level\n41,河南省,,province\n4101,郑州市,41,city\n4102,开封市,41,"
      "city\n";
  for (int i = 1; i <= 5; ++i) {
    absl::StrAppend(&csv, absl::StrFormat("41012%d,郑州县%d,4101,county\n", i, i));
    absl::StrAppend(&csv, absl::StrFormat("41022%d,开封县%d,4102,county\n", i, i));
  }
  return csv;
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    platform_ = std::make_unique<server::Platform>(peixun::testing::TestPlatformOptions(
        "catalog", "peixun.catalog.v1.CatalogService", db_.config(), catalog::Migrations()));
    service_ = std::make_unique<CatalogService>(*platform_);
    ASSERT_TRUE(platform_->Start(service_.get()).ok());
    ASSERT_TRUE(peixun::testing::WaitServing(*platform_));
    stub_ = v1::CatalogService::NewStub(peixun::testing::LoopbackChannel(platform_->port()));
  }

  void TearDown() override { platform_->Shutdown(); }

  grpc::Status ImportRegions(const std::string& csv, v1::ImportRegionsResponse* out = nullptr) {
    v1::ImportRegionsRequest request;
    request.set_csv(csv);
    v1::ImportRegionsResponse response;
    auto status = stub_->ImportRegions(ContextAs(Role::kProvinceAdmin).get(), request, &response);
    if (out != nullptr) *out = response;
    return status;
  }

  // Regions, the 2022 year, one category, one host, and project "p1" with `seats` seats.
  void SeedProject(int seats) {
    ASSERT_TRUE(ImportRegions(DemoRegionsCsv()).ok());
    v1::CreateYearRequest year;
    year.mutable_plan_year()->set_year(2022);
    auto* deadline = year.mutable_plan_year()->mutable_nomination_deadline();
    deadline->set_year(2022);
    deadline->set_month(8);
    deadline->set_day(31);
    v1::PlanYear created_year;
    ASSERT_TRUE(stub_->CreateYear(ContextAs(Role::kProvinceAdmin).get(), year, &created_year).ok());
    v1::CreateCategoryRequest category;
    category.set_parent("years/2022");
    category.set_category_id("rural-backbone");
    category.mutable_category()->set_display_name("农村骨干教师能力提升培训");
    category.mutable_category()->set_plan_level(common::v1::NATIONAL);
    v1::ProjectCategory created_category;
    ASSERT_TRUE(
        stub_->CreateCategory(ContextAs(Role::kProvinceAdmin).get(), category, &created_category)
            .ok());
    v1::CreateHostRequest host;
    host.set_host_id("henu");
    host.mutable_host()->set_display_name("河南大学");
    host.mutable_host()->set_region("regions/4102");
    v1::HostInstitution created_host;
    ASSERT_TRUE(stub_->CreateHost(ContextAs(Role::kProvinceAdmin).get(), host, &created_host).ok());
    auto status = CreateProject("p1", seats, &project_);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  v1::CreateProjectRequest ProjectRequest(const std::string& id, int seats) {
    v1::CreateProjectRequest request;
    request.set_parent("years/2022");
    request.set_project_id(id);
    auto* p = request.mutable_project();
    p->set_display_name("乡村骨干教师素质提升");
    p->set_category("years/2022/categories/rural-backbone");
    p->set_host("hosts/henu");
    p->set_seats(seats);
    p->set_credit_hours(120);
    p->mutable_format()->set_centralized_days(15);
    p->mutable_format()->set_online_hours(30);
    p->mutable_start_date()->set_year(2022);
    p->mutable_start_date()->set_month(10);
    p->mutable_start_date()->set_day(10);
    p->mutable_end_date()->set_year(2022);
    p->mutable_end_date()->set_month(10);
    p->mutable_end_date()->set_day(24);
    return request;
  }

  grpc::Status CreateProject(const std::string& id, int seats, v1::Project* out) {
    return stub_->CreateProject(ContextAs(Role::kProvinceAdmin).get(), ProjectRequest(id, seats),
                                out);
  }

  grpc::Status Allocate(const std::string& parent, const std::string& region, int seats,
                        v1::QuotaAllocation* out, Role role = Role::kProvinceAdmin,
                        const std::string& caller_region = "") {
    v1::AllocateQuotaRequest request;
    request.set_parent(parent);
    request.set_region(region);
    request.set_seats(seats);
    return stub_->AllocateQuota(ContextAs(role, caller_region).get(), request, out);
  }

  peixun::testing::ScratchDatabase db_;
  std::unique_ptr<server::Platform> platform_;
  std::unique_ptr<CatalogService> service_;
  std::unique_ptr<v1::CatalogService::Stub> stub_;
  v1::Project project_;
};

TEST_F(CatalogTest, CallWithoutTokenIsUnauthenticated) {
  grpc::ClientContext context;
  v1::GetRegionRequest request;
  request.set_name("regions/41");
  v1::Region region;
  EXPECT_EQ(stub_->GetRegion(&context, request, &region).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(CatalogTest, ImportRegionsCountsAndIsRepeatable) {
  v1::ImportRegionsResponse first;
  ASSERT_TRUE(ImportRegions(DemoRegionsCsv(), &first).ok());
  EXPECT_EQ(first.created(), 13);
  v1::ImportRegionsResponse second;
  ASSERT_TRUE(ImportRegions(DemoRegionsCsv(), &second).ok());
  EXPECT_EQ(second.created(), 0);
  EXPECT_EQ(second.unchanged(), 13);
  v1::Region region;
  v1::GetRegionRequest get;
  get.set_name("regions/410123");
  ASSERT_TRUE(stub_->GetRegion(ContextAs(Role::kViewer).get(), get, &region).ok());
  EXPECT_EQ(region.display_name(), "郑州县3");
  EXPECT_EQ(region.parent(), "regions/4101");
  EXPECT_EQ(region.level(), v1::COUNTY);
}

TEST_F(CatalogTest, ImportRegionsRefusesOrphanAndChangesNothing) {
  grpc::Status status = ImportRegions(
      "code,name,parent_code,level\n41,河南省,,province\n4101,郑州市,41,city\n419999,无主县,4199,"
      "county\n");
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("line 4"), std::string::npos);
  EXPECT_EQ(db_.QueryValue("SELECT COUNT(*) FROM regions"), "0");
}

TEST_F(CatalogTest, ImportRegionsIsForProvinceAdminsOnly) {
  v1::ImportRegionsRequest request;
  request.set_csv(DemoRegionsCsv());
  v1::ImportRegionsResponse response;
  EXPECT_EQ(stub_->ImportRegions(ContextAs(Role::kCityAdmin, "4101").get(), request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CatalogTest, ListRegionsPaginatesToTheEndWithFilter) {
  ASSERT_TRUE(ImportRegions(DemoRegionsCsv()).ok());
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListRegionsRequest request;
    request.set_page_size(2);
    request.set_page_token(token);
    request.set_filter(R"(level = "COUNTY" AND parent = "regions/4102")");
    v1::ListRegionsResponse response;
    ASSERT_TRUE(stub_->ListRegions(ContextAs(Role::kViewer).get(), request, &response).ok());
    for (const auto& r : response.regions()) seen.push_back(r.code());
    token = response.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"410221", "410222", "410223", "410224", "410225"}));
}

TEST_F(CatalogTest, ListRejectsBadPagingAndFilters) {
  v1::ListRegionsRequest request;
  request.set_page_size(-1);
  v1::ListRegionsResponse response;
  grpc::Status status = stub_->ListRegions(ContextAs(Role::kViewer).get(), request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("page_size"), std::string::npos);
  request.set_page_size(1);
  request.set_filter("colour = red");
  status = stub_->ListRegions(ContextAs(Role::kViewer).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.set_filter("");
  request.set_page_token("garbage");
  status = stub_->ListRegions(ContextAs(Role::kViewer).get(), request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("page_token"), std::string::npos);
}

TEST_F(CatalogTest, CreateAndGetProjectWithPlanLevelFromCategory) {
  SeedProject(100);
  EXPECT_EQ(project_.name(), "years/2022/projects/p1");
  EXPECT_EQ(project_.plan_level(), common::v1::NATIONAL);
  EXPECT_EQ(project_.class_size(), 50);
  v1::GetProjectRequest get;
  get.set_name("years/2022/projects/p1");
  v1::Project fetched;
  ASSERT_TRUE(stub_->GetProject(ContextAs(Role::kCountyAdmin, "410121").get(), get, &fetched).ok());
  EXPECT_EQ(fetched.display_name(), "乡村骨干教师素质提升");
  EXPECT_EQ(fetched.seats(), 100);
  EXPECT_EQ(fetched.format().online_hours(), 30);
  EXPECT_FALSE(fetched.format().delivered_in_county());
  // R-14: 送教下乡 is said on the format, and kept.
  v1::UpdateProjectRequest update;
  *update.mutable_project() = fetched;
  update.mutable_project()->mutable_format()->set_delivered_in_county(true);
  update.mutable_update_mask()->add_paths("format");
  v1::Project updated;
  ASSERT_TRUE(stub_->UpdateProject(ContextAs(Role::kProvinceAdmin).get(), update, &updated).ok());
  EXPECT_TRUE(updated.format().delivered_in_county());
  ASSERT_TRUE(stub_->GetProject(ContextAs(Role::kViewer).get(), get, &fetched).ok());
  EXPECT_TRUE(fetched.format().delivered_in_county());
  EXPECT_EQ(fetched.format().online_hours(), 30);
  get.set_name("years/2022/projects/missing");
  EXPECT_EQ(stub_->GetProject(ContextAs(Role::kViewer).get(), get, &fetched).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(CatalogTest, CreateProjectRefusesBadInputNamingTheField) {
  SeedProject(100);
  struct Case {
    std::function<void(v1::CreateProjectRequest&)> mutate;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](auto& r) { r.mutable_project()->set_seats(-3); }, "project.seats"},
      {[](auto& r) { r.mutable_project()->mutable_end_date()->set_month(9); }, "project.end_date"},
      {[](auto& r) { r.mutable_project()->set_host("hosts/nowhere"); }, "project.host"},
      {[](auto& r) { r.mutable_project()->set_category("years/2022/categories/none"); },
       "project.category"},
      {[](auto& r) { r.mutable_project()->mutable_audience()->add_regions("regions/419999"); },
       "project.audience.regions"},
      {[](auto& r) { r.set_project_id("Bad Id"); }, "project_id"},
      {[](auto& r) { r.set_parent("years/abc"); }, "parent"},
  };
  for (const auto& c : cases) {
    auto request = ProjectRequest("p2", 10);
    c.mutate(request);
    v1::Project out;
    grpc::Status status =
        stub_->CreateProject(ContextAs(Role::kProvinceAdmin).get(), request, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(status.error_message().rfind(c.field + ":", 0), 0u) << status.error_message();
  }
  EXPECT_EQ(db_.QueryValue("SELECT COUNT(*) FROM projects"), "1");
}

TEST_F(CatalogTest, CreateProjectTwiceIsAlreadyExists) {
  SeedProject(100);
  v1::Project out;
  EXPECT_EQ(CreateProject("p1", 5, &out).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(CatalogTest, RetriedRequestIdReturnsFirstAnswerAndChangesNothing) {
  SeedProject(100);
  auto request = ProjectRequest("", 40);  // server-generated id
  request.set_request_id("create-p-42");
  v1::Project first;
  v1::Project second;
  ASSERT_TRUE(stub_->CreateProject(ContextAs(Role::kProvinceAdmin).get(), request, &first).ok());
  ASSERT_TRUE(stub_->CreateProject(ContextAs(Role::kProvinceAdmin).get(), request, &second).ok());
  EXPECT_EQ(first.name(), second.name());
  EXPECT_EQ(db_.QueryValue("SELECT COUNT(*) FROM projects"), "2");
  request.mutable_project()->set_seats(41);
  v1::Project third;
  grpc::Status status =
      stub_->CreateProject(ContextAs(Role::kProvinceAdmin).get(), request, &third);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("request_id"), std::string::npos);
  EXPECT_EQ(db_.QueryValue("SELECT COUNT(*) FROM projects"), "2");
}

TEST_F(CatalogTest, ConcurrentRetriesOfOneRequestIdApplyOnce) {
  SeedProject(100);
  auto request = ProjectRequest("", 7);
  request.set_request_id("same-id-everywhere");
  std::vector<std::thread> threads;
  std::vector<std::string> names(8);
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      v1::Project out;
      if (stub_->CreateProject(ContextAs(Role::kProvinceAdmin).get(), request, &out).ok())
        names[i] = out.name();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& n : names) EXPECT_EQ(n, names[0]);
  EXPECT_FALSE(names[0].empty());
  EXPECT_EQ(db_.QueryValue("SELECT COUNT(*) FROM projects"), "2");
}

TEST_F(CatalogTest, ListProjectsFiltersAndPaginates) {
  SeedProject(100);
  for (int i = 2; i <= 7; ++i) {
    v1::Project out;
    ASSERT_TRUE(CreateProject(absl::StrCat("p", i), 10, &out).ok());
  }
  std::vector<std::string> ids;
  std::string token;
  do {
    v1::ListProjectsRequest request;
    request.set_parent("years/2022");
    request.set_page_size(3);
    request.set_page_token(token);
    request.set_filter(R"(host = "hosts/henu" AND plan_level = "NATIONAL")");
    v1::ListProjectsResponse response;
    ASSERT_TRUE(stub_->ListProjects(ContextAs(Role::kViewer).get(), request, &response).ok());
    for (const auto& p : response.projects()) ids.push_back(p.name());
    token = response.next_page_token();
  } while (!token.empty());
  EXPECT_EQ(ids.size(), 7u);
  v1::ListProjectsRequest none;
  none.set_parent("years/2022");
  none.set_filter(R"(plan_level = "PROVINCIAL")");
  v1::ListProjectsResponse empty;
  ASSERT_TRUE(stub_->ListProjects(ContextAs(Role::kViewer).get(), none, &empty).ok());
  EXPECT_EQ(empty.projects_size(), 0);
  EXPECT_TRUE(empty.next_page_token().empty());
}

TEST_F(CatalogTest, UpdateProjectWithStaleEtagIsAborted) {
  SeedProject(100);
  v1::UpdateProjectRequest update;
  *update.mutable_project() = project_;
  update.mutable_project()->set_seats(120);
  update.mutable_update_mask()->add_paths("seats");
  v1::Project updated;
  ASSERT_TRUE(stub_->UpdateProject(ContextAs(Role::kProvinceAdmin).get(), update, &updated).ok());
  EXPECT_EQ(updated.seats(), 120);
  EXPECT_NE(updated.etag(), project_.etag());
  update.mutable_project()->set_seats(130);  // still carries the old etag
  v1::Project stale;
  EXPECT_EQ(
      stub_->UpdateProject(ContextAs(Role::kProvinceAdmin).get(), update, &stale).error_code(),
      grpc::StatusCode::ABORTED);
  update.mutable_update_mask()->add_paths("allocated_seats");
  EXPECT_EQ(
      stub_->UpdateProject(ContextAs(Role::kProvinceAdmin).get(), update, &stale).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CatalogTest, R3QuotaTreeNeverExceedsItsParent) {
  SeedProject(100);
  v1::QuotaAllocation city;
  ASSERT_TRUE(Allocate("years/2022/projects/p1", "regions/4101", 60, &city).ok());
  v1::QuotaAllocation other;
  grpc::Status over = Allocate("years/2022/projects/p1", "regions/4102", 41, &other);
  ASSERT_EQ(over.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(over.error_message().rfind("R-3", 0), 0u);
  ASSERT_TRUE(Allocate("years/2022/projects/p1", "regions/4102", 40, &other).ok());

  // The city admin of 郑州 splits its 60 seats among its counties.
  const std::string zhengzhou = "years/2022/projects/p1/quotas/4101";
  v1::QuotaAllocation county;
  ASSERT_TRUE(Allocate(zhengzhou, "regions/410121", 35, &county, Role::kCityAdmin, "4101").ok());
  EXPECT_EQ(county.parent(), zhengzhou);
  EXPECT_EQ(
      Allocate(zhengzhou, "regions/410122", 26, &county, Role::kCityAdmin, "4101").error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  // Another city's admin, a county admin, and a county of another city are refused.
  EXPECT_EQ(
      Allocate(zhengzhou, "regions/410122", 5, &county, Role::kCityAdmin, "4102").error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      Allocate(zhengzhou, "regions/410122", 5, &county, Role::kCountyAdmin, "410122").error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status wrong_county = Allocate(zhengzhou, "regions/410221", 5, &county);
  ASSERT_EQ(wrong_county.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(wrong_county.error_message().rfind("region:", 0), 0u);
  EXPECT_EQ(Allocate(zhengzhou, "regions/419999", 5, &county).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Allocate(zhengzhou, "regions/410122", -1, &county).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A city cannot drop below what it passed on; a project cannot drop below its allocation.
  EXPECT_EQ(Allocate("years/2022/projects/p1", "regions/4101", 30, &city).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::UpdateProjectRequest shrink;
  shrink.mutable_project()->set_name("years/2022/projects/p1");
  shrink.mutable_project()->set_seats(99);
  shrink.mutable_update_mask()->add_paths("seats");
  v1::Project shrunk;
  EXPECT_EQ(
      stub_->UpdateProject(ContextAs(Role::kProvinceAdmin).get(), shrink, &shrunk).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);

  v1::GetQuotaRequest get;
  get.set_name(zhengzhou);
  ASSERT_TRUE(stub_->GetQuota(ContextAs(Role::kViewer).get(), get, &city).ok());
  EXPECT_EQ(city.seats(), 60);
  EXPECT_EQ(city.allocated_seats(), 35);
  EXPECT_EQ(db_.QueryValue("SELECT allocated_seats FROM projects WHERE project_id = 'p1'"), "100");
}

TEST_F(CatalogTest, R1aR1bDirectlyAdministeredUnitsTakeSeatsStraightFromTheProject) {
  SeedProject(100);
  // 兰考县 (410225) is directly administered and reports under 开封; 济源 (419001) is a
  // city-level unit that is its own county-level unit. Data on the region, not code.
  grpc::Status bad_flag = ImportRegions(
      "code,name,parent_code,level,directly_administered\n410225,兰考县,4102,county,yes\n");
  ASSERT_EQ(bad_flag.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad_flag.error_message().find("line 2: directly_administered 'yes'"), std::string::npos)
      << bad_flag.error_message();
  ASSERT_TRUE(ImportRegions("code,name,parent_code,level,directly_administered\n"
                            "410225,兰考县,4102,county,true\n419001,济源示范区,41,city,true\n")
                  .ok());
  grpc::Status under_jiyuan =
      ImportRegions("code,name,parent_code,level\n419011,某区,419001,county\n");
  ASSERT_EQ(under_jiyuan.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(under_jiyuan.error_message().find("(R-1a)"), std::string::npos)
      << under_jiyuan.error_message();
  grpc::Status city_with_counties = ImportRegions(
      "code,name,parent_code,level,directly_administered\n4101,郑州市,41,city,true\n");
  ASSERT_EQ(city_with_counties.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(city_with_counties.error_message().find("has counties"), std::string::npos)
      << city_with_counties.error_message();
  // A file without the column leaves the flag as it is.
  ASSERT_TRUE(ImportRegions("code,name,parent_code,level\n410225,兰考县,4102,county\n").ok());
  v1::ListRegionsRequest list;
  list.set_filter("parent = \"regions/4102\"");
  v1::ListRegionsResponse regions;
  ASSERT_TRUE(stub_->ListRegions(ContextAs(Role::kViewer).get(), list, &regions).ok());
  std::map<std::string, bool> direct;
  for (const auto& r : regions.regions()) direct[r.code()] = r.directly_administered();
  EXPECT_TRUE(direct["410225"]);
  EXPECT_FALSE(direct["410221"]);

  const std::string project = "years/2022/projects/p1";
  v1::QuotaAllocation lankao;
  ASSERT_TRUE(Allocate(project, "regions/410225", 8, &lankao).ok());
  EXPECT_EQ(lankao.level(), v1::COUNTY);
  EXPECT_EQ(lankao.parent(), project);
  v1::QuotaAllocation jiyuan;
  ASSERT_TRUE(Allocate(project, "regions/419001", 6, &jiyuan).ok());
  EXPECT_EQ(jiyuan.level(), v1::COUNTY);  // R-1a: its own county-level unit
  v1::QuotaAllocation out;
  grpc::Status not_direct = Allocate(project, "regions/410221", 5, &out);
  ASSERT_EQ(not_direct.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(not_direct.error_message().rfind("region:", 0), 0u) << not_direct.error_message();
  // The seats count against the project like a city's; a city admin cannot give them.
  v1::QuotaAllocation kaifeng;
  ASSERT_TRUE(Allocate(project, "regions/4102", 80, &kaifeng).ok());
  grpc::Status over = Allocate(project, "regions/4101", 7, &out);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << over.error_message();
  EXPECT_EQ(Allocate(project, "regions/410225", 9, &out, Role::kCityAdmin, "4102").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // R-1b: one parent per county and project; 开封 gives its other counties seats as before.
  grpc::Status second_parent =
      Allocate(project + "/quotas/4102", "regions/410225", 3, &out, Role::kCityAdmin, "4102");
  ASSERT_EQ(second_parent.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(second_parent.error_message().find("holds 8 seats of this project from " + project),
            std::string::npos)
      << second_parent.error_message();
  ASSERT_TRUE(
      Allocate(project + "/quotas/4102", "regions/410221", 3, &out, Role::kCityAdmin, "4102").ok());
  ASSERT_TRUE(Allocate(project, "regions/410225", 10, &lankao).ok());  // changed by the province
  EXPECT_EQ(lankao.seats(), 10);
  EXPECT_EQ(db_.QueryValue("SELECT allocated_seats FROM projects WHERE project_id = 'p1'"), "96");
  v1::ListQuotasRequest counties;
  counties.set_parent(project);
  counties.set_filter("level = \"COUNTY\"");
  v1::ListQuotasResponse listed;
  ASSERT_TRUE(stub_->ListQuotas(ContextAs(Role::kViewer).get(), counties, &listed).ok());
  std::map<std::string, int> seats;
  for (const auto& q : listed.quotas()) seats[q.region()] = q.seats();
  EXPECT_EQ(seats, (std::map<std::string, int>{
                       {"regions/410221", 3}, {"regions/410225", 10}, {"regions/419001", 6}}));
}

TEST_F(CatalogTest, R32CitiesAndCountiesRunTheirOwnProjectsWithTheirOwnSeats) {
  SeedProject(100);
  ASSERT_TRUE(ImportRegions("code,name,parent_code,level,directly_administered\n"
                            "410225,兰考县,4102,county,true\n")
                  .ok());
  for (const auto& [id, level] : {std::pair{"city-training", common::v1::CITY},
                                  std::pair{"county-training", common::v1::COUNTY}}) {
    v1::CreateCategoryRequest category;
    category.set_parent("years/2022");
    category.set_category_id(id);
    category.mutable_category()->set_display_name(level == common::v1::CITY ? "市级培训"
                                                                            : "县级培训");
    category.mutable_category()->set_plan_level(level);
    v1::ProjectCategory made;
    ASSERT_TRUE(stub_->CreateCategory(ContextAs(Role::kProvinceAdmin).get(), category, &made).ok());
  }
  auto owned = [&](const std::string& id, const std::string& category, const std::string& owner,
                   int seats) {
    v1::CreateProjectRequest request = ProjectRequest(id, seats);
    request.mutable_project()->set_category("years/2022/categories/" + category);
    request.mutable_project()->set_owner(owner);
    return request;
  };
  auto quota = [&](const std::string& project, const std::string& region) {
    v1::GetQuotaRequest get;
    get.set_name(absl::StrCat("years/2022/projects/", project, "/quotas/", region));
    v1::QuotaAllocation out;
    grpc::Status status = stub_->GetQuota(ContextAs(Role::kViewer).get(), get, &out);
    EXPECT_TRUE(status.ok()) << get.name() << ": " << status.error_message();
    return out;
  };

  // 开封市 creates its 市培 project: its seats are the city's at once, no province step.
  v1::Project city_project;
  grpc::Status status =
      stub_->CreateProject(ContextAs(Role::kCityAdmin, "4102").get(),
                           owned("kf-city", "city-training", "regions/4102", 40), &city_project);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(city_project.owner(), "regions/4102");
  EXPECT_EQ(city_project.plan_level(), common::v1::CITY);
  EXPECT_EQ(city_project.allocated_seats(), 40);
  v1::QuotaAllocation kaifeng = quota("kf-city", "4102");
  EXPECT_EQ(kaifeng.level(), v1::CITY);
  EXPECT_EQ(kaifeng.seats(), 40);
  // The city splits them among its counties, and nowhere else.
  v1::QuotaAllocation given;
  status = Allocate("years/2022/projects/kf-city/quotas/4102", "regions/410221", 15, &given,
                    Role::kCityAdmin, "4102");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(given.seats(), 15);
  status =
      Allocate("years/2022/projects/kf-city", "regions/4101", 5, &given, Role::kCityAdmin, "4102");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("R-32"), std::string::npos) << status.error_message();
  // 郑州市 neither creates for 开封 nor allocates 开封's project.
  v1::Project refused;
  EXPECT_EQ(stub_
                ->CreateProject(ContextAs(Role::kCityAdmin, "4101").get(),
                                owned("zz-for-kf", "city-training", "regions/4102", 10), &refused)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Allocate("years/2022/projects/kf-city/quotas/4102", "regions/410222", 5, &given,
                     Role::kCityAdmin, "4101")
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A city creates no province project, nor one without an owner.
  status =
      stub_->CreateProject(ContextAs(Role::kCityAdmin, "4102").get(),
                           owned("kf-national", "rural-backbone", "regions/4102", 10), &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("project.owner"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(stub_
                ->CreateProject(ContextAs(Role::kCityAdmin, "4102").get(),
                                ProjectRequest("kf-unowned", 10), &refused)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // 开封县1 creates its 县培 project: project → 开封市 → the county, all 30 seats.
  v1::Project county_project;
  status = stub_->CreateProject(ContextAs(Role::kCountyAdmin, "410221").get(),
                                owned("kf1-county", "county-training", "regions/410221", 30),
                                &county_project);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(county_project.owner(), "regions/410221");
  EXPECT_EQ(quota("kf1-county", "4102").allocated_seats(), 30);
  v1::QuotaAllocation county_quota = quota("kf1-county", "410221");
  EXPECT_EQ(county_quota.level(), v1::COUNTY);
  EXPECT_EQ(county_quota.seats(), 30);
  // A 县培 project is not a city's, nor another county's.
  status = stub_->CreateProject(ContextAs(Role::kCountyAdmin, "410221").get(),
                                owned("kf1-city", "city-training", "regions/410221", 5), &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Allocate("years/2022/projects/kf1-county/quotas/4102", "regions/410222", 5, &given,
                     Role::kCityAdmin, "4102")
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Allocate("years/2022/projects/kf1-county/quotas/4102", "regions/410222", 5, &given,
                     Role::kCountyAdmin, "410221")
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Its owner changes it; its city, another county and the province's projects are not theirs.
  v1::UpdateProjectRequest rename;
  *rename.mutable_project() = county_project;
  rename.mutable_project()->set_display_name("开封县1 乡村教师县级培训");
  rename.mutable_update_mask()->add_paths("display_name");
  v1::Project renamed;
  status = stub_->UpdateProject(ContextAs(Role::kCountyAdmin, "410221").get(), rename, &renamed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(renamed.display_name(), "开封县1 乡村教师县级培训");
  rename.mutable_project()->set_etag(renamed.etag());
  EXPECT_EQ(stub_->UpdateProject(ContextAs(Role::kCityAdmin, "4102").get(), rename, &refused)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->UpdateProject(ContextAs(Role::kCountyAdmin, "410222").get(), rename, &refused)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::UpdateProjectRequest national;
  *national.mutable_project() = project_;
  national.mutable_update_mask()->add_paths("display_name");
  EXPECT_EQ(stub_->UpdateProject(ContextAs(Role::kCityAdmin, "4102").get(), national, &refused)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // R-1b: a directly administered county takes its 县培 seats straight from the project.
  status = stub_->CreateProject(ContextAs(Role::kCountyAdmin, "410225").get(),
                                owned("lk-county", "county-training", "regions/410225", 20),
                                &county_project);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::QuotaAllocation lankao = quota("lk-county", "410225");
  EXPECT_EQ(lankao.level(), v1::COUNTY);
  EXPECT_EQ(lankao.parent(), "years/2022/projects/lk-county");

  // A city's portal lists the projects its city runs.
  v1::ListProjectsRequest list;
  list.set_parent("years/2022");
  list.set_filter("owner = \"regions/4102\"");
  v1::ListProjectsResponse listed;
  ASSERT_TRUE(stub_->ListProjects(ContextAs(Role::kViewer).get(), list, &listed).ok());
  ASSERT_EQ(listed.projects_size(), 1);
  EXPECT_EQ(listed.projects(0).name(), "years/2022/projects/kf-city");
}

TEST_F(CatalogTest, R27SeatsOfAProjectCountyCategoryGoOnlyToActiveProjectCounties) {
  // Funding, the owner of project-county status, as a real server on its own database.
  peixun::testing::ScratchDatabase funding_db;
  server::Platform funding(peixun::testing::TestPlatformOptions(
      "funding", "peixun.funding.v1.FundingService", funding_db.config(), funding::Migrations()));
  funding::FundingService funding_service(funding, funding::FundingDependencies{});
  ASSERT_TRUE(funding.Start(&funding_service).ok());
  ASSERT_TRUE(peixun::testing::WaitServing(funding));
  auto funding_stub =
      funding::v1::FundingService::NewStub(peixun::testing::LoopbackChannel(funding.port()));
  auto designate = [&](const std::string& county, int from_year) {
    funding::v1::DesignateProjectCountyRequest request;
    request.set_county("regions/" + county);
    request.set_from_year(from_year);
    funding::v1::ProjectCounty made;
    return funding_stub->DesignateProjectCounty(ContextAs(Role::kProvinceAdmin).get(), request,
                                                &made);
  };
  FundingProjectCounties project_counties(absl::StrCat("127.0.0.1:", funding.port()),
                                          peixun::testing::TestSigner(), SystemClock::Instance());

  SeedProject(100);
  v1::CreateCategoryRequest category;
  category.set_parent("years/2022");
  category.set_category_id("gp-project-county");
  category.mutable_category()->set_display_name("项目县");
  category.mutable_category()->set_plan_level(common::v1::NATIONAL);
  category.mutable_category()->set_project_county(true);
  v1::ProjectCategory made_category;
  ASSERT_TRUE(
      stub_->CreateCategory(ContextAs(Role::kProvinceAdmin).get(), category, &made_category).ok());
  EXPECT_TRUE(made_category.project_county());
  auto request = ProjectRequest("pc", 60);
  request.mutable_project()->set_category(made_category.name());
  v1::Project pc;
  ASSERT_TRUE(stub_->CreateProject(ContextAs(Role::kProvinceAdmin).get(), request, &pc).ok());
  v1::QuotaAllocation out;
  ASSERT_TRUE(Allocate(pc.name(), "regions/4101", 30, &out).ok());  // a city: nothing to ask
  const std::string city_quota = pc.name() + "/quotas/4101";
  auto give = [&](const std::string& county, int seats) {
    return Allocate(city_quota, "regions/" + county, seats, &out, Role::kCityAdmin, "4101");
  };

  // A server that cannot ask funding gives no such seats and guesses nothing.
  grpc::Status no_target = give("410121", 10);
  EXPECT_EQ(no_target.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(no_target.error_message().find("(R-27)"), std::string::npos)
      << no_target.error_message();
  service_->UseProjectCounties(&project_counties);

  grpc::Status never = give("410121", 10);
  EXPECT_EQ(never.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(never.error_message().find("R-27"), std::string::npos) << never.error_message();
  EXPECT_NE(never.error_message().find("regions/410121 has never been designated"),
            std::string::npos)
      << never.error_message();
  ASSERT_TRUE(designate("410121", 2021).ok());  // 2021-2022
  ASSERT_TRUE(give("410121", 10).ok());
  EXPECT_EQ(out.seats(), 10);
  // A term that ended in 2021 gives no 2022 seats until it is renewed.
  ASSERT_TRUE(designate("410122", 2020).ok());  // 2020-2021
  grpc::Status ended = give("410122", 5);
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(ended.error_message().find("designation ended in 2021 and was not renewed"),
            std::string::npos)
      << ended.error_message();
  ASSERT_TRUE(designate("410122", 2022).ok());  // the renewal
  ASSERT_TRUE(give("410122", 5).ok());
  // Other categories' seats go to any county, and no question is asked.
  ASSERT_TRUE(Allocate("years/2022/projects/p1", "regions/4101", 20, &out).ok());
  ASSERT_TRUE(Allocate("years/2022/projects/p1/quotas/4101", "regions/410123", 4, &out,
                       Role::kCityAdmin, "4101")
                  .ok());

  // Funding gone: UNAVAILABLE naming funding, and the refused quota is not written.
  funding.Shutdown();
  grpc::Status down = give("410121", 12);
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(down.error_message().find("funding"), std::string::npos) << down.error_message();
  EXPECT_EQ(db_.QueryValue("SELECT seats FROM quotas WHERE project_id = 'pc' AND region_code = "
                           "'410121'"),
            "10");
  EXPECT_EQ(db_.QueryValue("SELECT allocated_seats FROM quotas WHERE project_id = 'pc' AND "
                           "region_code = '4101'"),
            "15");
  service_->UseProjectCounties(nullptr);
}

TEST_F(CatalogTest, R3ConcurrentCountySplitsNeverExceedTheCityQuota) {
  SeedProject(100);
  v1::QuotaAllocation city;
  ASSERT_TRUE(Allocate("years/2022/projects/p1", "regions/4101", 20, &city).ok());
  const std::string parent = "years/2022/projects/p1/quotas/4101";
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  // 16 clerks race, each raising one of five counties by 3 seats, four rounds each.
  threads.reserve(16);
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 4; ++round) {
        std::string region = absl::StrCat("regions/41012", 1 + (t + round) % 5);
        v1::QuotaAllocation current;
        v1::GetQuotaRequest read;
        read.set_name(absl::StrCat("years/2022/projects/p1/quotas/", region.substr(8)));
        int seats = stub_->GetQuota(ContextAs(Role::kViewer).get(), read, &current).ok()
                        ? current.seats()
                        : 0;
        v1::AllocateQuotaRequest request;
        request.set_parent(parent);
        request.set_region(region);
        request.set_seats(seats + 3);
        request.set_etag(current.etag());
        v1::QuotaAllocation out;
        grpc::Status s =
            stub_->AllocateQuota(ContextAs(Role::kCityAdmin, "4101").get(), request, &out);
        (s.ok() ? accepted : refused)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(accepted.load(), 0);
  EXPECT_GT(refused.load(), 0);
  int sum = std::stoi(db_.QueryValue(
      "SELECT COALESCE(SUM(seats), 0) FROM quotas WHERE parent_region_code = '4101'"));
  EXPECT_LE(sum, 20);
  EXPECT_EQ(db_.QueryValue("SELECT allocated_seats FROM quotas WHERE region_code = '4101'"),
            std::to_string(sum));
}

TEST_F(CatalogTest, ListQuotasAcrossProjectsPaginates) {
  SeedProject(100);
  v1::Project p2;
  ASSERT_TRUE(CreateProject("p2", 50, &p2).ok());
  v1::QuotaAllocation q;
  for (const char* project : {"p1", "p2"}) {
    ASSERT_TRUE(
        Allocate(absl::StrCat("years/2022/projects/", project), "regions/4101", 10, &q).ok());
    ASSERT_TRUE(
        Allocate(absl::StrCat("years/2022/projects/", project), "regions/4102", 10, &q).ok());
  }
  std::vector<std::string> names;
  std::string token;
  do {
    v1::ListQuotasRequest request;
    request.set_parent("years/2022/projects/-");
    request.set_page_size(3);
    request.set_page_token(token);
    request.set_filter(R"(level = "CITY")");
    v1::ListQuotasResponse response;
    ASSERT_TRUE(stub_->ListQuotas(ContextAs(Role::kService).get(), request, &response).ok());
    for (const auto& x : response.quotas()) names.push_back(x.name());
    token = response.next_page_token();
  } while (!token.empty());
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "years/2022/projects/p1/quotas/4101", "years/2022/projects/p1/quotas/4102",
                "years/2022/projects/p2/quotas/4101", "years/2022/projects/p2/quotas/4102"}));
}

TEST_F(CatalogTest, R4BudgetFollowsTheNewestCostPolicy) {
  SeedProject(100);
  v1::GetProjectBudgetRequest request;
  request.set_project("years/2022/projects/p1");
  v1::ProjectBudget budget;
  ASSERT_TRUE(stub_->GetProjectBudget(ContextAs(Role::kViewer).get(), request, &budget).ok());
  // 100 seats x 15 days x 400 yuan + 100 x 30 hours x 3 yuan = 609,000 yuan.
  EXPECT_EQ(budget.total_fen(), 60900000);
  EXPECT_EQ(budget.cost_policy(), "years/2022/costPolicies/1");
  v1::CreateCostPolicyRequest policy;
  policy.set_parent("years/2022");
  policy.mutable_cost_policy()->set_fen_per_person_day(50000);
  policy.mutable_cost_policy()->set_fen_per_online_hour(300);
  policy.mutable_cost_policy()->set_reason("2022 年调整标准");
  v1::CostPolicy created;
  ASSERT_TRUE(
      stub_->CreateCostPolicy(ContextAs(Role::kProvinceAdmin).get(), policy, &created).ok());
  EXPECT_EQ(created.version(), 2);
  ASSERT_TRUE(stub_->GetProjectBudget(ContextAs(Role::kViewer).get(), request, &budget).ok());
  EXPECT_EQ(budget.on_site_fen(), 100LL * 15 * 50000);
  EXPECT_EQ(budget.cost_policy(), "years/2022/costPolicies/2");
  v1::GetCostPolicyRequest get;
  get.set_name("years/2022/costPolicies/1");
  ASSERT_TRUE(stub_->GetCostPolicy(ContextAs(Role::kViewer).get(), get, &created).ok());
  EXPECT_EQ(created.fen_per_person_day(), 40000);
}

TEST_F(CatalogTest, UpdateYearMovesTheDeadlineAndChecksEtag) {
  SeedProject(10);
  v1::GetYearRequest get;
  get.set_name("years/2022");
  v1::PlanYear year;
  ASSERT_TRUE(stub_->GetYear(ContextAs(Role::kViewer).get(), get, &year).ok());
  v1::UpdateYearRequest update;
  *update.mutable_plan_year() = year;
  update.mutable_plan_year()->mutable_nomination_deadline()->set_month(9);
  update.mutable_plan_year()->mutable_nomination_deadline()->set_day(20);
  update.mutable_update_mask()->add_paths("nomination_deadline");
  v1::PlanYear updated;
  grpc::Status moved = stub_->UpdateYear(ContextAs(Role::kProvinceAdmin).get(), update, &updated);
  ASSERT_TRUE(moved.ok()) << moved.error_message();
  EXPECT_EQ(updated.nomination_deadline().month(), 9);
  EXPECT_EQ(stub_->UpdateYear(ContextAs(Role::kProvinceAdmin).get(), update, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  update.mutable_plan_year()->set_etag(updated.etag());
  update.mutable_plan_year()->mutable_nomination_deadline()->set_year(2023);
  EXPECT_EQ(stub_->UpdateYear(ContextAs(Role::kProvinceAdmin).get(), update, &updated).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CatalogTest, R5ProjectsShowTheNoticeDatesFromTheDaysStoredOnTheirYear) {
  SeedProject(10);  // p1 starts 2022-10-10
  v1::GetProjectRequest get;
  get.set_name("years/2022/projects/p1");
  v1::Project project;
  ASSERT_TRUE(stub_->GetProject(ContextAs(Role::kViewer).get(), get, &project).ok());
  auto day = [](const common::v1::Date& d) {
    return absl::StrFormat("%d-%02d-%02d", d.year(), d.month(), d.day());
  };
  EXPECT_EQ(day(project.check_in_notice_date()), "2022-09-25");  // 15 days ahead by default
  EXPECT_EQ(day(project.timetable_date()), "2022-10-05");        // 5 days ahead
  v1::GetYearRequest get_year;
  get_year.set_name("years/2022");
  v1::PlanYear year;
  ASSERT_TRUE(stub_->GetYear(ContextAs(Role::kViewer).get(), get_year, &year).ok());
  v1::UpdateYearRequest update;
  *update.mutable_plan_year() = year;
  update.mutable_plan_year()->set_check_in_notice_days(20);
  update.mutable_update_mask()->add_paths("check_in_notice_days");
  v1::PlanYear updated;
  ASSERT_TRUE(stub_->UpdateYear(ContextAs(Role::kProvinceAdmin).get(), update, &updated).ok());
  ASSERT_TRUE(stub_->GetProject(ContextAs(Role::kViewer).get(), get, &project).ok());
  EXPECT_EQ(day(project.check_in_notice_date()), "2022-09-20");  // the stored days, not 15
  v1::ListProjectsRequest list;
  list.set_parent("years/2022");
  v1::ListProjectsResponse listed;
  ASSERT_TRUE(stub_->ListProjects(ContextAs(Role::kViewer).get(), list, &listed).ok());
  ASSERT_EQ(listed.projects_size(), 1);
  EXPECT_EQ(day(listed.projects(0).check_in_notice_date()), "2022-09-20");
}

TEST_F(CatalogTest, WatchEventsDeliversEverythingInOrderThenFollows) {
  SeedProject(100);
  auto context = ContextAs(Role::kService);
  common::v1::WatchEventsRequest request;
  request.set_after_sequence(0);
  auto reader = stub_->WatchEvents(context.get(), request);
  std::vector<common::v1::Event> events;
  common::v1::Event event;
  // Seeding made 7 events: regions, year, cost policy, category, host, project (+ the first).
  while (events.size() < 6 && reader->Read(&event)) events.push_back(event);
  ASSERT_EQ(events.size(), 6u);
  for (size_t i = 0; i < events.size(); ++i)
    EXPECT_EQ(events[i].sequence(), static_cast<int64_t>(i + 1));
  EXPECT_EQ(events[0].type(), "catalog.regions.imported");
  EXPECT_EQ(events[5].type(), "catalog.project.created");
  v1::Project payload;
  ASSERT_TRUE(events[5].payload().UnpackTo(&payload));
  EXPECT_EQ(payload.name(), "years/2022/projects/p1");
  // A change made now arrives on the open stream.
  v1::QuotaAllocation quota;
  ASSERT_TRUE(Allocate("years/2022/projects/p1", "regions/4101", 10, &quota).ok());
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.sequence(), 7);
  EXPECT_EQ(event.type(), "catalog.quota.allocated");
  EXPECT_EQ(event.resource(), "years/2022/projects/p1/quotas/4101");
  context->TryCancel();
}

// The outbox reads WatchEvents streams have made, of one kind ("tail" or "catch_up").
double FeedReads(server::Platform& platform, const std::string& kind) {
  for (const auto& family : platform.metrics().registry().Collect()) {
    if (family.name != "peixun_event_feed_reads_total") continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "kind" && label.value == kind) return metric.counter.value;
      }
    }
  }
  return -1;
}

TEST_F(CatalogTest, WatchEventsStreamsShareOneReaderAndEachCallerHoldsAtMostEight) {
  SeedProject(100);
  constexpr int kStreams = events::EventFeed::kMaxStreamsPerCaller;
  // Eight followers of one caller at the head of the feed.
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<common::v1::Event>>> readers;
  common::v1::WatchEventsRequest request;
  request.set_after_sequence(6);  // the seeding's events
  for (int i = 0; i < kStreams; ++i) {
    contexts.push_back(ContextAs(Role::kProvinceAdmin));
    readers.push_back(stub_->WatchEvents(contexts.back().get(), request));
    readers.back()->WaitForInitialMetadata();
  }
  // A ninth of the same caller is refused; another caller is served.
  {
    auto context = ContextAs(Role::kProvinceAdmin);
    auto ninth = stub_->WatchEvents(context.get(), request);
    common::v1::Event event;
    EXPECT_FALSE(ninth->Read(&event));
    grpc::Status status = ninth->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(status.error_message().find("close one first"), std::string::npos)
        << status.error_message();
  }
  auto other_context = ContextAs(Role::kService);
  auto other = stub_->WatchEvents(other_context.get(), request);
  other->WaitForInitialMetadata();
  // Idle, nine streams read the outbox together about once a poll period (250 ms), not once
  // each: in two seconds, at most a few more than eight reads.
  const double reads_before = FeedReads(*platform_, "tail");
  absl::SleepFor(absl::Seconds(2));
  const double idle_reads = FeedReads(*platform_, "tail") - reads_before;
  EXPECT_GE(idle_reads, 1);
  EXPECT_LE(idle_reads, 14) << "each stream reads the outbox on its own";
  // A change reaches every stream.
  v1::QuotaAllocation quota;
  ASSERT_TRUE(Allocate("years/2022/projects/p1", "regions/4101", 10, &quota).ok());
  readers.push_back(std::move(other));
  for (auto& reader : readers) {
    common::v1::Event event;
    ASSERT_TRUE(reader->Read(&event));
    EXPECT_EQ(event.sequence(), 7);
    EXPECT_EQ(event.type(), "catalog.quota.allocated");
  }
  // A stream from the start catches up on its own, then joins the others.
  auto from_start_context = ContextAs(Role::kService);
  common::v1::WatchEventsRequest from_start;
  from_start.set_after_sequence(0);
  auto from_start_reader = stub_->WatchEvents(from_start_context.get(), from_start);
  for (int64_t sequence = 1; sequence <= 7; ++sequence) {
    common::v1::Event event;
    ASSERT_TRUE(from_start_reader->Read(&event));
    EXPECT_EQ(event.sequence(), sequence);
  }
  EXPECT_GE(FeedReads(*platform_, "catch_up"), 1);
  // Once one of the eight closes, the caller may open another.
  contexts[0]->TryCancel();
  (void)readers[0]->Finish();
  bool reopened = false;
  for (int attempt = 0; attempt < 50 && !reopened; ++attempt) {
    auto context = ContextAs(Role::kProvinceAdmin);
    auto again = stub_->WatchEvents(context.get(), request);
    again->WaitForInitialMetadata();
    if (context->GetServerInitialMetadata().count("peixun-event-feed") > 0) {
      reopened = true;
      context->TryCancel();
      (void)again->Finish();
    } else {
      (void)again->Finish();
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  EXPECT_TRUE(reopened);
  for (auto& context : contexts) context->TryCancel();
  from_start_context->TryCancel();
  other_context->TryCancel();
}

TEST_F(CatalogTest, GetProjectSeesThisReplicasWritesAtOnce) {
  SeedProject(100);
  v1::GetProjectRequest get;
  get.set_name("years/2022/projects/p1");
  v1::Project before;
  ASSERT_TRUE(stub_->GetProject(ContextAs(Role::kViewer).get(), get, &before).ok());
  ASSERT_TRUE(stub_->GetProject(ContextAs(Role::kViewer).get(), get, &before).ok());  // cached now
  v1::QuotaAllocation quota;
  ASSERT_TRUE(Allocate("years/2022/projects/p1", "regions/4101", 30, &quota).ok());
  v1::Project after;
  ASSERT_TRUE(stub_->GetProject(ContextAs(Role::kViewer).get(), get, &after).ok());
  EXPECT_EQ(before.allocated_seats(), 0);
  EXPECT_EQ(after.allocated_seats(), 30);
  v1::UpdateProjectRequest update;
  *update.mutable_project() = after;
  update.mutable_project()->set_display_name("乡村骨干教师素质提升（第二期）");
  update.mutable_update_mask()->add_paths("display_name");
  v1::Project updated;
  ASSERT_TRUE(stub_->UpdateProject(ContextAs(Role::kProvinceAdmin).get(), update, &updated).ok());
  ASSERT_TRUE(stub_->GetProject(ContextAs(Role::kViewer).get(), get, &after).ok());
  EXPECT_EQ(after.display_name(), "乡村骨干教师素质提升（第二期）");
  EXPECT_EQ(after.etag(), updated.etag());
}

TEST_F(CatalogTest, GetProjectSeesAnotherReplicasWritesWithinAFollowPeriod) {
  SeedProject(100);
  // A second catalog replica on the same database.
  server::Platform other(peixun::testing::TestPlatformOptions(
      "catalog", "peixun.catalog.v1.CatalogService", db_.config(), catalog::Migrations()));
  CatalogService other_service(other);
  ASSERT_TRUE(other.Start(&other_service).ok());
  ASSERT_TRUE(peixun::testing::WaitServing(other));
  auto other_stub = v1::CatalogService::NewStub(peixun::testing::LoopbackChannel(other.port()));
  v1::GetProjectRequest get;
  get.set_name("years/2022/projects/p1");
  v1::Project seen;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(other_stub->GetProject(ContextAs(Role::kViewer).get(), get, &seen).ok());
  }
  ASSERT_EQ(seen.seats(), 100);
  v1::UpdateProjectRequest update;
  *update.mutable_project() = seen;
  update.mutable_project()->set_seats(150);
  update.mutable_update_mask()->add_paths("seats");
  v1::Project updated;
  ASSERT_TRUE(stub_->UpdateProject(ContextAs(Role::kProvinceAdmin).get(), update, &updated).ok());
  absl::Time written = absl::Now();
  while (seen.seats() != 150 && absl::Now() - written < absl::Seconds(2)) {
    ASSERT_TRUE(other_stub->GetProject(ContextAs(Role::kViewer).get(), get, &seen).ok());
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(seen.seats(), 150);
  EXPECT_LT(absl::Now() - written, absl::Milliseconds(1000));
  // The stale etag the other replica may have served can never overwrite the change.
  v1::UpdateProjectRequest stale;
  *stale.mutable_project() = updated;
  stale.mutable_project()->set_etag("1");
  stale.mutable_project()->set_seats(120);
  stale.mutable_update_mask()->add_paths("seats");
  EXPECT_EQ(other_stub->UpdateProject(ContextAs(Role::kProvinceAdmin).get(), stale, &updated)
                .error_code(),
            grpc::StatusCode::ABORTED);
  other.Shutdown();
}

TEST_F(CatalogTest, MetricsCountHandledCallsByCode) {
  SeedProject(10);
  v1::GetProjectRequest get;
  get.set_name("years/2022/projects/none");
  v1::Project out;
  EXPECT_EQ(stub_->GetProject(ContextAs(Role::kViewer).get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  std::string text;
  for (const auto& family : platform_->metrics().registry().Collect()) {
    if (family.name != "grpc_server_handled_total") continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : metric.label) labels[l.name] = l.value;
      if (labels["grpc_method"] == "GetProject" && labels["grpc_code"] == "NOT_FOUND") {
        text = std::to_string(metric.counter.value);
      }
    }
  }
  EXPECT_EQ(text.substr(0, 1), "1");
}

}  // namespace
}  // namespace peixun::catalog
