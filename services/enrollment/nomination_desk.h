// The nomination desk: NominateTeacher's requests, carried in batches. Nominations that arrive
// together are judged (domain::NominationLedger, R-7 → R-12 → R-9 → R-13 → seats) and written in
// one transaction of two round trips: one reads every fact the batch's checks need, locking the
// stored answers, the teachers and the quotas in one global order; one writes every row (the
// enrollments with their counts, R-9 refusals, events, audit entries, stored answers) and
// commits. A nomination costs a share of its batch's round trips and is judged exactly as if
// it were alone, after the ones before it. A refusal that rests on the local copy of the catalog
// alone is confirmed with catalog first: the copy may be behind.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "common/server/audit.h"
#include "common/server/platform.h"
#include "common/util/batcher.h"
#include "peixun/enrollment/v1/enrollment.pb.h"
#include "prometheus/histogram.h"
#include "services/enrollment/catalog_mirror.h"
#include "services/enrollment/domain/nomination_ledger.h"

namespace peixun::enrollment {

class NominationDesk {
 public:
  // A nomination on its way through the desk: what the handler parsed, then the outcome.
  struct Nomination {
    const v1::NominateTeacherRequest* request = nullptr;
    domain::NominationRequest judged;  // teacher, project, nominating county, today
    std::string actor;                 // the caller's subject
    std::string caller_key;            // auth::IdentityKey: whose stored answers it may replay
    std::optional<server::AuditEntry> audit;  // written with an accepted nomination
    std::string request_hash;                 // when the request carries a request_id
    // The outcome.
    absl::Status status;
    v1::Enrollment response;
    std::string refused_by;    // the rule id of a refusal
    bool inserted = false;     // accepted in this run (not answered from a stored response)
    bool ask_catalog = false;  // refused on the catalog copy alone (NominationDecision)
    int32_t seats_in_copy = -1;
    std::string city;  // the nominating county's city by the region data, for metrics
  };

  // `max_running`: how many batches run at a time (batches hold at most 64 nominations).
  NominationDesk(server::Platform& platform, CatalogMirror& catalog, int max_running);

  // Returns once `nomination` is decided and, if accepted, committed.
  void Nominate(Nomination* nomination) { batcher_.Submit(nomination); }

 private:
  void Batch(std::vector<Nomination*>& batch);
  // `batch` in arrival order; a repeated request id runs after its first, on its own.
  void RunInOrder(const std::vector<Nomination*>& batch);
  // One transaction for `items`; if it fails as a whole, each item alone.
  void Run(std::vector<Nomination*>& items);
  absl::Status Apply(db::Connection& c, std::vector<Nomination*>& items, bool* raced);
  // The nominations refused on the catalog copy alone: catalog is asked for their projects;
  // where it has more seats than the copy had, they are judged again; where it cannot be
  // reached, a refusal for a missing project or quota becomes UNAVAILABLE (never R-7).
  void AskCatalog(const std::vector<Nomination*>& batch);

  server::Platform& platform_;
  CatalogMirror& catalog_;
  prometheus::Histogram& batch_size_;
  Batcher<Nomination> batcher_;
};

}  // namespace peixun::enrollment
