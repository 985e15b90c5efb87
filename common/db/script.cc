#include "common/db/script.h"

#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_connection.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace peixun::db {

std::string Script::Quote(absl::string_view text) const {
  auto* mysql = dynamic_cast<sql::mysql::MySQL_Connection*>(&connection_.raw());
  if (mysql == nullptr) throw sql::SQLException("Script needs a MySQL connection");
  sql::SQLString escaped = mysql->escapeString(sql::SQLString(std::string(text)));
  return absl::StrCat("'", escaped.asStdString(), "'");
}

std::string Script::Hex(absl::string_view bytes) {
  if (bytes.empty()) return "''";
  return absl::StrCat("X'", absl::BytesToHexString(bytes), "'");
}

std::string Script::QuotedList(const std::vector<std::string>& values) const {
  std::string out = "(";
  for (size_t i = 0; i < values.size(); ++i)
    absl::StrAppend(&out, i == 0 ? "" : ", ", Quote(values[i]));
  return out + ")";
}

void Script::Add(std::string statement, std::function<void(sql::ResultSet&)> on_rows) {
  statements_.push_back(std::move(statement));
  readers_.push_back(std::move(on_rows));
}

void Script::Run() {
  if (statements_.empty()) return;
  std::string text;
  for (const auto& statement : statements_) absl::StrAppend(&text, statement, ";\n");
  std::unique_ptr<sql::Statement> statement(connection_.raw().createStatement());
  // One result per statement, in order. Connector/C++ 1.1 tells a result set from an update
  // count but not an update count from the end, so the loop counts the statements it sent.
  bool has_rows = statement->execute(text);
  for (size_t i = 0; i < statements_.size(); ++i) {
    if (i > 0) has_rows = statement->getMoreResults();  // throws if statement i failed
    if (has_rows) {
      std::unique_ptr<sql::ResultSet> rows(statement->getResultSet());
      if (readers_[i] && rows) readers_[i](*rows);
    }
  }
}

}  // namespace peixun::db
