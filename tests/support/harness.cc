#include "tests/support/harness.h"

#include <cppconn/connection.h>
#include <cppconn/driver.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <fcntl.h>
#include <mysql_driver.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

extern char** environ;

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
                                            const std::string& grpc_service, const db::DbConfig& db,
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

std::string TokenFor(auth::Role role, const std::string& region, const std::string& host,
                     const std::string& subject) {
  auth::TokenClaims claims;
  claims.caller.subject = subject;
  claims.caller.role = role;
  claims.caller.region_code = region;
  claims.caller.host = host;
  claims.expires = absl::Now() + absl::Hours(1);
  return auth::SignToken(claims, kTestTokenKey);
}

std::unique_ptr<grpc::ClientContext> ContextAs(auth::Role role, const std::string& region,
                                               const std::string& host,
                                               const std::string& subject) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + TokenFor(role, region, host, subject));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

std::shared_ptr<grpc::Channel> LoopbackChannel(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

ServiceProcess::ServiceProcess(const std::string& binary, const std::vector<std::string>& args,
                               const std::vector<std::pair<std::string, std::string>>& env,
                               std::string log_path)
    : log_path_(std::move(log_path)) {
  std::vector<std::string> argv_text = {binary};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<std::string> env_text;
  // The given variables replace inherited ones of the same name (getenv finds the first).
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& given : env) overridden = overridden || given.first == name;
    if (!overridden) env_text.push_back(entry);
  }
  for (const auto& [name, value] : env) env_text.push_back(absl::StrCat(name, "=", value));
  std::vector<char*> argv, envp;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  if (posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data()) == 0)
    pid_ = pid;
  posix_spawn_file_actions_destroy(&actions);
}

ServiceProcess::~ServiceProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    absl::SleepFor(absl::Milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

int ServiceProcess::Terminate(absl::Duration within) {
  if (pid_ <= 0) return -1;
  const pid_t pid = pid_;
  pid_ = -1;
  kill(pid, SIGTERM);
  const absl::Time until = absl::Now() + within;
  int status = 0;
  while (absl::Now() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    absl::SleepFor(absl::Milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

int ServiceProcess::WaitServing(absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  while (pid_ > 0 && absl::Now() < until) {
    std::ifstream file(log_path_);
    std::stringstream text;
    text << file.rdbuf();
    const std::string log = text.str();
    const size_t at = log.find("gRPC on port ");
    if (at != std::string::npos && log.find(" SERVING") != std::string::npos) {
      return std::atoi(log.c_str() + at + 13);
    }
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return 0;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return 0;
}

std::pair<std::string, int> RunCommand(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::string output;
  char buffer[4096];
  while (pipe != nullptr && fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = pipe == nullptr ? -1 : pclose(pipe);
  return {output, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  return ok ? ntohs(address.sin_port) : 0;
}

OwnMariaDb::OwnMariaDb(const std::string& name)
    : dir_((std::filesystem::temp_directory_path() / absl::StrCat("peixun-", name, "-", getpid()))
               .string()) {
  std::filesystem::remove_all(dir_);
  Run("start");
}

OwnMariaDb::~OwnMariaDb() {
  Run("stop");
  std::filesystem::remove_all(dir_);
}

void OwnMariaDb::Run(const std::string& verb) {
  std::string command =
      absl::StrCat("PEIXUN_DEVDB_DIR=", dir_, port_.empty() ? "" : " PEIXUN_DEVDB_PORT=" + port_,
                   " ", PEIXUN_SOURCE_DIR, "/tools/devdb ", verb, " >/dev/null");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  if (port_.empty()) port_ = ReadFile("port");
}

db::DbConfig OwnMariaDb::Config(const std::string& service) const {
  db::DbConfig config;
  config.port = std::stoi(port_);
  config.user = "peixun_" + service;
  config.database = "peixun_" + service;
  config.password = ReadFile(service + ".password");
  config.connect_timeout = absl::Seconds(1);
  return config;
}

std::vector<std::pair<std::string, std::string>> OwnMariaDb::Env(const std::string& service) const {
  const db::DbConfig c = Config(service);
  return {{"PEIXUN_DB_HOST", "127.0.0.1"},
          {"PEIXUN_DB_PORT", port_},
          {"PEIXUN_DB_NAME", c.database},
          {"PEIXUN_DB_USER", c.user},
          {"PEIXUN_DB_PASSWORD", c.password}};
}

std::string OwnMariaDb::ReadFile(const std::string& name) const {
  std::ifstream in(std::filesystem::path(dir_) / name);
  std::string value;
  in >> value;
  return value;
}

}  // namespace peixun::testing
