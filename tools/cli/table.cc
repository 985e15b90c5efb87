#include "tools/cli/table.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace peixun::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr int kMaxColumnWidth = 48;

size_t CharLength(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

// Cuts text to `width` cells, ending with "…" when cut.
std::string Fit(const std::string& text, int width) {
  if (DisplayWidth(text) <= width) return text;
  std::string out;
  int used = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t len = CharLength(static_cast<unsigned char>(text[i]));
    const std::string ch = text.substr(i, len);
    if (used + DisplayWidth(ch) > width - 1) break;
    out += ch;
    used += DisplayWidth(ch);
    i += len;
  }
  return out + "…";
}

std::string Pad(const std::string& text, int width) {
  return text + std::string(static_cast<size_t>(std::max(0, width - DisplayWidth(text))), ' ');
}

// Dates ("peixun.common.v1.Date") and timestamps as text; other messages are not cells.
bool MessageCell(const Message& m, std::string* out) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  if (d->full_name() == "google.protobuf.Timestamp") {
    const int64_t seconds = r->GetInt64(m, d->FindFieldByName("seconds"));
    *out = seconds == 0 ? ""
                        : absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(seconds),
                                           absl::FixedTimeZone(8 * 3600));
    return true;
  }
  if (d->full_name() == "peixun.common.v1.Date") {
    const int y = r->GetInt32(m, d->FindFieldByName("year"));
    *out = y == 0
               ? ""
               : absl::StrFormat("%04d-%02d-%02d", y, r->GetInt32(m, d->FindFieldByName("month")),
                                 r->GetInt32(m, d->FindFieldByName("day")));
    return true;
  }
  return false;
}

std::string ScalarText(const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrFormat("%g", rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrFormat("%g", rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "";
    case FieldDescriptor::CPPTYPE_ENUM:
      return (rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f))->name();
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      std::string text;
      const Message& sub = rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f);
      return MessageCell(sub, &text) ? text : "";
    }
  }
  return "";
}

// Whether the field can be one cell: scalars, repeated scalars, dates and timestamps.
bool Cellular(const FieldDescriptor* f) {
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  const std::string& type = f->message_type()->full_name();
  return !f->is_repeated() &&
         (type == "google.protobuf.Timestamp" || type == "peixun.common.v1.Date");
}

std::string CellText(const Message& m, const FieldDescriptor* f) {
  if (!f->is_repeated()) return ScalarText(m, f, 0);
  std::vector<std::string> parts;
  parts.reserve(m.GetReflection()->FieldSize(m, f));
  for (int i = 0; i < m.GetReflection()->FieldSize(m, f); ++i) parts.push_back(ScalarText(m, f, i));
  return absl::StrJoin(parts, "|");
}

// Unset: empty, zero, or an enum's *_UNSPECIFIED.
bool Zero(const std::string& text) {
  return text.empty() || text == "0" || text.find("_UNSPECIFIED") != std::string::npos;
}

}  // namespace

int DisplayWidth(const std::string& text) {
  int width = 0;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t len = CharLength(c);
    // Three- and four-byte characters here are CJK and full-width forms: two cells, except
    // general punctuation such as "…" (U+2000..U+206F, E2 80 xx / E2 81 xx): one.
    const bool punctuation = len == 3 && c == 0xE2 && i + 1 < text.size() &&
                             (static_cast<unsigned char>(text[i + 1]) & 0xFE) == 0x80;
    width += len >= 3 && !punctuation ? 2 : 1;
    i += len;
  }
  return width;
}

const FieldDescriptor* ListField(const Descriptor& type) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* f = type.field(i);
    if (f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_map())
      return f;
  }
  return nullptr;
}

std::string RenderTable(const Message& message) {
  const Descriptor& type = *message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  std::string out;
  const FieldDescriptor* list = ListField(type);
  if (list == nullptr || r->FieldSize(message, list) == 0) {
    std::vector<std::pair<std::string, std::string>> shown;
    int width = 0;
    for (int i = 0; i < type.field_count(); ++i) {
      const FieldDescriptor* f = type.field(i);
      if (!Cellular(f)) continue;
      std::string text = CellText(message, f);
      if (Zero(text)) continue;
      width = std::max(width, DisplayWidth(f->name()));
      shown.emplace_back(f->name(), std::move(text));
    }
    for (const auto& [name, text] : shown)
      absl::StrAppend(&out, Pad(name, width), "  ", Fit(text, 100), "\n");
    if (list != nullptr) absl::StrAppend(&out, "(no ", list->name(), ")\n");
    return out;
  }
  Grid grid = GridOf(message);
  std::vector<std::vector<std::string>> cells;
  cells.reserve(grid.rows.size());
  for (const auto& row : grid.rows) {
    std::vector<std::string>& line = cells.emplace_back();
    line.reserve(row.size());
    for (const Cell& cell : row) line.push_back(Fit(cell.text, kMaxColumnWidth));
  }
  const std::vector<std::string>& columns = grid.columns;
  const int n = static_cast<int>(cells.size());
  std::vector<int> widths;
  for (size_t c = 0; c < columns.size(); ++c) {
    int w = DisplayWidth(columns[c]);
    for (const auto& row : cells) w = std::max(w, DisplayWidth(row[c]));
    widths.push_back(w);
  }
  for (size_t c = 0; c < columns.size(); ++c)
    absl::StrAppend(&out, Pad(columns[c], widths[c]), "  ");
  out += "\n";
  for (const auto& row : cells) {
    for (size_t c = 0; c < row.size(); ++c) absl::StrAppend(&out, Pad(row[c], widths[c]), "  ");
    out += "\n";
  }
  // The response's other scalar fields (totals, as_of, ...) below the table.
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* f = type.field(i);
    if (f == list || !Cellular(f) || f->name() == "next_page_token") continue;
    const std::string text = CellText(message, f);
    if (!Zero(text)) absl::StrAppend(&out, f->name(), ": ", text, "\n");
  }
  absl::StrAppend(&out, "(", n, " ", list->name(), ")\n");
  return out;
}

Grid GridOf(const Message& message) {
  Grid grid;
  const FieldDescriptor* list = ListField(*message.GetDescriptor());
  if (list == nullptr) return grid;
  grid.name = list->name();
  const Reflection* r = message.GetReflection();
  const Descriptor& row_type = *list->message_type();
  const int n = r->FieldSize(message, list);
  grid.rows.resize(static_cast<size_t>(n));
  for (int i = 0; i < row_type.field_count(); ++i) {
    const FieldDescriptor* f = row_type.field(i);
    if (!Cellular(f)) continue;
    // Numbers stay numbers, except an id that happens to be numeric (it is a string field).
    const bool number = !f->is_repeated() && f->cpp_type() != FieldDescriptor::CPPTYPE_STRING &&
                        f->cpp_type() != FieldDescriptor::CPPTYPE_ENUM &&
                        f->cpp_type() != FieldDescriptor::CPPTYPE_BOOL &&
                        f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE;
    std::vector<Cell> column;
    column.reserve(static_cast<size_t>(n));
    bool any = false;
    for (int k = 0; k < n; ++k) {
      column.push_back({CellText(r->GetRepeatedMessage(message, list, k), f), number});
      any = any || !Zero(column.back().text);
    }
    if (!any) continue;
    grid.columns.push_back(f->name());
    for (int k = 0; k < n; ++k)
      grid.rows[static_cast<size_t>(k)].push_back(std::move(column[static_cast<size_t>(k)]));
  }
  return grid;
}

std::string CsvOf(const Grid& grid) {
  auto field = [](const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) {
      if (c == '"') quoted += '"';
      quoted += c;
    }
    return quoted + "\"";
  };
  std::string out = "\xEF\xBB\xBF";  // UTF-8 byte-order mark
  std::vector<std::string> line;
  line.reserve(grid.columns.size());
  for (const std::string& column : grid.columns) line.push_back(field(column));
  absl::StrAppend(&out, absl::StrJoin(line, ","), "\r\n");
  for (const auto& row : grid.rows) {
    line.clear();
    for (const Cell& cell : row) line.push_back(field(cell.text));
    absl::StrAppend(&out, absl::StrJoin(line, ","), "\r\n");
  }
  return out;
}

}  // namespace peixun::cli
