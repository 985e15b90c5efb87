#include "common/db/conditions.h"

#include <cppconn/prepared_statement.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace peixun::db {

Conditions& Conditions::EqualUnlessEmpty(absl::string_view column, const std::string& value) {
  if (value.empty()) return *this;
  absl::StrAppend(&sql_, " AND ", column, " = ?");
  params_.emplace_back(value);
  return *this;
}

Conditions& Conditions::EqualUnlessZero(absl::string_view column, int64_t value) {
  if (value == 0) return *this;
  absl::StrAppend(&sql_, " AND ", column, " = ?");
  params_.emplace_back(value);
  return *this;
}

Conditions& Conditions::InWhenSet(absl::string_view column,
                                  const std::optional<std::vector<std::string>>& values) {
  if (!values.has_value()) return *this;
  if (values->empty()) {
    absl::StrAppend(&sql_, " AND FALSE");
    return *this;
  }
  size_t shape = 1;
  while (shape < values->size()) shape *= 2;
  absl::StrAppend(&sql_, " AND ", column, " IN (?");
  for (size_t i = 1; i < shape; ++i) absl::StrAppend(&sql_, ", ?");
  absl::StrAppend(&sql_, ")");
  for (size_t i = 0; i < shape; ++i)
    params_.emplace_back((*values)[std::min(i, values->size() - 1)]);
  return *this;
}

Conditions& Conditions::Term(absl::string_view sql, std::vector<Param> params) {
  absl::StrAppend(&sql_, " AND ", sql);
  for (auto& param : params) params_.push_back(std::move(param));
  return *this;
}

void Conditions::Bind(sql::PreparedStatement& statement, unsigned int* next) const {
  for (const auto& param : params_) {
    if (const auto* number = std::get_if<int64_t>(&param)) {
      statement.setInt64((*next)++, *number);
    } else {
      statement.setString((*next)++, std::get<std::string>(param));
    }
  }
}

}  // namespace peixun::db
