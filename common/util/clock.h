// Time is injected: code that needs "now" takes a Clock, and tests pass a fixed one.
#pragma once

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace peixun {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  static const Clock& Instance() {
    static const SystemClock kClock;
    return kClock;
  }
};

// A clock that stands still until told to move; for tests.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// A clock that starts at a chosen instant and runs at wall-clock speed from there. For
// demonstrations and end-to-end tests of a past plan year (--clock_start); every service of a
// suite must share the same start, since their tokens and deadlines are read against it.
class StartedClock final : public Clock {
 public:
  explicit StartedClock(absl::Time start) : offset_(start - absl::Now()) {}
  absl::Time Now() const override { return absl::Now() + offset_; }

 private:
  const absl::Duration offset_;
};

// China Standard Time, the zone every date in the programme is meant in.
absl::TimeZone ChinaTimeZone();

}  // namespace peixun
