// Calendar dates as requests carry them (common.v1.Date's three fields), checked once.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace peixun {

// The day the three fields name: a real date of the years 2000 to 2100, or INVALID_ARGUMENT
// naming `field` and the date as given ("2023-2-30 is not a valid date").
absl::StatusOr<absl::CivilDay> ValidDay(int64_t year, int month, int day, absl::string_view field);

}  // namespace peixun
