#include "tests/support/harness.h"

#include <cppconn/connection.h>
#include <cppconn/driver.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace peixun::testing {
namespace {

std::string Env(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value == nullptr ? fallback : value;
}

std::unique_ptr<sql::Connection> AdminConnection(const db::DbConfig& config) {
  sql::ConnectOptionsMap options;
  options["hostName"] = sql::SQLString(config.host);
  options["port"] = config.port;
  options["userName"] = sql::SQLString(config.user);
  options["password"] = sql::SQLString(config.password);
  options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  return std::unique_ptr<sql::Connection>(
      sql::mysql::get_mysql_driver_instance()->connect(options));
}

}  // namespace

db::DbConfig TestDbConfig() {
  db::DbConfig config;
  config.host = Env("PEIXUN_TEST_DB_HOST", "127.0.0.1");
  int port = 3306;
  if (!absl::SimpleAtoi(Env("PEIXUN_TEST_DB_PORT", "3306"), &port)) port = 3306;
  config.port = port;
  config.user = Env("PEIXUN_TEST_DB_USER", "peixun_admin");
  config.password = Env("PEIXUN_TEST_DB_PASSWORD", "");
  config.pool_size = 16;
  return config;
}

ScratchDatabase::ScratchDatabase() : config_(TestDbConfig()) {
  unsigned char bytes[6];
  RAND_bytes(bytes, sizeof bytes);
  config_.database = absl::StrCat(
      "peixun_test_", absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(bytes), 6)));
  auto admin = AdminConnection(config_);
  std::unique_ptr<sql::Statement> statement(admin->createStatement());
  statement->execute(absl::StrCat("CREATE DATABASE ", config_.database, " CHARACTER SET utf8mb4"));
}

ScratchDatabase::~ScratchDatabase() {
  try {
    auto admin = AdminConnection(config_);
    std::unique_ptr<sql::Statement> statement(admin->createStatement());
    statement->execute(absl::StrCat("DROP DATABASE IF EXISTS ", config_.database));
  } catch (const std::exception&) {
    // The server may be down in a fault test; the database goes with the test datadir.
  }
}

void ScratchDatabase::Execute(const std::string& sql) {
  auto admin = AdminConnection(config_);
  admin->setSchema(config_.database);
  std::unique_ptr<sql::Statement> statement(admin->createStatement());
  statement->execute(sql);
}

std::string ScratchDatabase::QueryValue(const std::string& sql) {
  auto admin = AdminConnection(config_);
  admin->setSchema(config_.database);
  std::unique_ptr<sql::Statement> statement(admin->createStatement());
  std::unique_ptr<sql::ResultSet> rows(statement->executeQuery(sql));
  if (!rows->next()) return "";
  return rows->getString(1);
}

server::PlatformOptions TestPlatformOptions(const std::string& service,
                                            const std::string& grpc_service,
                                            const db::DbConfig& db,
                                            std::vector<db::Migration> migrations) {
  server::PlatformOptions options;
  options.service = service;
  options.grpc_service = grpc_service;
  options.listen = "127.0.0.1:0";
  options.metrics_listen = "127.0.0.1:0";
  options.db = db;
  options.token_key = kTestTokenKey;
  options.shutdown_grace = absl::Seconds(2);
  options.health_interval = absl::Milliseconds(200);
  options.migrations = std::move(migrations);
  return options;
}

bool WaitServing(const server::Platform& platform, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (platform.serving()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

std::unique_ptr<grpc::ClientContext> ContextAs(auth::Role role, const std::string& region,
                                               const std::string& host) {
  auth::TokenClaims claims;
  claims.caller.subject = "test";
  claims.caller.role = role;
  claims.caller.region_code = region;
  claims.caller.host = host;
  claims.expires = absl::Now() + absl::Hours(1);
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + auth::SignToken(claims, kTestTokenKey));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

std::shared_ptr<grpc::Channel> LoopbackChannel(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

}  // namespace peixun::testing
