// The access policy table (ARCHITECTURE.md "Identity and access"; DOMAIN.md R-35): every RPC of
// the four contracts has an entry, personal data goes only to the roles R-35 names, and scopes
// reach exactly their own county, city, host or self.
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "common/auth/access.h"
#include "common/util/bounds.h"
#include "gtest/gtest.h"
#include "peixun/catalog/v1/catalog.pb.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "peixun/evaluation/v1/evaluation.pb.h"
#include "peixun/funding/v1/funding.pb.h"

namespace peixun::auth {
namespace {

std::vector<const google::protobuf::ServiceDescriptor*> Contracts() {
  // A message of each file, so that the file is linked and in the generated pool.
  const google::protobuf::FileDescriptor* files[] = {
      catalog::v1::Region::descriptor()->file(), enrollment::v1::Teacher::descriptor()->file(),
      evaluation::v1::Round::descriptor()->file(), funding::v1::Decision::descriptor()->file()};
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const auto* file : files) {
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

constexpr Role kRoles[] = {Role::kProvinceAdmin, Role::kCityAdmin, Role::kCountyAdmin,
                           Role::kHost,          Role::kExpert,    Role::kTeacher,
                           Role::kViewer,        Role::kService};

TEST(AccessPolicyTest, EveryRpcOfTheFourContractsHasAnEntryAndEveryEntryIsAnRpc) {
  const AccessPolicy& policy = AccessPolicy::Default();
  std::set<std::string> rpcs;
  for (const auto* service : Contracts()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string name = service->method(i)->full_name();
      rpcs.insert(name);
      const MethodPolicy* entry = policy.Find(name);
      ASSERT_NE(entry, nullptr) << name << " has no entry in the access policy";
      EXPECT_FALSE(entry->action.empty()) << name;
      EXPECT_FALSE(entry->permissions.empty()) << name << " admits nobody";
    }
  }
  EXPECT_EQ(policy.methods().size(), rpcs.size());
  for (const auto& entry : policy.methods()) {
    EXPECT_EQ(rpcs.count(entry.method), 1u) << entry.method << " is not an RPC of the contracts";
  }
}

TEST(AccessPolicyTest, R35ExpertsViewersAndServicesReadNoTeachersPersonalData) {
  const AccessPolicy& policy = AccessPolicy::Default();
  for (const auto& entry : policy.methods()) {
    if (!entry.personal_data || absl::EndsWith(entry.method, ".WatchEvents")) continue;
    for (Role role : {Role::kExpert, Role::kViewer, Role::kService}) {
      EXPECT_EQ(policy.ScopeOf(role, entry.method), Scope::kNone)
          << RoleName(role) << " reaches " << entry.method;
    }
  }
  // What they do get: aggregates.
  for (Role role : kRoles) {
    EXPECT_EQ(policy.ScopeOf(role, "peixun.enrollment.v1.EnrollmentService.GetRateReport"),
              Scope::kAll);
  }
}

TEST(AccessPolicyTest, R35ScopesOfEachRoleOverATeachersRecords) {
  const AccessPolicy& policy = AccessPolicy::Default();
  const std::string get = "peixun.enrollment.v1.EnrollmentService.GetTeacher";
  EXPECT_EQ(policy.ScopeOf(Role::kProvinceAdmin, get), Scope::kAll);
  EXPECT_EQ(policy.ScopeOf(Role::kCityAdmin, get), Scope::kOwnCity);
  EXPECT_EQ(policy.ScopeOf(Role::kCountyAdmin, get), Scope::kOwnCounty);
  EXPECT_EQ(policy.ScopeOf(Role::kHost, get), Scope::kOwnHost);
  EXPECT_EQ(policy.ScopeOf(Role::kTeacher, get), Scope::kSelf);
  // Only a county nominates; only the province lifts a bar.
  for (Role role : kRoles) {
    EXPECT_EQ(policy.ScopeOf(role, "peixun.enrollment.v1.EnrollmentService.NominateTeacher") !=
                  Scope::kNone,
              role == Role::kCountyAdmin);
    EXPECT_EQ(policy.ScopeOf(role, "peixun.enrollment.v1.EnrollmentService.LiftBlacklistEntry") !=
                  Scope::kNone,
              role == Role::kProvinceAdmin);
  }
}

Access Admitted(Role role, const std::string& region, const std::string& host,
                const std::string& subject, const std::string& method) {
  Caller caller;
  caller.role = role;
  caller.region_code = region;
  caller.host = host;
  caller.subject = subject;
  auto access =
      AccessPolicy::Default().Admit(caller, "peixun.enrollment.v1.EnrollmentService." + method);
  EXPECT_TRUE(access.ok()) << access.status();
  return access.ok() ? *access : Access{};
}

TEST(AccessPolicyTest, ScopesCoverOwnResourcesOnlyAndTheCityIsTheRealParentNotACodePrefix) {
  Resource lankao;  // 兰考县, directly administered (R-1b), reported under 开封 (4102)
  lankao.name = "teachers/t1";
  lankao.teacher = "teachers/t1";
  lankao.county = "410225";
  lankao.city = "4102";
  EXPECT_TRUE(Admitted(Role::kCountyAdmin, "410225", "", "a", "GetTeacher").Covers(lankao));
  EXPECT_FALSE(Admitted(Role::kCountyAdmin, "410224", "", "a", "GetTeacher").Covers(lankao));
  EXPECT_TRUE(Admitted(Role::kCityAdmin, "4102", "", "a", "GetTeacher").Covers(lankao));
  EXPECT_FALSE(Admitted(Role::kCityAdmin, "41", "", "a", "GetTeacher").Covers(lankao));
  EXPECT_FALSE(Admitted(Role::kCityAdmin, "4101", "", "a", "GetTeacher").Covers(lankao));
  EXPECT_TRUE(Admitted(Role::kTeacher, "", "", "teachers/t1", "GetTeacher").Covers(lankao));
  EXPECT_FALSE(Admitted(Role::kTeacher, "", "", "teachers/t2", "GetTeacher").Covers(lankao));
  EXPECT_FALSE(Admitted(Role::kHost, "", "hosts/henu", "h", "GetTeacher").Covers(lankao));
  lankao.host = "hosts/henu";  // a trainee of one of 河南大学's projects
  EXPECT_TRUE(Admitted(Role::kHost, "", "hosts/henu", "h", "GetTeacher").Covers(lankao));
  EXPECT_FALSE(Admitted(Role::kHost, "", "hosts/zzu", "h", "GetTeacher").Covers(lankao));
  // R-1a: 济源示范区 is a city-level unit that is its own county-level unit.
  Resource jiyuan;
  jiyuan.county = "419001";
  EXPECT_TRUE(Admitted(Role::kCityAdmin, "419001", "", "a", "GetTeacher").Covers(jiyuan));
  const absl::Status refused =
      Admitted(Role::kCityAdmin, "4101", "", "a", "GetTeacher").Check(lankao);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(refused.message().find("teachers/t1"), absl::string_view::npos) << refused;
}

TEST(AccessPolicyTest, AdmitRefusesARoleWithoutScopeAndAMethodWithoutEntry) {
  Caller viewer;
  viewer.role = Role::kViewer;
  auto refused =
      AccessPolicy::Default().Admit(viewer, "peixun.enrollment.v1.EnrollmentService.ListTeachers");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("list teachers"), absl::string_view::npos);
  auto unknown =
      AccessPolicy::Default().Admit(viewer, "peixun.catalog.v1.CatalogService.DropEverything");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(AccessPolicyTest, DocsSecurityShowsTheTableAsItIs) {
  std::ifstream in(std::string(PEIXUN_SOURCE_DIR) + "/docs/security.md");
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_NE(doc.str().find(AccessPolicy::Default().Markdown()), std::string::npos)
      << "docs/security.md does not hold the access policy as it is; the table is:\n"
      << AccessPolicy::Default().Markdown();
}

TEST(IdentityKeyTest, DiffersForEveryPartOfTheIdentity) {
  Caller a;
  a.role = Role::kCountyAdmin;
  a.subject = "s";
  a.region_code = "410225";
  Caller b = a;
  b.region_code = "410224";
  Caller c = a;
  c.role = Role::kCityAdmin;
  EXPECT_EQ(IdentityKey(a).size(), 32u);
  EXPECT_NE(IdentityKey(a), IdentityKey(b));
  EXPECT_NE(IdentityKey(a), IdentityKey(c));
  EXPECT_EQ(IdentityKey(a), IdentityKey(Caller(a)));
}

TEST(RequestBoundsTest, RefusesUnknownEnumsControlCharactersLongStringsAndDeepTrees) {
  enrollment::v1::ImportTeachersRequest row;
  row.mutable_teacher()->set_display_name("张伟");
  row.mutable_teacher()->add_subjects("语文");
  EXPECT_TRUE(CheckRequestBounds(row).ok());
  row.mutable_teacher()->set_gender(static_cast<enrollment::v1::Gender>(42));
  absl::Status unknown_enum = CheckRequestBounds(row);
  EXPECT_EQ(unknown_enum.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown_enum.message().rfind("teacher.gender: 42 is not a value of Gender", 0), 0u)
      << unknown_enum;
  row.mutable_teacher()->clear_gender();
  row.mutable_teacher()->set_display_name(std::string("张\x01伟"));
  EXPECT_EQ(CheckRequestBounds(row).message().rfind(
                "teacher.display_name: holds the control character 0x01", 0),
            0u)
      << CheckRequestBounds(row);
  row.mutable_teacher()->set_display_name(std::string(16 * 1024 + 1, 'a'));
  EXPECT_EQ(CheckRequestBounds(row).message().rfind("teacher.display_name: is 16385 bytes", 0), 0u);
  row.mutable_teacher()->set_display_name("张伟");
  *row.mutable_teacher()->mutable_subjects(0) = std::string("\xe8\xaf", 2);  // cut UTF-8
  EXPECT_EQ(CheckRequestBounds(row).message(), "teacher.subjects[0]: is not valid UTF-8");
  row.mutable_teacher()->clear_subjects();
  for (int i = 0; i < 2001; ++i) row.mutable_teacher()->add_subjects("语文");
  EXPECT_EQ(CheckRequestBounds(row).message().rfind("teacher.subjects: has 2001 elements", 0), 0u);

  // A rubric nested 20 deep is refused, naming where it went too deep.
  evaluation::v1::CreateRubricVersionRequest rubric;
  evaluation::v1::Indicator* node = rubric.mutable_rubric_version()->add_indicators();
  for (int i = 0; i < 20; ++i) node = node->add_children();
  absl::Status deep = CheckRequestBounds(rubric);
  EXPECT_EQ(deep.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(deep.message().rfind("rubric_version.indicators[0].children[0]", 0), 0u) << deep;
  EXPECT_NE(deep.message().find("nests deeper than 12 levels"), absl::string_view::npos) << deep;
  // Tabs and line breaks are text, not control characters.
  evaluation::v1::CreateRubricVersionRequest text;
  text.mutable_rubric_version()->set_change_note("第一行\n\t第二行\r\n");
  EXPECT_TRUE(CheckRequestBounds(text).ok());
}

}  // namespace
}  // namespace peixun::auth
