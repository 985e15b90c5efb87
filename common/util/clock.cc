#include "common/util/clock.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace peixun {
namespace {

// The file's version; nullopt when it cannot be looked at.
std::optional<FileClock::Version> VersionOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileClock::Version{
      static_cast<uint64_t>(st.st_ino), static_cast<int64_t>(st.st_size),
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

constexpr size_t kMaxClockLine = 200;

absl::Status ReadClockFile(const std::string& path, absl::Time* business, absl::Time* wall) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("clock_file: cannot read ", path));
  // Read no more than one line's worth, whatever the file holds.
  char buffer[kMaxClockLine + 1];
  in.read(buffer, sizeof(buffer));
  std::string line(buffer, static_cast<size_t>(in.gcount()));
  line = line.substr(0, line.find('\n'));
  if (line.size() > kMaxClockLine) {
    return absl::InvalidArgumentError(absl::StrCat("clock_file: ", path, " is too long (at most ",
                                                   kMaxClockLine, " bytes on its line)"));
  }
  std::vector<std::string> parts =
      absl::StrSplit(absl::StripAsciiWhitespace(line), ' ', absl::SkipEmpty());
  std::string error;
  int64_t wall_micros = 0;
  if (parts.size() != 2 || !absl::ParseTime(absl::RFC3339_full, parts[0], business, &error) ||
      !absl::SimpleAtoi(parts[1], &wall_micros)) {
    return absl::InvalidArgumentError(
        absl::StrCat("clock_file: ", path,
                     " must hold \"<RFC 3339 instant> <wall-clock Unix microseconds>\", e.g. "
                     "\"2022-07-01T09:00:00+08:00 1764662400000000\"",
                     error.empty() ? "" : absl::StrCat(" (", error, ")")));
  }
  *wall = absl::FromUnixMicros(wall_micros);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileClock>> FileClock::Open(std::string path) {
  const Version version = VersionOf(path).value_or(Version{});
  Reading reading;
  absl::Status read = ReadClockFile(path, &reading.business, &reading.wall);
  if (!read.ok()) return read;
  return std::unique_ptr<FileClock>(new FileClock(std::move(path), reading, version));
}

FileClock::FileClock(std::string path, Reading reading, Version version)
    : path_(std::move(path)), reading_(reading), version_(version) {}

absl::Time FileClock::Now() const {
  const absl::Time wall = absl::Now();
  absl::MutexLock lock(&mu_);
  if (std::optional<Version> version = VersionOf(path_); version && !(*version == version_)) {
    Reading next;
    if (ReadClockFile(path_, &next.business, &next.wall).ok()) {
      reading_ = next;
      version_ = *version;
    }
  }
  return reading_.business + (wall - reading_.wall);
}

absl::Status MoveFileClock(const std::string& path, absl::Time now) {
  const std::string temporary = absl::StrCat(path, ".", getpid(), ".tmp");
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << absl::FormatTime(absl::RFC3339_full, now, ChinaTimeZone()) << " "
        << absl::ToUnixMicros(absl::Now()) << "\n";
    if (!out.flush()) {
      return absl::InternalError(absl::StrCat("clock_file: cannot write ", temporary));
    }
  }
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("clock_file: cannot replace ", path));
  }
  return absl::OkStatus();
}

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
