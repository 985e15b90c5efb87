#include "services/catalog/catalog_store.h"

#include <cppconn/datatype.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/db/conditions.h"
#include "common/db/rows.h"
#include "common/util/status.h"

namespace peixun::catalog {
namespace {

using ResultSet = std::unique_ptr<sql::ResultSet>;

std::string Str(const ResultSet& rows, const char* column) { return rows->getString(column); }

void SetDate(common::v1::Date* out, const std::string& text) {
  auto day = domain::ParseDate(text);
  if (day.ok()) *out = domain::FromCivilDay(*day);
}

void SetOptionalString(sql::PreparedStatement& statement, int index, const std::string& value) {
  if (value.empty()) {
    statement.setNull(index, sql::DataType::VARCHAR);
  } else {
    statement.setString(index, value);
  }
}

bool IsDuplicate(const sql::SQLException& e) { return e.getErrorCode() == db::kErrDuplicateKey; }

constexpr char kMicros[] = "CAST(UNIX_TIMESTAMP(%s) * 1000000 AS SIGNED)";

std::string MicrosOf(const char* column) {
  std::string out = kMicros;
  out.replace(out.find("%s"), 2, column);
  return absl::StrCat(out, " AS ", column, "_us");
}

v1::Region RegionFromRow(const ResultSet& rows) {
  v1::Region region;
  region.set_code(Str(rows, "code"));
  region.set_name("regions/" + region.code());
  region.set_display_name(Str(rows, "display_name"));
  region.set_level(static_cast<v1::RegionLevel>(rows->getInt("level")));
  if (!rows->isNull("parent_code")) region.set_parent("regions/" + Str(rows, "parent_code"));
  region.set_directly_administered(rows->getBoolean("directly_administered"));
  return region;
}

const std::string kYearColumns = absl::StrCat(
    "year, nomination_deadline, projects_end_by, check_in_notice_days, timetable_days, version, ",
    MicrosOf("create_time"), ", ", MicrosOf("update_time"));

v1::PlanYear YearFromRow(const ResultSet& rows) {
  v1::PlanYear year;
  year.set_year(rows->getInt("year"));
  year.set_name(absl::StrCat("years/", year.year()));
  SetDate(year.mutable_nomination_deadline(), Str(rows, "nomination_deadline"));
  SetDate(year.mutable_projects_end_by(), Str(rows, "projects_end_by"));
  year.set_check_in_notice_days(rows->getInt("check_in_notice_days"));
  year.set_timetable_days(rows->getInt("timetable_days"));
  year.set_etag(std::to_string(rows->getInt("version")));
  db::SetTimestampMicros(year.mutable_create_time(), rows->getInt64("create_time_us"));
  db::SetTimestampMicros(year.mutable_update_time(), rows->getInt64("update_time_us"));
  return year;
}

const std::string kCategoryColumns = absl::StrCat(
    "year, category_id, display_name, plan_level, project_county, ", MicrosOf("create_time"));

v1::ProjectCategory CategoryFromRow(const ResultSet& rows) {
  v1::ProjectCategory category;
  category.set_name(
      absl::StrCat("years/", rows->getInt("year"), "/categories/", Str(rows, "category_id")));
  category.set_display_name(Str(rows, "display_name"));
  category.set_plan_level(static_cast<common::v1::PlanLevel>(rows->getInt("plan_level")));
  category.set_project_county(rows->getBoolean("project_county"));
  db::SetTimestampMicros(category.mutable_create_time(), rows->getInt64("create_time_us"));
  return category;
}

const std::string kHostColumns =
    absl::StrCat("host_id, display_name, region_code, ", MicrosOf("create_time"));

v1::HostInstitution HostFromRow(const ResultSet& rows) {
  v1::HostInstitution host;
  host.set_name("hosts/" + Str(rows, "host_id"));
  host.set_display_name(Str(rows, "display_name"));
  if (!rows->isNull("region_code")) host.set_region("regions/" + Str(rows, "region_code"));
  db::SetTimestampMicros(host.mutable_create_time(), rows->getInt64("create_time_us"));
  return host;
}

const std::string kProjectColumns = absl::StrCat(
    "year, project_id, display_name, category_id, plan_level, host_id, audience, "
    "centralized_days, shadowing_days, online_hours, practice_months, delivered_in_county, "
    "credit_hours, start_date, end_date, class_size, seats, allocated_seats, version, owner_code, ",
    MicrosOf("create_time"), ", ", MicrosOf("update_time"),
    // the notice days stored on the year, counted back from the first day.
    ", (SELECT DATE_SUB(projects.start_date, INTERVAL y.check_in_notice_days DAY) "
    "FROM plan_years y WHERE y.year = projects.year) AS check_in_notice_date, "
    "(SELECT DATE_SUB(projects.start_date, INTERVAL y.timetable_days DAY) "
    "FROM plan_years y WHERE y.year = projects.year) AS timetable_date");

v1::Project ProjectFromRow(const ResultSet& rows) {
  v1::Project project;
  int year = rows->getInt("year");
  project.set_name(absl::StrCat("years/", year, "/projects/", Str(rows, "project_id")));
  project.set_display_name(Str(rows, "display_name"));
  project.set_category(absl::StrCat("years/", year, "/categories/", Str(rows, "category_id")));
  project.set_plan_level(static_cast<common::v1::PlanLevel>(rows->getInt("plan_level")));
  project.set_host("hosts/" + Str(rows, "host_id"));
  project.mutable_audience()->ParseFromString(db::ReadBlob(*rows, rows->findColumn("audience")));
  auto* format = project.mutable_format();
  format->set_centralized_days(rows->getInt("centralized_days"));
  format->set_shadowing_days(rows->getInt("shadowing_days"));
  format->set_online_hours(rows->getInt("online_hours"));
  format->set_practice_months(rows->getInt("practice_months"));
  format->set_delivered_in_county(rows->getBoolean("delivered_in_county"));
  project.set_credit_hours(rows->getInt("credit_hours"));
  SetDate(project.mutable_start_date(), Str(rows, "start_date"));
  SetDate(project.mutable_end_date(), Str(rows, "end_date"));
  project.set_class_size(rows->getInt("class_size"));
  project.set_seats(rows->getInt("seats"));
  project.set_allocated_seats(rows->getInt("allocated_seats"));
  project.set_etag(std::to_string(rows->getInt("version")));
  if (std::string owner = Str(rows, "owner_code"); !owner.empty())
    project.set_owner("regions/" + owner);
  db::SetTimestampMicros(project.mutable_create_time(), rows->getInt64("create_time_us"));
  db::SetTimestampMicros(project.mutable_update_time(), rows->getInt64("update_time_us"));
  if (!rows->isNull("check_in_notice_date"))
    SetDate(project.mutable_check_in_notice_date(), Str(rows, "check_in_notice_date"));
  if (!rows->isNull("timetable_date"))
    SetDate(project.mutable_timetable_date(), Str(rows, "timetable_date"));
  return project;
}

// Binds the mutable project fields to placeholders first..first+14, in the order the INSERT and
// UPDATE below name them.
void BindProject(sql::PreparedStatement& s, int first, const v1::Project& project,
                 const std::string& category_id, const std::string& host_id,
                 std::istream* audience) {
  s.setString(first, project.display_name());
  s.setString(first + 1, category_id);
  s.setInt(first + 2, project.plan_level());
  s.setString(first + 3, host_id);
  s.setBlob(first + 4, audience);
  s.setInt(first + 5, project.format().centralized_days());
  s.setInt(first + 6, project.format().shadowing_days());
  s.setInt(first + 7, project.format().online_hours());
  s.setInt(first + 8, project.format().practice_months());
  s.setInt(first + 9, project.credit_hours());
  s.setString(first + 10, db::DateText(project.start_date()));
  s.setString(first + 11, db::DateText(project.end_date()));
  s.setInt(first + 12, project.class_size());
  s.setInt(first + 13, project.seats());
  s.setBoolean(first + 14, project.format().delivered_in_county());
}

std::string LastSegment(const std::string& name) { return name.substr(name.rfind('/') + 1); }

const std::string kQuotaColumns = absl::StrCat(
    "year, project_id, region_code, level, parent_region_code, seats, "
    "allocated_seats, version, ",
    MicrosOf("update_time"));

v1::QuotaAllocation QuotaFromRow(const ResultSet& rows) {
  v1::QuotaAllocation quota;
  std::string project =
      absl::StrCat("years/", rows->getInt("year"), "/projects/", Str(rows, "project_id"));
  std::string region = Str(rows, "region_code");
  quota.set_name(absl::StrCat(project, "/quotas/", region));
  quota.set_region("regions/" + region);
  quota.set_parent(rows->isNull("parent_region_code")
                       ? project
                       : absl::StrCat(project, "/quotas/", Str(rows, "parent_region_code")));
  quota.set_seats(rows->getInt("seats"));
  quota.set_allocated_seats(rows->getInt("allocated_seats"));
  quota.set_level(static_cast<v1::RegionLevel>(rows->getInt("level")));
  quota.set_etag(std::to_string(rows->getInt("version")));
  db::SetTimestampMicros(quota.mutable_update_time(), rows->getInt64("update_time_us"));
  return quota;
}

const std::string kCostColumns = absl::StrCat(
    "year, version, fen_per_person_day, fen_per_online_hour, reason, ", MicrosOf("create_time"));

v1::CostPolicy CostFromRow(const ResultSet& rows) {
  v1::CostPolicy policy;
  policy.set_version(rows->getInt("version"));
  policy.set_name(absl::StrCat("years/", rows->getInt("year"), "/costPolicies/", policy.version()));
  policy.set_fen_per_person_day(rows->getInt64("fen_per_person_day"));
  policy.set_fen_per_online_hour(rows->getInt64("fen_per_online_hour"));
  policy.set_reason(Str(rows, "reason"));
  db::SetTimestampMicros(policy.mutable_create_time(), rows->getInt64("create_time_us"));
  return policy;
}

}  // namespace

// ---- Regions ------------------------------------------------------------------------------

absl::StatusOr<RegionImportCounts> CatalogStore::UpsertRegions(
    db::Connection& connection, const std::vector<domain::RegionRow>& rows) {
  RegionImportCounts counts;
  for (const auto& row : rows) {
    if (row.level != v1::PROVINCE) {
      auto parent = GetRegion(connection, row.parent_code);
      if (!parent.ok()) {
        return FieldError("csv", absl::StrCat("line ", row.line, ": parent_code ", row.parent_code,
                                              " is neither in the file nor known (R-1)"));
      }
      if (parent->level() != row.level - 1) {
        return FieldError("csv",
                          absl::StrCat("line ", row.line, ": parent ", row.parent_code, " of a ",
                                       row.level == v1::CITY ? "city" : "county", " must be a ",
                                       row.level == v1::CITY ? "province" : "city", " (R-1)"));
      }
      // R-1a: a directly administered city-level unit is its own county-level unit.
      if (row.level == v1::COUNTY && parent->directly_administered()) {
        return FieldError(
            "csv", absl::StrCat("line ", row.line, ": parent ", row.parent_code,
                                " is a directly administered city-level unit, its own county-level "
                                "unit, and has no counties (R-1a)"));
      }
    }
    auto existing = GetRegion(connection, row.code);
    const bool directly_administered =
        row.directly_administered.value_or(existing.ok() && existing->directly_administered());
    if (row.level == v1::CITY && directly_administered) {
      auto& counties = connection.Prepare("SELECT 1 FROM regions WHERE parent_code = ? LIMIT 1");
      counties.setString(1, row.code);
      if (ResultSet(counties.executeQuery())->next()) {
        return FieldError("csv", absl::StrCat("line ", row.line, ": city ", row.code,
                                              " has counties, so it cannot be directly "
                                              "administered as its own county-level unit (R-1a)"));
      }
    }
    if (existing.ok()) {
      std::string parent = row.parent_code.empty() ? "" : "regions/" + row.parent_code;
      if (existing->display_name() == row.display_name && existing->level() == row.level &&
          existing->parent() == parent &&
          existing->directly_administered() == directly_administered) {
        ++counts.unchanged;
        continue;
      }
      auto& update = connection.Prepare(
          "UPDATE regions SET display_name = ?, level = ?, parent_code = ?, "
          "directly_administered = ? WHERE code = ?");
      update.setString(1, row.display_name);
      update.setInt(2, row.level);
      SetOptionalString(update, 3, row.parent_code);
      update.setBoolean(4, directly_administered);
      update.setString(5, row.code);
      update.executeUpdate();
      ++counts.updated;
    } else {
      auto& insert = connection.Prepare(
          "INSERT INTO regions (code, display_name, level, parent_code, directly_administered) "
          "VALUES (?, ?, ?, ?, ?)");
      insert.setString(1, row.code);
      insert.setString(2, row.display_name);
      insert.setInt(3, row.level);
      SetOptionalString(insert, 4, row.parent_code);
      insert.setBoolean(5, directly_administered);
      insert.executeUpdate();
      ++counts.created;
    }
  }
  return counts;
}

absl::StatusOr<v1::Region> CatalogStore::GetRegion(db::Connection& connection,
                                                   const std::string& code) {
  auto& select = connection.Prepare(
      "SELECT code, display_name, level, parent_code, directly_administered FROM regions "
      "WHERE code = ?");
  select.setString(1, code);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return absl::NotFoundError(absl::StrCat("regions/", code, " does not exist"));
  return RegionFromRow(rows);
}

absl::StatusOr<v1::Region> CatalogStore::RequireRegion(db::Connection& connection,
                                                       const std::string& code,
                                                       absl::string_view field) {
  absl::StatusOr<v1::Region> region = GetRegion(connection, code);
  if (absl::IsNotFound(region.status())) {
    return FieldError(field, absl::StrCat("regions/", code, " is not a known region"));
  }
  return region;
}

std::vector<v1::Region> CatalogStore::ListRegions(db::Connection& connection, int level,
                                                  const std::string& parent_code,
                                                  const std::string& after_code, int limit) {
  db::Conditions where;
  where.EqualUnlessZero("level", level).EqualUnlessEmpty("parent_code", parent_code);
  auto& select = connection.Prepare(absl::StrCat(
      "SELECT code, display_name, level, parent_code, directly_administered FROM regions "
      "WHERE code > ?",
      where.Sql(), " ORDER BY code LIMIT ?"));
  unsigned int next = 1;
  select.setString(next++, after_code);
  where.Bind(select, &next);
  select.setInt(next, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::Region> out;
  while (rows->next()) out.push_back(RegionFromRow(rows));
  return out;
}

// ---- Plan years ---------------------------------------------------------------------------

absl::Status CatalogStore::InsertYear(db::Connection& connection, const v1::PlanYear& year) {
  auto& insert = connection.Prepare(
      "INSERT INTO plan_years (year, nomination_deadline, projects_end_by, check_in_notice_days, "
      "timetable_days) VALUES (?, ?, ?, ?, ?)");
  insert.setInt(1, year.year());
  insert.setString(2, db::DateText(year.nomination_deadline()));
  insert.setString(3, db::DateText(year.projects_end_by()));
  insert.setInt(4, year.check_in_notice_days());
  insert.setInt(5, year.timetable_days());
  try {
    insert.executeUpdate();
  } catch (const sql::SQLException& e) {
    if (IsDuplicate(e))
      return absl::AlreadyExistsError(absl::StrCat("years/", year.year(), " already exists"));
    throw;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::PlanYear> CatalogStore::GetYear(db::Connection& connection, int year,
                                                   bool for_update) {
  auto& select = connection.Prepare(absl::StrCat(
      "SELECT ", kYearColumns, " FROM plan_years WHERE year = ?", for_update ? " FOR UPDATE" : ""));
  select.setInt(1, year);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return absl::NotFoundError(absl::StrCat("years/", year, " does not exist"));
  return YearFromRow(rows);
}

void CatalogStore::UpdateYear(db::Connection& connection, const v1::PlanYear& year) {
  auto& update = connection.Prepare(
      "UPDATE plan_years SET nomination_deadline = ?, projects_end_by = ?, "
      "check_in_notice_days = ?, timetable_days = ?, version = version + 1, "
      "update_time = CURRENT_TIMESTAMP(6) WHERE year = ?");
  update.setString(1, db::DateText(year.nomination_deadline()));
  update.setString(2, db::DateText(year.projects_end_by()));
  update.setInt(3, year.check_in_notice_days());
  update.setInt(4, year.timetable_days());
  update.setInt(5, year.year());
  update.executeUpdate();
}

// ---- Categories ---------------------------------------------------------------------------

absl::Status CatalogStore::InsertCategory(db::Connection& connection, int year,
                                          const std::string& category_id,
                                          const v1::ProjectCategory& category) {
  auto& insert = connection.Prepare(
      "INSERT INTO categories (year, category_id, display_name, plan_level, project_county) "
      "VALUES (?, ?, ?, ?, ?)");
  insert.setInt(1, year);
  insert.setString(2, category_id);
  insert.setString(3, category.display_name());
  insert.setInt(4, category.plan_level());
  insert.setBoolean(5, category.project_county());
  try {
    insert.executeUpdate();
  } catch (const sql::SQLException& e) {
    if (IsDuplicate(e)) {
      return absl::AlreadyExistsError(
          absl::StrCat("years/", year, "/categories/", category_id, " already exists"));
    }
    throw;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ProjectCategory> CatalogStore::GetCategory(db::Connection& connection, int year,
                                                              const std::string& category_id) {
  auto& select = connection.Prepare(absl::StrCat(
      "SELECT ", kCategoryColumns, " FROM categories WHERE year = ? AND category_id = ?"));
  select.setInt(1, year);
  select.setString(2, category_id);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) {
    return absl::NotFoundError(
        absl::StrCat("years/", year, "/categories/", category_id, " does not exist"));
  }
  return CategoryFromRow(rows);
}

std::vector<v1::ProjectCategory> CatalogStore::ListCategories(db::Connection& connection, int year,
                                                              int plan_level,
                                                              const std::string& after_id,
                                                              int limit) {
  db::Conditions where;
  where.EqualUnlessZero("plan_level", plan_level);
  auto& select = connection.Prepare(absl::StrCat(
      "SELECT ", kCategoryColumns, " FROM categories WHERE year = ? AND category_id > ?",
      where.Sql(), " ORDER BY category_id LIMIT ?"));
  unsigned int next = 1;
  select.setInt(next++, year);
  select.setString(next++, after_id);
  where.Bind(select, &next);
  select.setInt(next, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::ProjectCategory> out;
  while (rows->next()) out.push_back(CategoryFromRow(rows));
  return out;
}

// ---- Hosts --------------------------------------------------------------------------------

absl::Status CatalogStore::InsertHost(db::Connection& connection, const std::string& host_id,
                                      const v1::HostInstitution& host) {
  auto& insert =
      connection.Prepare("INSERT INTO hosts (host_id, display_name, region_code) VALUES (?, ?, ?)");
  insert.setString(1, host_id);
  insert.setString(2, host.display_name());
  SetOptionalString(insert, 3, host.region().empty() ? "" : LastSegment(host.region()));
  try {
    insert.executeUpdate();
  } catch (const sql::SQLException& e) {
    if (IsDuplicate(e))
      return absl::AlreadyExistsError(absl::StrCat("hosts/", host_id, " already exists"));
    throw;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::HostInstitution> CatalogStore::GetHost(db::Connection& connection,
                                                          const std::string& host_id) {
  auto& select =
      connection.Prepare(absl::StrCat("SELECT ", kHostColumns, " FROM hosts WHERE host_id = ?"));
  select.setString(1, host_id);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return absl::NotFoundError(absl::StrCat("hosts/", host_id, " does not exist"));
  return HostFromRow(rows);
}

std::vector<v1::HostInstitution> CatalogStore::ListHosts(db::Connection& connection,
                                                         const std::string& region_code,
                                                         const std::string& after_id, int limit) {
  db::Conditions where;
  where.EqualUnlessEmpty("region_code", region_code);
  auto& select =
      connection.Prepare(absl::StrCat("SELECT ", kHostColumns, " FROM hosts WHERE host_id > ?",
                                      where.Sql(), " ORDER BY host_id LIMIT ?"));
  unsigned int next = 1;
  select.setString(next++, after_id);
  where.Bind(select, &next);
  select.setInt(next, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::HostInstitution> out;
  while (rows->next()) out.push_back(HostFromRow(rows));
  return out;
}

// ---- Projects -----------------------------------------------------------------------------

absl::Status CatalogStore::InsertProject(db::Connection& connection, int year,
                                         const std::string& project_id,
                                         const v1::Project& project) {
  auto& insert = connection.Prepare(
      "INSERT INTO projects (year, project_id, display_name, category_id, plan_level, host_id, "
      "audience, centralized_days, shadowing_days, online_hours, practice_months, credit_hours, "
      "start_date, end_date, class_size, seats, delivered_in_county, owner_code) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  std::istringstream audience(project.audience().SerializeAsString());
  insert.setInt(1, year);
  insert.setString(2, project_id);
  BindProject(insert, 3, project, LastSegment(project.category()), LastSegment(project.host()),
              &audience);
  insert.setString(18, project.owner().empty() ? "" : LastSegment(project.owner()));
  try {
    insert.executeUpdate();
  } catch (const sql::SQLException& e) {
    if (IsDuplicate(e)) {
      return absl::AlreadyExistsError(
          absl::StrCat("years/", year, "/projects/", project_id, " already exists"));
    }
    throw;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Project> CatalogStore::GetProject(db::Connection& connection, int year,
                                                     const std::string& project_id,
                                                     bool for_update) {
  auto& select = connection.Prepare(absl::StrCat("SELECT ", kProjectColumns,
                                                 " FROM projects WHERE year = ? AND project_id = ?",
                                                 for_update ? " FOR UPDATE" : ""));
  select.setInt(1, year);
  select.setString(2, project_id);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) {
    return absl::NotFoundError(
        absl::StrCat("years/", year, "/projects/", project_id, " does not exist"));
  }
  return ProjectFromRow(rows);
}

std::vector<v1::Project> CatalogStore::ListProjects(db::Connection& connection, int year,
                                                    const ProjectFilter& filter,
                                                    const std::string& after_id, int limit) {
  db::Conditions where;
  where.EqualUnlessEmpty("category_id", filter.category_id)
      .EqualUnlessEmpty("host_id", filter.host_id)
      .EqualUnlessZero("plan_level", filter.plan_level)
      .EqualUnlessEmpty("owner_code", filter.owner_code);
  auto& select = connection.Prepare(absl::StrCat("SELECT ", kProjectColumns,
                                                 " FROM projects WHERE year = ? AND project_id > ?",
                                                 where.Sql(), " ORDER BY project_id LIMIT ?"));
  unsigned int next = 1;
  select.setInt(next++, year);
  select.setString(next++, after_id);
  where.Bind(select, &next);
  select.setInt(next, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::Project> out;
  while (rows->next()) out.push_back(ProjectFromRow(rows));
  return out;
}

void CatalogStore::UpdateProject(db::Connection& connection, int year,
                                 const std::string& project_id, const v1::Project& project) {
  auto& update = connection.Prepare(
      "UPDATE projects SET display_name = ?, category_id = ?, plan_level = ?, host_id = ?, "
      "audience = ?, centralized_days = ?, shadowing_days = ?, online_hours = ?, "
      "practice_months = ?, credit_hours = ?, start_date = ?, end_date = ?, class_size = ?, "
      "seats = ?, delivered_in_county = ?, version = version + 1, "
      "update_time = CURRENT_TIMESTAMP(6) WHERE year = ? AND project_id = ?");
  std::istringstream audience(project.audience().SerializeAsString());
  BindProject(update, 1, project, LastSegment(project.category()), LastSegment(project.host()),
              &audience);
  update.setInt(16, year);
  update.setString(17, project_id);
  update.executeUpdate();
}

void CatalogStore::SetProjectAllocated(db::Connection& connection, int year,
                                       const std::string& project_id, int allocated) {
  auto& update = connection.Prepare(
      "UPDATE projects SET allocated_seats = ? WHERE year = ? AND project_id = ?");
  update.setInt(1, allocated);
  update.setInt(2, year);
  update.setString(3, project_id);
  update.executeUpdate();
}

// ---- Quotas -------------------------------------------------------------------------------

absl::StatusOr<domain::AllocationFacts> CatalogStore::ReadAllocationFacts(
    db::Connection& connection, const QuotaName& key, const std::string& from_city, int32_t seats) {
  domain::AllocationFacts facts;
  facts.project = key.project;
  facts.from_city = from_city;
  facts.seats = seats;
  PEIXUN_ASSIGN_OR_RETURN(facts.region, RequireRegion(connection, key.region, "region"));
  PEIXUN_ASSIGN_OR_RETURN(v1::Project project,
                          GetProject(connection, key.year, key.project, from_city.empty()));
  if (from_city.empty()) {
    facts.parent = {absl::StrCat("project ", key.project), project.seats(),
                    project.allocated_seats()};
    facts.parent_name = key.Project().Format();
  } else {
    const QuotaName city{key.year, key.project, from_city};
    std::optional<v1::QuotaAllocation> quota = FindQuota(connection, city, true);
    if (!quota) return absl::NotFoundError(absl::StrCat(city.Format(), " does not exist"));
    facts.parent = {absl::StrCat("city ", from_city, " quota"), quota->seats(),
                    quota->allocated_seats()};
    facts.parent_name = city.Format();
  }
  facts.existing = FindQuota(connection, key, true);
  PEIXUN_ASSIGN_OR_RETURN(v1::ProjectCategory category,
                          GetCategory(connection, key.year, LastSegment(project.category())));
  facts.project_county_category = category.project_county();
  return facts;
}

std::optional<v1::QuotaAllocation> CatalogStore::FindQuota(db::Connection& connection,
                                                           const QuotaName& key, bool for_update) {
  auto& select = connection.Prepare(
      absl::StrCat("SELECT ", kQuotaColumns,
                   " FROM quotas WHERE year = ? AND project_id = ? AND region_code = ?",
                   for_update ? " FOR UPDATE" : ""));
  select.setInt(1, key.year);
  select.setString(2, key.project);
  select.setString(3, key.region);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return QuotaFromRow(rows);
}

void CatalogStore::UpsertQuota(db::Connection& connection, const QuotaName& key, int level,
                               const std::string& parent_region_code, int seats) {
  auto& upsert = connection.Prepare(
      "INSERT INTO quotas (year, project_id, region_code, level, parent_region_code, seats) "
      "VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE seats = VALUES(seats), "
      "version = version + 1, update_time = CURRENT_TIMESTAMP(6)");
  upsert.setInt(1, key.year);
  upsert.setString(2, key.project);
  upsert.setString(3, key.region);
  upsert.setInt(4, level);
  SetOptionalString(upsert, 5, parent_region_code);
  upsert.setInt(6, seats);
  upsert.executeUpdate();
}

void CatalogStore::SetQuotaAllocated(db::Connection& connection, const QuotaName& key,
                                     int allocated) {
  auto& update = connection.Prepare(
      "UPDATE quotas SET allocated_seats = ?, version = version + 1, "
      "update_time = CURRENT_TIMESTAMP(6) WHERE year = ? AND project_id = ? AND region_code = ?");
  update.setInt(1, allocated);
  update.setInt(2, key.year);
  update.setString(3, key.project);
  update.setString(4, key.region);
  update.executeUpdate();
}

std::vector<v1::QuotaAllocation> CatalogStore::ListQuotas(db::Connection& connection, int year,
                                                          const std::string& project_id,
                                                          const QuotaFilter& filter,
                                                          const std::string& after_key, int limit) {
  // Keyset on (project_id, region_code); after_key is "project/region".
  std::string after_project;
  std::string after_region;
  if (auto slash = after_key.find('/'); slash != std::string::npos) {
    after_project = after_key.substr(0, slash);
    after_region = after_key.substr(slash + 1);
  }
  db::Conditions where;
  if (project_id != "-") where.Term("project_id = ?", {project_id});
  where.EqualUnlessZero("level", filter.level)
      .EqualUnlessEmpty("parent_region_code", filter.parent_region_code);
  auto& select = connection.Prepare(
      absl::StrCat("SELECT ", kQuotaColumns,
                   " FROM quotas WHERE year = ? AND (project_id, region_code) > (?, ?)",
                   where.Sql(), " ORDER BY project_id, region_code LIMIT ?"));
  unsigned int next = 1;
  select.setInt(next++, year);
  select.setString(next++, after_project);
  select.setString(next++, after_region);
  where.Bind(select, &next);
  select.setInt(next, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::QuotaAllocation> out;
  while (rows->next()) out.push_back(QuotaFromRow(rows));
  return out;
}

// ---- Cost policy --------------------------------------------------------------------------

v1::CostPolicy CatalogStore::InsertCostPolicy(db::Connection& connection, int year,
                                              const v1::CostPolicy& policy) {
  // Versions of one year are serialized by locking the year's row.
  int version = 1;
  {
    auto& lock = connection.Prepare("SELECT year FROM plan_years WHERE year = ? FOR UPDATE");
    lock.setInt(1, year);
    ResultSet locked(lock.executeQuery());
    auto& last =
        connection.Prepare("SELECT COALESCE(MAX(version), 0) FROM cost_policies WHERE year = ?");
    last.setInt(1, year);
    ResultSet rows(last.executeQuery());
    if (rows->next()) version = rows->getInt(1) + 1;
  }
  auto& insert = connection.Prepare(
      "INSERT INTO cost_policies (year, version, fen_per_person_day, fen_per_online_hour, reason) "
      "VALUES (?, ?, ?, ?, ?)");
  insert.setInt(1, year);
  insert.setInt(2, version);
  insert.setInt64(3, policy.fen_per_person_day());
  insert.setInt64(4, policy.fen_per_online_hour());
  insert.setString(5, policy.reason());
  insert.executeUpdate();
  return *GetCostPolicy(connection, year, version);
}

absl::StatusOr<v1::CostPolicy> CatalogStore::GetCostPolicy(db::Connection& connection, int year,
                                                           int version) {
  db::Conditions where;
  where.EqualUnlessZero("version", version);
  auto& select =
      connection.Prepare(absl::StrCat("SELECT ", kCostColumns, " FROM cost_policies WHERE year = ?",
                                      where.Sql(), " ORDER BY version DESC LIMIT 1"));
  unsigned int next = 1;
  select.setInt(next++, year);
  where.Bind(select, &next);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) {
    return absl::NotFoundError(absl::StrCat("years/", year, "/costPolicies/",
                                            version == 0 ? "latest" : std::to_string(version),
                                            " does not exist"));
  }
  return CostFromRow(rows);
}

}  // namespace peixun::catalog
