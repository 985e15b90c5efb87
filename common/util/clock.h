// Time is injected: code that needs "now" takes a Clock, and tests pass a fixed one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
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
// demonstrations and end-to-end tests of a past plan year (--clock_start; FileClock below when
// the clock must move); every service of a suite must share the same start, since their
// deadlines are read against it.
class StartedClock final : public Clock {
 public:
  explicit StartedClock(absl::Time start) : offset_(start - absl::Now()) {}
  absl::Time Now() const override { return absl::Now() + offset_; }

 private:
  const absl::Duration offset_;
};

// A demonstration clock that can be moved while the suite runs (--clock_file): the file holds
// one line, "<RFC 3339 instant> <wall-clock Unix microseconds>", meaning "at that wall-clock
// moment the business clock read that instant"; from there it runs at wall-clock speed. Every
// service of a suite reads the same file, and MoveFileClock moves them all at once: the year
// driver jumps from the nomination weeks to the training's last days that way. The file is
// looked at (one stat) on every Now(); a file that goes missing or unreadable keeps the last
// reading. Never in production.
class FileClock final : public Clock {
 public:
  // Reads the file; an error names it and what is wrong with it.
  static absl::StatusOr<std::unique_ptr<FileClock>> Open(std::string path);
  absl::Time Now() const override;
  const std::string& path() const { return path_; }

  // What identifies one writing of the file.
  struct Version {
    uint64_t inode = 0;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Version& other) const {
      return inode == other.inode && size == other.size && mtime_ns == other.mtime_ns;
    }
  };

 private:
  struct Reading {
    absl::Time business;  // the instant written
    absl::Time wall;      // the wall-clock moment it was written for
  };
  FileClock(std::string path, Reading reading, Version version);

  const std::string path_;
  mutable absl::Mutex mu_;
  mutable Reading reading_ ABSL_GUARDED_BY(mu_);
  mutable Version version_ ABSL_GUARDED_BY(mu_);  // of the writing last read
};

// Writes `path` atomically (a new file renamed over it) so that every FileClock reading it
// says `now` at once and runs on from there.
absl::Status MoveFileClock(const std::string& path, absl::Time now);

// China Standard Time, the zone every date in the programme is meant in.
absl::TimeZone ChinaTimeZone();

}  // namespace peixun
