// MySQL/MariaDB access for one service's own database: a bounded connection pool that
// survives a server restart, and transactions that retry on deadlock and lock-wait timeout.
// Connector/C++ throws; nothing here lets an exception past RunInTransaction.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"

namespace sql {
class Connection;
class PreparedStatement;
class ResultSet;
class SQLException;
}  // namespace sql

namespace peixun::db {

struct DbConfig {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string database;
  std::string user;
  std::string password;  // from the environment or a file only
  int pool_size = 8;
  absl::Duration connect_timeout = absl::Seconds(3);
  absl::Duration acquire_timeout = absl::Seconds(3);
  absl::Duration io_timeout = absl::Seconds(30);
  int lock_wait_timeout_seconds = 5;
};

// One open connection with its prepared statements, reused across transactions.
class Connection {
 public:
  explicit Connection(std::unique_ptr<sql::Connection> raw);
  ~Connection();

  // A prepared statement for `sql`, prepared once per connection. Set every placeholder
  // before each execution.
  sql::PreparedStatement& Prepare(const std::string& sql);
  // Runs a statement without parameters (DDL, session settings).
  void Execute(const std::string& sql);
  sql::Connection& raw() { return *raw_; }

  absl::Time last_used;
  uint64_t generation = 0;

 private:
  std::unique_ptr<sql::Connection> raw_;
  std::unordered_map<std::string, std::unique_ptr<sql::PreparedStatement>> statements_;
};

class ConnectionPool {
 public:
  ConnectionPool(DbConfig config, metrics::DbMetrics* metrics);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Runs `work` inside one transaction and commits when it returns OK; rolls back otherwise.
  // Deadlocks and lock-wait timeouts are retried (up to 5 attempts); a connection lost before
  // commit is retried once on a new connection. Database failures become UNAVAILABLE (server
  // unreachable) or INTERNAL with the MySQL error number.
  absl::Status RunInTransaction(const std::function<absl::Status(Connection&)>& work);

  // Like RunInTransaction for work that sends START TRANSACTION and COMMIT itself, inside its
  // own multi-statement requests (db::Script), to save their round trips. Failures roll back;
  // a connection lost after the work began is never retried (the commit may have happened).
  absl::Status RunSelfCommitting(const std::function<absl::Status(Connection&)>& work);

  // Runs read-only `work` in autocommit mode: each statement sees the latest committed data
  // (as under READ COMMITTED inside a transaction) and no COMMIT round-trip is paid.
  absl::Status RunRead(const std::function<absl::Status(Connection&)>& work);

  // Checks the server answers (SELECT 1 on a pooled connection).
  absl::Status Ping();

  const DbConfig& config() const { return config_; }

 private:
  absl::StatusOr<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> connection, bool healthy);
  absl::StatusOr<std::unique_ptr<Connection>> Open();
  enum class Mode { kRead, kTransaction, kSelfCommitting };
  absl::Status Run(const std::function<absl::Status(Connection&)>& work, Mode mode);
  absl::Status RunOnce(Connection& connection, const std::function<absl::Status(Connection&)>& work,
                       Mode mode, bool* connection_lost, bool* retryable, bool* committing);

  const DbConfig config_;
  metrics::DbMetrics* const metrics_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
  // Bumped when a connection is found dead, so the idle ones opened before are dropped too.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

// MySQL error numbers the code branches on.
inline constexpr int kErrDuplicateKey = 1062;
inline constexpr int kErrOutOfRange = 1264;
inline constexpr int kErrIncorrectValue = 1366;
inline constexpr int kErrDataTooLong = 1406;
inline constexpr int kErrLockWaitTimeout = 1205;
inline constexpr int kErrDeadlock = 1213;

// Runs `write` in the caller's transaction and answers ALREADY_EXISTS, naming `what`, when the
// database refuses it for a duplicate key: code above the stores decides on a status, never on
// the driver's exceptions. Every other database error propagates as before (the transaction is
// retried or fails).
absl::Status AlreadyExistsOnDuplicate(const std::function<void()>& write, absl::string_view what);

int ErrorCode(const sql::SQLException& e);

// The bytes of a BLOB column (1-based index) of the current row.
std::string ReadBlob(sql::ResultSet& rows, int column);

}  // namespace peixun::db
