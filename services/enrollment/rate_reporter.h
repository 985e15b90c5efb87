// The rates of a year: the report GetRateReport answers and evaluation's deductions
// read, and the quota-fill gauges of the dashboards, refreshed by a platform loop.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/server/background.h"
#include "common/server/handlers.h"
#include "common/server/platform.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "prometheus/gauge.h"
#include "services/enrollment/domain/rate_report.h"

namespace peixun::enrollment {

class RateReporter {
 public:
  RateReporter(server::Platform& platform, const server::Handlers& handlers);

  // Counts and rates of `year`, one row per county, city or host as `query` says; `project_id`
  // narrows it to one project when set. Reads everything in one pooled connection.
  absl::StatusOr<v1::RateReport> Report(int year, const std::string& project_id,
                                        const domain::RateQuery& query) const;

  // Sets peixun_enrollment_city_quota_seats and _city_nominated_seats (this year's and next
  // year's quota fill per city); the platform's loop runs it every 30 s.
  void RefreshCityFill();

 private:
  server::Platform& platform_;
  const server::Handlers& handlers_;
  prometheus::Family<prometheus::Gauge>& city_quota_;
  prometheus::Family<prometheus::Gauge>& city_nominated_;
  server::Background::Registration refresh_;  // last: stops before the members it reads go
};

}  // namespace peixun::enrollment
