#include "common/util/paging.h"

#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/util/status.h"

namespace peixun {
namespace {

// Stable across processes and replicas: FNV-1a, not absl::Hash (which is seeded per process).
uint64_t Fingerprint(absl::string_view text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

absl::StatusOr<int> EffectivePageSize(int32_t page_size) {
  if (page_size < 0) return FieldError("page_size", "must not be negative");
  if (page_size == 0) return kDefaultPageSize;
  return page_size > kMaxPageSize ? kMaxPageSize : page_size;
}

std::string EncodePageToken(absl::string_view last_key, absl::string_view query) {
  return absl::WebSafeBase64Escape(absl::StrCat("1:", Fingerprint(query), ":", last_key));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view query) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) {
    return FieldError("page_token", "is not a token this service issued");
  }
  size_t first = raw.find(':');
  size_t second = first == std::string::npos ? first : raw.find(':', first + 1);
  uint64_t fingerprint = 0;
  if (second == std::string::npos || raw.substr(0, first) != "1" ||
      !absl::SimpleAtoi(raw.substr(first + 1, second - first - 1), &fingerprint)) {
    return FieldError("page_token", "is not a token this service issued");
  }
  if (fingerprint != Fingerprint(query)) {
    return FieldError("page_token", "belongs to a request with another parent or filter");
  }
  return raw.substr(second + 1);
}

absl::StatusOr<Page> Page::Of(int32_t page_size, absl::string_view page_token, std::string query) {
  Page page;
  PEIXUN_ASSIGN_OR_RETURN(page.size, EffectivePageSize(page_size));
  PEIXUN_ASSIGN_OR_RETURN(page.after, DecodePageToken(page_token, query));
  page.query = std::move(query);
  return page;
}

}  // namespace peixun
