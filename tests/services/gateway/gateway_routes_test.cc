// The gateway's routes from the contracts' annotations, and the mapping of HTTP requests
// onto request messages (pure code: descriptors and JSON, no network).
#include <set>

#include "gtest/gtest.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "peixun/evaluation/v1/evaluation.pb.h"
#include "peixun/funding/v1/funding.pb.h"
#include "services/gateway/path_template.h"
#include "services/gateway/routes.h"

namespace peixun::gateway {
namespace {

std::vector<const google::protobuf::ServiceDescriptor*> Contracts() { return PeixunServices(); }

TEST(PathTemplate, BindsResourceNamesAndVerbs) {
  auto nominate = PathTemplate::Parse("/v1/{project=years/*/projects/*}:nominate");
  ASSERT_TRUE(nominate.ok()) << nominate.status();
  std::map<std::string, std::string> bindings;
  ASSERT_TRUE(nominate->Match("/v1/years/2022/projects/rural-chief:nominate", &bindings));
  EXPECT_EQ(bindings["project"], "years/2022/projects/rural-chief");
  EXPECT_FALSE(nominate->Match("/v1/years/2022/projects/rural-chief", nullptr))
      << "the verb is part of the route";
  EXPECT_FALSE(nominate->Match("/v1/years/2022/projects/rural-chief:withdraw", nullptr));
  EXPECT_FALSE(nominate->Match("/v1/years/2022/categories/x:nominate", nullptr));
  EXPECT_FALSE(nominate->Match("/v1/years//projects/x:nominate", nullptr))
      << "an empty segment is no id";

  auto update = PathTemplate::Parse("/v1/{plan_year.name=years/*}");
  ASSERT_TRUE(update.ok());
  ASSERT_TRUE(update->Match("/v1/years/2026", &bindings));
  EXPECT_EQ(bindings["plan_year.name"], "years/2026");
  EXPECT_EQ(update->Shape(), "/v1/years/*");
}

TEST(PathTemplate, RefusesWhatItCannotRoute) {
  for (const char* bad : {"v1/x", "/v1/{name=years/**}", "/v1/{name", "/v1/{1x=years/*}",
                          "/v1/{name=years/*}x", "/v1/x:{verb}", "/v1/{a=x/*}/{a=y/*}"}) {
    EXPECT_FALSE(PathTemplate::Parse(bad).ok()) << bad;
  }
}

TEST(RouteTable, EveryMethodOfTheFourContractsHasARoute) {
  auto table = RouteTable::Build(Contracts());
  ASSERT_TRUE(table.ok()) << table.status();
  std::set<std::string> routed;
  for (const Route& route : table->routes()) routed.insert(route.method->full_name());
  int methods = 0;
  for (const auto* service : Contracts()) {
    for (int i = 0; i < service->method_count(); ++i, ++methods) {
      EXPECT_TRUE(routed.count(service->method(i)->full_name()))
          << service->method(i)->full_name() << " has no google.api.http annotation";
    }
  }
  EXPECT_EQ(methods, 102);
  // AIP-127: reads are GET, creates and custom verbs POST, updates PATCH with the resource as body.
  for (const Route& route : table->routes()) {
    const std::string& name = route.method->name();
    if (name.rfind("Get", 0) == 0 || name.rfind("List", 0) == 0) {
      EXPECT_EQ(route.http_method, "GET") << name;
    }
    if (name.rfind("Create", 0) == 0) {
      EXPECT_EQ(route.http_method, "POST") << name;
    }
    if (name.rfind("Update", 0) == 0) {
      EXPECT_EQ(route.http_method, "PATCH") << name;
      EXPECT_NE(route.body, "*") << name << ": an update's body is the resource";
    }
    if (route.http_method == "GET") {
      EXPECT_TRUE(route.body.empty()) << name;
    }
  }
}

TEST(RouteTable, FindsTheMethodAndTellsNotFoundFromNotAllowed) {
  auto table = RouteTable::Build(Contracts());
  ASSERT_TRUE(table.ok());
  auto get = table->Find("GET", "/v1/years/2022/projects/rural-chief");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->route->grpc_method, "/peixun.catalog.v1.CatalogService/GetProject");
  EXPECT_EQ(get->route->upstream, "catalog");
  EXPECT_EQ(get->bindings.at("name"), "years/2022/projects/rural-chief");

  auto quota = table->Find("GET", "/v1/years/2022/projects/rural-chief/quotas/4101");
  ASSERT_TRUE(quota);
  EXPECT_EQ(quota->route->method->name(), "GetQuota");
  auto rates = table->Find("GET", "/v1/years/2022/rateReport");
  ASSERT_TRUE(rates);
  EXPECT_EQ(rates->route->upstream, "enrollment");
  auto publish = table->Find("POST", "/v1/years/2022/rounds/county-2022:publish");
  ASSERT_TRUE(publish);
  EXPECT_EQ(publish->route->upstream, "evaluation");
  auto decide = table->Find("POST", "/v1/years/2022/decisions:decide");
  ASSERT_TRUE(decide);
  EXPECT_EQ(decide->route->method->name(), "DecideFunding");
  auto audit = table->Find("GET", "/v1/funding/auditEntries");
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit->route->grpc_method, "/peixun.funding.v1.FundingService/ListAuditEntries");

  std::vector<std::string> allowed;
  EXPECT_FALSE(table->Find("DELETE", "/v1/years/2022/projects/rural-chief", &allowed));
  EXPECT_EQ(allowed, (std::vector<std::string>{"GET", "PATCH"}));
  allowed.clear();
  EXPECT_FALSE(table->Find("GET", "/v1/nothing/here", &allowed));
  EXPECT_TRUE(allowed.empty());
}

TEST(BuildRequest, MapsPathQueryAndBody) {
  auto table = RouteTable::Build(Contracts());
  ASSERT_TRUE(table.ok());
  // Query parameters by proto or JSON name, percent-encoded Chinese, enums by name.
  auto list = table->Find("GET", "/v1/years/2022/projects");
  ASSERT_TRUE(list);
  auto request = BuildRequest(
      *list, "pageSize=20&filter=display_name+%3D+%22%E4%B9%A1%E6%9D%91%22&page_token=abc", "");
  ASSERT_TRUE(request.ok()) << request.status();
  const auto& projects = static_cast<const catalog::v1::ListProjectsRequest&>(**request);
  EXPECT_EQ(projects.parent(), "years/2022");
  EXPECT_EQ(projects.page_size(), 20);
  EXPECT_EQ(projects.filter(), "display_name = \"乡村\"");
  EXPECT_EQ(projects.page_token(), "abc");

  auto report = table->Find("GET", "/v1/years/2022/rateReport");
  request = BuildRequest(*report, "scope=CITY&region=regions/4101", "");
  ASSERT_TRUE(request.ok()) << request.status();
  const auto& rates = static_cast<const enrollment::v1::GetRateReportRequest&>(**request);
  EXPECT_EQ(rates.scope(), enrollment::v1::GetRateReportRequest::CITY);
  EXPECT_EQ(rates.region(), "regions/4101");

  // A body field, and the path's name inside it.
  auto update = table->Find("PATCH", "/v1/years/2022/projects/rural-chief");
  request = BuildRequest(*update, "updateMask=displayName", R"({"displayName": "乡村校长"})");
  ASSERT_TRUE(request.ok()) << request.status();
  const auto& patch = static_cast<const catalog::v1::UpdateProjectRequest&>(**request);
  EXPECT_EQ(patch.project().name(), "years/2022/projects/rural-chief");
  EXPECT_EQ(patch.project().display_name(), "乡村校长");
  ASSERT_EQ(patch.update_mask().paths_size(), 1);
  EXPECT_EQ(patch.update_mask().paths(0), "display_name");

  // The whole request as body, int64 as a string (proto3 JSON).
  auto simulate = table->Find("POST", "/v1/years/2022/decisions:simulate");
  request = BuildRequest(*simulate, "", R"({"budgetEnvelopeFen": "300000000"})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(
      static_cast<const funding::v1::SimulateFundingRequest&>(**request).budget_envelope_fen(),
      300000000);

  // Timestamps in a query parameter.
  auto audit = table->Find("GET", "/v1/catalog/auditEntries");
  request = BuildRequest(*audit, "startTime=2026-12-01T00:00:00Z", "");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(
      static_cast<const common::v1::ListAuditEntriesRequest&>(**request).start_time().seconds(),
      1796083200);
}

TEST(BuildRequest, NamesTheFieldOrParameterAtFault) {
  auto table = RouteTable::Build(Contracts());
  ASSERT_TRUE(table.ok());
  auto list = table->Find("GET", "/v1/years/2022/projects");
  auto expect_error = [](const absl::StatusOr<std::unique_ptr<google::protobuf::Message>>& result,
                         absl::string_view needle) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(result.status().message().find(needle), absl::string_view::npos)
        << result.status().message();
  };
  expect_error(BuildRequest(*list, "pageSize=many", ""), "pageSize");
  expect_error(BuildRequest(*list, "colour=red", ""), "colour");
  expect_error(BuildRequest(*list, "parent=years/2023", ""), "bound by the path");
  expect_error(BuildRequest(*list, "filter=%E4%B9", ""), "not UTF-8");
  expect_error(BuildRequest(*list, "filter=%zz", ""), "escape");
  expect_error(BuildRequest(*list, "", R"({"x": 1})"), "takes no body");
  auto report = table->Find("GET", "/v1/years/2022/rateReport");
  expect_error(BuildRequest(*report, "scope=PLANET", ""), "PLANET");

  auto create = table->Find("POST", "/v1/years/2022/projects");
  expect_error(BuildRequest(*create, "", R"({"displayName": "x", "seets": 3})"), "seets");
  expect_error(BuildRequest(*create, "", R"({"displayName": )"), "not valid JSON");
  auto update = table->Find("PATCH", "/v1/years/2022/projects/rural-chief");
  expect_error(BuildRequest(*update, "", R"({"name": "years/2022/projects/other"})"),
               "the path names");
  auto nominate = table->Find("POST", "/v1/years/2022/projects/rural-chief:nominate");
  expect_error(BuildRequest(*nominate, "teacher=teachers/t1", R"({})"), "in the JSON body");
}

TEST(Errors, StandardMappingAndStatusBody) {
  EXPECT_EQ(HttpStatusOf(3), 400);   // INVALID_ARGUMENT
  EXPECT_EQ(HttpStatusOf(16), 401);  // UNAUTHENTICATED
  EXPECT_EQ(HttpStatusOf(7), 403);   // PERMISSION_DENIED
  EXPECT_EQ(HttpStatusOf(5), 404);
  EXPECT_EQ(HttpStatusOf(10), 409);  // ABORTED: a stale etag
  EXPECT_EQ(HttpStatusOf(8), 429);
  EXPECT_EQ(HttpStatusOf(14), 503);
  EXPECT_EQ(HttpStatusOf(99), 500);
  EXPECT_EQ(StatusJson(9, "R-7 nominations closed on 2022-03-01"),
            R"({"code":9,"message":"R-7 nominations closed on 2022-03-01","details":[]})");
}

}  // namespace
}  // namespace peixun::gateway
