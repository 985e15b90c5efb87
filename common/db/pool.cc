#include "common/db/pool.h"

#include <cppconn/connection.h>
#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"

namespace peixun::db {
namespace {

bool IsConnectionError(int code) {
  // CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST,
  // CR_SERVER_LOST_EXTENDED, ER_CONNECTION_KILLED, ER_SERVER_SHUTDOWN, client-side 0.
  switch (code) {
    case 2002:
    case 2003:
    case 2006:
    case 2013:
    case 2055:
    case 1927:
    case 1053:
    case 4031:
    case 0:
      return true;
    default:
      return false;
  }
}

void CountError(metrics::DbMetrics* metrics, const char* kind) {
  if (metrics != nullptr) metrics->query_errors->Add({{"kind", kind}}).Increment();
}

}  // namespace

int ErrorCode(const sql::SQLException& e) { return e.getErrorCode(); }

// The column a MySQL data error names ("Data too long for column 'school' at row 1").
std::string ColumnOf(const std::string& message) {
  const size_t start = message.find("column '");
  if (start == std::string::npos) return "value";
  const size_t end = message.find('\'', start + 8);
  return end == std::string::npos ? "value" : message.substr(start + 8, end - start - 8);
}

std::string ReadBlob(sql::ResultSet& rows, int column) {
  std::unique_ptr<std::istream> blob(rows.getBlob(column));
  std::stringstream bytes;
  bytes << blob->rdbuf();
  return bytes.str();
}

Connection::Connection(std::unique_ptr<sql::Connection> raw) : raw_(std::move(raw)) {}

Connection::~Connection() {
  statements_.clear();
  try {
    if (raw_ != nullptr) raw_->close();
  } catch (const sql::SQLException&) {
    // Closing a connection the server already dropped; nothing to do.
  }
}

sql::PreparedStatement& Connection::Prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return *it->second;
  std::unique_ptr<sql::PreparedStatement> statement(raw_->prepareStatement(sql));
  return *statements_.emplace(sql, std::move(statement)).first->second;
}

void Connection::Execute(const std::string& sql) {
  std::unique_ptr<sql::Statement> statement(raw_->createStatement());
  statement->execute(sql);
}

ConnectionPool::ConnectionPool(DbConfig config, metrics::DbMetrics* metrics)
    : config_(std::move(config)), metrics_(metrics) {
  if (metrics_ != nullptr) metrics_->pool_max->Set(config_.pool_size);
}

ConnectionPool::~ConnectionPool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

absl::StatusOr<std::unique_ptr<Connection>> ConnectionPool::Open() {
  sql::ConnectOptionsMap options;
  options["hostName"] = sql::SQLString(config_.host);
  options["port"] = config_.port;
  options["userName"] = sql::SQLString(config_.user);
  options["password"] = sql::SQLString(config_.password);
  options["schema"] = sql::SQLString(config_.database);
  options["OPT_CONNECT_TIMEOUT"] = static_cast<int>(absl::ToInt64Seconds(config_.connect_timeout));
  options["OPT_READ_TIMEOUT"] = static_cast<int>(absl::ToInt64Seconds(config_.io_timeout));
  options["OPT_WRITE_TIMEOUT"] = static_cast<int>(absl::ToInt64Seconds(config_.io_timeout));
  options["OPT_RECONNECT"] = false;
  options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  // For db::Script (values are quoted by it; everything else uses prepared statements).
  options["CLIENT_MULTI_STATEMENTS"] = true;
  try {
    std::unique_ptr<sql::Connection> raw;
    {
      // Connector/C++ 1.1 initializes the client library inside its first connect, unguarded:
      // two threads connecting at once can crash it. Connects are rare; take them one at a time.
      static absl::Mutex connect_mu(absl::kConstInit);
      absl::MutexLock lock(&connect_mu);
      raw.reset(sql::mysql::get_mysql_driver_instance()->connect(options));
    }
    auto connection = std::make_unique<Connection>(std::move(raw));
    connection->Execute("SET NAMES utf8mb4");
    connection->Execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    connection->Execute(
        absl::StrCat("SET SESSION innodb_lock_wait_timeout = ", config_.lock_wait_timeout_seconds));
    connection->Execute("SET SESSION time_zone = '+00:00'");
    return connection;
  } catch (const sql::SQLException& e) {
    CountError(metrics_, "connect");
    return absl::UnavailableError(absl::StrCat("database unavailable: cannot connect to ",
                                               config_.host, ":", config_.port, " (MySQL error ",
                                               e.getErrorCode(), ")"));
  }
}

absl::StatusOr<std::unique_ptr<Connection>> ConnectionPool::Acquire() {
  absl::Time start = absl::Now();
  uint64_t generation = 0;
  {
    absl::MutexLock lock(&mu_);
    auto can_proceed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < config_.pool_size;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&can_proceed), config_.acquire_timeout)) {
      if (metrics_ != nullptr) metrics_->pool_timeouts->Increment();
      return absl::UnavailableError(absl::StrCat("database busy: no free connection within ",
                                                 absl::FormatDuration(config_.acquire_timeout),
                                                 " (pool of ", config_.pool_size, ")"));
    }
    if (metrics_ != nullptr)
      metrics_->pool_wait_seconds->Observe(absl::ToDoubleSeconds(absl::Now() - start));
    ++in_use_;
    if (metrics_ != nullptr) metrics_->pool_in_use->Set(in_use_);
    while (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      if (connection->generation == generation_) return connection;
      --open_;  // opened before the server was lost: drop it
    }
    ++open_;
    generation = generation_;
    if (metrics_ != nullptr) metrics_->pool_open->Set(open_);
  }
  auto opened = Open();
  if (!opened.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    --in_use_;
    if (metrics_ != nullptr) {
      metrics_->pool_open->Set(open_);
      metrics_->pool_in_use->Set(in_use_);
    }
    return opened.status();
  }
  (*opened)->generation = generation;
  return opened;
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection, bool healthy) {
  absl::MutexLock lock(&mu_);
  --in_use_;
  if (healthy) {
    connection->last_used = absl::Now();
    idle_.push_back(std::move(connection));
  } else {
    --open_;
    ++generation_;
  }
  if (metrics_ != nullptr) {
    metrics_->pool_open->Set(open_);
    metrics_->pool_in_use->Set(in_use_);
  }
  if (!healthy) connection.reset();
}

absl::Status ConnectionPool::RunOnce(Connection& connection,
                                     const std::function<absl::Status(Connection&)>& work,
                                     Mode mode, bool* connection_lost, bool* retryable,
                                     bool* committing) {
  *connection_lost = false;
  *retryable = false;
  *committing = false;
  const bool transactional = mode != Mode::kRead;
  try {
    if (mode == Mode::kRead) return work(connection);
    if (mode == Mode::kSelfCommitting) {
      *committing = true;  // the work's last request may carry the COMMIT
      absl::Status status = work(connection);
      if (!status.ok()) connection.raw().rollback();
      return status;
    }
    connection.Execute("START TRANSACTION");
    absl::Status status = work(connection);
    if (status.ok()) {
      *committing = true;
      connection.raw().commit();
    } else {
      connection.raw().rollback();
    }
    return status;
  } catch (const sql::SQLException& e) {
    int code = e.getErrorCode();
    if (IsConnectionError(code)) {
      *connection_lost = true;
      CountError(metrics_, "connection");
      return absl::UnavailableError(
          absl::StrCat("database unavailable: connection lost (MySQL error ", code, ")"));
    }
    if (transactional) {
      try {
        connection.raw().rollback();
      } catch (const sql::SQLException&) {
        *connection_lost = true;
      }
    }
    if (code == kErrDeadlock || code == kErrLockWaitTimeout) {
      *retryable = true;
      CountError(metrics_, code == kErrDeadlock ? "deadlock" : "lock_wait_timeout");
      return absl::AbortedError(absl::StrCat("database contention (MySQL error ", code, ")"));
    }
    if (code == kErrDataTooLong || code == kErrIncorrectValue || code == kErrOutOfRange) {
      // Input the checks before SQL let through (a safety net, not the first line): the
      // client's error, naming the column, never an INTERNAL.
      CountError(metrics_, "input");
      return absl::InvalidArgumentError(absl::StrCat(ColumnOf(e.what()), ": ",
                                                     code == kErrDataTooLong
                                                         ? "is longer than its column allows"
                                                         : "is not a value its column holds",
                                                     " (MySQL error ", code, ")"));
    }
    CountError(metrics_, "other");
    std::cerr << "database error " << code << " (" << e.getSQLState() << "): " << e.what() << "\n";
    return absl::InternalError(absl::StrCat("database error (MySQL error ", code, ")"));
  }
}

absl::Status ConnectionPool::RunInTransaction(
    const std::function<absl::Status(Connection&)>& work) {
  return Run(work, Mode::kTransaction);
}

absl::Status ConnectionPool::RunSelfCommitting(
    const std::function<absl::Status(Connection&)>& work) {
  return Run(work, Mode::kSelfCommitting);
}

absl::Status ConnectionPool::RunRead(const std::function<absl::Status(Connection&)>& work) {
  return Run(work, Mode::kRead);
}

absl::Status ConnectionPool::Run(const std::function<absl::Status(Connection&)>& work, Mode mode) {
  constexpr int kMaxAttempts = 5;
  absl::Time start = absl::Now();
  bool reconnected = false;
  absl::Status status;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    auto connection = Acquire();
    if (!connection.ok()) return connection.status();
    bool lost = false;
    bool retryable = false;
    bool committing = false;
    status = RunOnce(**connection, work, mode, &lost, &retryable, &committing);
    Release(std::move(*connection), !lost);
    if (lost && !committing && !reconnected) {
      // Nothing was committed: the server restarted or dropped an idle connection.
      reconnected = true;
      continue;
    }
    if (!retryable) break;
    if (metrics_ != nullptr) metrics_->transaction_retries->Increment();
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * attempt * attempt));
  }
  if (metrics_ != nullptr) {
    metrics_->transaction_seconds->Observe(absl::ToDoubleSeconds(absl::Now() - start));
  }
  return status;
}

absl::Status ConnectionPool::Ping() {
  return RunRead([](Connection& connection) {
    std::unique_ptr<sql::ResultSet> rows(connection.Prepare("SELECT 1").executeQuery());
    return rows->next() ? absl::OkStatus() : absl::UnavailableError("database: SELECT 1 failed");
  });
}

absl::Status AlreadyExistsOnDuplicate(const std::function<void()>& write, absl::string_view what) {
  try {
    write();
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != kErrDuplicateKey) throw;
    return absl::AlreadyExistsError(absl::StrCat(what, " already exists"));
  }
  return absl::OkStatus();
}

}  // namespace peixun::db
