// Numbered schema migrations, applied once each and recorded in schema_migrations.
// Each service's are embedded at build time by peixun_migrations() in CMake, as
// <service namespace>::Migrations().
// The platform's own tables (idempotency keys, outbox) come first, then the service's.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/db/pool.h"

namespace peixun::db {

struct Migration {
  int version;
  std::string name;
  std::string sql;  // statements separated by ';' at line ends
};

// Applies every migration not yet recorded, in version order, under a named lock so that
// replicas starting together apply each exactly once.
absl::Status ApplyMigrations(ConnectionPool& pool, const std::vector<Migration>& migrations);

// Splits a migration into statements (on ';' ending a line; '--' comment lines dropped).
std::vector<std::string> SplitStatements(const std::string& sql);

}  // namespace peixun::db
