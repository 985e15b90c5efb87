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

}  // namespace peixun::db
