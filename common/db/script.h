// Several SQL statements sent in one round trip (the text protocol's multi-statements), for
// hot paths whose cost is round trips rather than work: a batch of nominations reads what
// its checks need in one request and writes its rows in another.
//
// Values are never spliced in raw: text goes through Quote (the server's own escaping for the
// connection's character set), bytes through Hex, numbers through absl::StrCat.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/db/pool.h"

namespace sql {
class ResultSet;
}

namespace peixun::db {

class Script {
 public:
  explicit Script(Connection& connection) : connection_(connection) {}

  // 'text' with quotes and backslashes escaped for the connection's character set.
  std::string Quote(absl::string_view text) const;
  // X'…': bytes as a hexadecimal literal (BLOB values).
  static std::string Hex(absl::string_view bytes);
  // ('a', 'b', 'c'): quoted values for an IN list (at least one value).
  std::string QuotedList(const std::vector<std::string>& values) const;

  // Adds a statement; `on_rows` receives its result set (for statements that return rows).
  void Add(std::string statement, std::function<void(sql::ResultSet&)> on_rows = nullptr);
  bool empty() const { return statements_.empty(); }

  // Sends every statement in one request and hands each result set to its reader, in order.
  // The first failing statement throws sql::SQLException like a single statement would (the
  // ones after it are not run); every result is consumed either way, so the connection stays
  // usable.
  void Run();

 private:
  Connection& connection_;
  std::vector<std::string> statements_;
  std::vector<std::function<void(sql::ResultSet&)>> readers_;
};

}  // namespace peixun::db
