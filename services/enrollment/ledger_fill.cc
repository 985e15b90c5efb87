#include "services/enrollment/ledger_fill.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/server/process.h"
#include "common/util/status.h"
#include "services/enrollment/enrollment_store.h"

namespace peixun::enrollment {

LedgerFill::LedgerFill(server::Platform& platform)
    : platform_(platform),
      loop_(platform.background().AddLoop("hour ledger fill", absl::Minutes(10), [this] {
        absl::StatusOr<int> registered = Run();
        if (!registered.ok()) {
          server::Log("enrollment",
                      absl::StrCat("hour ledger fill: ", registered.status().message(),
                                   "; tried again in 10 minutes"));
        } else if (*registered > 0) {
          server::Log("enrollment", absl::StrCat("hour ledger fill: registered ", *registered,
                                                 " completions made before the ledger (R-31)"));
        }
      })) {}

absl::StatusOr<int> LedgerFill::Run() {
  bool filled = false;
  PEIXUN_RETURN_IF_ERROR(platform_.pool().RunRead([&](db::Connection& c) {
    filled = EnrollmentStore::LedgerFilled(c, kName);
    return absl::OkStatus();
  }));
  if (filled) return 0;
  int registered = 0;
  std::string after;
  for (;;) {
    std::string last;
    PEIXUN_RETURN_IF_ERROR(platform_.pool().RunInTransaction([&](db::Connection& c) {
      // Registering is idempotent (the source key), so a batch that runs again changes nothing.
      std::vector<domain::HourEntry> entries =
          EnrollmentStore::UnregisteredCompletions(c, after, 1000, &last);
      for (const auto& entry : entries) EnrollmentStore::RegisterHours(c, entry);
      registered += static_cast<int>(entries.size());
      return absl::OkStatus();
    }));
    if (last.empty()) break;
    after = last;
  }
  PEIXUN_RETURN_IF_ERROR(platform_.pool().RunInTransaction([&](db::Connection& c) {
    EnrollmentStore::MarkLedgerFilled(c, kName);
    return absl::OkStatus();
  }));
  return registered;
}

}  // namespace peixun::enrollment
