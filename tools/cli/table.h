// Renders a response for people: its first list of messages becomes a table (one column per
// field that any row sets, in declaration order); a single message becomes "field  value" lines.
// Enums print by name, dates and timestamps as text, money and counts as integers; Chinese
// text counts two cells wide, so columns line up in a terminal.
#pragma once

#include <string>
#include <vector>

#include "google/protobuf/message.h"

namespace peixun::cli {

// The first repeated message field of `message`'s type (nullptr when none).
const google::protobuf::FieldDescriptor* ListField(const google::protobuf::Descriptor& type);

// The table (or field lines) for `message`.
std::string RenderTable(const google::protobuf::Message& message);

// One cell: its text in full, and whether it is a number (a spreadsheet keeps it as one).
struct Cell {
  std::string text;
  bool number = false;
};
// The rows of a response's first list of messages: a column per field that any row sets, in
// declaration order (named by the field), cells as RenderTable shows them but never cut.
// Empty when the message has no list.
struct Grid {
  std::string name;  // the list's field name, e.g. "hour_entries"
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};
Grid GridOf(const google::protobuf::Message& message);

// RFC 4180 CSV of a grid: UTF-8 with a byte-order mark (so spreadsheet programs read the
// Chinese), CRLF line ends, a cell quoted when it holds a comma, a quote or a line end.
std::string CsvOf(const Grid& grid);

// Display cells of UTF-8 text: 2 for CJK and other wide characters, 1 otherwise.
int DisplayWidth(const std::string& text);

}  // namespace peixun::cli
