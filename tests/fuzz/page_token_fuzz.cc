// Page tokens come back from clients: any text decodes to what this service encoded for the
// same query, or is refused; an encoded token always decodes back.
#include <cstdlib>

#include "common/util/paging.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::string query = "years/2022|state = \"NOMINATED\"";
  auto decoded = peixun::DecodePageToken(input, query);
  if (!decoded.ok() && decoded.status().message().empty()) std::abort();
  // Round trip: whatever key a page ends on comes back.
  auto again = peixun::DecodePageToken(peixun::EncodePageToken(input, query), query);
  if (!again.ok() || *again != input) std::abort();
  // And not for another query.
  if (!input.empty() &&
      peixun::DecodePageToken(peixun::EncodePageToken(input, query), "other").ok())
    std::abort();
  return 0;
}
