#include "services/gateway/json_printer.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/strutil.h"

namespace peixun::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr int kMaxDepth = 100;                          // protobuf's own recursion limit
constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int64_t kMaxDurationSeconds = 315576000000;   // 10,000 years
constexpr int32_t kNanosPerSecond = 1000000000;

// The code points above U+007F that protobuf's JSON escaping writes as \uXXXX (format and
// invisible characters), as inclusive ranges in order.
constexpr struct {
  uint32_t first, last;
} kEscapedRanges[] = {
    {0x80, 0x9f},     {0xad, 0xad},     {0x600, 0x603},     {0x6dd, 0x6dd},     {0x70f, 0x70f},
    {0x17b4, 0x17b5}, {0x200b, 0x200f}, {0x2028, 0x202e},   {0x2060, 0x2064},   {0x206a, 0x206f},
    {0xfeff, 0xfeff}, {0xfff9, 0xfffb}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001}, {0xe0020, 0xe007f},
};

bool EscapedAboveAscii(uint32_t code_point) {
  for (const auto& range : kEscapedRanges) {
    if (code_point < range.first) return false;
    if (code_point <= range.last) return true;
  }
  return false;
}

void AppendHex4(uint32_t unit, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char text[6] = {'\\',
                        'u',
                        kHex[(unit >> 12) & 0xf],
                        kHex[(unit >> 8) & 0xf],
                        kHex[(unit >> 4) & 0xf],
                        kHex[unit & 0xf]};
  out.append(text, sizeof text);
}

// Decodes the UTF-8 sequence at `text[i]` (a lead byte ≥ 0x80): its code point and length, or
// false for an invalid sequence (overlong, a surrogate, beyond U+10FFFF, cut short).
bool DecodeUtf8(absl::string_view text, size_t i, uint32_t* code_point, size_t* length) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t n = 0;
  uint32_t value = 0, minimum = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2, value = lead & 0x1f, minimum = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3, value = lead & 0x0f, minimum = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return false;
  }
  if (i + n > text.size()) return false;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return false;
    value = (value << 6) | (byte(i + k) & 0x3f);
  }
  if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return false;
  *code_point = value;
  *length = n;
  return true;
}

// A JSON string as protobuf writes it; false on invalid UTF-8.
bool AppendString(absl::string_view text, std::string& out) {
  out.push_back('"');
  size_t plain = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      uint32_t code_point = 0;
      size_t length = 0;
      if (!DecodeUtf8(text, i, &code_point, &length)) return false;
      if (!EscapedAboveAscii(code_point)) {
        i += length;
        continue;
      }
      out.append(text.data() + plain, i - plain);
      if (code_point > 0xffff) {
        const uint32_t offset = code_point - 0x10000;
        AppendHex4(0xd800 + (offset >> 10), out);
        AppendHex4(0xdc00 + (offset & 0x3ff), out);
      } else {
        AppendHex4(code_point, out);
      }
      i += length;
      plain = i;
      continue;
    }
    out.append(text.data() + plain, i - plain);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\r':
        out.append("\\r");
        break;
      default:
        AppendHex4(c, out);
        break;  // other controls, '<', '>', DEL
    }
    ++i;
    plain = i;
  }
  out.append(text.data() + plain, text.size() - plain);
  out.push_back('"');
  return true;
}

void AppendDouble(double value, std::string& out) {
  if (std::isnan(value)) {
    out.append("\"NaN\"");
  } else if (std::isinf(value)) {
    out.append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    out.append(google::protobuf::SimpleDtoa(value));
  }
}

void AppendFloat(float value, std::string& out) {
  if (std::isnan(value)) {
    out.append("\"NaN\"");
  } else if (std::isinf(value)) {
    out.append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    out.append(google::protobuf::SimpleFtoa(value));
  }
}

// ".123", ".123456" or ".123456789" (as few groups of three as the nanos need), or nothing.
void AppendNanos(int32_t nanos, std::string& out) {
  if (nanos == 0) return;
  int digits = 9;
  if (nanos % 1000000 == 0) {
    nanos /= 1000000, digits = 3;
  } else if (nanos % 1000 == 0) {
    nanos /= 1000, digits = 6;
  }
  char text[10];
  text[0] = '.';
  for (int k = digits; k >= 1; --k, nanos /= 10) text[k] = static_cast<char>('0' + nanos % 10);
  out.append(text, static_cast<size_t>(digits) + 1);
}

void AppendDigits(int64_t value, int width, std::string& out) {
  char text[20];
  for (int k = width - 1; k >= 0; --k, value /= 10) text[k] = static_cast<char>('0' + value % 10);
  out.append(text, static_cast<size_t>(width));
}

// RFC 3339 in UTC, as protobuf writes a Timestamp; false outside years 1 to 9999.
bool AppendTimestamp(int64_t seconds, int32_t nanos, std::string& out) {
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds || nanos < 0 ||
      nanos >= kNanosPerSecond) {
    return false;
  }
  int64_t days = seconds / 86400, second_of_day = seconds % 86400;
  if (second_of_day < 0) second_of_day += 86400, --days;
  // Days since 1970-01-01 to the proleptic Gregorian date (H. Hinnant's civil_from_days).
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t day_of_era = z - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t shifted_month = (5 * day_of_year + 2) / 153;
  const int64_t day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const int64_t month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  out.push_back('"');
  AppendDigits(year, 4, out);
  out.push_back('-');
  AppendDigits(month, 2, out);
  out.push_back('-');
  AppendDigits(day, 2, out);
  out.push_back('T');
  AppendDigits(second_of_day / 3600, 2, out);
  out.push_back(':');
  AppendDigits(second_of_day / 60 % 60, 2, out);
  out.push_back(':');
  AppendDigits(second_of_day % 60, 2, out);
  AppendNanos(nanos, out);
  out.append("Z\"");
  return true;
}

// "1.500s", "-0.000001s"; false out of range or with signs that disagree.
bool AppendDuration(int64_t seconds, int32_t nanos, std::string& out) {
  if (seconds < -kMaxDurationSeconds || seconds > kMaxDurationSeconds ||
      nanos <= -kNanosPerSecond || nanos >= kNanosPerSecond || (seconds < 0 && nanos > 0) ||
      (seconds > 0 && nanos < 0)) {
    return false;
  }
  out.push_back('"');
  if (seconds < 0 || nanos < 0) out.push_back('-');
  absl::StrAppend(&out, seconds < 0 ? -seconds : seconds);
  AppendNanos(nanos < 0 ? -nanos : nanos, out);
  out.append("s\"");
  return true;
}

// A FieldMask path segment in lowerCamelCase ("display_name" → "displayName"). Only segments of
// lower case letters, digits and '_' not at their start are taken: protobuf's conversion of
// anything else has cases of its own.
bool AppendCamelPath(absl::string_view path, std::string& out) {
  bool at_segment_start = true, upper_next = false;
  for (const char c : path) {
    if (c == '.') {
      out.push_back('.');
      at_segment_start = true, upper_next = false;
      continue;
    }
    if (c == '_') {
      if (at_segment_start) return false;
      upper_next = true;
      continue;
    }
    const bool lower = c >= 'a' && c <= 'z';
    if (!lower && !(c >= '0' && c <= '9')) return false;
    out.push_back(upper_next && lower ? static_cast<char>(c - 'a' + 'A') : c);
    at_segment_start = false, upper_next = false;
  }
  return true;
}

class Printer {
 public:
  explicit Printer(std::string& out) : out_(out) {}

  // `message` in its JSON form: an object, or a well-known type's own form.
  bool Print(const Message& message, int depth) {
    if (depth > kMaxDepth) return false;
    const Descriptor* type = message.GetDescriptor();
    const Reflection& reflection = *message.GetReflection();
    // Protobuf refuses a well-known type carrying fields its form has no place for.
    if (type->well_known_type() != Descriptor::WELLKNOWNTYPE_UNSPECIFIED &&
        !reflection.GetUnknownFields(message).empty()) {
      return false;
    }
    switch (type->well_known_type()) {
      case Descriptor::WELLKNOWNTYPE_DOUBLEVALUE:
      case Descriptor::WELLKNOWNTYPE_FLOATVALUE:
      case Descriptor::WELLKNOWNTYPE_INT64VALUE:
      case Descriptor::WELLKNOWNTYPE_UINT64VALUE:
      case Descriptor::WELLKNOWNTYPE_INT32VALUE:
      case Descriptor::WELLKNOWNTYPE_UINT32VALUE:
      case Descriptor::WELLKNOWNTYPE_STRINGVALUE:
      case Descriptor::WELLKNOWNTYPE_BYTESVALUE:
      case Descriptor::WELLKNOWNTYPE_BOOLVALUE:
        return Value(message, type->field(0), -1, depth);
      case Descriptor::WELLKNOWNTYPE_TIMESTAMP:
        return AppendTimestamp(reflection.GetInt64(message, type->field(0)),
                               reflection.GetInt32(message, type->field(1)), out_);
      case Descriptor::WELLKNOWNTYPE_DURATION:
        return AppendDuration(reflection.GetInt64(message, type->field(0)),
                              reflection.GetInt32(message, type->field(1)), out_);
      case Descriptor::WELLKNOWNTYPE_FIELDMASK:
        return FieldMask(message);
      case Descriptor::WELLKNOWNTYPE_ANY:
        return Any(message, depth);
      case Descriptor::WELLKNOWNTYPE_STRUCT:
        return Map(message, type->field(0), depth);
      case Descriptor::WELLKNOWNTYPE_LISTVALUE:
        return List(message, type->field(0), depth);
      case Descriptor::WELLKNOWNTYPE_VALUE:
        return StructValue(message, depth);
      default:
        break;
    }
    out_.push_back('{');
    const bool printed = Fields(message, depth);
    out_.push_back('}');
    return printed;
  }

 private:
  // The set fields as "jsonName":value pairs, in field-number order, without the braces.
  bool Fields(const Message& message, int depth) {
    std::vector<const FieldDescriptor*> fields;
    message.GetReflection()->ListFields(message, &fields);
    bool first = true;
    for (const FieldDescriptor* field : fields) {
      if (!first) out_.push_back(',');
      first = false;
      out_.push_back('"');
      out_.append(field->json_name());  // an identifier: nothing to escape
      out_.append("\":");
      bool printed = false;
      if (field->is_map()) {
        printed = Map(message, field, depth);
      } else if (field->is_repeated()) {
        printed = List(message, field, depth);
      } else {
        printed = Value(message, field, -1, depth);
      }
      if (!printed) return false;
    }
    return true;
  }

  bool List(const Message& message, const FieldDescriptor* field, int depth) {
    const int size = message.GetReflection()->FieldSize(message, field);
    out_.push_back('[');
    for (int i = 0; i < size; ++i) {
      if (i > 0) out_.push_back(',');
      if (!Value(message, field, i, depth)) return false;
    }
    out_.push_back(']');
    return true;
  }

  // A map field (or a Struct's fields) as an object keyed by the entries' keys as strings.
  bool Map(const Message& message, const FieldDescriptor* field, int depth) {
    const Reflection& reflection = *message.GetReflection();
    const int size = reflection.FieldSize(message, field);
    const FieldDescriptor* key = field->message_type()->map_key();
    const FieldDescriptor* value = field->message_type()->map_value();
    out_.push_back('{');
    for (int i = 0; i < size; ++i) {
      if (i > 0) out_.push_back(',');
      const Message& entry = reflection.GetRepeatedMessage(message, field, i);
      const Reflection& entry_reflection = *entry.GetReflection();
      switch (key->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          if (!AppendString(entry_reflection.GetStringReference(entry, key, &scratch_), out_))
            return false;
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          out_.append(entry_reflection.GetBool(entry, key) ? "\"true\"" : "\"false\"");
          break;
        default: {
          // Integer keys print quoted: the value's own printing, in quotes where it has none.
          const size_t start = out_.size();
          if (!Value(entry, key, -1, depth)) return false;
          if (out_[start] != '"') {
            out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(start), '"');
            out_.push_back('"');
          }
        }
      }
      out_.push_back(':');
      if (!Value(entry, value, -1, depth)) return false;
    }
    out_.push_back('}');
    return true;
  }

  // One value of `field` (element `index` of a repeated field, or the singular value at -1).
  bool Value(const Message& message, const FieldDescriptor* field, int index, int depth) {
    const Reflection& r = *message.GetReflection();
    const bool repeated = index >= 0;
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        absl::StrAppend(&out_, repeated ? r.GetRepeatedInt32(message, field, index)
                                        : r.GetInt32(message, field));
        return true;
      case FieldDescriptor::CPPTYPE_UINT32:
        absl::StrAppend(&out_, repeated ? r.GetRepeatedUInt32(message, field, index)
                                        : r.GetUInt32(message, field));
        return true;
      case FieldDescriptor::CPPTYPE_INT64:
        absl::StrAppend(
            &out_, "\"",
            repeated ? r.GetRepeatedInt64(message, field, index) : r.GetInt64(message, field),
            "\"");
        return true;
      case FieldDescriptor::CPPTYPE_UINT64:
        absl::StrAppend(
            &out_, "\"",
            repeated ? r.GetRepeatedUInt64(message, field, index) : r.GetUInt64(message, field),
            "\"");
        return true;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        AppendDouble(
            repeated ? r.GetRepeatedDouble(message, field, index) : r.GetDouble(message, field),
            out_);
        return true;
      case FieldDescriptor::CPPTYPE_FLOAT:
        AppendFloat(
            repeated ? r.GetRepeatedFloat(message, field, index) : r.GetFloat(message, field),
            out_);
        return true;
      case FieldDescriptor::CPPTYPE_BOOL:
        out_.append(
            (repeated ? r.GetRepeatedBool(message, field, index) : r.GetBool(message, field))
                ? "true"
                : "false");
        return true;
      case FieldDescriptor::CPPTYPE_ENUM: {
        if (field->enum_type()->full_name() == "google.protobuf.NullValue") {
          out_.append("null");
          return true;
        }
        const int number = repeated ? r.GetRepeatedEnumValue(message, field, index)
                                    : r.GetEnumValue(message, field);
        if (const auto* value = field->enum_type()->FindValueByNumber(number)) {
          absl::StrAppend(&out_, "\"", value->name(), "\"");
        } else {
          absl::StrAppend(&out_, number);  // a value of a newer contract: its number
        }
        return true;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        const std::string& text =
            repeated ? r.GetRepeatedStringReference(message, field, index, &scratch_)
                     : r.GetStringReference(message, field, &scratch_);
        if (field->type() == FieldDescriptor::TYPE_BYTES) {
          out_.push_back('"');
          out_.append(absl::Base64Escape(text));
          out_.push_back('"');
          return true;
        }
        return AppendString(text, out_);
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return Print(
            repeated ? r.GetRepeatedMessage(message, field, index) : r.GetMessage(message, field),
            depth + 1);
    }
    return false;
  }

  bool FieldMask(const Message& mask) {
    const Reflection& reflection = *mask.GetReflection();
    const FieldDescriptor* paths = mask.GetDescriptor()->field(0);
    out_.push_back('"');
    for (int i = 0, n = reflection.FieldSize(mask, paths); i < n; ++i) {
      if (i > 0) out_.push_back(',');
      if (!AppendCamelPath(reflection.GetRepeatedStringReference(mask, paths, i, &scratch_), out_))
        return false;
    }
    out_.push_back('"');
    return true;
  }

  // {"@type": url, the packed message's fields} or, for a type with a form of its own,
  // {"@type": url, "value": that form}.
  bool Any(const Message& any, int depth) {
    const Reflection& reflection = *any.GetReflection();
    const Descriptor* type = any.GetDescriptor();
    std::string url_scratch, value_scratch;
    const std::string& url = reflection.GetStringReference(any, type->field(0), &url_scratch);
    const std::string& value = reflection.GetStringReference(any, type->field(1), &value_scratch);
    if (url.empty()) {
      if (!value.empty()) return false;
      out_.append("{}");
      return true;
    }
    // Protobuf's type resolver knows type.googleapis.com/ alone (and refuses other hosts).
    absl::string_view name = url;
    if (!absl::ConsumePrefix(&name, "type.googleapis.com/")) return false;
    const Descriptor* packed_type =
        google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
            std::string(name));
    if (packed_type == nullptr) return false;
    std::unique_ptr<Message> packed(
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(packed_type)->New());
    if (!packed->ParseFromString(value)) return false;
    out_.append("{\"@type\":");
    if (!AppendString(url, out_)) return false;
    if (value.empty()) {  // a packed message at its defaults: protobuf prints the type alone
      out_.push_back('}');
      return true;
    }
    const auto known = packed_type->well_known_type();
    if (known != Descriptor::WELLKNOWNTYPE_UNSPECIFIED) {
      out_.append(",\"value\":");
      if (!Print(*packed, depth + 1)) return false;
    } else {
      const size_t before = out_.size();
      out_.push_back(',');
      if (!Fields(*packed, depth + 1)) return false;
      if (out_.size() == before + 1) out_.pop_back();  // no fields: no comma
    }
    out_.push_back('}');
    return true;
  }

  // google.protobuf.Value: null, a number, a string, a bool, an object or a list.
  bool StructValue(const Message& value, int depth) {
    const Reflection& reflection = *value.GetReflection();
    const Descriptor* type = value.GetDescriptor();
    const auto* kind = reflection.GetOneofFieldDescriptor(value, type->oneof_decl(0));
    if (kind == nullptr) return false;
    if (kind->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE &&
        !std::isfinite(reflection.GetDouble(value, kind))) {
      return false;
    }
    return Value(value, kind, -1, depth);
  }

  std::string& out_;
  std::string scratch_;
};

}  // namespace

bool AppendProto3Json(const Message& message, std::string* out) {
  const size_t before = out->size();
  if (Printer(*out).Print(message, 0)) return true;
  out->resize(before);
  return false;
}

}  // namespace peixun::gateway
