// Renders a response for people: its first list of messages becomes a table (one column per
// field that any row sets, in declaration order); a single message becomes "field  value" lines.
// Enums print by name, dates and timestamps as text, money and counts as integers; Chinese
// text counts two cells wide, so columns line up in a terminal.
#pragma once

#include <string>

#include "google/protobuf/message.h"

namespace peixun::cli {

// The first repeated message field of `message`'s type (nullptr when none).
const google::protobuf::FieldDescriptor* ListField(const google::protobuf::Descriptor& type);

// The table (or field lines) for `message`.
std::string RenderTable(const google::protobuf::Message& message);

// Display cells of UTF-8 text: 2 for CJK and other wide characters, 1 otherwise.
int DisplayWidth(const std::string& text);

}  // namespace peixun::cli
