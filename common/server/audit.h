// The audit record of one service (DOMAIN.md R-37): every change, and every read of teachers'
// personal data, with who, when, from which client, the request id, the method, the resource
// and the outcome. A committed change's entry is written in the change's own transaction;
// reads and refused calls are queued and written in batches off the request path. Entries older
// than the retention period are pruned.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/db/pool.h"
#include "common/db/script.h"
#include "google/protobuf/message.h"
#include "peixun/common/v1/common.pb.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace peixun::server {

using AuditEntry = common::v1::AuditEntry;

// The resource a request names: its first set field among name, teacher, enrollment, project,
// parent, county, round and year, else the name of its first message field that has one.
std::string ResourceOf(const google::protobuf::Message& request);

class AuditLog {
 public:
  // At most kMaxQueued entries wait for the writer; beyond that an entry is counted in
  // peixun_audit_dropped_total and logged, never held without bound.
  static constexpr size_t kMaxQueued = 100000;

  AuditLog(db::ConnectionPool& pool, prometheus::Registry& metrics, absl::Duration retention);
  ~AuditLog();

  // Starts the writer (batches every 200 ms) and the hourly pruning; after the migrations.
  void Start();
  // Writes what is queued and stops the writer.
  void Stop();

  // Queues an entry (reads, refusals).
  void Record(AuditEntry entry);
  // Adds the entry's insert to a change's transaction.
  static void Insert(db::Connection& connection, const AuditEntry& entry);
  static void AddInsert(db::Script& script, const std::vector<AuditEntry>& entries);
  // Writes what is queued now (tests, shutdown).
  absl::Status Flush();
  // Deletes entries older than the retention period before `now`; returns how many.
  absl::StatusOr<int64_t> Prune(absl::Time now);

  // Newest first, filtered (see ListAuditEntriesRequest).
  absl::Status List(const common::v1::ListAuditEntriesRequest& request,
                    common::v1::ListAuditEntriesResponse* response);

 private:
  void Run();

  db::ConnectionPool& pool_;
  const absl::Duration retention_;
  prometheus::Counter& written_;
  prometheus::Counter& dropped_;
  absl::Mutex mu_;
  std::deque<AuditEntry> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex flush_mu_;  // one writer at a time
  std::thread writer_;
};

}  // namespace peixun::server
