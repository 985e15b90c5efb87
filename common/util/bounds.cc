#include "common/util/bounds.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace peixun {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Fields whose value is a whole file rather than a name or a text.
bool IsBulk(const FieldDescriptor& field) {
  return field.full_name() == "peixun.catalog.v1.ImportRegionsRequest.csv";
}

bool ValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra;
    if (c < 0x80) {
      extra = 0;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      extra = 3;
    } else {
      return false;
    }
    if (s.size() - i < extra + 1) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

class Walker {
 public:
  explicit Walker(const RequestBounds& bounds) : bounds_(bounds) {}

  absl::Status Walk(const Message& message, const std::string& path, int depth) {
    if (depth > bounds_.max_depth) {
      return Invalid(path, absl::StrCat("nests deeper than ", bounds_.max_depth, " levels"));
    }
    const auto* reflection = message.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    reflection->ListFields(message, &fields);
    for (const FieldDescriptor* field : fields) {
      const std::string name =
          path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
      if (field->is_repeated()) {
        const int n = reflection->FieldSize(message, field);
        if (n > bounds_.max_repeated) {
          return Invalid(name,
                         absl::StrCat("has ", n, " elements; at most ", bounds_.max_repeated));
        }
        total_ += static_cast<size_t>(n);
        if (total_ > bounds_.max_total_elements) {
          return Invalid(name, absl::StrCat("the request holds more than ",
                                            bounds_.max_total_elements, " elements in all"));
        }
        for (int i = 0; i < n; ++i) {
          auto status = Element(message, *field, i, absl::StrCat(name, "[", i, "]"), depth);
          if (!status.ok()) return status;
        }
      } else {
        auto status = Element(message, *field, -1, name, depth);
        if (!status.ok()) return status;
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Element(const Message& message, const FieldDescriptor& field, int index,
                       const std::string& name, int depth) {
    const auto* reflection = message.GetReflection();
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& value =
            index < 0 ? reflection->GetStringReference(message, &field, &scratch)
                      : reflection->GetRepeatedStringReference(message, &field, index, &scratch);
        const size_t limit =
            IsBulk(field) ? bounds_.max_bulk_string_bytes : bounds_.max_string_bytes;
        if (value.size() > limit) {
          return Invalid(name, absl::StrCat("is ", value.size(), " bytes; at most ", limit));
        }
        if (field.type() == FieldDescriptor::TYPE_BYTES) return absl::OkStatus();
        if (!ValidUtf8(value)) return Invalid(name, "is not valid UTF-8");
        for (char c : value) {
          const unsigned char u = static_cast<unsigned char>(c);
          if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f) {
            return Invalid(name, absl::StrCat("holds the control character 0x",
                                              absl::Hex(u, absl::kZeroPad2)));
          }
        }
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int value = index < 0 ? reflection->GetEnumValue(message, &field)
                                    : reflection->GetRepeatedEnumValue(message, &field, index);
        if (field.enum_type()->FindValueByNumber(value) == nullptr) {
          return Invalid(name,
                         absl::StrCat(value, " is not a value of ", field.enum_type()->name()));
        }
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const Message& child = index < 0 ? reflection->GetMessage(message, &field)
                                         : reflection->GetRepeatedMessage(message, &field, index);
        return Walk(child, name, depth + 1);
      }
      default:
        return absl::OkStatus();
    }
  }

  static absl::Status Invalid(const std::string& name, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", why));
  }

  const RequestBounds& bounds_;
  size_t total_ = 0;
};

}  // namespace

absl::Status CheckRequestBounds(const Message& message, const RequestBounds& bounds) {
  Walker walker(bounds);
  return walker.Walk(message, "", 0);
}

}  // namespace peixun
