#include "common/util/dates.h"

#include "absl/strings/str_cat.h"
#include "common/util/status.h"

namespace peixun {

absl::StatusOr<absl::CivilDay> ValidDay(int64_t year, int month, int day, absl::string_view field) {
  const absl::CivilDay civil(year, month, day);
  // CivilDay normalizes (2023-02-30 becomes 2023-03-02): a date is valid when nothing moved.
  if (year < 2000 || year > 2100 || civil.year() != year || civil.month() != month ||
      civil.day() != day) {
    return FieldError(field, absl::StrCat(year, "-", month, "-", day, " is not a valid date"));
  }
  return civil;
}

}  // namespace peixun
