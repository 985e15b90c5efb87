// Test support: a throwaway database on the private MariaDB that tools/test starts, and a real
// service on a loopback port with real gRPC channels and signed tokens.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/auth/identity.h"
#include "common/db/migrations.h"
#include "common/db/pool.h"
#include "common/server/platform.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"

namespace peixun::testing {

inline constexpr char kTestTokenKey[] = "test-key-0123456789abcdef0123456789abcdef";

// What a service in a test signs its calls to other services with: the development key.
inline auth::TokenSigner TestSigner() {
  auth::TokenSigner signer;
  signer.hs256_key = kTestTokenKey;
  return signer;
}

// Connection settings of the private MariaDB, from PEIXUN_TEST_DB_* (set by tools/test).
db::DbConfig TestDbConfig();

// A fresh, empty database that is dropped when this goes out of scope.
class ScratchDatabase {
 public:
  ScratchDatabase();
  ~ScratchDatabase();
  const db::DbConfig& config() const { return config_; }
  // Runs one statement as the admin user in this database (test set-up and checks).
  void Execute(const std::string& sql);
  // First column of the first row of a query, as text.
  std::string QueryValue(const std::string& sql);

 private:
  db::DbConfig config_;
};

// Options for a platform on loopback port 0 against `db`.
server::PlatformOptions TestPlatformOptions(const std::string& service,
                                            const std::string& grpc_service, const db::DbConfig& db,
                                            std::vector<db::Migration> migrations);

// Waits until the platform reports SERVING, up to `timeout`.
bool WaitServing(const server::Platform& platform, absl::Duration timeout = absl::Seconds(30));

// A development (HS256) token for `role` (and region/host where given), valid for an hour.
std::string TokenFor(auth::Role role, const std::string& region = "", const std::string& host = "",
                     const std::string& subject = "test");

// A client context carrying a token for `role` (and region/host where given).
std::unique_ptr<grpc::ClientContext> ContextAs(auth::Role role, const std::string& region = "",
                                               const std::string& host = "",
                                               const std::string& subject = "test");

std::shared_ptr<grpc::Channel> LoopbackChannel(int port);

// A loopback port nobody listens on right now: for a process that must come back on the same
// address, or whose address another must know before it starts.
int FreeLoopbackPort();

// Runs a shell command: its output (stdout and stderr) and its exit code (-1 when it did not
// exit).
std::pair<std::string, int> RunCommand(const std::string& command);

// A MariaDB of the test's own (tools/devdb on a private datadir), for tests that stop and
// start the database; stopped and removed when destroyed. A restart keeps its port.
class OwnMariaDb {
 public:
  explicit OwnMariaDb(const std::string& name);
  ~OwnMariaDb();
  // tools/devdb start or stop.
  void Run(const std::string& verb);
  // Settings for the database and user of `service` (e.g. "catalog").
  db::DbConfig Config(const std::string& service = "catalog") const;
  // PEIXUN_DB_* for a service process.
  std::vector<std::pair<std::string, std::string>> Env(const std::string& service) const;

 private:
  std::string ReadFile(const std::string& name) const;
  std::string dir_;
  std::string port_;
};

// A service binary run as its own OS process on loopback; stopped with SIGTERM (then SIGKILL
// after 10 s) when destroyed. Its output goes to `log_path`.
class ServiceProcess {
 public:
  ServiceProcess(const std::string& binary, const std::vector<std::string>& args,
                 const std::vector<std::pair<std::string, std::string>>& env, std::string log_path);
  ~ServiceProcess();
  // Waits until the log says SERVING; returns the gRPC port, or 0 on timeout or exit.
  int WaitServing(absl::Duration timeout = absl::Seconds(30));
  int pid() const { return pid_; }
  // Sends SIGTERM and waits up to `within` for the process to exit: its exit code, or -1 when it
  // was still running then (it is killed) or ended by a signal.
  int Terminate(absl::Duration within);

 private:
  int pid_ = -1;
  std::string log_path_;
};

}  // namespace peixun::testing
