// Transport security through real processes (issue 6): certificates made by openssl here; a
// catalog and an enrollment server on mutual TLS, enrollment following catalog over it; clients
// without a valid certificate refused; plaintext refused off loopback at start.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "peixun/enrollment/v1/enrollment.grpc.pb.h"
#include "tests/support/harness.h"

namespace peixun {
namespace {

using auth::Role;
using peixun::testing::ContextAs;
using peixun::testing::ScratchDatabase;
using peixun::testing::ServiceProcess;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void Sh(const std::string& command) {
  ASSERT_EQ(std::system((command + " > /dev/null 2>&1").c_str()), 0) << command;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/tls-" + std::to_string(getpid());
    Sh("mkdir -p " + dir_);
    const std::string d = dir_;
    // The suite's CA, and one certificate for the services (server and client use).
    Sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/ca.key -out " + d +
       "/ca.pem -days 1 -subj /CN=peixun-test-ca");
    std::ofstream(d + "/ext.cnf") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                     "extendedKeyUsage=serverAuth,clientAuth\n";
    Issue("service", "ca");
    // Another CA nobody trusts, and a certificate it signed.
    Sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/rogue-ca.key -out " + d +
       "/rogue-ca.pem -days 1 -subj /CN=rogue-ca");
    Issue("rogue", "rogue-ca");
  }

  void TearDown() override { Sh("rm -rf " + dir_); }

  void Issue(const std::string& name, const std::string& ca) {
    const std::string d = dir_;
    Sh("openssl req -newkey rsa:2048 -nodes -keyout " + d + "/" + name + ".key -out " + d + "/" +
       name + ".csr -subj /CN=peixun-" + name);
    Sh("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/" + ca + ".pem -CAkey " + d +
       "/" + ca + ".key -CAcreateserial -out " + d + "/" + name + ".pem -days 1 -extfile " + d +
       "/ext.cnf");
  }

  std::vector<std::pair<std::string, std::string>> Env(const ScratchDatabase& db) const {
    const auto& c = db.config();
    return {
        {"PEIXUN_DB_HOST", c.host},         {"PEIXUN_DB_PORT", std::to_string(c.port)},
        {"PEIXUN_DB_NAME", c.database},     {"PEIXUN_DB_USER", c.user},
        {"PEIXUN_DB_PASSWORD", c.password}, {"PEIXUN_TOKEN_KEY", peixun::testing::kTestTokenKey}};
  }

  std::vector<std::string> TlsFlags() const {
    return {"--tls_cert_file=" + dir_ + "/service.pem", "--tls_key_file=" + dir_ + "/service.key",
            "--tls_ca_file=" + dir_ + "/ca.pem"};
  }

  // A channel trusting the suite's CA, presenting `client` ("" for no certificate).
  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& client,
                                         const std::string& ca = "ca") const {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Read(dir_ + "/" + ca + ".pem");
    if (!client.empty()) {
      ssl.pem_cert_chain = Read(dir_ + "/" + client + ".pem");
      ssl.pem_private_key = Read(dir_ + "/" + client + ".key");
    }
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(ssl));
  }

  std::string dir_;
};

std::unique_ptr<grpc::ClientContext> Short(auth::Role role) {
  auto context = ContextAs(role);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return context;
}

TEST_F(TlsTest, MutualTlsBetweenServicesAndClientsWithoutAValidCertificateAreRefused) {
  ScratchDatabase catalog_db, enrollment_db;
  const std::string logs = ::testing::TempDir();
  std::vector<std::string> args = {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0"};
  for (const auto& f : TlsFlags()) args.push_back(f);
  std::vector<std::string> catalog_args = args;
  catalog_args.emplace_back("--health_listen=127.0.0.1:0");
  ServiceProcess catalog(PEIXUN_CATALOG_BINARY, catalog_args, Env(catalog_db),
                         logs + "/tls-catalog.log");
  const int catalog_port = catalog.WaitServing();
  ASSERT_GT(catalog_port, 0) << Read(logs + "/tls-catalog.log");
  const std::string catalog_log = Read(logs + "/tls-catalog.log");
  EXPECT_NE(catalog_log.find("mutual TLS"), std::string::npos);
  // Probes that cannot speak TLS (Kubernetes' gRPC probes) ask a plaintext port that serves
  // health and nothing else.
  const size_t at = catalog_log.find("health only) on port ");
  ASSERT_NE(at, std::string::npos) << catalog_log;
  const int health_port = std::atoi(catalog_log.c_str() + at + 21);
  auto health = grpc::health::v1::Health::NewStub(peixun::testing::LoopbackChannel(health_port));
  grpc::health::v1::HealthCheckRequest ask;
  ask.set_service("peixun.catalog.v1.CatalogService");
  grpc::health::v1::HealthCheckResponse answer;
  grpc::ClientContext health_context;
  ASSERT_TRUE(health->Check(&health_context, ask, &answer).ok());
  EXPECT_EQ(answer.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  auto catalog_on_health_port =
      catalog::v1::CatalogService::NewStub(peixun::testing::LoopbackChannel(health_port));
  catalog::v1::GetRegionRequest probe;
  probe.set_name("regions/41");
  catalog::v1::Region none;
  EXPECT_EQ(
      catalog_on_health_port->GetRegion(Short(Role::kViewer).get(), probe, &none).error_code(),
      grpc::StatusCode::UNIMPLEMENTED)
      << "the health port serves nothing else";
  args.push_back(absl::StrCat("--catalog_target=localhost:", catalog_port));
  ServiceProcess enrollment(PEIXUN_ENROLLMENT_BINARY, args, Env(enrollment_db),
                            logs + "/tls-enrollment.log");
  const int enrollment_port = enrollment.WaitServing();
  ASSERT_GT(enrollment_port, 0) << Read(logs + "/tls-enrollment.log");

  // A client with the suite's certificate is served.
  auto trusted = catalog::v1::CatalogService::NewStub(Channel(catalog_port, "service"));
  catalog::v1::ImportRegionsRequest regions;
  regions.set_csv(
      "code,name,parent_code,level\n41,河南省,,province\n4102,开封市,41,city\n410225,兰考县,4102,"
      "county\n");
  catalog::v1::ImportRegionsResponse imported;
  grpc::Status status =
      trusted->ImportRegions(Short(Role::kProvinceAdmin).get(), regions, &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Without a certificate, with one from another CA, or in plaintext: refused at the handshake.
  catalog::v1::GetRegionRequest get;
  get.set_name("regions/410225");
  catalog::v1::Region region;
  auto anonymous = catalog::v1::CatalogService::NewStub(Channel(catalog_port, ""));
  EXPECT_EQ(anonymous->GetRegion(Short(Role::kViewer).get(), get, &region).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  auto rogue = catalog::v1::CatalogService::NewStub(Channel(catalog_port, "rogue"));
  EXPECT_EQ(rogue->GetRegion(Short(Role::kViewer).get(), get, &region).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  auto plaintext = catalog::v1::CatalogService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", catalog_port), grpc::InsecureChannelCredentials()));
  EXPECT_EQ(plaintext->GetRegion(Short(Role::kViewer).get(), get, &region).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A server whose certificate the client's CA did not sign is not trusted either.
  auto misled = catalog::v1::CatalogService::NewStub(Channel(catalog_port, "rogue", "rogue-ca"));
  EXPECT_EQ(misled->GetRegion(Short(Role::kViewer).get(), get, &region).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  ASSERT_TRUE(trusted->GetRegion(Short(Role::kViewer).get(), get, &region).ok());
  EXPECT_EQ(region.display_name(), "兰考县");

  // peixunctl speaks mutual TLS when given the CA and a certificate, and says what is missing
  // when not.
  setenv("PEIXUN_TOKEN_KEY", peixun::testing::kTestTokenKey, 1);
  const std::string ctl =
      absl::StrCat(PEIXUN_PEIXUNCTL_BINARY, " --target=127.0.0.1:", catalog_port, " ");
  const std::string out = dir_ + "/ctl.out";
  EXPECT_EQ(std::system((ctl + "--tls_ca_file=" + dir_ + "/ca.pem --tls_cert_file=" + dir_ +
                         "/service.pem --tls_key_file=" + dir_ + "/service.key regions > " + out +
                         " 2>&1")
                            .c_str()),
            0)
      << Read(out);
  EXPECT_NE(Read(out).find("兰考县"), std::string::npos) << Read(out);
  EXPECT_NE(std::system((ctl + "--deadline_seconds=5 regions > " + out + " 2>&1").c_str()), 0);
  EXPECT_NE(Read(out).find("needs --tls_ca_file"), std::string::npos) << Read(out);

  // Service to service: enrollment follows catalog's events over mutual TLS, so a quota made
  // in catalog shows in enrollment's report.
  catalog::v1::CreateYearRequest year;
  year.mutable_plan_year()->set_year(2030);
  year.mutable_plan_year()->mutable_nomination_deadline()->set_year(2030);
  year.mutable_plan_year()->mutable_nomination_deadline()->set_month(8);
  year.mutable_plan_year()->mutable_nomination_deadline()->set_day(31);
  catalog::v1::PlanYear made_year;
  ASSERT_TRUE(trusted->CreateYear(Short(Role::kProvinceAdmin).get(), year, &made_year).ok());
  catalog::v1::CreateCategoryRequest category;
  category.set_parent("years/2030");
  category.set_category_id("backbone");
  category.mutable_category()->set_display_name("骨干教师培训");
  category.mutable_category()->set_plan_level(common::v1::PROVINCIAL);
  catalog::v1::ProjectCategory made_category;
  ASSERT_TRUE(
      trusted->CreateCategory(Short(Role::kProvinceAdmin).get(), category, &made_category).ok());
  catalog::v1::CreateHostRequest host;
  host.set_host_id("henu");
  host.mutable_host()->set_display_name("河南大学");
  catalog::v1::HostInstitution made_host;
  ASSERT_TRUE(trusted->CreateHost(Short(Role::kProvinceAdmin).get(), host, &made_host).ok());
  catalog::v1::CreateProjectRequest project;
  project.set_parent("years/2030");
  project.set_project_id("backbone");
  auto* p = project.mutable_project();
  p->set_display_name("骨干教师培训");
  p->set_category("years/2030/categories/backbone");
  p->set_host("hosts/henu");
  p->set_seats(10);
  p->set_credit_hours(80);
  p->mutable_format()->set_centralized_days(5);
  for (auto* date : {p->mutable_start_date(), p->mutable_end_date()}) {
    date->set_year(2030);
    date->set_month(9);
    date->set_day(date == p->mutable_start_date() ? 1 : 5);
  }
  catalog::v1::Project made_project;
  status = trusted->CreateProject(Short(Role::kProvinceAdmin).get(), project, &made_project);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (const auto& [parent, code] :
       {std::make_pair(std::string("years/2030/projects/backbone"), std::string("4102")),
        std::make_pair(std::string("years/2030/projects/backbone/quotas/4102"),
                       std::string("410225"))}) {
    catalog::v1::AllocateQuotaRequest quota;
    quota.set_parent(parent);
    quota.set_region("regions/" + code);
    quota.set_seats(10);
    catalog::v1::QuotaAllocation made;
    status = trusted->AllocateQuota(Short(Role::kProvinceAdmin).get(), quota, &made);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  auto reports = enrollment::v1::EnrollmentService::NewStub(Channel(enrollment_port, "service"));
  int quota = 0;
  for (int attempt = 0; attempt < 300 && quota != 10; ++attempt) {
    enrollment::v1::GetRateReportRequest request;
    request.set_year("years/2030");
    request.set_scope(enrollment::v1::GetRateReportRequest::COUNTY);
    enrollment::v1::RateReport report;
    if (reports->GetRateReport(Short(Role::kProvinceAdmin).get(), request, &report).ok() &&
        report.rows_size() > 0) {
      quota = report.rows(0).quota();
    }
    if (quota != 10) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(quota, 10) << Read(logs + "/tls-enrollment.log");
}

TEST_F(TlsTest, WithoutCertificatesAServiceServesOnlyOnLoopback) {
  ScratchDatabase db;
  const std::string log = ::testing::TempDir() + "/tls-refused.log";
  {
    ServiceProcess refused(PEIXUN_CATALOG_BINARY,
                           {"--listen=0.0.0.0:0", "--metrics_listen=127.0.0.1:0"}, Env(db), log);
    EXPECT_EQ(refused.WaitServing(absl::Seconds(10)), 0);
  }
  EXPECT_NE(Read(log).find("listen: 0.0.0.0:0 is not a loopback address"), std::string::npos)
      << Read(log);
  {
    ServiceProcess half(PEIXUN_CATALOG_BINARY,
                        {"--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                         "--tls_cert_file=" + dir_ + "/service.pem"},
                        Env(db), log);
    EXPECT_EQ(half.WaitServing(absl::Seconds(10)), 0);
  }
  EXPECT_NE(Read(log).find("tls_cert_file and tls_key_file: give both or neither"),
            std::string::npos)
      << Read(log);
}

}  // namespace
}  // namespace peixun
