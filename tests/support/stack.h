// Test support: the four services in one process on loopback, each against a scratch database
// of its own, wired as deployed (claim checks through catalog, enrollment's catalog copy,
// evaluation's and funding's clients of the others).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/server/platform.h"
#include "common/util/clock.h"
#include "services/catalog/catalog_service.h"
#include "services/enrollment/catalog_mirror.h"
#include "services/enrollment/enrollment_service.h"
#include "services/evaluation/evaluation_service.h"
#include "services/funding/funding_service.h"
#include "tests/support/harness.h"

namespace peixun::testing {

inline constexpr const char* kServiceNames[] = {
    "peixun.catalog.v1.CatalogService", "peixun.enrollment.v1.EnrollmentService",
    "peixun.evaluation.v1.EvaluationService", "peixun.funding.v1.FundingService"};

struct ServiceStack {
  // Enrollment runs on `enrollment_clock` (nomination deadlines); the others on the wall clock.
  explicit ServiceStack(const Clock& enrollment_clock = SystemClock::Instance());
  ~ServiceStack();

  // Starts catalog, enrollment, evaluation and funding in that order, each SERVING before the
  // next; a hook runs after its service has started (seed data the next one reads at start).
  absl::Status Start(const std::function<void()>& after_catalog = {},
                     const std::function<void()>& after_enrollment = {},
                     const std::function<void()>& after_evaluation = {});
  void Stop();

  static std::string Address(const server::Platform& platform);
  // The platform of a contract's service by its full name (kServiceNames).
  server::Platform& Of(const std::string& service_name);

  const Clock& enrollment_clock;
  ScratchDatabase catalog_db, enrollment_db, evaluation_db, funding_db;
  std::unique_ptr<server::Platform> catalog;
  std::unique_ptr<catalog::CatalogService> catalog_service;
  std::unique_ptr<server::Platform> enrollment;
  std::unique_ptr<enrollment::CatalogMirror> mirror;
  std::unique_ptr<enrollment::EnrollmentService> enrollment_service;
  std::unique_ptr<server::Platform> evaluation;
  std::unique_ptr<evaluation::EnrollmentRates> rates;
  std::unique_ptr<catalog::RegionDirectory> regions;
  std::unique_ptr<evaluation::EvaluationService> evaluation_service;
  std::unique_ptr<server::Platform> funding;
  std::unique_ptr<funding::EvaluationResults> results;
  std::unique_ptr<funding::CatalogBudgets> budgets;
  std::unique_ptr<funding::EnrollmentCompletions> completions;
  std::unique_ptr<catalog::RegionDirectory> funding_regions;
  std::unique_ptr<funding::FundingService> funding_service;

 private:
  server::ClaimLookups ClaimsThroughCatalog(const std::string& service) const;
};

}  // namespace peixun::testing
