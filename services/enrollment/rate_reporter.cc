#include "services/enrollment/rate_reporter.h"

#include <map>

#include "absl/time/time.h"
#include "common/util/clock.h"
#include "common/util/names.h"
#include "common/util/status.h"
#include "services/enrollment/enrollment_store.h"

namespace peixun::enrollment {

RateReporter::RateReporter(server::Platform& platform, const server::Handlers& handlers)
    : platform_(platform),
      handlers_(handlers),
      city_quota_(prometheus::BuildGauge()
                      .Name("peixun_enrollment_city_quota_seats")
                      .Help("Seats of the county quotas of this year's and next year's plans, by "
                            "city and year.")
                      .Register(platform.metrics().registry())),
      city_nominated_(prometheus::BuildGauge()
                          .Name("peixun_enrollment_city_nominated_seats")
                          .Help("Seats held by nominations, by city and year (quota fill).")
                          .Register(platform.metrics().registry())),
      refresh_(platform.background().AddLoop("city quota fill gauges", absl::Seconds(30),
                                             [this] { RefreshCityFill(); })) {}

absl::StatusOr<v1::RateReport> RateReporter::Report(int year, const std::string& project_id,
                                                    const domain::RateQuery& query) const {
  domain::RateFacts facts;
  PEIXUN_RETURN_IF_ERROR(handlers_.Read([&](db::Connection& c) {
    facts.outcomes = EnrollmentStore::CountOutcomes(c, year, project_id);
    facts.quotas = EnrollmentStore::QuotaSeats(c, year, project_id);
    facts.ineligible = EnrollmentStore::CountIneligible(c, year, project_id);
    facts.found_ineligible = EnrollmentStore::CountFoundIneligible(c, year, project_id);
    facts.projects = EnrollmentStore::ProjectsOfYear(c, year);
    facts.regions = EnrollmentStore::Regions(c);
    return absl::OkStatus();
  }));
  return domain::BuildRateReport(facts, query);
}

void RateReporter::RefreshCityFill() {
  // This year and the next: next year's plan is nominated for late in this one.
  const int this_year =
      static_cast<int>(absl::ToCivilDay(platform_.clock().Now(), ChinaTimeZone()).year());
  domain::RateQuery by_city;
  by_city.scope = v1::GetRateReportRequest::CITY;
  for (int year : {this_year, this_year + 1}) {
    absl::StatusOr<v1::RateReport> report = Report(year, "", by_city);
    if (!report.ok()) return;  // the database is away; the gauges keep their last figures
    for (const auto& row : report->rows()) {
      const std::map<std::string, std::string> labels = {{"city", LastSegment(row.key())},
                                                         {"year", std::to_string(year)}};
      city_quota_.Add(labels).Set(static_cast<double>(row.quota()));
      city_nominated_.Add(labels).Set(static_cast<double>(row.nominated()));
    }
  }
}

}  // namespace peixun::enrollment
