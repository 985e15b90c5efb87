#include "common/util/ids.h"

#include <openssl/rand.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace peixun {

std::string NewId(absl::string_view prefix, int bytes) {
  std::vector<unsigned char> random(static_cast<size_t>(bytes));
  RAND_bytes(random.data(), bytes);
  return absl::StrCat(prefix, absl::BytesToHexString(absl::string_view(
                                  reinterpret_cast<const char*>(random.data()), random.size())));
}

}  // namespace peixun
