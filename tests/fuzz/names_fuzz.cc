// Resource names from requests ("years/{year}/projects/{project}", ...): parsed into their
// parts or refused naming the field.
#include <cstdlib>

#include "common/util/names.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string name(reinterpret_cast<const char*>(data), size);
  for (const char* pattern : {"years/{year}/projects/{project}", "regions/{code}",
                              "years/{year}/rounds/{round}/results/{county}"}) {
    auto parts = peixun::ParseName(name, pattern, "name");
    if (parts.ok()) {
      for (const auto& [key, value] : *parts) {
        if (value.empty() || value.find('/') != std::string::npos)
          std::abort();  // one non-empty segment each
      }
    } else if (parts.status().message().find("name") == std::string::npos) {
      std::abort();
    }
  }
  // A typed name that parses formats back to the very text it came from.
  auto round_trips = [&](const auto& parsed) {
    if (parsed.ok() && parsed->Format() != name) std::abort();
  };
  round_trips(peixun::ProjectName::Parse(name, "name"));
  round_trips(peixun::QuotaName::Parse(name, "name"));
  round_trips(peixun::RegionName::Parse(name, "name"));
  round_trips(peixun::TeacherName::Parse(name, "name"));
  (void)peixun::LastSegment(name);
  return 0;
}
