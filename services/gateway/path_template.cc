#include "services/gateway/path_template.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace peixun::gateway {
namespace {

bool IsLiteral(absl::string_view segment) {
  if (segment.empty()) return false;
  for (char c : segment) {
    if (c == '*' || c == '{' || c == '}' || c == '=' || c == ':' || c == '/') return false;
  }
  return true;
}

bool IsFieldPath(absl::string_view path) {
  if (path.empty()) return false;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (part.empty() || !(absl::ascii_isalpha(part[0]) || part[0] == '_')) return false;
    for (char c : part) {
      if (!absl::ascii_isalnum(c) && c != '_') return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<PathTemplate> PathTemplate::Parse(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("path template \"", text, "\": ", why));
  };
  if (!absl::StartsWith(text, "/")) return bad("must start with '/'");
  PathTemplate result;
  result.text_ = std::string(text);
  absl::string_view rest = text.substr(1);
  // The verb is a ':' outside any variable.
  int depth = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '{') ++depth;
    if (rest[i] == '}') --depth;
    if (rest[i] == ':' && depth == 0) {
      result.verb_ = std::string(rest.substr(i + 1));
      rest = rest.substr(0, i);
      if (!IsLiteral(result.verb_)) return bad("the verb after ':' must be a literal");
      break;
    }
  }
  size_t pos = 0;
  while (pos <= rest.size()) {
    if (pos < rest.size() && rest[pos] == '{') {
      const size_t close = rest.find('}', pos);
      if (close == absl::string_view::npos) return bad("'{' without '}'");
      absl::string_view inside = rest.substr(pos + 1, close - pos - 1);
      Variable variable;
      absl::string_view pattern = "*";
      if (size_t eq = inside.find('='); eq != absl::string_view::npos) {
        variable.field_path = std::string(inside.substr(0, eq));
        pattern = inside.substr(eq + 1);
      } else {
        variable.field_path = std::string(inside);
      }
      if (!IsFieldPath(variable.field_path))
        return bad(absl::StrCat("\"", variable.field_path, "\" is not a field path"));
      for (const auto& other : result.variables_) {
        if (other.field_path == variable.field_path)
          return bad(absl::StrCat(variable.field_path, " is bound twice"));
      }
      variable.pattern = std::string(pattern);
      variable.first = result.segments_.size();
      for (absl::string_view segment : absl::StrSplit(pattern, '/')) {
        if (segment == "**") return bad("'**' is not supported");
        if (segment != "*" && !IsLiteral(segment))
          return bad(absl::StrCat("bad segment \"", segment, "\""));
        result.segments_.emplace_back(segment);
      }
      variable.end = result.segments_.size();
      result.variables_.push_back(std::move(variable));
      pos = close + 1;
    } else {
      size_t slash = rest.find('/', pos);
      if (slash == absl::string_view::npos) slash = rest.size();
      absl::string_view segment = rest.substr(pos, slash - pos);
      if (segment == "**") return bad("'**' is not supported");
      if (segment != "*" && !IsLiteral(segment))
        return bad(absl::StrCat("bad segment \"", segment, "\""));
      result.segments_.emplace_back(segment);
      pos = slash;
    }
    if (pos == rest.size()) break;
    if (rest[pos] != '/') return bad("a variable must be followed by '/', ':' or the end");
    ++pos;
  }
  return result;
}

PathTemplate::SplitPath PathTemplate::Split(absl::string_view path) {
  SplitPath split;
  split.rooted = absl::ConsumePrefix(&path, "/");
  // The verb is after the last ':' of the last segment.
  const size_t last_slash = path.rfind('/');
  const size_t colon = path.find(':', last_slash == absl::string_view::npos ? 0 : last_slash);
  if (colon != absl::string_view::npos) {
    split.verb = path.substr(colon + 1);
    path = path.substr(0, colon);
  }
  split.segments = absl::StrSplit(path, '/');
  return split;
}

bool PathTemplate::Match(const SplitPath& path,
                         std::map<std::string, std::string>* bindings) const {
  if (!path.rooted || path.verb != verb_) return false;
  const std::vector<absl::string_view>& parts = path.segments;
  if (parts.size() != segments_.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) return false;
    if (segments_[i] != "*" && parts[i] != segments_[i]) return false;
  }
  if (bindings != nullptr) {
    for (const Variable& variable : variables_) {
      (*bindings)[variable.field_path] =
          absl::StrJoin(parts.begin() + static_cast<std::ptrdiff_t>(variable.first),
                        parts.begin() + static_cast<std::ptrdiff_t>(variable.end), "/");
    }
  }
  return true;
}

int PathTemplate::literal_count() const {
  int count = 0;
  for (const auto& segment : segments_) count += segment != "*";
  return count;
}

std::string PathTemplate::Shape() const {
  return absl::StrCat("/", absl::StrJoin(segments_, "/"), verb_.empty() ? "" : ":", verb_);
}

bool MethodAndPath(const google::api::HttpRule& rule, std::string* method, std::string* path) {
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      *method = "GET";
      *path = rule.get();
      return true;
    case google::api::HttpRule::kPut:
      *method = "PUT";
      *path = rule.put();
      return true;
    case google::api::HttpRule::kPost:
      *method = "POST";
      *path = rule.post();
      return true;
    case google::api::HttpRule::kDelete:
      *method = "DELETE";
      *path = rule.delete_();
      return true;
    case google::api::HttpRule::kPatch:
      *method = "PATCH";
      *path = rule.patch();
      return true;
    case google::api::HttpRule::kCustom:
      *method = absl::AsciiStrToUpper(rule.custom().kind());
      *path = rule.custom().path();
      return true;
    default:
      return false;
  }
}

}  // namespace peixun::gateway
