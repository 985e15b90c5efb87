// Funding's questions to catalog: the regions, and every project's budget priced by the
// seats allocated to each city and county. Catalog computes budgets; funding only adds them up.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/server/dependency.h"
#include "common/util/clock.h"
#include "grpcpp/security/credentials.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"
#include "services/funding/domain/funding_rules.h"

namespace peixun::funding {

class CatalogBudgets {
 public:
  // `target` is catalog's gRPC address; calls carry a service token signed by `signer`.
  // `credentials`: TLS ones when the suite runs with certificates (plaintext when null).
  CatalogBudgets(const std::string& target, auth::TokenSigner signer, const Clock& clock,
                 std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

  // Fills figures->regions, allocated_budget_fen and project_budget_total_fen for `year`.
  // UNAVAILABLE (or catalog's own error) naming the call that failed.
  absl::Status AddBudgets(int year, domain::YearFigures* figures) const;

 private:
  server::Dependency<catalog::v1::CatalogService> catalog_;
};

}  // namespace peixun::funding
