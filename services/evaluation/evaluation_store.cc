#include "services/evaluation/evaluation_store.h"

#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/db/conditions.h"
#include "common/db/rows.h"
#include "common/db/script.h"
#include "common/util/names.h"
#include "services/evaluation/domain/evaluation_rules.h"
#include "services/evaluation/domain/panel_rules.h"

namespace peixun::evaluation {
namespace {

using ResultSet = std::unique_ptr<sql::ResultSet>;

const char kRubricColumns[] =
    "rubric_id, version, tree, in_use, CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS SIGNED)";

v1::RubricVersion RubricFromRow(sql::ResultSet& rows) {
  v1::RubricVersion rubric;
  rubric.ParseFromString(db::ReadBlob(rows, 3));
  rubric.set_name(
      absl::StrCat("rubrics/", std::string(rows.getString(1)), "/versions/", rows.getInt(2)));
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

v1::RubricVersion EvaluationStore::InsertRubricVersion(db::Connection& c,
                                                       const std::string& rubric_id,
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
      "INSERT INTO rubric_versions (rubric_id, version, display_name, tree, total_score_tenths, "
      "change_note) "
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

bool EvaluationStore::SeedRubric(db::Connection& c, const std::string& rubric_id,
                                 const v1::RubricVersion& rubric) {
  auto& claim = c.Prepare("INSERT IGNORE INTO rubrics (rubric_id, last_version) VALUES (?, 0)");
  claim.setString(1, rubric_id);
  claim.executeUpdate();
  auto& read = c.Prepare("SELECT last_version FROM rubrics WHERE rubric_id = ? FOR UPDATE");
  read.setString(1, rubric_id);
  ResultSet rows(read.executeQuery());
  rows->next();
  if (rows->getInt(1) > 0) return false;
  rows.reset();
  InsertRubricVersion(c, rubric_id, rubric);
  return true;
}

absl::StatusOr<v1::RubricVersion> EvaluationStore::GetRubricVersion(db::Connection& c,
                                                                    const std::string& rubric_id,
                                                                    int version) {
  auto& select = c.Prepare(
      absl::StrCat("SELECT ", kRubricColumns, " FROM rubric_versions WHERE rubric_id = ? AND ",
                   version > 0 ? "version = ?" : "? = 0 ORDER BY version DESC LIMIT 1"));
  select.setString(1, rubric_id);
  select.setInt(2, version);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) {
    return absl::NotFoundError(
        version > 0 ? absl::StrCat("rubrics/", rubric_id, "/versions/", version, " does not exist")
                    : absl::StrCat("rubrics/", rubric_id, " has no version"));
  }
  return RubricFromRow(*rows);
}

std::vector<v1::RubricVersion> EvaluationStore::ListRubricVersions(db::Connection& c,
                                                                   const std::string& rubric_id,
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

void EvaluationStore::MarkRubricInUse(db::Connection& c, const std::string& rubric_id,
                                      int version) {
  auto& update =
      c.Prepare("UPDATE rubric_versions SET in_use = TRUE WHERE rubric_id = ? AND version = ?");
  update.setString(1, rubric_id);
  update.setInt(2, version);
  update.executeUpdate();
}

namespace {

const char kRoundColumns[] =
    "year, round_id, display_name, rubric_id, rubric_version, grade_policy_version, aggregation, "
    "disagreement_threshold_tenths, state, CAST(UNIX_TIMESTAMP(publish_time) * 1000000 AS SIGNED) "
    "AS publish_us, "
    "version, CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS SIGNED) AS create_us, results_version, "
    "deductions_time IS NOT NULL AS deductions_fetched";

v1::Round RoundFromRow(sql::ResultSet& rows) {
  v1::Round round;
  round.set_name(absl::StrCat("years/", rows.getInt("year"), "/rounds/",
                              std::string(rows.getString("round_id"))));
  round.set_display_name(rows.getString("display_name"));
  round.set_rubric_version(absl::StrCat("rubrics/", std::string(rows.getString("rubric_id")),
                                        "/versions/", rows.getInt("rubric_version")));
  round.set_grade_policy(absl::StrCat("gradePolicies/", rows.getInt("grade_policy_version")));
  round.set_aggregation(static_cast<v1::Aggregation>(rows.getInt("aggregation")));
  round.set_disagreement_threshold_tenths(rows.getInt("disagreement_threshold_tenths"));
  round.set_state(static_cast<v1::Round::State>(rows.getInt("state")));
  if (!rows.isNull("publish_us"))
    db::SetTimestampMicros(round.mutable_publish_time(), rows.getInt64("publish_us"));
  round.set_etag(std::to_string(rows.getInt("version")));
  db::SetTimestampMicros(round.mutable_create_time(), rows.getInt64("create_us"));
  return round;
}

void AddCounties(db::Connection& c, const EvaluationStore::RoundKey& key, v1::Round& round) {
  auto& select = c.Prepare(
      "SELECT county_code FROM round_counties WHERE year = ? AND round_id = ? ORDER BY "
      "county_code");
  select.setInt(1, key.year);
  select.setString(2, key.round_id);
  ResultSet rows(select.executeQuery());
  while (rows->next()) round.add_counties("regions/" + std::string(rows->getString(1)));
}

}  // namespace

absl::Status EvaluationStore::InsertRound(db::Connection& c, const RoundKey& key,
                                          const v1::Round& round, const std::string& rubric_id,
                                          int rubric_version, int grade_policy_version) {
  auto& insert = c.Prepare(
      "INSERT INTO rounds (year, round_id, display_name, rubric_id, rubric_version, "
      "grade_policy_version, "
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
    return absl::AlreadyExistsError(
        absl::StrCat("years/", key.year, "/rounds/", key.round_id, " already exists"));
  }
  auto& county =
      c.Prepare("INSERT INTO round_counties (year, round_id, county_code) VALUES (?, ?, ?)");
  for (const auto& name : round.counties()) {
    county.setInt(1, key.year);
    county.setString(2, key.round_id);
    county.setString(3, LastSegment(name));
    county.executeUpdate();
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Round> EvaluationStore::GetRound(db::Connection& c, const RoundKey& key,
                                                    bool for_update) {
  PEIXUN_ASSIGN_OR_RETURN(StoredRound stored, GetStoredRound(c, key, for_update));
  return std::move(stored.round);
}

absl::StatusOr<EvaluationStore::StoredRound> EvaluationStore::LockScoringRound(
    db::Connection& c, const RoundKey& key) {
  PEIXUN_ASSIGN_OR_RETURN(StoredRound round, GetStoredRound(c, key, /*for_update=*/true));
  PEIXUN_RETURN_IF_ERROR(domain::RequireScoring(round.round));
  return round;
}

absl::StatusOr<EvaluationStore::StoredRound> EvaluationStore::GetStoredRound(db::Connection& c,
                                                                             const RoundKey& key,
                                                                             bool for_update) {
  auto& select = c.Prepare(absl::StrCat("SELECT ", kRoundColumns,
                                        " FROM rounds WHERE year = ? AND round_id = ?",
                                        for_update ? " FOR UPDATE" : ""));
  select.setInt(1, key.year);
  select.setString(2, key.round_id);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) {
    return absl::NotFoundError(
        absl::StrCat("years/", key.year, "/rounds/", key.round_id, " does not exist"));
  }
  StoredRound stored;
  stored.round = RoundFromRow(*rows);
  stored.rubric_id = rows->getString("rubric_id");
  stored.rubric_version = rows->getInt("rubric_version");
  stored.grade_policy_version = rows->getInt("grade_policy_version");
  stored.version = rows->getInt("version");
  if (!rows->isNull("results_version")) stored.results_version = rows->getInt("results_version");
  stored.deductions_fetched = rows->getBoolean("deductions_fetched");
  rows.reset();
  AddCounties(c, key, stored.round);
  return stored;
}

int EvaluationStore::BumpRound(db::Connection& c, const RoundKey& key) {
  auto& update =
      c.Prepare("UPDATE rounds SET version = version + 1 WHERE year = ? AND round_id = ?");
  update.setInt(1, key.year);
  update.setString(2, key.round_id);
  update.executeUpdate();
  auto& read = c.Prepare("SELECT version FROM rounds WHERE year = ? AND round_id = ?");
  read.setInt(1, key.year);
  read.setString(2, key.round_id);
  ResultSet rows(read.executeQuery());
  rows->next();
  return rows->getInt(1);
}

void EvaluationStore::SetResultsVersion(db::Connection& c, const RoundKey& key, int version) {
  auto& update = c.Prepare("UPDATE rounds SET results_version = ? WHERE year = ? AND round_id = ?");
  update.setInt(1, version);
  update.setInt(2, key.year);
  update.setString(3, key.round_id);
  update.executeUpdate();
}

void EvaluationStore::MarkPublished(db::Connection& c, const RoundKey& key) {
  auto& round = c.Prepare(
      "UPDATE rounds SET state = ?, publish_time = CURRENT_TIMESTAMP(6), version = version + 1 "
      "WHERE year = ? AND round_id = ?");
  round.setInt(1, v1::Round::PUBLISHED);
  round.setInt(2, key.year);
  round.setString(3, key.round_id);
  round.executeUpdate();
  auto& results = c.Prepare("UPDATE results SET published = TRUE WHERE year = ? AND round_id = ?");
  results.setInt(1, key.year);
  results.setString(2, key.round_id);
  results.executeUpdate();
}

std::vector<v1::Round> EvaluationStore::ListRounds(db::Connection& c, int year,
                                                   const std::string& after_id, int limit) {
  auto& select = c.Prepare(
      absl::StrCat("SELECT ", kRoundColumns,
                   " FROM rounds WHERE year = ? AND round_id > ? ORDER BY round_id LIMIT ?"));
  select.setInt(1, year);
  select.setString(2, after_id);
  select.setInt(3, limit);
  ResultSet rows(select.executeQuery());
  std::vector<std::pair<RoundKey, v1::Round>> found;
  while (rows->next())
    found.emplace_back(RoundKey{year, rows->getString("round_id")}, RoundFromRow(*rows));
  std::vector<v1::Round> out;
  for (auto& [key, round] : found) {
    AddCounties(c, key, round);
    out.push_back(std::move(round));
  }
  return out;
}

namespace {

std::string RoundName(const EvaluationStore::RoundKey& key) {
  return absl::StrCat("years/", key.year, "/rounds/", key.round_id);
}

const char kAssignmentColumns[] =
    "assignment_id, county_code, expert, expert_region, reconciler, "
    "CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS SIGNED)";

v1::Assignment AssignmentFromRow(const EvaluationStore::RoundKey& key, sql::ResultSet& rows) {
  v1::Assignment a;
  a.set_name(absl::StrCat(RoundName(key), "/assignments/", std::string(rows.getString(1))));
  a.set_county("regions/" + std::string(rows.getString(2)));
  a.set_expert(rows.getString(3));
  a.set_expert_region("regions/" + std::string(rows.getString(4)));
  a.set_reconciler(rows.getBoolean(5));
  db::SetTimestampMicros(a.mutable_create_time(), rows.getInt64(6));
  return a;
}

}  // namespace

absl::Status EvaluationStore::InsertAssignment(db::Connection& c, const RoundKey& key,
                                               const v1::Assignment& assignment) {
  auto& insert = c.Prepare(
      "INSERT INTO assignments (year, round_id, assignment_id, county_code, expert, expert_region, "
      "reconciler) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  insert.setInt(1, key.year);
  insert.setString(2, key.round_id);
  insert.setString(3, LastSegment(assignment.name()));
  insert.setString(4, LastSegment(assignment.county()));
  insert.setString(5, assignment.expert());
  insert.setString(6, LastSegment(assignment.expert_region()));
  insert.setBoolean(7, assignment.reconciler());
  try {
    insert.executeUpdate();
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != db::kErrDuplicateKey) throw;
    return absl::AlreadyExistsError(absl::StrCat(assignment.expert(), " is already assigned to ",
                                                 assignment.county(), " in ", RoundName(key)));
  }
  return absl::OkStatus();
}

std::optional<v1::Assignment> EvaluationStore::FindAssignment(db::Connection& c,
                                                              const RoundKey& key,
                                                              const std::string& county_code,
                                                              const std::string& expert) {
  auto& select = c.Prepare(
      absl::StrCat("SELECT ", kAssignmentColumns,
                   " FROM assignments WHERE year = ? AND round_id = ? AND county_code = ? "
                   "AND expert = ?"));
  select.setInt(1, key.year);
  select.setString(2, key.round_id);
  select.setString(3, county_code);
  select.setString(4, expert);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return AssignmentFromRow(key, *rows);
}

std::vector<v1::Assignment> EvaluationStore::ListAssignments(db::Connection& c, const RoundKey& key,
                                                             const AssignmentFilter& filter,
                                                             const std::string& after, int limit) {
  db::Conditions where;
  where.EqualUnlessEmpty("county_code", filter.county_code)
      .EqualUnlessEmpty("expert", filter.expert);
  auto& select = c.Prepare(
      absl::StrCat("SELECT ", kAssignmentColumns,
                   " FROM assignments WHERE year = ? AND round_id = ? AND assignment_id > ?",
                   where.Sql(), " ORDER BY assignment_id LIMIT ?"));
  unsigned int next = 1;
  select.setInt(next++, key.year);
  select.setString(next++, key.round_id);
  select.setString(next++, after);
  where.Bind(select, &next);
  select.setInt(next, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::Assignment> out;
  while (rows->next()) out.push_back(AssignmentFromRow(key, *rows));
  return out;
}

std::map<std::string, std::set<std::string>> EvaluationStore::Reconcilers(db::Connection& c,
                                                                          const RoundKey& key) {
  auto& select = c.Prepare(
      "SELECT county_code, expert FROM assignments WHERE year = ? AND round_id = ? AND reconciler");
  select.setInt(1, key.year);
  select.setString(2, key.round_id);
  ResultSet rows(select.executeQuery());
  std::map<std::string, std::set<std::string>> out;
  while (rows->next()) out[rows->getString(1)].insert(rows->getString(2));
  return out;
}

void EvaluationStore::UpsertScores(db::Connection& c, const RoundKey& key,
                                   const std::string& county_code, const std::string& expert,
                                   const std::vector<v1::IndicatorScore>& scores,
                                   const std::string& submitted_by) {
  db::Script script(c);
  std::vector<std::string> current;
  std::vector<std::string> history;
  const std::string prefix =
      absl::StrCat(key.year, ", ", script.Quote(key.round_id), ", ", script.Quote(county_code),
                   ", ", script.Quote(expert), ", ");
  for (const auto& score : scores) {
    const std::string values =
        absl::StrCat(prefix, script.Quote(score.indicator()), ", ", score.score_tenths(), ", ",
                     script.Quote(score.comment()), ", ", score.evidence());
    current.push_back(absl::StrCat("(", values, ")"));
    history.push_back(absl::StrCat("(", values, ", ", script.Quote(submitted_by), ")"));
  }
  if (current.empty()) return;
  script.Add(absl::StrCat(
      "INSERT INTO scores (year, round_id, county_code, expert, indicator, score_tenths, comment, "
      "evidence) VALUES ",
      absl::StrJoin(current, ", "),
      " ON DUPLICATE KEY UPDATE score_tenths = VALUES(score_tenths), comment = VALUES(comment), "
      "evidence = VALUES(evidence), update_time = CURRENT_TIMESTAMP(6)"));
  script.Add(
      absl::StrCat("INSERT INTO score_history (year, round_id, county_code, expert, indicator, "
                   "score_tenths, comment, evidence, "
                   "submitted_by) VALUES ",
                   absl::StrJoin(history, ", ")));
  script.Run();
}

namespace {

const char kScoreColumns[] =
    "county_code, expert, indicator, score_tenths, comment, evidence, "
    "CAST(UNIX_TIMESTAMP(update_time) * 1000000 AS SIGNED)";

// Adds a score row to `sheets` (rows arrive ordered by county, expert, indicator).
void AddScoreRow(const EvaluationStore::RoundKey& key, sql::ResultSet& rows,
                 std::map<std::string, std::vector<v1::ScoreSheet>>& sheets) {
  const std::string county = rows.getString(1);
  const std::string expert = rows.getString(2);
  auto& list = sheets[county];
  if (list.empty() || list.back().expert() != expert) {
    list.emplace_back();
    list.back().set_name(absl::StrCat(RoundName(key), "/scoreSheets/", county, "~", expert));
    list.back().set_county("regions/" + county);
    list.back().set_expert(expert);
  }
  v1::ScoreSheet& sheet = list.back();
  auto* score = sheet.add_scores();
  score->set_indicator(rows.getString(3));
  score->set_score_tenths(rows.getInt(4));
  score->set_comment(rows.getString(5));
  score->set_evidence(static_cast<v1::EvidenceKind>(rows.getInt(6)));
  const int64_t micros = rows.getInt64(7);
  const int64_t latest =
      sheet.update_time().seconds() * 1000000 + sheet.update_time().nanos() / 1000;
  if (micros > latest) db::SetTimestampMicros(sheet.mutable_update_time(), micros);
}

}  // namespace

v1::ScoreSheet EvaluationStore::GetScoreSheet(db::Connection& c, const RoundKey& key,
                                              const std::string& county_code,
                                              const std::string& expert) {
  auto& select =
      c.Prepare(absl::StrCat("SELECT ", kScoreColumns,
                             " FROM scores WHERE year = ? AND round_id = ? AND county_code = ? "
                             "AND expert = ? ORDER BY indicator"));
  select.setInt(1, key.year);
  select.setString(2, key.round_id);
  select.setString(3, county_code);
  select.setString(4, expert);
  ResultSet rows(select.executeQuery());
  std::map<std::string, std::vector<v1::ScoreSheet>> sheets;
  while (rows->next()) AddScoreRow(key, *rows, sheets);
  if (sheets.empty()) {
    v1::ScoreSheet empty;
    empty.set_name(absl::StrCat(RoundName(key), "/scoreSheets/", county_code, "~", expert));
    empty.set_county("regions/" + county_code);
    empty.set_expert(expert);
    return empty;
  }
  return sheets.begin()->second.front();
}

std::map<std::string, std::vector<v1::ScoreSheet>> EvaluationStore::ScoreSheets(
    db::Connection& c, const RoundKey& key, const std::string& county_code) {
  db::Conditions where;
  where.EqualUnlessEmpty("county_code", county_code);
  auto& select = c.Prepare(absl::StrCat("SELECT ", kScoreColumns,
                                        " FROM scores WHERE year = ? AND round_id = ?", where.Sql(),
                                        " ORDER BY county_code, expert, indicator"));
  unsigned int next = 1;
  select.setInt(next++, key.year);
  select.setString(next++, key.round_id);
  where.Bind(select, &next);
  ResultSet rows(select.executeQuery());
  std::map<std::string, std::vector<v1::ScoreSheet>> sheets;
  while (rows->next()) AddScoreRow(key, *rows, sheets);
  return sheets;
}

void EvaluationStore::SaveFigures(db::Connection& c, const RoundKey& key,
                                  const std::string& county_code,
                                  const domain::FetchedFacts& figures,
                                  const std::string& computed_by) {
  auto& upsert = c.Prepare(
      "INSERT INTO deduction_figures (year, round_id, county_code, under_reported, no_shows, "
      "not_completed, "
      "ineligible, source, computed_time, computed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
      "FROM_UNIXTIME(? / 1000000), ?) "
      "ON DUPLICATE KEY UPDATE under_reported = VALUES(under_reported), no_shows = "
      "VALUES(no_shows), "
      "not_completed = VALUES(not_completed), ineligible = VALUES(ineligible), source = "
      "VALUES(source), "
      "computed_time = VALUES(computed_time), computed_by = VALUES(computed_by)");
  upsert.setInt(1, key.year);
  upsert.setString(2, key.round_id);
  upsert.setString(3, county_code);
  upsert.setInt(4, figures.facts.under_reported);
  upsert.setInt(5, figures.facts.no_shows);
  upsert.setInt(6, figures.facts.not_completed);
  upsert.setInt(7, figures.facts.ineligible);
  upsert.setString(8, figures.source);
  upsert.setInt64(9,
                  figures.computed_time.seconds() * 1000000 + figures.computed_time.nanos() / 1000);
  upsert.setString(10, computed_by);
  upsert.executeUpdate();
  auto& round = c.Prepare(
      "UPDATE rounds SET deductions_time = FROM_UNIXTIME(? / 1000000) WHERE year = ? AND round_id "
      "= ?");
  round.setInt64(1,
                 figures.computed_time.seconds() * 1000000 + figures.computed_time.nanos() / 1000);
  round.setInt(2, key.year);
  round.setString(3, key.round_id);
  round.executeUpdate();
}

std::map<std::string, domain::FetchedFacts> EvaluationStore::Figures(
    db::Connection& c, const RoundKey& key, const std::string& county_code) {
  db::Conditions where;
  where.EqualUnlessEmpty("county_code", county_code);
  auto& select = c.Prepare(absl::StrCat(
      "SELECT county_code, under_reported, no_shows, not_completed, ineligible, source, "
      "CAST(UNIX_TIMESTAMP(computed_time) * 1000000 AS SIGNED) FROM deduction_figures "
      "WHERE year = ? AND round_id = ?",
      where.Sql()));
  unsigned int next = 1;
  select.setInt(next++, key.year);
  select.setString(next++, key.round_id);
  where.Bind(select, &next);
  ResultSet rows(select.executeQuery());
  std::map<std::string, domain::FetchedFacts> out;
  while (rows->next()) {
    domain::FetchedFacts& f = out[rows->getString(1)];
    f.facts.under_reported = rows->getInt(2);
    f.facts.no_shows = rows->getInt(3);
    f.facts.not_completed = rows->getInt(4);
    f.facts.ineligible = rows->getInt(5);
    f.source = rows->getString(6);
    db::SetTimestampMicros(&f.computed_time, rows->getInt64(7));
  }
  return out;
}

namespace {

// One results row's values, in the column order of the INSERTs below.
std::string ResultValues(const db::Script& script, const EvaluationStore::RoundKey& key,
                         const v1::ResultExplanation& explanation) {
  const v1::Result& r = explanation.result();
  v1::ResultExplanation stored = explanation;
  stored.clear_result();  // the columns hold it
  return absl::StrCat(
      "(", key.year, ", ", script.Quote(key.round_id), ", ", script.Quote(LastSegment(r.county())),
      ", ", r.revision(), ", ", r.total_tenths(), ", ", r.grade(), ", ", r.rank(), ", ",
      script.Quote(absl::StrJoin(r.flagged_indicators(), ",")), ", ", r.published() ? 1 : 0, ", ",
      script.Quote(r.revision_reason()), ", ", script.Quote(r.revised_by()), ", ",
      db::Script::Hex(stored.SerializeAsString()), ")");
}

const char kResultInsert[] =
    "INSERT INTO results (year, round_id, county_code, revision, total_tenths, grade, "
    "province_rank, flagged, "
    "published, revision_reason, revised_by, explanation) VALUES ";

const char kResultColumns[] =
    "county_code, revision, total_tenths, grade, province_rank, flagged, published, "
    "revision_reason, revised_by, "
    "CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS SIGNED)";

v1::Result ResultFromRow(const EvaluationStore::RoundKey& key, sql::ResultSet& rows) {
  v1::Result r;
  const std::string county = rows.getString(1);
  r.set_name(absl::StrCat(RoundName(key), "/results/", county));
  r.set_county("regions/" + county);
  r.set_revision(rows.getInt(2));
  r.set_total_tenths(rows.getInt(3));
  r.set_grade(static_cast<v1::Grade>(rows.getInt(4)));
  r.set_rank(rows.getInt(5));
  const std::string flagged = rows.getString(6);
  if (!flagged.empty()) {
    for (absl::string_view code : absl::StrSplit(flagged, ','))
      r.add_flagged_indicators(std::string(code));
  }
  r.set_published(rows.getBoolean(7));
  r.set_revision_reason(rows.getString(8));
  r.set_revised_by(rows.getString(9));
  db::SetTimestampMicros(r.mutable_create_time(), rows.getInt64(10));
  return r;
}

// Rows of the newest revision of each county.
const char kNewest[] =
    "r.revision = (SELECT MAX(n.revision) FROM results n WHERE n.year = r.year AND n.round_id = "
    "r.round_id "
    "AND n.county_code = r.county_code)";

}  // namespace

void EvaluationStore::ReplaceDrafts(db::Connection& c, const RoundKey& key,
                                    const std::vector<v1::ResultExplanation>& explanations) {
  db::Script script(c);
  script.Add(absl::StrCat("DELETE FROM results WHERE year = ", key.year, " AND round_id = ",
                          script.Quote(key.round_id), " AND revision = 1 AND NOT published"));
  db::ForEachChunk(explanations.size(), [&](size_t begin, size_t count) {
    std::vector<std::string> rows;
    for (size_t i = begin; i < begin + count; ++i)
      rows.push_back(ResultValues(script, key, explanations[i]));
    script.Add(absl::StrCat(kResultInsert, absl::StrJoin(rows, ", ")));
  });
  script.Run();
}

void EvaluationStore::InsertRevision(db::Connection& c, const RoundKey& key,
                                     const v1::ResultExplanation& explanation) {
  db::Script script(c);
  script.Add(absl::StrCat(kResultInsert, ResultValues(script, key, explanation)));
  script.Run();
}

std::map<std::string, int> EvaluationStore::NewestTotals(db::Connection& c, const RoundKey& key) {
  auto& select = c.Prepare(
      absl::StrCat("SELECT r.county_code, r.total_tenths FROM results r WHERE r.year = ? ",
                   "AND r.round_id = ? AND ", kNewest));
  select.setInt(1, key.year);
  select.setString(2, key.round_id);
  ResultSet rows(select.executeQuery());
  std::map<std::string, int> out;
  while (rows->next()) out[rows->getString(1)] = rows->getInt(2);
  return out;
}

namespace {

// Revision `revision` of a county's result (the newest with 0), with its explanation blob as
// column 11 when asked; NOT_FOUND naming the result when there is none.
absl::StatusOr<ResultSet> SelectRevision(db::Connection& c, const EvaluationStore::RoundKey& key,
                                         const std::string& county_code, int revision,
                                         bool with_explanation) {
  auto& select = c.Prepare(
      absl::StrCat("SELECT ", kResultColumns, with_explanation ? ", explanation" : "",
                   " FROM results r WHERE r.year = ? AND r.round_id = ? AND r.county_code = ? AND ",
                   revision > 0 ? "r.revision = ?" : "? = 0 ORDER BY r.revision DESC LIMIT 1"));
  select.setInt(1, key.year);
  select.setString(2, key.round_id);
  select.setString(3, county_code);
  select.setInt(4, revision);
  ResultSet rows(select.executeQuery());
  if (rows->next()) return rows;
  const std::string name = absl::StrCat(RoundName(key), "/results/", county_code);
  return absl::NotFoundError(revision > 0
                                 ? absl::StrCat(name, " has no revision ", revision)
                                 : absl::StrCat(name, " does not exist (results not computed)"));
}

}  // namespace

absl::StatusOr<v1::ResultExplanation> EvaluationStore::GetExplanation(
    db::Connection& c, const RoundKey& key, const std::string& county_code, int revision) {
  PEIXUN_ASSIGN_OR_RETURN(ResultSet rows, SelectRevision(c, key, county_code, revision, true));
  v1::ResultExplanation explanation;
  explanation.ParseFromString(db::ReadBlob(*rows, 11));
  *explanation.mutable_result() = ResultFromRow(key, *rows);
  return explanation;
}

absl::StatusOr<v1::Result> EvaluationStore::GetResult(db::Connection& c, const RoundKey& key,
                                                      const std::string& county_code,
                                                      int revision) {
  PEIXUN_ASSIGN_OR_RETURN(ResultSet rows, SelectRevision(c, key, county_code, revision, false));
  return ResultFromRow(key, *rows);
}

std::vector<v1::Result> EvaluationStore::ListResults(db::Connection& c, const RoundKey& key,
                                                     const ResultFilter& filter,
                                                     const std::string& after, int limit) {
  int after_total = 1 << 30;
  std::string after_county;
  if (!after.empty()) {
    std::pair<std::string, std::string> parts = absl::StrSplit(after, absl::MaxSplits(':', 1));
    if (!absl::SimpleAtoi(parts.first, &after_total)) after_total = 1 << 30;
    after_county = parts.second;
  }
  db::Conditions where;
  where.EqualUnlessZero("r.grade", filter.grade).InWhenSet("r.county_code", filter.counties);
  auto& select = c.Prepare(
      absl::StrCat("SELECT ", kResultColumns,
                   " FROM results r WHERE r.year = ? AND r.round_id = ? AND ", kNewest, where.Sql(),
                   " AND (r.total_tenths < ? OR (r.total_tenths = ? AND r.county_code > ?)) "
                   "ORDER BY r.total_tenths DESC, r.county_code LIMIT ?"));
  unsigned int next = 1;
  select.setInt(next++, key.year);
  select.setString(next++, key.round_id);
  where.Bind(select, &next);
  select.setInt(next++, after_total);
  select.setInt(next++, after_total);
  select.setString(next++, after_county);
  select.setInt(next++, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::Result> out;
  while (rows->next()) out.push_back(ResultFromRow(key, *rows));
  return out;
}

absl::StatusOr<v1::GradePolicy> EvaluationStore::InsertGradePolicy(db::Connection& c,
                                                                   const v1::GradePolicy& policy) {
  const int version = db::NextVersion(c, "grade_policies");
  PEIXUN_RETURN_IF_ERROR(db::InsertVersion(
      c,
      "INSERT INTO grade_policies (version, excellent_from_tenths, qualified_from_tenths, reason) "
      "VALUES (?, ?, ?, ?)",
      [&](sql::PreparedStatement& insert) {
        insert.setInt(1, version);
        insert.setInt(2, policy.excellent_from_tenths());
        insert.setInt(3, policy.qualified_from_tenths());
        insert.setString(4, policy.reason());
      },
      "a grade policy version"));
  return GetGradePolicy(c, version);
}

absl::StatusOr<v1::GradePolicy> EvaluationStore::GetGradePolicy(db::Connection& c, int version) {
  ResultSet rows = db::SelectVersion(c, kPolicyColumns, "grade_policies", version);
  if (rows->next()) return PolicyFromRow(*rows);
  if (version > 0)
    return absl::NotFoundError(absl::StrCat("gradePolicies/", version, " does not exist"));
  v1::GradePolicy defaults = domain::DefaultGradePolicy();
  defaults.set_name("gradePolicies/0");
  return defaults;
}

}  // namespace peixun::evaluation
