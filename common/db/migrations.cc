#include "common/db/migrations.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <iostream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace peixun::db {
namespace {

// Tables every service has; version numbers below 1 so they never collide with a service's.
const std::vector<Migration>& PlatformMigrations() {
  static const std::vector<Migration> kMigrations = {
      {-3, "platform_idempotency", R"sql(
CREATE TABLE IF NOT EXISTS idempotency_keys (
  method VARCHAR(128) NOT NULL,
  request_id VARCHAR(128) NOT NULL,
  request_hash BINARY(32) NOT NULL,
  response LONGBLOB NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (method, request_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
)sql"},
      {-2, "platform_outbox", R"sql(
CREATE TABLE IF NOT EXISTS outbox (
  sequence BIGINT NOT NULL PRIMARY KEY,
  type VARCHAR(128) NOT NULL,
  resource VARCHAR(255) NOT NULL,
  payload_type VARCHAR(255) NOT NULL,
  payload LONGBLOB NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE IF NOT EXISTS outbox_sequence (
  id TINYINT NOT NULL PRIMARY KEY,
  last_sequence BIGINT NOT NULL
) ENGINE=InnoDB;
INSERT IGNORE INTO outbox_sequence (id, last_sequence) VALUES (1, 0);
)sql"},
      // Sequences are assigned after commit by EventFeed's sequencer, so writers never hold a
      // shared lock through their commit; rows wait in id order with a NULL sequence.
      {-1, "platform_outbox_sequencer", R"sql(
ALTER TABLE outbox DROP PRIMARY KEY, ADD COLUMN id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY FIRST,
  MODIFY sequence BIGINT NULL, ADD UNIQUE KEY outbox_by_sequence (sequence);
)sql"},
      // A stored answer belongs to the caller that made it (ARCHITECTURE.md "Identity and
      // access"): the key is (caller, method, request_id). Answers stored before callers were
      // recorded stay under the empty caller, which no caller is: they are never replayed.
      {-4, "platform_idempotency_caller", R"sql(
ALTER TABLE idempotency_keys ADD COLUMN caller VARBINARY(32) NOT NULL DEFAULT '' FIRST,
  DROP PRIMARY KEY, ADD PRIMARY KEY (caller, method, request_id);
)sql"},
      // R-37: who changed what and who read whose personal data (common/server/audit.h).
      {-5, "platform_audit", R"sql(
CREATE TABLE IF NOT EXISTS audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  time TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  kind TINYINT NOT NULL,
  subject VARCHAR(255) NOT NULL,
  role VARCHAR(32) NOT NULL,
  client VARCHAR(128) NOT NULL,
  request_id VARCHAR(128) NOT NULL,
  method VARCHAR(128) NOT NULL,
  resource VARCHAR(255) NOT NULL,
  outcome VARCHAR(32) NOT NULL,
  KEY audit_by_time (time),
  KEY audit_by_subject (subject, id),
  KEY audit_by_resource (resource, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
)sql"},
  };
  return kMigrations;
}

}  // namespace

std::vector<std::string> SplitStatements(const std::string& sql) {
  std::vector<std::string> statements;
  std::string current;
  for (absl::string_view line : absl::StrSplit(sql, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "--")) continue;
    absl::StrAppend(&current, line, "\n");
    if (absl::EndsWith(trimmed, ";")) {
      std::string statement(absl::StripAsciiWhitespace(current));
      statement.pop_back();  // the ';'
      statements.push_back(std::move(statement));
      current.clear();
    }
  }
  if (!absl::StripAsciiWhitespace(current).empty()) {
    statements.emplace_back(absl::StripAsciiWhitespace(current));
  }
  return statements;
}

absl::Status ApplyMigrations(ConnectionPool& pool, const std::vector<Migration>& migrations) {
  // The platform's tables first, in the order they are listed (their versions are below 1 and
  // only name them), then the service's in version order.
  std::vector<Migration> all = PlatformMigrations();
  std::vector<Migration> own = migrations;
  std::sort(own.begin(), own.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  all.insert(all.end(), own.begin(), own.end());
  return pool.RunInTransaction([&](Connection& connection) -> absl::Status {
    {
      std::unique_ptr<sql::ResultSet> lock(
          connection.Prepare("SELECT GET_LOCK('peixun_migrations', 60)").executeQuery());
      if (!lock->next() || lock->getInt(1) != 1) {
        return absl::UnavailableError("migrations: another replica holds the migration lock");
      }
    }
    connection.Execute(R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB)sql");
    std::set<int> applied;
    {
      std::unique_ptr<sql::ResultSet> rows(
          connection.Prepare("SELECT version FROM schema_migrations").executeQuery());
      while (rows->next()) applied.insert(rows->getInt(1));
    }
    absl::Status result = absl::OkStatus();
    for (const Migration& migration : all) {
      if (applied.count(migration.version) > 0) continue;
      // DDL commits implicitly in MySQL; each migration is recorded right after it runs.
      try {
        for (const std::string& statement : SplitStatements(migration.sql)) {
          connection.Execute(statement);
        }
      } catch (const sql::SQLException& e) {
        result = absl::InternalError(absl::StrCat("migration ", migration.version, " (",
                                                  migration.name, ") failed: MySQL error ",
                                                  e.getErrorCode(), ": ", e.what()));
        break;
      }
      auto& record =
          connection.Prepare("INSERT INTO schema_migrations (version, name) VALUES (?, ?)");
      record.setInt(1, migration.version);
      record.setString(2, migration.name);
      record.executeUpdate();
      connection.raw().commit();
      std::cerr << "applied migration " << migration.version << " " << migration.name << "\n";
    }
    std::unique_ptr<sql::ResultSet> release(
        connection.Prepare("SELECT RELEASE_LOCK('peixun_migrations')").executeQuery());
    return result;
  });
}

}  // namespace peixun::db
