// Funding's SQL. Every function runs inside the caller's transaction; nothing here decides a
// rule.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/pool.h"
#include "peixun/funding/v1/funding.pb.h"

namespace peixun::funding {

class FundingStore {
 public:
  // Tier policies
  // ABORTED when a concurrent insert took the version number.
  static absl::StatusOr<v1::TierPolicy> InsertTierPolicy(db::Connection& c,
                                                         const v1::TierPolicy& policy);
  // Version `version`, or with 0 the newest (the built-in defaults, version 0, when none).
  static absl::StatusOr<v1::TierPolicy> GetTierPolicy(db::Connection& c, int version);

  // Project-county status
  // Serializes changes to one county's periods until the transaction ends: call it before
  // reading the periods that a change is decided from.
  static void LockCounty(db::Connection& c, const std::string& county_code);
  static void AddPeriod(db::Connection& c, const std::string& county_code,
                        const v1::ProjectCounty::Period& period);
  // Removes the periods a (superseded) decision opened.
  static void RemovePeriodsOf(db::Connection& c, const std::string& decision);
  // The county with every period, oldest first; nullopt when it has none.
  static std::optional<v1::ProjectCounty> GetProjectCounty(db::Connection& c,
                                                           const std::string& county_code);
  // Counties with periods after `after` in code order; only `counties` when set.
  static std::vector<v1::ProjectCounty> ListProjectCounties(
      db::Connection& c, const std::optional<std::vector<std::string>>& counties,
      const std::string& after, int limit);

  // Decisions
  struct StoredDecision {
    v1::Decision decision;
    int seq = 0;
  };
  // The county's current decision for the year.
  static std::optional<StoredDecision> CurrentDecision(db::Connection& c, int year,
                                                       const std::string& county_code);
  // Decision number `seq` (any, superseded or not).
  static std::optional<StoredDecision> GetDecision(db::Connection& c, int year,
                                                   const std::string& county_code, int seq);
  static void InsertDecision(db::Connection& c, int year, int seq, const v1::Decision& decision);
  static void MarkSuperseded(db::Connection& c, int year, const std::string& county_code, int seq);
  struct DecisionFilter {
    v1::Tier tier = v1::TIER_UNSPECIFIED;
    // Only these county-level units (a city filter's, by the region data) when set.
    std::optional<std::vector<std::string>> counties;
    bool superseded = false;
  };
  // Decisions of a year by county code (and number) after `after` ("{county}@{seq}").
  static std::vector<StoredDecision> ListDecisions(db::Connection& c, int year,
                                                   const DecisionFilter& filter,
                                                   const std::string& after, int limit);
};

}  // namespace peixun::funding
