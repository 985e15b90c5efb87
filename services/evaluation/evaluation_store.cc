#include "services/evaluation/evaluation_store.h"

#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/db/rows.h"
#include "services/evaluation/domain/evaluation_rules.h"

namespace peixun::evaluation {
namespace {

using ResultSet = std::unique_ptr<sql::ResultSet>;

const char kRubricColumns[] =
    "rubric_id, version, tree, in_use, CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS SIGNED)";

v1::RubricVersion RubricFromRow(sql::ResultSet& rows) {
  v1::RubricVersion rubric;
  rubric.ParseFromString(db::ReadBlob(rows, 3));
  rubric.set_name(absl::StrCat("rubrics/", std::string(rows.getString(1)), "/versions/", rows.getInt(2)));
  rubric.set_version(rows.getInt(2));
  rubric.set_in_use(rows.getBoolean(4));
  db::SetTimestampMicros(rubric.mutable_create_time(), rows.getInt64(5));
  return rubric;
}

const char kPolicyColumns[] =
    "version, excellent_from_tenths, qualified_from_tenths, reason, "
    "CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS SIGNED)";

v1::GradePolicy PolicyFromRow(sql::ResultSet& rows) {
  v1::GradePolicy policy;
  policy.set_name(absl::StrCat("gradePolicies/", rows.getInt(1)));
  policy.set_version(rows.getInt(1));
  policy.set_excellent_from_tenths(rows.getInt(2));
  policy.set_qualified_from_tenths(rows.getInt(3));
  policy.set_reason(rows.getString(4));
  db::SetTimestampMicros(policy.mutable_create_time(), rows.getInt64(5));
  return policy;
}

}  // namespace

v1::RubricVersion EvaluationStore::InsertRubricVersion(db::Connection& c, const std::string& rubric_id,
                                                       const v1::RubricVersion& rubric) {
  auto& next = c.Prepare(
      "INSERT INTO rubrics (rubric_id, last_version) VALUES (?, 1) "
      "ON DUPLICATE KEY UPDATE last_version = last_version + 1");
  next.setString(1, rubric_id);
  next.executeUpdate();
  auto& read = c.Prepare("SELECT last_version FROM rubrics WHERE rubric_id = ?");
  read.setString(1, rubric_id);
  ResultSet rows(read.executeQuery());
  rows->next();
  const int version = rows->getInt(1);
  // The tree is stored as given (without the fields the store sets).
  v1::RubricVersion tree = rubric;
  tree.clear_name();
  tree.clear_version();
  tree.clear_in_use();
  tree.clear_create_time();
  int total = 0;
  for (const auto& node : tree.indicators()) total += node.max_score_tenths();
  tree.set_total_score_tenths(total);
  std::istringstream blob(tree.SerializeAsString());
  auto& insert = c.Prepare(
      "INSERT INTO rubric_versions (rubric_id, version, display_name, tree, total_score_tenths, change_note) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  insert.setString(1, rubric_id);
  insert.setInt(2, version);
  insert.setString(3, tree.display_name());
  insert.setBlob(4, &blob);
  insert.setInt(5, total);
  insert.setString(6, tree.change_note());
  insert.executeUpdate();
  return *GetRubricVersion(c, rubric_id, version);
}

absl::StatusOr<v1::RubricVersion> EvaluationStore::GetRubricVersion(db::Connection& c, const std::string& rubric_id,
                                                                    int version) {
  auto& select = c.Prepare(absl::StrCat(
      "SELECT ", kRubricColumns, " FROM rubric_versions WHERE rubric_id = ? AND ",
      version > 0 ? "version = ?" : "? = 0 ORDER BY version DESC LIMIT 1"));
  select.setString(1, rubric_id);
  select.setInt(2, version);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) {
    return absl::NotFoundError(version > 0 ? absl::StrCat("rubrics/", rubric_id, "/versions/", version, " does not exist")
                                           : absl::StrCat("rubrics/", rubric_id, " has no version"));
  }
  return RubricFromRow(*rows);
}

std::vector<v1::RubricVersion> EvaluationStore::ListRubricVersions(db::Connection& c, const std::string& rubric_id,
                                                                   int after_version, int limit) {
  auto& select = c.Prepare(absl::StrCat("SELECT ", kRubricColumns,
                                        " FROM rubric_versions WHERE rubric_id = ? AND version > ? "
                                        "ORDER BY version LIMIT ?"));
  select.setString(1, rubric_id);
  select.setInt(2, after_version);
  select.setInt(3, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::RubricVersion> out;
  while (rows->next()) out.push_back(RubricFromRow(*rows));
  return out;
}

void EvaluationStore::MarkRubricInUse(db::Connection& c, const std::string& rubric_id, int version) {
  auto& update = c.Prepare("UPDATE rubric_versions SET in_use = TRUE WHERE rubric_id = ? AND version = ?");
  update.setString(1, rubric_id);
  update.setInt(2, version);
  update.executeUpdate();
}

namespace {

const char kRoundColumns[] =
    "year, round_id, display_name, rubric_id, rubric_version, grade_policy_version, aggregation, "
    "disagreement_threshold_tenths, state, CAST(UNIX_TIMESTAMP(publish_time) * 1000000 AS SIGNED) AS publish_us, "
    "version, CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS SIGNED) AS create_us";

v1::Round RoundFromRow(sql::ResultSet& rows) {
  v1::Round round;
  round.set_name(absl::StrCat("years/", rows.getInt("year"), "/rounds/", std::string(rows.getString("round_id"))));
  round.set_display_name(rows.getString("display_name"));
  round.set_rubric_version(absl::StrCat("rubrics/", std::string(rows.getString("rubric_id")), "/versions/",
                                        rows.getInt("rubric_version")));
  round.set_grade_policy(absl::StrCat("gradePolicies/", rows.getInt("grade_policy_version")));
  round.set_aggregation(static_cast<v1::Aggregation>(rows.getInt("aggregation")));
  round.set_disagreement_threshold_tenths(rows.getInt("disagreement_threshold_tenths"));
  round.set_state(static_cast<v1::Round::State>(rows.getInt("state")));
  if (!rows.isNull("publish_us")) db::SetTimestampMicros(round.mutable_publish_time(), rows.getInt64("publish_us"));
  round.set_etag(std::to_string(rows.getInt("version")));
  db::SetTimestampMicros(round.mutable_create_time(), rows.getInt64("create_us"));
  return round;
}

void AddCounties(db::Connection& c, const EvaluationStore::RoundKey& key, v1::Round& round) {
  auto& select = c.Prepare("SELECT county_code FROM round_counties WHERE year = ? AND round_id = ? ORDER BY county_code");
  select.setInt(1, key.year);
  select.setString(2, key.round_id);
  ResultSet rows(select.executeQuery());
  while (rows->next()) round.add_counties("regions/" + std::string(rows->getString(1)));
}

}  // namespace

absl::Status EvaluationStore::InsertRound(db::Connection& c, const RoundKey& key, const v1::Round& round,
                                          const std::string& rubric_id, int rubric_version,
                                          int grade_policy_version) {
  auto& insert = c.Prepare(
      "INSERT INTO rounds (year, round_id, display_name, rubric_id, rubric_version, grade_policy_version, "
      "aggregation, disagreement_threshold_tenths, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.setInt(1, key.year);
  insert.setString(2, key.round_id);
  insert.setString(3, round.display_name());
  insert.setString(4, rubric_id);
  insert.setInt(5, rubric_version);
  insert.setInt(6, grade_policy_version);
  insert.setInt(7, round.aggregation());
  insert.setInt(8, round.disagreement_threshold_tenths());
  insert.setInt(9, v1::Round::SCORING);
  try {
    insert.executeUpdate();
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != db::kErrDuplicateKey) throw;
    return absl::AlreadyExistsError(absl::StrCat("years/", key.year, "/rounds/", key.round_id, " already exists"));
  }
  auto& county = c.Prepare("INSERT INTO round_counties (year, round_id, county_code) VALUES (?, ?, ?)");
  for (const auto& name : round.counties()) {
    county.setInt(1, key.year);
    county.setString(2, key.round_id);
    county.setString(3, name.substr(name.rfind('/') + 1));
    county.executeUpdate();
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Round> EvaluationStore::GetRound(db::Connection& c, const RoundKey& key, bool for_update) {
  auto& select = c.Prepare(absl::StrCat("SELECT ", kRoundColumns, " FROM rounds WHERE year = ? AND round_id = ?",
                                        for_update ? " FOR UPDATE" : ""));
  select.setInt(1, key.year);
  select.setString(2, key.round_id);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) {
    return absl::NotFoundError(absl::StrCat("years/", key.year, "/rounds/", key.round_id, " does not exist"));
  }
  v1::Round round = RoundFromRow(*rows);
  AddCounties(c, key, round);
  return round;
}

std::vector<v1::Round> EvaluationStore::ListRounds(db::Connection& c, int year, const std::string& after_id,
                                                   int limit) {
  auto& select = c.Prepare(absl::StrCat("SELECT ", kRoundColumns,
                                        " FROM rounds WHERE year = ? AND round_id > ? ORDER BY round_id LIMIT ?"));
  select.setInt(1, year);
  select.setString(2, after_id);
  select.setInt(3, limit);
  ResultSet rows(select.executeQuery());
  std::vector<std::pair<RoundKey, v1::Round>> found;
  while (rows->next()) found.push_back({RoundKey{year, rows->getString("round_id")}, RoundFromRow(*rows)});
  std::vector<v1::Round> out;
  for (auto& [key, round] : found) {
    AddCounties(c, key, round);
    out.push_back(std::move(round));
  }
  return out;
}

absl::StatusOr<v1::GradePolicy> EvaluationStore::InsertGradePolicy(db::Connection& c,
                                                                   const v1::GradePolicy& policy) {
  ResultSet last(c.Prepare("SELECT COALESCE(MAX(version), 0) FROM grade_policies").executeQuery());
  last->next();
  const int version = last->getInt(1) + 1;
  auto& insert = c.Prepare(
      "INSERT INTO grade_policies (version, excellent_from_tenths, qualified_from_tenths, reason) "
      "VALUES (?, ?, ?, ?)");
  insert.setInt(1, version);
  insert.setInt(2, policy.excellent_from_tenths());
  insert.setInt(3, policy.qualified_from_tenths());
  insert.setString(4, policy.reason());
  try {
    insert.executeUpdate();
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != db::kErrDuplicateKey) throw;
    return absl::AbortedError("a grade policy version was made concurrently; retry");
  }
  return GetGradePolicy(c, version);
}

absl::StatusOr<v1::GradePolicy> EvaluationStore::GetGradePolicy(db::Connection& c, int version) {
  auto& select = c.Prepare(absl::StrCat("SELECT ", kPolicyColumns, " FROM grade_policies WHERE ",
                                        version > 0 ? "version = ?" : "? = 0 ORDER BY version DESC LIMIT 1"));
  select.setInt(1, version);
  ResultSet rows(select.executeQuery());
  if (rows->next()) return PolicyFromRow(*rows);
  if (version > 0) return absl::NotFoundError(absl::StrCat("gradePolicies/", version, " does not exist"));
  v1::GradePolicy defaults = domain::DefaultGradePolicy();
  defaults.set_name("gradePolicies/0");
  return defaults;
}

}  // namespace peixun::evaluation
