#include "common/db/rows.h"

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

std::string DateText(const common::v1::Date& date) { return absl::FormatCivilTime(CivilDayOf(date)); }

}  // namespace peixun::db
