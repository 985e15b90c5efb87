// Reading rows into contract types: timestamps and dates as the stores select them.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/civil_time.h"
#include "google/protobuf/timestamp.pb.h"
#include "peixun/common/v1/common.pb.h"

namespace peixun::db {

// Sets a Timestamp from microseconds since the epoch (the stores select
// CAST(UNIX_TIMESTAMP(col) * 1000000 AS SIGNED)).
void SetTimestampMicros(google::protobuf::Timestamp* out, int64_t micros);

// A DATE column's text ("2022-08-31") as a contract Date; all zero if unreadable.
common::v1::Date DateFromText(const std::string& text);
absl::CivilDay CivilDayOf(const common::v1::Date& date);
// "2022-08-31", the form DATE columns take.
std::string DateText(const common::v1::Date& date);

}  // namespace peixun::db
