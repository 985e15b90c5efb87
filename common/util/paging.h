// AIP-158 pagination: page sizes and opaque page tokens for keyset pagination.
// A token carries the last key returned and a fingerprint of the query it belongs to, so a
// token replayed with another filter or parent is refused rather than silently misapplied.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace peixun {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

// page_size 0 -> default; above the maximum -> the maximum; negative -> INVALID_ARGUMENT.
absl::StatusOr<int> EffectivePageSize(int32_t page_size);

// Encodes the key after which the next page starts, bound to `query` (parent + filter).
std::string EncodePageToken(absl::string_view last_key, absl::string_view query);

// Returns the key after which to continue: "" for an empty token (the first page).
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view query);

// One page of a List call, the AIP-158 steps every list takes:
//   PEIXUN_ASSIGN_OR_RETURN(Page page, Page::Of(request->page_size(), request->page_token(),
//                                               request->filter()));
//   auto items = Store::List(c, filter, page.after, page.limit());
//   response->set_next_page_token(page.Keep(items, [](const auto& x) { return KeyOf(x); }));
struct Page {
  int size = kDefaultPageSize;
  std::string after;  // the key to continue after; "" on the first page
  std::string query;  // what the page's token is bound to (parent and filter)

  // Checks page_size (EffectivePageSize) and the token (DecodePageToken against `query`).
  static absl::StatusOr<Page> Of(int32_t page_size, absl::string_view page_token,
                                 std::string query);

  // What to read: one more than the page, to know whether another page follows.
  int limit() const { return size + 1; }

  // Keeps the page's items of `items` (read with limit()) and returns the next page's token,
  // "" when this page is the last. `key` gives an item's keyset key.
  template <typename T, typename KeyFn>
  std::string Keep(std::vector<T>& items, KeyFn key) const {
    if (static_cast<int>(items.size()) <= size) return "";
    items.resize(static_cast<size_t>(size));
    return EncodePageToken(key(items.back()), query);
  }
};

}  // namespace peixun
