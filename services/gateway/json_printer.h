#pragma once

#include <string>

#include "google/protobuf/message.h"

namespace peixun::gateway {

// Appends `message` as proto3 JSON to `out`: byte for byte what protobuf's MessageToJsonString
// prints with its default options (lowerCamelCase names, enums by name, 64-bit integers as
// strings, fields at their default left out, the well-known types in their own forms), read
// straight from the message's reflection. Protobuf 3.21 prints by serializing the message and
// walking the bytes against a google.protobuf.Type it builds on every call, which was a quarter
// of the gateway's time per call.
//
// Returns false, and leaves `out` as it was, for what it does not print the way protobuf
// would: a Timestamp or Duration out of its range, an Any of a type not linked into this
// binary or not under type.googleapis.com/, a well-known type carrying unknown fields, invalid
// UTF-8, a FieldMask path beyond lower case, digits and '_', a Struct value with no kind or a
// non-finite number, nesting deeper than 100. The caller then asks protobuf.
// tests/fuzz/json_printer_fuzz.cc holds it to protobuf's output on fuzzed messages.
bool AppendProto3Json(const google::protobuf::Message& message, std::string* out);

}  // namespace peixun::gateway
