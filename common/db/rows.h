// Reading rows into contract types: timestamps and dates as the stores select them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/timestamp.pb.h"
#include "peixun/common/v1/common.pb.h"

namespace sql {
class PreparedStatement;
class ResultSet;
}  // namespace sql

namespace peixun::db {

class Connection;

// Sets a Timestamp from microseconds since the epoch (the stores select
// CAST(UNIX_TIMESTAMP(col) * 1000000 AS SIGNED)).
void SetTimestampMicros(google::protobuf::Timestamp* out, int64_t micros);

// A DATE column's text ("2022-08-31") as a contract Date; all zero if unreadable.
common::v1::Date DateFromText(const std::string& text);
absl::CivilDay CivilDayOf(const common::v1::Date& date);
// "2022-08-31", the form DATE columns take.
std::string DateText(const common::v1::Date& date);

// Multi-row statements: "(?, ?), (?, ?)" for `rows` rows of `columns` placeholders.
std::string RowPlaceholders(size_t rows, size_t columns);
// Calls `chunk(begin, count)` over [0, n) in chunks of 256, 64, 16, 4 and 1 rows, so a
// multi-row statement is prepared in at most five shapes per connection, whatever n is.
void ForEachChunk(size_t n, const std::function<void(size_t begin, size_t count)>& chunk);

// Versioned policies (tier, grade): the version after the newest row of `table`.
int NextVersion(Connection& c, absl::string_view table);
// `columns` of version `version` of `table`, or with 0 of its newest row; empty when absent.
std::unique_ptr<sql::ResultSet> SelectVersion(Connection& c, absl::string_view columns,
                                              absl::string_view table, int version);
// Runs `insert` (an INSERT of that version, its placeholders set). Another replica inserting
// the same version first is ABORTED, "{what} was made concurrently; retry".
absl::Status InsertVersion(Connection& c, absl::string_view insert_sql,
                           const std::function<void(sql::PreparedStatement&)>& bind,
                           absl::string_view what);

}  // namespace peixun::db
