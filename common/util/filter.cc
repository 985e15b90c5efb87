#include "common/util/filter.h"

#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/status.h"

namespace peixun {
namespace {

class FilterLexer {
 public:
  explicit FilterLexer(absl::string_view text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }
  size_t pos() const { return pos_; }

  // A bare word: letters, digits, '_', '.', '-', '/'.
  std::string Word() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
          c == '/' || (static_cast<unsigned char>(c) >= 0x80)) {
        ++pos_;
      } else {
        break;
      }
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // A double-quoted string with \" and \\ escapes.
  absl::StatusOr<std::string> Quoted() {
    std::string out;
    ++pos_;  // opening quote
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\\' && pos_ < text_.size()) c = text_[pos_++];
      out.push_back(c);
    }
    return FieldError("filter", "unterminated string");
  }

  bool PeekQuote() {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == '"';
  }

 private:
  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<FilterTerms> ParseFilter(absl::string_view filter,
                                        const std::set<std::string>& allowed) {
  FilterTerms terms;
  FilterLexer lex(filter);
  if (lex.AtEnd()) return terms;
  while (true) {
    size_t at = lex.pos();
    std::string field = lex.Word();
    if (field.empty()) {
      return FieldError("filter", absl::StrCat("expected a field name at position ", at));
    }
    if (allowed.count(field) == 0) {
      return FieldError("filter", absl::StrCat("unknown field '", field, "'; filterable fields: ",
                                               absl::StrJoin(allowed, ", ")));
    }
    if (!lex.Consume('=')) {
      return FieldError(
          "filter", absl::StrCat("expected '=' after '", field, "' (only equality is supported)"));
    }
    std::string value;
    if (lex.PeekQuote()) {
      auto quoted = lex.Quoted();
      if (!quoted.ok()) return quoted.status();
      value = *std::move(quoted);
    } else {
      value = lex.Word();
      if (value.empty()) {
        return FieldError("filter", absl::StrCat("expected a value for '", field, "'"));
      }
    }
    if (!terms.emplace(field, value).second) {
      return FieldError("filter", absl::StrCat("field '", field, "' appears twice"));
    }
    if (lex.AtEnd()) break;
    size_t and_at = lex.pos();
    if (lex.Word() != "AND") {
      return FieldError("filter", absl::StrCat("expected AND at position ", and_at));
    }
  }
  return terms;
}

const std::string* FilterValue(const FilterTerms& terms, const std::string& field) {
  auto it = terms.find(field);
  return it == terms.end() ? nullptr : &it->second;
}

absl::StatusOr<std::optional<bool>> BoolTerm(const FilterTerms& terms, const std::string& field) {
  const std::string* value = FilterValue(terms, field);
  if (value == nullptr) return std::nullopt;
  if (*value == "true") return true;
  if (*value == "false") return false;
  return FieldError("filter", absl::StrCat(field, " must be true or false, not '", *value, "'"));
}

std::vector<std::string> EnumNames(const google::protobuf::EnumDescriptor& descriptor) {
  std::vector<std::string> names;
  for (int i = 0; i < descriptor.value_count(); ++i) {
    if (descriptor.value(i)->number() != 0) names.push_back(descriptor.value(i)->name());
  }
  return names;
}

}  // namespace peixun
