#include "common/db/rows.h"

#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/db/pool.h"

namespace peixun::db {

void SetTimestampMicros(google::protobuf::Timestamp* out, int64_t micros) {
  out->set_seconds(micros / 1000000);
  out->set_nanos(static_cast<int32_t>((micros % 1000000) * 1000));
}

common::v1::Date DateFromText(const std::string& text) {
  absl::CivilDay day;
  common::v1::Date date;
  if (absl::ParseCivilTime(text, &day)) {
    date.set_year(static_cast<int32_t>(day.year()));
    date.set_month(day.month());
    date.set_day(day.day());
  }
  return date;
}

absl::CivilDay CivilDayOf(const common::v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

std::string DateText(const common::v1::Date& date) {
  return absl::FormatCivilTime(CivilDayOf(date));
}

std::string RowPlaceholders(size_t rows, size_t columns) {
  std::string row = "(";
  for (size_t i = 0; i < columns; ++i) row += i == 0 ? "?" : ", ?";
  row += ")";
  std::string out;
  out.reserve(rows * (row.size() + 2));
  for (size_t i = 0; i < rows; ++i) {
    if (i > 0) out += ", ";
    out += row;
  }
  return out;
}

void ForEachChunk(size_t n, const std::function<void(size_t begin, size_t count)>& chunk) {
  size_t begin = 0;
  for (size_t size : {256, 64, 16, 4, 1}) {
    while (n - begin >= size) {
      chunk(begin, size);
      begin += size;
    }
  }
}

int NextVersion(Connection& c, absl::string_view table) {
  std::unique_ptr<sql::ResultSet> last(
      c.Prepare(absl::StrCat("SELECT COALESCE(MAX(version), 0) FROM ", table)).executeQuery());
  last->next();
  return last->getInt(1) + 1;
}

std::unique_ptr<sql::ResultSet> SelectVersion(Connection& c, absl::string_view columns,
                                              absl::string_view table, int version) {
  auto& select =
      c.Prepare(absl::StrCat("SELECT ", columns, " FROM ", table, " WHERE ",
                             version > 0 ? "version = ?" : "? = 0 ORDER BY version DESC LIMIT 1"));
  select.setInt(1, version);
  return std::unique_ptr<sql::ResultSet>(select.executeQuery());
}

absl::Status InsertVersion(Connection& c, absl::string_view insert_sql,
                           const std::function<void(sql::PreparedStatement&)>& bind,
                           absl::string_view what) {
  auto& insert = c.Prepare(std::string(insert_sql));
  bind(insert);
  try {
    insert.executeUpdate();
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != kErrDuplicateKey) throw;
    return absl::AbortedError(absl::StrCat(what, " was made concurrently; retry"));
  }
  return absl::OkStatus();
}

}  // namespace peixun::db
