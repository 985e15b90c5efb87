#include "common/util/ids.h"

#include <openssl/rand.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace peixun {

std::string NewId(absl::string_view prefix, int bytes) {
  std::vector<unsigned char> random(static_cast<size_t>(bytes));
  RAND_bytes(random.data(), bytes);
  return absl::StrCat(prefix, absl::BytesToHexString(absl::string_view(
                                  reinterpret_cast<const char*>(random.data()), random.size())));
}

std::string NewOrderedId(absl::string_view prefix) {
  unsigned char bytes[12];
  const uint64_t millis = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(millis >> (8 * (5 - i)));
  RAND_bytes(bytes + 6, 6);
  return absl::StrCat(prefix, absl::BytesToHexString(absl::string_view(
                                  reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

}  // namespace peixun
