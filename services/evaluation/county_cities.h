// Evaluation's question to catalog: which city a county belongs to, by the region data (its
// real parent; 济源 is its own city-level unit, R-1a). A city admin's scope is decided by it,
// never by the county code's prefix (directly administered counties keep their old city's
// prefix, R-1b).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/server/dependency.h"
#include "common/util/clock.h"
#include "grpcpp/security/credentials.h"
#include "peixun/catalog/v1/catalog.grpc.pb.h"

namespace peixun::evaluation {

class CountyCities {
 public:
  // `target` is catalog's gRPC address; calls carry a service token signed by `signer`.
  CountyCities(const std::string& target, auth::TokenSigner signer, const Clock& clock,
               std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

  // The code of the region's parent in the region data (e.g. "4102" for "410225"; "41" for
  // 济源, which city scope matches by its own code, R-1a). NOT_FOUND for a region catalog does not
  // know; UNAVAILABLE when catalog cannot answer. Answers are kept for ten minutes.
  absl::StatusOr<std::string> CityOf(const std::string& county_code) const;

  // How long an answer is kept, and at most how many are.
  static constexpr absl::Duration kKeepFor = absl::Minutes(10);
  static constexpr size_t kMaxKept = 10000;

 private:
  server::Dependency<catalog::v1::CatalogService> catalog_;
  mutable absl::Mutex mu_;
  struct Kept {
    std::string city;
    absl::Time until;
  };
  mutable std::map<std::string, Kept> kept_ ABSL_GUARDED_BY(mu_);
};

}  // namespace peixun::evaluation
