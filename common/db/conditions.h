// The optional terms of a list query's WHERE clause, written once: a term that is not set adds
// nothing to the SQL, and the parameters are bound in the order the terms were added. It replaces
// the `(? = '' OR col = ?)` shape, whose every filter was bound twice by hand. (MariaDB 10.11
// folds that shape's constant half on every execution, so both read the same index: the builder
// is for the reader and the bind order, not for speed.)
//
//   db::Conditions where;
//   where.EqualUnlessZero("r.grade", filter.grade).InWhenSet("r.county_code", filter.counties);
//   auto& select = c.Prepare(absl::StrCat("SELECT … WHERE r.year = ?", where.Sql(), " LIMIT ?"));
//   unsigned int next = 1;
//   select.setInt(next++, year);
//   where.Bind(select, &next);
//   select.setInt(next++, limit);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"

namespace sql {
class PreparedStatement;
}  // namespace sql

namespace peixun::db {

class Conditions {
 public:
  // `column = value` unless `value` is empty.
  Conditions& EqualUnlessEmpty(absl::string_view column, const std::string& value);
  // `column = value` unless `value` is 0 (an enum's UNSPECIFIED).
  Conditions& EqualUnlessZero(absl::string_view column, int64_t value);
  // `column IN (values)` when `values` is set; a set without values matches nothing. The list is
  // padded to a power of two by repeating its last value, so a connection prepares few shapes.
  Conditions& InWhenSet(absl::string_view column,
                        const std::optional<std::vector<std::string>>& values);
  // A term of its own shape (`sql` with one `?` for each of `params`, in order), always added;
  // the caller decides whether it applies.
  using Param = std::variant<int64_t, std::string>;
  Conditions& Term(absl::string_view sql, std::vector<Param> params);

  // " AND …" for every term added, or "" when none was.
  const std::string& Sql() const { return sql_; }
  // Binds the terms' parameters from `*next` on, and advances it past them.
  void Bind(sql::PreparedStatement& statement, unsigned int* next) const;

 private:
  std::string sql_;
  std::vector<Param> params_;
};

}  // namespace peixun::db
