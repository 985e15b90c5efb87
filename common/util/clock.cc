#include "common/util/clock.h"

namespace peixun {

absl::TimeZone ChinaTimeZone() {
  static const absl::TimeZone kZone = [] {
    absl::TimeZone zone;
    // Fall back to a fixed +08:00 where no zoneinfo is installed (minimal containers).
    if (!absl::LoadTimeZone("Asia/Shanghai", &zone)) zone = absl::FixedTimeZone(8 * 3600);
    return zone;
  }();
  return kZone;
}

}  // namespace peixun
