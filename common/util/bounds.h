// Bounds every request meets before a handler sees it (length, count, depth, known enum
// values, no control characters), checked by reflection over the message, so that no field of
// any contract reaches SQL or memory unbounded.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace peixun {

struct RequestBounds {
  size_t max_string_bytes = size_t{16} * 1024;  // a name, a reason, a rubric's text
  size_t max_bulk_string_bytes = 4 << 20;       // fields that carry a file (ImportRegions' csv)
  int max_repeated = 2000;                      // elements of one repeated field
  int max_depth = 12;                           // message nesting (a rubric's tree)
  size_t max_total_elements = 20000;            // repeated elements in the whole message
};

// INVALID_ARGUMENT naming the field path (e.g. "rubric.indicators[3].children[0].title") when
// a string is longer than its bound, holds a control character other than tab, line feed and
// carriage return, or is not UTF-8; an enum field holds a value its enum does not define; a
// repeated field or the whole message has too many elements; or nesting is too deep.
absl::Status CheckRequestBounds(const google::protobuf::Message& message,
                                const RequestBounds& bounds = RequestBounds());

}  // namespace peixun
