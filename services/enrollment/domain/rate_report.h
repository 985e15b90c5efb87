// The rate report, pure: enrollment's counts per project and county, rolled up into one
// row per county, city or host.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "peixun/catalog/v1/catalog.pb.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "services/enrollment/domain/enrollment_rules.h"

namespace peixun::enrollment::domain {

// Enrollments of one project and county in one state.
struct OutcomeCount {
  std::string project_id;
  std::string county_code;
  v1::EnrollmentState state = v1::ENROLLMENT_STATE_UNSPECIFIED;
  bool rural = false;
  int64_t count = 0;
};

// A figure of one project and county: quota seats, refusals, trainees found ineligible.
struct SeatRow {
  std::string project_id;
  std::string county_code;
  int64_t value = 0;
};

// Everything a year's report adds up, as the store reads it.
struct RateFacts {
  std::vector<OutcomeCount> outcomes;
  std::vector<SeatRow> quotas;
  std::vector<SeatRow> ineligible;            // nominations refused
  std::vector<SeatRow> found_ineligible;      // trainees found ineligible at 报到
  std::vector<catalog_v1::Project> projects;  // of the year
  std::vector<catalog_v1::Region> regions;
};

struct RateQuery {
  v1::GetRateReportRequest::Scope scope = v1::GetRateReportRequest::COUNTY;
  // "regions/{code}": only that county, or that city's county-level units; "" for all.
  std::string region;
  // The projects' plan levels counted; empty for all.
  std::set<int> plan_levels;
};

// One row per county, city (R-1a: 济源 under itself; R-1b: a directly administered county under
// its city) or host, in key order, with its counts and rates.
v1::RateReport BuildRateReport(const RateFacts& facts, const RateQuery& query);

}  // namespace peixun::enrollment::domain
