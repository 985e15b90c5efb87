// Tokens no integrator can forge (ARCHITECTURE.md "Identity and access"): a service verifies
// ES256 tokens against a JWKS served over HTTP by another process, follows a key rotation
// without a restart, and refuses HS256, forged, unknown-key and wrong-issuer tokens.
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "services/catalog/catalog_migrations.h"
#include "services/catalog/catalog_service.h"
#include "services/catalog/claim_lookups.h"
#include "tests/support/harness.h"

namespace peixun {
namespace {

using auth::Role;

// Debian's python3 serving a folder over HTTP on a loopback port; stopped when destroyed.
class JwksServer {
 public:
  explicit JwksServer(std::string dir) : dir_(std::move(dir)), port_(testing::FreeLoopbackPort()) {
    pid_ = fork();
    if (pid_ == 0) {
      execl("/usr/bin/python3", "python3", "-m", "http.server", "--bind", "127.0.0.1",
            "--directory", dir_.c_str(), std::to_string(port_).c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~JwksServer() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/jwks.json"); }
  void Publish(const std::vector<const auth::SigningKey*>& keys) const {
    std::vector<std::string> jwks;
    jwks.reserve(keys.size());
    for (const auto* key : keys) jwks.push_back(key->PublicJwk());
    const std::string tmp = dir_ + "/jwks.json.tmp";
    std::ofstream(tmp) << auth::JwksDocument(jwks);
    std::filesystem::rename(tmp, dir_ + "/jwks.json");
  }
  // Waits until the server answers.
  bool WaitUp() const {
    for (int i = 0; i < 100; ++i) {
      if (system(absl::StrCat("curl -sf -o /dev/null ", url()).c_str()) == 0) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

 private:
  std::string dir_;
  int port_;
  pid_t pid_ = -1;
};

class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("peixun-jwks-", getpid());
    std::filesystem::create_directories(dir_);
    server_ = std::make_unique<JwksServer>(dir_.string());
    server_->Publish({&first_});
    ASSERT_TRUE(server_->WaitUp());
    auto options = testing::TestPlatformOptions("catalog", "peixun.catalog.v1.CatalogService",
                                                db_.config(), catalog::Migrations());
    options.token_key.clear();  // no development mode: ES256 only
    options.jwks = server_->url();
    options.token_issuer = "https://idp.jyt.henan.gov.cn";
    options.token_audience = "peixun";
    options.jwks_refetch_interval = absl::Milliseconds(200);
    options.jwks_max_age = absl::Milliseconds(500);
    platform_ = std::make_unique<server::Platform>(options);
    service_ = std::make_unique<catalog::CatalogService>(*platform_);
    ASSERT_TRUE(platform_->Start(service_.get()).ok());
    ASSERT_TRUE(testing::WaitServing(*platform_));
    stub_ = catalog::v1::CatalogService::NewStub(testing::LoopbackChannel(platform_->port()));
  }
  void TearDown() override {
    if (platform_) platform_->Shutdown();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string Token(const auth::SigningKey& key,
                    const std::string& issuer = "https://idp.jyt.henan.gov.cn") {
    auth::TokenClaims claims;
    claims.caller.subject = "integrator";
    claims.caller.role = Role::kViewer;
    claims.expires = absl::Now() + absl::Hours(1);
    claims.issuer = issuer;
    claims.audience = "peixun";
    return *auth::SignToken(claims, key);
  }
  grpc::Status Call(const std::string& token) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    catalog::v1::ListRegionsResponse page;
    return stub_->ListRegions(&context, catalog::v1::ListRegionsRequest(), &page);
  }
  // Calls until the answer has `code`, for up to 5 s (the service reloads on its own).
  bool Becomes(const std::string& token, grpc::StatusCode code) {
    for (int i = 0; i < 50; ++i) {
      if (Call(token).error_code() == code) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

  auth::SigningKey first_ = *auth::SigningKey::GenerateEs256("idp-2026-1");
  auth::SigningKey second_ = *auth::SigningKey::GenerateEs256("idp-2026-2");
  std::filesystem::path dir_;
  std::unique_ptr<JwksServer> server_;
  testing::ScratchDatabase db_;
  std::unique_ptr<server::Platform> platform_;
  std::unique_ptr<catalog::CatalogService> service_;
  std::unique_ptr<catalog::v1::CatalogService::Stub> stub_;
};

TEST_F(TokenTest, Es256TokensVerifyAgainstTheJwksAndKeysRotateWithoutARestart) {
  const std::string old_token = Token(first_);
  ASSERT_TRUE(Call(old_token).ok()) << Call(old_token).error_message();
  // A key the set does not have yet is refused...
  const std::string new_token = Token(second_);
  grpc::Status unknown = Call(new_token);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(unknown.error_message().find("idp-2026-2"), std::string::npos)
      << unknown.error_message();
  // ... until the identity provider publishes it, and the old key is retired.
  server_->Publish({&second_});
  EXPECT_TRUE(Becomes(new_token, grpc::StatusCode::OK));
  EXPECT_TRUE(Becomes(old_token, grpc::StatusCode::UNAUTHENTICATED))
      << "a retired key's token still passes";
}

TEST_F(TokenTest, ForgedHs256WrongIssuerAndAKeyOfAnotherKidAreRefused) {
  // A token signed by a key of the right name that is not the published one.
  auto impostor = *auth::SigningKey::GenerateEs256("idp-2026-1");
  EXPECT_EQ(Call(Token(impostor)).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // HS256 with any key: development mode is off.
  auth::TokenClaims claims;
  claims.caller.subject = "integrator";
  claims.caller.role = Role::kProvinceAdmin;
  claims.expires = absl::Now() + absl::Hours(1);
  grpc::Status hs256 = Call(auth::SignToken(claims, testing::kTestTokenKey));
  EXPECT_EQ(hs256.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(hs256.error_message().find("HS256"), std::string::npos) << hs256.error_message();
  grpc::Status issuer = Call(Token(first_, "https://evil.example"));
  EXPECT_EQ(issuer.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(issuer.error_message().find("iss"), std::string::npos) << issuer.error_message();
  // A tampered payload (role raised to province_admin) under a genuine signature.
  std::string token = Token(first_);
  const size_t a = token.find('.');
  const size_t b = token.find('.', a + 1);
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token.substr(a + 1, b - a - 1), &payload));
  payload.replace(payload.find("viewer"), 6, "province_admin");
  std::string forged =
      token.substr(0, a + 1) + absl::WebSafeBase64Escape(payload) + token.substr(b);
  EXPECT_EQ(Call(forged).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST(TokenOptions, Hs256IsRefusedOffLoopback) {
  // With TLS (so the address itself is allowed), an HS256 key is still refused off loopback.
  const std::string dir = ::testing::TempDir();
  ASSERT_EQ(system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
                    "-subj /CN=catalog "
                    "-keyout " +
                    dir + "/hs256-test.key -out " + dir + "/hs256-test.crt 2>/dev/null")
                       .c_str()),
            0);
  setenv("PEIXUN_TOKEN_KEY", testing::kTestTokenKey, 1);
  setenv("PEIXUN_LISTEN", "0.0.0.0:0", 1);
  setenv("PEIXUN_TLS_CERT_FILE", (dir + "/hs256-test.crt").c_str(), 1);
  setenv("PEIXUN_TLS_KEY_FILE", (dir + "/hs256-test.key").c_str(), 1);
  auto options = server::OptionsFromFlags("catalog", "peixun.catalog.v1.CatalogService", 0);
  unsetenv("PEIXUN_LISTEN");
  unsetenv("PEIXUN_TLS_CERT_FILE");
  unsetenv("PEIXUN_TLS_KEY_FILE");
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.status().message().find("HS256"), std::string::npos) << options.status();
}

// The role's region and host claims must name a region of the role's level and a registered
// host: in catalog against its own tables, in another service through catalog's RPCs.
TEST(TokenClaims, RegionAndHostClaimsMustNameWhatTheCatalogHolds) {
  testing::ScratchDatabase catalog_db;
  testing::ScratchDatabase other_db;
  server::Platform catalog(testing::TestPlatformOptions(
      "catalog", "peixun.catalog.v1.CatalogService", catalog_db.config(), catalog::Migrations()));
  catalog.SetClaimLookups(catalog::StoreClaimLookups(catalog.pool()));
  catalog::CatalogService catalog_service(catalog);
  ASSERT_TRUE(catalog.Start(&catalog_service).ok());
  ASSERT_TRUE(testing::WaitServing(catalog));
  auto catalog_stub =
      catalog::v1::CatalogService::NewStub(testing::LoopbackChannel(catalog.port()));
  catalog::v1::ImportRegionsRequest regions;
  regions.set_csv(
      "code,name,parent_code,level,directly_administered\n41,河南省,,province,\n"
      "4102,开封市,41,city,\n410225,兰考县,4102,county,\n410223,尉氏县,4102,county,\n"
      "410221,杞县,4102,county,\n419001,济源示范区,41,city,true\n");
  catalog::v1::ImportRegionsResponse imported;
  ASSERT_TRUE(
      catalog_stub
          ->ImportRegions(testing::ContextAs(Role::kProvinceAdmin).get(), regions, &imported)
          .ok());
  catalog::v1::CreateHostRequest host;
  host.set_host_id("henu");
  host.mutable_host()->set_display_name("河南大学");
  catalog::v1::HostInstitution created;
  ASSERT_TRUE(
      catalog_stub->CreateHost(testing::ContextAs(Role::kProvinceAdmin).get(), host, &created)
          .ok());

  // A second service that asks catalog (here another catalog process on its own database).
  server::Platform other(testing::TestPlatformOptions("catalog", "peixun.catalog.v1.CatalogService",
                                                      other_db.config(), catalog::Migrations()));
  other.SetClaimLookups(
      catalog::CatalogClaimLookups("enrollment", absl::StrCat("127.0.0.1:", catalog.port()),
                                   testing::TestSigner(), SystemClock::Instance()));
  catalog::CatalogService other_service(other);
  ASSERT_TRUE(other.Start(&other_service).ok());
  ASSERT_TRUE(testing::WaitServing(other));
  auto other_stub = catalog::v1::CatalogService::NewStub(testing::LoopbackChannel(other.port()));

  struct Case {
    Role role;
    std::string region;
    std::string host;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {Role::kCountyAdmin, "410225", "", grpc::StatusCode::OK, ""},
      {Role::kCountyAdmin, "410299", "", grpc::StatusCode::UNAUTHENTICATED,
       "410299 is not in the region data"},
      {Role::kCityAdmin, "4102", "", grpc::StatusCode::OK, ""},
      {Role::kCityAdmin, "4199", "", grpc::StatusCode::UNAUTHENTICATED,
       "4199 is not in the region data"},
      // 济源 (R-1a) is a city-level unit that is its own county-level unit.
      {Role::kCityAdmin, "419001", "", grpc::StatusCode::OK, ""},
      {Role::kCountyAdmin, "419001", "", grpc::StatusCode::OK, ""},
      // A county's code names no city: a city admin of 兰考县 is refused by the region data.
      {Role::kCityAdmin, "410225", "", grpc::StatusCode::UNAUTHENTICATED,
       "410225 is not a city-level unit"},
      {Role::kExpert, "410223", "", grpc::StatusCode::OK, ""},
      {Role::kExpert, "410521", "", grpc::StatusCode::UNAUTHENTICATED,
       "410521 is not in the region data"},
      {Role::kHost, "", "hosts/henu", grpc::StatusCode::OK, ""},
      {Role::kHost, "", "hosts/nobody", grpc::StatusCode::UNAUTHENTICATED,
       "hosts/nobody is not a registered host"},
  };
  for (auto* stub : {catalog_stub.get(), other_stub.get()}) {
    for (const Case& c : cases) {
      catalog::v1::ListRegionsResponse page;
      grpc::Status status = stub->ListRegions(testing::ContextAs(c.role, c.region, c.host).get(),
                                              catalog::v1::ListRegionsRequest(), &page);
      const std::string who =
          absl::StrCat(auth::RoleName(c.role), " ", c.region, c.host, ": ", status.error_message());
      EXPECT_EQ(status.error_code(), c.code) << who;
      EXPECT_NE(status.error_message().find(c.message), std::string::npos) << who;
    }
  }
  // Catalog gone: a claim seen before still counts; one never seen cannot be checked.
  catalog.Shutdown();
  catalog::v1::ListRegionsResponse page;
  EXPECT_TRUE(other_stub
                  ->ListRegions(testing::ContextAs(Role::kCountyAdmin, "410225").get(),
                                catalog::v1::ListRegionsRequest(), &page)
                  .ok());
  grpc::Status unseen =
      other_stub->ListRegions(testing::ContextAs(Role::kCountyAdmin, "410221").get(),
                              catalog::v1::ListRegionsRequest(), &page);
  EXPECT_EQ(unseen.error_code(), grpc::StatusCode::UNAVAILABLE) << unseen.error_message();
  EXPECT_NE(unseen.error_message().find("cannot check the token's region claim now"),
            std::string::npos)
      << unseen.error_message();
  other.Shutdown();
}

}  // namespace
}  // namespace peixun
