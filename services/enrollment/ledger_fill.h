// Registers into the credit-hour ledger the completions made before it existed, once:
// at start, in batches of 1,000 enrollments, each batch its own transaction; then it records
// that the fill is done (ledger_fills) and only checks that record afterwards.
#pragma once

#include "absl/status/statusor.h"
#include "common/server/background.h"
#include "common/server/platform.h"

namespace peixun::enrollment {

class LedgerFill {
 public:
  explicit LedgerFill(server::Platform& platform);

  // One pass: registers every completion without an entry, then records the fill as done.
  // Returns how many entries were registered.
  absl::StatusOr<int> Run();

  static constexpr char kName[] = "completions";

 private:
  server::Platform& platform_;
  server::Background::Registration loop_;  // last: stops before the members it reads go
};

}  // namespace peixun::enrollment
