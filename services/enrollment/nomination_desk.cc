#include "services/enrollment/nomination_desk.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/db/idempotency.h"
#include "common/db/script.h"
#include "common/events/outbox.h"
#include "common/util/ids.h"
#include "common/util/status.h"
#include "services/enrollment/enrollment_store.h"

namespace peixun::enrollment {

NominationDesk::NominationDesk(server::Platform& platform, CatalogMirror& catalog, int max_running)
    : platform_(platform),
      catalog_(catalog),
      batch_size_(prometheus::BuildHistogram()
                      .Name("peixun_enrollment_nomination_batch_size")
                      .Help("Nominations carried by one transaction.")
                      .Register(platform.metrics().registry())
                      .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32})),
      // Batches of up to 64, by default one at a time: on two cores more at a time only made
      // batches smaller and nominations slower (tools/bench enrollment; docs/benchmarks.md).
      batcher_(64, max_running, [this](std::vector<Nomination*>& batch) { Batch(batch); }) {}

void NominationDesk::Batch(std::vector<Nomination*>& batch) {
  batch_size_.Observe(static_cast<double>(batch.size()));
  RunInOrder(batch);
  AskCatalog(batch);
}

void NominationDesk::RunInOrder(const std::vector<Nomination*>& batch) {
  // A request repeating a request id already in this batch runs after it, on its own, and so
  // finds the first one's stored response.
  std::vector<Nomination*> first, repeats;
  std::set<std::string> request_ids;
  for (Nomination* n : batch) {
    const std::string& id = n->request->request_id();
    (id.empty() || request_ids.insert(id).second ? first : repeats).push_back(n);
  }
  Run(first);
  for (Nomination* n : repeats) {
    std::vector<Nomination*> one{n};
    Run(one);
  }
}

void NominationDesk::AskCatalog(const std::vector<Nomination*>& batch) {
  // At most this many projects asked per batch: a batch naming many unknown projects costs
  // catalog a bounded number of calls (the rest keep the copy's answer).
  constexpr size_t kMaxProjectsAsked = 4;
  std::map<domain::ProjectKey, absl::StatusOr<CatalogMirror::ProjectInCatalog>> asked;
  std::vector<Nomination*> again;
  for (Nomination* n : batch) {
    if (!n->ask_catalog) continue;
    auto it = asked.find(n->judged.project);
    if (it == asked.end()) {
      if (asked.size() >= kMaxProjectsAsked) continue;
      it = asked
               .emplace(n->judged.project,
                        catalog_.Refresh(n->judged.project.first, n->judged.project.second))
               .first;
    }
    const absl::StatusOr<CatalogMirror::ProjectInCatalog>& answer = it->second;
    const std::string project_name =
        absl::StrCat("years/", n->judged.project.first, "/projects/", n->judged.project.second);
    if (absl::IsNotFound(answer.status())) {
      n->status = answer.status();
      n->refused_by.clear();
    } else if (!answer.ok()) {
      // A full quota the copy saw stands while the copy is known current; a missing project or
      // quota is never refused on a copy that may be behind.
      if (n->seats_in_copy < 0 || !catalog_.Current()) {
        n->status = absl::UnavailableError(absl::StrCat(
            "the local copy of the catalog may be behind for ", project_name, " (it has ",
            n->seats_in_copy < 0
                ? "no quota of regions/" + n->judged.county
                : absl::StrCat(n->seats_in_copy, " seats of regions/", n->judged.county),
            ") and ", answer.status().message(), "; retry later"));
        n->refused_by.clear();
      }
    } else {
      // Judged again where catalog has more seats than the copy did, or where the copy lacked
      // the project (a refusal without R-7) that catalog has.
      auto seats = answer->county_seats.find(n->judged.county);
      if (n->refused_by != "R-7" ||
          (seats != answer->county_seats.end() && seats->second > n->seats_in_copy))
        again.push_back(n);
    }
  }
  if (again.empty()) return;
  // Judged again on the refreshed copy, once; their refusals now rest on catalog's answer.
  RunInOrder(again);
}

void NominationDesk::Run(std::vector<Nomination*>& items) {
  bool raced = false;
  absl::Status status;
  // A concurrent first attempt with one of the request ids (another batch or process) makes
  // the transaction roll back; the next attempt finds its stored response.
  for (int attempt = 0; attempt < 3; ++attempt) {
    status = platform_.pool().RunSelfCommitting(
        [&](db::Connection& c) { return Apply(c, items, &raced); });
    if (!raced) break;
  }
  if (!status.ok() && items.size() > 1) {
    // Unforeseen failure of the batch: each nomination alone, so only the one at fault fails.
    for (Nomination* n : items) {
      std::vector<Nomination*> one{n};
      Run(one);
    }
    return;
  }
  if (!status.ok()) {
    items.front()->status = status;
    items.front()->refused_by.clear();
    items.front()->ask_catalog = false;
    return;
  }
  if (std::any_of(items.begin(), items.end(), [](const Nomination* n) { return n->inserted; })) {
    platform_.events().NotifyCommitted();
  }
}

absl::Status NominationDesk::Apply(db::Connection& c, std::vector<Nomination*>& items,
                                   bool* raced) {
  *raced = false;
  static const char kMethod[] = "NominateTeacher";
  EnrollmentStore::NominationKeys keys;
  std::vector<db::CallerRequest> request_keys;
  {
    std::set<std::string> teachers, counties;
    std::set<domain::ProjectKey> projects;
    std::map<domain::ProjectKey, std::set<std::string>> quotas;
    keys.today = items.front()->judged.today;
    for (Nomination* n : items) {
      n->status = absl::OkStatus();
      n->response.Clear();
      n->refused_by.clear();
      n->inserted = false;
      n->ask_catalog = false;
      n->seats_in_copy = -1;
      if (!n->request->request_id().empty())
        request_keys.push_back({n->caller_key, n->request->request_id()});
      teachers.insert(n->judged.teacher_id);
      counties.insert(n->judged.county);
      projects.insert(n->judged.project);
      quotas[n->judged.project].insert(n->judged.county);
      keys.today = std::min(keys.today, n->judged.today);
    }
    keys.teacher_ids.assign(teachers.begin(), teachers.end());
    keys.counties.assign(counties.begin(), counties.end());
    keys.projects.assign(projects.begin(), projects.end());
    for (const auto& [project, in] : quotas) keys.quotas[project].assign(in.begin(), in.end());
  }

  // One round trip for everything the checks read (it opens the transaction). Locked, in this
  // order: the stored responses, the teachers (one nomination per teacher at a time, so R-13
  // sees every other one), then the quotas (concurrent nominations for a county and project
  // queue there, in every process alike).
  std::map<db::CallerRequest, db::RememberedResponse> remembered;
  domain::NominationFacts facts;
  {
    db::Script reads(c);
    reads.Add("START TRANSACTION");  // the transaction's first round trip is this request
    db::AddLockRemembered(reads, kMethod, request_keys, &remembered);
    EnrollmentStore::AddNominationReads(reads, keys, &facts);
    reads.Run();
  }
  for (Nomination* n : items) {
    auto county = facts.regions.find(n->judged.county);
    if (county != facts.regions.end()) n->city = domain::CityCodeOf(county->second);
  }
  domain::NominationLedger ledger(std::move(facts), catalog_.Current());

  // The decisions, in arrival order, and one round trip for every row the batch writes.
  db::Script writes(c);
  const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(platform_.clock().Now()));
  std::vector<EnrollmentStore::Nomination> accepted;
  std::vector<events::PendingEvent> events;
  std::vector<std::pair<db::CallerRequest, db::RememberedResponse>> responses;
  std::vector<server::AuditEntry> audit;
  for (Nomination* n : items) {
    const std::string& request_id = n->request->request_id();
    if (auto it = remembered.find({n->caller_key, request_id});
        !request_id.empty() && it != remembered.end()) {
      n->status = db::Replay(it->second, n->request_hash, &n->response);
      continue;
    }
    EnrollmentStore::Nomination nomination{NewOrderedId("e"),
                                           n->judged.teacher_id,
                                           n->judged.project.first,
                                           n->judged.project.second,
                                           n->judged.county,
                                           false,
                                           n->actor};
    domain::NominationDecision decision =
        ledger.Judge(n->judged, "enrollments/" + nomination.enrollment_id);
    if (!decision.status.ok()) {
      n->status = std::move(decision.status);
      n->refused_by = std::move(decision.rule);
      n->ask_catalog = decision.ask_catalog;
      n->seats_in_copy = decision.seats_in_copy;
      if (decision.record_ineligible) {
        EnrollmentStore::AddIneligible(writes, nomination.year, nomination.project_id,
                                       nomination.county_code, nomination.teacher_id,
                                       std::string(n->status.message()));
      }
      continue;
    }
    nomination.rural = decision.rural;
    n->response = EnrollmentStore::NominatedEnrollment(nomination, now);
    n->inserted = true;
    // Serialized once: the event's payload and the stored answer are the same bytes.
    std::string bytes = n->response.SerializeAsString();
    if (!request_id.empty())
      responses.push_back({{n->caller_key, request_id}, {n->request_hash, bytes}});
    events.push_back({"enrollment.enrollment.nominated", n->response.name(),
                      v1::Enrollment::descriptor()->full_name(), std::move(bytes)});
    if (n->audit) {
      audit.push_back(*n->audit);
      audit.back().set_outcome("OK");
    }
    accepted.push_back(std::move(nomination));
  }
  EnrollmentStore::AddNominationWrites(writes, accepted, now);
  events::AddAppendEvents(writes, events);
  server::AuditLog::AddInsert(writes, audit);
  db::AddRemember(writes, kMethod, responses);
  writes.Add("COMMIT");  // durable before any answer leaves
  absl::Status written =
      db::AlreadyExistsOnDuplicate([&] { writes.Run(); }, "a stored answer of these request ids");
  if (!absl::IsAlreadyExists(written)) return written;
  if (responses.empty()) {  // no request id could have raced: a key no check foresaw
    return absl::InternalError("database error (MySQL error 1062, a duplicate key)");
  }
  // A concurrent first attempt stored one of the request ids: roll back; the next attempt
  // finds its response.
  *raced = true;
  return absl::AbortedError("request_id: a concurrent request with this id is in flight");
}

}  // namespace peixun::enrollment
