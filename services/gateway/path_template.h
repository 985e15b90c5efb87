// HTTP path templates of google.api.HttpRule (AIP-127), e.g.
// "/v1/{name=years/*/projects/*}:nominate": literal segments, "*" wildcards, variables binding
// a request field (a dotted path such as "plan_year.name") to one or more segments, and an
// optional custom verb after ':'. "**" is not used by peixun's contracts and is refused.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/api/http.pb.h"

namespace peixun::gateway {

class PathTemplate {
 public:
  struct Variable {
    std::string field_path;  // "name", "plan_year.name"
    size_t first = 0;        // the segments it binds: [first, end)
    size_t end = 0;
    std::string pattern;  // "years/*/projects/*", for errors and OpenAPI
  };

  // Parses `text`; an error names what is wrong with it.
  static absl::StatusOr<PathTemplate> Parse(absl::string_view text);

  // A request path (already split from its query) cut into its segments and verb once, to be
  // matched against every template; its views point into the path.
  struct SplitPath {
    std::vector<absl::string_view> segments;
    absl::string_view verb;
    bool rooted = false;  // began with '/'
  };
  static SplitPath Split(absl::string_view path);

  // The variables' values when `path` matches; a bound value is its segments joined by '/',
  // e.g. {"name": "years/2022/projects/x"}.
  bool Match(const SplitPath& path, std::map<std::string, std::string>* bindings) const;
  bool Match(absl::string_view path, std::map<std::string, std::string>* bindings) const {
    return Match(Split(path), bindings);
  }

  const std::string& text() const { return text_; }
  const std::vector<Variable>& variables() const { return variables_; }
  const std::string& verb() const { return verb_; }
  // How many literal segments; a route with more literals wins over one with wildcards.
  int literal_count() const;
  // Segments with every variable and wildcard as "*", and the verb: two templates with the same
  // shape would match the same paths.
  std::string Shape() const;

 private:
  std::string text_;
  std::vector<std::string> segments_;  // literal text, or "*"
  std::vector<Variable> variables_;
  std::string verb_;
};

// The HTTP method ("GET", "POST", …; a custom kind in upper case) and the path template of one
// binding; false when it names no path.
bool MethodAndPath(const google::api::HttpRule& rule, std::string* method, std::string* path);

}  // namespace peixun::gateway
