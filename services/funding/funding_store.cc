#include "services/funding/funding_store.h"

#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <map>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/db/conditions.h"
#include "common/db/rows.h"
#include "common/util/names.h"
#include "common/util/status.h"
#include "services/funding/domain/funding_rules.h"

namespace peixun::funding {
namespace {

using ResultSet = std::unique_ptr<sql::ResultSet>;

const char kPolicyColumns[] =
    "version, excellent_amount_fen, qualified_amount_fen, revocation_years, "
    "subsidy_per_participant_fen, reason, "
    "CAST(UNIX_TIMESTAMP(create_time) * 1000000 AS SIGNED), designation_years";

v1::TierPolicy PolicyFromRow(sql::ResultSet& rows) {
  v1::TierPolicy policy;
  policy.set_name(absl::StrCat("tierPolicies/", rows.getInt(1)));
  policy.set_version(rows.getInt(1));
  policy.set_excellent_amount_fen(rows.getInt64(2));
  policy.set_qualified_amount_fen(rows.getInt64(3));
  policy.set_revocation_years(rows.getInt(4));
  policy.set_subsidy_per_participant_fen(rows.getInt64(5));
  policy.set_reason(rows.getString(6));
  db::SetTimestampMicros(policy.mutable_create_time(), rows.getInt64(7));
  policy.set_designation_years(rows.getInt(8));
  return policy;
}

const char kDecisionColumns[] =
    "year, county_code, seq, tier, amount_fen, result, result_revision, grade, tier_policy, "
    "supersedes, superseded, "
    "decided_by, CAST(UNIX_TIMESTAMP(decide_time) * 1000000 AS SIGNED)";

FundingStore::StoredDecision DecisionFromRow(sql::ResultSet& rows) {
  FundingStore::StoredDecision stored;
  v1::Decision& d = stored.decision;
  const std::string county = rows.getString(2);
  stored.seq = rows.getInt(3);
  d.set_superseded(rows.getBoolean(11));
  // The current decision answers to the plain name; a superseded one to name@number (AIP-162).
  d.set_name(absl::StrCat("years/", rows.getInt(1), "/decisions/", county,
                          d.superseded() ? absl::StrCat("@", stored.seq) : ""));
  d.set_county("regions/" + county);
  d.set_tier(static_cast<v1::Tier>(rows.getInt(4)));
  d.set_amount_fen(rows.getInt64(5));
  d.set_result(rows.getString(6));
  d.set_result_revision(rows.getInt(7));
  d.set_grade(rows.getString(8));
  d.set_tier_policy(rows.getString(9));
  d.set_supersedes(rows.getString(10));
  d.set_decided_by(rows.getString(12));
  db::SetTimestampMicros(d.mutable_decide_time(), rows.getInt64(13));
  return stored;
}

}  // namespace

absl::StatusOr<v1::TierPolicy> FundingStore::InsertTierPolicy(db::Connection& c,
                                                              const v1::TierPolicy& policy) {
  const int version = db::NextVersion(c, "tier_policies");
  PEIXUN_RETURN_IF_ERROR(db::InsertVersion(
      c,
      "INSERT INTO tier_policies (version, excellent_amount_fen, qualified_amount_fen, "
      "revocation_years, subsidy_per_participant_fen, reason, designation_years) VALUES (?, ?, "
      "?, ?, ?, ?, ?)",
      [&](sql::PreparedStatement& insert) {
        insert.setInt(1, version);
        insert.setInt64(2, policy.excellent_amount_fen());
        insert.setInt64(3, policy.qualified_amount_fen());
        insert.setInt(4, policy.revocation_years());
        insert.setInt64(5, policy.subsidy_per_participant_fen());
        insert.setString(6, policy.reason());
        insert.setInt(7, policy.designation_years());
      },
      "a tier policy version"));
  return GetTierPolicy(c, version);
}

absl::StatusOr<v1::TierPolicy> FundingStore::GetTierPolicy(db::Connection& c, int version) {
  ResultSet rows = db::SelectVersion(c, kPolicyColumns, "tier_policies", version);
  if (rows->next()) return PolicyFromRow(*rows);
  if (version > 0)
    return absl::NotFoundError(absl::StrCat("tierPolicies/", version, " does not exist"));
  v1::TierPolicy defaults = domain::DefaultTierPolicy();
  defaults.set_name("tierPolicies/0");
  return defaults;
}

void FundingStore::LockCounty(db::Connection& c, const std::string& county_code) {
  auto& lock = c.Prepare(
      "INSERT INTO project_counties (county_code) VALUES (?) "
      "ON DUPLICATE KEY UPDATE county_code = county_code");
  lock.setString(1, county_code);
  lock.executeUpdate();
}

void FundingStore::AddPeriod(db::Connection& c, const std::string& county_code,
                             const v1::ProjectCounty::Period& period) {
  auto& insert = c.Prepare(
      "INSERT INTO county_periods (county_code, kind, from_year, to_year, decision) VALUES (?, ?, "
      "?, ?, ?)");
  insert.setString(1, county_code);
  insert.setInt(2, period.kind());
  insert.setInt(3, period.from_year());
  insert.setInt(4, period.to_year());
  insert.setString(5, period.decision());
  insert.executeUpdate();
}

void FundingStore::RemovePeriodsOf(db::Connection& c, const std::string& decision) {
  auto& remove = c.Prepare("DELETE FROM county_periods WHERE decision = ?");
  remove.setString(1, decision);
  remove.executeUpdate();
}

namespace {

void AddPeriodRow(sql::ResultSet& rows, v1::ProjectCounty& county) {
  auto* p = county.add_periods();
  p->set_kind(static_cast<v1::ProjectCounty::Period::Kind>(rows.getInt(2)));
  p->set_from_year(rows.getInt(3));
  p->set_to_year(rows.getInt(4));
  p->set_decision(rows.getString(5));
}

}  // namespace

std::optional<v1::ProjectCounty> FundingStore::GetProjectCounty(db::Connection& c,
                                                                const std::string& county_code) {
  auto& select = c.Prepare(
      "SELECT county_code, kind, from_year, to_year, decision FROM county_periods WHERE "
      "county_code = ? "
      "ORDER BY from_year, id");
  select.setString(1, county_code);
  ResultSet rows(select.executeQuery());
  std::optional<v1::ProjectCounty> county;
  while (rows->next()) {
    if (!county) {
      county.emplace();
      county->set_name("projectCounties/" + county_code);
      county->set_county("regions/" + county_code);
    }
    AddPeriodRow(*rows, *county);
  }
  return county;
}

std::vector<v1::ProjectCounty> FundingStore::ListProjectCounties(
    db::Connection& c, const std::optional<std::vector<std::string>>& counties,
    const std::string& after, int limit) {
  // The page's counties first, then all their periods.
  db::Conditions where;
  where.InWhenSet("county_code", counties);
  auto& select = c.Prepare(absl::StrCat(
      "SELECT p.county_code, p.kind, p.from_year, p.to_year, p.decision FROM county_periods p JOIN "
      "(SELECT DISTINCT county_code FROM county_periods WHERE county_code > ?",
      where.Sql(),
      " ORDER BY county_code LIMIT ?) page ON page.county_code = p.county_code ORDER BY "
      "p.county_code, p.from_year, p.id"));
  unsigned int next = 1;
  select.setString(next++, after);
  where.Bind(select, &next);
  select.setInt(next++, limit);
  ResultSet rows(select.executeQuery());
  std::vector<v1::ProjectCounty> out;
  while (rows->next()) {
    const std::string code = rows->getString(1);
    if (out.empty() || out.back().county() != "regions/" + code) {
      out.emplace_back();
      out.back().set_name("projectCounties/" + code);
      out.back().set_county("regions/" + code);
    }
    AddPeriodRow(*rows, out.back());
  }
  return out;
}

std::optional<FundingStore::StoredDecision> FundingStore::CurrentDecision(
    db::Connection& c, int year, const std::string& county_code) {
  auto& select = c.Prepare(
      absl::StrCat("SELECT ", kDecisionColumns,
                   " FROM decisions WHERE year = ? AND county_code = ? AND NOT superseded "
                   "FOR UPDATE"));
  select.setInt(1, year);
  select.setString(2, county_code);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return DecisionFromRow(*rows);
}

std::optional<FundingStore::StoredDecision> FundingStore::GetDecision(
    db::Connection& c, int year, const std::string& county_code, int seq) {
  auto& select =
      c.Prepare(absl::StrCat("SELECT ", kDecisionColumns,
                             " FROM decisions WHERE year = ? AND county_code = ? AND seq = ?"));
  select.setInt(1, year);
  select.setString(2, county_code);
  select.setInt(3, seq);
  ResultSet rows(select.executeQuery());
  if (!rows->next()) return std::nullopt;
  return DecisionFromRow(*rows);
}

void FundingStore::InsertDecision(db::Connection& c, int year, int seq, const v1::Decision& d) {
  auto& insert = c.Prepare(
      "INSERT INTO decisions (year, county_code, seq, tier, amount_fen, result, result_revision, "
      "grade, tier_policy, "
      "supersedes, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.setInt(1, year);
  insert.setString(2, LastSegment(d.county()));
  insert.setInt(3, seq);
  insert.setInt(4, d.tier());
  insert.setInt64(5, d.amount_fen());
  insert.setString(6, d.result());
  insert.setInt(7, d.result_revision());
  insert.setString(8, d.grade());
  insert.setString(9, d.tier_policy());
  insert.setString(10, d.supersedes());
  insert.setString(11, d.decided_by());
  insert.executeUpdate();
}

void FundingStore::MarkSuperseded(db::Connection& c, int year, const std::string& county_code,
                                  int seq) {
  auto& update = c.Prepare(
      "UPDATE decisions SET superseded = TRUE WHERE year = ? AND county_code = ? AND seq = ?");
  update.setInt(1, year);
  update.setString(2, county_code);
  update.setInt(3, seq);
  update.executeUpdate();
}

std::vector<FundingStore::StoredDecision> FundingStore::ListDecisions(db::Connection& c, int year,
                                                                      const DecisionFilter& filter,
                                                                      const std::string& after,
                                                                      int limit) {
  std::string after_county;
  int after_seq = 0;
  if (!after.empty()) {
    std::pair<std::string, std::string> parts = absl::StrSplit(after, absl::MaxSplits('@', 1));
    after_county = parts.first;
    if (!absl::SimpleAtoi(parts.second, &after_seq)) after_seq = 0;
  }
  db::Conditions where;
  where.EqualUnlessZero("tier", filter.tier).InWhenSet("county_code", filter.counties);
  auto& select = c.Prepare(absl::StrCat(
      "SELECT ", kDecisionColumns, " FROM decisions WHERE year = ? AND superseded = ?", where.Sql(),
      " AND (county_code > ? OR (county_code = ? AND seq > ?)) ORDER BY county_code, seq LIMIT ?"));
  unsigned int next = 1;
  select.setInt(next++, year);
  select.setBoolean(next++, filter.superseded);
  where.Bind(select, &next);
  select.setString(next++, after_county);
  select.setString(next++, after_county);
  select.setInt(next++, after_seq);
  select.setInt(next++, limit);
  ResultSet rows(select.executeQuery());
  std::vector<StoredDecision> out;
  while (rows->next()) out.push_back(DecisionFromRow(*rows));
  return out;
}

}  // namespace peixun::funding
