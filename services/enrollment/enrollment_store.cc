#include "services/enrollment/enrollment_store.h"

#include <cppconn/datatype.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>
#include <set>
#include <sstream>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/db/conditions.h"
#include "common/db/rows.h"
#include "common/util/clock.h"

namespace peixun::enrollment {
namespace {

using ResultSet = std::unique_ptr<sql::ResultSet>;

std::string Str(const ResultSet& rows, const char* column) { return rows->getString(column); }
std::string Str(sql::ResultSet& rows, const char* column) { return rows.getString(column); }

// At most `limit` bytes of UTF-8 text, never cutting a character.
std::string Utf8Prefix(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

const char kEnrollmentColumns[] =
    "enrollment_id, teacher_id, year, project_id, county_code, state, no_show_reason, "
    "no_show_review, credit_hours, version, "
    "CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS SIGNED) AS create_us, "
    "CAST(UNIX_TIMESTAMP(update_time) * 1000000 AS SIGNED) AS update_us, "
    "COALESCE((SELECT broken_condition FROM trainees_found_ineligible f "
    "WHERE f.enrollment_id = enrollments.enrollment_id), '') AS found_ineligible";

// An enrollment row selected with kEnrollmentColumns, without its history.
v1::Enrollment EnrollmentFromRow(const ResultSet& rows) {
  v1::Enrollment e;
  e.set_name("enrollments/" + Str(rows, "enrollment_id"));
  e.set_teacher("teachers/" + Str(rows, "teacher_id"));
  e.set_project(
      absl::StrCat("years/", rows->getInt("year"), "/projects/", Str(rows, "project_id")));
  e.set_county("regions/" + Str(rows, "county_code"));
  e.set_state(static_cast<v1::EnrollmentState>(rows->getInt("state")));
  e.set_no_show_reason(Str(rows, "no_show_reason"));
  e.set_no_show_review(static_cast<v1::Enrollment::ReasonReview>(rows->getInt("no_show_review")));
  e.set_credit_hours(rows->getInt("credit_hours"));
  e.set_etag(std::to_string(rows->getInt("version")));
  db::SetTimestampMicros(e.mutable_create_time(), rows->getInt64("create_us"));
  db::SetTimestampMicros(e.mutable_update_time(), rows->getInt64("update_us"));
  e.set_found_ineligible(Str(rows, "found_ineligible"));
  return e;
}

std::string LastSegment(const std::string& name) { return name.substr(name.rfind('/') + 1); }

const char kRegionColumns[] = "code, display_name, level, parent_code, directly_administered";

// A region of the catalog copy selected with kRegionColumns.
catalog_v1::Region RegionFromRow(sql::ResultSet& rows) {
  catalog_v1::Region region;
  region.set_code(rows.getString(1));
  region.set_name("regions/" + region.code());
  region.set_display_name(rows.getString(2));
  region.set_level(static_cast<catalog_v1::RegionLevel>(rows.getInt(3)));
  if (!rows.isNull(4)) region.set_parent("regions/" + std::string(rows.getString(4)));
  region.set_directly_administered(rows.getBoolean(5));
  return region;
}

// Narrows `where` to rows whose county is in city `city_code` (none given: every row): one of
// its counties in the region copy, or the city itself where it is its own county-level unit (R-1a).
void NarrowToCity(db::Conditions& where, const std::string& city_code) {
  if (city_code.empty()) return;
  where.Term(
      "(county_code = ? OR county_code IN (SELECT code FROM catalog_regions WHERE parent_code = "
      "?))",
      {city_code, city_code});
}

const char kTeacherColumns[] =
    "teacher_id, id_number, display_name, gender, birth_date, school, county_code, stage, "
    "subjects, "
    "rural, teaching_since_year, roles, version, "
    "CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS SIGNED) AS create_us, "
    "CAST(UNIX_TIMESTAMP(update_time) * 1000000 AS SIGNED) AS update_us, "
    // the registered school of the teacher's county with the name its record writes.
    "(SELECT s.school_id FROM schools s WHERE s.county_code = teachers.county_code AND "
    "s.display_name = teachers.school) AS registered_school_id";

TeacherRow TeacherFromRow(sql::ResultSet& rows) {
  TeacherRow row;
  row.teacher_id = Str(rows, "teacher_id");
  v1::Teacher& t = row.teacher;
  t.set_name("teachers/" + row.teacher_id);
  t.set_id_number(Str(rows, "id_number"));
  t.set_display_name(Str(rows, "display_name"));
  t.set_gender(static_cast<v1::Gender>(rows.getInt("gender")));
  *t.mutable_birth_date() = db::DateFromText(Str(rows, "birth_date"));
  t.set_school(Str(rows, "school"));
  t.set_county("regions/" + Str(rows, "county_code"));
  t.set_stage(static_cast<common::v1::Stage>(rows.getInt("stage")));
  for (absl::string_view s : absl::StrSplit(Str(rows, "subjects"), '|', absl::SkipEmpty())) {
    t.add_subjects(std::string(s));
  }
  t.set_rural(rows.getBoolean("rural"));
  t.set_teaching_since_year(rows.getInt("teaching_since_year"));
  for (absl::string_view r : absl::StrSplit(Str(rows, "roles"), ',', absl::SkipEmpty())) {
    int role = 0;
    if (absl::SimpleAtoi(r, &role)) t.add_roles(static_cast<common::v1::TeacherRole>(role));
  }
  t.set_etag(std::to_string(rows.getInt("version")));
  db::SetTimestampMicros(t.mutable_create_time(), rows.getInt64("create_us"));
  db::SetTimestampMicros(t.mutable_update_time(), rows.getInt64("update_us"));
  if (!rows.isNull("registered_school_id")) {
    t.set_registered_school(
        absl::StrCat(t.county(), "/schools/", Str(rows, "registered_school_id")));
  }
  return row;
}

// Binds the teacher's fields to placeholders first..first+9 (the order of the INSERT below).
void BindTeacher(sql::PreparedStatement& s, int first, const v1::Teacher& t) {
  s.setString(first, t.display_name());
  s.setInt(first + 1, t.gender());
  s.setString(first + 2, absl::FormatCivilTime(domain::BirthDateOf(t.id_number())));
  s.setString(first + 3, t.school());
  s.setString(first + 4, LastSegment(t.county()));
  s.setInt(first + 5, t.stage());
  s.setString(first + 6, absl::StrJoin(t.subjects(), "|"));
  s.setBoolean(first + 7, t.rural());
  s.setInt(first + 8, t.teaching_since_year());
  std::vector<int> roles(t.roles().begin(), t.roles().end());
  s.setString(first + 9, absl::StrJoin(roles, ","));
}

std::optional<TeacherRow> QueryOneTeacher(db::Connection& c, const std::string& sql,
                                          const std::string& key) {
  auto& select = c.Prepare(sql);
  select.setString(1, key);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return TeacherFromRow(*rows);
}

}  // namespace

std::optional<TeacherRow> EnrollmentStore::FindTeacher(db::Connection& c,
                                                       const std::string& teacher_id,
                                                       bool for_update) {
  return QueryOneTeacher(
      c,
      absl::StrCat("SELECT ", kTeacherColumns, " FROM teachers WHERE teacher_id = ?",
                   for_update ? " FOR UPDATE" : ""),
      teacher_id);
}

std::vector<TeacherRow> EnrollmentStore::FindTeachersByIdNumbers(
    db::Connection& c, const std::vector<std::string>& id_numbers, bool for_update) {
  std::vector<TeacherRow> out;
  db::ForEachChunk(id_numbers.size(), [&](size_t begin, size_t count) {
    auto& select =
        c.Prepare(absl::StrCat("SELECT ", kTeacherColumns, " FROM teachers WHERE id_number IN ",
                               db::RowPlaceholders(1, count), for_update ? " FOR UPDATE" : ""));
    for (size_t i = 0; i < count; ++i)
      select.setString(static_cast<int>(i) + 1, id_numbers[begin + i]);
    ResultSet rows(select.executeQuery());
    while (rows->next()) out.push_back(TeacherFromRow(*rows));
  });
  return out;
}

absl::Status EnrollmentStore::InsertTeachers(db::Connection& c,
                                             const std::vector<std::string>& teacher_ids,
                                             const std::vector<const v1::Teacher*>& teachers) {
  constexpr int kColumns = 12;
  auto insert_all = [&] {
    db::ForEachChunk(teachers.size(), [&](size_t begin, size_t count) {
      auto& insert = c.Prepare(
          "INSERT INTO teachers (display_name, gender, birth_date, school, county_code, stage, "
          "subjects, rural, teaching_since_year, roles, teacher_id, id_number) VALUES " +
          db::RowPlaceholders(count, kColumns));
      for (size_t i = 0; i < count; ++i) {
        const int first = static_cast<int>(i) * kColumns + 1;
        const v1::Teacher& t = *teachers[begin + i];
        BindTeacher(insert, first, t);
        insert.setString(first + 10, teacher_ids[begin + i]);
        insert.setString(first + 11, t.id_number());
      }
      insert.executeUpdate();
    });
  };
  return db::AlreadyExistsOnDuplicate(insert_all, "a teacher with one of these ID numbers");
}

void EnrollmentStore::UpdateTeacher(db::Connection& c, const std::string& teacher_id,
                                    const v1::Teacher& t) {
  auto& update = c.Prepare(
      "UPDATE teachers SET display_name = ?, gender = ?, birth_date = ?, school = ?, county_code = "
      "?, "
      "stage = ?, subjects = ?, rural = ?, teaching_since_year = ?, roles = ?, version = version + "
      "1, "
      "update_time = CURRENT_TIMESTAMP(6) WHERE teacher_id = ?");
  BindTeacher(update, 1, t);
  update.setString(11, teacher_id);
  update.executeUpdate();
}

// ---- Schools (R-1, R-32) ------------------------------------------------------------------

namespace {

const char kSchoolColumns[] =
    "county_code, school_id, display_name, "
    "CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS SIGNED) AS create_us, "
    "CAST(UNIX_TIMESTAMP(update_time) * 1000000 AS SIGNED) AS update_us, "
    "(SELECT COUNT(*) FROM teachers t WHERE t.county_code = schools.county_code AND "
    "t.school = schools.display_name) AS teacher_count";

v1::School SchoolFromRow(sql::ResultSet& rows) {
  v1::School school;
  school.set_name(
      absl::StrCat("regions/", Str(rows, "county_code"), "/schools/", Str(rows, "school_id")));
  school.set_display_name(Str(rows, "display_name"));
  school.set_teacher_count(rows.getInt("teacher_count"));
  db::SetTimestampMicros(school.mutable_create_time(), rows.getInt64("create_us"));
  db::SetTimestampMicros(school.mutable_update_time(), rows.getInt64("update_us"));
  return school;
}

}  // namespace

std::map<std::string, std::string> EnrollmentStore::LockCountySchools(
    db::Connection& c, const std::string& county_code) {
  auto& select =
      c.Prepare("SELECT school_id, display_name FROM schools WHERE county_code = ? FOR UPDATE");
  select.setString(1, county_code);
  ResultSet rows(select.executeQuery());
  std::map<std::string, std::string> out;
  while (rows->next()) out[rows->getString(1)] = rows->getString(2);
  return out;
}

void EnrollmentStore::UpsertSchool(db::Connection& c, const std::string& county_code,
                                   const std::string& school_id, const std::string& display_name) {
  auto& upsert = c.Prepare(
      "INSERT INTO schools (county_code, school_id, display_name) VALUES (?, ?, ?) "
      "ON DUPLICATE KEY UPDATE display_name = VALUES(display_name), "
      "update_time = CURRENT_TIMESTAMP(6)");
  upsert.setString(1, county_code);
  upsert.setString(2, school_id);
  upsert.setString(3, display_name);
  upsert.executeUpdate();
}

std::optional<v1::School> EnrollmentStore::FindSchool(db::Connection& c,
                                                      const std::string& county_code,
                                                      const std::string& school_id) {
  auto& select = c.Prepare(absl::StrCat("SELECT ", kSchoolColumns,
                                        " FROM schools WHERE county_code = ? AND school_id = ?"));
  select.setString(1, county_code);
  select.setString(2, school_id);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return SchoolFromRow(*rows);
}

std::map<std::string, v1::School> EnrollmentStore::FindSchools(
    db::Connection& c, const std::string& county_code, const std::vector<std::string>& school_ids) {
  std::map<std::string, v1::School> out;
  db::ForEachChunk(school_ids.size(), [&](size_t begin, size_t count) {
    auto& select = c.Prepare(absl::StrCat("SELECT ", kSchoolColumns,
                                          " FROM schools WHERE county_code = ? AND school_id IN ",
                                          db::RowPlaceholders(1, count)));
    select.setString(1, county_code);
    for (size_t i = 0; i < count; ++i)
      select.setString(static_cast<int>(i) + 2, school_ids[begin + i]);
    ResultSet rows(select.executeQuery());
    while (rows->next()) {
      v1::School school = SchoolFromRow(*rows);
      out[LastSegment(school.name())] = std::move(school);
    }
  });
  return out;
}

std::vector<v1::School> EnrollmentStore::ListSchools(db::Connection& c,
                                                     const std::string& county_code,
                                                     const std::string& after_id, int limit) {
  auto& select = c.Prepare(
      absl::StrCat("SELECT ", kSchoolColumns,
                   " FROM schools WHERE county_code = ? AND school_id > ? ORDER BY school_id "
                   "LIMIT ?"));
  select.setString(1, county_code);
  select.setString(2, after_id);
  select.setInt(3, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::School> out;
  while (rows->next()) out.push_back(SchoolFromRow(*rows));
  return out;
}

std::vector<TeacherRow> EnrollmentStore::ListTeachers(db::Connection& c,
                                                      const std::string& county_code,
                                                      const std::string& city_code,
                                                      const std::string& after_id, int limit) {
  db::Conditions where;
  where.EqualUnlessEmpty("county_code", county_code);
  NarrowToCity(where, city_code);
  auto& select =
      c.Prepare(absl::StrCat("SELECT ", kTeacherColumns, " FROM teachers WHERE teacher_id > ?",
                             where.Sql(), " ORDER BY teacher_id LIMIT ?"));
  unsigned int next = 1;
  select.setString(next++, after_id);
  where.Bind(select, &next);
  select.setInt(next, limit);
  ResultSet rows(select.executeQuery());
  std::vector<TeacherRow> out;
  while (rows->next()) out.push_back(TeacherFromRow(*rows));
  return out;
}

void EnrollmentStore::UpsertRegion(db::Connection& c, const catalog_v1::Region& region) {
  auto& upsert = c.Prepare(
      "INSERT INTO catalog_regions (code, display_name, level, parent_code, "
      "directly_administered) VALUES (?, ?, ?, ?, ?) "
      "ON DUPLICATE KEY UPDATE display_name = VALUES(display_name), level = VALUES(level), "
      "parent_code = VALUES(parent_code), directly_administered = VALUES(directly_administered)");
  upsert.setString(1, region.code());
  upsert.setString(2, region.display_name());
  upsert.setInt(3, region.level());
  if (region.parent().empty()) {
    upsert.setNull(4, sql::DataType::VARCHAR);
  } else {
    upsert.setString(4, LastSegment(region.parent()));
  }
  upsert.setBoolean(5, region.directly_administered());
  upsert.executeUpdate();
}

std::optional<catalog_v1::Region> EnrollmentStore::FindRegion(db::Connection& c,
                                                              const std::string& code) {
  auto& select =
      c.Prepare(absl::StrCat("SELECT ", kRegionColumns, " FROM catalog_regions WHERE code = ?"));
  select.setString(1, code);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return RegionFromRow(*rows);
}

void EnrollmentStore::UpsertYear(db::Connection& c, const catalog_v1::PlanYear& year) {
  auto& upsert = c.Prepare(
      "INSERT INTO catalog_years (year, nomination_deadline) VALUES (?, ?) "
      "ON DUPLICATE KEY UPDATE nomination_deadline = VALUES(nomination_deadline)");
  upsert.setInt(1, year.year());
  upsert.setString(2, db::DateText(year.nomination_deadline()));
  upsert.executeUpdate();
}

std::optional<absl::CivilDay> EnrollmentStore::FindDeadline(db::Connection& c, int year) {
  auto& select = c.Prepare("SELECT nomination_deadline FROM catalog_years WHERE year = ?");
  select.setInt(1, year);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return db::CivilDayOf(db::DateFromText(rows->getString(1)));
}

std::vector<int> EnrollmentStore::KnownYears(db::Connection& c) {
  ResultSet rows(c.Prepare("SELECT year FROM catalog_years ORDER BY year").executeQuery());
  std::vector<int> years;
  while (rows->next()) years.push_back(rows->getInt(1));
  return years;
}

void EnrollmentStore::UpsertProject(db::Connection& c, const catalog_v1::Project& project) {
  std::vector<std::string> parts = absl::StrSplit(project.name(), '/');
  int year = 0;
  if (parts.size() != 4 || !absl::SimpleAtoi(parts[1], &year)) return;
  std::istringstream blob(project.SerializeAsString());
  auto& upsert = c.Prepare(
      "INSERT INTO catalog_projects (year, project_id, project) VALUES (?, ?, ?) "
      "ON DUPLICATE KEY UPDATE project = VALUES(project)");
  upsert.setInt(1, year);
  upsert.setString(2, parts[3]);
  upsert.setBlob(3, &blob);
  upsert.executeUpdate();
}

std::optional<catalog_v1::Project> EnrollmentStore::FindProject(db::Connection& c, int year,
                                                                const std::string& project_id) {
  auto& select =
      c.Prepare("SELECT project FROM catalog_projects WHERE year = ? AND project_id = ?");
  select.setInt(1, year);
  select.setString(2, project_id);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  catalog_v1::Project project;
  project.ParseFromString(db::ReadBlob(*rows, 1));
  return project;
}

void EnrollmentStore::UpsertQuota(db::Connection& c, int year, const std::string& project_id,
                                  const std::string& county_code, int seats) {
  auto& upsert = c.Prepare(
      "INSERT INTO catalog_quotas (year, project_id, county_code, seats) VALUES (?, ?, ?, ?) "
      "ON DUPLICATE KEY UPDATE seats = VALUES(seats)");
  upsert.setInt(1, year);
  upsert.setString(2, project_id);
  upsert.setString(3, county_code);
  upsert.setInt(4, seats);
  upsert.executeUpdate();
}

int64_t EnrollmentStore::SyncPosition(db::Connection& c) {
  ResultSet rows(c.Prepare("SELECT after_sequence FROM catalog_sync WHERE id = 1").executeQuery());
  return rows->next() ? rows->getInt64(1) : 0;
}

void EnrollmentStore::SetSyncPosition(db::Connection& c, int64_t after_sequence) {
  auto& update = c.Prepare(
      "UPDATE catalog_sync SET after_sequence = GREATEST(after_sequence, ?), "
      "synced_at = CURRENT_TIMESTAMP(6) WHERE id = 1");
  update.setInt64(1, after_sequence);
  update.executeUpdate();
}

std::optional<absl::Time> EnrollmentStore::LastSynced(db::Connection& c) {
  ResultSet rows(
      c.Prepare("SELECT CAST(UNIX_TIMESTAMP(synced_at) * 1000000 AS SIGNED) FROM catalog_sync "
                "WHERE id = 1 AND synced_at IS NOT NULL")
          .executeQuery());
  if (!rows->next()) return std::nullopt;
  return absl::FromUnixMicros(rows->getInt64(1));
}

namespace {

// Counts the enrollment in enrollment_outcomes under its current state (delta +1) or takes
// it out (-1); the caller holds the enrollment's row lock.
void CountOutcome(db::Connection& c, const std::string& enrollment_id, int delta) {
  auto& count = c.Prepare(
      "INSERT INTO enrollment_outcomes (year, project_id, county_code, state, rural, total) "
      "SELECT year, project_id, county_code, state, rural, ? FROM enrollments WHERE enrollment_id "
      "= ? "
      "ON DUPLICATE KEY UPDATE total = total + VALUES(total)");
  count.setInt(1, delta);
  count.setString(2, enrollment_id);
  count.executeUpdate();
}

}  // namespace

void EnrollmentStore::AppendHistory(db::Connection& c, const std::string& enrollment_id,
                                    v1::EnrollmentState from, v1::EnrollmentState to,
                                    const std::string& actor, const std::string& reason) {
  auto& insert = c.Prepare(
      "INSERT INTO enrollment_history (enrollment_id, step, from_state, to_state, actor, reason) "
      "SELECT ?, COALESCE(MAX(step), 0) + 1, ?, ?, ?, ? FROM enrollment_history WHERE "
      "enrollment_id = ?");
  insert.setString(1, enrollment_id);
  insert.setInt(2, from);
  insert.setInt(3, to);
  insert.setString(4, actor);
  insert.setString(5, reason);
  insert.setString(6, enrollment_id);
  insert.executeUpdate();
}

void EnrollmentStore::SetState(db::Connection& c, const std::string& enrollment_id,
                               v1::EnrollmentState state, int credit_hours) {
  auto& update = c.Prepare(
      "UPDATE enrollments SET state = ?, credit_hours = ?, version = version + 1, "
      "update_time = CURRENT_TIMESTAMP(6) WHERE enrollment_id = ?");
  update.setInt(1, state);
  update.setInt(2, credit_hours);
  update.setString(3, enrollment_id);
  CountOutcome(c, enrollment_id, -1);
  update.executeUpdate();
  CountOutcome(c, enrollment_id, +1);
}

absl::StatusOr<v1::Enrollment> EnrollmentStore::GetEnrollment(db::Connection& c,
                                                              const std::string& enrollment_id,
                                                              bool for_update) {
  auto& select = c.Prepare(absl::StrCat("SELECT ", kEnrollmentColumns,
                                        " FROM enrollments WHERE enrollment_id = ?",
                                        for_update ? " FOR UPDATE" : ""));
  select.setString(1, enrollment_id);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) {
    return absl::NotFoundError(absl::StrCat("enrollments/", enrollment_id, " does not exist"));
  }
  v1::Enrollment e = EnrollmentFromRow(rows);
  auto& history = c.Prepare(
      "SELECT from_state, to_state, actor, reason, CAST(UNIX_TIMESTAMP(time) * 1000000 AS SIGNED) "
      "FROM enrollment_history WHERE enrollment_id = ? ORDER BY step");
  history.setString(1, enrollment_id);
  ResultSet steps(history.executeQuery());
  while (steps->next()) {
    auto* change = e.add_history();
    change->set_from_state(static_cast<v1::EnrollmentState>(steps->getInt(1)));
    change->set_to_state(static_cast<v1::EnrollmentState>(steps->getInt(2)));
    change->set_actor(steps->getString(3));
    change->set_reason(steps->getString(4));
    db::SetTimestampMicros(change->mutable_time(), steps->getInt64(5));
  }
  return e;
}

std::vector<v1::Enrollment> EnrollmentStore::ListEnrollments(db::Connection& c,
                                                             const EnrollmentFilter& f,
                                                             const std::string& after_id,
                                                             int limit) {
  db::Conditions where;
  where.EqualUnlessZero("year", f.year)
      .EqualUnlessEmpty("project_id", f.project_id)
      .EqualUnlessEmpty("county_code", f.county_code)
      .EqualUnlessEmpty("teacher_id", f.teacher_id)
      .EqualUnlessZero("state", f.state);
  NarrowToCity(where, f.city_code);
  auto& select = c.Prepare(absl::StrCat("SELECT ", kEnrollmentColumns,
                                        " FROM enrollments WHERE enrollment_id > ?", where.Sql(),
                                        " ORDER BY enrollment_id LIMIT ?"));
  unsigned int next = 1;
  select.setString(next++, after_id);
  where.Bind(select, &next);
  select.setInt(next, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::Enrollment> out;
  while (rows->next()) {
    out.push_back(EnrollmentFromRow(rows));
  }
  return out;
}

std::vector<EnrollmentStore::EnrollmentWithProject> EnrollmentStore::TeacherEnrollments(
    db::Connection& c, const std::string& teacher_id) {
  auto& select = c.Prepare(
      "SELECT e.enrollment_id, e.year, e.state, e.credit_hours, p.project FROM enrollments e "
      "JOIN catalog_projects p ON p.year = e.year AND p.project_id = e.project_id "
      "WHERE e.teacher_id = ? ORDER BY e.year DESC, e.create_time DESC");
  select.setString(1, teacher_id);
  ResultSet rows(select.executeQuery());
  std::vector<EnrollmentWithProject> out;
  while (rows->next()) {
    EnrollmentWithProject& e = out.emplace_back();
    e.enrollment_id = rows->getString(1);
    e.year = rows->getInt(2);
    e.state = static_cast<v1::EnrollmentState>(rows->getInt(3));
    e.credit_hours = rows->getInt(4);
    e.project.ParseFromString(db::ReadBlob(*rows, 5));
  }
  return out;
}

void EnrollmentStore::RegisterHours(db::Connection& c, const domain::HourEntry& entry) {
  auto& insert = c.Prepare(
      "INSERT INTO hour_entries (teacher_id, hours, off_site_days, level, source_kind, source_key, "
      "year, school_year, approved_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON DUPLICATE KEY UPDATE entry_id = entry_id");
  insert.setString(1, entry.teacher_id);
  insert.setInt(2, entry.hours);
  insert.setInt(3, entry.off_site_days);
  insert.setInt(4, entry.level);
  insert.setInt(5, static_cast<int>(entry.source));
  insert.setString(6, entry.source_key);
  insert.setInt(7, entry.year);
  insert.setInt(8, entry.school_year);
  insert.setString(9, entry.approved_by);
  insert.executeUpdate();
}

std::vector<domain::CompletedTraining> EnrollmentStore::TeacherHours(
    db::Connection& c, const std::string& teacher_id) {
  auto& select = c.Prepare(
      "SELECT year, hours, off_site_days FROM hour_entries WHERE teacher_id = ? ORDER BY year");
  select.setString(1, teacher_id);
  ResultSet rows(select.executeQuery());
  std::vector<domain::CompletedTraining> out;
  while (rows->next()) out.push_back({rows->getInt(1), rows->getInt(2), rows->getInt(3)});
  return out;
}

std::vector<v1::HourEntry> EnrollmentStore::ListHourEntries(db::Connection& c,
                                                            const std::string& teacher_id,
                                                            int64_t after_id, int limit) {
  auto& select = c.Prepare(
      "SELECT entry_id, hours, off_site_days, level, source_kind, source_key, year, school_year, "
      "approved_by, CAST(UNIX_TIMESTAMP(approve_time) * 1000000 AS SIGNED), description "
      "FROM hour_entries "
      "WHERE teacher_id = ? AND entry_id > ? ORDER BY entry_id LIMIT ?");
  select.setString(1, teacher_id);
  select.setInt64(2, after_id);
  select.setInt(3, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::HourEntry> out;
  while (rows->next()) {
    v1::HourEntry& e = out.emplace_back();
    e.set_name(absl::StrCat("teachers/", teacher_id, "/hourEntries/", rows->getInt64(1)));
    e.set_credit_hours(rows->getInt(2));
    e.set_off_site_days(rows->getInt(3));
    e.set_plan_level(static_cast<common::v1::PlanLevel>(rows->getInt(4)));
    const int kind = rows->getInt(5);
    e.set_source_kind(v1::HourEntry::Source_IsValid(kind) ? static_cast<v1::HourEntry::Source>(kind)
                                                          : v1::HourEntry::SOURCE_UNSPECIFIED);
    if (kind == static_cast<int>(domain::HourSource::kCompletion))
      e.set_source("enrollments/" + std::string(rows->getString(6)));
    if (kind >= static_cast<int>(domain::HourSource::kSchoolResearch)) {
      // Reported hours: the key without its teacher ("research/2022").
      const std::string key = rows->getString(6);
      e.set_source(key.substr(key.find('/') + 1));
    }
    e.set_description(rows->getString(11));
    if (kind == static_cast<int>(domain::HourSource::kClaim))
      e.set_source(
          absl::StrCat("teachers/", teacher_id, "/hourClaims/", std::string(rows->getString(6))));
    e.set_year(rows->getInt(7));
    e.set_school_year(rows->getInt(8));
    e.set_approved_by(rows->getString(9));
    db::SetTimestampMicros(e.mutable_approve_time(), rows->getInt64(10));
  }
  return out;
}

int64_t EnrollmentStore::HourEntryIdOf(db::Connection& c, domain::HourSource source,
                                       const std::string& source_key) {
  auto& select =
      c.Prepare("SELECT entry_id FROM hour_entries WHERE source_kind = ? AND source_key = ?");
  select.setInt(1, static_cast<int>(source));
  select.setString(2, source_key);
  ResultSet rows(select.executeQuery());
  return rows->next() ? rows->getInt64(1) : 0;
}

// ---- Reported hours (R-14, R-32) --------------------------------------------------------------

std::map<std::string, TeacherPlace> EnrollmentStore::LockTeacherPlaces(
    db::Connection& c, const std::vector<std::string>& teacher_ids) {
  std::map<std::string, TeacherPlace> out;
  db::ForEachChunk(teacher_ids.size(), [&](size_t begin, size_t count) {
    auto& select = c.Prepare(absl::StrCat(
        "SELECT teacher_id, county_code, (SELECT s.school_id FROM schools s WHERE s.county_code "
        "= teachers.county_code AND s.display_name = teachers.school) FROM teachers WHERE "
        "teacher_id IN ",
        db::RowPlaceholders(1, count), " ORDER BY teacher_id FOR UPDATE"));
    for (size_t i = 0; i < count; ++i)
      select.setString(static_cast<int>(i) + 1, teacher_ids[begin + i]);
    ResultSet rows(select.executeQuery());
    while (rows->next()) {
      TeacherPlace& place = out[rows->getString(1)];
      place.county_code = rows->getString(2);
      if (!rows->isNull(3)) place.school_id = rows->getString(3);
    }
  });
  return out;
}

std::set<std::pair<std::string, int>> EnrollmentStore::ApprovedResearchPlans(
    db::Connection& c, const std::string& county_code) {
  auto& select = c.Prepare(
      "SELECT school_id, school_year FROM research_plans WHERE county_code = ? AND state = ?");
  select.setString(1, county_code);
  select.setInt(2, v1::ResearchPlan::APPROVED);
  ResultSet rows(select.executeQuery());
  std::set<std::pair<std::string, int>> out;
  while (rows->next()) out.emplace(rows->getString(1), rows->getInt(2));
  return out;
}

namespace {

// A county's rows of a school-year table (plans, reports), one school's when `school_id` is set,
// after (after_school, after_year) in (school, school year) order, at most `limit`; state and
// school_year filter when not 0.
template <typename T>
std::vector<T> ListBySchoolYear(db::Connection& c, absl::string_view columns,
                                absl::string_view table, T (*from_row)(sql::ResultSet&),
                                const std::string& county_code, const std::string& school_id,
                                int state, int school_year, const std::string& after_school,
                                int after_year, int limit) {
  db::Conditions where;
  where.EqualUnlessEmpty("school_id", school_id)
      .EqualUnlessZero("state", state)
      .EqualUnlessZero("school_year", school_year);
  auto& select =
      c.Prepare(absl::StrCat("SELECT ", columns, " FROM ", table,
                             " WHERE county_code = ? AND (school_id, school_year) > (?, ?)",
                             where.Sql(), " ORDER BY school_id, school_year LIMIT ?"));
  unsigned int next = 1;
  select.setString(next++, county_code);
  select.setString(next++, after_school);
  select.setInt(next++, after_year);
  where.Bind(select, &next);
  select.setInt(next, limit);
  ResultSet rows(select.executeQuery());
  std::vector<T> out;
  while (rows->next()) out.push_back(from_row(*rows));
  return out;
}

}  // namespace

namespace {

const char kPlanColumns[] =
    "county_code, school_id, school_year, title, content, state, submitter, reviewer, "
    "review_reason, version, CAST(UNIX_TIMESTAMP(submit_time) * 1000000 AS SIGNED) AS submit_us, "
    "CAST(UNIX_TIMESTAMP(review_time) * 1000000 AS SIGNED) AS review_us";

v1::ResearchPlan PlanFromRow(sql::ResultSet& rows) {
  v1::ResearchPlan plan;
  plan.set_school_year(rows.getInt("school_year"));
  plan.set_name(absl::StrCat("regions/", Str(rows, "county_code"), "/schools/",
                             Str(rows, "school_id"), "/researchPlans/", plan.school_year()));
  plan.set_title(Str(rows, "title"));
  plan.set_content(Str(rows, "content"));
  plan.set_state(static_cast<v1::ResearchPlan::State>(rows.getInt("state")));
  plan.set_submitter(Str(rows, "submitter"));
  plan.set_reviewer(Str(rows, "reviewer"));
  plan.set_review_reason(Str(rows, "review_reason"));
  plan.set_etag(std::to_string(rows.getInt("version")));
  db::SetTimestampMicros(plan.mutable_submit_time(), rows.getInt64("submit_us"));
  if (!rows.isNull("review_us"))
    db::SetTimestampMicros(plan.mutable_review_time(), rows.getInt64("review_us"));
  return plan;
}

}  // namespace

std::optional<v1::ResearchPlan> EnrollmentStore::FindResearchPlan(db::Connection& c,
                                                                  const std::string& county_code,
                                                                  const std::string& school_id,
                                                                  int school_year,
                                                                  bool for_update) {
  auto& select = c.Prepare(absl::StrCat(
      "SELECT ", kPlanColumns,
      " FROM research_plans WHERE county_code = ? AND school_id = ? AND school_year = ?",
      for_update ? " FOR UPDATE" : ""));
  select.setString(1, county_code);
  select.setString(2, school_id);
  select.setInt(3, school_year);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return PlanFromRow(*rows);
}

void EnrollmentStore::SubmitResearchPlan(db::Connection& c, const std::string& county_code,
                                         const std::string& school_id, const v1::ResearchPlan& plan,
                                         const std::string& submitter) {
  auto& upsert = c.Prepare(
      "INSERT INTO research_plans (county_code, school_id, school_year, title, content, state, "
      "submitter) VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE title = VALUES(title), "
      "content = VALUES(content), state = VALUES(state), submitter = VALUES(submitter), "
      "submit_time = CURRENT_TIMESTAMP(6), version = version + 1");
  upsert.setString(1, county_code);
  upsert.setString(2, school_id);
  upsert.setInt(3, plan.school_year());
  upsert.setString(4, plan.title());
  upsert.setString(5, plan.content());
  upsert.setInt(6, v1::ResearchPlan::SUBMITTED);
  upsert.setString(7, submitter);
  upsert.executeUpdate();
}

void EnrollmentStore::ReviewResearchPlan(db::Connection& c, const std::string& county_code,
                                         const std::string& school_id, int school_year,
                                         v1::ResearchPlan::State state, const std::string& reviewer,
                                         const std::string& reason) {
  auto& update = c.Prepare(
      "UPDATE research_plans SET state = ?, reviewer = ?, review_reason = ?, review_time = "
      "CURRENT_TIMESTAMP(6), version = version + 1 WHERE county_code = ? AND school_id = ? AND "
      "school_year = ?");
  update.setInt(1, state);
  update.setString(2, reviewer);
  update.setString(3, reason);
  update.setString(4, county_code);
  update.setString(5, school_id);
  update.setInt(6, school_year);
  update.executeUpdate();
}

std::vector<v1::ResearchPlan> EnrollmentStore::ListResearchPlans(
    db::Connection& c, const std::string& county_code, const std::string& school_id, int state,
    int school_year, const std::string& after_school, int after_year, int limit) {
  return ListBySchoolYear(c, kPlanColumns, "research_plans", &PlanFromRow, county_code, school_id,
                          state, school_year, after_school, after_year, limit);
}

namespace {

const char kReportColumns[] =
    "county_code, school_id, school_year, state, row_count, accepted_rows, registered_hours, "
    "submitter, reviewer, review_reason, version, "
    "CAST(UNIX_TIMESTAMP(submit_time) * 1000000 AS SIGNED) AS submit_us, "
    "CAST(UNIX_TIMESTAMP(review_time) * 1000000 AS SIGNED) AS review_us";

v1::SchoolHoursReport ReportFromRow(sql::ResultSet& rows) {
  v1::SchoolHoursReport report;
  report.set_school_year(rows.getInt("school_year"));
  report.set_name(absl::StrCat("regions/", Str(rows, "county_code"), "/schools/",
                               Str(rows, "school_id"), "/hoursReports/", report.school_year()));
  report.set_state(static_cast<v1::SchoolHoursReport::State>(rows.getInt("state")));
  report.set_row_count(rows.getInt("row_count"));
  report.set_accepted_rows(rows.getInt("accepted_rows"));
  report.set_registered_hours(rows.getInt("registered_hours"));
  report.set_submitter(Str(rows, "submitter"));
  report.set_reviewer(Str(rows, "reviewer"));
  report.set_review_reason(Str(rows, "review_reason"));
  report.set_etag(std::to_string(rows.getInt("version")));
  db::SetTimestampMicros(report.mutable_submit_time(), rows.getInt64("submit_us"));
  if (!rows.isNull("review_us"))
    db::SetTimestampMicros(report.mutable_review_time(), rows.getInt64("review_us"));
  return report;
}

// The rows as stored: a SchoolHoursReport holding only its rows, in protobuf's encoding.
std::string RowsBlob(const v1::SchoolHoursReport& report) {
  v1::SchoolHoursReport rows;
  *rows.mutable_rows() = report.rows();
  return rows.SerializeAsString();
}

int AcceptedRows(const v1::SchoolHoursReport& report) {
  int accepted = 0;
  for (const auto& row : report.rows()) {
    if (row.result().outcome() != v1::HoursReportResult::REFUSED) ++accepted;
  }
  return accepted;
}

}  // namespace

std::optional<v1::SchoolHoursReport> EnrollmentStore::FindSchoolHoursReport(
    db::Connection& c, const std::string& county_code, const std::string& school_id,
    int school_year, bool for_update, bool with_rows) {
  auto& select = c.Prepare(absl::StrCat(
      "SELECT ", kReportColumns, with_rows ? ", rows_pb" : "",
      " FROM school_hours_reports WHERE county_code = ? AND school_id = ? AND school_year = ?",
      for_update ? " FOR UPDATE" : ""));
  select.setString(1, county_code);
  select.setString(2, school_id);
  select.setInt(3, school_year);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  v1::SchoolHoursReport report = ReportFromRow(*rows);
  if (with_rows) {
    v1::SchoolHoursReport stored;
    if (!stored.ParseFromString(db::ReadBlob(*rows, 14))) {
      throw sql::SQLException(absl::StrCat("the rows of ", report.name(), " do not parse"));
    }
    report.mutable_rows()->Swap(stored.mutable_rows());
  }
  return report;
}

void EnrollmentStore::SubmitSchoolHoursReport(db::Connection& c, const std::string& county_code,
                                              const std::string& school_id,
                                              const v1::SchoolHoursReport& report,
                                              const std::string& submitter) {
  std::istringstream blob(RowsBlob(report));
  auto& upsert = c.Prepare(
      "INSERT INTO school_hours_reports (county_code, school_id, school_year, state, rows_pb, "
      "row_count, accepted_rows, submitter) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY "
      "UPDATE state = VALUES(state), rows_pb = VALUES(rows_pb), row_count = VALUES(row_count), "
      "accepted_rows = VALUES(accepted_rows), registered_hours = 0, submitter = "
      "VALUES(submitter), submit_time = CURRENT_TIMESTAMP(6), version = version + 1");
  upsert.setString(1, county_code);
  upsert.setString(2, school_id);
  upsert.setInt(3, report.school_year());
  upsert.setInt(4, v1::SchoolHoursReport::SUBMITTED);
  upsert.setBlob(5, &blob);
  upsert.setInt(6, report.rows_size());
  upsert.setInt(7, AcceptedRows(report));
  upsert.setString(8, submitter);
  upsert.executeUpdate();
}

void EnrollmentStore::ReviewSchoolHoursReport(db::Connection& c, const std::string& county_code,
                                              const std::string& school_id,
                                              const v1::SchoolHoursReport& reviewed,
                                              const std::string& reviewer) {
  std::istringstream blob(RowsBlob(reviewed));
  auto& update = c.Prepare(
      "UPDATE school_hours_reports SET state = ?, rows_pb = ?, accepted_rows = ?, "
      "registered_hours = ?, reviewer = ?, review_reason = ?, review_time = CURRENT_TIMESTAMP(6), "
      "version = version + 1 WHERE county_code = ? AND school_id = ? AND school_year = ?");
  update.setInt(1, reviewed.state());
  update.setBlob(2, &blob);
  update.setInt(3, AcceptedRows(reviewed));
  update.setInt(4, reviewed.registered_hours());
  update.setString(5, reviewer);
  update.setString(6, reviewed.review_reason());
  update.setString(7, county_code);
  update.setString(8, school_id);
  update.setInt(9, reviewed.school_year());
  update.executeUpdate();
}

std::vector<v1::SchoolHoursReport> EnrollmentStore::ListSchoolHoursReports(
    db::Connection& c, const std::string& county_code, const std::string& school_id, int state,
    int school_year, const std::string& after_school, int after_year, int limit) {
  return ListBySchoolYear(c, kReportColumns, "school_hours_reports", &ReportFromRow, county_code,
                          school_id, state, school_year, after_school, after_year, limit);
}

std::map<std::string, std::pair<int64_t, int>> EnrollmentStore::RegisteredBySourceKey(
    db::Connection& c, domain::HourSource source, const std::vector<std::string>& keys) {
  std::map<std::string, std::pair<int64_t, int>> out;
  db::ForEachChunk(keys.size(), [&](size_t begin, size_t count) {
    auto& select = c.Prepare(absl::StrCat(
        "SELECT source_key, entry_id, hours FROM hour_entries WHERE source_kind = ? AND "
        "source_key IN ",
        db::RowPlaceholders(1, count)));
    select.setInt(1, static_cast<int>(source));
    for (size_t i = 0; i < count; ++i) select.setString(static_cast<int>(i) + 2, keys[begin + i]);
    ResultSet rows(select.executeQuery());
    while (rows->next()) out[rows->getString(1)] = {rows->getInt64(2), rows->getInt(3)};
  });
  return out;
}

std::map<std::pair<std::string, int>, int> EnrollmentStore::WorkshopHoursHeld(
    db::Connection& c, const std::vector<std::string>& teacher_ids) {
  std::map<std::pair<std::string, int>, int> out;
  db::ForEachChunk(teacher_ids.size(), [&](size_t begin, size_t count) {
    auto& select = c.Prepare(absl::StrCat(
        "SELECT teacher_id, year, SUM(hours) FROM hour_entries WHERE source_kind = ? AND "
        "teacher_id IN ",
        db::RowPlaceholders(1, count), " GROUP BY teacher_id, year"));
    select.setInt(1, static_cast<int>(domain::HourSource::kWorkshop));
    for (size_t i = 0; i < count; ++i)
      select.setString(static_cast<int>(i) + 2, teacher_ids[begin + i]);
    ResultSet rows(select.executeQuery());
    while (rows->next()) out[{rows->getString(1), rows->getInt(2)}] = rows->getInt(3);
  });
  return out;
}

void EnrollmentStore::RegisterHoursBatch(db::Connection& c,
                                         const std::vector<domain::HourEntry>& entries) {
  constexpr int kColumns = 10;
  db::ForEachChunk(entries.size(), [&](size_t begin, size_t count) {
    auto& insert = c.Prepare(
        "INSERT IGNORE INTO hour_entries (teacher_id, hours, off_site_days, level, source_kind, "
        "source_key, year, school_year, approved_by, description) VALUES " +
        db::RowPlaceholders(count, kColumns));
    for (size_t i = 0; i < count; ++i) {
      const domain::HourEntry& e = entries[begin + i];
      const int first = static_cast<int>(i) * kColumns + 1;
      insert.setString(first, e.teacher_id);
      insert.setInt(first + 1, e.hours);
      insert.setInt(first + 2, e.off_site_days);
      insert.setInt(first + 3, e.level);
      insert.setInt(first + 4, static_cast<int>(e.source));
      insert.setString(first + 5, e.source_key);
      insert.setInt(first + 6, e.year);
      insert.setInt(first + 7, e.school_year);
      insert.setString(first + 8, e.approved_by);
      insert.setString(first + 9, e.description);
    }
    insert.executeUpdate();
  });
}

// ---- Certificates (R-34) ----------------------------------------------------------------------

std::vector<domain::CertifiedEntry> EnrollmentStore::CertifiedEntries(db::Connection& c,
                                                                      const std::string& teacher_id,
                                                                      int from_year, int to_year,
                                                                      int limit) {
  auto& select = c.Prepare(
      "SELECT h.entry_id, h.school_year, h.year, h.level, h.source_kind, h.hours, "
      "h.off_site_days, CAST(UNIX_TIMESTAMP(h.approve_time) AS SIGNED), "
      "e.year, e.project_id, COALESCE(CONCAT(cl.title, '（', cl.provider, '）'), h.description) "
      "FROM hour_entries h "
      "LEFT JOIN enrollments e ON h.source_kind = 1 AND e.enrollment_id = h.source_key "
      "LEFT JOIN hour_claims cl ON h.source_kind = 2 AND cl.claim_id = h.source_key "
      "WHERE h.teacher_id = ? AND h.year BETWEEN ? AND ? ORDER BY h.entry_id LIMIT ?");
  select.setString(1, teacher_id);
  select.setInt(2, from_year);
  select.setInt(3, to_year);
  select.setInt(4, limit);
  ResultSet rows(select.executeQuery());
  std::vector<domain::CertifiedEntry> out;
  std::vector<std::pair<int, std::string>> projects;  // of completions, for their names
  while (rows->next()) {
    domain::CertifiedEntry& e = out.emplace_back();
    e.entry_id = rows->getInt64(1);
    e.school_year = rows->getInt(2);
    e.year = rows->getInt(3);
    e.level = static_cast<common::v1::PlanLevel>(rows->getInt(4));
    e.source = static_cast<domain::HourSource>(rows->getInt(5));
    e.hours = rows->getInt(6);
    e.off_site_days = rows->getInt(7);
    // The day in China the entry was approved on, whatever the session's time zone (a named
    // zone without the server's time-zone tables would make CONVERT_TZ NULL).
    e.registered = absl::ToCivilDay(absl::FromUnixSeconds(rows->getInt64(8)), ChinaTimeZone());
    projects.emplace_back(rows->isNull(9) ? 0 : rows->getInt(9),
                          rows->isNull(10) ? "" : std::string(rows->getString(10)));
    if (!rows->isNull(11)) e.description = rows->getString(11);
  }
  rows.reset();
  std::map<std::pair<int, std::string>, std::string> names;
  for (size_t i = 0; i < out.size(); ++i) {
    if (projects[i].second.empty()) continue;
    auto [it, added] = names.emplace(projects[i], "");
    if (added) {
      auto project = FindProject(c, projects[i].first, projects[i].second);
      it->second =
          project ? project->display_name()
                  : absl::StrCat("years/", projects[i].first, "/projects/", projects[i].second);
    }
    out[i].description = it->second;
  }
  return out;
}

namespace {

const char kCertificateColumns[] =
    "code, teacher_id, cycle_start_year, cycle_end_year, ledger_digest, holder, county_code, "
    "credit_hours, off_site_days, entry_count, "
    "CAST(UNIX_TIMESTAMP(issue_time) * 1000000 AS SIGNED)";

EnrollmentStore::CertificateRecord CertificateFromRow(const ResultSet& rows) {
  EnrollmentStore::CertificateRecord r;
  r.code = rows->getString(1);
  r.teacher_id = rows->getString(2);
  r.cycle_start_year = rows->getInt(3);
  r.cycle_end_year = rows->getInt(4);
  r.ledger_digest = rows->getString(5);
  r.holder = rows->getString(6);
  r.county_code = rows->getString(7);
  r.credit_hours = rows->getInt(8);
  r.off_site_days = rows->getInt(9);
  r.entry_count = rows->getInt(10);
  r.issue_us = rows->getInt64(11);
  return r;
}

}  // namespace

EnrollmentStore::CertificateRecord EnrollmentStore::RegisterCertificate(
    db::Connection& c, const CertificateRecord& record) {
  auto& insert = c.Prepare(
      "INSERT IGNORE INTO hours_certificates (code, teacher_id, cycle_start_year, cycle_end_year, "
      "ledger_digest, holder, county_code, credit_hours, off_site_days, entry_count) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.setString(1, record.code);
  insert.setString(2, record.teacher_id);
  insert.setInt(3, record.cycle_start_year);
  insert.setInt(4, record.cycle_end_year);
  insert.setString(5, record.ledger_digest);
  insert.setString(6, record.holder);
  insert.setString(7, record.county_code);
  insert.setInt(8, record.credit_hours);
  insert.setInt(9, record.off_site_days);
  insert.setInt(10, record.entry_count);
  insert.executeUpdate();
  auto& select = c.Prepare(
      absl::StrCat("SELECT ", kCertificateColumns,
                   " FROM hours_certificates WHERE teacher_id = ? AND cycle_start_year = ? AND "
                   "ledger_digest = ?"));
  select.setString(1, record.teacher_id);
  select.setInt(2, record.cycle_start_year);
  select.setString(3, record.ledger_digest);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return record;  // not reached: the row was there or was just inserted
  return CertificateFromRow(rows);
}

std::optional<EnrollmentStore::CertificateRecord> EnrollmentStore::FindCertificate(
    db::Connection& c, const std::string& code) {
  auto& select = c.Prepare(
      absl::StrCat("SELECT ", kCertificateColumns, " FROM hours_certificates WHERE code = ?"));
  select.setString(1, code);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return CertificateFromRow(rows);
}

// ---- Claims (R-33) ---------------------------------------------------------------------------

namespace {

const char kHourClaimColumns[] =
    "claim_id, teacher_id, county_code, title, provider, level, start_date, end_date, "
    "credit_hours, off_site_days, evidence, state, approved_credit_hours, approved_off_site_days, "
    "review_reason, reviewer, "
    "COALESCE(CAST(UNIX_TIMESTAMP(review_time) * 1000000 AS SIGNED), 0) AS review_us, "
    "COALESCE(hour_entry_id, 0) AS hour_entry_id, creator, "
    "CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS SIGNED) AS create_us, version";

v1::HourClaim HourClaimFromRow(const ResultSet& rows) {
  v1::HourClaim claim;
  const std::string teacher = "teachers/" + Str(rows, "teacher_id");
  claim.set_name(absl::StrCat(teacher, "/hourClaims/", Str(rows, "claim_id")));
  claim.set_county("regions/" + Str(rows, "county_code"));
  claim.set_title(Str(rows, "title"));
  claim.set_provider(Str(rows, "provider"));
  claim.set_plan_level(static_cast<common::v1::PlanLevel>(rows->getInt("level")));
  *claim.mutable_start_date() = db::DateFromText(Str(rows, "start_date"));
  *claim.mutable_end_date() = db::DateFromText(Str(rows, "end_date"));
  claim.set_credit_hours(rows->getInt("credit_hours"));
  claim.set_off_site_days(rows->getInt("off_site_days"));
  claim.set_evidence(Str(rows, "evidence"));
  claim.set_state(static_cast<v1::HourClaim::State>(rows->getInt("state")));
  claim.set_approved_credit_hours(rows->getInt("approved_credit_hours"));
  claim.set_approved_off_site_days(rows->getInt("approved_off_site_days"));
  claim.set_review_reason(Str(rows, "review_reason"));
  claim.set_reviewer(Str(rows, "reviewer"));
  if (const int64_t review_us = rows->getInt64("review_us"); review_us > 0)
    db::SetTimestampMicros(claim.mutable_review_time(), review_us);
  if (const int64_t entry = rows->getInt64("hour_entry_id"); entry > 0)
    claim.set_hour_entry(absl::StrCat(teacher, "/hourEntries/", entry));
  claim.set_creator(Str(rows, "creator"));
  db::SetTimestampMicros(claim.mutable_create_time(), rows->getInt64("create_us"));
  claim.set_etag(std::to_string(rows->getInt("version")));
  return claim;
}

}  // namespace

void EnrollmentStore::InsertHourClaim(db::Connection& c, const std::string& claim_id,
                                      const std::string& teacher_id, const std::string& county_code,
                                      const v1::HourClaim& claim, const std::string& creator) {
  auto& insert = c.Prepare(
      "INSERT INTO hour_claims (claim_id, teacher_id, county_code, title, provider, level, "
      "start_date, end_date, credit_hours, off_site_days, evidence, state, creator) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.setString(1, claim_id);
  insert.setString(2, teacher_id);
  insert.setString(3, county_code);
  insert.setString(4, claim.title());
  insert.setString(5, claim.provider());
  insert.setInt(6, claim.plan_level());
  insert.setString(7, db::DateText(claim.start_date()));
  insert.setString(8, db::DateText(claim.end_date()));
  insert.setInt(9, claim.credit_hours());
  insert.setInt(10, claim.off_site_days());
  insert.setString(11, claim.evidence());
  insert.setInt(12, v1::HourClaim::PENDING);
  insert.setString(13, creator);
  insert.executeUpdate();
}

std::optional<v1::HourClaim> EnrollmentStore::FindHourClaim(db::Connection& c,
                                                            const std::string& teacher_id,
                                                            const std::string& claim_id,
                                                            bool for_update) {
  auto& select = c.Prepare(absl::StrCat("SELECT ", kHourClaimColumns,
                                        " FROM hour_claims WHERE claim_id = ? AND teacher_id = ?",
                                        for_update ? " FOR UPDATE" : ""));
  select.setString(1, claim_id);
  select.setString(2, teacher_id);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return HourClaimFromRow(rows);
}

int EnrollmentStore::CountPendingHourClaims(db::Connection& c, const std::string& teacher_id) {
  auto& select = c.Prepare("SELECT COUNT(*) FROM hour_claims WHERE teacher_id = ? AND state = ?");
  select.setString(1, teacher_id);
  select.setInt(2, v1::HourClaim::PENDING);
  ResultSet rows(select.executeQuery());
  return rows->next() ? rows->getInt(1) : 0;
}

std::optional<std::string> EnrollmentStore::FindSameHourClaim(db::Connection& c,
                                                              const std::string& teacher_id,
                                                              const v1::HourClaim& claim) {
  auto& select = c.Prepare(
      "SELECT claim_id FROM hour_claims WHERE teacher_id = ? AND state IN (?, ?) AND title = ? "
      "AND provider = ? AND start_date = ? AND end_date = ? LIMIT 1");
  select.setString(1, teacher_id);
  select.setInt(2, v1::HourClaim::PENDING);
  select.setInt(3, v1::HourClaim::APPROVED);
  select.setString(4, claim.title());
  select.setString(5, claim.provider());
  select.setString(6, db::DateText(claim.start_date()));
  select.setString(7, db::DateText(claim.end_date()));
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return absl::StrCat("teachers/", teacher_id, "/hourClaims/", std::string(rows->getString(1)));
}

std::vector<v1::HourClaim> EnrollmentStore::ListHourClaims(db::Connection& c,
                                                           const HourClaimFilter& filter,
                                                           const std::string& after_id, int limit) {
  db::Conditions where;
  where.EqualUnlessEmpty("teacher_id", filter.teacher_id)
      .EqualUnlessEmpty("county_code", filter.county_code)
      .EqualUnlessZero("state", filter.state);
  NarrowToCity(where, filter.city_code);
  auto& select =
      c.Prepare(absl::StrCat("SELECT ", kHourClaimColumns, " FROM hour_claims WHERE claim_id > ?",
                             where.Sql(), " ORDER BY claim_id LIMIT ?"));
  unsigned int next = 1;
  select.setString(next++, after_id);
  where.Bind(select, &next);
  select.setInt(next, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::HourClaim> out;
  while (rows->next()) out.push_back(HourClaimFromRow(rows));
  return out;
}

void EnrollmentStore::ReviewHourClaim(db::Connection& c, const std::string& claim_id,
                                      v1::HourClaim::State state, int credit_hours,
                                      int off_site_days, const std::string& reason,
                                      const std::string& reviewer, int64_t hour_entry_id) {
  auto& update = c.Prepare(
      "UPDATE hour_claims SET state = ?, approved_credit_hours = ?, approved_off_site_days = ?, "
      "review_reason = ?, reviewer = ?, review_time = CURRENT_TIMESTAMP(6), "
      "hour_entry_id = NULLIF(?, 0), version = version + 1 WHERE claim_id = ?");
  update.setInt(1, state);
  update.setInt(2, credit_hours);
  update.setInt(3, off_site_days);
  update.setString(4, reason);
  update.setString(5, reviewer);
  update.setInt64(6, hour_entry_id);
  update.setString(7, claim_id);
  update.executeUpdate();
}

std::vector<std::pair<std::string, std::vector<domain::CompletedTraining>>>
EnrollmentStore::CountyHours(db::Connection& c, const std::string& county_code, int from_year,
                             int to_year, const std::string& after_teacher_id, int limit) {
  // The county's next `limit` teachers by the county index, then the sums of their entries in
  // the cycle, one row a teacher (the covering index hour_entries_by_teacher answers them).
  auto& select = c.Prepare(
      "SELECT t.teacher_id, SUM(h.hours), SUM(h.off_site_days) FROM (SELECT teacher_id FROM "
      "teachers WHERE county_code = ? AND teacher_id > ? ORDER BY teacher_id LIMIT ?) t "
      "LEFT JOIN hour_entries h ON h.teacher_id = t.teacher_id AND h.year BETWEEN ? AND ? "
      "GROUP BY t.teacher_id ORDER BY t.teacher_id");
  select.setString(1, county_code);
  select.setString(2, after_teacher_id);
  select.setInt(3, limit);
  select.setInt(4, from_year);
  select.setInt(5, to_year);
  ResultSet rows(select.executeQuery());
  std::vector<std::pair<std::string, std::vector<domain::CompletedTraining>>> out;
  out.reserve(limit);
  while (rows->next()) {
    auto& cycle =
        out.emplace_back(std::string(rows->getString(1)), std::vector<domain::CompletedTraining>{})
            .second;
    if (rows->isNull(2)) continue;  // nothing earned in the cycle
    cycle.push_back({from_year, rows->getInt(2), rows->getInt(3)});
  }
  return out;
}

std::vector<domain::HourEntry> EnrollmentStore::UnregisteredCompletions(db::Connection& c,
                                                                        const std::string& after_id,
                                                                        int limit,
                                                                        std::string* last_id) {
  // The completing step's actor approved the hours.
  auto& select = c.Prepare(
      "SELECT e.enrollment_id, e.teacher_id, e.year, e.credit_hours, p.project, "
      "(SELECT s.actor FROM enrollment_history s WHERE s.enrollment_id = e.enrollment_id "
      "AND s.to_state = ? ORDER BY s.step DESC LIMIT 1), h.entry_id "
      "FROM enrollments e JOIN catalog_projects p ON p.year = e.year AND p.project_id = "
      "e.project_id LEFT JOIN hour_entries h ON h.source_kind = ? AND h.source_key = "
      "e.enrollment_id WHERE e.state = ? AND e.enrollment_id > ? ORDER BY e.enrollment_id LIMIT ?");
  select.setInt(1, v1::COMPLETED);
  select.setInt(2, static_cast<int>(domain::HourSource::kCompletion));
  select.setInt(3, v1::COMPLETED);
  select.setString(4, after_id);
  select.setInt(5, limit);
  ResultSet rows(select.executeQuery());
  std::vector<domain::HourEntry> out;
  last_id->clear();
  while (rows->next()) {
    *last_id = rows->getString(1);
    if (!rows->isNull(7)) continue;  // registered already
    catalog_v1::Project project;
    project.ParseFromString(db::ReadBlob(*rows, 5));
    out.push_back(domain::CompletionEntry(*last_id, rows->getString(2), rows->getInt(3),
                                          rows->getInt(4), project,
                                          rows->isNull(6) ? "" : rows->getString(6)));
  }
  return out;
}

bool EnrollmentStore::LedgerFilled(db::Connection& c, const std::string& name) {
  auto& select = c.Prepare("SELECT 1 FROM ledger_fills WHERE name = ?");
  select.setString(1, name);
  ResultSet rows(select.executeQuery());
  return rows->next();
}

void EnrollmentStore::MarkLedgerFilled(db::Connection& c, const std::string& name) {
  auto& insert =
      c.Prepare("INSERT INTO ledger_fills (name) VALUES (?) ON DUPLICATE KEY UPDATE name = name");
  insert.setString(1, name);
  insert.executeUpdate();
}

std::vector<EnrollmentStore::OutcomeCount> EnrollmentStore::CountOutcomes(
    db::Connection& c, int year, const std::string& project_id) {
  db::Conditions where;
  where.EqualUnlessEmpty("project_id", project_id);
  auto& select = c.Prepare(
      absl::StrCat("SELECT project_id, county_code, state, rural, total FROM enrollment_outcomes "
                   "WHERE year = ? AND total <> 0",
                   where.Sql()));
  unsigned int next = 1;
  select.setInt(next++, year);
  where.Bind(select, &next);
  ResultSet rows(select.executeQuery());
  std::vector<OutcomeCount> out;
  while (rows->next()) {
    out.push_back({rows->getString(1), rows->getString(2),
                   static_cast<v1::EnrollmentState>(rows->getInt(3)), rows->getBoolean(4),
                   rows->getInt64(5)});
  }
  return out;
}

namespace {

// `select_from` (three columns: project, county, a count) of the year, of one project unless
// `project_id` is empty, then `group_by`.
std::vector<EnrollmentStore::SeatRow> SeatRows(db::Connection& c, absl::string_view select_from,
                                               absl::string_view group_by, int year,
                                               const std::string& project_id) {
  db::Conditions where;
  where.EqualUnlessEmpty("project_id", project_id);
  auto& select = c.Prepare(absl::StrCat(select_from, " WHERE year = ?", where.Sql(), group_by));
  unsigned int next = 1;
  select.setInt(next++, year);
  where.Bind(select, &next);
  ResultSet rows(select.executeQuery());
  std::vector<EnrollmentStore::SeatRow> out;
  while (rows->next()) out.push_back({rows->getString(1), rows->getString(2), rows->getInt64(3)});
  return out;
}

}  // namespace

std::vector<EnrollmentStore::SeatRow> EnrollmentStore::QuotaSeats(db::Connection& c, int year,
                                                                  const std::string& project_id) {
  return SeatRows(c, "SELECT project_id, county_code, seats FROM catalog_quotas", "", year,
                  project_id);
}

std::vector<EnrollmentStore::SeatRow> EnrollmentStore::CountIneligible(
    db::Connection& c, int year, const std::string& project_id) {
  return SeatRows(c, "SELECT project_id, county_code, COUNT(*) FROM ineligible_nominations",
                  " GROUP BY project_id, county_code", year, project_id);
}

std::vector<EnrollmentStore::SeatRow> EnrollmentStore::CountFoundIneligible(
    db::Connection& c, int year, const std::string& project_id) {
  return SeatRows(c, "SELECT project_id, county_code, COUNT(*) FROM trainees_found_ineligible",
                  " GROUP BY project_id, county_code", year, project_id);
}

void EnrollmentStore::RecordFoundIneligible(db::Connection& c, const v1::Enrollment& enrollment,
                                            int year, const std::string& project_id,
                                            const std::string& condition,
                                            const std::string& reported_by) {
  auto& insert = c.Prepare(
      "INSERT INTO trainees_found_ineligible (enrollment_id, year, project_id, county_code, "
      "broken_condition, reported_by) VALUES (?, ?, ?, ?, ?, ?)");
  insert.setString(1, LastSegment(enrollment.name()));
  insert.setInt(2, year);
  insert.setString(3, project_id);
  insert.setString(4, LastSegment(enrollment.county()));
  insert.setString(5, condition);
  insert.setString(6, Utf8Prefix(reported_by, 255));
  insert.executeUpdate();
}

void EnrollmentStore::RecordIneligible(db::Connection& c, int year, const std::string& project_id,
                                       const std::string& county_code,
                                       const std::string& teacher_id, const std::string& reason) {
  auto& insert = c.Prepare(
      "INSERT IGNORE INTO ineligible_nominations (year, project_id, county_code, teacher_id, "
      "reason) "
      "VALUES (?, ?, ?, ?, ?)");
  insert.setInt(1, year);
  insert.setString(2, project_id);
  insert.setString(3, county_code);
  insert.setString(4, teacher_id);
  insert.setString(5, Utf8Prefix(reason, 255));
  insert.executeUpdate();
}

std::vector<catalog_v1::Project> EnrollmentStore::ProjectsOfYear(db::Connection& c, int year) {
  auto& select = c.Prepare("SELECT project FROM catalog_projects WHERE year = ?");
  select.setInt(1, year);
  ResultSet rows(select.executeQuery());
  std::vector<catalog_v1::Project> out;
  while (rows->next()) {
    out.emplace_back().ParseFromString(db::ReadBlob(*rows, 1));
  }
  return out;
}

bool EnrollmentStore::HostHasProjects(db::Connection& c, const std::string& host) {
  auto& select = c.Prepare("SELECT project FROM catalog_projects");
  ResultSet rows(select.executeQuery());
  bool found = false;
  while (rows->next()) {  // every row is read, so the statement is done with
    catalog_v1::Project project;
    if (!found && project.ParseFromString(db::ReadBlob(*rows, 1)) && project.host() == host)
      found = true;
  }
  return found;
}

std::vector<catalog_v1::Region> EnrollmentStore::Regions(db::Connection& c) {
  ResultSet rows(
      c.Prepare(absl::StrCat("SELECT ", kRegionColumns, " FROM catalog_regions")).executeQuery());
  std::vector<catalog_v1::Region> out;
  while (rows->next()) out.push_back(RegionFromRow(*rows));
  return out;
}

void EnrollmentStore::SetNoShowReview(db::Connection& c, const std::string& enrollment_id,
                                      const std::string& reason,
                                      v1::Enrollment::ReasonReview review) {
  auto& update = c.Prepare(
      "UPDATE enrollments SET no_show_reason = ?, no_show_review = ?, version = version + 1, "
      "update_time = CURRENT_TIMESTAMP(6) WHERE enrollment_id = ?");
  update.setString(1, reason);
  update.setInt(2, review);
  update.setString(3, enrollment_id);
  update.executeUpdate();
}

void EnrollmentStore::BumpVersion(db::Connection& c, const std::string& enrollment_id) {
  auto& update = c.Prepare(
      "UPDATE enrollments SET version = version + 1, update_time = CURRENT_TIMESTAMP(6) "
      "WHERE enrollment_id = ?");
  update.setString(1, enrollment_id);
  update.executeUpdate();
}

namespace {

const char kBlacklistColumns[] =
    "entry_id, teacher_id, enrollment_id, cause, start_date, end_date, lifted, lifted_by, "
    "lift_reason, CAST(UNIX_TIMESTAMP(lift_time) * 1000000 AS SIGNED) AS lift_us";

v1::BlacklistEntry BlacklistFromRow(const ResultSet& rows) {
  v1::BlacklistEntry entry;
  const std::string teacher = "teachers/" + Str(rows, "teacher_id");
  entry.set_name(absl::StrCat(teacher, "/blacklistEntries/", Str(rows, "entry_id")));
  entry.set_teacher(teacher);
  entry.set_enrollment("enrollments/" + Str(rows, "enrollment_id"));
  entry.set_cause(static_cast<v1::EnrollmentState>(rows->getInt("cause")));
  *entry.mutable_start_date() = db::DateFromText(Str(rows, "start_date"));
  *entry.mutable_end_date() = db::DateFromText(Str(rows, "end_date"));
  entry.set_lifted(rows->getBoolean("lifted"));
  entry.set_lifted_by(Str(rows, "lifted_by"));
  entry.set_lift_reason(Str(rows, "lift_reason"));
  if (!rows->isNull("lift_us"))
    db::SetTimestampMicros(entry.mutable_lift_time(), rows->getInt64("lift_us"));
  return entry;
}

}  // namespace

void EnrollmentStore::InsertBlacklistEntry(db::Connection& c, const std::string& entry_id,
                                           const v1::BlacklistEntry& entry,
                                           const std::string& teacher_id,
                                           const std::string& county_code,
                                           const std::string& enrollment_id) {
  auto& insert = c.Prepare(
      "INSERT INTO blacklist_entries (entry_id, teacher_id, county_code, enrollment_id, cause, "
      "start_date, end_date) VALUES (?, ?, ?, ?, ?, ?, ?)");
  insert.setString(1, entry_id);
  insert.setString(2, teacher_id);
  insert.setString(3, county_code);
  insert.setString(4, enrollment_id);
  insert.setInt(5, entry.cause());
  insert.setString(6, db::DateText(entry.start_date()));
  insert.setString(7, db::DateText(entry.end_date()));
  insert.executeUpdate();
}

std::optional<v1::BlacklistEntry> EnrollmentStore::FindBlacklistEntry(db::Connection& c,
                                                                      const std::string& entry_id,
                                                                      bool for_update) {
  auto& select = c.Prepare(absl::StrCat("SELECT ", kBlacklistColumns,
                                        " FROM blacklist_entries WHERE entry_id = ?",
                                        for_update ? " FOR UPDATE" : ""));
  select.setString(1, entry_id);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return BlacklistFromRow(rows);
}

std::vector<v1::BlacklistEntry> EnrollmentStore::ListBlacklist(
    db::Connection& c, const std::string& teacher_id, const std::string& county_code,
    const std::string& city_code, int active, absl::CivilDay today, const std::string& after_id,
    int limit) {
  db::Conditions where;
  where.EqualUnlessEmpty("teacher_id", teacher_id).EqualUnlessEmpty("county_code", county_code);
  NarrowToCity(where, city_code);
  if (active >= 0) {  // 1: in force today; 0: lifted or ended
    where.Term("(lifted = FALSE AND end_date >= ?) = ?",
               {absl::FormatCivilTime(today), int64_t{active == 1 ? 1 : 0}});
  }
  auto& select = c.Prepare(absl::StrCat("SELECT ", kBlacklistColumns,
                                        " FROM blacklist_entries WHERE entry_id > ?", where.Sql(),
                                        " ORDER BY entry_id LIMIT ?"));
  unsigned int next = 1;
  select.setString(next++, after_id);
  where.Bind(select, &next);
  select.setInt(next, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::BlacklistEntry> out;
  while (rows->next()) out.push_back(BlacklistFromRow(rows));
  return out;
}

void EnrollmentStore::LiftBlacklistEntry(db::Connection& c, const std::string& entry_id,
                                         const std::string& actor, const std::string& reason) {
  auto& update = c.Prepare(
      "UPDATE blacklist_entries SET lifted = TRUE, lifted_by = ?, lift_reason = ?, "
      "lift_time = CURRENT_TIMESTAMP(6) WHERE entry_id = ?");
  update.setString(1, actor);
  update.setString(2, reason);
  update.setString(3, entry_id);
  update.executeUpdate();
}

}  // namespace peixun::enrollment

// ---- Policy versions -------------------------------------------------------------------------

namespace peixun::enrollment {
namespace {

const char kPolicyColumns[] =
    "year, version, blacklist_years, cycle_anchor_year, cycle_years, required_credit_hours, "
    "required_off_site_days, reason, creator, CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS "
    "SIGNED), research_hours_per_school_year, workshop_hours_per_day, workshop_hours_per_year, "
    "mentoring_hours, plan_submission_days";

v1::EnrollmentPolicy PolicyFromRow(sql::ResultSet& rows) {
  v1::EnrollmentPolicy p;
  p.set_name(absl::StrCat("years/", rows.getInt(1), "/enrollmentPolicies/", rows.getInt(2)));
  p.set_version(rows.getInt(2));
  p.set_blacklist_years(rows.getInt(3));
  p.set_cycle_anchor_year(rows.getInt(4));
  p.set_cycle_years(rows.getInt(5));
  p.set_required_credit_hours(rows.getInt(6));
  p.set_required_off_site_days(rows.getInt(7));
  p.set_reason(rows.getString(8));
  p.set_creator(rows.getString(9));
  db::SetTimestampMicros(p.mutable_create_time(), rows.getInt64(10));
  p.set_research_hours_per_school_year(rows.getInt(11));
  p.set_workshop_hours_per_day(rows.getInt(12));
  p.set_workshop_hours_per_year(rows.getInt(13));
  p.set_mentoring_hours(rows.getInt(14));
  p.set_plan_submission_days(rows.getInt(15));
  return p;
}

}  // namespace

absl::StatusOr<v1::EnrollmentPolicy> EnrollmentStore::InsertPolicy(
    db::Connection& c, int year, const v1::EnrollmentPolicy& policy, const std::string& creator) {
  auto& next =
      c.Prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM enrollment_policies WHERE year = ?");
  next.setInt(1, year);
  ResultSet rows(next.executeQuery());
  rows->next();
  const int version = rows->getInt(1);
  auto& insert = c.Prepare(
      "INSERT INTO enrollment_policies (year, version, blacklist_years, cycle_anchor_year, "
      "cycle_years, required_credit_hours, required_off_site_days, reason, creator, "
      "research_hours_per_school_year, workshop_hours_per_day, workshop_hours_per_year, "
      "mentoring_hours, plan_submission_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.setInt(1, year);
  insert.setInt(2, version);
  insert.setInt(3, policy.blacklist_years());
  insert.setInt(4, policy.cycle_anchor_year());
  insert.setInt(5, policy.cycle_years());
  insert.setInt(6, policy.required_credit_hours());
  insert.setInt(7, policy.required_off_site_days());
  insert.setString(8, policy.reason());
  insert.setString(9, creator);
  insert.setInt(10, policy.research_hours_per_school_year());
  insert.setInt(11, policy.workshop_hours_per_day());
  insert.setInt(12, policy.workshop_hours_per_year());
  insert.setInt(13, policy.mentoring_hours());
  insert.setInt(14, policy.plan_submission_days());
  try {
    insert.executeUpdate();
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != db::kErrDuplicateKey) throw;
    return absl::AbortedError(
        absl::StrCat("years/", year, " got a new policy version concurrently; retry"));
  }
  return GetPolicy(c, year, version);
}

absl::StatusOr<v1::EnrollmentPolicy> EnrollmentStore::GetPolicy(db::Connection& c, int year,
                                                                int version) {
  auto& select = c.Prepare(
      absl::StrCat("SELECT ", kPolicyColumns, " FROM enrollment_policies WHERE ",
                   version > 0 ? "year = ? AND version = ?"
                               : "year <= ? AND ? = 0 ORDER BY year DESC, version DESC LIMIT 1"));
  select.setInt(1, year);
  select.setInt(2, version);
  ResultSet rows(select.executeQuery());
  if (rows->next()) return PolicyFromRow(*rows);
  if (version > 0) {
    return absl::NotFoundError(
        absl::StrCat("years/", year, "/enrollmentPolicies/", version, " does not exist"));
  }
  return domain::DefaultEnrollmentPolicy();
}

}  // namespace peixun::enrollment

// ---- Batched nominations ---------------------------------------------------------------------

namespace peixun::enrollment {
namespace {

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S", t, absl::UTCTimeZone());  // sessions run in UTC
}

}  // namespace

void EnrollmentStore::AddNominationReads(db::Script& script, const NominationKeys& keys,
                                         NominationFacts* facts) {
  if (!keys.teacher_ids.empty()) {
    script.Add(absl::StrCat("SELECT ", kTeacherColumns, " FROM teachers WHERE teacher_id IN ",
                            script.QuotedList(keys.teacher_ids), " FOR UPDATE"),
               [facts](sql::ResultSet& rows) {
                 while (rows.next()) {
                   TeacherRow teacher = TeacherFromRow(rows);
                   facts->teachers.emplace(std::move(teacher.teacher_id),
                                           std::move(teacher.teacher));
                 }
               });
  }
  if (!keys.projects.empty()) {
    std::string which;
    for (const auto& [year, project_id] : keys.projects) {
      absl::StrAppend(&which, which.empty() ? "" : " OR ", "(p.year = ", year,
                      " AND p.project_id = ", script.Quote(project_id), ")");
    }
    script.Add(
        absl::StrCat(
            "SELECT p.year, p.project_id, p.project, y.nomination_deadline FROM catalog_projects p "
            "LEFT JOIN catalog_years y ON y.year = p.year WHERE ",
            which),
        [facts](sql::ResultSet& rows) {
          while (rows.next()) {
            domain::ProjectFacts& f = facts->projects[{rows.getInt(1), rows.getString(2)}];
            f.project.ParseFromString(db::ReadBlob(rows, 3));
            if (!rows.isNull(4)) f.deadline = db::CivilDayOf(db::DateFromText(rows.getString(4)));
          }
        });
  }
  if (!keys.counties.empty()) {
    script.Add(absl::StrCat("SELECT ", kRegionColumns, " FROM catalog_regions WHERE code IN ",
                            script.QuotedList(keys.counties)),
               [facts](sql::ResultSet& rows) {
                 while (rows.next()) {
                   catalog_v1::Region region = RegionFromRow(rows);
                   facts->regions.emplace(region.code(), std::move(region));
                 }
               });
  }
  if (!keys.teacher_ids.empty()) {
    const std::string teachers = script.QuotedList(keys.teacher_ids);
    script.Add(
        absl::StrCat("SELECT teacher_id, MAX(end_date) FROM blacklist_entries WHERE teacher_id IN ",
                     teachers, " AND lifted = FALSE AND end_date >= ",
                     script.Quote(absl::FormatCivilTime(keys.today)), " GROUP BY teacher_id"),
        [facts](sql::ResultSet& rows) {
          while (rows.next()) {
            facts->barred_until[rows.getString(1)] =
                db::CivilDayOf(db::DateFromText(rows.getString(2)));
          }
        });
    script.Add(
        absl::StrCat("SELECT e.teacher_id, e.enrollment_id, e.year, p.project FROM enrollments e "
                     "JOIN catalog_projects p ON p.year = e.year AND p.project_id = e.project_id "
                     "WHERE e.teacher_id IN ",
                     teachers, " AND e.state <> ", static_cast<int>(v1::WITHDRAWN)),
        [facts](sql::ResultSet& rows) {
          while (rows.next()) {
            catalog_v1::Project project;
            project.ParseFromString(db::ReadBlob(rows, 4));
            facts->live_spans[rows.getString(1)].push_back(
                {"enrollments/" + std::string(rows.getString(2)), project.name(),
                 project.display_name(), project.category(), rows.getInt(3),
                 db::CivilDayOf(project.start_date()), db::CivilDayOf(project.end_date())});
          }
        });
  }
  if (!keys.quotas.empty()) {
    // The quotas of every project of the batch, locked by one statement (its ranges in key
    // order, the order every batch and process locks them in). The seats they hold are read by
    // the next statement: a statement reads what was committed when its first read began, so a
    // count read by the locking statement itself could miss what a batch holding one of its
    // later rows committed while it waited for that row.
    std::string quotas;
    for (const auto& [project, counties] : keys.quotas) {
      absl::StrAppend(&quotas, quotas.empty() ? "" : " OR ", "(year = ", project.first,
                      " AND project_id = ", script.Quote(project.second), " AND county_code IN ",
                      script.QuotedList(counties), ")");
    }
    script.Add(
        absl::StrCat("SELECT year, project_id, county_code, seats FROM catalog_quotas WHERE ",
                     quotas, " FOR UPDATE"),
        [facts](sql::ResultSet& rows) {
          while (rows.next()) {
            facts->quotas[{rows.getInt(1), rows.getString(2)}][rows.getString(3)] =
                QuotaUse{rows.getInt(4), 0};
          }
        });
    script.Add(absl::StrCat("SELECT year, project_id, county_code, SUM(total) FROM "
                            "enrollment_outcomes WHERE (",
                            quotas, ") AND state <> ", static_cast<int>(v1::WITHDRAWN),
                            " GROUP BY year, project_id, county_code"),
               [facts](sql::ResultSet& rows) {
                 while (rows.next()) {
                   auto project = facts->quotas.find({rows.getInt(1), rows.getString(2)});
                   if (project == facts->quotas.end()) continue;
                   auto county = project->second.find(rows.getString(3));
                   if (county != project->second.end()) county->second.held = rows.getInt(4);
                 }
               });
  }
}

void EnrollmentStore::AddNominationWrites(db::Script& script,
                                          const std::vector<Nomination>& nominations,
                                          absl::Time now) {
  if (nominations.empty()) return;
  const std::string stamp = script.Quote(TimeText(now));
  std::string enrollments =
      "INSERT INTO enrollments (enrollment_id, teacher_id, year, project_id, county_code, state, "
      "rural, "
      "create_time, update_time) VALUES ";
  std::string history =
      "INSERT INTO enrollment_history (enrollment_id, step, from_state, to_state, actor, reason, "
      "time) VALUES ";
  // The counters, summed per key and written in key order (concurrent batches lock alike).
  std::map<std::tuple<int, std::string, std::string, bool>, int> counts;
  for (size_t i = 0; i < nominations.size(); ++i) {
    const Nomination& e = nominations[i];
    const char* comma = i == 0 ? "" : ", ";
    absl::StrAppend(&enrollments, comma, "(", script.Quote(e.enrollment_id), ", ",
                    script.Quote(e.teacher_id), ", ", e.year, ", ", script.Quote(e.project_id),
                    ", ", script.Quote(e.county_code), ", ", static_cast<int>(v1::NOMINATED), ", ",
                    e.rural ? 1 : 0, ", ", stamp, ", ", stamp, ")");
    absl::StrAppend(&history, comma, "(", script.Quote(e.enrollment_id), ", 1, ",
                    static_cast<int>(v1::ENROLLMENT_STATE_UNSPECIFIED), ", ",
                    static_cast<int>(v1::NOMINATED), ", ", script.Quote(e.actor), ", '', ", stamp,
                    ")");
    ++counts[{e.year, e.project_id, e.county_code, e.rural}];
  }
  std::string outcomes =
      "INSERT INTO enrollment_outcomes (year, project_id, county_code, state, rural, total) "
      "VALUES ";
  bool first = true;
  for (const auto& [key, total] : counts) {
    absl::StrAppend(&outcomes, first ? "" : ", ", "(", std::get<0>(key), ", ",
                    script.Quote(std::get<1>(key)), ", ", script.Quote(std::get<2>(key)), ", ",
                    static_cast<int>(v1::NOMINATED), ", ", std::get<3>(key) ? 1 : 0, ", ", total,
                    ")");
    first = false;
  }
  absl::StrAppend(&outcomes, " ON DUPLICATE KEY UPDATE total = total + VALUES(total)");
  script.Add(std::move(enrollments));
  script.Add(std::move(history));
  script.Add(std::move(outcomes));
}

v1::Enrollment EnrollmentStore::NominatedEnrollment(const Nomination& nomination, absl::Time now) {
  const int64_t micros = absl::ToUnixMicros(now);
  v1::Enrollment e;
  e.set_name("enrollments/" + nomination.enrollment_id);
  e.set_teacher("teachers/" + nomination.teacher_id);
  e.set_project(absl::StrCat("years/", nomination.year, "/projects/", nomination.project_id));
  e.set_county("regions/" + nomination.county_code);
  e.set_state(v1::NOMINATED);
  e.set_etag("1");
  db::SetTimestampMicros(e.mutable_create_time(), micros);
  db::SetTimestampMicros(e.mutable_update_time(), micros);
  auto* step = e.add_history();
  step->set_from_state(v1::ENROLLMENT_STATE_UNSPECIFIED);
  step->set_to_state(v1::NOMINATED);
  step->set_actor(nomination.actor);
  db::SetTimestampMicros(step->mutable_time(), micros);
  return e;
}

void EnrollmentStore::AddIneligible(db::Script& script, int year, const std::string& project_id,
                                    const std::string& county_code, const std::string& teacher_id,
                                    const std::string& reason) {
  script.Add(absl::StrCat(
      "INSERT IGNORE INTO ineligible_nominations (year, project_id, county_code, teacher_id, "
      "reason) VALUES (",
      year, ", ", script.Quote(project_id), ", ", script.Quote(county_code), ", ",
      script.Quote(teacher_id), ", ", script.Quote(Utf8Prefix(reason, 255)), ")"));
}

}  // namespace peixun::enrollment
