// The HTTP/JSON gateway in front of the four services on loopback, against real MariaDB, called
// with libcurl as a portal would: each resource kind is created and read through it as the
// roles of the access policy, refusals come back with the standard HTTP status and a
// google.rpc.Status body naming the field or rule, WatchEvents is Server-Sent Events that
// resume after Last-Event-ID, and ImportTeachers takes NDJSON.
#include "services/gateway/gateway.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "services/enrollment/domain/enrollment_rules.h"
#include "tests/support/harness.h"
#include "tests/support/stack.h"
#include "tools/cli/xlsx_reader.h"

namespace peixun {
namespace {

using auth::Role;
using peixun::testing::TokenFor;

struct HttpAnswer {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct CurlSink {
  std::string* body;
  size_t stop_after_events;  // SSE: stop reading after this many "\n\n"-ended events (0: read all)
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<CurlSink*>(user);
  sink->body->append(data, size * count);
  if (sink->stop_after_events > 0) {
    size_t events = 0;
    for (size_t at = 0; (at = sink->body->find("\ndata: ", at)) != std::string::npos; ++at)
      ++events;
    if (events >= sink->stop_after_events) return 0;  // enough: end the stream from this side
  }
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    (*headers)[name] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * count;
}

HttpAnswer Http(const std::string& method, const std::string& url, const std::string& body = "",
                const std::string& token = "", const std::vector<std::string>& extra_headers = {},
                size_t stop_after_events = 0, long timeout_seconds = 60) {
  HttpAnswer answer;
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  if (!token.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  if (!body.empty()) headers = curl_slist_append(headers, "Content-Type: application/json");
  for (const auto& header : extra_headers) headers = curl_slist_append(headers, header.c_str());
  CurlSink sink{&answer.body, stop_after_events};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty() || method == "POST" || method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &answer.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_seconds);
  curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return answer;
}

// A valid ID number of a teacher born 1986-0{serial}-15 in `county`.
std::string IdNumber(const std::string& county, int serial) {
  std::string first17 = absl::StrCat(county, "19860", serial, "15", "00", serial);
  return first17 + enrollment::domain::IdCheckCharacter(first17);
}

// A JSON string field's value in a flat answer: "name" of {"name":"years/2022"}.
std::string JsonField(const std::string& json, const std::string& field) {
  std::smatch match;
  if (std::regex_search(json, match, std::regex("\"" + field + "\":\"([^\"]*)\""))) return match[1];
  return "";
}

class GatewayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new peixun::testing::ServiceStack(clock_);
    ASSERT_TRUE(stack_->Start().ok());
    gateway::GatewayOptions options;
    options.listen = "127.0.0.1:0";
    options.metrics_listen = "127.0.0.1:0";
    for (const char* service : peixun::testing::kServiceNames) {
      const std::string name = gateway::UpstreamOf(
          *google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service));
      options.upstreams[name] = peixun::testing::ServiceStack::Address(stack_->Of(service));
    }
    options.tokens.hs256_key = peixun::testing::kTestTokenKey;
    options.static_dir = PEIXUN_SOURCE_DIR "/services/gateway/static";
    options.openapi_file = PEIXUN_OPENAPI_FILE;
    options.swagger_ui_dir = PEIXUN_SOURCE_DIR "/node_modules/swagger-ui-dist";
    options.cors_origins = {"http://portal.example"};
    options.max_body_bytes = size_t{64} * 1024;
    options.stream_heartbeat = absl::Milliseconds(200);
    auto started = gateway::Gateway::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    gateway_ = started->release();
    Seed();
  }
  static void TearDownTestSuite() {
    if (gateway_ != nullptr) gateway_->Stop();
    delete gateway_;
    gateway_ = nullptr;
    delete stack_;
    stack_ = nullptr;
  }

  static std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", gateway_->port(), path);
  }
  static std::string Province() { return TokenFor(Role::kProvinceAdmin, "", "", "province-clerk"); }
  static std::string County(const std::string& code) {
    return TokenFor(Role::kCountyAdmin, code, "", "county-clerk");
  }

  static void MustPost(const std::string& path, const std::string& body,
                       const std::string& token = Province()) {
    HttpAnswer answer = Http("POST", Url(path), body, token);
    ASSERT_EQ(answer.status, 200) << path << ": " << answer.body;
  }

  // The test world, made through the gateway: 开封市 with 兰考县 and 尉氏县, 郑州市 with 中牟县,
  // a year, a category, a host, a project with seats for both cities' first county, and three
  // teachers imported as NDJSON.
  static void Seed() {
    MustPost("/v1/regions:import",
             R"({"csv": "code,name,parent_code,level\n41,河南省,,province\n4102,开封市,41,city\n)"
             R"(410225,兰考县,4102,county\n410223,尉氏县,4102,county\n4101,郑州市,41,city\n)"
             R"(410122,中牟县,4101,county\n"})");
    MustPost("/v1/years",
             R"({"year": 2022, "nominationDeadline": {"year": 2022, "month": 8, "day": 31}})");
    MustPost("/v1/years/2022/categories?categoryId=rural",
             R"({"displayName": "乡村教师", "planLevel": "NATIONAL"})");
    MustPost("/v1/hosts?hostId=henu", R"({"displayName": "河南大学"})");
    MustPost(
        "/v1/years/2022/projects?projectId=rural-chief",
        R"({"displayName": "乡村教师培训", "category": "years/2022/categories/rural", "host": "hosts/henu",)"
        R"( "seats": 100, "creditHours": 80, "format": {"centralizedDays": 10},)"
        R"( "startDate": {"year": 2022, "month": 10, "day": 10}, "endDate": {"year": 2022, "month": 10, "day": 19}})");
    for (const auto& [city, county] : {std::pair{"4102", "410225"}, std::pair{"4101", "410122"}}) {
      MustPost("/v1/years/2022/projects/rural-chief:allocate",
               absl::StrCat(R"({"region": "regions/)", city, R"(", "seats": 10})"));
      MustPost(absl::StrCat("/v1/years/2022/projects/rural-chief/quotas/", city, ":allocate"),
               absl::StrCat(R"({"region": "regions/)", county, R"(", "seats": 5})"),
               TokenFor(Role::kCityAdmin, city, "", "city-clerk"));
    }
    std::string rows;
    int serial = 1;
    for (const auto& [county, name] : {std::pair{"410225", "张明远"}, std::pair{"410225", "李秀英"},
                                       std::pair{"410122", "王建国"}}) {
      absl::StrAppend(
          &rows, R"({"teacher": {"idNumber": ")", IdNumber(county, serial++),
          R"(", "displayName": ")", name, R"(", "school": "第一小学", "county": "regions/)", county,
          R"(", "stage": "PRIMARY", "subjects": ["语文"], "rural": true, "teachingSinceYear": 2010}})",
          "\n");
    }
    HttpAnswer imported = Http("POST", Url("/v1/teachers:import"), rows, Province());
    ASSERT_EQ(imported.status, 200) << imported.body;
    std::vector<std::string> lines = absl::StrSplit(imported.body, '\n', absl::SkipEmpty());
    ASSERT_EQ(lines.size(), 4u) << imported.body;  // a result per row, then the call's status
    for (int i = 0; i < 3; ++i) {
      EXPECT_NE(lines[i].find("\"CREATED\""), std::string::npos) << lines[i];
      teachers_.push_back(JsonField(lines[i], "teacher"));
    }
    EXPECT_EQ(lines[3], R"({"status":{"code":0,"message":"","details":[]}})");
    // Nominations read enrollment's copy of the catalog, which follows catalog's events.
    for (int i = 0; i < 500; ++i) {
      std::string quotas;
      try {
        quotas = stack_->enrollment_db.QueryValue("SELECT COUNT(*) FROM catalog_quotas");
      } catch (const std::exception&) {
      }
      if (quotas == "4") break;
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  static FixedClock clock_;
  static peixun::testing::ServiceStack* stack_;
  static gateway::Gateway* gateway_;
  static std::vector<std::string> teachers_;
};

FixedClock GatewayTest::clock_{
    absl::FromCivil(absl::CivilSecond(2022, 8, 1, 9, 0, 0), ChinaTimeZone())};
peixun::testing::ServiceStack* GatewayTest::stack_ = nullptr;
gateway::Gateway* GatewayTest::gateway_ = nullptr;
std::vector<std::string> GatewayTest::teachers_;

TEST_F(GatewayTest, ReadsEachResourceKindAsProto3Json) {
  HttpAnswer project =
      Http("GET", Url("/v1/years/2022/projects/rural-chief"), "", TokenFor(Role::kViewer));
  ASSERT_EQ(project.status, 200) << project.body;
  EXPECT_EQ(project.headers["content-type"], "application/json; charset=utf-8");
  EXPECT_EQ(JsonField(project.body, "displayName"), "乡村教师培训")
      << "lowerCamelCase names, Chinese as typed";
  EXPECT_EQ(JsonField(project.body, "planLevel"), "NATIONAL") << "enums as names";
  EXPECT_EQ(JsonField(project.body, "host"), "hosts/henu");

  HttpAnswer page = Http("GET", Url("/v1/regions?pageSize=2&filter=level+%3D+%22COUNTY%22"), "",
                         TokenFor(Role::kViewer));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(std::count(page.body.begin(), page.body.end(), '{') - 1, 2) << page.body;
  const std::string next = JsonField(page.body, "nextPageToken");
  ASSERT_FALSE(next.empty()) << "three counties, two a page";
  HttpAnswer rest =
      Http("GET", Url("/v1/regions?pageSize=2&filter=level+%3D+%22COUNTY%22&pageToken=" + next), "",
           TokenFor(Role::kViewer));
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_NE(rest.body.find("regions/410225"), std::string::npos) << rest.body;
  // Exported, a list is every page: the three counties, two a page, in one CSV.
  HttpAnswer exported = Http("GET", Url("/v1/regions?pageSize=2&filter=level+%3D+%22COUNTY%22"), "",
                             TokenFor(Role::kViewer), {"Accept: text/csv"});
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_EQ(std::count(exported.body.begin(), exported.body.end(), '\n'), 4) << exported.body;
  EXPECT_NE(exported.body.find("regions/410225,"), std::string::npos) << exported.body;
  // One resource is JSON only.
  HttpAnswer single = Http("GET", Url("/v1/years/2022/projects/rural-chief"), "",
                           TokenFor(Role::kViewer), {"Accept: text/csv"});
  EXPECT_EQ(single.status, 406) << single.body;
  EXPECT_NE(single.body.find("ask for JSON"), std::string::npos) << single.body;

  HttpAnswer quota = Http("GET", Url("/v1/years/2022/projects/rural-chief/quotas/410225"), "",
                          TokenFor(Role::kViewer));
  ASSERT_EQ(quota.status, 200) << quota.body;
  EXPECT_NE(quota.body.find("\"seats\":5"), std::string::npos) << quota.body;

  HttpAnswer budget =
      Http("GET", Url("/v1/years/2022/projects/rural-chief/budget"), "", Province());
  EXPECT_NE(budget.status, 404) << "the route exists: " << budget.body;

  HttpAnswer counties = Http("GET", Url("/v1/projectCounties"), "", TokenFor(Role::kViewer));
  EXPECT_EQ(counties.status, 200) << counties.body;
  HttpAnswer rounds = Http("GET", Url("/v1/years/2022/rounds"), "", TokenFor(Role::kViewer));
  EXPECT_EQ(rounds.status, 200) << rounds.body;
}

TEST_F(GatewayTest, NominatesAsTheCountyAndRefusesWithTheRule) {
  ASSERT_EQ(teachers_.size(), 3u);
  // 兰考县 nominates its own teacher.
  HttpAnswer made = Http("POST", Url("/v1/years/2022/projects/rural-chief:nominate"),
                         absl::StrCat(R"({"teacher": ")", teachers_[0], R"("})"), County("410225"));
  ASSERT_EQ(made.status, 200) << made.body;
  EXPECT_EQ(JsonField(made.body, "state"), "NOMINATED");
  const std::string enrollment = JsonField(made.body, "name");
  ASSERT_TRUE(absl::StartsWith(enrollment, "enrollments/")) << made.body;

  // 中牟县's teacher is not 兰考县's to nominate (R-7): 403 with the rule in the message.
  HttpAnswer refused =
      Http("POST", Url("/v1/years/2022/projects/rural-chief:nominate"),
           absl::StrCat(R"({"teacher": ")", teachers_[2], R"("})"), County("410225"));
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.body.find("\"code\":7"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("R-7"), std::string::npos) << refused.body;
  // The rule as a portal reads it: a google.rpc.ErrorInfo among the details (AIP-193).
  EXPECT_NE(refused.body.find(R"("@type":"type.googleapis.com/google.rpc.ErrorInfo")"),
            std::string::npos)
      << refused.body;
  EXPECT_NE(refused.body.find(R"("reason":"R_7")"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find(R"("metadata":{"rule":"R-7"})"), std::string::npos) << refused.body;

  // The host of the project reads the enrollment; a viewer may not read the teacher (R-35).
  HttpAnswer host_reads = Http("GET", Url("/v1/" + enrollment), "",
                               TokenFor(Role::kHost, "", "hosts/henu", "host-clerk"));
  EXPECT_EQ(host_reads.status, 200) << host_reads.body;
  HttpAnswer viewer = Http("GET", Url("/v1/" + teachers_[0]), "", TokenFor(Role::kViewer));
  EXPECT_EQ(viewer.status, 403) << viewer.body;
  EXPECT_EQ(viewer.body.find("张明远"), std::string::npos) << "no personal data in a refusal";

  // On the training's last day (R-11), checking in moves the enrollment on; the stale etag of
  // a second attempt is a conflict.
  const absl::Time nominated_on = clock_.Now();
  clock_.Set(absl::FromCivil(absl::CivilSecond(2022, 10, 19, 9, 0, 0), ChinaTimeZone()));
  HttpAnswer checked = Http("POST", Url("/v1/" + enrollment + ":checkIn"), R"({"etag": "1"})",
                            TokenFor(Role::kHost, "", "hosts/henu", "host-clerk"));
  ASSERT_EQ(checked.status, 200) << checked.body;
  EXPECT_EQ(JsonField(checked.body, "state"), "CHECKED_IN");
  HttpAnswer stale = Http("POST", Url("/v1/" + enrollment + ":complete"), R"({"etag": "1"})",
                          TokenFor(Role::kHost, "", "hosts/henu", "host-clerk"));
  EXPECT_EQ(stale.status, 409) << stale.body;
  clock_.Set(nominated_on);

  // The rate report is computed from what was just done.
  HttpAnswer rates = Http("GET", Url("/v1/years/2022/rateReport?scope=COUNTY"), "", Province());
  EXPECT_EQ(rates.status, 200) << rates.body;
  EXPECT_NE(rates.body.find("regions/410225"), std::string::npos) << rates.body;

  // Every change is in the audit record, which only province admins read (R-37).
  HttpAnswer audit = Http(
      "GET",
      Url("/v1/enrollment/auditEntries?filter=" + std::string("method+%3D+%22NominateTeacher%22")),
      "", Province());
  EXPECT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("NominateTeacher"), std::string::npos) << audit.body;
  EXPECT_EQ(Http("GET", Url("/v1/enrollment/auditEntries"), "", TokenFor(Role::kViewer)).status,
            403);
}

// 学时申报 as the README shows it: the claim as the body of POST …/hourClaims, the review queue
// of "teachers/-", an approval's refusal naming the field, and the approved hours in the ledger.
TEST_F(GatewayTest, ClaimsAreFiledReviewedAndRegisteredOverHttp) {
  ASSERT_EQ(teachers_.size(), 3u);
  const std::string teacher = teachers_[1];  // 兰考县
  HttpAnswer filed =
      Http("POST", Url("/v1/" + teacher + "/hourClaims"),
           R"({"title": "2022年浙江省乡村教师能力提升培训", "provider": "浙江师范大学",
          "planLevel": "PROVINCIAL", "startDate": {"year": 2022, "month": 7, "day": 10},
          "endDate": {"year": 2022, "month": 7, "day": 19}, "creditHours": 60,
          "offSiteDays": 10, "evidence": "浙教培证 2022-0457"})",
           County("410225"));
  ASSERT_EQ(filed.status, 200) << filed.body;
  EXPECT_EQ(JsonField(filed.body, "state"), "PENDING");
  const std::string claim = JsonField(filed.body, "name");
  ASSERT_TRUE(absl::StartsWith(claim, teacher + "/hourClaims/")) << filed.body;

  const std::string pending = "/v1/teachers/-/hourClaims?filter=state+%3D+%22PENDING%22";
  HttpAnswer queue = Http("GET", Url(pending), "", County("410225"));
  ASSERT_EQ(queue.status, 200) << queue.body;
  EXPECT_NE(queue.body.find(claim), std::string::npos) << queue.body;
  HttpAnswer other = Http("GET", Url(pending), "", County("410122"));
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(other.body.find(claim), std::string::npos) << other.body;

  HttpAnswer unexplained = Http("POST", Url("/v1/" + claim + ":approve"),
                                R"({"creditHours": 40, "offSiteDays": 10})", County("410225"));
  EXPECT_EQ(unexplained.status, 400) << unexplained.body;
  EXPECT_NE(unexplained.body.find("reason"), std::string::npos) << unexplained.body;
  HttpAnswer approved = Http(
      "POST", Url("/v1/" + claim + ":approve"),
      R"({"creditHours": 40, "offSiteDays": 10, "reason": "证书载明40学时"})", County("410225"));
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(JsonField(approved.body, "state"), "APPROVED");
  EXPECT_NE(approved.body.find(R"("approvedCreditHours":40)"), std::string::npos) << approved.body;

  HttpAnswer ledger = Http("GET", Url("/v1/" + teacher + "/hourEntries"), "", County("410225"));
  ASSERT_EQ(ledger.status, 200) << ledger.body;
  EXPECT_EQ(JsonField(ledger.body, "sourceKind"), "CLAIM") << ledger.body;
  EXPECT_EQ(JsonField(ledger.body, "source"), claim) << ledger.body;

  // The ledger as a spreadsheet a portal offers for download (R-31): CSV, and a workbook that
  // reads back with its header and the claim's row; another county is refused as in JSON.
  HttpAnswer csv = Http("GET", Url("/v1/" + teacher + "/hourEntries"), "", County("410225"),
                        {"Accept: text/csv"});
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_EQ(csv.headers["content-disposition"], "attachment; filename=\"hour_entries.csv\"");
  EXPECT_EQ(csv.body.rfind("\xEF\xBB\xBF", 0), 0u) << "a byte-order mark, for Excel and WPS";
  EXPECT_NE(csv.body.find(",CLAIM,"), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find(claim), std::string::npos) << csv.body;
  const std::string xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  HttpAnswer workbook = Http("GET", Url("/v1/" + teacher + "/hourEntries"), "", County("410225"),
                             {"Accept: " + xlsx_type});
  ASSERT_EQ(workbook.status, 200) << workbook.body;
  EXPECT_EQ(workbook.headers["content-type"], xlsx_type);
  const std::string saved = ::testing::TempDir() + "/ledger.xlsx";
  {
    std::ofstream file(saved, std::ios::binary);
    file << workbook.body;
  }
  std::vector<std::vector<std::string>> rows;
  ASSERT_TRUE(cli::ForEachXlsxRow(saved, [&](int, std::vector<std::string>& cells) {
                rows.push_back(cells);
                return true;
              }).ok());
  ASSERT_GE(rows.size(), 2u);
  EXPECT_NE(std::find(rows[0].begin(), rows[0].end(), "source_kind"), rows[0].end());
  bool claim_row = false;
  for (const auto& row : rows)
    claim_row = claim_row || std::find(row.begin(), row.end(), claim) != row.end();
  EXPECT_TRUE(claim_row) << "the claim's entry is in the workbook";
  EXPECT_EQ(Http("GET", Url("/v1/" + teacher + "/hourEntries"), "", County("410223"),
                 {"Accept: text/csv"})
                .status,
            403);
}

// Every route of the annotations reaches its method in the owning service: whatever the
// service answers (often a refusal of the made-up names), never the gateway's "no method" 404,
// a 405, or UNIMPLEMENTED.
TEST_F(GatewayTest, EveryAnnotatedRpcIsReachableOverHttp) {
  int reached = 0;
  std::set<std::string> methods;
  for (const gateway::Route& route : gateway_->routes().routes()) {
    std::vector<std::string> segments =
        absl::StrSplit(absl::StripPrefix(route.path.Shape(), "/"), '/');
    if (!route.path.verb().empty())
      segments.back().resize(segments.back().size() - route.path.verb().size() - 1);
    for (auto& segment : segments) {
      if (segment == "*") segment = "x1";
    }
    std::string path = absl::StrCat("/", absl::StrJoin(segments, "/"));
    if (!route.path.verb().empty()) absl::StrAppend(&path, ":", route.path.verb());
    const bool streams = route.server_streaming() || route.client_streaming();
    HttpAnswer answer = Http(route.http_method, Url(path), route.body.empty() ? "" : "{}",
                             Province(), {}, streams ? 1 : 0, streams ? 2 : 30);
    EXPECT_NE(answer.status, 405) << route.label;
    EXPECT_NE(answer.status, 501) << route.label << ": " << answer.body;
    EXPECT_EQ(answer.body.find("no method answers"), std::string::npos) << route.label;
    EXPECT_NE(answer.status, 0) << route.label << ": no answer";
    ++reached;
    methods.insert(route.method->full_name());
  }
  EXPECT_EQ(methods.size(), 102u) << "every RPC of the four contracts";
  EXPECT_EQ(reached, static_cast<int>(gateway_->routes().routes().size()));
}

TEST_F(GatewayTest, BadRequestsNameTheFieldAndErrorsFollowTheStandardMapping) {
  HttpAnswer none = Http("GET", Url("/v1/years/2022/projects/rural-chief"));
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_NE(none.body.find("\"code\":16"), std::string::npos) << none.body;
  // A token signed with another key stops at the gateway, as at a service.
  auth::TokenClaims claims;
  claims.caller.subject = "intruder";
  claims.caller.role = Role::kProvinceAdmin;
  claims.expires = absl::Now() + absl::Hours(1);
  HttpAnswer forged = Http("GET", Url("/v1/years/2022/projects/rural-chief"), "",
                           auth::SignToken(claims, "another-key-0123456789abcdef0123456789ab"));
  EXPECT_EQ(forged.status, 401) << forged.body;

  HttpAnswer misspelt =
      Http("POST", Url("/v1/years/2022/projects/rural-chief:nominate"),
           absl::StrCat(R"({"teachr": ")", teachers_[1], R"("})"), County("410225"));
  EXPECT_EQ(misspelt.status, 400) << misspelt.body;
  EXPECT_NE(misspelt.body.find("teachr"), std::string::npos) << misspelt.body;

  HttpAnswer bad_param = Http("GET", Url("/v1/regions?pageSize=lots"), "", TokenFor(Role::kViewer));
  EXPECT_EQ(bad_param.status, 400) << bad_param.body;
  EXPECT_NE(bad_param.body.find("pageSize"), std::string::npos) << bad_param.body;

  HttpAnswer bad_name =
      Http("GET", Url("/v1/years/20x2/projects/rural-chief"), "", TokenFor(Role::kViewer));
  EXPECT_EQ(bad_name.status, 400) << bad_name.body;

  HttpAnswer missing =
      Http("GET", Url("/v1/years/2022/projects/no-such-project"), "", TokenFor(Role::kViewer));
  EXPECT_EQ(missing.status, 404) << missing.body;

  HttpAnswer unknown = Http("GET", Url("/v1/nothing/here"), "", Province());
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  HttpAnswer wrong_method =
      Http("DELETE", Url("/v1/years/2022/projects/rural-chief"), "", Province());
  EXPECT_EQ(wrong_method.status, 405) << wrong_method.body;
  EXPECT_EQ(wrong_method.headers["allow"], "GET, PATCH");

  HttpAnswer too_big =
      Http("POST", Url("/v1/hosts?hostId=big"), std::string(size_t{70} * 1024, ' '), Province());
  EXPECT_EQ(too_big.status, 413) << too_big.body.substr(0, 200);

  // CORS: an allowed origin's preflight is answered, another origin's is not.
  HttpAnswer preflight =
      Http("OPTIONS", Url("/v1/regions"), "", "",
           {"Origin: http://portal.example", "Access-Control-Request-Method: GET"});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.headers["access-control-allow-origin"], "http://portal.example");
  EXPECT_NE(preflight.headers["access-control-allow-headers"].find("authorization"),
            std::string::npos);
  HttpAnswer foreign =
      Http("OPTIONS", Url("/v1/regions"), "", "",
           {"Origin: http://elsewhere.example", "Access-Control-Request-Method: GET"});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_TRUE(foreign.headers["access-control-allow-origin"].empty());

  EXPECT_EQ(Http("GET", Url("/healthz")).status, 200);

  // Request metrics by route template and code, with no label per path.
  HttpAnswer metrics =
      Http("GET", absl::StrCat("http://127.0.0.1:", gateway_->metrics_port(), "/metrics"));
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find(
                R"(http_requests_total{code="401",route="GET /v1/{name=years/*/projects/*}"})"),
            std::string::npos);
  EXPECT_EQ(metrics.body.find("/v1/nothing/here"), std::string::npos)
      << "unmatched paths share one label";
  EXPECT_NE(metrics.body.find(R"(route="unmatched")"), std::string::npos);
}

TEST_F(GatewayTest, WatchEventsIsServerSentEventsResumingAfterLastEventId) {
  HttpAnswer first = Http("GET", Url("/v1/catalog/events"), "", Province(), {}, 3);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.headers["content-type"], "text/event-stream; charset=utf-8");
  std::vector<int64_t> ids;
  for (absl::string_view line : absl::StrSplit(first.body, '\n')) {
    int64_t id = 0;
    if (absl::ConsumePrefix(&line, "id: ") && absl::SimpleAtoi(line, &id)) ids.push_back(id);
  }
  ASSERT_GE(ids.size(), 3u) << first.body;
  EXPECT_LT(ids[0], ids[1]);
  EXPECT_NE(first.body.find("\"type\":\"catalog."), std::string::npos) << first.body;

  // A reconnecting EventSource sends the last id it saw and gets what came after it.
  HttpAnswer resumed = Http("GET", Url("/v1/catalog/events"), "", Province(),
                            {absl::StrCat("Last-Event-ID: ", ids[1])}, 1);
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_NE(resumed.body.find(absl::StrCat("id: ", ids[2], "\n")), std::string::npos)
      << resumed.body;

  // Enrollment's feed carries teachers' records: a province admin gets them, a viewer gets a
  // stream without them (R-35), and no token gets an ordinary 401, not an empty 200.
  HttpAnswer admin = Http("GET", Url("/v1/enrollment/events"), "", Province(), {}, 3);
  ASSERT_EQ(admin.status, 200) << admin.body;
  EXPECT_NE(admin.body.find("enrollment.teacher.created"), std::string::npos) << admin.body;
  HttpAnswer viewer =
      Http("GET", Url("/v1/enrollment/events"), "", TokenFor(Role::kViewer), {}, 1, 2);
  EXPECT_EQ(viewer.status, 200);
  EXPECT_NE(viewer.body.find(": heartbeat"), std::string::npos)
      << "an idle stream says it is alive";
  EXPECT_EQ(viewer.body.find("enrollment.teacher"), std::string::npos) << viewer.body;
  EXPECT_EQ(viewer.body.find("张明远"), std::string::npos) << viewer.body;
  HttpAnswer unauthenticated = Http("GET", Url("/v1/enrollment/events"));
  EXPECT_EQ(unauthenticated.status, 401) << unauthenticated.body;
  EXPECT_EQ(unauthenticated.headers["content-type"], "application/json; charset=utf-8");
}

TEST_F(GatewayTest, ServesItsOpenApiDocumentAndSwaggerUi) {
  HttpAnswer document = Http("GET", Url("/openapi.json"));
  ASSERT_EQ(document.status, 200);
  EXPECT_EQ(document.headers["content-type"], "application/json; charset=utf-8");
  EXPECT_NE(document.body.find("\"/v1/years/{year}/projects/{project}:nominate\""),
            std::string::npos);
  HttpAnswer docs = Http("GET", Url("/docs"));
  EXPECT_EQ(docs.status, 302);
  EXPECT_EQ(docs.headers["location"], "/docs/");
  HttpAnswer page = Http("GET", Url("/docs/"));
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("swagger-ui-bundle.js"), std::string::npos);
  HttpAnswer bundle = Http("GET", Url("/docs/swagger-ui-bundle.js"));
  EXPECT_EQ(bundle.status, 200);
  EXPECT_GT(bundle.body.size(), 100000u) << "Swagger UI itself, from npm swagger-ui-dist";
  EXPECT_EQ(Http("GET", Url("/docs/../../CMakeLists.txt")).status, 404)
      << "nothing outside the directories";
  EXPECT_EQ(Http("GET", Url("/portal/.hidden")).status, 404);
}

// Runs a client program of another language; its output is printed and returned.
int RunClient(const std::string& command, const std::string& log, std::string* output) {
  const int exit_code = std::system(absl::StrCat(command, " > ", log, " 2>&1").c_str());
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  *output = text.str();
  std::cout << *output;
  return exit_code;
}

// The county admin's portal page in headless Chromium (tests/portal/portal_test.mjs).
TEST_F(GatewayTest, ThePortalPageRendersAndNominatesInARealBrowser) {
  ASSERT_EQ(teachers_.size(), 3u);
  const std::string screenshot = PEIXUN_BINARY_DIR "/portal.png";
  std::remove(screenshot.c_str());
  setenv("PEIXUN_PORTAL_TOKEN", County("410225").c_str(), 1);  // not on the command line
  std::string output;
  const int exit_code = RunClient(
      absl::StrCat("node ", PEIXUN_SOURCE_DIR, "/tests/portal/portal_test.mjs --source=",
                   PEIXUN_SOURCE_DIR, " --url=", Url(""), " --screenshot=", screenshot,
                   " --teacher=", teachers_[1], " --project=years/2022/projects/rural-chief"),
      PEIXUN_BINARY_DIR "/portal_test.log", &output);
  unsetenv("PEIXUN_PORTAL_TOKEN");
  EXPECT_EQ(exit_code, 0) << output;
  std::ifstream png(screenshot, std::ios::binary | std::ios::ate);
  EXPECT_GT(static_cast<long>(png.tellg()), 10000L) << "a screenshot of the rendered page";
}

// The same contracts from Node (@grpc/grpc-js over gRPC, fetch over HTTP) and from Python
// (urllib over HTTP).
TEST_F(GatewayTest, NodeAndPythonClientsSeeTheSameContracts) {
  ASSERT_EQ(teachers_.size(), 3u);
  setenv("PEIXUN_CLIENT_TOKEN", TokenFor(Role::kViewer, "", "", "client-test").c_str(), 1);
  setenv("PEIXUN_CLIENT_COUNTY_TOKEN", County("410225").c_str(), 1);
  std::string output;
  EXPECT_EQ(
      RunClient(absl::StrCat("node ", PEIXUN_SOURCE_DIR,
                             "/tests/clients/node_client.mjs --source=", PEIXUN_SOURCE_DIR,
                             " --grpc=", peixun::testing::ServiceStack::Address(*stack_->catalog),
                             " --http=", Url("")),
                PEIXUN_BINARY_DIR "/node_client.log", &output),
      0)
      << output;
  EXPECT_NE(output.find(R"("client":"node","failures":0)"), std::string::npos);
  // 中牟县's teacher, whom 兰考县 may not nominate.
  EXPECT_EQ(RunClient(absl::StrCat("/usr/bin/python3 ", PEIXUN_SOURCE_DIR,
                                   "/tests/clients/python_http_client.py --http=", Url(""),
                                   " --teacher=", teachers_[2]),
                      PEIXUN_BINARY_DIR "/python_client.log", &output),
            0)
      << output;
  EXPECT_NE(output.find(R"("client": "python", "failures": 0)"), std::string::npos);
  unsetenv("PEIXUN_CLIENT_TOKEN");
  unsetenv("PEIXUN_CLIENT_COUNTY_TOKEN");
}

TEST_F(GatewayTest, ImportAnswersALinePerRowAndNamesABadLine) {
  const std::string good = absl::StrCat(
      R"({"teacher": {"idNumber": ")", IdNumber("410223", 7),
      R"(", "displayName": "赵一", "school": "尉氏一中",)",
      R"( "county": "regions/410223", "stage": "PRIMARY", "rural": false, "teachingSinceYear": 2012}})");
  HttpAnswer answer = Http("POST", Url("/v1/teachers:import"),
                           good + "\n{\"teacher\": {\"displayName\": 12\n" + good, Province());
  EXPECT_EQ(answer.status, 400) << answer.body;
  std::vector<std::string> lines = absl::StrSplit(answer.body, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << answer.body;
  EXPECT_NE(lines[0].find("\"CREATED\""), std::string::npos)
      << "the row before the bad line was taken: " << lines[0];
  EXPECT_NE(lines[1].find("line 2"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("\"code\":3"), std::string::npos) << lines[1];

  // A county admin imports into its own county only; another county's row is refused by row.
  HttpAnswer county = Http(
      "POST", Url("/v1/teachers:import"),
      absl::StrCat(R"({"teacher": {"idNumber": ")", IdNumber("410122", 8),
                   R"(", "displayName": "钱二", "school": "中牟一中", "county": "regions/410122",)",
                   R"( "stage": "PRIMARY", "teachingSinceYear": 2012}})", "\n"),
      County("410225"));
  EXPECT_EQ(county.status, 200) << county.body;
  EXPECT_NE(county.body.find("\"REJECTED\""), std::string::npos) << county.body;
  EXPECT_EQ(
      Http("GET", Url("/v1/teachers?filter=county+%3D+%22regions%2F410122%22"), "", Province())
          .body.find("钱二"),
      std::string::npos)
      << "nothing of the refused row was stored";
}

// R-1: a city's counties are those whose parent in the region data is the city, whatever their
// code's prefix says: 410299 reads like 开封 (4102) and reports to 郑州 (4101). The filter answers
// the same in funding as a city admin's scope does.
TEST_F(GatewayTest, CityFiltersFollowTheRegionDataNotTheCodesPrefix) {
  MustPost("/v1/regions:import",
           R"({"csv": "code,name,parent_code,level\n410299,示例县,4101,county\n"})");
  for (const char* county : {"410225", "410299"}) {
    MustPost("/v1/projectCounties",
             absl::StrCat(R"({"county": "regions/)", county, R"(", "fromYear": 2022})"));
  }
  auto listed = [](const std::string& city) {
    HttpAnswer answer =
        Http("GET", Url("/v1/projectCounties?filter=city+%3D+%22regions%2F" + city + "%22"), "",
             TokenFor(Role::kViewer));
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.body;
  };
  const std::string zhengzhou = listed("4101");
  EXPECT_NE(zhengzhou.find("regions/410299"), std::string::npos) << zhengzhou;
  EXPECT_EQ(zhengzhou.find("regions/410225"), std::string::npos) << zhengzhou;
  const std::string kaifeng = listed("4102");
  EXPECT_NE(kaifeng.find("regions/410225"), std::string::npos) << kaifeng;
  EXPECT_EQ(kaifeng.find("regions/410299"), std::string::npos) << kaifeng;

  HttpAnswer unknown = Http("GET", Url("/v1/projectCounties?filter=city+%3D+%22regions%2F4117%22"),
                            "", TokenFor(Role::kViewer));
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_NE(unknown.body.find("filter city"), std::string::npos) << unknown.body;
  EXPECT_NE(unknown.body.find("regions/4117 is not a city of the catalog"), std::string::npos)
      << unknown.body;
}

}  // namespace
}  // namespace peixun
